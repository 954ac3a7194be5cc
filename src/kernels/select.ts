/**
 * Ops whose output size depends on the data: NonMaxSuppression (greedy, per batch and class,
 * as onnxruntime runs it) and Unique (flattened or along an axis; sorted or in order of first
 * appearance). Also ReverseSequence and Det, which select along one axis and over matrices.
 */
import type { Attrs } from "../runtime/graph.js";
import { OpError, registerOp } from "../runtime/registry.js";
import { FLOAT_DTYPES, numel, strides, type Tensor } from "../runtime/tensor.js";
import { writer } from "./nary.js";
import { attrInt, checkDType, hasAttr, need, normAxis, outputUninit, tensorNumbers, unknownDim } from "./util.js";

type Cell = number | bigint;

// ── NonMaxSuppression ─────────────────────────────────────────────────────────────────────

/** A box as [y1, x1, y2, x2] with y1 ≤ y2 and x1 ≤ x2. */
function corners(b: ArrayLike<number>, at: number, centered: boolean): [number, number, number, number] {
  if (centered) {
    const [xc, yc, w, h] = [b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!];
    return [yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2];
  }
  const [y1, x1, y2, x2] = [b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!];
  return [Math.min(y1, y2), Math.min(x1, x2), Math.max(y1, y2), Math.max(x1, x2)];
}

function iou(a: readonly number[], b: readonly number[]): number {
  const areaA = (a[2]! - a[0]!) * (a[3]! - a[1]!);
  const areaB = (b[2]! - b[0]!) * (b[3]! - b[1]!);
  if (areaA <= 0 || areaB <= 0) return 0;
  const h = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const w = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = h * w;
  return inter / (areaA + areaB - inter);
}

registerOp({
  op: "NonMaxSuppression",
  domain: "",
  infer: (inputs) => {
    const boxes = need(inputs, 0, "boxes");
    const scores = need(inputs, 1, "scores");
    checkDType(boxes.dtype, ["float32"], "boxes");
    checkDType(scores.dtype, ["float32"], "scores");
    if (boxes.shape && (boxes.shape.length !== 3 || (typeof boxes.shape[2] === "number" && boxes.shape[2] !== 4))) {
      throw new OpError(`boxes must have shape [batch, boxes, 4], got [${boxes.shape.join(", ")}]`);
    }
    if (scores.shape && scores.shape.length !== 3) throw new OpError(`scores must have shape [batch, classes, boxes], got [${scores.shape.join(", ")}]`);
    return [{ dtype: "int64", shape: [unknownDim(), 3] }];
  },
  kernel: (inputs, attrs) => {
    const boxes = need(inputs, 0, "boxes");
    const scores = need(inputs, 1, "scores");
    const scalar = (t: Tensor | undefined, fallback: number) => (t && t.data.length > 0 ? Number(t.data[0]) : fallback);
    const maxPerClass = scalar(inputs[2], 0);
    const iouThreshold = scalar(inputs[3], 0);
    const scoreThreshold = inputs[4] && inputs[4].data.length > 0 ? Number(inputs[4].data[0]) : undefined;
    const centered = attrInt(attrs, "center_point_box", 0) !== 0;
    const [batches, count] = boxes.shape as [number, number];
    const [scoreBatches, classes, scoreCount] = scores.shape as [number, number, number];
    if (scoreBatches !== batches || scoreCount !== count) throw new OpError(`scores [${scores.shape.join(", ")}] do not match boxes [${boxes.shape.join(", ")}]`);
    const bd = boxes.data as Float32Array;
    const sd = scores.data as Float32Array;
    const selected: number[] = [];
    for (let b = 0; b < batches; b++) {
      const boxOf = (i: number) => corners(bd, (b * count + i) * 4, centered);
      for (let c = 0; c < classes; c++) {
        if (maxPerClass <= 0) continue;
        const base = (b * classes + c) * count;
        const candidates: number[] = [];
        for (let i = 0; i < count; i++) if (scoreThreshold === undefined || sd[base + i]! > scoreThreshold) candidates.push(i);
        // Highest score first; equal scores keep the lower box index first.
        candidates.sort((p, q) => sd[base + q]! - sd[base + p]! || p - q);
        const kept: (readonly number[])[] = [];
        for (const i of candidates) {
          if (kept.length >= maxPerClass) break;
          const box = boxOf(i);
          if (kept.some((k) => iou(k, box) > iouThreshold)) continue;
          kept.push(box);
          selected.push(b, c, i);
        }
      }
    }
    const out = outputUninit("int64", [selected.length / 3, 3]);
    selected.forEach((v, i) => ((out.data as BigInt64Array)[i] = BigInt(v)));
    return [out];
  },
});

