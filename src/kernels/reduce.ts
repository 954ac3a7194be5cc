/**
 * Reductions along axes: every Reduce* (axes as attribute before opset 13/18, as input after;
 * keepdims; noop_with_empty_axes), ArgMax/ArgMin (select_last_index), CumSum, TopK, and the
 * axis-wise LogSoftmax and Hardmax. Reduce* are rows of one table: start value, step, finish.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type OutputInfo, type ValueInfo } from "../runtime/registry.js";
import { FLOAT_DTYPES, NUMERIC_DTYPES, type DType, type Tensor } from "../runtime/tensor.js";
import { writer } from "./nary.js";
import { attrInt, attrInts, checkDType, constNumbers, need, normAxis, outputUninit, tensorNumbers, unknownDim } from "./util.js";
import { arenaRelease, arenaTake } from "./arena.js";
import { simdBinary, simdBinaryRows, simdMap, simdReduceRows } from "./vector.js";

// ── Reduce* ───────────────────────────────────────────────────────────────────────────────

interface Reducer {
  op: string;
  dtypes: readonly DType[];
  init: number;
  /** acc ∘ x (x already as a number). */
  step: (acc: number, x: number) => number;
  /** The result from the accumulator and the number of elements reduced. */
  finish?: (acc: number, count: number) => number;
}

const REDUCERS: readonly Reducer[] = [
  { op: "ReduceSum", dtypes: NUMERIC_DTYPES, init: 0, step: (a, x) => a + x },
  { op: "ReduceMean", dtypes: NUMERIC_DTYPES, init: 0, step: (a, x) => a + x, finish: (a, n) => a / n },
  { op: "ReduceMax", dtypes: NUMERIC_DTYPES, init: -Infinity, step: (a, x) => (x > a || x !== x ? x : a) },
  { op: "ReduceMin", dtypes: NUMERIC_DTYPES, init: Infinity, step: (a, x) => (x < a || x !== x ? x : a) },
  { op: "ReduceProd", dtypes: NUMERIC_DTYPES, init: 1, step: (a, x) => a * x },
  { op: "ReduceL1", dtypes: NUMERIC_DTYPES, init: 0, step: (a, x) => a + Math.abs(x) },
  { op: "ReduceL2", dtypes: NUMERIC_DTYPES, init: 0, step: (a, x) => a + x * x, finish: Math.sqrt },
  { op: "ReduceSumSquare", dtypes: NUMERIC_DTYPES, init: 0, step: (a, x) => a + x * x },
  { op: "ReduceLogSum", dtypes: FLOAT_DTYPES, init: 0, step: (a, x) => a + x, finish: Math.log },
];

/**
 * The reduced axes: the `axes` input (opset 13 ReduceSum, opset 18 the others) or attribute.
 * No axes reduce all of them, unless noop_with_empty_axes: then none (each element alone).
 */
function reduceAxes(axesInput: number[] | undefined, attrs: Attrs, rank: number): number[] {
  const axes = axesInput ?? attrInts(attrs, "axes", []);
  if (axes.length === 0) return attrInt(attrs, "noop_with_empty_axes", 0) ? [] : Array.from({ length: rank }, (_, i) => i);
  return [...new Set(axes.map((a) => normAxis(a, rank, "axes entry")))].sort((p, q) => p - q);
}

