/**
 * Every attribute a pattern tests or a result sets is declared by the op, and a spread
 * (`...conv`) copies no attribute the result op does not declare.
 */
import type { OpDecl } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { attrDecl, closest, opPatterns, resultOps, type Program } from "../program.js";

export function checkUnknownAttr(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const unknown = (op: OpDecl, name: string) => {
    const suggestion = closest(name, op.attrs.map((a) => a.name));
    const known = op.attrs.length === 0 ? `'${op.name}' has no attributes` : suggestion ? `did you mean '${suggestion}'?` : `'${op.name}' has ${op.attrs.map((a) => a.name).join(", ")}`;
    return `unknown attribute '${name}' of '${op.name}'; ${known}`;
  };
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    for (const pattern of opPatterns(rule.pattern)) {
      const op = program.ops.resolve(pattern.op);
      if (!op) continue;
      for (const attr of pattern.attrs) {
        if (!attrDecl(op, attr.name.name)) diagnostics.push(error("unknown-attr", unknown(op, attr.name.name), attr.name.span));
      }
    }
    for (const result of resultOps(rule.result)) {
      const op = program.ops.resolve(result.op);
      if (!op) continue;
      for (const attr of result.attrs) {
        if (attr.name && !attrDecl(op, attr.name.name)) diagnostics.push(error("unknown-attr", unknown(op, attr.name.name), attr.name.span));
        if (!attr.spread) continue;
        const source = scope.bindings.get(attr.spread.name);
        if (source?.kind !== "node" || !source.op) continue;
        const foreign = source.op.attrs.filter((a) => !attrDecl(op, a.name)).map((a) => a.name);
        if (foreign.length === 0) continue;
        diagnostics.push(
          error(
            "unknown-attr",
            `'...${attr.spread.name}' copies attribute(s) ${foreign.map((n) => `'${n}'`).join(", ")} of '${source.op.name}' that '${op.name}' does not declare`,
            attr.span,
          ),
        );
      }
    }
  }
  return diagnostics;
}
