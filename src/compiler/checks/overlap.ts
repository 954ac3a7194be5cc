/**
 * No rule is shadowed by an earlier rule on the same root op at the same priority (the earlier
 * pattern matches everything the later one does and has no condition), and two such rules whose
 * patterns can match the same node are reported: an error without conditions, else a warning.
 * Members of one rule (a named pattern's alternatives) are tried in the order written, so their
 * overlap is intended; one that an earlier member shadows is still an error.
 */
import type { Literal, OpDecl, OpPattern, Pattern, Rule } from "../ast.js";
import { error, warning, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";

export function checkOverlap(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const byRoot = new Map<OpDecl, Rule[]>();
  for (const rule of program.rules) {
    const root = program.ops.resolve(rule.pattern.op);
    if (root) byRoot.set(root, [...(byRoot.get(root) ?? []), rule]);
  }
  const patterns = new PatternRelations(program);
  for (const [root, rules] of byRoot) {
    for (let j = 1; j < rules.length; j++) {
      const later = rules[j]!;
      for (let i = 0; i < j; i++) {
        const earlier = rules[i]!;
        if (earlier.priority !== later.priority || sameText(earlier, later)) continue;
        const related = [{ message: `rule '${earlier.name}' is here`, span: earlier.nameSpan }];
        if (!earlier.where && patterns.subsumes(earlier.pattern, later.pattern)) {
          diagnostics.push(
            error("shadowed", `rule '${later.name}' never fires: the earlier rule '${earlier.name}' matches every '${root.name}' it matches, at the same priority, without a condition`, later.nameSpan, related),
          );
        } else if (!sameDeclaration(earlier, later) && patterns.overlaps(earlier.pattern, later.pattern)) {
          const report = earlier.where || later.where ? warning : error;
          diagnostics.push(
            report("overlap", `rules '${earlier.name}' and '${later.name}' can match the same '${root.name}' node at the same priority ${later.priority}; give one a higher priority or make the patterns disjoint`, later.nameSpan, related),
          );
        }
      }
    }
  }
  return diagnostics;
}

function sameDeclaration(a: Rule, b: Rule): boolean {
  return a.span.file === b.span.file && a.span.start.offset === b.span.start.offset;
}

/** Exact duplicates are the duplicate-rule check's. */
function sameText(a: Rule, b: Rule): boolean {
  return a.matchText.replace(/\s+/g, "") === b.matchText.replace(/\s+/g, "") && JSON.stringify(a.family?.bindings) === JSON.stringify(b.family?.bindings);
}

/** What a pattern accepts at one operand slot: absence, and which present values. */
interface Slot {
  absent: boolean;
  present: { kind: "any" } | { kind: "const" } | { kind: "literal"; value: number } | { kind: "op"; pattern: OpPattern } | { kind: "none" };
}

const ANY = { kind: "any" } as const;

/** Containment and intersection of patterns, following lowering's matching semantics. */
export class PatternRelations {
  constructor(private readonly program: Program) {}

  /** Every node `b` matches, `a` matches too. */
  subsumes(a: OpPattern, b: OpPattern): boolean {
    if (repeatsVariable(a)) return false;
    return this.opRelation(a, b, (x, y) => this.slotSubsumes(x, y), (x, y) => literalAttrsIncluded(x, y));
  }

  /** Some node could match both. Repeated variables are ignored (an over-approximation). */
  overlaps(a: OpPattern, b: OpPattern): boolean {
    return this.opRelation(a, b, (x, y) => this.slotOverlaps(x, y), (x, y) => literalAttrsCompatible(x, y));
  }

  private opRelation(a: OpPattern, b: OpPattern, slot: (x: Slot, y: Slot) => boolean, attrs: (x: OpPattern, y: OpPattern) => boolean): boolean {
    const op = this.program.ops.resolve(a.op);
    if (!op || op !== this.program.ops.resolve(b.op) || !attrs(a, b)) return false;
    const variadic = op.operands.some((o) => o.arity === "variadic");
    if (variadic && a.operands.length !== b.operands.length) return false;
    const count = Math.max(a.operands.length, b.operands.length, variadic ? 0 : op.operands.length);
    const slotsA = slots(a, count);
    const slotsB = slots(b, count);
    const inOrder = (xs: Slot[]) => xs.every((x, i) => slot(x, slotsB[i]!));
    if (inOrder(slotsA)) return true;
    const commutative = op.commutative && a.operands.length === 2 && b.operands.length === 2;
    return commutative && inOrder([slotsA[1]!, slotsA[0]!, ...slotsA.slice(2)]);
  }

  private slotSubsumes(a: Slot, b: Slot): boolean {
    if (b.absent && !a.absent) return false;
    const x = a.present;
    const y = b.present;
    if (y.kind === "none" || x.kind === "any") return true;
    switch (x.kind) {
      case "none":
        return false;
      case "const":
        return y.kind === "const" || y.kind === "literal";
      case "literal":
        return y.kind === "literal" && y.value === x.value;
      case "op":
        return y.kind === "op" && this.subsumes(x.pattern, y.pattern);
    }
  }

  private slotOverlaps(a: Slot, b: Slot): boolean {
    if (a.absent && b.absent) return true;
    const x = a.present;
    const y = b.present;
    if (x.kind === "none" || y.kind === "none") return false;
    if (x.kind === "any" || y.kind === "any") return true;
    if (x.kind === "op" || y.kind === "op") return x.kind === "op" && y.kind === "op" && this.overlaps(x.pattern, y.pattern);
    if (x.kind === "literal" && y.kind === "literal") return x.value === y.value;
    return true;
  }
}

/** The slots of an op pattern's operands; omitted trailing operands must be absent. */
function slots(pattern: OpPattern, count: number): Slot[] {
  return Array.from({ length: count }, (_, i) => {
    const operand = pattern.operands[i];
    return operand ? slotOf(operand) : { absent: true, present: { kind: "none" } };
  });
}

function slotOf(pattern: Pattern): Slot {
  switch (pattern.kind) {
    case "WildcardPattern":
      return { absent: true, present: ANY };
    case "VarPattern":
      return { absent: pattern.optional, present: pattern.constant ? { kind: "const" } : ANY };
    case "LiteralPattern":
      return { absent: false, present: { kind: "literal", value: pattern.value } };
    case "OpPattern":
      return { absent: false, present: { kind: "op", pattern } };
  }
}

function literalAttrs(pattern: OpPattern): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const attr of pattern.attrs) if (attr.value.kind !== "Ident") attrs.set(attr.name.name, literalKey(attr.value));
  return attrs;
}

function literalKey(literal: Literal): string {
  return literal.kind === "List" ? `[${literal.items.map(literalKey).join(",")}]` : JSON.stringify(literal.value);
}

/** Every attribute `a` tests, `b` tests for the same literal. */
function literalAttrsIncluded(a: OpPattern, b: OpPattern): boolean {
  const fromB = literalAttrs(b);
  return [...literalAttrs(a)].every(([name, value]) => fromB.get(name) === value);
}

/** No attribute is tested for two different literals. */
function literalAttrsCompatible(a: OpPattern, b: OpPattern): boolean {
  const fromB = literalAttrs(b);
  return [...literalAttrs(a)].every(([name, value]) => !fromB.has(name) || fromB.get(name) === value);
}

/** A variable occurring twice constrains two operands to be equal. */
function repeatsVariable(pattern: OpPattern): boolean {
  const seen = new Set<string>();
  const visit = (p: Pattern): boolean => {
    if (p.kind === "OpPattern") return p.operands.some(visit);
    if (p.kind !== "VarPattern") return false;
    if (seen.has(p.name.name)) return true;
    seen.add(p.name.name);
    return false;
  };
  return visit(pattern);
}
