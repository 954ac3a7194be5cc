/**
 * Random small graphs for the property tests of the rule packs (property.test.ts).
 *
 * fast-check generates a *recipe*: an input shape and a list of steps whose parameters do not
 * depend on the shapes they will meet (a convolution's group is "depthwise" or "the k-th divisor
 * of C", a constant's layout is "[C,1,1]" or "the full shape", …). `buildOnnx` and `buildTfl`
 * turn a recipe into a graph, resolving each step against the current tensor's shape (a kernel
 * too large for the input is shrunk, a rank-2 value is reshaped back to NCHW before a
 * convolution), so every recipe builds and a shrunk recipe is still a valid graph. Graphs carry
 * a compact text form (op list with shapes) for fast-check's counterexamples.
 */
import fc from "fast-check";
import type { Graph, Value, Attrs, Dim } from "../../src/runtime/graph.js";
import "../../src/kernels/index.js";
import { GraphBuilder } from "../../src/runtime/json.js";
import { f32, i64, type Tensor } from "../../src/runtime/tensor.js";
import { describeGraph as describe } from "../../src/verify/describe.js";

// ── recipes ──────────────────────────────────────────────────────────────────────────────────

/** Where a binary step's constant varies, resolved against the tensor it meets. */
export type ConstLayout = "scalar" | "one" | "vector" | "c11" | "1c11" | "111w" | "full" | "grow" | "rank3" | "lifted" | "scalarLifted";
type ConstFill = "random" | "ones" | "zeros";
type BinaryOp = "Add" | "Sub" | "Mul" | "Div";

interface ConvSpec {
  /** 0: group 1; 1: depthwise (group = C); k ≥ 2: the k-th divisor of C. */
  groupPick: number;
  /** Output channels per group, 1-based pick (clamped). */
  outPick: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  /** [top, left, bottom, right]. */
  pads: [number, number, number, number];
  autoPad: "NOTSET" | "SAME_UPPER" | "VALID";
  bias: boolean;
  seed: number;
}

type Activation =
  | { act: "Relu" | "Sigmoid" | "Tanh" | "HardSwish" }
  | { act: "LeakyRelu"; alpha: number }
  | { act: "Clip"; form: "inputs" | "min-only" | "max-only" | "attributes"; lo: number; hi: number }
  | { act: "HardSigmoid"; alpha: number; beta: number }
  /** x·Clip(x+3, 0, 6)/6 and friends; `variant` picks the association, `swap` the operand orders, `near` a wrong constant. */
  | { act: "HardSwishSpelled"; variant: number; swap: number; near: boolean }
  | { act: "HardSigmoidSpelled"; divide: boolean; swap: boolean };

/**
 * `op(x, c)` or `op(c, x)` with a constant c; when `computed` is set, c is itself that op of two
 * constants (c's layout and a scalar or c's own shape), for the constant folds.
 */
interface BinaryStep {
  kind: "binary";
  op: BinaryOp;
  constFirst: boolean;
  layout: ConstLayout;
  fill: ConstFill;
  computed: BinaryOp | undefined;
  seed: number;
}

interface BatchNormStep {
  kind: "batchnorm";
  seed: number;
  epsilon: number;
}

type OnnxStep =
  | { kind: "conv"; conv: ConvSpec }
  | BinaryStep
  | BatchNormStep
  | { kind: "activation"; activation: Activation }
  /** A convolution with a step before it and up to three after it: the shapes the folds look for. */
  | { kind: "block"; pre: BinaryStep | undefined; conv: ConvSpec; post: (BinaryStep | BatchNormStep | { kind: "activation"; activation: Activation })[] }
  | { kind: "residual"; branch: ConvSpec; other: "input" | "conv" | "pooled"; sumFirst: boolean; activation: Activation | undefined }
  | {
      kind: "pad";
      pads: [number, number, number, number];
      channelPad: boolean;
      value: "absent" | "zero" | "nonzero";
      mode: "constant" | "reflect" | "edge";
      then: { op: "Conv"; conv: ConvSpec; ownPads: boolean } | { op: "AveragePool" | "MaxPool"; k: number; s: number; ceil: boolean; includePad: boolean; ownPads: boolean };
    }
  | { kind: "transposes"; p: number[]; q: number[] }
  | { kind: "reshapes"; first: "flat" | "rows" | "rank3"; second: "back" | "minus1" | "zero" | "swap" }
  | { kind: "identity" }
  | { kind: "dropout"; ratio: boolean; training: boolean; maskOutput: boolean }
  | {
      kind: "dense";
      gemm: boolean;
      out: number;
      transB: boolean;
      alpha: number;
      beta: number;
      bias: ConstLayout | "none";
      biasFirst: boolean;
      batchnorm: boolean;
      activation: "none" | "Relu" | "Sigmoid" | "Tanh" | "LeakyRelu";
      seed: number;
    };

/** An ONNX-dialect recipe: input [1, c, h, w], the steps, and picks of intermediate values to expose as extra outputs. */
export interface OnnxRecipe {
  c: number;
  h: number;
  w: number;
  steps: OnnxStep[];
  taps: number[];
}

