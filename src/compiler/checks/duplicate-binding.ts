/**
 * A name is bound once per rule. The one repetition with a meaning is a pattern variable that
 * reappears (`Add(x, Mul(x, c))`, or `Mul(r: Relu(y), r)`): both places hold the same value.
 * A captured attribute, node binding or let that reuses a name would silently replace the first
 * binding without comparing anything, so it is an error.
 */
import type { Ident, OpPattern, Pattern } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";

type SiteKind = "variable" | "node binding" | "captured attribute" | "let";

interface Site {
  ident: Ident;
  kind: SiteKind;
}

export function checkDuplicateBinding(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const rule of program.rules) {
    const sites: Site[] = [];
    collectOpPattern(rule.pattern, sites);
    for (const l of rule.lets) sites.push({ ident: l.name, kind: "let" });
    const first = new Map<string, Site>();
    for (const site of sites) {
      const earlier = first.get(site.ident.name);
      if (!earlier) {
        first.set(site.ident.name, site);
        continue;
      }
      const sameValue = site.kind === "variable" && (earlier.kind === "variable" || earlier.kind === "node binding");
      if (sameValue) continue;
      const name = site.ident.name;
      diagnostics.push(
        error("duplicate-binding", `'${name}' is already bound (as a ${earlier.kind}); ${advice(site.kind, name)}`, site.ident.span, [
          { message: `'${name}' is first bound here`, span: earlier.ident.span },
        ]),
      );
    }
  }
  return diagnostics;
}

function advice(kind: SiteKind, name: string): string {
  if (kind === "let") return "give the let another name";
  if (kind === "captured attribute") return `a second capture does not compare the values: capture '${name}2' and add 'where ${name} == ${name}2'`;
  return "only a pattern variable may repeat (both places then hold the same value)";
}

/** Binding sites in the order lowering binds them: the node, its attributes, then its operands. */
function collectOpPattern(pattern: OpPattern, into: Site[]): void {
  if (pattern.binding) into.push({ ident: pattern.binding, kind: "node binding" });
  for (const attr of pattern.attrs) if (attr.value.kind === "Ident") into.push({ ident: attr.value, kind: "captured attribute" });
  for (const operand of pattern.operands) collectOperand(operand, into);
}

function collectOperand(pattern: Pattern, into: Site[]): void {
  if (pattern.kind === "OpPattern") collectOpPattern(pattern, into);
  else if (pattern.kind === "VarPattern") into.push({ ident: pattern.name, kind: "variable" });
}
