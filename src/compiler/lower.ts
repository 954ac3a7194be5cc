/**
 * Lowering: checked rules → a match program per root op, the small statement IR that codegen
 * prints. A rule becomes a straight list of steps (read an operand, test, bind, build, replace);
 * a commutative op opens an `orders` step whose body is tried with both operand orders. It
 * decides what to test, in which order, and how a constant expression evaluates; codegen only
 * prints. Lowering cannot fail: it reads the types and bindings the front end resolved
 * (program.ts, types.ts) and the checks have reported every rule it could not lower, so what
 * it cannot lower is a compiler bug (an internal error, `LoweringBug`).
 */
import type { Expr, Ident, OpDecl, OpPattern, OpRef, Pattern, ResultExpr, ResultOp, Rule, Span, AttrType, Literal } from "./ast.js";
import { benefit, innerOpKeys } from "./benefit.js";
import { lookupBuiltin, type ParamKind } from "./builtins.js";
import { array, binary, bool, call, forEachCode, method, not, num, ref, str, undef, type Code, type Step } from "./ir.js";
import { along, type RuleScope } from "./program.js";
import { isNumber, isNumberList, type Type } from "./types.js";

export type { Code, Step } from "./ir.js";

// ── the match program ───────────────────────────────────────────────────────────────────

export interface RuleEntry {
  name: string;
  priority: number;
  /** Pattern size plus priority (benefit.ts): decides between rules rooted at a node and at its readers. */
  benefit: number;
  /** The ops below the root (`domain::Op` or `Op`) and their depth, for the driver's benefit across roots. */
  inner: { op: string; depth: number }[];
  /** `domain::Op`, or `Op` in the default domain. */
  root: string;
  /** `rules/onnx.rules:12:1` */
  location: string;
  match: string;
  /** The rule's condition (`where`), one line, for generated comments. */
  cond?: string;
  /** The rule's lets (`s = gamma / sqrt(variance + eps)`), for generated comments. */
  lets: string[];
  result: string;
  /** For members of a rule family: what the loop variables stand for (`act = Relu`). */
  family?: string;
}

export interface RuleBlock {
  /** Index into `PassProgram.rules` (what `rw.begin` takes). */
  ruleIndex: number;
  /** Statement label that failing tests outside any `orders` loop break out of. */
  label: string;
  body: Step[];
}

export interface RootMatcher {
  key: string;
  functionName: string;
  /** In priority order, then source order. */
  blocks: RuleBlock[];
}

export interface ExternImport {
  name: string;
  specifier: string;
}

/** An op a dialect implements in its own module (`impl "./quickgelu.ts"`): registered when the pass loads. */
export interface OpImplImport {
  op: string;
  domain: string;
  /** Import specifier of the module from the output file. */
  specifier: string;
  /** The declaration's attribute defaults, in the runtime's attribute form. */
  defaults: Record<string, { type: string; value: number | string | number[] | string[] }>;
}

export interface PassProgram {
  pack: string;
  /** The source the pack was compiled from, for the header comment. */
  source: string;
  rules: RuleEntry[];
  /** Sorted by key. */
  roots: RootMatcher[];
  externs: ExternImport[];
  /** Ops implemented by the pack's dialects, registered by the module. */
  opImpls: OpImplImport[];
}

/** What lowering needs from the checked program. */
export interface LowerInput {
  pack: string;
  source: string;
  rules: readonly Rule[];
  resolveOp(ref: OpRef): OpDecl | undefined;
  /** The rule's resolved names and expression types. */
  scope(rule: Rule): RuleScope;
  /** Extern predicates visible to the rules, with their import specifier from the output file. */
  externs: ReadonlyMap<string, ExternImport & { params: { type: string }[] }>;
  /** Ops the pack's dialects implement in their own modules. */
  opImpls: readonly OpImplImport[];
  /** `rules/onnx.rules:12:1` for a span. */
  location(span: Span): string;
  /** The source text under a span. */
  text(span: Span): string;
}