type TflAct = "NONE" | "RELU" | "RELU6" | "RELU_N1_TO_1" | "TANH";
type TflFilterStep =
  | { kind: "conv2d"; out: number; kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; same: boolean; bias: boolean; fused: TflAct; seed: number }
  | { kind: "depthwise"; mult: number; kh: number; kw: number; sh: number; sw: number; same: boolean; bias: boolean; fused: TflAct; seed: number }
  | { kind: "fc"; out: number; bias: boolean; keepDims: boolean; fused: TflAct; seed: number };
type TflBinaryStep = { kind: "binary"; op: BinaryOp; constFirst: boolean; layout: ConstLayout; fill: ConstFill; fused: TflAct; seed: number };
type TflActivationStep = { kind: "activation"; act: "Relu" | "Relu6" | "ReluN1To1" | "Tanh" | "Logistic" };
type TflStep =
  | TflFilterStep
  | TflBinaryStep
  | TflActivationStep
  /** A filter op with a step before it and up to three after it. */
  | { kind: "block"; pre: TflBinaryStep | undefined; op: TflFilterStep; post: (TflBinaryStep | TflActivationStep)[] }
  | { kind: "pool"; max: boolean; k: number; s: number; same: boolean; fused: TflAct };

/** A TFLite-dialect recipe: input [1, h, w, c] (NHWC). */
export interface TflRecipe {
  c: number;
  h: number;
  w: number;
  steps: TflStep[];
  taps: number[];
}

const seedArb = fc.integer({ min: 1, max: 0x7fffffff });
const pad = fc.integer({ min: 0, max: 2 });
const padsArb = fc.tuple(pad, pad, pad, pad);

const convSpec = (sameShape: boolean): fc.Arbitrary<ConvSpec> =>
  fc.record({
    groupPick: fc.integer({ min: 0, max: 4 }),
    outPick: fc.integer({ min: 1, max: 6 }),
    kh: sameShape ? fc.constantFrom(1, 3) : fc.integer({ min: 1, max: 3 }),
    kw: sameShape ? fc.constantFrom(1, 3) : fc.integer({ min: 1, max: 3 }),
    sh: sameShape ? fc.constant(1) : fc.integer({ min: 1, max: 2 }),
    sw: sameShape ? fc.constant(1) : fc.integer({ min: 1, max: 2 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    pads: padsArb,
    autoPad: sameShape ? fc.constant("NOTSET" as const) : fc.constantFrom("NOTSET" as const, "NOTSET" as const, "NOTSET" as const, "SAME_UPPER" as const, "VALID" as const),
    bias: fc.boolean(),
    seed: seedArb,
  });

const layoutArb = fc.constantFrom<ConstLayout>("scalar", "one", "vector", "c11", "1c11", "111w", "full", "grow", "lifted", "scalarLifted");
const fillArb = fc.constantFrom<ConstFill>("random", "random", "random", "random", "ones", "zeros");
const binaryOpArb = fc.constantFrom<BinaryOp>("Add", "Sub", "Mul", "Div");
/** Values in [-2, 2] with two decimals, as fast-check shrinks integers well. */
const smallValue = (min: number, max: number) => fc.integer({ min: Math.round(min * 100), max: Math.round(max * 100) }).map((v) => v / 100);

const activationArb: fc.Arbitrary<Activation> = fc.oneof(
  fc.record({ act: fc.constantFrom("Relu" as const, "Sigmoid" as const, "Tanh" as const, "HardSwish" as const) }),
  fc.record({ act: fc.constant("LeakyRelu" as const), alpha: smallValue(0.01, 0.5) }),
  fc.record({
    act: fc.constant("Clip" as const),
    form: fc.constantFrom("inputs" as const, "min-only" as const, "max-only" as const, "attributes" as const),
    lo: smallValue(-2, 0),
    hi: smallValue(0, 6),
  }),
  fc.record({ act: fc.constant("HardSigmoid" as const), alpha: fc.constantFrom(1 / 6, 0.2, 0.5), beta: fc.constantFrom(0.5, 0.3) }),
  fc.record({ act: fc.constant("HardSwishSpelled" as const), variant: fc.integer({ min: 0, max: 4 }), swap: fc.integer({ min: 0, max: 7 }), near: fc.boolean() }),
  fc.record({ act: fc.constant("HardSigmoidSpelled" as const), divide: fc.boolean(), swap: fc.boolean() }),
);

const permArb = fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 });

const binaryStepArb: fc.Arbitrary<BinaryStep> = fc.record({
  kind: fc.constant("binary" as const),
  op: binaryOpArb,
  constFirst: fc.boolean(),
  layout: layoutArb,
  fill: fillArb,
  computed: fc.option(binaryOpArb, { nil: undefined, freq: 4 }),
  seed: seedArb,
});
const batchNormStepArb: fc.Arbitrary<BatchNormStep> = fc.record({
  kind: fc.constant("batchnorm" as const),
  seed: seedArb,
  epsilon: fc.constantFrom(1e-5, 1e-3, 0.1),
});
const activationStepArb = fc.record({ kind: fc.constant("activation" as const), activation: activationArb });

