/**
 * Lowering: checked rules → a match program per root op, the small statement IR that codegen
 * prints. A rule becomes a straight list of steps (read an operand, test, bind, build, replace);
 * a commutative op opens an `orders` step whose body is tried with both operand orders. All
 * semantic decisions (what to test, in which order, how a constant expression evaluates) are
 * made here; codegen only prints.
 */
import type { Expr, Ident, OpDecl, OpPattern, OpRef, Pattern, ResultExpr, ResultOp, Rule, Span, AttrType, Literal } from "./ast.js";
import { benefit, innerOpKeys } from "./benefit.js";
import { error, type Diagnostic } from "./diagnostics.js";

// ── the match-program IR ─────────────────────────────────────────────────────────────────

/** A TypeScript expression, printed by codegen. */
export type Code =
  | { kind: "ref"; name: string }
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "bool"; value: boolean }
  | { kind: "undefined" }
  | { kind: "call"; callee: string; args: Code[] }
  | { kind: "array"; items: Code[] }
  | { kind: "binary"; op: string; left: Code; right: Code }
  | { kind: "unary"; op: "!" | "-"; operand: Code }
  | { kind: "index"; target: Code; index: Code }
  | { kind: "member"; target: Code; name: string }
  | { kind: "object"; spreads: Code[]; props: { name: string; value: Code }[] };

export type Step =
  /** `const name = init;` (a destructuring `const [name] = init;` when `first`). */
  | { kind: "const"; name: string; init: Code; first?: boolean }
  /** `if (failWhen) { rw.fail(reason); <next candidate> }` */
  | { kind: "check"; failWhen: Code; reason: string }
  /** Tries `body` with `names` bound to `operands` in both orders (a commutative op). */
  | { kind: "orders"; names: [string, string]; operands: [string, string]; body: Step[] }
  /** `return rw.replace(root, values);` */
  | { kind: "replace"; values: Code[] };

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
  /** Extern predicates visible to the rules, with their import specifier from the output file. */
  externs: ReadonlyMap<string, ExternImport & { params: { type: string }[] }>;
  /** Ops the pack's dialects implement in their own modules. */
  opImpls: readonly OpImplImport[];
  /** `rules/onnx.rules:12:1` for a span. */
  location(span: Span): string;
  /** The source text under a span. */
  text(span: Span): string;
}

