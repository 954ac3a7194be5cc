/** Every name a condition, let or result reads is bound by the pattern or by an earlier let. */
import { error, type Diagnostic } from "../diagnostics.js";
import { closest, type Program } from "../program.js";

export function checkUnboundVar(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    for (const ident of scope.unresolved) {
      const suggestion = closest(ident.name, scope.bindings.keys());
      const hint = suggestion ? `; did you mean '${suggestion}'?` : "";
      diagnostics.push(error("unbound-var", `'${ident.name}' is not bound by the pattern or a let${hint}`, ident.span));
    }
    for (const ident of scope.usedBeforeLet) {
      const binding = scope.bindings.get(ident.name);
      diagnostics.push(
        error("unbound-var", `'${ident.name}' is used before its let`, ident.span, binding ? [{ message: `'${ident.name}' is defined here`, span: binding.span }] : []),
      );
    }
  }
  return diagnostics;
}
