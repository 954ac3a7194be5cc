/**
 * The resolved program: every loaded file, the op table (lookup of `OpRef`s with dialect
 * qualification and ambiguity), the extern predicates, and for each rule its scope — what every
 * name in it is (value, const value, node binding, captured attribute, let, loop variable) and
 * which binding each identifier refers to, and the type of every expression (types.ts). The
 * checks and lowering read this; nothing here reports diagnostics.
 */
import type {
  AttrDecl,
  AttrType,
  Dialect,
  Expr,
  ExternPred,
  Ident,
  Let,
  OpDecl,
  OpPattern,
  OpRef,
  OperandDecl,
  Pattern,
  ResultExpr,
  ResultOp,
  Rule,
  RulesFile,
  Span,
} from "./ast.js";
import { closest } from "./suggest.js";
import { attrTypeUnknown } from "./type-names.js";
import { typeRule, type Type } from "./types.js";

export interface Program {
  /** Every loaded file, imports first. */
  files: RulesFile[];
  /** The files analyze() was asked for, in order. */
  roots: RulesFile[];
  ops: OpTable;
  /** Extern predicates by name (the first declaration wins). */
  externs: Map<string, ExternPred>;
  /** Every rule of every file, in load order. */
  rules: Rule[];
  scopes: Map<Rule, RuleScope>;
}

// ── ops ────────────────────────────────────────────────────────────────────────────────────

export type OpLookup =
  | { kind: "found"; op: OpDecl }
  | { kind: "unknown"; name: string; suggestion?: string }
  | { kind: "unknown-dialect"; dialect: string; suggestion?: string }
  | { kind: "ambiguous"; candidates: OpDecl[] };

/** Every declared op, by dialect and by bare name. */
export class OpTable {
  private readonly byDialect = new Map<string, Map<string, OpDecl>>();
  private readonly byName = new Map<string, OpDecl[]>();

  constructor(dialects: readonly Dialect[]) {
    for (const dialect of dialects) {
      const ops = this.byDialect.get(dialect.name) ?? new Map<string, OpDecl>();
      this.byDialect.set(dialect.name, ops);
      for (const op of dialect.ops) {
        if (ops.has(op.name)) continue;
        ops.set(op.name, op);
        this.byName.set(op.name, [...(this.byName.get(op.name) ?? []), op]);
      }
    }
  }

  lookup(ref: OpRef): OpLookup {
    if (ref.dialect !== undefined) {
      const ops = this.byDialect.get(ref.dialect);
      if (!ops) return { kind: "unknown-dialect", dialect: ref.dialect, suggestion: closest(ref.dialect, [...this.byDialect.keys()]) };
      const op = ops.get(ref.name);
      if (op) return { kind: "found", op };
      return { kind: "unknown", name: `${ref.dialect}.${ref.name}`, suggestion: closest(ref.name, [...ops.keys()]) };
    }
    const candidates = this.byName.get(ref.name) ?? [];
    if (candidates.length === 1) return { kind: "found", op: candidates[0]! };
    if (candidates.length > 1) return { kind: "ambiguous", candidates };
    return { kind: "unknown", name: ref.name, suggestion: closest(ref.name, [...this.byName.keys()]) };
  }

  /** The op `ref` names, when it names exactly one. */
  resolve(ref: OpRef): OpDecl | undefined {
    const found = this.lookup(ref);
    return found.kind === "found" ? found.op : undefined;
  }

  dialectNames(): string[] {
    return [...this.byDialect.keys()];
  }

  /** Every op, dialect by dialect. */
  all(): OpDecl[] {
    return [...this.byDialect.values()].flatMap((ops) => [...ops.values()]);
  }
}

/** The operand declaration that pattern/result operand `index` of `op` fills (variadics absorb the rest). */
export function operandDeclAt(op: OpDecl, index: number): OperandDecl | undefined {
  const variadic = op.operands.findIndex((o) => o.arity === "variadic");
  if (variadic >= 0 && index >= variadic) return op.operands[variadic];
  return op.operands[index];
}

export function attrDecl(op: OpDecl, name: string): AttrDecl | undefined {
  return op.attrs.find((a) => a.name === name);
}

export { closest };

// ── rule scopes ──────────────────────────────────────────────────────────────────────────────

/** What a name in a rule is. `span` is where it is bound (its first occurrence). */
export type Binding =
  /** A pattern variable: any value (`x`), or absent too when `optional` (`b?`). */
  | { kind: "value"; name: string; span: Span; optional: boolean; occurrences: Span[] }
  /** A pattern variable bound with `: const`: also a constant tensor. */
  | { kind: "const"; name: string; span: Span; optional: boolean; occurrences: Span[] }
  /** `conv: Conv(…)`: the matched node (its first output as a value). */
  | { kind: "node"; name: string; span: Span; pattern: OpPattern; op: OpDecl | undefined }
  /** `{ pads: p }`: the attribute's value; `type` is undefined when the attribute is unknown. */
  | { kind: "attr"; name: string; span: Span; node: OpPattern; attr: string; type: AttrType | undefined }
  | { kind: "let"; name: string; span: Span; let: Let }
  /** A family loop variable; family expansion substitutes its uses, so few remain. */
  | { kind: "loop"; name: string; span: Span; value: string };

