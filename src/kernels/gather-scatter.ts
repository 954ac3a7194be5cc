/**
 * Indexed reads and writes: GatherElements, GatherND (batch_dims), ScatterElements (and the
 * older Scatter) and ScatterND with their reductions, MaxUnpool (a scatter by MaxPool's flat
 * indices), OneHot, Compress and NonZero. Indices may
 * be negative (counted from the end); an index out of range is an error naming it.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp } from "../runtime/registry.js";
import { ALL_DTYPES, numel, strides, type Tensor } from "../runtime/tensor.js";
import { attrInt, attrInts, attrString, checkDType, constNumbers, formatShape, hasAttr, listOr, mapDim, need, normAxis, outputUninit, outputZeros, tensorNumbers, unknownDim } from "./util.js";

const INDEX = ["int32", "int64"] as const;

type Cell = number | bigint;
type Combine = (old: Cell, update: Cell) => Cell;

/** An index along an axis of `size`, negative counting from the end. */
function checkedIndex(raw: number, size: number, what: string): number {
  const i = raw < 0 ? raw + size : raw;
  if (!(i >= 0 && i < size)) throw new OpError(`${what} ${raw} is out of range for size ${size}`);
  return i;
}

function reduction(attrs: Attrs): Combine | undefined {
  const r = attrString(attrs, "reduction", "none");
  const big = (f: (a: bigint, b: bigint) => bigint, g: (a: number, b: number) => number): Combine => (a, b) =>
    typeof a === "bigint" ? f(a, b as bigint) : g(a, b as number);
  switch (r) {
    case "none":
      return undefined;
    case "add":
      return big((a, b) => a + b, (a, b) => a + b);
    case "mul":
      return big((a, b) => a * b, (a, b) => a * b);
    case "max":
      return (a, b) => (b > a ? b : a);
    case "min":
      return (a, b) => (b < a ? b : a);
    default:
      throw new OpError(`unknown reduction "${r}" (expected none, add, mul, max or min)`);
  }
}

/** Copies `data` into a fresh output buffer. */
function copyOf(t: Tensor): Tensor {
  const out = outputUninit(t.dtype, t.shape);
  (out.data as Float32Array).set(t.data as Float32Array);
  return out;
}

/**
 * For each element of `indices` (shape = `shape`), the flat offset into a tensor of `target`
 * shape where the coordinate along `axis` is replaced by the index value.
 */
function elementOffsets(indices: Tensor, target: readonly number[], axis: number): Int32Array {
  const shape = indices.shape;
  const rank = shape.length;
  if (target.length !== rank) throw new OpError(`indices have rank ${rank}, data has rank ${target.length}`);
  const ts = strides(target);
  const n = indices.data.length;
  const out = new Int32Array(n);
  const pos = new Array<number>(rank).fill(0);
  const values = indices.data as ArrayLike<number | bigint>;
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < rank; d++) {
      const c = d === axis ? checkedIndex(Number(values[i]), target[d]!, "index") : pos[d]!;
      off += c * ts[d]!;
    }
    out[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      if (++pos[d]! < shape[d]!) break;
      pos[d] = 0;
    }
  }
  return out;
}

registerOp({
  op: "GatherElements",
  domain: "",
  infer: (inputs, attrs) => {
    const data = need(inputs, 0, "data");
    const indices = need(inputs, 1, "indices");
    checkDType(indices.dtype, INDEX, "indices");
    if (data.shape && indices.shape && data.shape.length !== indices.shape.length) {
      throw new OpError(`indices have rank ${indices.shape.length}, data has rank ${data.shape.length}`);
    }
    if (data.shape) normAxis(attrInt(attrs, "axis", 0), data.shape.length);
    return [{ dtype: data.dtype, shape: indices.shape }];
  },
  kernel: (inputs, attrs) => {
    const data = need(inputs, 0, "data");
    const indices = need(inputs, 1, "indices");
    const axis = normAxis(attrInt(attrs, "axis", 0), data.shape.length);
    const offsets = elementOffsets(indices, data.shape, axis);
    const out = outputUninit(data.dtype, indices.shape);
    const src = data.data as ArrayLike<Cell>;
    const dst = out.data as unknown as Cell[];
    for (let i = 0; i < offsets.length; i++) dst[i] = src[offsets[i]!]!;
    return [out];
  },
});

