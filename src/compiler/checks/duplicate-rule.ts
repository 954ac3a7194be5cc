/** No two rules have the same pattern and condition (compared as written, ignoring layout). */
import type { Rule, RulesFile } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";

export function checkDuplicateRule(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const sources = new Map(program.files.map((f: RulesFile) => [f.path, f.source]));
  const first = new Map<string, Rule>();
  for (const rule of program.rules) {
    const key = ruleKey(rule, sources.get(rule.span.file) ?? "");
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, rule);
      continue;
    }
    diagnostics.push(
      error("duplicate-rule", `rule '${rule.name}' has the same pattern and condition as rule '${earlier.name}'`, rule.nameSpan, [
        { message: `'${earlier.name}' is defined here`, span: earlier.nameSpan },
      ]),
    );
  }
  return diagnostics;
}

/** Pattern and condition text without layout, plus a family member's substitutions. */
function ruleKey(rule: Rule, source: string): string {
  const where = rule.where ? source.slice(rule.where.span.start.offset, rule.where.span.end.offset) : "";
  const compact = (text: string) => text.replace(/\s+/g, "");
  return JSON.stringify([compact(rule.matchText), compact(where), rule.family?.bindings ?? {}]);
}