export interface RuleScope {
  /** Every name bound by the rule. */
  bindings: Map<string, Binding>;
  /** Identifiers in the condition, lets and result, resolved to their binding. */
  references: Map<Ident, Binding>;
  /** Identifiers in the condition, lets and result that name nothing bound. */
  unresolved: Ident[];
  /** Identifiers used before their let (a let can only see earlier lets). */
  usedBeforeLet: Ident[];
  /** The type of every expression of the condition, lets and result (types.ts). */
  types: Map<Expr, Type>;
}

/** The recorded type of an expression of the rule whose scope is `scope`. */
export function typeOf(scope: RuleScope, expr: Expr): Type {
  return scope.types.get(expr) ?? "unknown";
}

/** A file's rules as declared: plain rules and each family's rules, before expansion. */
export function declaredRules(file: RulesFile): Rule[] {
  return file.declared.flatMap((d) => (d.kind === "Family" ? d.rules : [d]));
}

export function buildProgram(files: RulesFile[], roots: RulesFile[]): Program {
  const ops = new OpTable(files.flatMap((f) => f.dialects));
  const externs = new Map<string, ExternPred>();
  for (const file of files) for (const extern of file.externs) if (!externs.has(extern.name)) externs.set(extern.name, extern);
  // A rule whose pattern is not an op is reported by the pattern-root check and resolved no further.
  const rules = files.flatMap((f) => f.rules).filter((rule) => !rule.writtenRoot);
  const scopes = new Map(rules.map((rule) => [rule, ruleScope(rule, ops, externs)] as const));
  return { files, roots, ops, externs, rules, scopes };
}

function ruleScope(rule: Rule, ops: OpTable, externs: ReadonlyMap<string, ExternPred>): RuleScope {
  const bindings = new Map<string, Binding>();
  if (rule.family) {
    for (const [name, value] of Object.entries(rule.family.bindings)) bindings.set(name, { kind: "loop", name, span: rule.nameSpan, value });
  }
  // Names bound twice in different ways (the duplicate-binding check's): their type is unknown.
  const rebound = new Set<string>();
  bindPattern(rule.pattern, bindings, ops, rebound);
  for (const let_ of rule.lets) if (bindings.has(let_.name.name)) rebound.add(let_.name.name);
  const scope: RuleScope = { bindings, references: new Map(), unresolved: [], usedBeforeLet: [], types: new Map() };
  const lets = new Map(rule.lets.map((l) => [l.name.name, l] as const));
  const resolve = (ident: Ident, visibleLets: ReadonlySet<string>) => {
    const let_ = lets.get(ident.name);
    if (let_ && !bindings.has(ident.name)) {
      // A let read before its definition stays unresolved: `let a = a * 2` must not make its
      // kind depend on itself.
      if (!visibleLets.has(ident.name)) scope.usedBeforeLet.push(ident);
      else scope.references.set(ident, { kind: "let", name: ident.name, span: let_.name.span, let: let_ });
      return;
    }
    const binding = bindings.get(ident.name);
    if (binding) scope.references.set(ident, binding);
    else scope.unresolved.push(ident);
  };
  const allLets = new Set(lets.keys());
  if (rule.where) forEachIdent(rule.where, (ident) => resolve(ident, new Set()));
  const visible = new Set<string>();
  for (const let_ of rule.lets) {
    forEachIdent(let_.value, (ident) => resolve(ident, visible));
    visible.add(let_.name.name);
  }
  for (const let_ of rule.lets) {
    if (!bindings.has(let_.name.name)) bindings.set(let_.name.name, { kind: "let", name: let_.name.name, span: let_.name.span, let: let_ });
  }
  forEachResultIdent(rule.result, (ident) => resolve(ident, allLets));
  scope.types = typeRule(rule, scope.references, externs, rebound);
  return scope;
}

function bindPattern(pattern: OpPattern, bindings: Map<string, Binding>, ops: OpTable, rebound: Set<string>): void {
  const op = ops.resolve(pattern.op);
  if (pattern.binding && bindings.has(pattern.binding.name)) rebound.add(pattern.binding.name);
  if (pattern.binding && !bindings.has(pattern.binding.name)) {
    bindings.set(pattern.binding.name, { kind: "node", name: pattern.binding.name, span: pattern.binding.span, pattern, op });
  }
  for (const attr of pattern.attrs) {
    if (attr.value.kind !== "Ident") continue;
    if (bindings.has(attr.value.name)) {
      rebound.add(attr.value.name);
      continue;
    }
    const decl = op ? attrDecl(op, attr.name.name) : undefined;
    // An unknown type name (reported by unknown-type) leaves the capture's type unknown.
    const type = decl && !attrTypeUnknown(decl) ? decl.type : undefined;
    bindings.set(attr.value.name, { kind: "attr", name: attr.value.name, span: attr.value.span, node: pattern, attr: attr.name.name, type });
  }
  for (const operand of pattern.operands) bindOperand(operand, bindings, ops, rebound);
}

