/**
 * Pooling: ONNX MaxPool and AveragePool (1-D and 2-D, NCHW; pads, auto_pad, strides, dilations,
 * ceil_mode, count_include_pad), GlobalAveragePool, and tfl MaxPool2D / AveragePool2D (NHWC, SAME
 * averaging over the valid cells only, with a fused activation).
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import { applyActivation, tflActivation } from "./activation.js";
import { onnxWindowAttrs, tflAxis, windowAxis, windowOutDims, type Axis } from "./window.js";
import { attrInt, attrString, checkDType, checkRank, derivedDim, need, outputF32, Scratch } from "./util.js";

type PoolKind = "max" | "avg";

const UNIT: Axis = { size: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0, out: 1 };

function onnxPoolInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs, outputCount: number): Dim[] | undefined {
  if (outputCount > 1) throw new OpError("the Indices output of MaxPool is not supported");
  const x = need(inputs, 0, "X");
  checkDType(x.dtype, ["float32"], "X");
  if (!x.shape) return undefined;
  if (x.shape.length < 3 || x.shape.length > 4) throw new OpError(`input X has rank ${x.shape.length}, expected 4 (or 3 for 1-D pooling)`);
  const win = onnxWindowAttrs(attrs, x.shape.length - 2);
  return [x.shape[0]!, x.shape[1]!, ...windowOutDims(x.shape.slice(2), win)];
}

/**
 * ONNX MaxPool/AveragePool. Both reductions are separable, so each plane is pooled in two passes
 * over per-axis window tables (the valid input indices of every output position, computed once
 * per call): along W into a row buffer per input row, then along H across those rows, which
 * leaves the inner loops free of bounds tests.
 */
function onnxPoolKernel(x: Tensor, attrs: Attrs, kind: PoolKind): Tensor {
  const rank = x.shape.length - 2;
  const win = onnxWindowAttrs(attrs, rank);
  const axes = x.shape.slice(2).map((size, i) => windowAxis(size, win, i, rank));
  const h = rank === 2 ? axes[0]! : UNIT;
  const w = rank === 2 ? axes[1]! : axes[0]!;
  const includePad = attrInt(attrs, "count_include_pad", 0) !== 0;
  const planes = x.shape[0]! * x.shape[1]!;
  const out = outputF32([x.shape[0]!, x.shape[1]!, ...axes.map((a) => a.out)]);
  if (out.data.length === 0) return out;
  const rows = windowTable(h);
  const cols = windowTable(w);
  const xd = x.data as Float32Array;
  const od = out.data;
  const inPlane = h.size * w.size;
  const outPlane = h.out * w.out;
  const pooledRows = rowScratch.get(h.size * w.out);
  const divisors = kind === "avg" ? averageDivisors(rows, cols, includePad) : undefined;
  for (let p = 0; p < planes; p++) {
    for (let ih = 0; ih < h.size; ih++) poolRow(kind, xd, p * inPlane + ih * w.size, cols, pooledRows, ih * w.out);
    const base = p * outPlane;
    for (let oh = 0; oh < h.out; oh++) {
      const d = base + oh * w.out;
      const first = rows.start[oh]!;
      const last = rows.start[oh + 1]!;
      if (first === last) {
        od.fill(kind === "max" ? -Infinity : 0, d, d + w.out);
        continue;
      }
      od.set(pooledRows.subarray(rows.index[first]! * w.out, (rows.index[first]! + 1) * w.out), d);
      for (let k = first + 1; k < last; k++) {
        const s = rows.index[k]! * w.out;
        if (kind === "max") {
          for (let ow = 0; ow < w.out; ow++) od[d + ow] = Math.max(od[d + ow]!, pooledRows[s + ow]!);
        } else for (let ow = 0; ow < w.out; ow++) od[d + ow] += pooledRows[s + ow]!;
      }
      if (divisors) for (let ow = 0; ow < w.out; ow++) od[d + ow] /= divisors[oh * w.out + ow]!;
    }
  }
  return out;
}

/** Per output position along one axis: its window's valid input indices, and its padded size. */
interface WindowTable {
  /** Output o's indices are index[start[o] .. start[o+1]). */
  start: Int32Array;
  index: Int32Array;
  /** Window cells inside the input or its padding (count_include_pad's divisor). */
  padded: Int32Array;
  /** Outputs [interiorBegin, interiorEnd) have all `width` cells inside the input, `stride` apart. */
  interiorBegin: number;
  interiorEnd: number;
  width: number;
  stride: number;
  dilation: number;
}

