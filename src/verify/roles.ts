/**
 * One generator per operand role of the vocabulary (src/compiler/roles.ts): what synthesis
 * places at an operand, chosen by the op's declaration (`op Conv(X: image, W: filter(X), B?:
 * channels(W, 0))`). A role gives the operand's shape (or exact contents) and the values it
 * takes, and may draw the attributes its shape depends on (`filter` draws `group`). An op
 * declared by a user is exercised through the same table as a built-in one.
 */
import type { OpDecl, OperandDecl, OperandRole, RoleArg } from "../compiler/ast.js";
import { ROLES, type RoleName } from "../compiler/roles.js";
import type { Attrs, Value } from "../runtime/graph.js";
import { tensor, type DType, type Tensor } from "../runtime/tensor.js";

/** How a tensor's values are drawn: any sign, positive (√, variances), or away from zero (denominators). */
export type ValueRange = "any" | "positive" | "nonzero";

/** What an operand position wants of the value placed there. */
export interface Hint {
  shape?: number[];
  dtype?: DType;
  range?: ValueRange;
  /** Exact contents (shape operands, pads, axes): the leaf becomes this constant. */
  data?: Tensor;
  /** Values a constant leaf takes half the time (a pad value, a Clip bound). */
  values?: readonly number[];
}

/** The random draws roles make, as synthesis provides them (seeded). */
export interface Draws {
  readonly elementType: DType;
  random(): number;
  pick<T>(choices: readonly T[]): T;
  size(name: "batch" | "channels" | "height" | "width" | "kernel" | "perGroup" | "rows" | "inner" | "cols" | "last"): number;
  freshShape(): number[];
  broadcastShape(shape: readonly number[]): number[];
}

export type AttrValue = number | string | number[] | string[];

/** The roles of one node's operands: hints per operand position, and the attributes the roles draw. */
export interface NodeRoles {
  /** `leaf`: the operand is a leaf of the pattern (built after its op siblings and the attributes). */
  hint(index: number, built: readonly (Value | undefined)[], attrs: Attrs, leaf: boolean): Hint;
  /** A value the attribute must take for the shapes drawn (null: leave out), or undefined to draw it. */
  attr(name: string, built: readonly (Value | undefined)[]): AttrValue | null | undefined;
}

/** What a role's generator reads: the node's declaration, its operands built so far, its attributes. */
interface RoleContext {
  readonly s: Draws;
  readonly decl: OpDecl;
  /** What the node's consumer wants of the node's output. */
  readonly out: Hint;
  readonly args: readonly RoleArg[];
  readonly leaf: boolean;
  readonly index: number;
  readonly built: readonly (Value | undefined)[];
  readonly attrs: Attrs;
  /** Choices shared by the node's operands (a group, the elementwise shape). */
  readonly memo: Map<string, unknown>;
}

interface RoleGenerator {
  hint(c: RoleContext): Hint;
  /** Attributes this role's shape depends on, drawn to fit the operands built so far. */
  attrs?: Record<string, (c: RoleContext) => AttrValue | null>;
}

// ── helpers the generators share ─────────────────────────────────────────────────────────────

function shapeOf(v: Value | undefined): number[] | undefined {
  return v?.shape as number[] | undefined;
}

function int64(values: readonly number[], shape: readonly number[] = [values.length]): Tensor {
  return tensor("int64", shape, values);
}

function memo<T>(c: RoleContext, key: string, make: () => T): T {
  if (!c.memo.has(key)) c.memo.set(key, make());
  return c.memo.get(key) as T;
}

/** The operand an argument names, and its position. */
function operandArg(c: RoleContext, i: number): { value: Value | undefined; decl: OperandDecl | undefined } {
  const arg = c.args[i];
  if (arg?.kind !== "name") return { value: undefined, decl: undefined };
  const at = c.decl.operands.findIndex((o) => o.name === arg.name);
  return { value: at >= 0 ? c.built[at] : undefined, decl: c.decl.operands[at] };
}

/** An int attribute's value on the node (drawn or its declared default). */
function attrInt(c: RoleContext, name: string): number {
  const drawn = c.attrs[name];
  if (drawn?.type === "int") return drawn.value;
  const declared = c.decl.attrs.find((a) => a.name === name)?.default;
  return declared?.kind === "Number" ? declared.value : 0;
}

