/**
 * Op declarations are well formed: a variadic operand comes last, no required operand follows an
 * optional one, only the last output is variadic, `domain` and `impl` are given once each, and
 * `commutative` marks only ops with two operands or one variadic operand.
 */
import { error, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";

export function checkOpDecl(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const file of program.files) {
    for (const dialect of file.dialects) {
      for (const op of dialect.ops) {
        op.operands.forEach((operand, i) => {
          if (operand.arity === "variadic" && i !== op.operands.length - 1) {
            diagnostics.push(error("op-decl", `variadic operand '${operand.name}...' of '${op.name}' must be the last operand`, operand.span));
          }
          if (operand.arity === "required" && op.operands.slice(0, i).some((o) => o.arity === "optional")) {
            diagnostics.push(error("op-decl", `required operand '${operand.name}' of '${op.name}' follows an optional one`, operand.span));
          }
        });
        op.outputs.slice(0, -1).forEach((output) => {
          if (output.endsWith("...")) diagnostics.push(error("op-decl", `variadic output '${output}' of '${op.name}' must be the last output`, op.span));
        });
        (op.clauses ?? []).forEach((clause, i, all) => {
          if (all.slice(0, i).some((earlier) => earlier.kind === clause.kind)) diagnostics.push(error("op-decl", `'${clause.kind}' is given twice`, clause.span));
        });
        const binary = op.operands.length === 2 && op.operands.every((o) => o.arity === "required");
        const variadic = op.operands.length === 1 && op.operands[0]!.arity === "variadic";
        if (op.commutative && !binary && !variadic) {
          diagnostics.push(error("op-decl", `'${op.name}' cannot be commutative: it needs two required operands (or one variadic operand)`, op.span));
        }
      }
    }
  }
  return diagnostics;
}