/** Lowers checked rules (no errors reported); throws `LoweringBug` on what the checks should have refused. */
export function lower(input: LowerInput): PassProgram {
  const rules: RuleEntry[] = [];
  const byRoot = new Map<string, { rule: Rule; block: RuleBlock }[]>();
  const usedExterns = new Set<string>();
  input.rules.forEach((rule, ruleIndex) => {
    const rootDecl = resolveOp(input, rule.pattern.op);
    const root = opKey(rootDecl);
    rules.push({
      name: rule.name,
      priority: rule.priority,
      benefit: benefit(rule),
      inner: innerOpKeys(rule.pattern, (ref) => {
        const decl = input.resolveOp(ref);
        return decl && opKey(decl);
      }),
      root,
      location: input.location(rule.span),
      match: rule.matchText,
      ...(rule.where ? { cond: conjuncts(rule.where).map((c) => oneLine(input.text(c.span))).join(" && ") } : {}),
      lets: rule.lets.map((l) => `${l.name.name} = ${oneLine(input.text(l.value.span))}`),
      result: rule.resultText,
      family: rule.family && Object.entries(rule.family.bindings).map(([name, value]) => `${name} = ${value}`).join(", "),
    });
    const body = dropUnusedReads(new RuleLowering(input, rule, usedExterns).run(rootDecl));
    const block = { ruleIndex, label: labelFor(rule.name), body };
    byRoot.set(root, [...(byRoot.get(root) ?? []), { rule, block }]);
  });
  const roots = [...byRoot.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, entries]) => ({
      key,
      functionName: `match${upperFirst(identifierPart(key))}`,
      blocks: entries.sort((a, b) => b.rule.priority - a.rule.priority || a.block.ruleIndex - b.block.ruleIndex).map((e) => e.block),
    }));
  const externs = [...usedExterns].sort().map((name) => {
    const e = input.externs.get(name)!;
    return { name: e.name, specifier: e.specifier };
  });
  return { pack: input.pack, source: input.source, rules, roots, externs, opImpls: [...input.opImpls] };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Graph reads without effects: a local holding one that nothing refers to need not exist. */
const PURE_READS = new Set(["rw.input", "rw.output", "rw.def", "rw.constant"]);

/**
 * Drops reads bound to locals that nothing refers to (an operand matched by `_`, the root's
 * value when only the node is used), so generated code has no dead locals.
 */
function dropUnusedReads(body: Step[]): Step[] {
  for (;;) {
    const used = new Set<string>();
    body.forEach((step) => namesInStep(step, used));
    let dropped = false;
    const prune = (steps: Step[]): Step[] =>
      steps.flatMap((step): Step[] => {
        if (step.kind === "orders") return [{ ...step, body: prune(step.body) }];
        const unused = step.kind === "const" && !used.has(step.name) && step.init.kind === "call" && PURE_READS.has(step.init.callee);
        if (unused) dropped = true;
        return unused ? [] : [step];
      });
    body = prune(body);
    if (!dropped) return body;
  }
}

function namesInStep(step: Step, into: Set<string>): void {
  switch (step.kind) {
    case "const":
      return namesInCode(step.init, into);
    case "check":
      return namesInCode(step.failWhen, into);
    case "orders":
      step.operands.forEach((name) => into.add(name));
      return step.body.forEach((s) => namesInStep(s, into));
    case "replace":
      return step.values.forEach((c) => namesInCode(c, into));
  }
}

function namesInCode(code: Code, into: Set<string>): void {
  forEachCode(code, (c) => {
    if (c.kind === "ref") into.add(c.name);
  });
}

/** The dispatcher key of an op: `domain::Op`, or `Op` in the default domain. */
export function opKey(decl: { domain: string; name: string }): string {
  return decl.domain === "" || decl.domain === "ai.onnx" ? decl.name : `${decl.domain}::${decl.name}`;
}

// ── one rule ─────────────────────────────────────────────────────────────────────────────

/** A rule that reached lowering although a check should have refused it: a compiler bug. */
export class LoweringBug extends Error {
  constructor(
    message: string,
    readonly span: Span,
  ) {
    super(`internal error: ${message} (a check should have reported this rule)`);
  }
}

function resolveOp(input: LowerInput, ref: OpRef): OpDecl {
  const decl = input.resolveOp(ref);
  if (!decl) throw new LoweringBug(`op ${ref.name} does not resolve`, ref.span);
  return decl;
}

/** What a name of the rule is in generated code: a graph value (and its node, its constant), or a local holding a number, list, string or tensor. */
type Local = { kind: "value"; value: string; tensor?: string; node?: string; decl?: OpDecl; optional: boolean } | { kind: "local"; name: string };

/** Names generated code declares or reads itself (keywords included): no local or extern may take them. */
const RESERVED = new Set(
  ("rw root node A G T Node Pass Rewriter RuleInfo rules pass apply bothOrders rootKey Math Boolean undefined NaN Infinity arguments eval " +
    "break case catch class const continue debugger default delete do else enum export extends false finally " +
    "for function if import in instanceof new null return super switch this throw true try typeof var void " +
    "while with yield let static implements interface package private protected public await")
    .split(" "),
);

/** Whether an extern predicate named `name` would collide with what generated code declares. */
export function isGeneratedName(name: string): boolean {
  return RESERVED.has(name) || /^match[A-Z0-9_$]/.test(name);
}

