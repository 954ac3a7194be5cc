/** `...name` in a result's attributes names a node binding (`name: Op(…)`), whose attributes it copies. */
import { error, type Diagnostic } from "../diagnostics.js";
import { resultOps, type Program } from "../program.js";

export function checkBadSpread(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    for (const result of resultOps(rule.result)) {
      for (const attr of result.attrs) {
        if (!attr.spread) continue;
        const binding = scope.bindings.get(attr.spread.name);
        if (!binding || binding.kind === "node") continue;
        diagnostics.push(
          error("bad-spread", `'...${attr.spread.name}' copies a matched node's attributes, but '${attr.spread.name}' is a ${binding.kind}, not a node binding ('${attr.spread.name}: Op(…)')`, attr.spread.span),
        );
      }
    }
  }
  return diagnostics;
}
