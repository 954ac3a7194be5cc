/**
 * A rule builds only ops something can execute: ops of fusec's own dialects (rules/dialects/,
 * which the runtime implements: the same domain and name) or ops declared with
 * `impl "module.ts"`. Building any other op compiles, but the rewrite is refused at run time
 * ("not registered"), so it is a warning here.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import type { OpDecl, ResultExpr } from "../ast.js";
import { warning, type Diagnostic } from "../diagnostics.js";
import { parseRules } from "../parse.js";
import type { Program } from "../program.js";

const BUILTIN_DIALECTS = fileURLToPath(new URL("../../../rules/dialects/", import.meta.url));

let builtinOps: Set<string> | undefined;

/** `domain::Op` of every op fusec's own dialect files declare (empty when they are not shipped alongside). */
function runtimeOps(): Set<string> {
  if (builtinOps) return builtinOps;
  builtinOps = new Set();
  let files: string[] = [];
  try {
    files = readdirSync(BUILTIN_DIALECTS).filter((f) => f.endsWith(".rules"));
  } catch {
    return builtinOps;
  }
  for (const f of files) {
    const path = nodePath.join(BUILTIN_DIALECTS, f);
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
