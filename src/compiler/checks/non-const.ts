/**
 * Constant expressions (arithmetic, `@`, tensor built-ins, result operands that are not plain
 * names) only read values bound as `const`, lets and literals — never a plain graph value.
 * One exception: behind `isConst(v) &&` or `!isConst(v) ||`, `allClose(v, …)` may read a plain
 * (or optional, `v?`) value, which is then known to be a constant.
 */
import type { Expr, ResultExpr } from "../ast.js";
import { lookupBuiltin } from "../builtins.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { typeOf, type Program, type RuleScope } from "../program.js";

export function checkNonConst(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    const visit = (expr: Expr) => visitExpr(expr, scope, diagnostics);
    if (rule.where) visit(rule.where);
    for (const let_ of rule.lets) {
      visit(let_.value);
      if (let_.value.kind === "Ident" || typeOf(scope, let_.value) !== "value") continue;
      diagnostics.push(error("non-const", `'let ${let_.name.name}' must be a constant expression`, let_.value.span));
    }
    visitResult(rule.result, scope, diagnostics);
  }
  return diagnostics;
}

function visitResult(result: ResultExpr, scope: RuleScope, diagnostics: Diagnostic[]): void {
  if (result.kind === "ResultOp") {
    for (const operand of result.operands) visitResult(operand, scope, diagnostics);
    for (const attr of result.attrs) if (attr.value) visitExpr(attr.value, scope, diagnostics);
    return;
  }
  visitExpr(result, scope, diagnostics);
}

/** The value `e` tests with `isConst(v)` (`negated`: with `!isConst(v)`). */
function isConstTest(e: Expr, negated: boolean): string | undefined {
  if (negated) return e.kind === "Unary" && e.op === "!" ? isConstTest(e.operand, false) : undefined;
  return e.kind === "Call" && e.callee.name === "isConst" && e.args[0]?.kind === "Ident" ? e.args[0].name : undefined;
}

function visitExpr(expr: Expr, scope: RuleScope, diagnostics: Diagnostic[], guarded: ReadonlySet<string> = new Set()): void {
  const requireConst = (operand: Expr, context: string, guardable = false) => {
    if (typeOf(scope, operand) !== "value") return;
    if (guardable && operand.kind === "Ident" && guarded.has(operand.name)) return;
    const name = operand.kind === "Ident" ? `'${operand.name}'` : "this operand";
    const hint = operand.kind === "Ident" && scope.bindings.get(operand.name)?.kind === "value" ? ` (write '${operand.name}: const' in the pattern)` : "";
    diagnostics.push(error("non-const", `${context} needs a constant, but ${name} is a graph value not bound as const${hint}`, operand.span));
  };
  switch (expr.kind) {
    case "Unary":
      if (expr.op === "-") requireConst(expr.operand, "'-'");
      return visitExpr(expr.operand, scope, diagnostics, guarded);
    case "Binary":
      if (["+", "-", "*", "/"].includes(expr.op)) {
        requireConst(expr.left, `'${expr.op}'`);
        requireConst(expr.right, `'${expr.op}'`);
      }
      if (expr.op === "??") requireConst(expr.right, "the default after '??'");
      visitExpr(expr.left, scope, diagnostics, guarded);
      {
        const tested = expr.op === "&&" ? isConstTest(expr.left, false) : expr.op === "||" ? isConstTest(expr.left, true) : undefined;
        return visitExpr(expr.right, scope, diagnostics, tested ? new Set([...guarded, tested]) : guarded);
      }
    case "Along":
      requireConst(expr.operand, "'@'");
      return visitExpr(expr.operand, scope, diagnostics);
    case "Call": {
      const builtin = lookupBuiltin(expr.callee.name);
      expr.args.forEach((arg, i) => {
        const param = builtin?.params[i];
        if (param === "tensor" || param === "maybeConst") requireConst(arg, `'${builtin!.name}'`, param === "maybeConst");
        visitExpr(arg, scope, diagnostics, guarded);
      });
      return;
    }
    case "Index":
      visitExpr(expr.target, scope, diagnostics);
      return visitExpr(expr.index, scope, diagnostics);
    case "ListExpr":
      return expr.items.forEach((item) => visitExpr(item, scope, diagnostics));
    default:
      return;
  }
}