function scatterElements(inputs: readonly (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const data = need(inputs, 0, "data");
  const indices = need(inputs, 1, "indices");
  const updates = need(inputs, 2, "updates");
  if (indices.shape.join() !== updates.shape.join()) throw new OpError(`updates ${formatShape(updates.shape)} must have the shape of indices ${formatShape(indices.shape)}`);
  const axis = normAxis(attrInt(attrs, "axis", 0), data.shape.length);
  const combine = reduction(attrs);
  const offsets = elementOffsets(indices, data.shape, axis);
  const out = copyOf(data);
  const dst = out.data as unknown as Cell[];
  const src = updates.data as ArrayLike<Cell>;
  for (let i = 0; i < offsets.length; i++) {
    const at = offsets[i]!;
    dst[at] = combine ? combine(dst[at]!, src[i]!) : src[i]!;
  }
  return [out];
}

for (const op of ["ScatterElements", "Scatter"]) {
  registerOp({
    op,
    domain: "",
    infer: (inputs, attrs) => {
      const data = need(inputs, 0, "data");
      checkDType(need(inputs, 1, "indices").dtype, INDEX, "indices");
      const updates = need(inputs, 2, "updates");
      if (data.dtype && updates.dtype && data.dtype !== updates.dtype) throw new OpError(`updates (${updates.dtype}) must have the dtype of data (${data.dtype})`);
      reduction(attrs);
      return [{ dtype: data.dtype, shape: data.shape }];
    },
    kernel: scatterElements,
  });
}

// ── GatherND / ScatterND ──────────────────────────────────────────────────────────────────

/** The offsets into `data` (and slice size) that each index tuple of `indices` addresses. */
function tupleOffsets(data: Tensor, indices: Tensor, batchDims: number): { offsets: Int32Array; slice: number; tuples: number } {
  const k = indices.shape[indices.shape.length - 1];
  if (k === undefined) throw new OpError("indices must have rank at least 1");
  if (batchDims + k > data.shape.length) throw new OpError(`index tuples of length ${k} (after ${batchDims} batch dims) exceed data rank ${data.shape.length}`);
  for (let b = 0; b < batchDims; b++) {
    if (data.shape[b] !== indices.shape[b]) throw new OpError(`batch dim ${b}: data has ${data.shape[b]}, indices ${indices.shape[b]}`);
  }
  const ds = strides(data.shape);
  const batch = numel(data.shape.slice(0, batchDims));
  const tuples = k === 0 ? numel(indices.shape.slice(0, -1)) : indices.data.length / k;
  const perBatch = batch === 0 ? 0 : tuples / batch;
  const batchStride = batchDims === 0 ? 0 : ds[batchDims - 1]!;
  const slice = numel(data.shape.slice(batchDims + k));
  const values = indices.data as ArrayLike<number | bigint>;
  const offsets = new Int32Array(tuples);
  for (let t = 0; t < tuples; t++) {
    let off = batchDims === 0 ? 0 : Math.floor(t / perBatch) * batchStride;
    for (let j = 0; j < k; j++) off += checkedIndex(Number(values[t * k + j]), data.shape[batchDims + j]!, "index") * ds[batchDims + j]!;
    offsets[t] = off;
  }
  return { offsets, slice, tuples };
}

registerOp({
  op: "GatherND",
  domain: "",
  infer: (inputs, attrs) => {
    const data = need(inputs, 0, "data");
    const indices = need(inputs, 1, "indices");
    checkDType(indices.dtype, ["int64"], "indices");
    const b = attrInt(attrs, "batch_dims", 0);
    const k = indices.shape?.[indices.shape.length - 1];
    if (!data.shape || !indices.shape || typeof k !== "number") return [{ dtype: data.dtype, shape: undefined }];
    return [{ dtype: data.dtype, shape: [...indices.shape.slice(0, -1), ...data.shape.slice(b + k)] }];
  },
  kernel: (inputs, attrs) => {
    const data = need(inputs, 0, "data");
    const indices = need(inputs, 1, "indices");
    const b = attrInt(attrs, "batch_dims", 0);
    const { offsets, slice } = tupleOffsets(data, indices, b);
    const k = indices.shape[indices.shape.length - 1]!;
    const out = outputUninit(data.dtype, [...indices.shape.slice(0, -1), ...data.shape.slice(b + k)]);
    const src = data.data as ArrayLike<Cell>;
    const dst = out.data as unknown as Cell[];
    offsets.forEach((off, t) => {
      for (let e = 0; e < slice; e++) dst[t * slice + e] = src[off + e]!;
    });
    return [out];
  },
});

registerOp({
  op: "ScatterND",
  domain: "",
  infer: (inputs, attrs) => {
    const data = need(inputs, 0, "data");
    checkDType(need(inputs, 1, "indices").dtype, ["int64"], "indices");
    need(inputs, 2, "updates");
    reduction(attrs);
    return [{ dtype: data.dtype, shape: data.shape }];
  },
  kernel: (inputs, attrs) => {
    const data = need(inputs, 0, "data");
    const indices = need(inputs, 1, "indices");
    const updates = need(inputs, 2, "updates");
    const combine = reduction(attrs);
    const { offsets, slice, tuples } = tupleOffsets(data, indices, 0);
    if (updates.data.length !== tuples * slice) throw new OpError(`updates ${formatShape(updates.shape)} do not match indices ${formatShape(indices.shape)} and data ${formatShape(data.shape)}`);
    const out = copyOf(data);
    const dst = out.data as unknown as Cell[];
    const src = updates.data as ArrayLike<Cell>;
    offsets.forEach((off, t) => {
      for (let e = 0; e < slice; e++) dst[off + e] = combine ? combine(dst[off + e]!, src[t * slice + e]!) : src[t * slice + e]!;
    });
    return [out];
  },
});

// ── MaxUnpool ─────────────────────────────────────────────────────────────────────────────

/** The unpooled shape: given by output_shape, else (in − 1)·stride + kernel − pads per axis. */
function unpooledShape(x: readonly Dim[], attrs: Attrs): Dim[] {
  const kernel = attrInts(attrs, "kernel_shape");
  const spatial = x.length - 2;
  if (kernel.length !== spatial) throw new OpError(`kernel_shape has ${kernel.length} entries for ${spatial} spatial axes`);
  const strides = listOr(attrInts(attrs, "strides", []), kernel.map(() => 1));
  const pads = listOr(attrInts(attrs, "pads", []), [...kernel, ...kernel].map(() => 0));
  return [x[0]!, x[1]!, ...kernel.map((k, i) => mapDim(x[i + 2]!, (d) => (d - 1) * strides[i]! + k - pads[i]! - pads[i + spatial]!, "unpool", k, strides[i], pads[i], pads[i + spatial]))];
}

registerOp({
  op: "MaxUnpool",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    checkDType(need(inputs, 1, "I").dtype, ["int64"], "I");
    const given = inputs[2] ? constNumbers(inputs[2]) : undefined;
    if (given) return [{ dtype: x.dtype, shape: given }];
    if (inputs[2] || !x.shape) return [{ dtype: x.dtype, shape: x.shape ? x.shape.map(() => unknownDim()) : undefined }];
    return [{ dtype: x.dtype, shape: unpooledShape(x.shape, attrs) }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const indices = need(inputs, 1, "I");
    if (indices.data.length !== x.data.length) throw new OpError(`I has ${indices.data.length} elements, X has ${x.data.length}`);
    const shape = inputs[2] ? tensorNumbers(inputs[2]) : (unpooledShape(x.shape, attrs) as number[]);
    const out = outputZeros(x.dtype, shape);
    const src = x.data as ArrayLike<Cell>;
    const dst = out.data as unknown as Cell[];
    const at = indices.data as BigInt64Array;
    for (let i = 0; i < src.length; i++) dst[checkedIndex(Number(at[i]), dst.length, "index")] = src[i]!;
    return [out];
  },
});

// ── OneHot ────────────────────────────────────────────────────────────────────────────────

registerOp({
  op: "OneHot",
  domain: "",
  infer: (inputs, attrs) => {
    const indices = need(inputs, 0, "indices");
    const depth = constNumbers(need(inputs, 1, "depth"))?.[0];
    const values = need(inputs, 2, "values");
    if (!indices.shape) return [{ dtype: values.dtype, shape: undefined }];
    const rank = indices.shape.length + 1;
    const axis = normAxis(attrInt(attrs, "axis", -1), rank);
    const shape: Dim[] = [...indices.shape];
    shape.splice(axis, 0, depth ?? unknownDim());
    return [{ dtype: values.dtype, shape }];
  },
  kernel: (inputs, attrs) => {
    const indices = need(inputs, 0, "indices");
    const depth = Math.trunc(tensorNumbers(need(inputs, 1, "depth"))[0]!);
    const values = need(inputs, 2, "values");
    if (values.data.length !== 2) throw new OpError(`values must hold [off, on], got ${values.data.length} elements`);
    const axis = normAxis(attrInt(attrs, "axis", -1), indices.shape.length + 1);
    const shape = [...indices.shape];
    shape.splice(axis, 0, depth);
    const out = outputUninit(values.dtype, shape);
    const [off, on] = [values.data[0]!, values.data[1]!];
    (out.data as unknown as Cell[]).fill(off);
    const inner = numel(indices.shape.slice(axis));
    const idx = indices.data as ArrayLike<number | bigint>;
    const dst = out.data as unknown as Cell[];
    for (let i = 0; i < idx.length; i++) {
      let v = Math.trunc(Number(idx[i]));
      if (v < 0) v += depth;
      if (v < 0 || v >= depth) continue;
      const o = Math.floor(i / inner);
      const r = i % inner;
      dst[o * depth * inner + v * inner + r] = on;
    }
    return [out];
  },
});

// ── Compress / NonZero ────────────────────────────────────────────────────────────────────

/** Compress's optional axis; the dialect's declared value 2147483647 also means "not given". */
function hasAxis(attrs: Attrs): boolean {
  return hasAttr(attrs, "axis") && attrInt(attrs, "axis") !== 2147483647;
}

registerOp({
  op: "Compress",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    checkDType(need(inputs, 1, "condition").dtype, ["bool"], "condition");
    if (!hasAxis(attrs)) return [{ dtype: x.dtype, shape: [unknownDim()] }];
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    const axis = normAxis(attrInt(attrs, "axis"), x.shape.length);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? unknownDim() : d)) }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const cond = need(inputs, 1, "condition").data;
    const flat = !hasAxis(attrs);
    const shape = flat ? [x.data.length] : x.shape;
    const axis = flat ? 0 : normAxis(attrInt(attrs, "axis"), x.shape.length);
    const size = shape[axis]!;
    if (cond.length > size) throw new OpError(`condition has ${cond.length} entries, the axis has ${size}`);
    const kept: number[] = [];
    for (let i = 0; i < cond.length; i++) if (cond[i]) kept.push(i);
    const inner = numel(shape.slice(axis + 1));
    const outer = numel(shape.slice(0, axis));
    const out = outputUninit(x.dtype, shape.map((d, i) => (i === axis ? kept.length : d)));
    const src = x.data as ArrayLike<Cell>;
    const dst = out.data as unknown as Cell[];
    let w = 0;
    for (let o = 0; o < outer; o++) {
      for (const k of kept) for (let e = 0; e < inner; e++) dst[w++] = src[(o * size + k) * inner + e]!;
    }
    return [out];
  },
});

registerOp({
  op: "NonZero",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "X");
    checkDType(x.dtype, ALL_DTYPES, "X");
    return [{ dtype: "int64", shape: x.shape ? [x.shape.length, unknownDim()] : undefined }];
  },
  kernel: (inputs) => {
    const x = need(inputs, 0, "X");
    const rank = x.shape.length;
    const hits: number[] = [];
    const d = x.data as ArrayLike<Cell>;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0 && d[i] !== 0n) hits.push(i);
    const out = outputUninit("int64", [rank, hits.length]);
    const od = out.data as BigInt64Array;
    const xs = strides(x.shape);
    hits.forEach((flat, j) => {
      let rest = flat;
      for (let a = 0; a < rank; a++) {
        od[a * hits.length + j] = BigInt(Math.floor(rest / xs[a]!));
        rest %= xs[a]!;
      }
    });
    return [out];
  },
});