/** Whether a `trans` argument (an int attribute, or 0/1) is set. */
function transposed(c: RoleContext, arg: RoleArg | undefined): boolean {
  if (!arg) return false;
  return arg.kind === "number" ? arg.value === 1 : attrInt(c, arg.name) === 1;
}

/** The shape role an operand declares. */
function shapeRole(decl: OperandDecl | undefined): OperandRole | undefined {
  return decl?.roles.find((r) => r.name in ROLES && ROLES[r.name as RoleName].kind !== "range");
}

/** A product's left factor: rows and inner size, read through its `matrix(t)` role. */
function leftDims(c: RoleContext, left: { value: Value | undefined; decl: OperandDecl | undefined }): { rows: number; inner: number } {
  const a = shapeOf(left.value);
  if (!a || a.length < 2) return { rows: c.s.size("rows"), inner: a?.[0] ?? c.s.size("inner") };
  const role = shapeRole(left.decl);
  const t = role?.name === "matrix" && transposed(c, role.args[0]);
  return t ? { rows: a[a.length - 1]!, inner: a[a.length - 2]! } : { rows: a[a.length - 2]!, inner: a[a.length - 1]! };
}

function isNhwc(decl: OperandDecl | undefined): boolean {
  const role = shapeRole(decl);
  const layout = role?.name === "image" ? role.args[0] : undefined;
  return layout?.kind === "name" && layout.name === "NHWC";
}

/** A rank-4 activation; the consumer's rank-4 shape when it asks for one. */
function image(c: RoleContext, nhwc: boolean): number[] {
  if (c.out.shape?.length === 4) return c.out.shape;
  const { s } = c;
  return nhwc ? [s.size("batch"), s.size("height"), s.size("width"), s.size("channels")] : [s.size("batch"), s.size("channels"), s.size("height"), s.size("width")];
}

/** Valid axes of a shape: the last, the first, -1, 1, several, none, and its size-1 axes half the time. */
function axesOf(shape: readonly number[], s: Draws): number[] {
  const rank = shape.length;
  const ones = shape.flatMap((d, axis) => (d === 1 ? [axis] : []));
  const choices: number[][] = [[rank - 1], [0], [-1], [1 % Math.max(rank, 1)]];
  if (rank > 2) choices.push([1, rank - 1]);
  if (s.random() < 0.1) choices.push([]);
  if (ones.length > 0) choices.push(ones, [ones[0]!], [ones[0]!]);
  return s.pick(choices);
}

// ── the table: one generator per role ────────────────────────────────────────────────────────

const passThrough = (c: RoleContext): ValueRange | undefined => c.out.range;

