/** The axis after '@' (`c@1`) is an integer. Read from the rules as declared (a family's rule once). */
import type { Expr } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { declaredRules, forEachExpr, forEachSubExpr, type Program } from "../program.js";

export function checkAlongAxis(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const visit = (expr: Expr): void => {
    if (expr.kind === "Along" && expr.axisLiteral) {
      diagnostics.push(error("along-axis", `the axis after '@' is an integer, like 'c@1'; got ${expr.axisLiteral.value}`, expr.axisLiteral.span));
    }
  };
  for (const file of program.files) {
    for (const rule of declaredRules(file)) forEachExpr(rule, visit);
    for (const alt of file.patterns.flatMap((p) => p.alternatives)) if (alt.where) forEachSubExpr(alt.where, visit);
  }
  return diagnostics;
}