class RuleLowering {
  private readonly locals = new Map<string, Local>();
  private readonly names = new Set<string>(RESERVED);
  private readonly top: Step[] = [];
  /** Where steps go now: inside the innermost `orders` body once one is open. */
  private body: Step[] = this.top;
  /** The rule's resolved names and expression types. */
  private readonly resolved: RuleScope;
  /** The parameter name of element-by-element comparisons (`pads.every((item) => item === 0)`). */
  private item: string | undefined;

  constructor(
    private readonly input: LowerInput,
    private readonly rule: Rule,
    private readonly usedExterns: Set<string>,
  ) {
    for (const name of input.externs.keys()) this.names.add(name);
    this.resolved = input.scope(rule);
  }

  run(rootDecl: OpDecl): Step[] {
    const { pattern } = this.rule;
    const rootValue = pattern.binding ? this.fresh(`${pattern.binding.name}Out`) : undefined;
    if (pattern.binding && rootValue) {
      this.emit({ kind: "const", name: rootValue, init: call("rw.output", ref("root")) });
      this.bind(pattern.binding, { kind: "value", value: rootValue, node: "root", decl: rootDecl, optional: false });
    }
    this.matchNode("root", rootDecl, pattern);
    if (this.rule.where) for (const conjunct of conjuncts(this.rule.where)) this.condition(conjunct);
    for (const l of this.rule.lets) {
      // A let naming a graph value is another name for it.
      const aliased = l.value.kind === "Ident" ? this.local(l.value) : undefined;
      if (aliased?.kind === "value") {
        this.bind(l.name, aliased);
        continue;
      }
      const name = this.fresh(l.name.name);
      this.emit({ kind: "const", name, init: this.expr(l.value) });
      this.bind(l.name, { kind: "local", name });
    }
    this.emit({ kind: "replace", values: this.result(this.rule.result, rootDecl) });
    return this.top;
  }

  // ── patterns ────────────────────────────────────────────────────────────────────────────

  /** Tests the operands and attributes of `node` (already known to be `decl`) against `pattern`. */
  private matchNode(node: string, decl: OpDecl, pattern: OpPattern): void {
    const prefix = node === "root" ? lowerFirst(decl.name) : node;
    // A pattern lists every operand of a variadic op (`Concat()` is a Concat of no inputs).
    const variadic = decl.operands.some((o) => o.arity === "variadic");
    if (variadic) {
      this.check(
        binary("!==", call("rw.inputCount", ref(node)), num(pattern.operands.length)),
        `${this.text(pattern)}: ${decl.name} has not ${pattern.operands.length} inputs`,
      );
    }
    // Omitted trailing optional operands must be absent: a rule rebuilding the op would drop them.
    for (let i = pattern.operands.length; i < decl.operands.length; i++) {
      const operand = decl.operands[i]!;
      if (operand.arity !== "optional") continue;
      this.check(binary("!==", call("rw.input", ref(node), num(i)), { kind: "undefined" }), `${decl.name} operand ${operand.name} is present`);
    }
    this.matchAttrs(node, decl, pattern);
    const commutative = decl.commutative && pattern.operands.length === 2;
    const slots = pattern.operands.map((p, i) => {
      const operandName = decl.operands[Math.min(i, decl.operands.length - 1)]?.name ?? `in${i}`;
      const fallback = `${prefix}${upperFirst(identifierPart(operandName))}`;
      // Under a commutative op the slot is not yet the pattern's operand: keep the neutral name.
      const name = this.fresh(commutative ? fallback : this.preferredName(p, fallback));
      this.emit({ kind: "const", name, init: call("rw.input", ref(node), num(i)) });
      return name;
    });
    if (commutative) {
      const [p0, p1] = pattern.operands as [Pattern, Pattern];
      const names: [string, string] = [this.fresh(this.preferredName(p0, `${prefix}Lhs`)), this.fresh(this.preferredName(p1, `${prefix}Rhs`))];
      const orders: Step = { kind: "orders", names, operands: [slots[0]!, slots[1]!], body: [] };
      this.emit(orders);
      this.body = orders.body;
      this.matchOperand(names[0], p0, false);
      this.matchOperand(names[1], p1, false);
      return;
    }
    pattern.operands.forEach((p, i) => {
      const operand = decl.operands[Math.min(i, decl.operands.length - 1)];
      this.matchOperand(slots[i]!, p, operand?.arity === "optional");
    });
  }

