/**
 * Element-wise ops: binary arithmetic with numpy broadcasting (Add, Sub, Mul, Div, Pow, and the
 * variadic Max/Min; float32, int32 and int64), unary maths and activations (Relu, LeakyRelu, Clip,
 * Sigmoid, Tanh, HardSigmoid, HardSwish, Erf, Sqrt, Exp, Gelu), and the tfl binary ops with a
 * fused activation applied to each output row as it is produced, plus the tfl activations.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type OutputInfo, type ValueInfo } from "../runtime/registry.js";
import { convertInto, FLOAT_DTYPES, isBigInt, NUMERIC_DTYPES, roundToHalf, type DType, type Tensor } from "../runtime/tensor.js";
import { mapBroadcast, type Scalar } from "./nary.js";
import { applyActivation, mapActivation, NO_ACTIVATION, tflActivation, type Activation } from "./activation.js";
import { attrFloat, attrString, broadcastShapes, checkDType, hasAttr, need, outputUninit } from "./util.js";
import { simdBinary, simdBinaryRows, simdMap, type SimdMapKind } from "./vector.js";

type BinaryOp = "add" | "sub" | "mul" | "div" | "pow" | "max" | "min";

const NUMERIC = NUMERIC_DTYPES;

// ── binary ────────────────────────────────────────────────────────────────────────────────

function binaryInfer(inputs: readonly (ValueInfo | undefined)[], names: readonly string[], allowed: readonly DType[]): OutputInfo {
  const infos = names.map((name, i) => need(inputs, i, name));
  infos.forEach((info, i) => checkDType(info.dtype, allowed, names[i]!));
  const dtypes = infos.map((i) => i.dtype).filter((d): d is DType => d !== undefined);
  if (dtypes.some((d) => d !== dtypes[0])) {
    throw new OpError(`inputs ${names.map((n, i) => `${n} (${infos[i]!.dtype})`).join(" and ")} have different dtypes`);
  }
  const shapes = infos.map((i) => i.shape);
  const shape = shapes.every((s) => s !== undefined) ? broadcastShapes(shapes as Dim[][], names) : undefined;
  return { dtype: dtypes[0], shape };
}

/**
 * out = a ∘ b with numpy broadcasting; `act` is applied to each contiguous output run.
 *
 * The broadcast is first reduced to its essential form (see `collapseBroadcast`): same shapes
 * become one flat run, a scalar operand a run against a constant, a per-channel [1,C,1,1]
 * operand C runs of H·W against one constant each, a trailing-axis operand rows of the other
 * operand against the same vector. Each run is one tight loop with the op chosen outside it.
 */
function binary(op: BinaryOp, a: Tensor, b: Tensor, act: Activation = NO_ACTIVATION): Tensor {
  const out = binaryUnrounded(op, a, b, act);
  return a.dtype === "float16" ? roundedToHalf(out) : out;
}

/** float16 is held as float32: results are rounded back to half precision. */
export function roundedToHalf(t: Tensor): Tensor {
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = roundToHalf(d[i]!);
  return t;
}

