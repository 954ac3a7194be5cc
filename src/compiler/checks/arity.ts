/** Every op in a pattern or result has as many operands as its declaration allows. */
import type { OpDecl, Span } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { opPatterns, resultOps, type Program } from "../program.js";

export function checkArity(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const check = (op: OpDecl | undefined, count: number, span: Span) => {
    if (!op) return;
    const message = arityProblem(op, count);
    if (message) diagnostics.push(error("arity", message, span, [{ message: `'${op.name}' is declared here`, span: op.span }]));
  };
  for (const rule of program.rules) {
    for (const pattern of opPatterns(rule.pattern)) check(program.ops.resolve(pattern.op), pattern.operands.length, pattern.span);
    for (const result of resultOps(rule.result)) check(program.ops.resolve(result.op), result.operands.length, result.span);
  }
  return diagnostics;
}

function arityProblem(op: OpDecl, count: number): string | undefined {
  const required = op.operands.filter((o) => o.arity === "required").length;
  const variadic = op.operands.some((o) => o.arity === "variadic");
  const max = variadic ? Infinity : op.operands.length;
  if (count >= required && count <= max) return undefined;
  const signature = `${op.name}(${op.operands.map((o) => o.name + (o.arity === "optional" ? "?" : o.arity === "variadic" ? "..." : "")).join(", ")})`;
  const allowed = variadic ? `at least ${required}` : required === max ? `${required}` : `${required} to ${max}`;
  const which = count < required ? "too few" : "too many";
  return `${which} operands: '${op.name}' takes ${allowed}, found ${count} — ${signature}`;
}