export const GENERATORS: { [K in RoleName]: RoleGenerator } = {
  value: { hint: (c) => ({ shape: c.out.shape, range: passThrough(c) }) },
  like: { hint: (c) => ({ shape: shapeOf(operandArg(c, 0).value) ?? c.out.shape, range: passThrough(c) }) },
  broadcast: {
    hint: (c) => {
      // One shape for the node; a leaf beside a built sibling broadcasts into the sibling's shape.
      const main = memo(c, "broadcast", () => c.out.shape ?? c.s.freshShape());
      const sibling = c.built.find((v, j) => j !== c.index && v !== undefined);
      return { shape: sibling && c.leaf ? c.s.broadcastShape(shapeOf(sibling)!) : main, range: passThrough(c) };
    },
  },
  image: {
    hint: (c) => ({ shape: image(c, c.args[0]?.kind === "name" && c.args[0].name === "NHWC"), range: passThrough(c) }),
  },
  filter: {
    hint: (c) => {
      const x = operandArg(c, 0);
      const k = c.s.size("kernel");
      if (isNhwc(x.decl)) return { shape: [c.s.size("perGroup") * 2, k, k, shapeOf(x.value)?.[3] ?? c.s.size("channels")] };
      const groups = attrInt(c, "group") || 1;
      const channels = shapeOf(x.value)?.[1] ?? c.s.size("channels");
      // As many output channels as input channels half the time (depthwise-like filters).
      return { shape: [c.s.pick([groups * c.s.size("perGroup"), channels]), Math.max(1, Math.floor(channels / groups)), k, k] };
    },
    attrs: {
      group: (c) => {
        const channels = shapeOf(operandArg(c, 0).value)?.[1] ?? c.s.size("channels");
        const group = memo(c, "group", () => c.s.pick([1, 1, channels, channels % 2 === 0 ? 2 : 1]));
        return group === 1 && c.s.random() < 0.5 ? null : group;
      },
      kernel_shape: (c) => (c.s.random() < 0.7 ? null : [c.s.size("kernel"), c.s.size("kernel")]),
    },
  },
  transposedFilter: {
    // X [N, C, H, W], W [C, M/group, kH, kW]; group divides C (depthwise when group = C).
    hint: (c) => {
      const channels = shapeOf(operandArg(c, 0).value)?.[1] ?? c.s.size("channels");
      const k = c.s.size("kernel");
      return { shape: [channels, c.s.size("perGroup"), k, k] };
    },
    attrs: {
      group: (c) => {
        const channels = shapeOf(operandArg(c, 0).value)?.[1] ?? c.s.size("channels");
        const group = memo(c, "group", () => c.s.pick([1, channels, channels % 2 === 0 ? 2 : 1, channels]));
        return group === 1 && c.s.random() < 0.5 ? null : group;
      },
    },
  },
  depthwiseFilter: {
    hint: (c) => {
      const k = c.s.size("kernel");
      const channels = shapeOf(operandArg(c, 0).value)?.[3] ?? c.s.size("channels");
      return { shape: [1, k, k, channels * (attrInt(c, "depth_multiplier") || 1)] };
    },
    attrs: { depth_multiplier: (c) => memo(c, "depth_multiplier", () => c.s.pick([1, 1, 2])) },
  },
  channels: {
    hint: (c) => {
      const of = shapeOf(operandArg(c, 0).value);
      const axisArg = c.args[1];
      const axis = axisArg?.kind === "number" ? axisArg.value : 1;
      const dim = of?.[axis < 0 ? of.length + axis : axis] ?? c.s.size("channels");
      const times = c.args[2]?.kind === "name" ? attrInt(c, c.args[2].name) || 1 : 1;
      return { shape: [dim * times] };
    },
  },
  trailing: {
    hint: (c) => {
      const of = shapeOf(operandArg(c, 0).value) ?? [c.s.size("last")];
      const axis = c.args[1]?.kind === "name" ? attrInt(c, c.args[1].name) : -1;
      return { shape: of.slice(axis < 0 ? of.length + axis : axis) };
    },
  },
  matrix: {
    hint: (c) => {
      const { s } = c;
      const [rows, inner] = [s.size("rows"), s.size("inner")];
      if (c.args.length > 0) return { shape: transposed(c, c.args[0]) ? [inner, rows] : [rows, inner], range: passThrough(c) };
      if (c.out.shape && c.out.shape.length >= 2) return { shape: [...c.out.shape.slice(0, -1), inner], range: passThrough(c) };
      return { shape: s.pick([[rows, inner], [rows, inner], [s.size("batch"), rows, inner]]), range: passThrough(c) };
    },
  },
  factor: {
    hint: (c) => {
      const { inner } = leftDims(c, operandArg(c, 0));
      // Square half the time: a rule that confuses a transposition then changes no shape.
      const wanted = c.args.length > 1 ? undefined : c.out.shape?.[c.out.shape.length - 1];
      const cols = wanted ?? (c.s.random() < 0.5 ? inner : c.s.size("cols"));
      return { shape: transposed(c, c.args[1]) ? [cols, inner] : [inner, cols] };
    },
  },
  bias: {
    hint: (c) => {
      const { rows } = leftDims(c, operandArg(c, 0));
      const right = operandArg(c, 1);
      const b = shapeOf(right.value);
      const role = shapeRole(right.decl);
      const cols = b && b.length === 2 ? b[role?.name === "factor" && transposed(c, role.args[1]) ? 0 : 1]! : c.s.size("cols");
      return { shape: c.s.pick([[cols], [1, cols], [rows, cols], [rows, cols], [], [rows, 1]]) };
    },
  },
  scalar: {
    // A constant pad value or bound: zero, a fraction, negative, beyond the data's range.
    hint: (c) => ({ shape: [], values: c.s.elementType === "float32" ? [0, 0, 0.5, -1.5, 4, 1e3] : [0, 0, -2, 5] }),
  },
  axes: { hint: (c) => ({ data: int64(axesOf(shapeOf(operandArg(c, 0).value) ?? [], c.s)) }) },
  shape: {
    hint: (c) => {
      const x = shapeOf(operandArg(c, 0).value) ?? [1];
      const n = x.reduce((a, b) => a * b, 1);
      return { data: int64(c.s.pick([x, x, [n], [x[0]!, n / x[0]!], [...x].reverse(), [-1], [x[0]!, -1], [0, -1]])) };
    },
  },
  ints: {
    hint: (c) => {
      const rank = shapeOf(operandArg(c, 0).value)?.length ?? 4;
      const [low, high] = [c.args[1], c.args[2]].map((a) => (a?.kind === "number" ? a.value : 0)) as [number, number];
      return { data: int64(Array.from({ length: rank }, () => low + Math.floor(c.s.random() * (high - low + 1)))) };
    },
  },
  indices: {
    hint: (c) => {
      const of = shapeOf(operandArg(c, 0).value) ?? [c.s.size("channels")];
      const axisName = c.args[1]?.kind === "name" ? c.args[1].name : "axis";
      const axis = attrInt(c, axisName);
      const dim = of[axis < 0 ? of.length + axis : axis] ?? 1;
      const shape = c.s.pick([[], [2], [3], [2, 2]]);
      const count = shape.reduce((a, b) => a * b, 1);
      return { data: int64(Array.from({ length: count }, () => Math.floor(c.s.random() * 2 * dim) - dim), shape) };
    },
  },
  pads: {
    hint: (c) => {
      const rank = shapeOf(operandArg(c, 0).value)?.length ?? 4;
      // Batch and channel axes mostly unpadded (what folding into a Conv's pads needs).
      return { data: int64(Array.from({ length: 2 * rank }, (_, j) => (j % rank < 2 && c.s.random() < 0.8 ? 0 : c.s.pick([0, 1, 1, 2])))) };
    },
  },
  padPairs: {
    hint: (c) => {
      const rank = shapeOf(operandArg(c, 0).value)?.length ?? 4;
      const pairs = Array.from({ length: 2 * rank }, (_, j) => {
        const axis = j >> 1;
        return (axis === 0 || axis === rank - 1) && c.s.random() < 0.8 ? 0 : c.s.pick([0, 1, 1, 2]);
      });
      return { data: tensor("int32", [rank, 2], pairs) };
    },
  },
  flag: { hint: (c) => ({ data: tensor("bool", [], [c.s.pick([0, 0, 1])]) }) },
  fraction: { hint: () => ({ data: tensor("float32", [], [0.5]) }) },
  positive: { hint: () => ({ range: "positive" }) },
  nonzero: { hint: (c) => ({ range: c.out.range === "positive" ? "positive" : "nonzero" }) },
};

