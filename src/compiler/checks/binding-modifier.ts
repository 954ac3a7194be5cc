/** A node binding (`conv: Conv(…)`) is never optional: '?' marks optional operand variables only. */
import type { Pattern } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { declaredRules, type Program } from "../program.js";

export function checkBindingModifier(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const visit = (pattern: Pattern): void => {
    if (pattern.kind !== "OpPattern") return;
    if (pattern.optionalBinding) {
      const name = pattern.binding?.name ?? "";
      diagnostics.push(error("binding-modifier", `'?' marks an optional operand variable; a node binding like '${name}: …' cannot be optional`, pattern.optionalBinding));
    }
    pattern.operands.forEach(visit);
  };
  for (const file of program.files) {
    for (const rule of declaredRules(file)) visit(rule.writtenRoot ?? rule.pattern);
    for (const alt of file.patterns.flatMap((p) => p.alternatives)) visit(alt.writtenRoot ?? alt.pattern);
  }
  return diagnostics;
}