  /** Tests the operand value held in variable `slot` against `pattern`. */
  private matchOperand(slot: string, pattern: Pattern, mayBeAbsent: boolean): void {
    switch (pattern.kind) {
      case "WildcardPattern":
        return;
      case "LiteralPattern": {
        const tensor = this.fresh(`${slot}Tensor`);
        this.emit({ kind: "const", name: tensor, init: call("rw.constant", ref(slot)) });
        this.check(
          not(call("G.allClose", ref(tensor), num(pattern.value))),
          `${this.text(pattern)}: not a constant equal to ${pattern.value}`,
        );
        return;
      }
      case "VarPattern": {
        const name = pattern.name.name;
        const earlier = this.locals.get(name);
        if (earlier) {
          if (earlier.kind !== "value") throw new LoweringBug(`${name} is bound twice`, pattern.span);
          this.check(binary("!==", ref(slot), ref(earlier.value)), `${name}: not the same value as the first ${name}`);
          // `: const` on a later occurrence (`Add(c, Mul(x, c: const))`) makes the variable a constant.
          if (pattern.constant && !earlier.tensor) {
            const tensor = this.fresh(`${earlier.value}Tensor`);
            this.emit({ kind: "const", name: tensor, init: call("rw.constant", ref(earlier.value)) });
            this.check(binary("===", ref(tensor), { kind: "undefined" }), `${name}: not a constant`);
            this.bind(pattern.name, { ...earlier, tensor });
          }
          return;
        }
        const optional = pattern.optional && mayBeAbsent;
        const absent = binary("===", ref(slot), { kind: "undefined" });
        let tensor: string | undefined;
        if (pattern.constant) {
          tensor = this.fresh(`${slot}Tensor`);
          this.emit({ kind: "const", name: tensor, init: call("rw.constant", ref(slot)) });
          const notConst = binary("===", ref(tensor), { kind: "undefined" });
          // Testing the slot too narrows it to a Value for later uses.
          const failWhen = optional ? binary("&&", negate(absent), notConst) : binary("||", absent, notConst);
          this.check(failWhen, `${name}: not a constant`);
        } else if (!optional) {
          this.check(absent, `${name}: operand absent`);
        }
        this.bind(pattern.name, { kind: "value", value: slot, tensor, optional });
        return;
      }
      case "OpPattern": {
        const decl = this.resolve(pattern.op);
        const node = this.fresh(pattern.binding?.name ?? lowerFirst(identifierPart(decl.name)));
        const args: Code[] = [ref(slot), str(decl.name)];
        if (decl.domain !== "") args.push(str(decl.domain));
        this.emit({ kind: "const", name: node, init: call("rw.def", ...args) });
        const noNode = binary("===", ref(node), { kind: "undefined" });
        // A bound node is also used as a value: testing the slot too narrows its type.
        const failWhen = pattern.binding ? binary("||", binary("===", ref(slot), { kind: "undefined" }), noNode) : noNode;
        this.check(failWhen, `${pattern.binding?.name ?? this.text(pattern)}: not a ${decl.name}`);
        // Of an op with several outputs, the pattern stands for the first (a Dropout's data, not
        // its mask): the value read here must be that one.
        if (decl.outputs.length > 1 || decl.outputs.some((o) => o.endsWith("..."))) {
          this.check(binary("!==", ref(slot), call("rw.output", ref(node))), `${pattern.binding?.name ?? this.text(pattern)}: not the first output of the ${decl.name}`);
        }
        if (pattern.binding) this.bind(pattern.binding, { kind: "value", value: slot, node, decl, optional: false });
        this.matchNode(node, decl, pattern);
        return;
      }
    }
  }

  private matchAttrs(node: string, decl: OpDecl, pattern: OpPattern): void {
    for (const a of pattern.attrs) {
      const attr = decl.attrs.find((d) => d.name === a.name.name);
      if (!attr) throw new LoweringBug(`${decl.name} has no attribute ${a.name.name}`, a.name.span);
      const reader = ATTR_READERS[attr.type.kind];
      if (!reader) throw new LoweringBug(`attribute patterns on ${attr.type.kind} attributes`, a.span);
      const args: Code[] = [ref(node), str(attr.name)];
      if (attr.default) args.push(literal(attr.default));
      const read = call(`rw.${reader}`, ...args);
      // With a declared default the read always yields a value (the runtime fills it in): only
      // a required attribute can be missing.
      const absent = (name: string): Code | undefined => (attr.default === undefined ? binary("===", ref(name), undef) : undefined);
      const orAbsent = (name: string, differs: Code): Code => {
        const missing = absent(name);
        return missing ? binary("||", missing, differs) : differs;
      };
      if (a.value.kind === "Ident") {
        const name = this.fresh(a.value.name);
        this.emit({ kind: "const", name, init: read });
        const missing = absent(name);
        if (missing) this.check(missing, `${decl.name} has no ${attr.name}`);
        this.bind(a.value, { kind: "local", name });
        continue;
      }
      const reason = `${decl.name}.${attr.name} is not ${this.text(a.value)}`;
      if (attr.type.kind === "float" || attr.type.kind === "floats") {
        // Float attributes are float32 in a model (0.2 is stored as 0.20000000298023224): both
        // sides are rounded to float32 before comparing.
        const name = this.fresh(attr.name);
        this.emit({ kind: "const", name, init: read });
        const differs =
          attr.type.kind === "float"
            ? binary("!==", call("Math.fround", ref(name)), call("Math.fround", literal(a.value)))
            : not(call("G.equalLists", method(ref(name), "map", ref("Math.fround")), float32Literal(a.value)));
        this.check(orAbsent(name, differs), reason);
        continue;
      }
      if (attr.type.kind === "ints") {
        const name = this.fresh(attr.name);
        this.emit({ kind: "const", name, init: read });
        this.check(orAbsent(name, not(call("G.equalLists", ref(name), literal(a.value)))), reason);
      } else {
        this.check(binary("!==", read, literal(a.value)), reason);
      }
    }
  }