function bindOperand(pattern: Pattern, bindings: Map<string, Binding>, ops: OpTable, rebound: Set<string>): void {
  if (pattern.kind === "OpPattern") return bindPattern(pattern, bindings, ops, rebound);
  if (pattern.kind !== "VarPattern") return;
  const name = pattern.name.name;
  const existing = bindings.get(name);
  if (existing && (existing.kind === "value" || existing.kind === "const")) {
    existing.occurrences.push(pattern.span);
    if (pattern.constant && existing.kind === "value") bindings.set(name, { ...existing, kind: "const" });
    return;
  }
  if (existing) {
    if (existing.kind !== "node") rebound.add(name);
    return;
  }
  const kind = pattern.constant ? "const" : "value";
  bindings.set(name, { kind, name, span: pattern.name.span, optional: pattern.optional, occurrences: [pattern.span] });
}

/** Calls `visit` on every identifier that an expression reads (not callees). */
export function forEachIdent(expr: Expr, visit: (ident: Ident) => void): void {
  switch (expr.kind) {
    case "Ident":
      return visit(expr);
    case "ListExpr":
      return expr.items.forEach((item) => forEachIdent(item, visit));
    case "Unary":
      return forEachIdent(expr.operand, visit);
    case "Binary":
      forEachIdent(expr.left, visit);
      return forEachIdent(expr.right, visit);
    case "Along":
      return forEachIdent(expr.operand, visit);
    case "Index":
      forEachIdent(expr.target, visit);
      return forEachIdent(expr.index, visit);
    case "Call":
      return expr.args.forEach((arg) => forEachIdent(arg, visit));
    default:
      return;
  }
}

/** Calls `visit` on every identifier a result reads, attribute spreads and values included. */
export function forEachResultIdent(result: ResultExpr, visit: (ident: Ident) => void): void {
  if (result.kind !== "ResultOp") return forEachIdent(result, visit);
  for (const operand of result.operands) forEachResultIdent(operand, visit);
  for (const attr of result.attrs) {
    if (attr.spread) visit(attr.spread);
    if (attr.value) forEachIdent(attr.value, visit);
  }
}

/** Calls `visit` on an expression and each of its sub-expressions, outermost first. */
export function forEachSubExpr(expr: Expr, visit: (expr: Expr) => void): void {
  visit(expr);
  switch (expr.kind) {
    case "ListExpr":
      return expr.items.forEach((item) => forEachSubExpr(item, visit));
    case "Unary":
    case "Along":
      return forEachSubExpr(expr.operand, visit);
    case "Binary":
      forEachSubExpr(expr.left, visit);
      return forEachSubExpr(expr.right, visit);
    case "Index":
      forEachSubExpr(expr.target, visit);
      return forEachSubExpr(expr.index, visit);
    case "Call":
      return expr.args.forEach((arg) => forEachSubExpr(arg, visit));
    default:
      return;
  }
}

/** Calls `visit` on every expression and sub-expression of a rule's condition, lets and result. */
export function forEachExpr(rule: Rule, visit: (expr: Expr) => void): void {
  const walk = (expr: Expr): void => forEachSubExpr(expr, visit);
  const walkResult = (result: ResultExpr): void => {
    if (result.kind !== "ResultOp") return walk(result);
    result.operands.forEach(walkResult);
    for (const attr of result.attrs) if (attr.value) walk(attr.value);
  };
  if (rule.where) walk(rule.where);
  for (const let_ of rule.lets) walk(let_.value);
  walkResult(rule.result);
}

/** The `c@k` an operand of `+ - * /` is, possibly negated (`-(c@k)` lays out `-c`). */
export function along(e: Expr): { along: Extract<Expr, { kind: "Along" }>; negated: boolean } | undefined {
  if (e.kind === "Along") return { along: e, negated: false };
  if (e.kind === "Unary" && e.op === "-" && e.operand.kind === "Along") return { along: e.operand, negated: true };
  return undefined;
}

/** Every result op of a result, outermost first. */
export function resultOps(result: ResultExpr): ResultOp[] {
  if (result.kind !== "ResultOp") return [];
  return [result, ...result.operands.flatMap((operand) => resultOps(operand))];
}

/** Every op reference of a rule: its pattern's ops, then its result's. */
export function allOpRefs(rule: Rule): OpRef[] {
  return [...opPatterns(rule.pattern).map((p) => p.op), ...resultOps(rule.result).map((r) => r.op)];
}

/** Every op pattern of a pattern, outermost first. */
export function opPatterns(pattern: Pattern): OpPattern[] {
  if (pattern.kind !== "OpPattern") return [];
  return [pattern, ...pattern.operands.flatMap((operand) => opPatterns(operand))];
}
