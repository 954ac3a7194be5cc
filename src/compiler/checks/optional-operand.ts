/** `b?` (may be absent) appears only at an operand the op declares optional. */
import { error, type Diagnostic } from "../diagnostics.js";
import { opPatterns, operandDeclAt, type Program } from "../program.js";

export function checkOptionalOperand(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    for (const pattern of opPatterns(rule.pattern)) {
      const op = program.ops.resolve(pattern.op);
      if (!op) continue;
      pattern.operands.forEach((operand, index) => {
        if (operand.kind !== "VarPattern" || !operand.optional) return;
        const decl = operandDeclAt(op, index);
        if (!decl || decl.arity === "optional") return;
        diagnostics.push(
          error("not-optional", `'${operand.name.name}?' may be absent, but operand '${decl.name}' of '${op.name}' is ${decl.arity}`, operand.span, [
            { message: `'${op.name}' is declared here`, span: op.span },
          ]),
        );
      });
    }
  }
  return diagnostics;
}