  /** The variable name an operand pattern suggests for the value it matches. */
  private preferredName(p: Pattern, fallback: string): string {
    if (p.kind === "VarPattern" && !this.locals.has(p.name.name)) return p.name.name;
    if (p.kind === "OpPattern") return `${p.binding?.name ?? lowerFirst(identifierPart(p.op.name))}Out`;
    return fallback;
  }

  // ── conditions and expressions ──────────────────────────────────────────────────────────

  private condition(e: Expr): void {
    this.check(negate(this.expr(e)), `where ${this.text(e)}`);
  }

  /** The type the front end recorded for `e`. */
  private type(e: Expr): Type {
    return this.resolved.types.get(e) ?? "unknown";
  }

  /**
   * `e` as its type is represented in generated code: a graph value as the value, a constant
   * tensor as a Tensor, numbers, strings, booleans and their lists as themselves.
   */
  private expr(e: Expr): Code {
    switch (e.kind) {
      case "Number":
        return num(e.value);
      case "String":
        return str(e.value);
      case "Bool":
        return bool(e.value);
      case "List":
      case "ListExpr":
        return array((e.items as Expr[]).map((i) => this.expr(i)));
      case "Ident": {
        const local = this.local(e);
        return ref(local.kind === "value" ? local.value : local.name);
      }
      case "Unary":
        if (e.op === "!") return not(this.expr(e.operand));
        if (isNumber(this.type(e.operand))) return { kind: "unary", op: "-", operand: this.expr(e.operand) };
        return call("T.neg", this.tensor(e.operand));
      case "Binary":
        return this.binaryExpr(e);
      case "Along":
        throw new LoweringBug("`c@axis` outside + - * /", e.span);
      case "Index": {
        const target = this.expr(e.target);
        const index = this.expr(e.index);
        // A number list is indexed like dim(v, i): negative counts from the end, out of range
        // aborts the rule (JavaScript's p[-1] would be undefined and compare unequal to anything).
        if (isNumberList(this.type(e.target))) return call("G.dim", target, index);
        return { kind: "index", target, index };
      }
      case "Call":
        return this.callExpr(e);
    }
  }

  private local(id: Ident): Local {
    const local = this.locals.get(id.name);
    if (!local) throw new LoweringBug(`'${id.name}' is not bound`, id.span);
    return local;
  }

  private binaryExpr(e: Extract<Expr, { kind: "Binary" }>): Code {
    switch (e.op) {
      case "&&":
      case "||":
        return binary(e.op, this.expr(e.left), this.expr(e.right));
      case "??": {
        const left = e.left.kind === "Ident" ? this.local(e.left) : undefined;
        if (left?.kind !== "value" || !left.tensor) throw new LoweringBug("the left of ?? is not an optional constant", e.left.span);
        return binary("??", ref(left.tensor), this.tensor(e.right));
      }
      case "==":
      case "!=":
      case "<":
      case "<=":
      case ">":
      case ">=": {
        const op = e.op === "==" ? "===" : e.op === "!=" ? "!==" : e.op;
        if (this.type(e) === "bools") return this.elementwise(op, e.left, e.right);
        if (isNumberList(this.type(e.left)) || this.type(e.left) === "strings") {
          const same = call("G.equalLists", this.expr(e.left), this.expr(e.right));
          return e.op === "==" ? same : not(same);
        }
        return binary(op, this.expr(e.left), this.expr(e.right));
      }
      case "+":
      case "-":
      case "*":
      case "/":
        return this.arithmetic(e.op, e.left, e.right);
    }
  }

