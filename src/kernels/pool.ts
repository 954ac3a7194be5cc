/**
 * Pooling: ONNX MaxPool (with its Indices output and storage_order), AveragePool and LpPool
 * (1-, 2- and 3-D; pads, auto_pad, strides, dilations, ceil_mode, count_include_pad),
 * GlobalAveragePool, GlobalMaxPool and GlobalLpPool, and tfl MaxPool2D / AveragePool2D (NHWC, SAME
 * averaging over the valid cells only, with a fused activation).
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type OutputInfo, type ValueInfo } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import { applyActivation, tflActivation } from "./activation.js";
import { asThreeAxes, onnxWindowAttrs, tflAxis, UNIT_AXIS, windowAxis, windowOutDims, type Axis } from "./window.js";
import { attrFloat, attrInt, attrString, checkDType, checkRank, derivedDim, need, outputF32, outputUninit, Scratch } from "./util.js";
import { simdGlobalPool, simdMaxPool2d } from "./vector.js";

type PoolKind = "max" | "avg" | "lp";

function onnxPoolInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs, withIndices: boolean): OutputInfo[] {
  const x = need(inputs, 0, "X");
  checkDType(x.dtype, ["float32"], "X");
  if (x.shape && (x.shape.length < 3 || x.shape.length > 5)) {
    throw new OpError(`input X has rank ${x.shape.length}, expected 3, 4 or 5 (1-, 2- or 3-D pooling)`);
  }
  if (attrInt(attrs, "storage_order", 0) > 1) throw new OpError(`storage_order must be 0 or 1`);
  const shape = x.shape ? [x.shape[0]!, x.shape[1]!, ...windowOutDims(x.shape.slice(2), onnxWindowAttrs(attrs, x.shape.length - 2))] : undefined;
  const outputs: OutputInfo[] = [{ dtype: "float32", shape }];
  if (withIndices) outputs.push({ dtype: "int64", shape });
  return outputs;
}

function poolAxes(x: Tensor, attrs: Attrs): Axis[] {
  const rank = x.shape.length - 2;
  const win = onnxWindowAttrs(attrs, rank);
  return x.shape.slice(2).map((size, i) => windowAxis(size, win, i, rank));
}

/**
 * ONNX MaxPool/AveragePool/LpPool over 1-, 2- and 3-D inputs (as three axes, unit ones in front).
 * The reductions are separable, so each plane is pooled one axis at a time over per-axis window
 * tables (the valid input indices of every output position, computed once per call): along W
 * into a row buffer per input row, then along H across those rows, then along D across those
 * planes, which leaves the inner loops free of bounds tests. LpPool sums |x|^p and takes the p-th
 * root; AveragePool divides by the valid (or, with count_include_pad, the padded) window size.
 */
function onnxPoolKernel(x: Tensor, attrs: Attrs, kind: PoolKind): Tensor {
  const axes = poolAxes(x, attrs);
  const [d, h, w] = asThreeAxes(axes, UNIT_AXIS);
  const includePad = attrInt(attrs, "count_include_pad", 0) !== 0;
  const lpOrder = kind === "lp" ? attrFloat(attrs, "p", 2) : 1;
  const planes = x.shape[0]! * x.shape[1]!;
  const out = outputF32([x.shape[0]!, x.shape[1]!, ...axes.map((a) => a.out)]);
  if (out.data.length === 0) return out;
  if (kind === "max" && d.size === 1 && d.kernel === 1 && simdMaxPool2d(x.data as Float32Array, out.data, planes, h, w)) return out;
  const depths = windowTable(d);
  const rows = windowTable(h);
  const cols = windowTable(w);
  const xd = kind === "lp" ? lpPowers(x.data as Float32Array, lpOrder) : (x.data as Float32Array);
  const od = out.data;
  const inPlane = d.size * h.size * w.size;
  const outPlane = d.out * h.out * w.out;
  const pooledRows = rowScratch.get(d.size * h.size * w.out);
  const pooledPlanes = d.kernel === 1 && d.size === 1 ? undefined : planeScratch.get(d.size * h.out * w.out);
  const divisors = kind === "avg" ? averageDivisors([depths, rows, cols], includePad) : undefined;
  const reduce = kind === "max" ? "max" : "sum";
  for (let p = 0; p < planes; p++) {
    const base = p * outPlane;
    for (let r = 0; r < d.size * h.size; r++) poolRow(reduce, xd, p * inPlane + r * w.size, cols, pooledRows, r * w.out);
    if (!pooledPlanes) combineAlong(rows, reduce, pooledRows, 0, w.out, od, base);
    else {
      for (let id = 0; id < d.size; id++) combineAlong(rows, reduce, pooledRows, id * h.size * w.out, w.out, pooledPlanes, id * h.out * w.out);
      combineAlong(depths, reduce, pooledPlanes, 0, h.out * w.out, od, base);
    }
    if (divisors) for (let i = 0; i < outPlane; i++) od[base + i] /= divisors[i]!;
  }
  if (kind === "lp") for (let i = 0; i < od.length; i++) od[i] = Math.pow(od[i]!, 1 / lpOrder);
  return out;
}

