/**
 * An attribute is named at most once in a pattern's or a result op's attribute list: twice in a
 * pattern, the rule could only match when both values agree (never, for two literals); twice in
 * a result, generated code would not compile.
 */
import type { Ident } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { opPatterns, resultOps, type Program } from "../program.js";

export function checkDuplicateAttr(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    for (const pattern of opPatterns(rule.pattern)) diagnostics.push(...duplicates(pattern.attrs.map((a) => a.name)));
    for (const result of resultOps(rule.result)) {
      diagnostics.push(...duplicates(result.attrs.flatMap((a) => (a.name ? [a.name] : []))));
    }
  }
  return diagnostics;
}

function duplicates(names: Ident[]): Diagnostic[] {
  const first = new Map<string, Ident>();
  const found: Diagnostic[] = [];
  for (const name of names) {
    const earlier = first.get(name.name);
    if (!earlier) {
      first.set(name.name, name);
      continue;
    }
    found.push(
      error("duplicate-attr", `attribute '${name.name}' is given twice`, name.span, [{ message: `'${name.name}' is first given here`, span: earlier.span }]),
    );
  }
  return found;
}
