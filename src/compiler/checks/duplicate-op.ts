/** A dialect declares each op once, and an op declares each operand name and each attribute name once. */
import type { OpDecl } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";

export function checkDuplicateOp(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const first = new Map<string, OpDecl>();
  for (const file of program.files) {
    for (const dialect of file.dialects) {
      for (const op of dialect.ops) {
        const key = `${dialect.name}.${op.name}`;
        const earlier = first.get(key);
        if (earlier) {
          diagnostics.push(
            error("duplicate-op", `dialect '${dialect.name}' already declares op '${op.name}'`, op.span, [
              { message: `'${key}' is first declared here`, span: earlier.span },
            ]),
          );
        } else first.set(key, op);
        // An operand and an attribute may share a name (ONNX moved some attributes to inputs).
        for (const [what, items] of [["operand", op.operands], ["attribute", op.attrs]] as const) {
          const seen = new Set<string>();
          for (const item of items) {
            if (seen.has(item.name)) diagnostics.push(error("duplicate-op", `'${op.name}' already has an ${what} named '${item.name}'`, item.span));
            seen.add(item.name);
          }
        }
      }
    }
  }
  return diagnostics;
}