  /** A list compared element by element with a number: `pads.map((item) => item === 0)`. */
  private elementwise(op: string, left: Expr, right: Expr): Code {
    const listOnLeft = isNumberList(this.type(left));
    const [list, scalar] = listOnLeft ? [left, right] : [right, left];
    // One name serves every comparison of the rule: an arrow's parameter is its own.
    const item = (this.item ??= this.fresh("item"));
    const test = listOnLeft ? binary(op, ref(item), this.expr(scalar)) : binary(op, this.expr(scalar), ref(item));
    return method(this.expr(list), "map", { kind: "arrow", params: [item], body: test });
  }

  private arithmetic(op: "+" | "-" | "*" | "/", left: Expr, right: Expr): Code {
    const l = along(left);
    const r = along(right);
    if (!l && !r) {
      if (isNumber(this.type(left)) && isNumber(this.type(right))) return binary(op, this.expr(left), this.expr(right));
      return call(TENSOR_OPS[op], this.tensor(left), this.tensor(right));
    }
    if (l && r) throw new LoweringBug("both operands use `@`", right.span);
    const [laidOut, otherExpr] = l ? [l, right] : [r!, left];
    // `other` is needed twice (as the operand and as the layout reference): name it once.
    const other = this.named(this.tensor(otherExpr), otherExpr);
    // `-(c@k)` lays out `-c`: negating the elements does not change where they are laid.
    const elements = laidOut.negated ? call("T.neg", this.tensor(laidOut.along.operand)) : this.tensor(laidOut.along.operand);
    const laid = call("T.along", elements, num(laidOut.along.axis), other);
    return call(TENSOR_OPS[op], ...(l ? [laid, other] : [other, laid]));
  }

  /** `code` as a variable reference, introducing a local when it is more than a name. */
  private named(code: Code, e: Expr): Code {
    if (code.kind === "ref") return code;
    const base = e.kind === "Ident" ? e.name : e.kind === "Binary" && e.op === "??" && e.left.kind === "Ident" ? `${e.left.name}OrDefault` : "operand";
    const name = this.fresh(base);
    this.emit({ kind: "const", name, init: code });
    return ref(name);
  }

  private callExpr(e: Extract<Expr, { kind: "Call" }>): Code {
    const name = e.callee.name;
    const builtin = lookupBuiltin(name);
    if (builtin) {
      const args = e.args.map((arg, i) => this.argument(builtin.params[i] ?? builtin.rest ?? "any", arg));
      return builtin.lower(args, { defaults: (i) => this.defaults(e.args[i]!) });
    }
    const extern = this.input.externs.get(name);
    if (!extern) throw new LoweringBug(`unknown function ${name}`, e.callee.span);
    this.usedExterns.add(name);
    return call(extern.name, ...e.args.map((a, i) => this.argument(EXTERN_PARAMS[extern.params[i]!.type] ?? "any", a)));
  }

  /** An argument converted as a parameter of `kind` takes it (see ParamKind). */
  private argument(kind: ParamKind, e: Expr): Code {
    switch (kind) {
      case "value":
        return this.value(e);
      case "operand":
        return this.value(e, true);
      case "node":
        return ref(this.node(e).node);
      case "tensor":
        return this.tensor(e);
      case "maybeConst": {
        // A graph value (possibly absent) tested for being a constant: its constant, or undefined.
        if (!this.isGraphValue(e)) return this.tensor(e);
        const local = this.local(e as Ident) as Extract<Local, { kind: "value" }>;
        return local.tensor ? ref(local.tensor) : call("rw.constant", ref(local.value));
      }
      default:
        return this.expr(e);
    }
  }

  // ── conversions (the checks make each one possible) ─────────────────────────────────────

  /** A graph value; `absentOk` when the consumer accepts an absent operand (isConst). */
  private value(e: Expr): Code;
  private value(e: Expr, absentOk: boolean): Code;
  private value(e: Expr, absentOk = false): Code {
    const local = e.kind === "Ident" ? this.local(e) : undefined;
    if (local?.kind !== "value") throw new LoweringBug(`${this.text(e)} is not a value of the graph`, e.span);
    if (local.optional && !absentOk) throw new LoweringBug(`${this.text(e)} may be absent`, e.span);
    return ref(local.value);
  }