export function lower(input: LowerInput): { program: PassProgram; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const rules: RuleEntry[] = [];
  const byRoot = new Map<string, { rule: Rule; block: RuleBlock }[]>();
  const usedExterns = new Set<string>();
  input.rules.forEach((rule, ruleIndex) => {
    const rootDecl = input.resolveOp(rule.pattern.op);
    if (!rootDecl) {
      diagnostics.push(error("lower", `cannot resolve op ${rule.pattern.op.name}`, rule.pattern.op.span));
      return;
    }
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
    try {
      const body = dropUnusedReads(new RuleLowering(input, rule, usedExterns).run(rootDecl));
      const block = { ruleIndex, label: labelFor(rule.name), body };
      byRoot.set(root, [...(byRoot.get(root) ?? []), { rule, block }]);
    } catch (e) {
      if (!(e instanceof LowerError)) throw e;
      diagnostics.push(error("lower", e.message, e.span));
    }
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
  return { program: { pack: input.pack, source: input.source, rules, roots, externs, opImpls: [...input.opImpls] }, diagnostics };
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
  switch (code.kind) {
    case "ref":
      into.add(code.name);
      return;
    case "call":
      return code.args.forEach((a) => namesInCode(a, into));
    case "array":
      return code.items.forEach((a) => namesInCode(a, into));
    case "binary":
      namesInCode(code.left, into);
      return namesInCode(code.right, into);
    case "unary":
      return namesInCode(code.operand, into);
    case "index":
      namesInCode(code.target, into);
      return namesInCode(code.index, into);
    case "member":
      return namesInCode(code.target, into);
    case "object":
      code.spreads.forEach((c) => namesInCode(c, into));
      return code.props.forEach((p) => namesInCode(p.value, into));
    default:
      return;
  }
}

/** The dispatcher key of an op: `domain::Op`, or `Op` in the default domain. */
export function opKey(decl: { domain: string; name: string }): string {
  return decl.domain === "" || decl.domain === "ai.onnx" ? decl.name : `${decl.domain}::${decl.name}`;
}

// ── one rule ─────────────────────────────────────────────────────────────────────────────

class LowerError extends Error {
  constructor(
    message: string,
    readonly span: Span,
  ) {
    super(message);
  }
}

/** What an expression evaluates to in generated code. */
type Ty = "value" | "tensor" | "number" | "numbers" | "string" | "strings" | "bool";

interface Typed {
  code: Code;
  ty: Ty;
  /** For `value`: the variable holding the constant tensor, when bound with `: const`. */
  tensor?: string;
  /** For `value`: may be absent (`b?`). */
  optional?: boolean;
}

type Binding =
  | { kind: "value"; value: string; tensor?: string; node?: string; decl?: OpDecl; optional: boolean }
  | { kind: "attr"; name: string; ty: Ty }
  | { kind: "let"; name: string; ty: Ty };

/** Names generated code declares or reads itself (keywords included): no local or extern may take them. */
const RESERVED = new Set(
  ("rw root node A G T Node Pass Rewriter RuleInfo rules pass apply bothOrders rootKey Math undefined NaN Infinity arguments eval " +
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
  private readonly scope = new Map<string, Binding>();
  private readonly names = new Set<string>(RESERVED);
  private readonly top: Step[] = [];
  /** Where steps go now: inside the innermost `orders` body once one is open. */
  private body: Step[] = this.top;

  constructor(
    private readonly input: LowerInput,
    private readonly rule: Rule,
    private readonly usedExterns: Set<string>,
  ) {
    for (const name of input.externs.keys()) this.names.add(name);
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
      const value = this.expr(l.value);
      const name = this.fresh(l.name.name);
      this.emit({ kind: "const", name, init: value.code });
      this.bind(l.name, { kind: "let", name, ty: value.ty === "value" ? "tensor" : value.ty });
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
        const earlier = this.scope.get(name);
        if (earlier) {
          if (earlier.kind !== "value") throw new LowerError(`${name} is not a value`, pattern.span);
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
      if (!attr) throw new LowerError(`${decl.name} has no attribute ${a.name.name}`, a.name.span);
      const reader = ATTR_READERS[attr.type.kind];
      if (!reader) throw new LowerError(`attribute patterns on ${attr.type.kind} attributes are not supported`, a.span);
      const args: Code[] = [ref(node), str(attr.name)];
      if (attr.default) args.push(literal(attr.default));
      const read = call(`rw.${reader}`, ...args);
      const ty = attrTy(attr.type);
      if (a.value.kind === "Ident") {
        const name = this.fresh(a.value.name);
        this.emit({ kind: "const", name, init: read });
        // With a declared default the read always yields a value: only a required attribute can be missing.
        if (attr.default === undefined) this.check(binary("===", ref(name), { kind: "undefined" }), `${decl.name} has no ${attr.name}`);
        this.bind(a.value, { kind: "attr", name, ty });
        continue;
      }
      const reason = `${decl.name}.${attr.name} is not ${this.text(a.value)}`;
      if (attr.type.kind === "float" || attr.type.kind === "floats") {
        // Float attributes are float32 in a model (0.2 is stored as 0.20000000298023224): both
        // sides are rounded to float32 before comparing.
        const name = this.fresh(attr.name);
        this.emit({ kind: "const", name, init: read });
        const absent = binary("===", ref(name), { kind: "undefined" });
        const differs =
          attr.type.kind === "float"
            ? binary("!==", call("Math.fround", ref(name)), call("Math.fround", literal(a.value)))
            : not(call("G.equalLists", call(`${name}.map`, ref("Math.fround")), float32Literal(a.value)));
        this.check(binary("||", absent, differs), reason);
        continue;
      }
      if (ty === "numbers") {
        const name = this.fresh(attr.name);
        this.emit({ kind: "const", name, init: read });
        this.check(
          binary("||", binary("===", ref(name), { kind: "undefined" }), not(call("G.equalLists", ref(name), literal(a.value)))),
          reason,
        );
      } else {
        this.check(binary("!==", read, literal(a.value)), reason);
      }
    }
  }

  /** The variable name an operand pattern suggests for the value it matches. */
  private preferredName(p: Pattern, fallback: string): string {
    if (p.kind === "VarPattern" && !this.scope.has(p.name.name)) return p.name.name;
    if (p.kind === "OpPattern") return `${p.binding?.name ?? lowerFirst(identifierPart(p.op.name))}Out`;
    return fallback;
  }

  // ── conditions and expressions ──────────────────────────────────────────────────────────

  private condition(e: Expr): void {
    const c = this.expr(e);
    if (c.ty !== "bool") throw new LowerError(`a condition must be boolean, this is ${c.ty}`, e.span);
    this.check(negate(c.code), `where ${this.text(e)}`);
  }

  private expr(e: Expr): Typed {
    switch (e.kind) {
      case "Number":
        return { code: num(e.value), ty: "number" };
      case "String":
        return { code: str(e.value), ty: "string" };
      case "Bool":
        return { code: { kind: "bool", value: e.value }, ty: "bool" };
      case "List":
      case "ListExpr": {
        const items = e.items.map((i) => this.expr(i));
        const strings = items.length > 0 && items.every((i) => i.ty === "string");
        if (!strings && !items.every((i) => i.ty === "number")) throw new LowerError("a list holds numbers or strings", e.span);
        return { code: { kind: "array", items: items.map((i) => i.code) }, ty: strings ? "strings" : "numbers" };
      }
      case "Ident":
        return this.ident(e);
      case "Unary": {
        const operand = this.expr(e.operand);
        if (e.op === "!") return { code: not(this.bool(operand, e.operand)), ty: "bool" };
        if (operand.ty === "number") return { code: { kind: "unary", op: "-", operand: operand.code }, ty: "number" };
        return { code: call("T.neg", this.tensor(operand, e.operand)), ty: "tensor" };
      }
      case "Binary":
        return this.binaryExpr(e);
      case "Along":
        throw new LowerError("`c@axis` must be an operand of + - * /", e.span);
      case "Index": {
        const target = this.expr(e.target);
        const index = this.expr(e.index);
        if (target.ty !== "numbers" && target.ty !== "strings") throw new LowerError("only lists can be indexed", e.target.span);
        if (index.ty !== "number") throw new LowerError("an index must be a number", e.index.span);
        // A number list is indexed like dim(v, i): negative counts from the end, out of range
        // aborts the rule (JavaScript's p[-1] would be undefined and compare unequal to anything).
        if (target.ty === "numbers") return { code: call("G.dim", target.code, index.code), ty: "number" };
        return { code: { kind: "index", target: target.code, index: index.code }, ty: "string" };
      }
      case "Call":
        return this.callExpr(e);
    }
  }

  private ident(id: Ident): Typed {
    const b = this.scope.get(id.name);
    if (!b) throw new LowerError(`unknown name ${id.name}`, id.span);
    if (b.kind === "value") return { code: ref(b.value), ty: "value", tensor: b.tensor, optional: b.optional };
    return { code: ref(b.name), ty: b.ty };
  }

  private binaryExpr(e: Extract<Expr, { kind: "Binary" }>): Typed {
    switch (e.op) {
      case "&&":
      case "||":
        return { code: binary(e.op, this.bool(this.expr(e.left), e.left), this.bool(this.expr(e.right), e.right)), ty: "bool" };
      case "??": {
        const left = this.expr(e.left);
        if (left.ty !== "value" || !left.optional) throw new LowerError("the left of ?? must be an optional operand (`b?`)", e.left.span);
        if (!left.tensor) throw new LowerError(`${this.text(e.left)} must be bound as a constant (\`?: const\`) to use ??`, e.left.span);
        return { code: binary("??", ref(left.tensor), this.tensor(this.expr(e.right), e.right)), ty: "tensor" };
      }
      case "==":
      case "!=": {
        const left = this.expr(e.left);
        const right = this.expr(e.right);
        if (isList(left.ty) || isList(right.ty)) {
          if (!isList(left.ty) || !isList(right.ty)) throw new LowerError(`cannot compare ${describeTy(left.ty)} with ${describeTy(right.ty)}`, e.span);
          const same = call("G.equalLists", left.code, right.code);
          return { code: e.op === "==" ? same : not(same), ty: "bool" };
        }
        this.requireComparable(left, right, e);
        return { code: binary(e.op === "==" ? "===" : "!==", left.code, right.code), ty: "bool" };
      }
      case "<":
      case "<=":
      case ">":
      case ">=": {
        const left = this.expr(e.left);
        const right = this.expr(e.right);
        if (left.ty !== "number" || right.ty !== "number") throw new LowerError(`${e.op} compares numbers`, e.span);
        return { code: binary(e.op, left.code, right.code), ty: "bool" };
      }
      case "+":
      case "-":
      case "*":
      case "/":
        return this.arithmetic(e.op, e.left, e.right);
    }
  }

  private requireComparable(left: Typed, right: Typed, e: Expr): void {
    const scalar = (t: Ty) => t === "number" || t === "string" || t === "bool";
    if (!scalar(left.ty) || !scalar(right.ty) || left.ty !== right.ty) {
      throw new LowerError(`cannot compare ${describeTy(left.ty)} with ${describeTy(right.ty)}`, e.span);
    }
  }

  private arithmetic(op: "+" | "-" | "*" | "/", leftExpr: Expr, rightExpr: Expr): Typed {
    const l = negationInside(leftExpr);
    const r = negationInside(rightExpr);
    if (l.kind !== "Along" && r.kind !== "Along") {
      const left = this.expr(l);
      const right = this.expr(r);
      if (left.ty === "number" && right.ty === "number") return { code: binary(op, left.code, right.code), ty: "number" };
      return { code: call(TENSOR_OPS[op], this.tensor(left, l), this.tensor(right, r)), ty: "tensor" };
    }
    if (l.kind === "Along" && r.kind === "Along") throw new LowerError("only one operand may use `@`", r.span);
    const [alongExpr, otherExpr] = l.kind === "Along" ? [l, r] : [r as Extract<Expr, { kind: "Along" }>, l];
    // `other` is needed twice (as the operand and as the layout reference): name it once.
    const otherTyped = this.expr(otherExpr);
    if (otherTyped.ty === "number") {
      throw new LowerError(`\`@${alongExpr.axis}\` lays elements along an axis of the other operand, but ${this.text(otherExpr)} is a number`, alongExpr.span);
    }
    const other = this.named(this.tensor(otherTyped, otherExpr), otherExpr);
    const laid = call("T.along", this.tensor(this.expr(alongExpr.operand), alongExpr.operand), num(alongExpr.axis), other);
    return { code: call(TENSOR_OPS[op], ...(l.kind === "Along" ? [laid, other] : [other, laid])), ty: "tensor" };
  }

  /** `code` as a variable reference, introducing a local when it is more than a name. */
  private named(code: Code, e: Expr): Code {
    if (code.kind === "ref") return code;
    const base = e.kind === "Ident" ? e.name : e.kind === "Binary" && e.op === "??" && e.left.kind === "Ident" ? `${e.left.name}OrDefault` : "operand";
    const name = this.fresh(base);
    this.emit({ kind: "const", name, init: code });
    return ref(name);
  }

  private callExpr(e: Extract<Expr, { kind: "Call" }>): Typed {
    const name = e.callee.name;
    const args = e.args;
    const builtin = BUILTINS[name];
    if (builtin) {
      if (args.length < builtin.arity[0] || args.length > builtin.arity[1]) {
        throw new LowerError(`${name} takes ${builtin.arity.join(" to ")} arguments`, e.span);
      }
      return builtin.lower(this, args, e);
    }
    const extern = this.input.externs.get(name);
    if (!extern) throw new LowerError(`unknown function ${name}`, e.callee.span);
    if (args.length !== extern.params.length) throw new LowerError(`${name} takes ${extern.params.length} arguments`, e.span);
    this.usedExterns.add(name);
    const code = args.map((a, i) => this.externArg(a, extern.params[i]!.type));
    return { code: call(extern.name, ...code), ty: "bool" };
  }

  private externArg(a: Expr, type: string): Code {
    const v = this.expr(a);
    switch (type) {
      case "value":
        return this.value(v, a);
      case "node": {
        const b = a.kind === "Ident" ? this.scope.get(a.name) : undefined;
        if (b?.kind !== "value" || !b.node) throw new LowerError(`${this.text(a)} is not a matched node`, a.span);
        return ref(b.node);
      }
      case "tensor":
        return this.tensor(v, a);
      case "int":
      case "float":
        return this.number(v, a);
      case "bool":
        return this.bool(v, a);
      default:
        if (attrTyOf(type) !== v.ty) throw new LowerError(`expected ${type}, got ${v.ty}`, a.span);
        return v.code;
    }
  }

  // ── conversions (a mismatch is a diagnostic at the expression) ─────────────────────────

  /** A graph value; `absentOk` when the consumer accepts an absent operand (isConst). */
  value(t: Typed, e: Expr, absentOk = false): Code {
    if (t.ty !== "value") throw new LowerError(`${this.text(e)} is not a value of the graph`, e.span);
    if (t.optional && !absentOk) {
      throw new LowerError(`${this.text(e)} may be absent (bound as '${this.text(e)}?'); match it without '?' to ask about its uses, shape or dtype`, e.span);
    }
    return t.code;
  }

  /** The graph shape of a value: `rw.shape(v)`. */
  shape(t: Typed, e: Expr): Code {
    return call("rw.shape", this.value(t, e));
  }

  tensor(t: Typed, e: Expr): Code {
    switch (t.ty) {
      case "tensor":
        return t.code;
      case "number":
        return call("T.scalar", t.code);
      case "numbers":
        return call("T.fromList", t.code);
      case "value":
        if (!t.tensor) throw new LowerError(`${this.text(e)} is not bound as a constant; write \`${this.text(e)}: const\``, e.span);
        if (t.optional) throw new LowerError(`${this.text(e)} may be absent; write \`${this.text(e)} ?? <default>\``, e.span);
        return ref(t.tensor);
      default:
        throw new LowerError(`${this.text(e)} is a ${t.ty}, not a tensor`, e.span);
    }
  }

  /** A constant tensor for an argument that may also name a constant value (allClose). */
  constantOf(t: Typed, e: Expr): Code {
    if (t.ty === "value") return t.tensor ? ref(t.tensor) : call("rw.constant", t.code);
    return this.tensor(t, e);
  }

  number(t: Typed, e: Expr): Code {
    if (t.ty !== "number") throw new LowerError(`${this.text(e)} is a ${t.ty}, not a number`, e.span);
    return t.code;
  }

  numbers(t: Typed, e: Expr): Code {
    if (t.ty !== "numbers") throw new LowerError(`${this.text(e)} is a ${t.ty}, not a list of numbers`, e.span);
    return t.code;
  }

  string(t: Typed, e: Expr): Code {
    if (t.ty !== "string") throw new LowerError(`${this.text(e)} is a ${t.ty}, not a string`, e.span);
    return t.code;
  }

  /** A matched node's attributes and its op's declared defaults: `[rw.attrsOf(conv), { group: A.int(1), … }]`. */
  nodeAttrs(e: Expr): [Code, Code] {
    const b = e.kind === "Ident" ? this.scope.get(e.name) : undefined;
    if (b?.kind !== "value" || !b.node || !b.decl) throw new LowerError(`${this.text(e)} is not a matched node`, e.span);
    const props = b.decl.attrs.flatMap((a) => {
      const constructor = ATTR_CONSTRUCTORS[a.type.kind];
      return a.default !== undefined && constructor ? [{ name: a.name, value: call(`A.${constructor}`, literal(a.default)) }] : [];
    });
    return [call("rw.attrsOf", ref(b.node)), { kind: "object", spreads: [], props }];
  }

  bool(t: Typed, e: Expr): Code {
    if (t.ty !== "bool") throw new LowerError(`${this.text(e)} is a ${t.ty}, not a boolean`, e.span);
    return t.code;
  }

  typed(e: Expr): Typed {
    return this.expr(e);
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
    const v = this.expr(r);
    if (v.ty === "value") {
      if (v.optional) throw new LowerError(`${this.text(r)} may be absent`, r.span);
      return [v.code];
    }
    return [this.materialise(this.tensor(v, r), "folded")];
  }

  /** Stages a result op; returns its outputs. */
  private build(r: ResultOp, decl: OpDecl): Code[] {
    if (decl.outputs.some((o) => o.endsWith("..."))) {
      throw new LowerError(`${decl.name} has a variable number of outputs; it cannot be built by a rule`, r.op.span);
    }
    const inputs = r.operands.map((operand, i) => {
      if (operand.kind === "ResultOp") return this.build(operand, this.resolve(operand.op))[0]!;
      const v = this.expr(operand);
      if (v.ty === "value") return v.code;
      const declName = decl.operands[Math.min(i, decl.operands.length - 1)]?.name ?? `in${i}`;
      return this.materialise(this.tensor(v, operand), `${lowerFirst(identifierPart(decl.name))}${upperFirst(identifierPart(declName))}`);
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
        const b = this.scope.get(set.spread.name);
        if (b?.kind !== "value" || !b.node) throw new LowerError(`${set.spread.name} is not a matched node`, set.spread.span);
        spreads.push(call("rw.attrsOf", ref(b.node)));
        continue;
      }
      if (!set.name || !set.value) continue;
      const attr = decl.attrs.find((d) => d.name === set.name!.name);
      if (!attr) throw new LowerError(`${decl.name} has no attribute ${set.name.name}`, set.name.span);
      const constructor = ATTR_CONSTRUCTORS[attr.type.kind];
      if (!constructor) throw new LowerError(`setting ${attr.type.kind} attributes is not supported`, set.span);
      const ty = attrTy(attr.type);
      const v = this.expr(set.value);
      if (v.ty !== ty) throw new LowerError(`attribute ${attr.name} is ${describeAttr(attr.type)}, got ${v.ty}`, set.value.span);
      props.push({ name: attr.name, value: call(`A.${constructor}`, v.code) });
    }
    return { kind: "object", spreads, props };
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────

  private resolve(ref: OpRef): OpDecl {
    const decl = this.input.resolveOp(ref);
    if (!decl) throw new LowerError(`unknown op ${ref.dialect ? `${ref.dialect}.` : ""}${ref.name}`, ref.span);
    return decl;
  }

  private bind(id: Ident, b: Binding): void {
    this.scope.set(id.name, b);
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

// ── built-in functions ───────────────────────────────────────────────────────────────────

interface Builtin {
  arity: [number, number];
  lower(l: RuleLowering, args: Expr[], call: Expr): Typed;
}

const shapeQuery = (fn: string, ty: Ty): Builtin => ({
  arity: [1, 1],
  lower: (l, [v]) => ({ code: call(fn, l.shape(l.typed(v!), v!)), ty }),
});

const shapePredicate = (fn: string): Builtin => ({
  arity: [2, 2],
  lower: (l, [a, b]) => ({ code: call(fn, l.shape(l.typed(a!), a!), l.shape(l.typed(b!), b!)), ty: "bool" }),
});

const tensorFn = (fn: string, extra: "numbers" | "none" | "tensor"): Builtin => ({
  arity: extra === "none" ? [1, 1] : [2, 2],
  lower: (l, [a, b]) => {
    const args = [l.tensor(l.typed(a!), a!)];
    if (extra === "numbers") args.push(l.numbers(l.typed(b!), b!));
    if (extra === "tensor") args.push(l.tensor(l.typed(b!), b!));
    return { code: call(fn, ...args), ty: "tensor" };
  },
});

const filled = (fn: string): Builtin => ({
  arity: [1, 1],
  lower: (l, [s]) => ({ code: call(fn, l.numbers(l.typed(s!), s!)), ty: "tensor" }),
});

const BUILTINS: Record<string, Builtin> = {
  hasOneUse: { arity: [1, 1], lower: (l, [v]) => ({ code: call("rw.hasOneUse", l.value(l.typed(v!), v!)), ty: "bool" }) },
  isConst: {
    arity: [1, 1],
    lower: (l, [v]) => ({ code: binary("!==", call("rw.constant", l.value(l.typed(v!), v!, true)), { kind: "undefined" }), ty: "bool" }),
  },
  useCount: { arity: [1, 1], lower: (l, [v]) => ({ code: call("rw.useCount", l.value(l.typed(v!), v!)), ty: "number" }) },
  rank: shapeQuery("G.rank", "number"),
  numel: shapeQuery("G.numel", "number"),
  isScalar: shapeQuery("G.isScalar", "bool"),
  shape: shapeQuery("G.shapeOf", "numbers"),
  dim: {
    arity: [2, 2],
    lower: (l, [v, i]) => ({ code: call("G.dim", l.shape(l.typed(v!), v!), l.number(l.typed(i!), i!)), ty: "number" }),
  },
  dtype: { arity: [1, 1], lower: (l, [v]) => ({ code: call("rw.dtype", l.value(l.typed(v!), v!)), ty: "string" }) },
  broadcastable: shapePredicate("G.broadcastable"),
  broadcastsTo: shapePredicate("G.broadcastsTo"),
  channelwise: {
    arity: [3, 3],
    lower: (l, [c, v, axis]) => ({
      code: call("G.channelwise", l.shape(l.typed(c!), c!), l.shape(l.typed(v!), v!), l.number(l.typed(axis!), axis!)),
      ty: "bool",
    }),
  },
  allClose: {
    arity: [2, 3],
    lower: (l, [c, v, tol]) => {
      const args = [l.constantOf(l.typed(c!), c!), l.number(l.typed(v!), v!)];
      if (tol) args.push(l.number(l.typed(tol), tol));
      return { code: call("G.allClose", ...args), ty: "bool" };
    },
  },
  len: {
    arity: [1, 1],
    lower: (l, [list]) => {
      const t = l.typed(list!);
      if (!isList(t.ty)) throw new LowerError(`${l.text(list!)} is not a list`, list!.span);
      return { code: { kind: "member", target: t.code, name: "length" }, ty: "number" };
    },
  },
  all: {
    arity: [1, 1],
    lower: (l, [test]) => {
      if (test!.kind !== "Binary" || test!.op !== "==") throw new LowerError("all() takes `list == value`", test!.span);
      const list = l.numbers(l.typed(test!.left), test!.left);
      return { code: call("G.allEqual", list, l.number(l.typed(test!.right), test!.right)), ty: "bool" };
    },
  },
  sameAttrs: {
    arity: [2, Infinity],
    lower: (l, [a, b, ...except]) => ({
      code: call("G.sameAttrs", ...l.nodeAttrs(a!), ...l.nodeAttrs(b!), { kind: "array", items: except.map((e) => l.string(l.typed(e), e)) }),
      ty: "bool",
    }),
  },
  dtypeName: { arity: [1, 1], lower: (l, [c]) => ({ code: call("G.dtypeName", l.number(l.typed(c!), c!)), ty: "string" }) },
  dtypeCode: { arity: [1, 1], lower: (l, [n]) => ({ code: call("G.dtypeCode", l.string(l.typed(n!), n!)), ty: "number" }) },
  intdiv: {
    arity: [2, 2],
    lower: (l, [a, b]) => ({ code: call("G.intdiv", l.number(l.typed(a!), a!), l.number(l.typed(b!), b!)), ty: "number" }),
  },
  concat: {
    arity: [3, 3],
    lower: (l, [a, b, axis]) => ({
      code: call("T.concat", l.tensor(l.typed(a!), a!), l.tensor(l.typed(b!), b!), l.number(l.typed(axis!), axis!)),
      ty: "tensor",
    }),
  },
  composePerm: {
    arity: [2, 2],
    lower: (l, [p, q]) => ({ code: call("G.composePerm", l.numbers(l.typed(p!), p!), l.numbers(l.typed(q!), q!)), ty: "numbers" }),
  },
  isIdentityPerm: { arity: [1, 1], lower: (l, [p]) => ({ code: call("G.isIdentityPerm", l.numbers(l.typed(p!), p!)), ty: "bool" }) },
  // Numbers read out of constants (T.item / T.ints abort when the constant does not fit).
  item: { arity: [1, 1], lower: (l, [t]) => ({ code: call("T.item", l.tensor(l.typed(t!), t!)), ty: "number" }) },
  ints: { arity: [1, 1], lower: (l, [t]) => ({ code: call("T.ints", l.tensor(l.typed(t!), t!)), ty: "numbers" }) },
  sqrt: tensorFn("T.sqrt", "none"),
  rsqrt: tensorFn("T.rsqrt", "none"),
  flatten: tensorFn("T.flatten", "none"),
  reshape: tensorFn("T.reshape", "numbers"),
  expand: tensorFn("T.expand", "numbers"),
  broadcast: tensorFn("T.expand", "numbers"),
  transpose: tensorFn("T.transpose", "numbers"),
  matmul: tensorFn("T.matmul", "tensor"),
  // The language's sum keeps the reduced axes (size 1), so results broadcast back strictly.
  sum: {
    arity: [2, 2],
    lower: (l, [t, axes]) => ({ code: call("T.sum", l.tensor(l.typed(t!), t!), l.numbers(l.typed(axes!), axes!), { kind: "bool", value: true }), ty: "tensor" }),
  },
  zeros: filled("T.zeros"),
  ones: filled("T.ones"),
};

const TENSOR_OPS = { "+": "T.add", "-": "T.sub", "*": "T.mul", "/": "T.div" } as const;

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

function attrTy(t: AttrType): Ty {
  switch (t.kind) {
    case "int":
    case "float":
      return "number";
    case "string":
    case "enum":
      return "string";
    case "ints":
    case "floats":
      return "numbers";
    case "strings":
      return "strings";
    case "tensor":
      return "tensor";
  }
}

function attrTyOf(paramType: string): Ty | undefined {
  return ({ string: "string", ints: "numbers", floats: "numbers", strings: "strings" } as Record<string, Ty>)[paramType];
}

function describeAttr(t: AttrType): string {
  return t.kind === "enum" ? `enum(${t.values.join(", ")})` : t.kind;
}

/** A type as a diagnostic names it. */
function describeTy(t: Ty): string {
  const names: Record<Ty, string> = {
    value: "a graph value",
    tensor: "a constant tensor",
    number: "a number",
    numbers: "a list of numbers",
    string: "a string",
    strings: "a list of strings",
    bool: "a boolean",
  };
  return names[t];
}

function isList(t: Ty): boolean {
  return t === "numbers" || t === "strings";
}

/** `-(c@k)` as `(-c)@k`: negating the elements does not change where they are laid. */
function negationInside(e: Expr): Expr {
  if (e.kind !== "Unary" || e.op !== "-" || e.operand.kind !== "Along") return e;
  const along = e.operand;
  return { ...along, operand: { kind: "Unary", op: "-", operand: along.operand, span: e.span }, span: e.span };
}

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

const ref = (name: string): Code => ({ kind: "ref", name });
const num = (value: number): Code => ({ kind: "number", value });
const str = (value: string): Code => ({ kind: "string", value });
const call = (callee: string, ...args: Code[]): Code => ({ kind: "call", callee, args });
const binary = (op: string, left: Code, right: Code): Code => ({ kind: "binary", op, left, right });
const not = (operand: Code): Code => ({ kind: "unary", op: "!", operand });

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
