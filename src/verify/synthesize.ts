/**
 * Graphs synthesized from a rule's pattern alone, for `fusec verify <rules>`: every operator of
 * the pattern becomes a node, every non-const variable a graph input (a repeated variable is one
 * input), every `const` leaf a random constant, every literal leaf a constant filled with the
 * literal; attributes (captured or not mentioned) are drawn from small domains per op and
 * attribute. Shapes follow each operand's role (NCHW activations and OIHW filters consistent
 * with `group`, per-channel statistics, broadcast constants of the shapes that channelwise and
 * scalar guards look for: `[]`, `[1]`, `[C]`, `[C,1,1]`, `[1,C,1,1]`, full) and are drawn at
 * random, seeded; the runtime's shape inference rejects inconsistent draws (RejectedDraw).
 */
import type { Expr, Literal, OpDecl, OpPattern, Pattern, ResultOp, Rule, AttrDecl } from "../compiler/ast.js";
import { forEachSubExpr, type OpTable } from "../compiler/program.js";
// Registers every op's shape function, which rejects inconsistent draws.
import "../kernels/index.js";
import { GraphBuilder } from "../runtime/json.js";
import type { Attr, Attrs, Graph, Value } from "../runtime/graph.js";
import { tensor, type DType, type Tensor } from "../runtime/tensor.js";
import { nodeRoles, type AttrValue, type Draws, type Hint, type NodeRoles, type ValueRange } from "./roles.js";

/** Inputs drawn from one range, with the range's description. */
export interface InputSet {
  /** `[-1, 1)`, `±1e3`, `negative`, `boundaries {0, ±3, ±6}`, … */
  range: string;
  feeds: Record<string, Tensor>;
}

/** A synthesized graph and the inputs to run it on. */
export interface Candidate {
  graph: Graph;
  /** The first input set (values in [-1, 1)). */
  feeds: Record<string, Tensor>;
  /** The same graph's inputs drawn from every range verification covers, `feeds` first. */
  inputSets: InputSet[];
  /** The element type of the graph's inputs and pattern constants: float32, or an integer type. */
  elementType: DType;
}

/** A draw the graph cannot be built from (inconsistent shapes, an unsupported pattern). */
export class RejectedDraw extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RejectedDraw";
  }
}

/** Builds candidate number `seed` for `rule` (deterministic); throws RejectedDraw when it does not fit. */
export function synthesize(rule: Rule, ops: OpTable, seed: number, options: { small?: boolean } = {}): Candidate {
  const synthesis = new Synthesis(ops, seed, guardedValues(rule), comparedNames(rule), ruleConstants(rule), options.small ?? false, usesSameAttrs(rule));
  const root = synthesis.buildOp(rule.pattern, {});
  // The root's outputs are read by the graph (all, or the first) or by a node after it: a rule
  // may not replace a graph output by a graph input, so `=> x` rules fire only in the last form.
  const reading = synthesis.random();
  if (reading < 0.35) synthesis.builder.output(...root.outputs);
  else if (reading < 0.7 || root.outputs[0]!.dtype !== "float32") synthesis.builder.output(root.outputs[0]!);
  else synthesis.builder.output(synthesis.builder.op("Sigmoid", [root.outputs[0]!]));
  const inputSets = synthesis.inputSets();
  return { graph: synthesis.builder.graph, feeds: inputSets[0]!.feeds, inputSets, elementType: synthesis.elementType };
}

/**
 * The numbers a rule is written with (pattern literals, attribute values, condition and result
 * constants): where a wrong rule's behaviour changes (a Clip bound, HardSwish's ±3, an alpha)
 * is usually at one of them, so inputs are also drawn exactly there.
 */
