/** `_` matches anything: it is neither optional (`_?`) nor constant (`_: const`). */
import type { Pattern } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { declaredRules, type Program } from "../program.js";

export function checkWildcardModifier(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const visit = (pattern: Pattern): void => {
    if (pattern.kind === "OpPattern") pattern.operands.forEach(visit);
    else if (pattern.kind === "WildcardPattern" && (pattern.optional || pattern.constant)) {
      const written = pattern.optional ? "'_?'" : "'_: const'";
      diagnostics.push(error("wildcard-modifier", `'_' matches anything; it takes no '?' or ': const' (write '_' instead of ${written})`, pattern.span));
    }
  };
  for (const file of program.files) {
    for (const rule of declaredRules(file)) visit(rule.writtenRoot ?? rule.pattern);
    for (const alt of file.patterns.flatMap((p) => p.alternatives)) visit(alt.writtenRoot ?? alt.pattern);
  }
  return diagnostics;
}