function reducedShape<D extends Dim>(shape: readonly D[], axes: readonly number[], keep: boolean): (D | 1)[] {
  const out: (D | 1)[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

function reduceInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs, dtypes: readonly DType[], outDtype?: DType): OutputInfo[] {
  const x = need(inputs, 0, "data");
  checkDType(x.dtype, dtypes, "data");
  const axesInfo = inputs[1];
  if (axesInfo) checkDType(axesInfo.dtype, ["int64"], "axes");
  const dtype = outDtype ?? x.dtype;
  const axesValues = axesInfo ? constNumbers(axesInfo) : undefined;
  if (!x.shape || (axesInfo && !axesValues)) return [{ dtype, shape: undefined }];
  const axes = reduceAxes(axesValues, attrs, x.shape.length);
  return [{ dtype, shape: reducedShape(x.shape, axes, attrInt(attrs, "keepdims", 1) !== 0) }];
}

/**
 * Walks `x` once; `visit(o, i)` sees each input element i with o, the flat index of the
 * output element it reduces into.
 */
function forEachReduced(shape: readonly number[], axes: readonly number[], visit: (o: number, i: number) => void): void {
  const rank = shape.length;
  const keptStrides = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (!axes.includes(d)) {
      keptStrides[d] = acc;
      acc *= shape[d]!;
    }
  }
  const n = shape.reduce((p, q) => p * q, 1);
  const index = new Array<number>(rank).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    visit(o, i);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      o += keptStrides[d]!;
      if (index[d]! < shape[d]!) break;
      o -= keptStrides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
}

/** Reducers the SIMD module runs over rows, with the scale a sum gets from the row length. */
const ROW_REDUCERS: Record<string, { kind: "sum" | "max"; scale: (inner: number) => number }> = {
  ReduceSum: { kind: "sum", scale: () => 1 },
  ReduceMean: { kind: "sum", scale: (inner) => 1 / inner },
  ReduceMax: { kind: "max", scale: () => 1 },
};

/**
 * out[o][j] = scale · Σ_k x[o][k][j] for k < size, j < inner (rows of inner floats added in order,
 * in float32, on the SIMD module). False, with out untouched, when the module cannot.
 */
function sumMiddleAxes(x: Float32Array, out: Float32Array, size: number, inner: number, scale: number): boolean {
  const outer = out.length / inner;
  if (size < 2) return false;
  for (let o = 0; o < outer; o++) {
    const at = o * inner;
    const from = o * size * inner;
    // The first call tells whether the module can (then every call can: same arrays, same length).
    if (!simdBinary("add", x, from, 1, x, from + inner, 1, out, at, inner)) return false;
    for (let k = 2; k < size; k++) simdBinary("add", out, at, 1, x, from + k * inner, 1, out, at, inner);
  }
  if (scale !== 1) for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
  return true;
}

function reduce(x: Tensor, attrs: Attrs, axesInput: Tensor | undefined, r: Reducer): Tensor {
  const axes = reduceAxes(axesInput ? tensorNumbers(axesInput) : undefined, attrs, x.shape.length);
  const outShape = reducedShape(x.shape, axes, attrInt(attrs, "keepdims", 1) !== 0) as number[];
  const out = outputUninit(x.dtype, outShape);
  // float32 reduced over its last axes: every output element is a contiguous row (float32 sums, as onnxruntime's).
  const rows = ROW_REDUCERS[r.op];
  const rank = x.shape.length;
  if (rows && x.dtype === "float32" && axes.length > 0 && axes.every((a, i) => a === rank - axes.length + i)) {
    const inner = axes.reduce((p, a) => p * x.shape[a]!, 1);
    if (simdReduceRows(rows.kind, x.data as Float32Array, out.data.length, inner, out.data as Float32Array, rows.scale(inner))) return out;
  }
  // float32 summed over a block of middle axes: whole rows of the axes after it added on the module.
  if (rows?.kind === "sum" && x.dtype === "float32" && axes.length > 0 && axes.every((a, i) => a === axes[0]! + i) && axes[axes.length - 1]! < rank - 1) {
    const size = axes.reduce((p, a) => p * x.shape[a]!, 1);
    const inner = x.shape.slice(axes[axes.length - 1]! + 1).reduce((p, q) => p * q, 1);
    if (sumMiddleAxes(x.data as Float32Array, out.data as Float32Array, size, inner, rows.scale(size))) return out;
  }
  const accs = new Float64Array(out.data.length).fill(r.init);
  const xd = x.data as ArrayLike<number | bigint>;
  forEachReduced(x.shape, axes, (o, i) => (accs[o] = r.step(accs[o]!, Number(xd[i]))));
  const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
  const write = writer(x.dtype, out.data);
  for (let o = 0; o < accs.length; o++) write(o, r.finish ? r.finish(accs[o]!, count) : accs[o]!);
  return out;
}

