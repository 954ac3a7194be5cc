/**
 * Expansion, the phase between parsing and name resolution: turns what a file declares into
 * the plain rules every later phase works on.
 *
 * - A rule family (`for (act, name) in [(Relu, "RELU"), …] { rule … }`) becomes one rule per
 *   iteration, its loop variables replaced by the iteration's values (`Fuse[Relu,"RELU"]`).
 * - A use of a named pattern (`pattern HardSigmoidOf(x) = A | B | C`) inside a rule's pattern
 *   becomes one rule per alternative (`HardSwish[HardSigmoid]`, `HardSwish[Div]`, …): the
 *   alternative replaces the use, its parameters are the use's operands, its own variables are
 *   renamed apart (`hs_c` for `c` under `hs: HardSigmoidOf(x)`), and its `where` is checked
 *   before the rule's. Every later check sees the expanded rules, so an alternative is checked
 *   like any pattern, with diagnostics at its own source.
 * - A call in a result that names a built-in (`=> sqrt(c)`, parsed like a result op) becomes a
 *   constant expression, its arguments too (`sqrt(Relu(x))` then calls an unknown function).
 */
import type { Alternative, Expr, FamilyDecl, FamilyValue, Ident, Literal, OpPattern, OpRef, Pattern, PatternDecl, ResultExpr, ResultOp, Rule, RulesFile, Span } from "./ast.js";
import { lookupBuiltin } from "./builtins.js";
import { error, warning, type Diagnostic } from "./diagnostics.js";

