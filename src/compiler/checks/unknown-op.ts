/** Every op a rule matches or builds is declared by an imported dialect. */
import { lookupBuiltin } from "../builtins.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { allOpRefs, type Program } from "../program.js";

export function checkUnknownOp(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    for (const ref of allOpRefs(rule)) {
      const found = program.ops.lookup(ref);
      if (found.kind !== "unknown") continue;
      let message = `unknown op '${found.name}'`;
      if (found.suggestion) message += `; did you mean '${found.suggestion}'?`;
      else if (program.ops.all().length === 0) message += "; no dialect is imported (add an `import` of a dialect file)";
      else if (ref.dialect === undefined && lookupBuiltin(ref.name)) message += `; '${ref.name}' is a built-in function, not an op`;
      diagnostics.push(error("unknown-op", message, ref.span));
    }
  }
  return diagnostics;
}