function ruleConstants(rule: Rule): number[] {
  const found = new Set<number>();
  const visitExpr = (e: Expr | Literal): void => {
    switch (e.kind) {
      case "Number":
        found.add(e.value);
        return;
      case "List":
      case "ListExpr":
        return (e.items as (Expr | Literal)[]).forEach(visitExpr);
      case "Unary":
        if (e.op === "-" && e.operand.kind === "Number") found.add(-e.operand.value);
        return visitExpr(e.operand);
      case "Binary":
        visitExpr(e.left);
        return visitExpr(e.right);
      case "Call":
        return e.args.forEach(visitExpr);
      case "Index":
        return visitExpr(e.target);
      case "Along":
        return visitExpr(e.operand);
      default:
        return;
    }
  };
  const visitPattern = (p: Pattern): void => {
    if (p.kind === "LiteralPattern") found.add(p.value);
    if (p.kind !== "OpPattern") return;
    p.operands.forEach(visitPattern);
    for (const a of p.attrs) if (a.value.kind !== "Ident") visitExpr(a.value);
  };
  const visitResult = (r: Expr | ResultOp): void => {
    if (r.kind !== "ResultOp") return visitExpr(r);
    r.operands.forEach(visitResult);
    for (const a of r.attrs) if (a.value) visitExpr(a.value);
  };
  visitPattern(rule.pattern);
  if (rule.where) visitExpr(rule.where);
  rule.lets.forEach((l) => visitExpr(l.value));
  visitResult(rule.result);
  return [...found].filter((v) => Number.isFinite(v) && Math.abs(v) < 1e6);
}

/** The condition asks for two nodes with the same attributes: draw each op's attributes like the previous op's, mostly. */
function usesSameAttrs(rule: Rule): boolean {
  let found = false;
  if (rule.where) forEachSubExpr(rule.where, (e) => (found ||= e.kind === "Call" && e.callee.name === "sameAttrs"));
  return found;
}

/** Names the rule's condition compares with each other (`a == a2`): captured attributes drawn alike half the time. */
function comparedNames(rule: Rule): Set<string> {
  const names = new Set<string>();
  if (rule.where) {
    forEachSubExpr(rule.where, (e) => {
      if (e.kind === "Binary" && e.op === "==" && e.left.kind === "Ident" && e.right.kind === "Ident") names.add(e.left.name).add(e.right.name);
    });
  }
  return names;
}

/**
 * Constants the rule's condition compares with a literal (`allClose(one, 1.0, tol)`), with the
 * tolerance: drawn as that literal, or just inside the tolerance, half the time.
 */
function guardedValues(rule: Rule): Map<string, { value: number; tolerance: number }> {
  const values = new Map<string, { value: number; tolerance: number }>();
  if (rule.where) {
    forEachSubExpr(rule.where, (e) => {
      if (e.kind !== "Call" || e.callee.name !== "allClose") return;
      const [target, literal, tol] = e.args;
      if (target?.kind === "Ident" && literal?.kind === "Number") {
        values.set(target.name, { value: literal.value, tolerance: tol?.kind === "Number" ? tol.value : 1e-6 });
      }
    });
  }
  return values;
}

// ── randomness ───────────────────────────────────────────────────────────────────────────────

