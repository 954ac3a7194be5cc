/** Built-in calls have the right number of arguments, each of a type its parameter takes (`src/compiler/builtins.ts`). */
import { lookupBuiltin, type ParamKind } from "../builtins.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { forEachExpr, typeOf, type Program } from "../program.js";
import { describeType, type Type } from "../types.js";

/** Argument kinds each parameter kind accepts (`value` arguments to `tensor` parameters are the non-const check's). */
const accepts: Record<ParamKind, Type[]> = {
  value: ["value", "const"],
  operand: ["value", "const"],
  node: ["value"],
  maybeConst: ["tensor", "const", "value", "int", "float", "ints", "floats"],
  tensor: ["tensor", "const", "value", "int", "float", "ints", "floats"],
  int: ["int"],
  number: ["int", "float"],
  ints: ["ints"],
  list: ["ints", "floats", "strings", "bools", "list"],
  bools: ["bools"],
  string: ["string"],
  any: ["value", "const", "tensor", "int", "float", "bool", "string", "ints", "floats", "strings", "bools", "list"],
};

export function checkBuiltinCall(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    forEachExpr(rule, (expr) => {
      if (expr.kind !== "Call" || expr.qualifiedOp) return;
      const name = expr.callee.name;
      const builtin = lookupBuiltin(name);
      if (!builtin) return;
      const count = expr.args.length;
      if (count < builtin.minArgs || (count > builtin.params.length && !builtin.rest)) {
        const expected = builtin.rest ? `at least ${builtin.minArgs}` : builtin.minArgs === builtin.params.length ? `${builtin.minArgs}` : `${builtin.minArgs} or ${builtin.params.length}`;
        diagnostics.push(error("builtin-call", `'${name}' takes ${expected} argument(s) (${builtin.params.join(", ")}), found ${count}`, expr.span));
        return;
      }
      expr.args.forEach((arg, i) => {
        const param = builtin.params[i] ?? builtin.rest!;
        const kind = typeOf(scope, arg);
        if (param === "node" && kind !== "unknown" && !(arg.kind === "Ident" && scope.references.get(arg)?.kind === "node")) {
          diagnostics.push(error("builtin-call", `argument ${i + 1} of '${name}' must be ${describeParam(param)}, found ${describeType(kind)}`, arg.span));
          return;
        }
        if (kind === "unknown" || accepts[param].includes(kind)) return;
        diagnostics.push(error("builtin-call", `argument ${i + 1} of '${name}' must be ${describeParam(param)}, found ${describeType(kind)}`, arg.span));
      });
    });
  }
  return diagnostics;
}

function describeParam(param: ParamKind): string {
  return {
    value: "a bound value",
    operand: "a bound value",
    node: "a node binding ('conv: Conv(…)')",
    maybeConst: "a constant tensor",
    tensor: "a constant tensor",
    int: "an int",
    number: "a number",
    ints: "a list of ints",
    list: "a list",
    bools: "a list of bools (a list compared with a number: 'pads == 0')",
    string: "a string",
    any: "a value",
  }[param];
}