  /** A constant tensor: a `: const` value's constant, a computed tensor, or a number or list made a tensor. */
  private tensor(e: Expr): Code {
    const type = this.type(e);
    if (type === "const") {
      const local = e.kind === "Ident" ? this.local(e) : undefined;
      if (local?.kind !== "value" || !local.tensor || local.optional) throw new LoweringBug(`${this.text(e)} is not a constant that is always present`, e.span);
      return ref(local.tensor);
    }
    if (type === "tensor") return this.expr(e);
    if (isNumber(type)) return call("T.scalar", this.expr(e));
    if (isNumberList(type)) return call("T.fromList", this.expr(e));
    throw new LoweringBug(`${this.text(e)} (${type}) is not a constant tensor`, e.span);
  }

  /** The node a node binding matched. */
  private node(e: Expr): { node: string; decl: OpDecl } {
    const local = e.kind === "Ident" ? this.local(e) : undefined;
    if (local?.kind !== "value" || !local.node || !local.decl) throw new LoweringBug(`${this.text(e)} is not a matched node`, e.span);
    return { node: local.node, decl: local.decl };
  }

  /** A matched node's op's declared attribute defaults: `{ group: A.int(1), … }`. */
  private defaults(e: Expr): Code {
    const props = this.node(e).decl.attrs.flatMap((a) => {
      const constructor = ATTR_CONSTRUCTORS[a.type.kind];
      return a.default !== undefined && constructor ? [{ name: a.name, value: call(`A.${constructor}`, literal(a.default)) }] : [];
    });
    return { kind: "object", spreads: [], props };
  }

  // ── results ─────────────────────────────────────────────────────────────────────────────

  /**
   * The values replacing the root's outputs, in output order. A result may give fewer values
   * than the root has outputs (`Dropout(x) => x` replaces the data output only): the runtime
   * then requires the outputs left over to be unread, else the rule does not fire. A result op
   * with more outputs than the root gives its leading ones.
   */
  private result(r: ResultExpr, rootDecl: OpDecl): Code[] {
    if (r.kind === "ResultOp") {
      const outputs = this.build(r, this.resolve(r.op));
      const rootCount = rootDecl.outputs.some((o) => o.endsWith("...")) ? outputs.length : rootDecl.outputs.length;
      return outputs.slice(0, rootCount);
    }
    if (this.isGraphValue(r)) return [this.value(r)];
    return [this.materialise(this.tensor(r), "folded")];
  }

  /** Stages a result op; returns its outputs. */
  private build(r: ResultOp, decl: OpDecl): Code[] {
    if (decl.outputs.some((o) => o.endsWith("..."))) {
      throw new LoweringBug(`${decl.name} has a variable number of outputs`, r.op.span);
    }
    const inputs = r.operands.map((operand, i) => {
      if (operand.kind === "ResultOp") return this.build(operand, this.resolve(operand.op))[0]!;
      // A possibly absent operand (`b?`) is passed on as is: the checks allow it only at optional operands.
      if (this.isGraphValue(operand)) return this.value(operand, true);
      const declName = decl.operands[Math.min(i, decl.operands.length - 1)]?.name ?? `in${i}`;
      return this.materialise(this.tensor(operand), `${lowerFirst(identifierPart(decl.name))}${upperFirst(identifierPart(declName))}`);
    });
    const attrs = this.attrs(r, decl);
    const args: Code[] = [str(decl.name), str(decl.domain), { kind: "array", items: inputs }, attrs];
    if (decl.outputs.length > 1) args.push(num(decl.outputs.length));
    const created = call("rw.create", ...args);
    if (decl.outputs.length === 1) {
      const name = this.fresh(`new${identifierPart(decl.name)}`);
      this.emit({ kind: "const", name, init: created, first: true });
      return [ref(name)];
    }
    const name = this.fresh(`new${identifierPart(decl.name)}Outputs`);
    this.emit({ kind: "const", name, init: created });
    return decl.outputs.map((_, i) => ({ kind: "index", target: ref(name), index: num(i) }) as Code);
  }

  private materialise(tensor: Code, base: string): Code {
    const name = this.fresh(base);
    this.emit({ kind: "const", name, init: call("rw.constantValue", tensor) });
    return ref(name);
  }

