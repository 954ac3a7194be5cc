/**
 * Outside a result a call is a function call (a built-in or an extern predicate): it names no
 * qualified op (`onnx.Relu(…)`) and takes no attributes `{…}`, which only result ops have. Read
 * from the rules as declared (a family's rule once) and from named patterns' conditions.
 */
import type { Expr } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { declaredRules, forEachExpr, forEachSubExpr, type Program } from "../program.js";

export function checkCallForm(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const visit = (expr: Expr): void => {
    if (expr.kind !== "Call") return;
    if (expr.qualifiedOp) {
      const { dialect, name } = expr.qualifiedOp;
      diagnostics.push(error("call-form", `'${dialect}.${name}(…)' names an op; ops build results only after '=>'`, expr.span));
    }
    if (expr.attrSet) diagnostics.push(error("call-form", `attributes '{…}' belong to result ops, not to the call of '${expr.callee.name}'`, expr.attrSet));
  };
  for (const file of program.files) {
    for (const rule of declaredRules(file)) forEachExpr(rule, visit);
    for (const alt of file.patterns.flatMap((p) => p.alternatives)) if (alt.where) forEachSubExpr(alt.where, visit);
  }
  return diagnostics;
}