for (const r of REDUCERS) {
  registerOp({
    op: r.op,
    domain: "",
    infer: (inputs, attrs) => reduceInfer(inputs, attrs, r.dtypes),
    kernel: (inputs, attrs) => [reduce(need(inputs, 0, "data"), attrs, inputs[1], r)],
  });
}

// log Σ exp x, shifted by the maximum so that large inputs do not overflow.
registerOp({
  op: "ReduceLogSumExp",
  domain: "",
  infer: (inputs, attrs) => reduceInfer(inputs, attrs, FLOAT_DTYPES),
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "data");
    const max = reduce(x, { ...attrs, keepdims: { type: "int", value: 1 } }, inputs[1], REDUCERS.find((r) => r.op === "ReduceMax")!);
    const xd = x.data as ArrayLike<number>;
    const md = max.data as ArrayLike<number>;
    const shifted = { ...x, data: new Float64Array(xd.length) };
    const axes = reduceAxes(inputs[1] ? tensorNumbers(inputs[1]) : undefined, attrs, x.shape.length);
    forEachReduced(x.shape, axes, (o, i) => (shifted.data[i] = Math.exp(xd[i]! - (Number.isFinite(md[o]!) ? md[o]! : 0))));
    const sums = reduce({ ...shifted, dtype: "float64" }, attrs, inputs[1], REDUCERS[0]!);
    const out = outputUninit(x.dtype, sums.shape);
    const write = writer(x.dtype, out.data);
    for (let o = 0; o < out.data.length; o++) {
      const m = md[o]!;
      write(o, Math.log(sums.data[o] as number) + (Number.isFinite(m) ? m : 0));
    }
    return [out];
  },
});

// ── ArgMax / ArgMin ───────────────────────────────────────────────────────────────────────

function argInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs): OutputInfo[] {
  const x = need(inputs, 0, "data");
  checkDType(x.dtype, NUMERIC_DTYPES, "data");
  if (!x.shape) return [{ dtype: "int64", shape: undefined }];
  const axis = normAxis(attrInt(attrs, "axis", 0), x.shape.length);
  return [{ dtype: "int64", shape: reducedShape(x.shape, [axis], attrInt(attrs, "keepdims", 1) !== 0) }];
}

function argKernel(x: Tensor, attrs: Attrs, better: (a: number, b: number) => boolean): Tensor {
  const axis = normAxis(attrInt(attrs, "axis", 0), x.shape.length);
  const last = attrInt(attrs, "select_last_index", 0) !== 0;
  const size = x.shape[axis]!;
  if (size === 0) throw new OpError(`cannot take the arg of an empty axis ${axis}`);
  const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
  const outer = x.data.length / (size * inner);
  const out = outputUninit("int64", reducedShape(x.shape, [axis], attrInt(attrs, "keepdims", 1) !== 0) as number[]);
  const od = out.data as BigInt64Array;
  const xd = x.data as ArrayLike<number | bigint>;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      let best = 0;
      let bestValue = Number(xd[base]);
      for (let k = 1; k < size; k++) {
        const v = Number(xd[base + k * inner]);
        if (better(v, bestValue) || (last && v === bestValue)) {
          best = k;
          bestValue = v;
        }
      }
      od[o * inner + j] = BigInt(best);
    }
  }
  return out;
}