function binaryUnrounded(op: BinaryOp, a: Tensor, b: Tensor, act: Activation): Tensor {
  if (a.dtype !== b.dtype) throw new OpError(`inputs have different dtypes: ${a.dtype} and ${b.dtype}`);
  const run = a.data instanceof Float32Array || a.data instanceof Float64Array ? floatRun : isBigInt(a.data) ? bigintRun : int32Run;
  if (sameShape(a.shape, b.shape)) {
    // The common case needs no broadcast analysis: one run over everything.
    const out = outputUninit(a.dtype, a.shape);
    const n = out.data.length;
    if (n > 0) run(op, a.data, 0, 1, b.data, 0, 1, out.data, 0, n);
    if (n > 0 && act.kind !== "none") applyActivation(act, out.data as Float32Array, 0, n);
    return out;
  }
  const shape = broadcastShapes([a.shape, b.shape], ["A", "B"]) as number[];
  const out = outputUninit(a.dtype, shape);
  if (out.data.length === 0) return out;
  const { dims, aStrides, bStrides } = collapseBroadcast(a.shape, b.shape, shape);
  const rank = dims.length;
  const inner = rank === 0 ? 1 : dims[rank - 1]!;
  const aInner = rank === 0 ? 0 : aStrides[rank - 1]!;
  const bInner = rank === 0 ? 0 : bStrides[rank - 1]!;
  const total = out.data.length;
  if (rank <= 1) {
    run(op, a.data, 0, aInner, b.data, 0, bInner, out.data, 0, total);
    if (act.kind !== "none") applyActivation(act, out.data as Float32Array, 0, total);
    return out;
  }
  // One operand per row (a per-channel scale or shift of planes): one SIMD call for all rows.
  if (rank === 2 && a.data instanceof Float32Array && b.data instanceof Float32Array) {
    const perRowB = aStrides[0] === inner && aInner === 1 && bStrides[0] === 1 && bInner === 0;
    const perRowA = bStrides[0] === inner && bInner === 1 && aStrides[0] === 1 && aInner === 0;
    const rows = dims[0]!;
    if ((perRowB && simdBinaryRows(op, a.data, b.data, out.data as Float32Array, rows, inner, false)) || (perRowA && simdBinaryRows(op, b.data, a.data, out.data as Float32Array, rows, inner, true))) {
      if (act.kind !== "none") applyActivation(act, out.data as Float32Array, 0, total);
      return out;
    }
  }
  // Outer dims walked as an odometer; only the inner run is a loop over elements.
  const index = new Int32Array(rank - 1);
  let aOff = 0;
  let bOff = 0;
  for (let o = 0; o < total; o += inner) {
    run(op, a.data, aOff, aInner, b.data, bOff, bInner, out.data, o, inner);
    if (act.kind !== "none") applyActivation(act, out.data as Float32Array, o, o + inner);
    for (let d = rank - 2; d >= 0; d--) {
      aOff += aStrides[d]!;
      bOff += bStrides[d]!;
      if (++index[d]! < dims[d]!) break;
      aOff -= aStrides[d]! * dims[d]!;
      bOff -= bStrides[d]! * dims[d]!;
      index[d] = 0;
    }
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A broadcast reduced to the fewest dims: each operand's stride per dim is 0 (broadcast) or its own. */
interface CollapsedBroadcast {
  dims: number[];
  aStrides: number[];
  bStrides: number[];
}

/**
 * Drops the output's size-1 dims and merges neighbouring dims along which both operands keep
 * the same broadcast pattern (both present, or one broadcast). The innermost dim is then a
 * contiguous run in the output and, per operand, either contiguous (stride 1) or one repeated
 * element (stride 0); the two are never both 0.
 */
function collapseBroadcast(aShape: readonly number[], bShape: readonly number[], shape: readonly number[]): CollapsedBroadcast {
  const rank = shape.length;
  const dims: number[] = [];
  const aBroadcast: boolean[] = [];
  const bBroadcast: boolean[] = [];
  for (let d = 0; d < rank; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const aB = (aShape[d - rank + aShape.length] ?? 1) === 1;
    const bB = (bShape[d - rank + bShape.length] ?? 1) === 1;
    const last = dims.length - 1;
    if (last >= 0 && aBroadcast[last] === aB && bBroadcast[last] === bB) dims[last]! *= size;
    else {
      dims.push(size);
      aBroadcast.push(aB);
      bBroadcast.push(bB);
    }
  }
  const stridesOf = (broadcast: boolean[]): number[] => {
    const s = new Array<number>(dims.length);
    let acc = 1;
    for (let d = dims.length - 1; d >= 0; d--) {
      s[d] = broadcast[d] ? 0 : acc;
      if (!broadcast[d]) acc *= dims[d]!;
    }
    return s;
  };
  return { dims, aStrides: stridesOf(aBroadcast), bStrides: stridesOf(bBroadcast) };
}

/**
 * out[oo, oo+n) = a ∘ b over one run: `as`, `bs` are 1 (contiguous) or 0 (one element repeated).
 */
type Run = (op: BinaryOp, a: any, ao: number, as: number, b: any, bo: number, bs: number, out: any, oo: number, n: number) => void;

const floatRun: Run = (op, a: Float32Array, ao, as, b: Float32Array, bo, bs, out: Float32Array, oo, n) => {
  if (simdBinary(op, a, ao, as, b, bo, bs, out, oo, n)) return;
  if (as === 0 && bs === 0) {
    out.fill(floatOp(op, a[ao]!, b[bo]!), oo, oo + n);
    return;
  }
  const end = oo + n;
  if (as !== 0 && bs !== 0) {
    const da = ao - oo;
    const db = bo - oo;
    switch (op) {
      case "add":
        for (let i = oo; i < end; i++) out[i] = a[i + da]! + b[i + db]!;
        return;
      case "sub":
        for (let i = oo; i < end; i++) out[i] = a[i + da]! - b[i + db]!;
        return;
      case "mul":
        for (let i = oo; i < end; i++) out[i] = a[i + da]! * b[i + db]!;
        return;
      case "div":
        for (let i = oo; i < end; i++) out[i] = a[i + da]! / b[i + db]!;
        return;
      case "max":
        for (let i = oo; i < end; i++) out[i] = nanMax(a[i + da]!, b[i + db]!);
        return;
      case "min":
        for (let i = oo; i < end; i++) out[i] = nanMin(a[i + da]!, b[i + db]!);
        return;
      default:
        for (let i = oo; i < end; i++) out[i] = floatOp(op, a[i + da]!, b[i + db]!);
        return;
    }
  }
  if (bs === 0) {
    const y = b[bo]!;
    const da = ao - oo;
    switch (op) {
      case "add":
        for (let i = oo; i < end; i++) out[i] = a[i + da]! + y;
        return;
      case "sub":
        for (let i = oo; i < end; i++) out[i] = a[i + da]! - y;
        return;
      case "mul":
        for (let i = oo; i < end; i++) out[i] = a[i + da]! * y;
        return;
      case "div":
        for (let i = oo; i < end; i++) out[i] = a[i + da]! / y;
        return;
      case "max":
        for (let i = oo; i < end; i++) out[i] = nanMax(a[i + da]!, y);
        return;
      case "min":
        for (let i = oo; i < end; i++) out[i] = nanMin(a[i + da]!, y);
        return;
      default:
        for (let i = oo; i < end; i++) out[i] = floatOp(op, a[i + da]!, y);
        return;
    }
  }
  const x = a[ao]!;
  const db = bo - oo;
  switch (op) {
    case "add":
      for (let i = oo; i < end; i++) out[i] = x + b[i + db]!;
      return;
    case "sub":
      for (let i = oo; i < end; i++) out[i] = x - b[i + db]!;
      return;
    case "mul":
      for (let i = oo; i < end; i++) out[i] = x * b[i + db]!;
      return;
    case "div":
      for (let i = oo; i < end; i++) out[i] = x / b[i + db]!;
      return;
    case "max":
      for (let i = oo; i < end; i++) out[i] = nanMax(x, b[i + db]!);
      return;
    case "min":
      for (let i = oo; i < end; i++) out[i] = nanMin(x, b[i + db]!);
      return;
    default:
      for (let i = oo; i < end; i++) out[i] = floatOp(op, x, b[i + db]!);
      return;
  }
};

function floatOp(op: BinaryOp, x: number, y: number): number {
  switch (op) {
    case "add":
      return x + y;
    case "sub":
      return x - y;
    case "mul":
      return x * y;
    case "div":
      return x / y;
    case "pow":
      return Math.pow(x, y);
    case "max":
      return nanMax(x, y);
    case "min":
      return nanMin(x, y);
  }
}

function nanMax(x: number, y: number): number {
  return x !== x || y !== y ? Number.NaN : x > y ? x : y;
}

function nanMin(x: number, y: number): number {
  return x !== x || y !== y ? Number.NaN : x < y ? x : y;
}

const int32Run: Run = (op, a: Int32Array, ao, as, b: Int32Array, bo, bs, out: Int32Array, oo, n) => {
  for (let i = 0; i < n; i++) out[oo + i] = intOp(op, a[ao + i * as]!, b[bo + i * bs]!);
};

function intOp(op: BinaryOp, x: number, y: number): number {
  switch (op) {
    case "add":
      return x + y;
    case "sub":
      return x - y;
    case "mul":
      return Math.imul(x, y);
    case "div":
      if (y === 0) throw new OpError("integer division by zero");
      return Math.trunc(x / y);
    case "pow":
      return Math.trunc(Math.pow(x, y));
    case "max":
      return Math.max(x, y);
    case "min":
      return Math.min(x, y);
  }
}

const bigintRun: Run = (op, a: BigInt64Array, ao, as, b: BigInt64Array, bo, bs, out: BigInt64Array, oo, n) => {
  for (let i = 0; i < n; i++) out[oo + i] = bigintOp(op, a[ao + i * as]!, b[bo + i * bs]!);
};

function bigintOp(op: BinaryOp, x: bigint, y: bigint): bigint {
  switch (op) {
    case "add":
      return BigInt.asIntN(64, x + y);
    case "sub":
      return BigInt.asIntN(64, x - y);
    case "mul":
      return BigInt.asIntN(64, x * y);
    case "div":
      if (y === 0n) throw new OpError("integer division by zero");
      return x / y;
    case "pow":
      return y < 0n ? (x === 1n ? 1n : 0n) : BigInt.asIntN(64, x ** y);
    case "max":
      return x > y ? x : y;
    case "min":
      return x < y ? x : y;
  }
}

function registerBinary(op: string, kind: BinaryOp): void {
  registerOp({
    op,
    domain: "",
    infer: (inputs) => [binaryInfer(inputs, ["A", "B"], NUMERIC)],
    kernel: (inputs) => [binary(kind, need(inputs, 0, "A"), need(inputs, 1, "B"))],
  });
}

registerBinary("Add", "add");
registerBinary("Sub", "sub");
registerBinary("Mul", "mul");
registerBinary("Div", "div");

registerOp({
  op: "Pow",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "X");
    const y = need(inputs, 1, "Y");
    checkDType(x.dtype, NUMERIC, "X");
    checkDType(y.dtype, NUMERIC, "Y");
    const shape = x.shape && y.shape ? broadcastShapes([x.shape, y.shape], ["X", "Y"]) : undefined;
    return [{ dtype: x.dtype, shape }];
  },
  kernel: (inputs) => {
    const x = need(inputs, 0, "X");
    let y = need(inputs, 1, "Y");
    if (y.dtype !== x.dtype) y = castNumbers(y, x.dtype);
    return [binary("pow", x, y)];
  },
});