/** The roles of a node of `decl` whose consumer wants `out`. */
export function nodeRoles(decl: OpDecl, s: Draws, out: Hint): NodeRoles {
  const shared = new Map<string, unknown>();
  const declAt = (index: number): OperandDecl | undefined => decl.operands[Math.min(index, decl.operands.length - 1)];
  const rolesAt = (index: number): { shape: OperandRole; range?: OperandRole } => {
    const operand = declAt(index);
    const declared = operand?.roles.filter((r) => r.name in ROLES) ?? [];
    const range = declared.find((r) => ROLES[r.name as RoleName].kind === "range");
    const first = decl.operands[0]?.name ?? "";
    // Without a shape role: the first operand is `value`, the others `like(<first>)`.
    const fallback: OperandRole = index === 0 || !first ? { name: "value", args: [], span: decl.span } : { name: "like", args: [{ kind: "name", name: first, span: decl.span }], span: decl.span };
    return { shape: shapeRole(operand) ?? fallback, ...(range ? { range } : {}) };
  };
  const context = (index: number, role: OperandRole, built: readonly (Value | undefined)[], attrs: Attrs, leaf: boolean): RoleContext => ({
    s,
    decl,
    out,
    args: role.args,
    leaf,
    index,
    built,
    attrs,
    memo: shared,
  });
  return {
    hint: (index, built, attrs, leaf) => {
      const { shape, range } = rolesAt(index);
      const hint = GENERATORS[shape.name as RoleName].hint(context(index, shape, built, attrs, leaf));
      if (!range) return hint;
      return { ...hint, range: GENERATORS[range.name as RoleName].hint(context(index, range, built, attrs, leaf)).range! };
    },
    attr: (name, built) => {
      for (let index = 0; index < decl.operands.length; index++) {
        const { shape } = rolesAt(index);
        const draw = GENERATORS[shape.name as RoleName].attrs?.[name];
        if (draw) return draw(context(index, shape, built, {}, false));
      }
      return undefined;
    },
  };
}
