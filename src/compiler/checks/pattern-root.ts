/**
 * A rule's pattern, and each alternative of a named pattern, is an op: the root a rewrite starts
 * from. Read from the rules as declared (a family's rule once); such rules are not in the
 * program's rules, so no other check or lowering sees them.
 */
import { error, type Diagnostic } from "../diagnostics.js";
import { declaredRules, type Program } from "../program.js";

export function checkPatternRoot(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const file of program.files) {
    for (const rule of declaredRules(file)) {
      if (rule.writtenRoot) diagnostics.push(error("pattern-root", "a rule's pattern must be an op, like 'Mul(x, y)'", rule.writtenRoot.span));
    }
    for (const alt of file.patterns.flatMap((p) => p.alternatives)) {
      if (alt.writtenRoot) diagnostics.push(error("pattern-root", "an alternative of a named pattern must be an op, like 'Mul(x, y)'", alt.writtenRoot.span));
    }
  }
  return diagnostics;
}