/** The exponent of Pow may have another numeric type than the base. */
function castNumbers(t: Tensor, dtype: DType): Tensor {
  const out = outputUninit(dtype, t.shape);
  convertInto(t.data, dtype, out.data);
  return out;
}

function registerVariadic(op: string, kind: BinaryOp): void {
  registerOp({
    op,
    domain: "",
    infer: (inputs) => {
      if (inputs.length === 0 || inputs.some((i) => i === undefined)) throw new OpError(`${op} needs at least one input, none absent`);
      return [binaryInfer(inputs, inputs.map((_, i) => `data_${i}`), NUMERIC)];
    },
    kernel: (inputs) => {
      let acc = need(inputs, 0, "data_0");
      for (let i = 1; i < inputs.length; i++) acc = binary(kind, acc, need(inputs, i, `data_${i}`));
      if (inputs.length === 1) acc = binary(kind, acc, acc);
      return [acc];
    },
  });
}

registerVariadic("Max", "max");
registerVariadic("Min", "min");

// ── unary ─────────────────────────────────────────────────────────────────────────────────

function unaryInfer(inputs: readonly (ValueInfo | undefined)[], name = "X"): OutputInfo[] {
  const x = need(inputs, 0, name);
  checkDType(x.dtype, FLOAT_DTYPES, name);
  return [{ dtype: x.dtype, shape: x.shape }];
}