// ── Unique ────────────────────────────────────────────────────────────────────────────────

/** Unique's optional axis; the dialect's declared value 2147483647 also means "not given". */
function uniqueAxis(attrs: Attrs, rank: number): number | undefined {
  if (!hasAttr(attrs, "axis") || attrInt(attrs, "axis") === 2147483647) return undefined;
  return normAxis(attrInt(attrs, "axis"), rank);
}

registerOp({
  op: "Unique",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const flat = !hasAttr(attrs, "axis") || attrInt(attrs, "axis") === 2147483647;
    const unique = unknownDim();
    if (!flat && !x.shape) return [{ dtype: x.dtype, shape: undefined }, ...[0, 1, 2].map(() => ({ dtype: "int64" as const, shape: undefined }))];
    const axis = flat ? 0 : uniqueAxis(attrs, x.shape!.length)!;
    const known = x.shape && x.shape.every((d) => typeof d === "number") ? numel(x.shape as number[]) : unknownDim();
    return [
      { dtype: x.dtype, shape: flat ? [unique] : x.shape!.map((d, i) => (i === axis ? unique : d)) },
      { dtype: "int64", shape: [unique] },
      { dtype: "int64", shape: [flat ? known : x.shape![axis]!] },
      { dtype: "int64", shape: [unique] },
    ];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const given = uniqueAxis(attrs, x.shape.length);
    const shape = given === undefined ? [x.data.length] : x.shape;
    const axis = given ?? 0;
    const size = shape[axis]!;
    const inner = numel(shape.slice(axis + 1));
    const outer = numel(shape.slice(0, axis));
    const src = x.data as ArrayLike<Cell>;
    const slice = (k: number): Cell[] => {
      const out: Cell[] = [];
      for (let o = 0; o < outer; o++) for (let e = 0; e < inner; e++) out.push(src[(o * size + k) * inner + e]!);
      return out;
    };
    const slices = Array.from({ length: size }, (_, k) => slice(k));
    const key = (s: Cell[]) => s.map(String).join(",");
    const first = new Map<string, number>();
    const counts = new Map<string, number>();
    slices.forEach((s, k) => {
      const id = key(s);
      if (!first.has(id)) first.set(id, k);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    });
    let order = [...first.values()];
    if (attrInt(attrs, "sorted", 1) !== 0) {
      const compare = (a: Cell[], b: Cell[]) => {
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
        return 0;
      };
      order = order.sort((p, q) => compare(slices[p]!, slices[q]!));
    }
    const position = new Map(order.map((k, i) => [key(slices[k]!), i]));
    const yShape = shape.map((d, i) => (i === axis ? order.length : d));
    const y = outputUninit(x.dtype, yShape);
    const yd = y.data as unknown as Cell[];
    order.forEach((k, i) => {
      const s = slices[k]!;
      for (let o = 0; o < outer; o++) for (let e = 0; e < inner; e++) yd[(o * order.length + i) * inner + e] = s[o * inner + e]!;
    });
    const ints = (values: number[]) => {
      const t = outputUninit("int64", [values.length]);
      values.forEach((v, i) => ((t.data as BigInt64Array)[i] = BigInt(v)));
      return t;
    };
    return [
      y,
      ints(order),
      ints(slices.map((s) => position.get(key(s))!)),
      ints(order.map((k) => counts.get(key(slices[k]!))!)),
    ];
  },
});