const onnxStepArb: fc.Arbitrary<OnnxStep> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("block" as const),
      pre: fc.option(binaryStepArb, { nil: undefined }),
      conv: convSpec(false),
      post: fc.array(fc.oneof({ weight: 3, arbitrary: binaryStepArb }, { weight: 1, arbitrary: batchNormStepArb }, { weight: 2, arbitrary: activationStepArb }), {
        maxLength: 3,
      }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("conv" as const), conv: convSpec(false) }) },
  { weight: 3, arbitrary: binaryStepArb },
  { weight: 1, arbitrary: batchNormStepArb },
  { weight: 2, arbitrary: activationStepArb },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("residual" as const),
      branch: convSpec(true),
      other: fc.constantFrom("input" as const, "conv" as const, "pooled" as const),
      sumFirst: fc.boolean(),
      activation: fc.option(activationArb, { nil: undefined }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("pad" as const),
      pads: padsArb,
      channelPad: fc.boolean(),
      value: fc.constantFrom("absent" as const, "zero" as const, "nonzero" as const),
      mode: fc.constantFrom("constant" as const, "constant" as const, "constant" as const, "reflect" as const, "edge" as const),
      then: fc.oneof(
        fc.record({ op: fc.constant("Conv" as const), conv: convSpec(false), ownPads: fc.boolean() }),
        fc.record({
          op: fc.constantFrom("AveragePool" as const, "MaxPool" as const),
          k: fc.integer({ min: 1, max: 3 }),
          s: fc.integer({ min: 1, max: 2 }),
          ceil: fc.boolean(),
          includePad: fc.boolean(),
          ownPads: fc.boolean(),
        }),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("transposes" as const), p: permArb, q: permArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reshapes" as const),
      first: fc.constantFrom("flat" as const, "rows" as const, "rank3" as const),
      second: fc.constantFrom("back" as const, "minus1" as const, "zero" as const, "swap" as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("identity" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("dropout" as const), ratio: fc.boolean(), training: fc.boolean(), maskOutput: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("dense" as const),
      gemm: fc.boolean(),
      out: fc.integer({ min: 1, max: 6 }),
      transB: fc.boolean(),
      alpha: fc.constantFrom(1, 1, 0.5, -1.5),
      beta: fc.constantFrom(1, 1, 2, -0.5),
      bias: fc.constantFrom<ConstLayout | "none">("none", "scalar", "vector", "1c11", "full", "grow"),
      biasFirst: fc.boolean(),
      batchnorm: fc.boolean(),
      activation: fc.constantFrom("none" as const, "Relu" as const, "Sigmoid" as const, "Tanh" as const, "LeakyRelu" as const),
      seed: seedArb,
    }),
  },
);

/** ONNX recipes: NCHW input with N = 1, C in 1..6, H and W in 1..7; 1 to `maxSteps` steps. */
export function onnxRecipe(maxSteps = 5): fc.Arbitrary<OnnxRecipe> {
  return fc.record({
    c: fc.integer({ min: 1, max: 6 }),
    h: fc.integer({ min: 1, max: 7 }),
    w: fc.integer({ min: 1, max: 7 }),
    steps: fc.array(onnxStepArb, { minLength: 1, maxLength: maxSteps }),
    taps: fc.array(fc.nat(), { maxLength: 2 }),
  });
}

const tflActArb = fc.constantFrom<TflAct>("NONE", "NONE", "NONE", "RELU", "RELU6", "RELU_N1_TO_1", "TANH");
const tflConv2dArb = fc.record({
  kind: fc.constant("conv2d" as const),
  out: fc.integer({ min: 1, max: 6 }),
  kh: fc.integer({ min: 1, max: 3 }),
  kw: fc.integer({ min: 1, max: 3 }),
  sh: fc.integer({ min: 1, max: 2 }),
  sw: fc.integer({ min: 1, max: 2 }),
  dh: fc.integer({ min: 1, max: 2 }),
  dw: fc.integer({ min: 1, max: 2 }),
  same: fc.boolean(),
  bias: fc.boolean(),
  fused: tflActArb,
  seed: seedArb,
});
const tflDepthwiseArb = fc.record({
  kind: fc.constant("depthwise" as const),
  mult: fc.integer({ min: 1, max: 2 }),
  kh: fc.integer({ min: 1, max: 3 }),
  kw: fc.integer({ min: 1, max: 3 }),
  sh: fc.integer({ min: 1, max: 2 }),
  sw: fc.integer({ min: 1, max: 2 }),
  same: fc.boolean(),
  bias: fc.boolean(),
  fused: tflActArb,
  seed: seedArb,
});
const tflFcArb = fc.record({ kind: fc.constant("fc" as const), out: fc.integer({ min: 1, max: 6 }), bias: fc.boolean(), keepDims: fc.boolean(), fused: tflActArb, seed: seedArb });
const tflFilterArb: fc.Arbitrary<TflFilterStep> = fc.oneof({ weight: 3, arbitrary: tflConv2dArb }, { weight: 2, arbitrary: tflDepthwiseArb }, { weight: 1, arbitrary: tflFcArb });
const tflBinaryArb: fc.Arbitrary<TflBinaryStep> = fc.record({
  kind: fc.constant("binary" as const),
  op: binaryOpArb,
  constFirst: fc.boolean(),
  layout: fc.constantFrom<ConstLayout>("scalar", "one", "vector", "1c11", "111w", "full", "grow", "rank3", "lifted", "scalarLifted"),
  fill: fillArb,
  fused: tflActArb,
  seed: seedArb,
});
const tflActivationArb: fc.Arbitrary<TflActivationStep> = fc.record({
  kind: fc.constant("activation" as const),
  act: fc.constantFrom("Relu" as const, "Relu6" as const, "ReluN1To1" as const, "Tanh" as const, "Logistic" as const),
});
const tflStepArb: fc.Arbitrary<TflStep> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("block" as const),
      pre: fc.option(tflBinaryArb, { nil: undefined }),
      op: tflFilterArb,
      post: fc.array(fc.oneof({ weight: 2, arbitrary: tflBinaryArb }, { weight: 1, arbitrary: tflActivationArb }), { maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: tflFilterArb },
  { weight: 3, arbitrary: tflBinaryArb },
  { weight: 2, arbitrary: tflActivationArb },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("pool" as const), max: fc.boolean(), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), same: fc.boolean(), fused: tflActArb }),
  },
);