/** Expands every file's families and named-pattern uses into `file.rules`. */
export function expand(files: readonly RulesFile[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report = (code: string) => (message: string, span: Span) => diagnostics.push(error(code, message, span));
  const patterns = new Map<string, PatternDecl>();
  for (const file of files) {
    for (const p of file.patterns) {
      const first = patterns.get(p.name.name);
      if (first) diagnostics.push(error("duplicate-pattern", `pattern '${p.name.name}' is declared twice`, p.name.span, [{ message: "the first declaration", span: first.name.span }]));
      else patterns.set(p.name.name, p);
    }
  }
  const opNames = new Set(files.flatMap((f) => f.dialects.flatMap((d) => d.ops.map((o) => o.name))));
  for (const p of [...patterns.values()]) {
    if (!opNames.has(p.name.name)) continue;
    // Uses of the name stay uses of the op.
    report("duplicate-pattern")(`'${p.name.name}' is an op; a named pattern needs a name of its own`, p.name.span);
    patterns.delete(p.name.name);
  }
  const used = new Set<string>();
  const expander = new PatternExpansion(patterns, used, report("pattern"));
  for (const file of files) {
    const rules = file.declared.flatMap((d) => (d.kind === "Family" ? expandFamily(d, report("family")) : [d]));
    file.rules = rules.flatMap((rule) => expander.rule(rule)).map((rule) => ({ ...rule, result: builtinCalls(rule.result) }));
  }
  for (const p of patterns.values()) {
    if (!used.has(p.name.name)) diagnostics.push(warning("unused-pattern", `pattern '${p.name.name}' is never used, so it is not checked`, p.name.span));
  }
  return diagnostics;
}

/** `result` with its result ops that name a built-in (unqualified, without attributes) made calls. */
function builtinCalls(result: ResultExpr): ResultExpr {
  if (result.kind !== "ResultOp") return result;
  if (result.op.dialect === undefined && result.attrs.length === 0 && lookupBuiltin(result.op.name)) return asCall(result);
  return { ...result, operands: result.operands.map(builtinCalls) };
}

/** A result op as a call; nested result ops become calls too (of built-ins, or of unknown functions the checks report). */
function asCall(op: ResultOp): Expr {
  const args = op.operands.map((operand) => (operand.kind === "ResultOp" ? asCall(operand) : operand));
  return { kind: "Call", callee: { kind: "Ident", name: op.op.name, span: op.op.span }, args, span: op.span };
}

// ── named patterns ───────────────────────────────────────────────────────────────────────────

/** How deep named patterns may use each other (a pattern using itself never ends). */
const MAX_DEPTH = 16;

class PatternExpansion {
  constructor(
    private readonly patterns: ReadonlyMap<string, PatternDecl>,
    private readonly used: Set<string>,
    private readonly report: (message: string, span: Span) => void,
  ) {}

  /** The rule with its first use of a named pattern replaced by each alternative, recursively. */
  rule(rule: Rule, depth = 0): Rule[] {
    const use = this.firstUse(rule.pattern);
    if (!use) return [rule];
    const decl = this.patterns.get(use.op.name)!;
    this.used.add(decl.name.name);
    if (depth >= MAX_DEPTH) {
      this.report(`pattern '${decl.name.name}' uses itself (through ${MAX_DEPTH} levels): it would never end`, use.span);
      return [];
    }
    if (use.operands.length !== decl.params.length) {
      this.report(`pattern '${decl.name.name}' takes ${decl.params.length} operand(s) (${decl.params.map((p) => p.name).join(", ")}), got ${use.operands.length}`, use.span);
      return [];
    }
    if (use.attrs.length > 0) {
      this.report(`pattern '${decl.name.name}' takes no attributes; constrain them inside its alternatives`, use.attrs[0]!.span);
      return [];
    }
    const labels = alternativeLabels(decl.alternatives);
    return decl.alternatives.flatMap((alt, i) => {
      // An alternative that is not an op (reported by the pattern-root check) makes no rule.
      if (alt.writtenRoot) return [];
      const replaced = this.instantiate(decl, alt, use, rule);
      if (!replaced) return [];
      const bindings = { ...(rule.family?.bindings ?? {}), [decl.name.name]: alt.text };
      const member: Rule = {
        ...rule,
        name: `${rule.name}[${labels[i]}]`,
        pattern: replaceUse(rule.pattern, use, replaced.pattern) as OpPattern,
        where: replaced.where && rule.where ? { kind: "Binary", op: "&&", left: replaced.where, right: rule.where, span: rule.where.span } : (replaced.where ?? rule.where),
        family: { name: rule.family?.name ?? rule.name, bindings, patterns: [...(rule.family?.patterns ?? []), decl.name.name] },
      };
      return this.rule(member, depth + 1);
    });
  }

  private firstUse(pattern: Pattern): OpPattern | undefined {
    if (pattern.kind !== "OpPattern") return undefined;
    if (pattern.op.dialect === undefined && this.patterns.has(pattern.op.name)) return pattern;
    for (const operand of pattern.operands) {
      const found = this.firstUse(operand);
      if (found) return found;
    }
    return undefined;
  }

  /** The alternative with its parameters replaced by the use's operands and its own names renamed apart. */
  private instantiate(decl: PatternDecl, alt: Alternative, use: OpPattern, rule: Rule): { pattern: OpPattern; where?: Expr } | undefined {
    const params = new Map(decl.params.map((p, i) => [p.name, use.operands[i]!]));
    const prefix = use.binding?.name ?? lowerFirst(decl.name.name);
    const taken = namesIn(rule);
    const renames = new Map<string, string>();
    for (const local of localNames(alt, params)) {
      let fresh = `${prefix}_${local}`;
      for (let k = 2; taken.has(fresh); k++) fresh = `${prefix}_${local}${k}`;
      taken.add(fresh);
      renames.set(local, fresh);
    }
    // The use's binding names the alternative's root: a root binding of its own is an alias of it.
    if (use.binding && alt.pattern.binding) renames.set(alt.pattern.binding.name, use.binding.name);
    // A parameter named in the `where` stands for what the use passed: a variable, or a bound op.
    const paramNames = new Map<string, string>();
    let ok = true;
    for (const [name, operand] of params) {
      if (operand.kind === "VarPattern") paramNames.set(name, operand.name.name);
      else if (operand.kind === "OpPattern" && operand.binding) paramNames.set(name, operand.binding.name);
      const uses = countParamUses(alt.pattern, name);
      if (uses > 1 && operand.kind !== "VarPattern" && operand.kind !== "WildcardPattern") {
        this.report(`'${name}' appears ${uses} times in this alternative of '${decl.name.name}', so the use must pass a variable for it, not a pattern`, operand.span);
        ok = false;
      }
      if (alt.where && mentions(alt.where, name) && !paramNames.has(name)) {
        this.report(`the condition of this alternative of '${decl.name.name}' reads '${name}': pass a variable or a bound op for it`, operand.span);
        ok = false;
      }
    }
    if (!ok) return undefined;
    const substitute = (pattern: Pattern, root = false): Pattern => {
      switch (pattern.kind) {
        case "VarPattern": {
          const passed = params.get(pattern.name.name);
          if (passed) return passed;
          return { ...pattern, name: rename(pattern.name, renames) };
        }
        case "OpPattern": {
          const binding = root && use.binding ? use.binding : pattern.binding && rename(pattern.binding, renames);
          return {
            ...pattern,
            ...(binding ? { binding } : {}),
            operands: pattern.operands.map((o) => substitute(o)),
            attrs: pattern.attrs.map((a) => (a.value.kind === "Ident" ? { ...a, value: rename(a.value, renames) } : a)),
          };
        }
        default:
          return pattern;
      }
    };
    const all = new Map([...renames, ...paramNames]);
    return { pattern: substitute(alt.pattern, true) as OpPattern, where: alt.where && renameExpr(alt.where, all) };
  }
}

/** `HardSigmoid`, `Div`, `Mul` — each alternative by its root op, numbered where two share one. */
function alternativeLabels(alternatives: readonly Alternative[]): string[] {
  const names = alternatives.map((a) => (a.pattern.op.dialect ? `${a.pattern.op.dialect}.${a.pattern.op.name}` : a.pattern.op.name));
  return names.map((n, i) => (names.filter((m) => m === n).length > 1 ? `${n}#${names.slice(0, i + 1).filter((m) => m === n).length}` : n));
}

function replaceUse(pattern: Pattern, use: OpPattern, by: OpPattern): Pattern {
  if (pattern === use) return by;
  if (pattern.kind !== "OpPattern") return pattern;
  return { ...pattern, operands: pattern.operands.map((o) => replaceUse(o, use, by)) };
}

/** Names the alternative binds itself (variables, node bindings, captured attributes), parameters excluded. */
function localNames(alt: Alternative, params: ReadonlyMap<string, Pattern>): Set<string> {
  const names = new Set<string>();
  const visit = (p: Pattern): void => {
    if (p.kind === "VarPattern" && !params.has(p.name.name)) names.add(p.name.name);
    if (p.kind !== "OpPattern") return;
    if (p.binding) names.add(p.binding.name);
    for (const a of p.attrs) if (a.value.kind === "Ident") names.add(a.value.name);
    p.operands.forEach(visit);
  };
  visit(alt.pattern);
  return names;
}

function countParamUses(pattern: Pattern, name: string): number {
  if (pattern.kind === "VarPattern") return pattern.name.name === name ? 1 : 0;
  if (pattern.kind !== "OpPattern") return 0;
  return pattern.operands.reduce((n, o) => n + countParamUses(o, name), 0);
}

/** Every name a rule binds or reads, so renamed names stay apart from them. */
function namesIn(rule: Rule): Set<string> {
  const names = new Set<string>();
  const visit = (p: Pattern): void => {
    if (p.kind === "VarPattern") names.add(p.name.name);
    if (p.kind !== "OpPattern") return;
    if (p.binding) names.add(p.binding.name);
    for (const a of p.attrs) if (a.value.kind === "Ident") names.add(a.value.name);
    p.operands.forEach(visit);
  };
  visit(rule.pattern);
  rule.lets.forEach((l) => names.add(l.name.name));
  return names;
}

function rename(ident: Ident, renames: ReadonlyMap<string, string>): Ident {
  const to = renames.get(ident.name);
  return to === undefined ? ident : { ...ident, name: to };
}

function mentions(expr: Expr, name: string): boolean {
  let found = false;
  renameExpr(expr, new Map(), (ident) => {
    if (ident.name === name) found = true;
  });
  return found;
}

/** `expr` with identifiers renamed (call names are not variables and stay). */
function renameExpr(expr: Expr, renames: ReadonlyMap<string, string>, seen?: (ident: Ident) => void): Expr {
  const go = (e: Expr): Expr => renameExpr(e, renames, seen);
  switch (expr.kind) {
    case "Ident":
      seen?.(expr);
      return rename(expr, renames);
    case "ListExpr":
      return { ...expr, items: expr.items.map(go) };
    case "Unary":
      return { ...expr, operand: go(expr.operand) };
    case "Binary":
      return { ...expr, left: go(expr.left), right: go(expr.right) };
    case "Along":
      return { ...expr, operand: go(expr.operand) };
    case "Index":
      return { ...expr, target: go(expr.target), index: go(expr.index) };
    case "Call":
      return { ...expr, args: expr.args.map(go) };
    default:
      return expr;
  }
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

// ── rule families ────────────────────────────────────────────────────────────────────────────

function expandFamily(family: FamilyDecl, report: (message: string, span: Span) => void): Rule[] {
  const expanded: Rule[] = [];
  for (const iteration of family.iterations) {
    if (iteration.values.length !== family.variables.length) {
      report(`this iteration has ${iteration.values.length} value(s) but the loop has ${family.variables.length} variable(s)`, iteration.span);
      continue;
    }
    const bindings = new Map(family.variables.map((v, i) => [v.name, iteration.values[i]!]));
    for (const rule of family.rules) expanded.push(new FamilySubstitution(bindings, report).rule(rule));
  }
  return expanded;
}

/** Replaces a family's loop variables in one rule by one iteration's values. */
class FamilySubstitution {
  constructor(
    private readonly values: Map<string, FamilyValue>,
    private readonly report: (message: string, span: Span) => void,
  ) {}

  rule(rule: Rule): Rule {
    const bindings: Record<string, string> = {};
    for (const [name, value] of this.values) bindings[name] = value.text;
    // Every use of a loop variable becomes its value, so a let of the same name would be
    // silently ignored.
    for (const l of rule.lets) if (this.values.has(l.name.name)) this.rebound(l.name, "a let");
    return {
      ...rule,
      name: `${rule.name}[${[...this.values.values()].map((v) => v.text).join(",")}]`,
      pattern: this.opPattern(rule.pattern),
      where: rule.where && this.expr(rule.where),
      lets: rule.lets.map((l) => ({ ...l, value: this.expr(l.value) })),
      result: this.result(rule.result),
      family: { name: rule.name, bindings },
    };
  }

  private opRef(ref: OpRef): OpRef {
    const value = ref.dialect === undefined ? this.values.get(ref.name) : undefined;
    if (!value) return ref;
    if (value.kind === "op") return { ...value.ref, span: ref.span };
    this.report(`the loop variable '${ref.name}' stands for the literal ${value.text}, not for an op`, ref.span);
    return ref;
  }

  private opPattern(pattern: OpPattern): OpPattern {
    if (pattern.binding && this.values.has(pattern.binding.name)) this.rebound(pattern.binding, "a node binding");
    return {
      ...pattern,
      op: this.opRef(pattern.op),
      operands: pattern.operands.map((p) => this.pattern(p)),
      attrs: pattern.attrs.map((a) => (a.value.kind === "Ident" ? { ...a, value: this.literalFor(a.value) ?? a.value } : a)),
    };
  }

  private pattern(pattern: Pattern): Pattern {
    if (pattern.kind === "OpPattern") return this.opPattern(pattern);
    if (pattern.kind !== "VarPattern") return pattern;
    const literal = this.literalFor(pattern.name);
    if (!literal) return pattern;
    // `c: const` or `b?` binds a variable; as a leaf the loop variable would be its literal.
    if (pattern.constant || pattern.optional) {
      this.rebound(pattern.name, pattern.constant ? "a constant (': const')" : "an optional operand ('?')");
      return pattern;
    }
    if (literal.kind !== "Number") {
      const value = this.values.get(pattern.name.name);
      const what = value?.kind === "op" ? `the op ${value.ref.name}` : `a ${literal.kind.toLowerCase()}`;
      this.report(`the loop variable '${pattern.name.name}' stands for ${what}; only numbers can be pattern leaves`, pattern.span);
      return pattern;
    }
    return { kind: "LiteralPattern", value: literal.value, span: pattern.span };
  }

  private rebound(name: Ident, as: string): void {
    const value = this.values.get(name.name)!;
    this.report(`'${name.name}' is a loop variable of the family (here ${value.text}); it cannot also be bound as ${as}: rename one of them`, name.span);
  }

  /** The literal a loop variable used as a value stands for (an op name becomes its string). */
  private literalFor(ident: Ident): Literal | undefined {
    const value = this.values.get(ident.name);
    if (!value) return undefined;
    if (value.kind === "op") return { kind: "String", value: value.ref.name, span: ident.span };
    return { ...value.literal, span: ident.span };
  }

  private result(result: ResultExpr): ResultExpr {
    if (result.kind !== "ResultOp") return this.expr(result);
    return {
      ...result,
      op: this.opRef(result.op),
      operands: result.operands.map((o) => this.result(o) as ResultOp | Expr),
      attrs: result.attrs.map((a) => ({ ...a, value: a.value && this.expr(a.value) })),
    };
  }

  private expr(expr: Expr): Expr {
    switch (expr.kind) {
      case "Ident":
        return this.literalFor(expr) ?? expr;
      case "ListExpr":
        return { ...expr, items: expr.items.map((i) => this.expr(i)) };
      case "Unary":
        return { ...expr, operand: this.expr(expr.operand) };
      case "Binary":
        return { ...expr, left: this.expr(expr.left), right: this.expr(expr.right) };
      case "Along":
        return { ...expr, operand: this.expr(expr.operand) };
      case "Index":
        return { ...expr, target: this.expr(expr.target), index: this.expr(expr.index) };
      case "Call": {
        const value = this.values.get(expr.callee.name);
        const callee = value?.kind === "op" ? { ...expr.callee, name: value.ref.name } : expr.callee;
        return { ...expr, callee, args: expr.args.map((a) => this.expr(a)) };
      }
      default:
        return expr;
    }
  }
}