/** |x|^p of every element (LpPool and GlobalLpPool sum these). */
function lpPowers(x: Float32Array, p: number): Float32Array {
  const powers = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) powers[i] = p === 2 ? x[i]! * x[i]! : p === 1 ? Math.abs(x[i]!) : Math.pow(Math.abs(x[i]!), p);
  return powers;
}

/**
 * Pools rows of `rowLength` along one axis: dst row o (at dstBase) = max or sum of the src rows
 * (at srcBase) in window o of `table`; an empty window gives -∞ (max) or 0.
 */
function combineAlong(table: WindowTable, reduce: "max" | "sum", src: Float32Array, srcBase: number, rowLength: number, dst: Float32Array, dstBase: number): void {
  const outs = table.start.length - 1;
  for (let o = 0; o < outs; o++) {
    const at = dstBase + o * rowLength;
    const first = table.start[o]!;
    const last = table.start[o + 1]!;
    if (first === last) {
      dst.fill(reduce === "max" ? -Infinity : 0, at, at + rowLength);
      continue;
    }
    const from = srcBase + table.index[first]! * rowLength;
    dst.set(src.subarray(from, from + rowLength), at);
    for (let k = first + 1; k < last; k++) {
      const s = srcBase + table.index[k]! * rowLength;
      if (reduce === "max") {
        for (let j = 0; j < rowLength; j++) dst[at + j] = Math.max(dst[at + j]!, src[s + j]!);
      } else for (let j = 0; j < rowLength; j++) dst[at + j] += src[s + j]!;
    }
  }
}

/**
 * MaxPool with its Indices output: a direct loop over each window keeping the first largest
 * value and its flat index into X (row-major, or column-major over the spatial axes with
 * storage_order 1, offset by the plane as onnxruntime does).
 */