function windowTable(a: Axis): WindowTable {
  const start = new Int32Array(a.out + 1);
  const index: number[] = [];
  const padded = new Int32Array(a.out);
  for (let o = 0; o < a.out; o++) {
    start[o] = index.length;
    const first = o * a.stride - a.padBegin;
    for (let k = 0; k < a.kernel; k++) {
      const i = first + k * a.dilation;
      if (i >= a.size + a.padEnd) break;
      padded[o]!++;
      if (i >= 0 && i < a.size) index.push(i);
    }
  }
  start[a.out] = index.length;
  const full = (o: number) => start[o + 1]! - start[o]! === a.kernel && o * a.stride - a.padBegin >= 0;
  let interiorBegin = 0;
  while (interiorBegin < a.out && !full(interiorBegin)) interiorBegin++;
  let interiorEnd = interiorBegin;
  while (interiorEnd < a.out && full(interiorEnd)) interiorEnd++;
  return { start, index: Int32Array.from(index), padded, interiorBegin, interiorEnd, width: a.kernel, stride: a.stride, dilation: a.dilation };
}

/**
 * Pools one input row along W: into[at + ow] = max or sum of the row over column window ow.
 * Windows wholly inside the row read it by arithmetic (2- and 3-wide ones unrolled); the ones
 * that touch the padding go through the table. Math.max propagates NaN and does not branch.
 */
function poolRow(kind: PoolKind, src: Float32Array, rowStart: number, cols: WindowTable, into: Float32Array, at: number): void {
  const { start, index, interiorBegin, interiorEnd, stride, dilation, width } = cols;
  const n = start.length - 1;
  const max = kind === "max";
  for (let ow = 0; ow < n; ow++) {
    if (ow === interiorBegin && interiorEnd > interiorBegin) {
      const s0 = rowStart + index[start[ow]!]!;
      const d0 = at + ow;
      const count = interiorEnd - interiorBegin;
      if (max) poolInteriorMax(src, s0, stride, dilation, width, into, d0, count);
      else poolInteriorSum(src, s0, stride, dilation, width, into, d0, count);
      ow = interiorEnd - 1;
      continue;
    }
    let acc = max ? -Infinity : 0;
    for (let k = start[ow]!; k < start[ow + 1]!; k++) acc = max ? Math.max(acc, src[rowStart + index[k]!]!) : acc + src[rowStart + index[k]!]!;
    into[at + ow] = acc;
  }
}

function poolInteriorMax(src: Float32Array, s0: number, stride: number, dilation: number, width: number, into: Float32Array, d0: number, count: number): void {
  if (width === 2) {
    for (let j = 0, s = s0; j < count; j++, s += stride) into[d0 + j] = Math.max(src[s]!, src[s + dilation]!);
  } else if (width === 3) {
    for (let j = 0, s = s0; j < count; j++, s += stride) into[d0 + j] = Math.max(src[s]!, src[s + dilation]!, src[s + 2 * dilation]!);
  } else {
    for (let j = 0, s = s0; j < count; j++, s += stride) {
      let acc = src[s]!;
      for (let k = 1; k < width; k++) acc = Math.max(acc, src[s + k * dilation]!);
      into[d0 + j] = acc;
    }
  }
}

function poolInteriorSum(src: Float32Array, s0: number, stride: number, dilation: number, width: number, into: Float32Array, d0: number, count: number): void {
  if (width === 2) {
    for (let j = 0, s = s0; j < count; j++, s += stride) into[d0 + j] = src[s]! + src[s + dilation]!;
  } else if (width === 3) {
    for (let j = 0, s = s0; j < count; j++, s += stride) into[d0 + j] = src[s]! + src[s + dilation]! + src[s + 2 * dilation]!;
  } else {
    for (let j = 0, s = s0; j < count; j++, s += stride) {
      let acc = src[s]!;
      for (let k = 1; k < width; k++) acc += src[s + k * dilation]!;
      into[d0 + j] = acc;
    }
  }
}

/** AveragePool's divisor per output cell: valid cells, or padded cells with count_include_pad. */
function averageDivisors(rows: WindowTable, cols: WindowTable, includePad: boolean): Float32Array {
  const outH = rows.padded.length;
  const outW = cols.padded.length;
  const divisors = new Float32Array(outH * outW);
  for (let oh = 0; oh < outH; oh++) {
    for (let ow = 0; ow < outW; ow++) {
      const count = includePad ? rows.padded[oh]! * cols.padded[ow]! : (rows.start[oh + 1]! - rows.start[oh]!) * (cols.start[ow + 1]! - cols.start[ow]!);
      divisors[oh * outW + ow] = Math.max(count, 1);
    }
  }
  return divisors;
}

/** Rows pooled along W, reused across calls. */
const rowScratch = new Scratch();

registerOp({
  op: "MaxPool",
  domain: "",
  infer: (inputs, attrs, outputCount) => [{ dtype: "float32", shape: onnxPoolInfer(inputs, attrs, outputCount) }],
  kernel: (inputs, attrs) => [onnxPoolKernel(need(inputs, 0, "X"), attrs, "max")],
});