/** TFLite recipes: NHWC input [1, h, w, c]. */
export function tflRecipe(maxSteps = 4): fc.Arbitrary<TflRecipe> {
  return fc.record({
    c: fc.integer({ min: 1, max: 6 }),
    h: fc.integer({ min: 1, max: 7 }),
    w: fc.integer({ min: 1, max: 7 }),
    steps: fc.array(tflStepArb, { minLength: 1, maxLength: maxSteps }),
    taps: fc.array(fc.nat(), { maxLength: 2 }),
  });
}

// ── values ───────────────────────────────────────────────────────────────────────────────────

/** mulberry32: a reproducible stream of floats in [0, 1) from a seed. */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float32 tensor with values uniform in [-scale, scale]; `awayFromZero` keeps |v| ≥ 0.25 (divisors). */
function randomTensor(shape: number[], seed: number, options: { scale?: number; awayFromZero?: boolean; positive?: boolean } = {}): Tensor {
  const next = stream(seed);
  const scale = options.scale ?? 2;
  const t = f32(shape);
  const data = t.data as Float32Array;
  for (let i = 0; i < data.length; i++) {
    if (options.positive) data[i] = 0.25 + next() * 1.75;
    else if (options.awayFromZero) data[i] = (next() < 0.5 ? -1 : 1) * (0.25 + next() * 1.75);
    else data[i] = (next() * 2 - 1) * scale;
  }
  return t;
}

function filled(shape: number[], value: number): Tensor {
  const t = f32(shape);
  (t.data as Float32Array).fill(value);
  return t;
}

const scalar = (v: number) => f32([], [v]);
const ints = (values: number[]) => i64([values.length], values);
const intsAttr = (value: number[]) => ({ type: "ints" as const, value });
const intAttr = (value: number) => ({ type: "int" as const, value });
const floatAttr = (value: number) => ({ type: "float" as const, value });
const stringAttr = (value: string) => ({ type: "string" as const, value });

// ── building ─────────────────────────────────────────────────────────────────────────────────

/** A built case: the graph and its one-line-per-node description. */
export interface BuiltGraph {
  graph: Graph;
  text: string;
}

function staticShape(v: Value): number[] {
  const shape = v.shape ?? [];
  return shape.map((d: Dim) => {
    if (typeof d !== "number") throw new Error(`value ${v.name} has a symbolic dim`);
    return d;
  });
}

/** Divisors of n in increasing order. */
function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}

/** Tracks the builder, the values created (for taps) and the extra outputs. */
class Construction {
  readonly b = new GraphBuilder();
  readonly created: Value[] = [];
  readonly extraOutputs: Value[] = [];

  op(op: string, inputs: (Value | undefined)[], attrs: Attrs = {}, domain = ""): Value {
    const v = this.b.op(op, inputs, attrs, domain);
    this.created.push(v);
    return v;
  }

  constant(t: Tensor): Value {
    return this.b.constant(t);
  }

  finish(result: Value, taps: number[]): BuiltGraph {
    const outputs = [result];
    const candidates = this.created.filter((v) => v !== result);
    for (const tap of taps) {
      if (candidates.length === 0) break;
      const v = candidates[tap % candidates.length]!;
      if (!outputs.includes(v)) outputs.push(v);
    }
    for (const v of this.extraOutputs) if (!outputs.includes(v)) outputs.push(v);
    const graph = this.b.output(...outputs).graph;
    return { graph, text: describeGraph(graph) };
  }
}

/** The constant for a binary step: its shape from the layout and the tensor's shape `s`. */
function layoutShape(layout: ConstLayout, s: number[], channelAxis: number): number[] {
  const rank = s.length;
  const channels = s[channelAxis]!;
  const last = s[rank - 1]!;
  switch (layout) {
    case "scalar":
      return [];
    case "one":
      return [1];
    case "vector":
      // numpy aligns a vector with the last axis: [C] where that works, else [last].
      return channels === last || last === 1 ? [channels] : [last];
    case "c11":
      return rank === 4 && channelAxis === 1 ? [channels, 1, 1] : [channels];
    case "1c11":
      return s.map((d, i) => (i === channelAxis ? d : 1));
    case "111w":
      return s.map((d, i) => (i === rank - 1 ? d : 1));
    case "full":
      return [...s];
    case "grow": {
      // 2 along the first axis of size 1, so that the result is bigger than s
      const axis = s.indexOf(1);
      return axis < 0 ? [...s] : s.map((_, i) => (i === axis ? 2 : 1));
    }
    case "rank3":
      return s.slice(1);
    case "scalarLifted":
      // one element, one axis more than s: the result has a higher rank
      return [1, ...s.map(() => 1)];
    case "lifted":
      // per channel, with two more leading axes than s: the result has a higher rank
      return [1, 1, ...s.map((d, i) => (i === channelAxis ? d : 1))];
  }
}

