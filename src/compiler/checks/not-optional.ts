/**
 * A value that may be absent (`b?`) sits only where absence is allowed: in a pattern, at an
 * operand the op declares optional; in a result, at an optional operand of a result op (not a
 * required or variadic one, and not as the whole result) unless `??` gives it a default.
 */
import type { Expr, OpDecl, ResultOp } from "../ast.js";
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

function mayBeAbsent(e: Expr, scope: RuleScope): boolean {
  if (e.kind !== "Ident") return false;
  const binding = scope.references.get(e);
  return (binding?.kind === "value" || binding?.kind === "const") && binding.optional;
}