  private attrs(r: ResultOp, decl: OpDecl): Code {
    const spreads: Code[] = [];
    const props: { name: string; value: Code }[] = [];
    for (const set of r.attrs) {
      if (set.spread) {
        spreads.push(call("rw.attrsOf", ref(this.node(set.spread).node)));
        continue;
      }
      if (!set.name || !set.value) continue;
      const attr = decl.attrs.find((d) => d.name === set.name!.name);
      if (!attr) throw new LoweringBug(`${decl.name} has no attribute ${set.name.name}`, set.name.span);
      const constructor = ATTR_CONSTRUCTORS[attr.type.kind];
      if (!constructor) throw new LoweringBug(`setting ${attr.type.kind} attributes`, set.span);
      props.push({ name: attr.name, value: call(`A.${constructor}`, this.expr(set.value)) });
    }
    return { kind: "object", spreads, props };
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────

  private resolve(ref: OpRef): OpDecl {
    return resolveOp(this.input, ref);
  }

  /** Whether `e` is a graph value (a pattern variable or node binding, `: const` or not). */
  private isGraphValue(e: Expr): boolean {
    const type = this.type(e);
    return type === "value" || type === "const";
  }

  private bind(id: Ident, local: Local): void {
    this.locals.set(id.name, local);
  }

  private emit(step: Step): void {
    this.body.push(step);
  }

  private check(failWhen: Code, reason: string): void {
    this.emit({ kind: "check", failWhen, reason });
  }

  /** Source text for failure reasons; in a family member, loop variables read as their values (`Relu`, not `act`). */
  text(node: { span: Span }): string {
    let text = this.input.text(node.span).replace(/\s+/g, " ").trim();
    const family = this.rule.family;
    if (!family) return text;
    for (const [name, value] of Object.entries(family.bindings)) {
      if (!family.patterns?.includes(name)) text = text.replace(new RegExp(`(?<![\\w.])${name}(?![\\w])`, "g"), value);
    }
    return text;
  }

  /** A fresh local name derived from `base`. */
  private fresh(base: string): string {
    const clean = identifierPart(base) || "v";
    const start = /^[0-9]/.test(clean) ? `_${clean}` : clean;
    let name = start;
    for (let i = 2; this.names.has(name); i++) name = `${start}${i}`;
    this.names.add(name);
    return name;
  }
}

const TENSOR_OPS = { "+": "T.add", "-": "T.sub", "*": "T.mul", "/": "T.div" } as const;

/** How an extern predicate's parameter takes its argument, in the built-ins' terms. */
const EXTERN_PARAMS: Record<string, ParamKind> = { value: "value", node: "node", tensor: "tensor" };

const ATTR_READERS: Partial<Record<AttrType["kind"], string>> = {
  int: "attrInt",
  float: "attrFloat",
  string: "attrString",
  enum: "attrString",
  ints: "attrInts",
  floats: "attrFloats",
};

const ATTR_CONSTRUCTORS: Partial<Record<AttrType["kind"], string>> = {
  int: "int",
  float: "float",
  string: "string",
  enum: "string",
  ints: "ints",
  floats: "floats",
  strings: "strings",
};

/** Attribute kinds a pattern can compare or capture, and a result can set. */
export const PATTERN_ATTR_KINDS: ReadonlySet<AttrType["kind"]> = new Set(Object.keys(ATTR_READERS) as AttrType["kind"][]);
export const RESULT_ATTR_KINDS: ReadonlySet<AttrType["kind"]> = new Set(Object.keys(ATTR_CONSTRUCTORS) as AttrType["kind"][]);

/** Top-level `&&` operands of a condition, so that each gets its own failure reason. */
function conjuncts(e: Expr): Expr[] {
  return e.kind === "Binary" && e.op === "&&" ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

function literal(l: Literal): Code {
  switch (l.kind) {
    case "Number":
      return num(l.value);
    case "String":
      return str(l.value);
    case "Bool":
      return { kind: "bool", value: l.value };
    case "List":
      return { kind: "array", items: l.items.map(literal) };
  }
}

/** A float list literal rounded to float32, element by element, as attribute values are. */
function float32Literal(l: Literal): Code {
  return l.kind === "List" ? { kind: "array", items: l.items.map(float32Literal) } : l.kind === "Number" ? num(Math.fround(l.value)) : literal(l);
}

const NEGATED: Record<string, string> = { "===": "!==", "!==": "===", "<": ">=", ">=": "<", ">": "<=", "<=": ">" };

/** `!c`, with comparisons flipped and double negations removed so that tests read plainly. */
function negate(c: Code): Code {
  if (c.kind === "unary" && c.op === "!") return c.operand;
  if (c.kind === "binary" && NEGATED[c.op]) return { ...c, op: NEGATED[c.op]! };
  return not(c);
}


/** The letters and digits of `s` as an identifier part (`com.microsoft::FusedConv` → `ComMicrosoftFusedConv`). */
function identifierPart(s: string): string {
  return s
    .split(/[^A-Za-z0-9_$]+/)
    .filter(Boolean)
    .map((w, i) => (i === 0 ? w : upperFirst(w)))
    .join("");
}

/** `FuseActivation[Relu,RELU]` → `FuseActivation_Relu_RELU`. */
function labelFor(ruleName: string): string {
  const id = ruleName.replace(/[^A-Za-z0-9_$]+/g, "_").replace(/^_+|_+$/g, "");
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