registerOp({ op: "ArgMax", domain: "", infer: argInfer, kernel: (inputs, attrs) => [argKernel(need(inputs, 0, "data"), attrs, (a, b) => a > b)] });
registerOp({ op: "ArgMin", domain: "", infer: argInfer, kernel: (inputs, attrs) => [argKernel(need(inputs, 0, "data"), attrs, (a, b) => a < b)] });

// ── CumSum ────────────────────────────────────────────────────────────────────────────────

registerOp({
  op: "CumSum",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "x");
    checkDType(x.dtype, NUMERIC_DTYPES, "x");
    checkDType(need(inputs, 1, "axis").dtype, ["int32", "int64"], "axis");
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "x");
    const axis = normAxis(tensorNumbers(need(inputs, 1, "axis"))[0]!, x.shape.length);
    const exclusive = attrInt(attrs, "exclusive", 0) !== 0;
    const reverse = attrInt(attrs, "reverse", 0) !== 0;
    const size = x.shape[axis]!;
    const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    const outer = size * inner === 0 ? 0 : x.data.length / (size * inner);
    const out = outputUninit(x.dtype, x.shape);
    const xd = x.data as ArrayLike<number | bigint>;
    const od = out.data as unknown as (number | bigint)[];
    const big = typeof xd[0] === "bigint";
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        let acc: number | bigint = big ? 0n : 0;
        for (let s = 0; s < size; s++) {
          const k = reverse ? size - 1 - s : s;
          const at = o * size * inner + k * inner + j;
          const v = xd[at]!;
          if (exclusive) {
            od[at] = acc;
            acc = big ? (acc as bigint) + (v as bigint) : (acc as number) + (v as number);
          } else {
            acc = big ? (acc as bigint) + (v as bigint) : (acc as number) + (v as number);
            od[at] = acc;
          }
        }
      }
    }
    return [out];
  },
});

// ── TopK ──────────────────────────────────────────────────────────────────────────────────

function topKCount(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs): number | undefined {
  if (!inputs[1]) return attrInt(attrs, "k");
  return constNumbers(inputs[1])?.[0];
}

registerOp({
  op: "TopK",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    checkDType(x.dtype, NUMERIC_DTYPES, "X");
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }, { dtype: "int64", shape: undefined }];
    const axis = normAxis(attrInt(attrs, "axis", -1), x.shape.length);
    const k = topKCount(inputs, attrs);
    const shape = x.shape.map((d, i) => (i === axis ? (k ?? unknownDim()) : d));
    return [
      { dtype: x.dtype, shape },
      { dtype: "int64", shape },
    ];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const axis = normAxis(attrInt(attrs, "axis", -1), x.shape.length);
    const k = inputs[1] ? tensorNumbers(inputs[1])[0]! : attrInt(attrs, "k");
    const largest = attrInt(attrs, "largest", 1) !== 0;
    const size = x.shape[axis]!;
    if (k < 0 || k > size) throw new OpError(`K = ${k} is out of range for axis ${axis} of size ${size}`);
    const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    const outer = size * inner === 0 ? 0 : x.data.length / (size * inner);
    const shape = x.shape.map((d, i) => (i === axis ? k : d));
    const values = outputUninit(x.dtype, shape);
    const indices = outputUninit("int64", shape);
    const xd = x.data as ArrayLike<number | bigint>;
    const vd = values.data as unknown as (number | bigint)[];
    const id = indices.data as BigInt64Array;
    const order = Array.from({ length: size }, (_, i) => i);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * size * inner + j;
        const at = (i: number) => xd[base + i * inner]!;
        // Ties keep the lower index first, as onnxruntime does.
        order.sort((a, b) => {
          const va = at(a);
          const vb = at(b);
          if (va === vb) return a - b;
          return (largest ? va < vb : va > vb) ? 1 : -1;
        });
        for (let s = 0; s < k; s++) {
          const to = o * k * inner + s * inner + j;
          vd[to] = at(order[s]!);
          id[to] = BigInt(order[s]!);
        }
        order.sort((a, b) => a - b);
      }
    }
    return [values, indices];
  },
});

