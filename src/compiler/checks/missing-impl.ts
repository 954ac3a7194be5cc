/**
 * A rule builds only ops something can execute: the ops of fusec's own dialects
 * (rules/dialects/, which the runtime implements) or ops declared with `impl "module.ts"`.
 * Building any other op compiles, but the rewrite is refused at run time ("not registered"),
 * so it is a warning here.
 */
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import type { OpDecl, ResultExpr } from "../ast.js";
import { warning, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";

const BUILTIN_DIALECTS = nodePath.resolve(fileURLToPath(new URL("../../../rules/dialects/", import.meta.url)));

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
  return op.impl !== undefined || nodePath.dirname(nodePath.resolve(op.span.file)) === BUILTIN_DIALECTS;
}