/** mulberry32: a small seeded generator, uniform in [0, 1). */
function generator(seed: number): () => number {
  let state = (seed * 0x9e3779b1) >>> 0 || 1;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


/** The sizes one candidate draws its shapes from. */
interface Sizes {
  batch: number;
  channels: number;
  height: number;
  width: number;
  kernel: number;
  /** Output channels per group of a convolution. */
  perGroup: number;
  rows: number;
  inner: number;
  cols: number;
  last: number;
}

class Synthesis implements Draws {
  readonly builder = new GraphBuilder();
  readonly random: () => number;
  private readonly sizes: Sizes;
  /** Pattern variables and node bindings already built. */
  private readonly bound = new Map<string, Value | undefined>();
  /** Attribute values already drawn, by attribute name (reused for captures compared with `==`). */
  private readonly drawnAttrs = new Map<string, Attr>();
  private readonly ranges = new Map<Value, ValueRange>();

  /** float32, or (one candidate in six) an integer type: rules must hold for every dtype they match. */
  readonly elementType: DType;

  constructor(
    private readonly ops: OpTable,
    seed: number,
    /** Constants to fill with a literal (or one within the guard's tolerance) half the time, by pattern variable. */
    private readonly guarded: ReadonlyMap<string, { value: number; tolerance: number }>,
    /** Captured attributes the condition compares for equality. */
    private readonly compared: ReadonlySet<string>,
    /** The numbers the rule is written with (inputs are also drawn exactly there). */
    private readonly constants: readonly number[],
    /** Draw the smallest sizes (to shrink a counterexample). */
    small: boolean,
    /** Draw an op's attributes as the previous op's, three times in four (`sameAttrs`). */
    private readonly alike: boolean,
  ) {
    this.random = generator(seed);
    const sized = <T>(choices: readonly T[], smallest: number): T => this.pick(small ? choices.slice(0, smallest) : choices);
    this.sizes = {
      batch: sized([1, 1, 2], 2),
      channels: sized([1, 2, 3, 4, 4, 6], 2),
      height: sized([4, 5, 6], 1),
      width: sized([4, 5, 7], 1),
      kernel: sized([1, 2, 3, 3], 2),
      perGroup: sized([1, 2, 3], 1),
      rows: sized([1, 2, 3], 1),
      inner: sized([2, 3, 4], 1),
      cols: sized([2, 3, 5], 1),
      last: sized([3, 4, 6], 1),
    };
    this.elementType = this.random() < 1 / 6 ? this.pick<DType>(["int32", "int64"]) : "float32";
  }

  pick<T>(choices: readonly T[]): T {
    return choices[Math.floor(this.random() * choices.length)]!;
  }

  /** The graph's inputs drawn from every range of INPUT_RANGES, the first being [-1, 1). */
  inputSets(): InputSet[] {
    const boundaries = this.boundaryValues();
    return INPUT_RANGES.map((range) => {
      const feeds: Record<string, Tensor> = {};
      for (const input of this.builder.graph.inputs) {
        const dtype = input.dtype ?? "float32";
        const draw = () => range.draw(this.random, boundaries, dtype !== "float32");
        feeds[input.name] = this.randomTensor(dtype, input.shape as number[], this.ranges.get(input) ?? "any", draw);
      }
      return { range: range.name === "boundaries" ? `boundaries {${boundaries.map(round).join(", ")}}` : range.name, feeds };
    });
  }

  /** 0, ± every number of the rule, ± every one-element constant of the graph (Clip bounds drawn at random). */
  private boundaryValues(): number[] {
    const values = new Set<number>([0]);
    const add = (v: number) => {
      if (!Number.isFinite(v) || Math.abs(v) > 1e6) return;
      const stored = Math.fround(v);
      values.add(stored);
      values.add(-stored);
    };
    this.constants.forEach(add);
    for (const c of this.builder.graph.constants) {
      if (c.constant && c.constant.data.length === 1 && c.constant.dtype !== "bool") add(Number(c.constant.data[0]));
    }
    return [...values].sort((a, b) => a - b);
  }

  // ── nodes ──────────────────────────────────────────────────────────────────────────────

  buildOp(pattern: OpPattern, hint: Hint): { outputs: Value[] } {
    const decl = this.ops.resolve(pattern.op);
    if (!decl) throw new RejectedDraw(`op ${pattern.op.name} is not declared`);
    const roles = nodeRoles(decl, this, hint);
    const inputs: (Value | undefined)[] = new Array(pattern.operands.length).fill(undefined);
    // Operators first: leaves take their shapes from the operands built before them.
    pattern.operands.forEach((operand, i) => {
      if (operand.kind === "OpPattern") inputs[i] = this.buildOp(operand, roles.hint(i, inputs, {}, false)).outputs[0];
    });
    // The first operand before the attributes: a perm, axes or group is drawn for its rank and channels.
    const first = pattern.operands[0];
    if (first && first.kind !== "OpPattern") inputs[0] = this.buildLeaf(first, roles.hint(0, inputs, {}, true));
    const attrs = this.drawAttrs(decl, pattern, inputs, roles);
    pattern.operands.forEach((operand, i) => {
      if (operand.kind !== "OpPattern" && i > 0) inputs[i] = this.buildLeaf(operand, roles.hint(i, inputs, attrs, true));
    });
    if (decl.commutative && inputs.length === 2 && this.random() < 0.5) inputs.reverse();
    while (inputs.length > 0 && inputs[inputs.length - 1] === undefined) inputs.pop();
    const outputCount = decl.outputs.some((o) => o.endsWith("...")) ? 2 : decl.outputs.length;
    let outputs: Value[];
    try {
      outputs = this.builder.node(decl.name, inputs, { attrs, domain: decl.domain, outputs: outputCount });
    } catch (e) {
      throw new RejectedDraw((e as Error).message);
    }
    if (outputs.some((v) => v.shape === undefined || v.shape.some((d) => typeof d !== "number"))) {
      throw new RejectedDraw(`${decl.name}: output shape unknown`);
    }
    if (pattern.binding) this.bound.set(pattern.binding.name, outputs[0]);
    return { outputs };
  }

  private buildLeaf(pattern: Pattern, hint: Hint): Value | undefined {
    switch (pattern.kind) {
      case "LiteralPattern": {
        const dtype = hint.dtype ?? this.elementType;
        // An integer graph cannot hold the literal 0.5: such a rule is checked on float graphs only.
        if (dtype !== "float32" && !Number.isInteger(pattern.value)) throw new RejectedDraw(`the literal ${pattern.value} is not an integer`);
        return this.builder.constant(tensor(dtype, hint.shape ?? [], new Array(size(hint.shape ?? [])).fill(pattern.value)));
      }
      case "WildcardPattern":
        return this.freshLeaf(hint, hint.data !== undefined);
      case "VarPattern": {
        const name = pattern.name.name;
        if (this.bound.has(name)) return this.bound.get(name);
        const value = pattern.optional && this.random() < 0.4 ? undefined : this.freshLeaf(hint, pattern.constant, name);
        this.bound.set(name, value);
        return value;
      }
      case "OpPattern":
        return this.buildOp(pattern, hint).outputs[0];
    }
  }

  private freshLeaf(hint: Hint, constant: boolean, name?: string): Value {
    const graph = this.builder.graph;
    if (hint.data) return graph.addConstant(hint.data, name ?? "const");
    const shape = hint.shape ?? this.freshShape();
    const dtype = hint.dtype ?? this.elementType;
    const range = hint.range ?? "any";
    if (constant) {
      const guard = name === undefined ? undefined : this.guarded.get(name);
      // Exactly the literal, or as far from it as the guard allows: a rule must hold for both.
      const literal = guard && this.pick([guard.value, guard.value + 0.9 * guard.tolerance, guard.value - 0.9 * guard.tolerance]);
      // A role's own values (a pad value, a Clip bound) half the time.
      const special = literal ?? (hint.values && this.random() < 0.5 ? this.pick(hint.values) : undefined);
      const data = special !== undefined && (literal === undefined || this.random() < 0.5) ? tensor(dtype, shape, new Array(size(shape)).fill(special)) : this.randomTensor(dtype, shape, range);
      return graph.addConstant(data, name ?? "const");
    }
    // Pattern variables are unique names; wildcards are numbered.
    const input = this.builder.input(name ?? `any${graph.inputs.length}`, dtype, shape);
    this.ranges.set(input, range);
    return input;
  }

  freshShape(): number[] {
    const s = this.sizes;
    // Equal sizes too: a rule that confuses two axes of the same size changes no shape.
    return this.pick([
      [s.batch, s.channels, s.height, s.width],
      [s.batch, s.channels, s.height, s.width],
      [s.batch, s.channels, s.height, s.height],
      [s.rows, s.last],
      [s.batch, s.rows, s.last],
      [s.inner, s.inner, s.inner],
    ]);
  }

  size(name: keyof Sizes): number {
    return this.sizes[name];
  }

  /** A tensor drawn by `draw` (default: [-1, 1), integers in [-3, 3]), kept inside `range`. */
  randomTensor(dtype: DType, shape: readonly number[], range: ValueRange, draw?: () => number): Tensor {
    const integer = dtype !== "float32";
    const next = draw ?? (() => (integer ? Math.floor(this.random() * 7) - 3 : this.random() * 2 - 1));
    const values: number[] = [];
    for (let i = size(shape); i > 0; i--) values.push(within(next(), range, integer));
    return tensor(dtype, shape, values);
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    return perm;
  }

  /** A constant that broadcasts into `shape`: scalar, one element, per last axis, per channel, full. */
  broadcastShape(shape: readonly number[]): number[] {
    const rank = shape.length;
    const choices: number[][] = [[...shape], [...shape], [], [1]];
    if (rank >= 1) choices.push([shape[rank - 1]!], [...new Array(rank - 1).fill(1), shape[rank - 1]!]);
    if (rank === 4) choices.push([shape[1]!, 1, 1], [1, shape[1]!, 1, 1], [1, shape[1]!, 1, 1]);
    if (rank === 2) choices.push([shape[0]!, 1]);
    return this.pick(choices);
  }

  // ── attributes ─────────────────────────────────────────────────────────────────────────

  private drawAttrs(decl: OpDecl, pattern: OpPattern, inputs: readonly (Value | undefined)[], roles: NodeRoles): Attrs {
    const attrs = this.drawAttrsFreely(decl, pattern, inputs, roles);
    // ONNX forbids explicit pads with auto_pad SAME_UPPER, SAME_LOWER or VALID: keep the one
    // the pattern fixes (pads when it fixes neither); a pattern fixing both is its own problem.
    const autoPad = attrs["auto_pad"];
    if (autoPad?.type === "string" && autoPad.value !== "NOTSET" && attrs["pads"]) {
      const fixed = (name: string) => pattern.attrs.some((a) => a.name.name === name && a.value.kind !== "Ident");
      if (!fixed("pads")) delete attrs["pads"];
      else if (!fixed("auto_pad")) delete attrs["auto_pad"];
    }
    return attrs;
  }

  private drawAttrsFreely(decl: OpDecl, pattern: OpPattern, inputs: readonly (Value | undefined)[], roles: NodeRoles): Attrs {
    const attrs: Attrs = {};
    const reuse = this.alike && this.random() < 0.75;
    for (const attr of decl.attrs) {
      const given = pattern.attrs.find((a) => a.name.name === attr.name);
      if (given && given.value.kind !== "Ident") {
        const value = literalAttr(attr, given.value);
        if (value) attrs[attr.name] = value;
        continue;
      }
      if (reuse && this.drawnAttrs.has(attr.name)) {
        attrs[attr.name] = this.drawnAttrs.get(attr.name)!;
        continue;
      }
      const forced = roles.attr(attr.name, inputs);
      if (forced !== undefined) {
        if (forced !== null) {
          attrs[attr.name] = typedAttr(attr, forced);
          this.drawnAttrs.set(attr.name, attrs[attr.name]!);
        }
        continue;
      }
      const previous = this.drawnAttrs.get(attr.name);
      if (given?.value.kind === "Ident" && this.compared.has(given.value.name) && previous && this.random() < 0.5) {
        attrs[attr.name] = previous;
        continue;
      }
      // Not mentioned (or captured): often left at its default, else drawn from its domain.
      if (attr.default !== undefined && this.random() < 0.4) continue;
      const drawn = this.pick(attrDomain(decl, attr, inputs, this));
      if (drawn === null) continue;
      attrs[attr.name] = typedAttr(attr, drawn);
      this.drawnAttrs.set(attr.name, attrs[attr.name]!);
    }
    return attrs;
  }
}

/**
 * The ranges every candidate graph's inputs are drawn from: a rule that holds only for small
 * inputs, only for one sign, or everywhere but at its constants' boundaries is caught by one of
 * them. (Constants of the pattern are drawn once, in [-1, 1).)
 */
const INPUT_RANGES: { name: string; draw(random: () => number, boundaries: readonly number[], integer: boolean): number }[] = [
  { name: "[-1, 1)", draw: (r, _b, integer) => (integer ? Math.floor(r() * 7) - 3 : r() * 2 - 1) },
  { name: "[-10, 10)", draw: (r, _b, integer) => (integer ? Math.floor(r() * 21) - 10 : r() * 20 - 10) },
  { name: "±1e3", draw: (r, _b, integer) => (integer ? Math.floor(r() * 2001) - 1000 : r() * 2000 - 1000) },
  { name: "negative", draw: (r, _b, integer) => (integer ? -1 - Math.floor(r() * 10) : -(r() * 10 + 1e-3)) },
  { name: "positive", draw: (r, _b, integer) => (integer ? 1 + Math.floor(r() * 10) : r() * 10 + 1e-3) },
  {
    name: "boundaries",
    draw: (r, boundaries, integer) => {
      const v = r() < 0.75 ? boundaries[Math.floor(r() * boundaries.length)]! : r() * 20 - 10;
      return integer ? Math.round(v) : v;
    },
  },
];

/** `v` moved into `range`: positive ranges take the magnitude (plus a margin), denominators stay away from 0. */
function within(v: number, range: ValueRange, integer: boolean): number {
  const margin = integer ? 1 : 0.5;
  if (range === "positive") return Math.abs(v) + margin;
  if (range === "nonzero" && Math.abs(v) < margin) return (v < 0 ? -1 : 1) * (margin + Math.abs(v));
  return v;
}

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function rankOf(v: Value | undefined): number | undefined {
  return v?.shape?.length;
}


function typedAttr(decl: AttrDecl, value: AttrValue): Attr {
  switch (decl.type.kind) {
    case "int":
      return { type: "int", value: value as number };
    case "float":
      return { type: "float", value: value as number };
    case "ints":
      return { type: "ints", value: value as number[] };
    case "floats":
      return { type: "floats", value: value as number[] };
    case "strings":
      return { type: "strings", value: value as string[] };
    default:
      return { type: "string", value: String(value) };
  }
}

function literalAttr(decl: AttrDecl, literal: Literal | Expr): Attr | undefined {
  const plain = (l: Literal): AttrValue | undefined => {
    switch (l.kind) {
      case "Number":
        return l.value;
      case "String":
        return l.value;
      case "Bool":
        return l.value ? 1 : 0;
      case "List":
        return l.items.map((i) => plain(i)) as number[];
    }
  };
  if (literal.kind !== "Number" && literal.kind !== "String" && literal.kind !== "Bool" && literal.kind !== "List") return undefined;
  const value = plain(literal);
  return value === undefined || decl.type.kind === "tensor" ? undefined : typedAttr(decl, value);
}

/** The values an attribute is drawn from when the pattern does not fix it (null: leave it out). */
function attrDomain(decl: OpDecl, attr: AttrDecl, inputs: readonly (Value | undefined)[], s: Synthesis): (AttrValue | null)[] {
  const rank = rankOf(inputs[0]) ?? 4;
  const spatial = Math.max(rank - 2, 1);
  const repeat = (v: number, n = spatial) => new Array(n).fill(v) as number[];
  switch (attr.name) {
    case "pads":
      return [repeat(0, 2 * spatial), repeat(1, 2 * spatial), [...repeat(0, spatial), ...repeat(1, spatial)]];
    case "strides":
      return [repeat(1), repeat(2)];
    case "dilations":
      return [repeat(1), repeat(2)];
    case "auto_pad":
      return ["NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"];
    case "ceil_mode":
    case "count_include_pad":
    case "transA":
    case "transB":
    case "keepdims":
      return [0, 1];
    case "alpha":
      if (decl.name === "HardSigmoid") return [0.2, 0.16666667, 0.5];
      if (decl.name === "LeakyRelu") return [0.01, 0.2];
      return [1, 0.5, 2];
    case "beta":
      if (decl.name === "HardSigmoid") return [0.5, 0.2];
      return [1, 0.5, 0];
    case "epsilon":
      return [1e-5, 1e-3];
    case "training_mode":
      return [0, 0, 0, 1];
    case "axis":
      return [-1, rank - 1, 1];
    case "axes":
      return [[-1], [rank - 1], [1], [1, rank - 1]];
    case "perm": {
      const identity = Array.from({ length: rank }, (_, i) => i);
      return [identity, s.permutation(rank), s.permutation(rank), s.permutation(rank)];
    }
    case "min":
      return [null, -1, 0, -3.4028234663852886e38];
    case "max":
      return [null, 1, 6, 3.4028234663852886e38];
    case "fused_activation_function":
      return ["NONE", "NONE", "RELU", "RELU6", "TANH"];
    case "padding":
      return ["VALID", "SAME"];
    case "stride_h":
    case "stride_w":
      return [1, 2];
    case "filter_height":
    case "filter_width":
      return [1, 2, 3];
    case "approximate":
      return ["none", "tanh"];
    case "kernel_shape":
      return [repeat(1), repeat(2), repeat(3), [2, ...repeat(3, spatial - 1)]];
  }
  switch (attr.type.kind) {
    case "enum":
      return attr.type.values;
    case "int":
    case "float":
    case "string":
    case "tensor":
    case "ints":
    case "floats":
    case "strings":
      return [null];
  }
}