registerOp({
  op: "AveragePool",
  domain: "",
  infer: (inputs, attrs, outputCount) => [{ dtype: "float32", shape: onnxPoolInfer(inputs, attrs, outputCount) }],
  kernel: (inputs, attrs) => [onnxPoolKernel(need(inputs, 0, "X"), attrs, "avg")],
});

registerOp({
  op: "GlobalAveragePool",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "X");
    checkDType(x.dtype, ["float32"], "X");
    if (x.shape && x.shape.length < 3) throw new OpError(`input X has rank ${x.shape.length}, expected at least 3`);
    return [{ dtype: "float32", shape: x.shape ? [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] : undefined }];
  },
  kernel: (inputs) => {
    const x = need(inputs, 0, "X");
    const inner = x.shape.slice(2).reduce((p, q) => p * q, 1);
    const planes = x.shape[0]! * x.shape[1]!;
    const out = outputF32([x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)]);
    const xd = x.data as Float32Array;
    for (let p = 0; p < planes; p++) {
      let sum = 0;
      for (let i = p * inner; i < (p + 1) * inner; i++) sum += xd[i]!;
      out.data[p] = sum / inner;
    }
    return [out];
  },
});

// ── tfl (NHWC) ────────────────────────────────────────────────────────────────────────────

function tflPoolAxes(shape: readonly number[], attrs: Attrs): [Axis, Axis] {
  const padding = attrString(attrs, "padding", "VALID");
  return [
    tflAxis(shape[1]!, attrInt(attrs, "filter_height", 1), attrInt(attrs, "stride_h", 1), 1, padding),
    tflAxis(shape[2]!, attrInt(attrs, "filter_width", 1), attrInt(attrs, "stride_w", 1), 1, padding),
  ];
}

function tflPoolInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs): Dim[] | undefined {
  const x = need(inputs, 0, "input");
  checkDType(x.dtype, ["float32"], "input");
  tflActivation(attrs);
  if (!x.shape) return undefined;
  checkRank(x.shape, 4, "input");
  const [n, h, w, c] = x.shape as [Dim, Dim, Dim, Dim];
  const padding = attrString(attrs, "padding", "VALID");
  const dim = (size: Dim, k: number, s: number): Dim => (typeof size === "number" ? tflAxis(size, k, s, 1, padding).out : derivedDim("tflWindow", size, k, s, 1, padding));
  return [
    n,
    dim(h, attrInt(attrs, "filter_height", 1), attrInt(attrs, "stride_h", 1)),
    dim(w, attrInt(attrs, "filter_width", 1), attrInt(attrs, "stride_w", 1)),
    c,
  ];
}

function tflPoolKernel(x: Tensor, attrs: Attrs, kind: PoolKind): Tensor {
  const [h, w] = tflPoolAxes(x.shape, attrs);
  const [n, , , c] = x.shape as [number, number, number, number];
  const act = tflActivation(attrs);
  const out = outputF32([n, h.out, w.out, c]);
  const od = out.data;
  const xd = x.data as Float32Array;
  let dst = 0;
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < h.out; oh++) {
      const h0 = Math.max(0, oh * h.stride - h.padBegin);
      const h1 = Math.min(h.size, oh * h.stride - h.padBegin + h.kernel);
      for (let ow = 0; ow < w.out; ow++) {
        const w0 = Math.max(0, ow * w.stride - w.padBegin);
        const w1 = Math.min(w.size, ow * w.stride - w.padBegin + w.kernel);
        od.fill(kind === "max" ? -Infinity : 0, dst, dst + c);
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const src = ((b * h.size + ih) * w.size + iw) * c;
            if (kind === "max") for (let k = 0; k < c; k++) od[dst + k] = Math.max(od[dst + k]!, xd[src + k]!);
            else for (let k = 0; k < c; k++) od[dst + k] += xd[src + k]!;
          }
        }
        if (kind === "avg") {
          const count = Math.max(1, (h1 - h0) * (w1 - w0));
          for (let k = 0; k < c; k++) od[dst + k] /= count;
        }
        applyActivation(act, od, dst, dst + c);
        dst += c;
      }
    }
  }
  return out;
}

registerOp({
  op: "MaxPool2D",
  domain: "tfl",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: tflPoolInfer(inputs, attrs) }],
  kernel: (inputs, attrs) => [tflPoolKernel(need(inputs, 0, "input"), attrs, "max")],
});

registerOp({
  op: "AveragePool2D",
  domain: "tfl",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: tflPoolInfer(inputs, attrs) }],
  kernel: (inputs, attrs) => [tflPoolKernel(need(inputs, 0, "input"), attrs, "avg")],
});