/** act(x) into a new tensor, in one pass over memory. */
function activate(x: Tensor, act: Activation, name = "X"): Tensor {
  checkDType(x.dtype, FLOAT_DTYPES, name);
  const out = outputUninit(x.dtype, x.shape);
  // The activation loops only index their arrays: float64 runs through them as well.
  mapActivation(act, x.data as Float32Array, out.data as Float32Array, 0, out.data.length);
  return x.dtype === "float16" ? roundedToHalf(out) : out;
}

function mapFloat(x: Tensor, f: (v: number) => number, name = "X", simd?: SimdMapKind): Tensor {
  checkDType(x.dtype, FLOAT_DTYPES, name);
  const out = outputUninit(x.dtype, x.shape);
  const o = out.data as Float32Array;
  const d = x.data as Float32Array;
  if (simd && x.dtype === "float32" && simdMap(simd, d, o, 0, d.length)) return out;
  for (let i = 0; i < d.length; i++) o[i] = f(d[i]!);
  return x.dtype === "float16" ? roundedToHalf(out) : out;
}

function registerActivation(op: string, domain: string, act: (attrs: Attrs) => Activation, inputName = "X"): void {
  registerOp({
    op,
    domain,
    infer: (inputs, attrs) => {
      act(attrs);
      return unaryInfer(inputs, inputName);
    },
    kernel: (inputs, attrs) => [activate(need(inputs, 0, inputName), act(attrs), inputName)],
  });
}

/** A float map; `simd`, when given, is the SIMD module's version of f for float32 (simdMap). */
function registerMap(op: string, f: (v: number) => number, simd?: SimdMapKind): void {
  registerOp({
    op,
    domain: "",
    infer: (inputs) => unaryInfer(inputs),
    kernel: (inputs) => [mapFloat(need(inputs, 0, "X"), f, "X", simd)],
  });
}

