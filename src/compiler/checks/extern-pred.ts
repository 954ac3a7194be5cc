/**
 * An extern predicate has a name of its own (not a built-in's, not one generated code declares),
 * and every call passes as many arguments as it declares, each of the declared type.
 */
import type { ParamType } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { forEachExpr, typeOf, type Program } from "../program.js";
import { describeType, type Type } from "../types.js";
import { lookupBuiltin } from "../builtins.js";
import { isGeneratedName } from "../lower.js";
import { paramTypeUnknown } from "../type-names.js";

const accepts: Record<ParamType, Type[]> = {
  value: ["value", "const"],
  node: ["value"],
  int: ["int"],
  float: ["int", "float"],
  string: ["string"],
  ints: ["ints"],
  floats: ["ints", "floats"],
  tensor: ["tensor", "const", "int", "float", "ints", "floats"],
  bool: ["bool"],
};

export function checkExternPred(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const file of program.files) {
    for (const extern of file.externs) {
      // A built-in of the same name would be called instead of the user's predicate.
      if (lookupBuiltin(extern.name)) {
        diagnostics.push(error("extern-pred", `'${extern.name}' is a built-in function; give the extern predicate another name`, extern.span));
      } else if (isGeneratedName(extern.name)) {
        diagnostics.push(error("extern-pred", `'${extern.name}' is a name generated code uses; give the extern predicate another name`, extern.span));
      }
    }
  }
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    forEachExpr(rule, (expr) => {
      if (expr.kind !== "Call" || expr.qualifiedOp || lookupBuiltin(expr.callee.name)) return;
      const extern = program.externs.get(expr.callee.name);
      if (!extern) return;
      const declared = { message: `'${extern.name}' is declared here`, span: extern.span };
      if (expr.args.length !== extern.params.length) {
        const signature = extern.params.map((p) => `${p.name}: ${p.type}`).join(", ");
        diagnostics.push(
          error("extern-pred", `'${extern.name}' takes ${extern.params.length} argument(s) (${signature}), found ${expr.args.length}`, expr.span, [declared]),
        );
        return;
      }
      expr.args.forEach((arg, i) => {
        const param = extern.params[i]!;
        const kind = typeOf(scope, arg);
        const isNode = arg.kind === "Ident" && scope.references.get(arg)?.kind === "node";
        if (kind === "unknown" || paramTypeUnknown(param) || (accepts[param.type].includes(kind) && (param.type !== "node" || isNode))) return;
        const found = param.type === "node" && kind === "value" ? "a value that is not a node binding" : describeType(kind);
        diagnostics.push(error("extern-pred", `argument '${param.name}' of '${extern.name}' must be a ${param.type}, found ${found}`, arg.span, [declared]));
      });
    });
  }
  return diagnostics;
}
