/** Every function call names a built-in or an extern predicate. */
import { builtinNames, lookupBuiltin } from "../builtins.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { closest, forEachExpr, type Program } from "../program.js";

export function checkUnknownFunction(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    forEachExpr(rule, (expr) => {
      // A qualified op name (`onnx.Relu(…)`) is reported by call-form.
      if (expr.kind !== "Call" || expr.qualifiedOp) return;
      const name = expr.callee.name;
      if (lookupBuiltin(name) || program.externs.has(name)) return;
      const suggestion = closest(name, [...builtinNames(), ...program.externs.keys()]);
      const hint = suggestion
        ? `; did you mean '${suggestion}'?`
        : program.ops.resolve({ name, span: expr.callee.span })
          ? "; an op builds a node only as a result (after '=>') or a result op's operand, not inside an expression"
          : "";
      diagnostics.push(error("unknown-function", `unknown function '${name}'${hint}`, expr.callee.span));
    });
  }
  return diagnostics;
}