// ── ReverseSequence ───────────────────────────────────────────────────────────────────────

function sequenceAxes(attrs: Attrs): [number, number] {
  const batch = attrInt(attrs, "batch_axis", 1);
  const time = attrInt(attrs, "time_axis", 0);
  if (!((batch === 0 && time === 1) || (batch === 1 && time === 0))) throw new OpError(`batch_axis ${batch} and time_axis ${time} must be 0 and 1 in some order`);
  return [batch, time];
}

registerOp({
  op: "ReverseSequence",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    checkDType(need(inputs, 1, "sequence_lens").dtype, ["int64"], "sequence_lens");
    sequenceAxes(attrs);
    if (x.shape && x.shape.length < 2) throw new OpError(`input has rank ${x.shape.length}, expected at least 2`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const lens = tensorNumbers(need(inputs, 1, "sequence_lens"));
    const [batchAxis, timeAxis] = sequenceAxes(attrs);
    const batches = x.shape[batchAxis]!;
    const steps = x.shape[timeAxis]!;
    if (lens.length !== batches) throw new OpError(`sequence_lens has ${lens.length} entries for a batch of ${batches}`);
    const xs = strides(x.shape);
    const inner = numel(x.shape.slice(2));
    const out = outputUninit(x.dtype, x.shape);
    const src = x.data as ArrayLike<Cell>;
    const dst = out.data as unknown as Cell[];
    for (let b = 0; b < batches; b++) {
      const len = lens[b]!;
      if (len < 0 || len > steps) throw new OpError(`sequence length ${len} is out of range for ${steps} steps`);
      for (let t = 0; t < steps; t++) {
        const from = t < len ? len - 1 - t : t;
        const to = b * xs[batchAxis]! + t * xs[timeAxis]!;
        const at = b * xs[batchAxis]! + from * xs[timeAxis]!;
        for (let e = 0; e < inner; e++) dst[to + e] = src[at + e]!;
      }
    }
    return [out];
  },
});

// ── Det ───────────────────────────────────────────────────────────────────────────────────

/** The determinant of the n×n matrix at `at`, by LU decomposition with partial pivoting. */
function determinant(d: ArrayLike<number>, at: number, n: number): number {
  const m = Float64Array.from({ length: n * n }, (_, i) => d[at + i]!);
  let det = 1;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]!) > Math.abs(m[pivot * n + c]!)) pivot = r;
    if (m[pivot * n + c] === 0) return 0;
    if (pivot !== c) {
      for (let k = 0; k < n; k++) [m[c * n + k], m[pivot * n + k]] = [m[pivot * n + k]!, m[c * n + k]!];
      det = -det;
    }
    const p = m[c * n + c]!;
    det *= p;
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c]! / p;
      for (let k = c; k < n; k++) m[r * n + k]! -= f * m[c * n + k]!;
    }
  }
  return det;
}

registerOp({
  op: "Det",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "X");
    checkDType(x.dtype, FLOAT_DTYPES, "X");
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    const r = x.shape.length;
    if (r < 2) throw new OpError(`X has rank ${r}, expected at least 2`);
    const [a, b] = [x.shape[r - 2], x.shape[r - 1]];
    if (typeof a === "number" && typeof b === "number" && a !== b) throw new OpError(`X holds ${a}×${b} matrices, expected square ones`);
    return [{ dtype: x.dtype, shape: x.shape.slice(0, -2) }];
  },
  kernel: (inputs) => {
    const x = need(inputs, 0, "X");
    const r = x.shape.length;
    const n = x.shape[r - 1]!;
    if (r < 2 || x.shape[r - 2] !== n) throw new OpError(`X has shape [${x.shape.join(", ")}], expected square matrices`);
    const out = outputUninit(x.dtype, x.shape.slice(0, -2));
    const write = writer(x.dtype, out.data);
    for (let i = 0; i < out.data.length; i++) write(i, determinant(x.data as ArrayLike<number>, i * n * n, n));
    return [out];
  },
});
