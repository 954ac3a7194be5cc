/**
 * Every operator has operands of types it takes: `!`, `&&` and `||` booleans; `+ - * /` and
 * unary `-` numbers or constants; comparisons two things of one kind (or a number list against
 * a number, element by element); `[i]` a list and an int; `c@k` a constant laid along an axis of
 * the other operand of `+ - * /`; list literals one kind of element; a result a graph value or
 * a constant.
 */
import type { Expr, ResultExpr } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { along, forEachExpr, typeOf, type Program, type RuleScope } from "../program.js";
import { describeType, isList, isNumber, isNumberList, isTensorLike, type Type } from "../types.js";

export function checkOperandType(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    const report = (message: string, expr: Expr) => diagnostics.push(error("operand-type", message, expr.span));
    const laidOut = new Set<Expr>();
    forEachExpr(rule, (expr) => {
      if (expr.kind !== "Binary" || !ARITHMETIC.has(expr.op)) return;
      const left = along(expr.left)?.along;
      const right = along(expr.right)?.along;
      if (left) laidOut.add(left);
      if (right) laidOut.add(right);
      if (left && right) return report(`only one operand of '${expr.op}' may use '@': the other is the tensor it lays its elements along`, right);
      const other = left ? expr.right : right ? expr.left : undefined;
      if (other && isNumber(typeOf(scope, other))) {
        const laid = (left ?? right)!;
        const axis = laid.kind === "Along" ? laid.axis : "k";
        return report(`'@${axis}' lays elements along an axis of the other operand of '${expr.op}', but that is ${describeType(typeOf(scope, other))}`, laid);
      }
    });
    forEachExpr(rule, (expr) => {
      const problem = operandProblem(expr, scope, laidOut);
      if (problem) report(problem, expr);
    });
    for (const result of resultValues(rule.result)) {
      const type = typeOf(scope, result);
      if (type === "unknown" || type === "value" || type === "const" || isTensorLike(type)) continue;
      report(`an operand of a result must be a graph value or a constant, but this is ${describeType(type)}`, result);
    }
  }
  return diagnostics;
}

const ARITHMETIC = new Set(["+", "-", "*", "/"]);


/** Why `expr`'s operands do not fit it, or undefined. Unknown types stem from errors reported elsewhere. */
function operandProblem(expr: Expr, scope: RuleScope, laidOut: ReadonlySet<Expr>): string | undefined {
  const type = (e: Expr): Type => typeOf(scope, e);
  const known = (...es: Expr[]) => es.every((e) => type(e) !== "unknown");
  const found = (e: Expr) => describeType(type(e));
  // A graph value where a constant is needed is the non-const check's to report.
  const numeric = (e: Expr) => isTensorLike(type(e)) || type(e) === "value" || type(e) === "unknown";
  switch (expr.kind) {
    case "List":
    case "ListExpr":
      return typeOf(scope, expr) === "list" ? "a list holds elements of one kind (numbers, strings or booleans)" : undefined;
    case "Unary":
      if (!known(expr.operand)) return undefined;
      if (expr.op === "!") return type(expr.operand) === "bool" ? undefined : `'!' negates a bool, but this is ${found(expr.operand)}`;
      return numeric(expr.operand) ? undefined : `'-' negates a number or a constant, but this is ${found(expr.operand)}`;
    case "Along":
      if (!laidOut.has(expr)) return "'c@axis' lays a constant along an axis of the other operand of + - * /; it stands only as such an operand";
      return numeric(expr.operand) ? undefined : `'@' lays out a constant, but this is ${found(expr.operand)}`;
    case "Index":
      if (known(expr.target) && !isList(type(expr.target))) return `only lists can be indexed, but this is ${found(expr.target)}`;
      if (known(expr.index) && type(expr.index) !== "int") return `an index is an int, but this is ${found(expr.index)}`;
      return undefined;
    case "Binary": {
      const { left, right, op } = expr;
      if (!known(left, right)) return undefined;
      const l = type(left);
      const r = type(right);
      switch (op) {
        case "&&":
        case "||":
          if (l !== "bool") return `'${op}' joins bools, but the left side is ${found(left)}`;
          return r === "bool" ? undefined : `'${op}' joins bools, but the right side is ${found(right)}`;
        case "==":
        case "!=":
        case "<":
        case "<=":
        case ">":
        case ">=": {
          // A misplaced `c@k` is reported as such, not as what it is compared with.
          if (left.kind === "Along" || right.kind === "Along") return undefined;
          const ordered = op !== "==" && op !== "!=";
          const elementwise = (isNumberList(l) && isNumber(r)) || (isNumber(l) && isNumberList(r));
          const same = (isNumber(l) && isNumber(r)) || (isNumberList(l) && isNumberList(r)) || (!ordered && l === r && (l === "string" || l === "bool" || l === "strings"));
          if (elementwise || (same && !(ordered && isNumberList(l)))) return undefined;
          const what = ordered ? `'${op}' orders numbers (or a list of numbers against a number)` : `'${op}' compares two numbers, strings, bools or lists of them`;
          return `${what}; cannot compare ${found(left)} with ${found(right)}`;
        }
        case "??":
          return numeric(right) ? undefined : `the default after '??' must be a constant, but this is ${found(right)}`;
        default: {
          const bad = [left, right].find((e) => !numeric(e) && along(e) === undefined);
          return bad ? `'${op}' computes with numbers and constants, but this operand is ${found(bad)}` : undefined;
        }
      }
    }
    default:
      return undefined;
  }
}

/** The expressions a result passes on as values: the whole result, or result-op operands that are not ops. */
function resultValues(result: ResultExpr): Expr[] {
  if (result.kind !== "ResultOp") return [result];
  return result.operands.flatMap((operand) => (operand.kind === "ResultOp" ? resultValues(operand) : [operand]));
}
