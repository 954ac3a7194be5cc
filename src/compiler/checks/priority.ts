/** A rule's priority is an integer. Read from the rules as declared (a family's rule once). */
import { error, type Diagnostic } from "../diagnostics.js";
import { declaredRules, type Program } from "../program.js";

export function checkPriority(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.files.flatMap(declaredRules)) {
    const literal = rule.priorityLiteral;
    if (literal && !literal.isInt) diagnostics.push(error("priority", `a priority is an integer, like 'priority 2'; got ${literal.value}`, literal.span));
  }
  return diagnostics;
}
