/** Rule names are unique across the program (family members are named `Base[args]`). */
import type { Rule } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";

export function checkDuplicateRuleName(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const first = new Map<string, Rule>();
  for (const rule of program.rules) {
    const earlier = first.get(rule.name);
    if (!earlier) {
      first.set(rule.name, rule);
      continue;
    }
    diagnostics.push(
      error("duplicate-rule-name", `a rule named '${rule.name}' already exists`, rule.nameSpan, [
        { message: `'${rule.name}' is first defined here`, span: earlier.nameSpan },
      ]),
    );
  }
  return diagnostics;
}
