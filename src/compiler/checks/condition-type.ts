/** A rule's `where` condition is a boolean expression. */
import { error, type Diagnostic } from "../diagnostics.js";
import { typeOf, type Program } from "../program.js";
import { describeType } from "../types.js";

export function checkConditionType(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    if (!rule.where) continue;
    const kind = typeOf(program.scopes.get(rule)!, rule.where);
    if (kind === "bool" || kind === "unknown") continue;
    const hint = kind === "bools" ? " (a list compared element by element); wrap it in all(…)" : "";
    diagnostics.push(error("condition-type", `a 'where' condition must be a boolean, but this is ${describeType(kind)}${hint}`, rule.where.span));
  }
  return diagnostics;
}
