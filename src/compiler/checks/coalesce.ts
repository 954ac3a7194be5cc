/**
 * The left side of `??` is an optional operand (`b?`), since only an absent operand needs a
 * default, bound as a constant (`b?: const`), since `b ?? default` is a constant expression.
 */
import type { Expr } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { forEachExpr, type Program } from "../program.js";

export function checkCoalesce(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    forEachExpr(rule, (expr: Expr) => {
      if (expr.kind !== "Binary" || expr.op !== "??") return;
      const left = expr.left;
      const binding = left.kind === "Ident" ? scope.references.get(left) : undefined;
      if (left.kind === "Ident" && !binding) return;
      if (binding?.kind === "const" && binding.optional) return;
      if (binding?.kind === "value" && binding.optional) {
        const name = binding.name;
        diagnostics.push(error("coalesce", `'${name} ?? …' is a constant expression, but '${name}' is not bound as a constant; write '${name}?: const' in the pattern`, left.span));
        return;
      }
      const what = left.kind === "Ident" ? `'${left.name}' is never absent` : "the left side is not an operand name";
      diagnostics.push(error("coalesce", `'??' gives a default for an absent optional operand (bound as 'b?'); ${what}`, left.span));
    });
  }
  return diagnostics;
}