// ── LogSoftmax / Hardmax ──────────────────────────────────────────────────────────────────

function axisInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs): OutputInfo[] {
  const x = need(inputs, 0, "input");
  checkDType(x.dtype, FLOAT_DTYPES, "input");
  if (x.shape && x.shape.length > 0) normAxis(attrInt(attrs, "axis", -1), x.shape.length);
  return [{ dtype: x.dtype, shape: x.shape }];
}

/** Applies `row(values) → results` to every 1-D slice of x along `axis` (opset 13 meaning). */
function alongAxis(x: Tensor, attrs: Attrs, row: (v: Float64Array) => Float64Array, out = outputUninit(x.dtype, x.shape)): Tensor {
  const rank = x.shape.length;
  const axis = rank === 0 ? 0 : normAxis(attrInt(attrs, "axis", -1), rank);
  const size = rank === 0 ? 1 : x.shape[axis]!;
  const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
  const outer = size * inner === 0 ? 0 : x.data.length / (size * inner);
  const write = writer(x.dtype, out.data);
  const xd = x.data as ArrayLike<number>;
  const v = new Float64Array(size);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      for (let k = 0; k < size; k++) v[k] = xd[base + k * inner]!;
      const r = row(v);
      for (let k = 0; k < size; k++) write(base + k * inner, r[k]!);
    }
  }
  return out;
}

/**
 * LogSoftmax of `rows` contiguous float32 rows of `size` on the SIMD module: x − max (the row's
 * maximum), its exponentials summed per row, minus the log of the sum. False when it cannot.
 */
function logSoftmaxRowsSimd(x: Float32Array, out: Float32Array, rows: number, size: number): boolean {
  const stats = arenaTake(2 * rows);
  const shifted = arenaTake(rows * size);
  try {
    if (!stats || !shifted) return false;
    const maxes = stats.subarray(0, rows);
    const sums = stats.subarray(rows);
    if (!simdReduceRows("max", x, rows, size, maxes) || !simdBinaryRows("sub", x, maxes, shifted, rows, size, false)) return false;
    if (!simdMap("exp", shifted, out, 0, rows * size) || !simdReduceRows("sum", out, rows, size, sums)) return false;
    for (let r = 0; r < rows; r++) sums[r] = Math.log(sums[r]!);
    return simdBinaryRows("sub", shifted, sums, out, rows, size, false);
  } finally {
    if (stats) arenaRelease(stats);
    if (shifted) arenaRelease(shifted);
  }
}

registerOp({
  op: "LogSoftmax",
  domain: "",
  infer: axisInfer,
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const rank = x.shape.length;
    const out = outputUninit(x.dtype, x.shape);
    if (x.dtype === "float32" && rank > 0 && normAxis(attrInt(attrs, "axis", -1), rank) === rank - 1) {
      const size = x.shape[rank - 1]!;
      if (size > 0 && logSoftmaxRowsSimd(x.data as Float32Array, out.data as Float32Array, x.data.length / size, size)) return [out];
    }
    const logSoftmax = (v: Float64Array): Float64Array => {
      let max = -Infinity;
      for (const x of v) max = Math.max(max, x);
      let sum = 0;
      for (const x of v) sum += Math.exp(x - max);
      const log = Math.log(sum) + max;
      return v.map((x) => x - log);
    };
    return [alongAxis(x, attrs, logSoftmax, out)];
  },
});

registerOp({
  op: "Hardmax",
  domain: "",
  infer: axisInfer,
  kernel: (inputs, attrs) => [
    alongAxis(need(inputs, 0, "input"), attrs, (v) => {
      let best = 0;
      for (let k = 1; k < v.length; k++) if (v[k]! > v[best]!) best = k;
      return v.map((_, k) => (k === best ? 1 : 0));
    }),
  ],
});
