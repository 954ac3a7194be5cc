/** Every name a rule binds is used (a warning; prefix the name with `_` to keep it unused). */
import { warning, type Diagnostic } from "../diagnostics.js";
import { opPatterns, type Binding, type Program } from "../program.js";

export function checkUnusedBinding(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    const used = new Set<Binding["name"]>([...scope.references.values()].map((b) => b.name));
    // A let read too early is reported by unbound-var; it is read all the same.
    for (const ident of scope.usedBeforeLet) used.add(ident.name);
    // A node binding repeated as a pattern variable (`Mul(r: Relu(y), r)`) constrains an operand.
    const variables = new Set(
      opPatterns(rule.pattern).flatMap((p) => p.operands.flatMap((o) => (o.kind === "VarPattern" ? [o.name.name] : []))),
    );
    for (const binding of scope.bindings.values()) {
      if (binding.kind === "loop" || binding.name.startsWith("_") || used.has(binding.name)) continue;
      // A variable repeated in the pattern is used: it constrains two operands to be the same value.
      if ((binding.kind === "value" || binding.kind === "const") && binding.occurrences.length > 1) continue;
      if (binding.kind === "node" && variables.has(binding.name)) continue;
      const what = { value: "variable", const: "constant", node: "node binding", attr: "captured attribute", let: "let" }[binding.kind];
      const hint = binding.kind === "value" ? "; write '_' to match any value" : binding.kind === "node" ? `; drop '${binding.name}:'` : "";
      diagnostics.push(warning("unused-binding", `${what} '${binding.name}' is never used${hint}`, binding.span));
    }
  }
  return diagnostics;
}
