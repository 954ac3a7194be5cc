/** A rule's `where` condition is a boolean expression. */
import { error, type Diagnostic } from "../diagnostics.js";
import { exprKind, type Program } from "../program.js";

export function checkConditionType(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    if (!rule.where) continue;
    const kind = exprKind(rule.where, program.scopes.get(rule)!, program.externs);
    if (kind === "bool" || kind === "unknown") continue;
    const hint = kind === "list" ? "; wrap a list comparison in all(…)" : "";
    diagnostics.push(error("condition-type", `a 'where' condition must be a boolean, but this is ${kind === "int" ? "an" : "a"} ${kind}${hint}`, rule.where.span));
  }
  return diagnostics;
}
