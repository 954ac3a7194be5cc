/** A result builds only ops with a fixed number of outputs: a rule cannot say how many a `Split` would have. */
import { error, type Diagnostic } from "../diagnostics.js";
import { resultOps, type Program } from "../program.js";

export function checkVariadicResult(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    for (const result of resultOps(rule.result)) {
      const op = program.ops.resolve(result.op);
      if (!op?.outputs.some((o) => o.endsWith("..."))) continue;
      diagnostics.push(
        error("variadic-result", `'${op.name}' has a variable number of outputs, so a rule cannot build it`, result.op.span, [
          { message: `'${op.name}' is declared here`, span: op.span },
        ]),
      );
    }
  }
  return diagnostics;
}
