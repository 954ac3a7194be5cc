/**
 * A rule builds only ops something can execute: ops of fusec's own dialects (rules/dialects/ of
 * the package this compiler belongs to, which its runtime implements: the same domain and name) or ops declared with
 * `impl "module.ts"`. Building any other op compiles, but the rewrite is refused at run time
 * ("not registered"), so it is a warning here.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import type { OpDecl, ResultExpr } from "../ast.js";
import { warning, type Diagnostic } from "../diagnostics.js";
import { parseRules } from "../parse.js";
import type { Program } from "../program.js";

let builtinOps: Set<string> | undefined;

/**
 * fusec's own dialect folder: `rules/dialects/` at the root of the package this module belongs
 * to, found by walking up to its package.json (src/compiler/checks/ in a checkout,
 * dist/src/compiler/checks/ in the installed package).
 */
function builtinDialects(): string | undefined {
  let dir = nodePath.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const dialects = nodePath.join(dir, "rules", "dialects");
    if (existsSync(nodePath.join(dir, "package.json")) && existsSync(dialects)) return dialects;
    const parent = nodePath.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** `domain::Op` of every op fusec's own dialect files declare: the ops its runtime implements. */
function runtimeOps(): Set<string> {
  if (builtinOps) return builtinOps;
  builtinOps = new Set();
  const folder = builtinDialects();
  if (!folder) return builtinOps;
  for (const f of readdirSync(folder).filter((name) => name.endsWith(".rules"))) {
    const path = nodePath.join(folder, f);
    for (const d of parseRules(path, readFileSync(path, "utf8")).file.dialects) for (const op of d.ops) builtinOps.add(`${op.domain}::${op.name}`);
  }
  return builtinOps;
}

export function checkMissingImpl(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    const visit = (result: ResultExpr): void => {
      if (result.kind !== "ResultOp") return;
      const op = program.ops.resolve(result.op);
      if (op && !executable(op)) {
        const where = op.domain ? `${op.domain}::${op.name}` : op.name;
        diagnostics.push(
          warning("missing-impl", `rule '${rule.name}' builds ${where}, which has no implementation: declare it with impl "module.ts" (a shape function and a kernel) or the rewrite is refused when it fires`, result.op.span, [
            { message: `${op.name} is declared here`, span: op.span },
          ]),
        );
      }
      result.operands.forEach((o) => visit(o as ResultExpr));
    };
    visit(rule.result);
  }
  return diagnostics;
}

function executable(op: OpDecl): boolean {
  const known = runtimeOps();
  return op.impl !== undefined || known.size === 0 || known.has(`${op.domain}::${op.name}`);
}
