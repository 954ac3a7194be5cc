/** An unqualified op name is declared by only one dialect; otherwise the rule must qualify it. */
import { error, type Diagnostic } from "../diagnostics.js";
import { allOpRefs, type Program } from "../program.js";

export function checkAmbiguousOp(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    for (const ref of allOpRefs(rule)) {
      const found = program.ops.lookup(ref);
      if (found.kind !== "ambiguous") continue;
      const dialects = found.candidates.map((op) => op.dialect);
      const choices = dialects.map((d) => `'${d}.${ref.name}'`).join(" or ");
      diagnostics.push(
        error(
          "ambiguous-op",
          `op '${ref.name}' is declared by dialects ${dialects.join(" and ")}; write ${choices}`,
          ref.span,
          found.candidates.map((op) => ({ message: `'${op.dialect}.${op.name}' is declared here`, span: op.span })),
        ),
      );
    }
  }
  return diagnostics;
}
