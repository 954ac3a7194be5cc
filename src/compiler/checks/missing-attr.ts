/** Every result op sets each required attribute (one without a default), directly or by a spread. */
import { error, type Diagnostic } from "../diagnostics.js";
import { attrDecl, resultOps, type Program } from "../program.js";

export function checkMissingAttr(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    for (const result of resultOps(rule.result)) {
      const op = program.ops.resolve(result.op);
      if (!op) continue;
      const given = new Set<string>();
      for (const attr of result.attrs) {
        if (attr.name) given.add(attr.name.name);
        const source = attr.spread && scope.bindings.get(attr.spread.name);
        if (source?.kind === "node" && source.op) for (const a of source.op.attrs) if (attrDecl(op, a.name)) given.add(a.name);
      }
      const missing = op.attrs.filter((a) => a.default === undefined && !given.has(a.name));
      for (const attr of missing) {
        diagnostics.push(
          error("missing-attr", `result op '${op.name}' needs attribute '${attr.name}' (it has no default)`, result.op.span, [
            { message: `'${attr.name}' is declared here`, span: attr.span },
          ]),
        );
      }
    }
  }
  return diagnostics;
}