registerActivation("Relu", "", () => ({ kind: "relu", a: 0, b: 0 }));
registerActivation("LeakyRelu", "", (attrs) => ({ kind: "leaky_relu", a: attrFloat(attrs, "alpha", 0.01), b: 0 }));
registerActivation("Sigmoid", "", () => ({ kind: "sigmoid", a: 0, b: 0 }));
registerActivation("Tanh", "", () => ({ kind: "tanh", a: 0, b: 0 }));
registerActivation("HardSigmoid", "", (attrs) => ({ kind: "hard_sigmoid", a: attrFloat(attrs, "alpha", 0.2), b: attrFloat(attrs, "beta", 0.5) }));
registerActivation("HardSwish", "", () => ({ kind: "hard_swish", a: 0, b: 0 }));
registerMap("Sqrt", Math.sqrt, "sqrt");
registerMap("Exp", Math.exp, "exp");
registerMap("Erf", erf, "erf");

/** erf(x), Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7). */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-ax * ax));
}

registerOp({
  op: "Gelu",
  domain: "",
  infer: (inputs, attrs) => {
    geluFunction(attrs);
    return unaryInfer(inputs);
  },
  kernel: (inputs, attrs) => [mapFloat(need(inputs, 0, "X"), geluFunction(attrs), "X", attrString(attrs, "approximate", "none") === "tanh" ? "gelu_tanh" : "gelu")],
});

function geluFunction(attrs: Attrs): (x: number) => number {
  const approximate = attrString(attrs, "approximate", "none");
  if (approximate === "none") return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  if (approximate === "tanh") {
    const k = Math.sqrt(2 / Math.PI);
    return (x) => 0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x * x * x)));
  }
  throw new OpError(`unknown approximate "${approximate}" (expected none or tanh)`);
}

// Clip: bounds are optional scalar inputs (opset 11+) or attributes (older opsets).
registerOp({
  op: "Clip",
  domain: "",
  infer: (inputs) => {
    for (const [i, name] of [[1, "min"], [2, "max"]] as const) {
      const bound = inputs[i];
      if (bound?.shape && bound.shape.length !== 0 && !(bound.shape.length === 1 && bound.shape[0] === 1)) {
        throw new OpError(`input ${name} must be a scalar, got shape [${bound.shape.join(", ")}]`);
      }
      if (bound) checkDType(bound.dtype, NUMERIC, name);
    }
    const x = need(inputs, 0, "input");
    checkDType(x.dtype, NUMERIC, "input");
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    // Integer inputs clip with their own bounds, BigInts included (or the attribute bounds).
    const bound = (i: number, name: string) => inputs[i]?.data[0] ?? (hasAttr(attrs, name) ? attrFloat(attrs, name) : undefined);
    if (!FLOAT_DTYPES.includes(x.dtype)) return [mapBroadcast([x], x.dtype, ([v]) => clipScalar(v!, bound(1, "min"), bound(2, "max")))];
    const lo = Number(bound(1, "min") ?? -Infinity);
    const hi = Number(bound(2, "max") ?? Infinity);
    return [activate(x, { kind: "clip", a: lo, b: hi }, "input")];
  },
});

function clipScalar(v: Scalar, lo: Scalar | undefined, hi: Scalar | undefined): Scalar {
  if (lo !== undefined && v < lo) v = lo;
  if (hi !== undefined && v > hi) v = hi;
  return v;
}

// ── tfl ───────────────────────────────────────────────────────────────────────────────────

function registerTflBinary(op: string, kind: BinaryOp): void {
  registerOp({
    op,
    domain: "tfl",
    infer: (inputs, attrs) => {
      tflActivation(attrs);
      return [binaryInfer(inputs, ["lhs", "rhs"], ["float32"])];
    },
    kernel: (inputs, attrs) => [binary(kind, need(inputs, 0, "lhs"), need(inputs, 1, "rhs"), tflActivation(attrs))],
  });
}

registerTflBinary("Add", "add");
registerTflBinary("Sub", "sub");
registerTflBinary("Mul", "mul");
registerTflBinary("Div", "div");

registerActivation("Relu", "tfl", () => ({ kind: "relu", a: 0, b: 0 }), "x");
registerActivation("Relu6", "tfl", () => ({ kind: "clip", a: 0, b: 6 }), "x");
registerActivation("ReluN1To1", "tfl", () => ({ kind: "clip", a: -1, b: 1 }), "x");
registerActivation("Tanh", "tfl", () => ({ kind: "tanh", a: 0, b: 0 }), "x");
registerActivation("Logistic", "tfl", () => ({ kind: "sigmoid", a: 0, b: 0 }), "x");

