/**
 * A value that may be absent (`b?`) sits only where absence is allowed: in a pattern, at an
 * operand the op declares optional; in a result, at an optional operand of a result op (not a
 * required or variadic one, and not as the whole result) unless `??` gives it a default; in an
 * expression, only before `??`, in `isConst(b)` and in `allClose(b, …)`.
 */
import type { Expr, OpDecl, ResultOp } from "../ast.js";
import { lookupBuiltin } from "../builtins.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { opPatterns, operandDeclAt, resultOps, type Program, type RuleScope } from "../program.js";

export function checkNotOptional(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    // A `b?` already reported in the pattern is not reported again where the result uses it.
    const reported = new Set<string>();
    for (const pattern of opPatterns(rule.pattern)) {
      const op = program.ops.resolve(pattern.op);
      if (!op) continue;
      pattern.operands.forEach((operand, index) => {
        if (operand.kind !== "VarPattern" || !operand.optional) return;
        const decl = operandDeclAt(op, index);
        if (!decl || decl.arity === "optional") return;
        reported.add(operand.name.name);
        diagnostics.push(
          error("not-optional", `'${operand.name.name}?' may be absent, but operand '${decl.name}' of '${op.name}' is ${decl.arity}`, operand.span, [
            { message: `'${op.name}' is declared here`, span: op.span },
          ]),
        );
      });
    }
    const scope = program.scopes.get(rule)!;
    for (const result of resultOps(rule.result)) {
      const op = program.ops.resolve(result.op);
      if (op) diagnostics.push(...absentInResultOp(result, op, scope, reported));
    }
    const report = (e: Expr, advice: string) => {
      if (e.kind === "Ident" && !reported.has(e.name)) diagnostics.push(error("not-optional", `'${e.name}' may be absent (bound as '${e.name}?'); ${advice}`, e.span));
    };
    const visit = (e: Expr) => absentInExpr(e, scope, report);
    if (rule.where) visit(rule.where);
    for (const let_ of rule.lets) {
      const value = let_.value;
      if (value.kind === "Ident" && mayBeAbsent(value, scope)) report(value, `a let holds a value that exists; pass '${value.name}' itself where an absent operand is allowed`);
      else visit(let_.value);
    }
    const result = rule.result;
    if (result.kind !== "ResultOp") {
      if (mayBeAbsent(result, scope)) report(result, "it cannot replace the root's output, which must exist");
      else visit(result);
    }
    for (const op of resultOps(result)) {
      op.operands.forEach((operand) => {
        if (operand.kind !== "ResultOp" && !mayBeAbsent(operand, scope)) visit(operand);
      });
      for (const attr of op.attrs) if (attr.value) visit(attr.value);
    }
  }
  return diagnostics;
}

function absentInResultOp(result: ResultOp, op: OpDecl, scope: RuleScope, reported: ReadonlySet<string>): Diagnostic[] {
  return result.operands.flatMap((operand, index) => {
    if (operand.kind !== "Ident" || reported.has(operand.name) || !mayBeAbsent(operand, scope)) return [];
    const decl = operandDeclAt(op, index);
    if (!decl || decl.arity === "optional") return [];
    const name = operand.name;
    return [
      error(
        "not-optional",
        `'${name}' may be absent (bound as '${name}?'), but operand '${decl.name}' of '${op.name}' is ${decl.arity}; write '${name} ?? <default>'`,
        operand.span,
        [{ message: `'${op.name}' is declared here`, span: op.span }],
      ),
    ];
  });
}

/** Reports each possibly absent name of `e` used where it must be present. */
function absentInExpr(e: Expr, scope: RuleScope, report: (e: Expr, advice: string) => void): void {
  const use = (child: Expr, absentOk: boolean) => {
    if (!mayBeAbsent(child, scope)) return absentInExpr(child, scope, report);
    if (absentOk) return;
    const constant = child.kind === "Ident" && scope.references.get(child)?.kind === "const";
    report(
      child,
      constant
        ? `write '${(child as Extract<Expr, { kind: "Ident" }>).name} ?? <default>' to compute with it`
        : "match it without '?' to ask about its uses, shape or dtype, or test it with isConst(…)",
    );
  };
  switch (e.kind) {
    case "Call": {
      const builtin = lookupBuiltin(e.callee.name);
      e.args.forEach((arg, i) => {
        const param = builtin?.params[i] ?? builtin?.rest;
        use(arg, param === "operand" || param === "maybeConst");
      });
      return;
    }
    case "Binary":
      use(e.left, e.op === "??");
      return use(e.right, false);
    case "Unary":
    case "Along":
      return use(e.operand, false);
    case "Index":
      use(e.target, false);
      return use(e.index, false);
    case "ListExpr":
      return e.items.forEach((item) => use(item, false));
    default:
      return;
  }
}

function mayBeAbsent(e: Expr, scope: RuleScope): boolean {
  if (e.kind !== "Ident") return false;
  const binding = scope.references.get(e);
  return (binding?.kind === "value" || binding?.kind === "const") && binding.optional;
}
