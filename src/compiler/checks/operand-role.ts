/**
 * Operand roles name the role vocabulary (src/compiler/roles.ts) with arguments of the kinds it
 * declares: operands of the same op declared earlier, the op's attributes, integers, layouts;
 * an operand holds at most one shape role and one range role.
 */
import type { OpDecl, OperandDecl, OperandRole, RoleArg } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";
import { isRoleName, LAYOUTS, ROLES, type RoleParamKind } from "../roles.js";
import { closest } from "../suggest.js";

export function checkOperandRole(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const file of program.files) {
    for (const dialect of file.dialects) {
      for (const op of dialect.ops) {
        op.operands.forEach((operand, index) => {
          const kinds = new Map<string, OperandRole>();
          for (const role of operand.roles) {
            if (!isRoleName(role.name)) {
              const suggestion = closest(role.name, Object.keys(ROLES));
              diagnostics.push(error("operand-role", `unknown operand role '${role.name}'${suggestion ? ` (did you mean '${suggestion}'?)` : ""}; roles: ${Object.keys(ROLES).join(", ")}`, role.span));
              continue;
            }
            const spec = ROLES[role.name];
            // `constant` roles fix the shape as well: one of them or one shape role.
            const slot = spec.kind === "range" ? "range" : "shape";
            const earlier = kinds.get(slot);
            if (earlier) {
              diagnostics.push(error("operand-role", `operand '${operand.name}' of '${op.name}' has two ${slot} roles, '${earlier.name}' and '${role.name}'`, role.span));
            }
            kinds.set(slot, role);
            diagnostics.push(...checkArgs(op, operand, index, role, spec.params));
          }
          const shape = kinds.get("shape");
          if (shape && kinds.has("range") && isRoleName(shape.name) && ROLES[shape.name].kind === "constant") {
            diagnostics.push(error("operand-role", `'${shape.name}' fixes the contents of '${operand.name}': it takes no range role`, kinds.get("range")!.span));
          }
        });
      }
    }
  }
  return diagnostics;
}

function checkArgs(op: OpDecl, operand: OperandDecl, index: number, role: OperandRole, params: readonly { name: string; kind: RoleParamKind; optional?: boolean }[]): Diagnostic[] {
  const required = params.filter((p) => !p.optional).length;
  if (role.args.length < required || role.args.length > params.length) {
    const count = required === params.length ? `${required}` : `${required} to ${params.length}`;
    const signature = `${role.name}(${params.map((p) => `${p.name}${p.optional ? "?" : ""}`).join(", ")})`;
    return [error("operand-role", `'${role.name}' takes ${count} argument(s), found ${role.args.length}: ${params.length === 0 ? role.name : signature}`, role.span)];
  }
  const problems: Diagnostic[] = [];
  role.args.forEach((arg, i) => {
    const problem = argProblem(op, operand, index, arg, params[i]!.kind);
    if (problem) problems.push(error("operand-role", `argument ${i + 1} of '${role.name}' (${params[i]!.name}): ${problem}`, arg.span));
  });
  return problems;
}

function argProblem(op: OpDecl, operand: OperandDecl, index: number, arg: RoleArg, kind: RoleParamKind): string | undefined {
  const attr = (name: string) => op.attrs.find((a) => a.name === name);
  switch (kind) {
    case "operand": {
      if (arg.kind !== "name") return `expected an operand of '${op.name}', found ${arg.value}`;
      const at = op.operands.findIndex((o) => o.name === arg.name);
      if (at < 0) return `'${arg.name}' is not an operand of '${op.name}'`;
      // Synthesis builds operands in order: a role reads only the ones built before.
      if (at >= index) return `'${arg.name}' must be declared before '${operand.name}'`;
      return undefined;
    }
    case "attr":
      if (arg.kind !== "name") return `expected an attribute of '${op.name}', found ${arg.value}`;
      return attr(arg.name)?.type.kind === "int" ? undefined : `'${arg.name}' is not an int attribute of '${op.name}'`;
    case "int":
      return arg.kind === "number" && Number.isInteger(arg.value) ? undefined : `expected an integer (an axis), found ${arg.kind === "name" ? `'${arg.name}'` : arg.value}`;
    case "layout":
      return arg.kind === "name" && (LAYOUTS as readonly string[]).includes(arg.name) ? undefined : `expected a layout (${LAYOUTS.join(" or ")})`;
    case "trans":
      if (arg.kind === "number") return arg.value === 0 || arg.value === 1 ? undefined : `expected 0, 1 or an int attribute, found ${arg.value}`;
      return attr(arg.name)?.type.kind === "int" ? undefined : `'${arg.name}' is not an int attribute of '${op.name}'`;
  }
}