function maxPoolWithIndices(x: Tensor, attrs: Attrs): [Tensor, Tensor] {
  const axes = poolAxes(x, attrs);
  const [d, h, w] = asThreeAxes(axes, UNIT_AXIS);
  const columnMajor = attrInt(attrs, "storage_order", 0) === 1;
  const planes = x.shape[0]! * x.shape[1]!;
  const outShape = [x.shape[0]!, x.shape[1]!, ...axes.map((a) => a.out)];
  const out = outputF32(outShape);
  const indices = outputUninit("int64", outShape);
  const od = out.data;
  const id = indices.data as BigInt64Array;
  const xd = x.data as Float32Array;
  const inPlane = d.size * h.size * w.size;
  const tables = [windowTable(d), windowTable(h), windowTable(w)] as const;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    for (let od0 = 0; od0 < d.out; od0++) {
      for (let oh = 0; oh < h.out; oh++) {
        for (let ow = 0; ow < w.out; ow++, o++) {
          let best = -Infinity;
          let at = -1;
          for (let a = tables[0].start[od0]!; a < tables[0].start[od0 + 1]!; a++) {
            const i0 = tables[0].index[a]!;
            for (let b = tables[1].start[oh]!; b < tables[1].start[oh + 1]!; b++) {
              const i1 = tables[1].index[b]!;
              for (let c = tables[2].start[ow]!; c < tables[2].start[ow + 1]!; c++) {
                const i2 = tables[2].index[c]!;
                const v = xd[p * inPlane + (i0 * h.size + i1) * w.size + i2]!;
                if (v > best || at < 0) {
                  best = v;
                  at = columnMajor ? i0 + i1 * d.size + i2 * d.size * h.size : (i0 * h.size + i1) * w.size + i2;
                }
              }
            }
          }
          od[o] = best;
          id[o] = BigInt(at < 0 ? 0 : p * inPlane + at);
        }
      }
    }
  }
  return [out, indices];
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
function poolRow(kind: "max" | "sum", src: Float32Array, rowStart: number, cols: WindowTable, into: Float32Array, at: number): void {
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
function averageDivisors(tables: readonly [WindowTable, WindowTable, WindowTable], includePad: boolean): Float32Array {
  const counts = tables.map((t) => {
    const outs = t.padded.length;
    return Array.from({ length: outs }, (_, o) => (includePad ? t.padded[o]! : t.start[o + 1]! - t.start[o]!));
  });
  const [cd, ch, cw] = counts as [number[], number[], number[]];
  const divisors = new Float32Array(cd.length * ch.length * cw.length);
  let i = 0;
  for (const a of cd) for (const b of ch) for (const c of cw) divisors[i++] = Math.max(a * b * c, 1);
  return divisors;
}

/** Rows pooled along W, and planes pooled along W and H, reused across calls. */
const rowScratch = new Scratch();
const planeScratch = new Scratch();

registerOp({
  op: "MaxPool",
  domain: "",
  infer: (inputs, attrs, outputCount) => onnxPoolInfer(inputs, attrs, outputCount > 1),
  kernel: (inputs, attrs, outputCount) => {
    const x = need(inputs, 0, "X");
    return outputCount > 1 ? maxPoolWithIndices(x, attrs) : [onnxPoolKernel(x, attrs, "max")];
  },
});

registerOp({
  op: "AveragePool",
  domain: "",
  infer: (inputs, attrs) => onnxPoolInfer(inputs, attrs, false),
  kernel: (inputs, attrs) => [onnxPoolKernel(need(inputs, 0, "X"), attrs, "avg")],
});

registerOp({
  op: "LpPool",
  domain: "",
  infer: (inputs, attrs) => onnxPoolInfer(inputs, attrs, false),
  kernel: (inputs, attrs) => [onnxPoolKernel(need(inputs, 0, "X"), attrs, "lp")],
});

// ── global pools ──────────────────────────────────────────────────────────────────────────

function globalPoolInfer(inputs: readonly (ValueInfo | undefined)[]): OutputInfo[] {
  const x = need(inputs, 0, "X");
  checkDType(x.dtype, ["float32"], "X");
  if (x.shape && x.shape.length < 3) throw new OpError(`input X has rank ${x.shape.length}, expected at least 3`);
  return [{ dtype: "float32", shape: x.shape ? [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] : undefined }];
}

/** Global{Average,Max,Lp}Pool: one value per (image, channel) plane. */
function globalPoolKernel(x: Tensor, kind: PoolKind, p: number): Tensor {
  const inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const planes = x.shape[0]! * x.shape[1]!;
  const out = outputF32([x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)]);
  const xd = x.data as Float32Array;
  if (kind !== "lp" && simdGlobalPool(kind, xd, planes, inner, out.data)) return out;
  for (let plane = 0; plane < planes; plane++) {
    let acc = kind === "max" ? -Infinity : 0;
    const end = (plane + 1) * inner;
    if (kind === "max") for (let i = plane * inner; i < end; i++) acc = Math.max(acc, xd[i]!);
    else if (kind === "avg") for (let i = plane * inner; i < end; i++) acc += xd[i]!;
    else for (let i = plane * inner; i < end; i++) acc += Math.pow(Math.abs(xd[i]!), p);
    out.data[plane] = kind === "avg" ? acc / inner : kind === "lp" ? Math.pow(acc, 1 / p) : acc;
  }
  return out;
}

registerOp({
  op: "GlobalAveragePool",
  domain: "",
  infer: (inputs) => globalPoolInfer(inputs),
  kernel: (inputs) => [globalPoolKernel(need(inputs, 0, "X"), "avg", 1)],
});

registerOp({
  op: "GlobalMaxPool",
  domain: "",
  infer: (inputs) => globalPoolInfer(inputs),
  kernel: (inputs) => [globalPoolKernel(need(inputs, 0, "X"), "max", 1)],
});

registerOp({
  op: "GlobalLpPool",
  domain: "",
  infer: (inputs) => globalPoolInfer(inputs),
  kernel: (inputs, attrs) => [globalPoolKernel(need(inputs, 0, "X"), "lp", attrFloat(attrs, "p", 2))],
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
