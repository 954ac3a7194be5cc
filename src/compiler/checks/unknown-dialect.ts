/** Every dialect-qualified op reference (`tfl.Conv2D`) names a declared dialect. */
import { error, type Diagnostic } from "../diagnostics.js";
import { allOpRefs, type Program } from "../program.js";

export function checkUnknownDialect(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    for (const ref of allOpRefs(rule)) {
      const found = program.ops.lookup(ref);
      if (found.kind !== "unknown-dialect") continue;
      const hint = found.suggestion ? `; did you mean '${found.suggestion}'?` : `; declared dialects: ${program.ops.dialectNames().join(", ") || "none (import a dialect file)"}`;
      diagnostics.push(error("unknown-dialect", `unknown dialect '${found.dialect}'${hint}`, ref.span));
    }
  }
  return diagnostics;
}
