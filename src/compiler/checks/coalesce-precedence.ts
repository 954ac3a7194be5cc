/**
 * `??` binds more loosely than arithmetic, as in TypeScript: `b ?? zeros([n]) * C@0` reads
 * `b ?? (zeros([n]) * C@0)`, which leaves a present `b` unscaled. An unparenthesized arithmetic
 * default is almost always that mistake, so it is a warning that shows both readings.
 */
import type { Expr } from "../ast.js";
import { warning, type Diagnostic } from "../diagnostics.js";
import { forEachExpr, type Program } from "../program.js";

const ARITHMETIC = new Set(["+", "-", "*", "/"]);

export function checkCoalescePrecedence(program: Program): Diagnostic[] {
  const sources = new Map(program.files.map((f) => [f.path, f.source]));
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    forEachExpr(rule, (expr: Expr) => {
      if (expr.kind !== "Binary" || expr.op !== "??") return;
      const right = expr.right;
      if (right.kind !== "Binary" || !ARITHMETIC.has(right.op)) return;
      const source = sources.get(right.span.file) ?? "";
      if (parenthesized(source, right.span.start.offset)) return;
      const text = (e: Expr) => source.slice(e.span.start.offset, e.span.end.offset);
      diagnostics.push(
        warning(
          "coalesce-precedence",
          `'??' binds more loosely than '${right.op}': this is ${text(expr.left)} ?? (${text(right)}), so a present ${text(expr.left)} is used as is; ` +
            `write (${text(expr.left)} ?? ${text(right.left)}) ${right.op} ${text(right.right)} to apply '${right.op}' in both cases, or parenthesize the default`,
          expr.span,
        ),
      );
    });
  }
  return diagnostics;
}

/** Whether the expression starting at `offset` is preceded by an opening parenthesis. */
function parenthesized(source: string, offset: number): boolean {
  let i = offset - 1;
  while (i >= 0 && /\s/.test(source[i]!)) i--;
  return source[i] === "(";
}