/** True when shapes a and b broadcast together (numpy rules). */
function broadcastable(a: number[], b: number[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const [x, y] = [a[a.length - i]!, b[b.length - i]!];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

function binaryConstant(op: BinaryOp, constFirst: boolean, layout: ConstLayout, fill: ConstFill, seed: number, s: number[], channelAxis: number): Tensor {
  const wanted = layoutShape(layout, s, channelAxis);
  const shape = broadcastable(wanted, s) ? wanted : layoutShape("1c11", s, channelAxis);
  const divisor = op === "Div" && !constFirst;
  if (fill === "ones") return filled(shape, 1);
  // x·0 would make later divisions by exact zeros, whose sign (±∞) a fold may flip
  if (fill === "zeros" && (op === "Add" || op === "Sub")) return filled(shape, 0);
  return randomTensor(shape, seed, { awayFromZero: divisor });
}

/** Builds an ONNX-dialect recipe into a graph (opset 17). */
export function buildOnnx(recipe: OnnxRecipe): BuiltGraph {
  const k = new Construction();
  let x = k.b.input("x", "float32", [1, recipe.c, recipe.h, recipe.w]);
  for (const step of recipe.steps) x = onnxStep(k, x, step);
  return k.finish(x, recipe.taps);
}

/** Reshapes a value of another rank to NCHW ([N, rest, 1, 1]) for the steps that need rank 4. */
function asNCHW(k: Construction, x: Value): Value {
  const s = staticShape(x);
  if (s.length === 4) return x;
  const rest = s.slice(1).reduce((a, d) => a * d, 1);
  return k.op("Reshape", [x, k.constant(ints([s[0] ?? 1, rest, 1, 1]))]);
}

function onnxStep(k: Construction, x: Value, step: OnnxStep): Value {
  switch (step.kind) {
    case "conv":
      return conv(k, asNCHW(k, x), step.conv);
    case "block": {
      let y = asNCHW(k, x);
      if (step.pre) y = onnxStep(k, y, step.pre);
      y = conv(k, asNCHW(k, y), step.conv);
      for (const post of step.post) y = onnxStep(k, y, post);
      return y;
    }
    case "binary": {
      const s = staticShape(x);
      const t = binaryConstant(step.op, step.constFirst, step.layout, step.fill, step.seed, s, Math.min(1, s.length - 1));
      const c = step.computed ? computedConstant(k, step.computed, t, step.seed) : k.constant(t);
      return k.op(step.op, step.constFirst ? [c, x] : [x, c]);
    }
    case "batchnorm": {
      const s = staticShape(x);
      if (s.length !== 2) x = asNCHW(k, x);
      const channels = staticShape(x)[1]!;
      const [g, beta, mean] = [1, 2, 3].map((i) => k.constant(randomTensor([channels], step.seed + i)));
      const variance = k.constant(randomTensor([channels], step.seed + 4, { positive: true }));
      return k.op("BatchNormalization", [x, g, beta, mean, variance], { epsilon: floatAttr(step.epsilon) });
    }
    case "activation":
      return activation(k, x, step.activation);
    case "residual": {
      x = asNCHW(k, x);
      const branch = conv(k, x, step.branch, true);
      const other =
        step.other === "input" ? x : step.other === "conv" ? conv(k, x, { ...step.branch, seed: step.branch.seed + 7 }, true) : k.op("GlobalAveragePool", [x]);
      const sum = k.op("Add", step.sumFirst ? [other, branch] : [branch, other]);
      return step.activation ? activation(k, sum, step.activation) : sum;
    }
    case "pad":
      return padThen(k, asNCHW(k, x), step);
    case "transposes": {
      x = asNCHW(k, x);
      const t = k.op("Transpose", [x], { perm: intsAttr(step.p) });
      return k.op("Transpose", [t], { perm: intsAttr(step.q) });
    }
    case "reshapes":
      return reshapes(k, asNCHW(k, x), step);
    case "identity":
      return k.op("Identity", [x]);
    case "dropout": {
      const ratio = step.ratio ? k.constant(scalar(0.5)) : undefined;
      const training = step.training ? k.constant({ dtype: "bool", shape: [], data: new Uint8Array([0]) }) : undefined;
      const inputs = training ? [x, ratio, training] : ratio ? [x, ratio] : [x];
      const outs = k.b.node("Dropout", inputs, { outputs: step.maskOutput ? 2 : 1 });
      k.created.push(outs[0]!);
      if (step.maskOutput) k.extraOutputs.push(outs[1]!);
      return outs[0]!;
    }
    case "dense":
      return dense(k, x, step);
  }
}

/**
 * A node `op(a, b)` over two constants that computes `t` up to rounding: b is a scalar or has
 * t's shape, and a is chosen so that a op b = t (so a divisor stays away from zero).
 */
function computedConstant(k: Construction, op: BinaryOp, t: Tensor, seed: number): Value {
  const b = randomTensor(seed % 2 ? [] : [...t.shape], seed + 5, { awayFromZero: true });
  const a = f32(t.shape);
  const [ad, bd, td] = [a.data as Float32Array, b.data as Float32Array, t.data as Float32Array];
  for (let i = 0; i < td.length; i++) {
    const bv = bd[bd.length === 1 ? 0 : i]!;
    ad[i] = op === "Add" ? td[i]! - bv : op === "Sub" ? td[i]! + bv : op === "Mul" ? td[i]! / bv : td[i]! * bv;
  }
  return k.op(op, [k.constant(a), k.constant(b)]);
}

function conv(k: Construction, x: Value, spec: ConvSpec, sameShape = false): Value {
  const [, channels, h, w] = staticShape(x) as [number, number, number, number];
  const group = spec.groupPick === 0 ? 1 : spec.groupPick === 1 ? channels : divisors(channels)[spec.groupPick % divisors(channels).length]!;
  const perGroup = sameShape ? channels / group : Math.min(spec.outPick, Math.max(1, Math.floor(6 / group)));
  const out = group * perGroup;
  const pads = spec.autoPad === "NOTSET" ? [...spec.pads] : [0, 0, 0, 0];
  // onnxruntime has no dilated SAME_UPPER convolution
  const dilated = spec.autoPad !== "SAME_UPPER";
  let [kh, kw, dh, dw] = [spec.kh, spec.kw, dilated ? spec.dh : 1, dilated ? spec.dw : 1];
  if (sameShape) {
    pads.splice(0, 4, (dh * (kh - 1)) / 2, (dw * (kw - 1)) / 2, (dh * (kh - 1)) / 2, (dw * (kw - 1)) / 2);
  } else {
    // Shrink the window until it fits the padded input.
    while (dh * (kh - 1) + 1 > h + pads[0]! + pads[2]!) dh > 1 ? dh-- : kh--;
    while (dw * (kw - 1) + 1 > w + pads[1]! + pads[3]!) dw > 1 ? dw-- : kw--;
  }
  const fanIn = (channels / group) * kh * kw;
  const W = k.constant(randomTensor([out, channels / group, kh, kw], spec.seed, { scale: 2 / Math.sqrt(fanIn) }));
  const B = spec.bias ? k.constant(randomTensor([out], spec.seed + 1)) : undefined;
  const attrs: Attrs = {
    kernel_shape: intsAttr([kh, kw]),
    strides: intsAttr(sameShape ? [1, 1] : [spec.sh, spec.sw]),
    dilations: intsAttr([dh, dw]),
    group: intAttr(group),
  };
  if (spec.autoPad === "NOTSET") attrs["pads"] = intsAttr([pads[0]!, pads[1]!, pads[2]!, pads[3]!]);
  else attrs["auto_pad"] = stringAttr(spec.autoPad);
  return k.op("Conv", B ? [x, W, B] : [x, W], attrs);
}

function activation(k: Construction, x: Value, a: Activation): Value {
  switch (a.act) {
    case "Relu":
    case "Sigmoid":
    case "Tanh":
    case "HardSwish":
      return k.op(a.act, [x]);
    case "LeakyRelu":
      return k.op("LeakyRelu", [x], { alpha: floatAttr(a.alpha) });
    case "HardSigmoid":
      return k.op("HardSigmoid", [x], { alpha: floatAttr(a.alpha), beta: floatAttr(a.beta) });
    case "Clip": {
      if (a.form === "attributes") return k.op("Clip", [x], { min: floatAttr(a.lo), max: floatAttr(a.hi) });
      const lo = a.form === "max-only" ? undefined : k.constant(scalar(a.lo));
      const hi = a.form === "min-only" ? undefined : k.constant(scalar(a.hi));
      return k.op("Clip", hi ? [x, lo, hi] : [x, lo]);
    }
    case "HardSigmoidSpelled": {
      const three = k.constant(scalar(3));
      const plus = k.op("Add", a.swap ? [three, x] : [x, three]);
      const clip = k.op("Clip", [plus, k.constant(scalar(0)), k.constant(scalar(6))]);
      return a.divide ? k.op("Div", [clip, k.constant(scalar(6))]) : k.op("Mul", a.swap ? [k.constant(scalar(1 / 6)), clip] : [clip, k.constant(scalar(1 / 6))]);
    }
    case "HardSwishSpelled":
      return hardSwishSpelled(k, x, a.variant, a.swap, a.near);
  }
}

/**
 * x·Clip(x + 3, 0, 6)/6 in its association variants: 0 (x·clip)/6, 1 (x·clip)·⅙, 2 x·(clip/6),
 * 3 x·(clip·⅙), 4 x·HardSigmoid(x). Bits of `swap` flip the commutative operand orders; `near`
 * uses 2.5 instead of 3 (a near miss that must not become HardSwish).
 */
function hardSwishSpelled(k: Construction, x: Value, variant: number, swap: number, near: boolean): Value {
  const flip = (bit: number, a: Value, b: Value): [Value, Value] => ((swap >> bit) & 1 ? [b, a] : [a, b]);
  const c = (v: number) => k.constant(scalar(v));
  if (variant === 4) {
    const hs = k.op("HardSigmoid", [x], { alpha: floatAttr(near ? 0.2 : 1 / 6), beta: floatAttr(0.5) });
    return k.op("Mul", flip(0, x, hs));
  }
  const plus = k.op("Add", flip(0, x, c(near ? 2.5 : 3)));
  const clip = k.op("Clip", [plus, c(0), c(6)]);
  switch (variant) {
    case 0:
      return k.op("Div", [k.op("Mul", flip(1, x, clip)), c(6)]);
    case 1:
      return k.op("Mul", flip(2, k.op("Mul", flip(1, x, clip)), c(1 / 6)));
    case 2:
      return k.op("Mul", flip(1, x, k.op("Div", [clip, c(6)])));
    default:
      return k.op("Mul", flip(1, x, k.op("Mul", flip(2, clip, c(1 / 6)))));
  }
}

function padThen(k: Construction, x: Value, step: Extract<OnnxStep, { kind: "pad" }>): Value {
  const [t, l, b, r] = step.pads;
  const c = step.channelPad ? 1 : 0;
  const pads = k.constant(ints([0, c, t, l, 0, 0, b, r]));
  const inputs: (Value | undefined)[] = [x, pads];
  if (step.value !== "absent") inputs.push(k.constant(scalar(step.value === "zero" ? 0 : 0.75)));
  // reflect needs the padding to be smaller than the dim it reflects
  const [, , h, w] = staticShape(x) as [number, number, number, number];
  const mode = step.mode === "reflect" && (Math.max(t, b) >= h || Math.max(l, r) >= w || c >= staticShape(x)[1]!) ? "edge" : step.mode;
  const padded = k.op("Pad", inputs, { mode: stringAttr(mode) });
  const then = step.then;
  if (then.op === "Conv") return conv(k, padded, then.ownPads ? then.conv : { ...then.conv, pads: [0, 0, 0, 0], autoPad: "NOTSET" });
  const [, , ph, pw] = staticShape(padded) as [number, number, number, number];
  const kh = Math.min(then.k, ph);
  const kw = Math.min(then.k, pw);
  const own = then.ownPads ? [Math.min(1, kh - 1), 0, 0, Math.min(1, kw - 1)] : [0, 0, 0, 0];
  // A ceil-mode window that would start past the input and its leading pad is dropped by
  // onnxruntime's kernel (and fusec's) but counted by ONNX shape inference: avoid that case.
  const lastStart = (size: number, kernel: number, head: number, tail: number) => Math.ceil((size + head + tail - kernel) / then.s) * then.s;
  const ceil = then.ceil && lastStart(ph, kh, own[0]!, own[2]!) < ph + own[0]! && lastStart(pw, kw, own[1]!, own[3]!) < pw + own[1]!;
  const attrs: Attrs = { kernel_shape: intsAttr([kh, kw]), strides: intsAttr([then.s, then.s]), ceil_mode: intAttr(ceil ? 1 : 0) };
  if (then.op === "AveragePool") attrs["count_include_pad"] = intAttr(then.includePad ? 1 : 0);
  if (then.ownPads) attrs["pads"] = intsAttr(own);
  return k.op(then.op, [padded], attrs);
}

function reshapes(k: Construction, x: Value, step: Extract<OnnxStep, { kind: "reshapes" }>): Value {
  const [n, c, h, w] = staticShape(x) as [number, number, number, number];
  const first = step.first === "flat" ? [n, c * h * w] : step.first === "rows" ? [n * c, h * w] : [n, c, h * w];
  const inner = k.op("Reshape", [x, k.constant(ints(first))]);
  const second = step.second === "back" ? [n, c, h, w] : step.second === "minus1" ? [n, c, -1, w] : step.second === "zero" && step.first !== "rows" ? [0, c, h, w] : step.second === "swap" ? [n, c, w, h] : [n, c, h, w];
  return k.op("Reshape", [inner, k.constant(ints(second))]);
}

function dense(k: Construction, x: Value, step: Extract<OnnxStep, { kind: "dense" }>): Value {
  let s = staticShape(x);
  if (s.length !== 2) {
    x = k.op("Reshape", [x, k.constant(ints([s[0]!, -1]))]);
    s = staticShape(x);
  }
  const [, inner] = s as [number, number];
  const weightShape = step.gemm && step.transB ? [step.out, inner] : [inner, step.out];
  const B = k.constant(randomTensor(weightShape, step.seed, { scale: 2 / Math.sqrt(inner) }));
  let y: Value;
  const biasShapeFor = (layout: ConstLayout) => layoutShape(layout, [s[0]!, step.out], 1);
  if (step.gemm) {
    const attrs: Attrs = { alpha: floatAttr(step.alpha), beta: floatAttr(step.beta), transB: intAttr(step.transB ? 1 : 0) };
    // Gemm's C broadcasts unidirectionally: a growing layout is not a valid Gemm, use [out].
    const layout = step.bias === "grow" ? "vector" : step.bias;
    const C = layout === "none" ? undefined : k.constant(randomTensor(biasShapeFor(layout), step.seed + 1));
    y = k.op("Gemm", C ? [x, B, C] : [x, B], attrs);
  } else {
    y = k.op("MatMul", [x, B]);
    if (step.bias !== "none") {
      const c = k.constant(randomTensor(biasShapeFor(step.bias), step.seed + 1));
      y = k.op("Add", step.biasFirst ? [c, y] : [y, c]);
    }
  }
  if (step.batchnorm) y = onnxStep(k, y, { kind: "batchnorm", seed: step.seed + 2, epsilon: 1e-5 });
  if (step.activation === "LeakyRelu") return k.op("LeakyRelu", [y], { alpha: floatAttr(0.1) });
  return step.activation === "none" ? y : k.op(step.activation, [y]);
}

// ── TFLite ───────────────────────────────────────────────────────────────────────────────────

/** Builds a TFLite-dialect recipe (ops in domain "tfl", NHWC). */
export function buildTfl(recipe: TflRecipe): BuiltGraph {
  const k = new Construction();
  let x = k.b.input("x", "float32", [1, recipe.h, recipe.w, recipe.c]);
  for (const step of recipe.steps) x = tflStep(k, x, step);
  return k.finish(x, recipe.taps);
}

const TFL = "tfl";

/** Reshapes a rank-2 value [M, O] to NHWC [M, 1, 1, O] for the steps that need rank 4. */
function asNHWC(k: Construction, x: Value): Value {
  const s = staticShape(x);
  if (s.length === 4) return x;
  const rest = s.slice(1).reduce((a, d) => a * d, 1);
  return k.op("Reshape", [x, k.constant(i64([4], [s[0] ?? 1, 1, 1, rest]))], {}, TFL);
}

/** A window that fits: VALID padding needs the (dilated) kernel within the input. */
function fitKernel(size: number, kernel: number, dilation: number, same: boolean): [number, number] {
  let [kk, d] = [kernel, dilation];
  if (!same) while (d * (kk - 1) + 1 > size) d > 1 ? d-- : kk--;
  return [kk, d];
}

function tflStep(k: Construction, x: Value, step: TflStep): Value {
  const act = (fused: TflAct) => ({ fused_activation_function: stringAttr(fused) });
  switch (step.kind) {
    case "block": {
      let y = step.pre ? tflStep(k, x, step.pre) : x;
      y = tflStep(k, y, step.op);
      for (const post of step.post) y = tflStep(k, y, post);
      return y;
    }
    case "conv2d":
    case "depthwise": {
      x = asNHWC(k, x);
      const [, h, w, c] = staticShape(x) as [number, number, number, number];
      const [kh, dh] = fitKernel(h, step.kh, step.kind === "conv2d" ? step.dh : 1, step.same);
      const [kw, dw] = fitKernel(w, step.kw, step.kind === "conv2d" ? step.dw : 1, step.same);
      const attrs: Attrs = {
        padding: stringAttr(step.same ? "SAME" : "VALID"),
        stride_h: intAttr(step.sh),
        stride_w: intAttr(step.sw),
        ...act(step.fused),
      };
      const out = step.kind === "conv2d" ? step.out : c * step.mult;
      const filterShape = step.kind === "conv2d" ? [out, kh, kw, c] : [1, kh, kw, out];
      const fanIn = kh * kw * (step.kind === "conv2d" ? c : 1);
      const filter = k.constant(randomTensor(filterShape, step.seed, { scale: 2 / Math.sqrt(fanIn) }));
      const bias = step.bias ? k.constant(randomTensor([out], step.seed + 1)) : undefined;
      if (step.kind === "conv2d") Object.assign(attrs, { dilation_h_factor: intAttr(dh), dilation_w_factor: intAttr(dw) });
      else attrs["depth_multiplier"] = intAttr(step.mult);
      return k.op(step.kind === "conv2d" ? "Conv2D" : "DepthwiseConv2D", bias ? [x, filter, bias] : [x, filter], attrs, TFL);
    }
    case "fc": {
      const s = staticShape(x);
      const inner = s[s.length - 1]!;
      const filter = k.constant(randomTensor([step.out, inner], step.seed, { scale: 2 / Math.sqrt(inner) }));
      const bias = step.bias ? k.constant(randomTensor([step.out], step.seed + 1)) : undefined;
      const attrs: Attrs = { ...act(step.fused), keep_num_dims: intAttr(step.keepDims ? 1 : 0) };
      return k.op("FullyConnected", bias ? [x, filter, bias] : [x, filter], attrs, TFL);
    }
    case "binary": {
      const s = staticShape(x);
      const c = k.constant(binaryConstant(step.op, step.constFirst, step.layout, step.fill, step.seed, s, s.length - 1));
      return k.op(step.op, step.constFirst ? [c, x] : [x, c], act(step.fused), TFL);
    }
    case "activation":
      return k.op(step.act, [x], {}, TFL);
    case "pool": {
      x = asNHWC(k, x);
      const [, h, w] = staticShape(x) as [number, number, number, number];
      const [fh] = fitKernel(h, step.k, 1, step.same);
      const [fw] = fitKernel(w, step.k, 1, step.same);
      const attrs: Attrs = {
        padding: stringAttr(step.same ? "SAME" : "VALID"),
        stride_h: intAttr(step.s),
        stride_w: intAttr(step.s),
        filter_height: intAttr(fh),
        filter_width: intAttr(fw),
        ...act(step.fused),
      };
      return k.op(step.max ? "MaxPool2D" : "AveragePool2D", [x], attrs, TFL);
    }
  }
}

/** The graph as text, one line per node (src/verify/describe.ts), for failure messages. */
export function describeGraph(graph: Graph): string {
  return describe(graph).join("\n");
}
