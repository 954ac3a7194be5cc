/**
 * A list compared in an attribute pattern (`{ pads: [0, 0, 0, 0] }`) holds literals only: a name
 * inside it would capture nothing. Read from the rules as declared (a family's rule once).
 */
import type { Literal, Pattern } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { declaredRules, type Program } from "../program.js";

export function checkAttrPattern(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const visitLiteral = (literal: Literal): void => {
    if (literal.kind !== "List") return;
    for (const name of literal.names ?? []) {
      diagnostics.push(error("attr-pattern", `a list in an attribute pattern holds literals only, not the name '${name.name}'`, name.span));
    }
    literal.items.forEach(visitLiteral);
  };
  const visit = (pattern: Pattern): void => {
    if (pattern.kind !== "OpPattern") return;
    for (const attr of pattern.attrs) if (attr.value.kind !== "Ident") visitLiteral(attr.value);
    pattern.operands.forEach(visit);
  };
  for (const file of program.files) {
    for (const rule of declaredRules(file)) visit(rule.writtenRoot ?? rule.pattern);
    for (const alt of file.patterns.flatMap((p) => p.alternatives)) visit(alt.writtenRoot ?? alt.pattern);
  }
  return diagnostics;
}
