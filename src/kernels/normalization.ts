/**
 * Normalisations over groups of elements: InstanceNormalization, GroupNormalization (scale and
 * bias per group, opset 18, or per channel, opset 21), LRN, MeanVarianceNormalization and
 * LpNormalization. Statistics are accumulated in float64; inputs are NC… tensors of floats.
 */
import type { Attrs } from "../runtime/graph.js";
import { OpError, registerOp, type OutputInfo, type ValueInfo } from "../runtime/registry.js";
import { FLOAT_DTYPES, numel, strides, type Tensor } from "../runtime/tensor.js";
import { writer } from "./nary.js";
import { attrFloat, attrInt, attrInts, checkDType, need, normAxis, outputUninit } from "./util.js";
import { simdAffineRows } from "./vector.js";

function sameAsInput(inputs: readonly (ValueInfo | undefined)[], name: string, minRank = 0): OutputInfo[] {
  const x = need(inputs, 0, name);
  checkDType(x.dtype, FLOAT_DTYPES, name);
  if (x.shape && x.shape.length < minRank) throw new OpError(`input ${name} has rank ${x.shape.length}, expected at least ${minRank}`);
  return [{ dtype: x.dtype, shape: x.shape }];
}

/**
 * Normalises each of `groups` contiguous runs of x (length `run`) to zero mean and unit
 * variance; `affine(g, c)` gives [scale, bias] for group g's channel c (of `perGroup`).
 */
function normalizeRuns(x: Tensor, groups: number, epsilon: number, channelsPerGroup: number, affine: (g: number, c: number) => [number, number]): Tensor {
  const out = outputUninit(x.dtype, x.shape);
  if (x.dtype === "float32" && normalizeRunsSimd(x.data as Float32Array, out.data as Float32Array, groups, epsilon, channelsPerGroup, affine)) return out;
  const xd = x.data as ArrayLike<number>;
  const write = writer(x.dtype, out.data);
  const run = groups === 0 ? 0 : xd.length / groups;
  const spatial = channelsPerGroup === 0 ? 0 : run / channelsPerGroup;
  for (let g = 0; g < groups; g++) {
    const base = g * run;
    let mean = 0;
    for (let i = 0; i < run; i++) mean += xd[base + i]!;
    mean /= run;
    let variance = 0;
    for (let i = 0; i < run; i++) variance += (xd[base + i]! - mean) ** 2;
    variance /= run;
    const inv = 1 / Math.sqrt(variance + epsilon);
    for (let c = 0; c < channelsPerGroup; c++) {
      const [scale, bias] = affine(g, c);
      for (let s = 0; s < spatial; s++) {
        const i = base + c * spatial + s;
        write(i, (xd[i]! - mean) * inv * scale + bias);
      }
    }
  }
  return out;
}

/**
 * normalizeRuns on float32 in the kernel memory: the statistics in float64 here, then the
 * module's per-row affine map twice: x − m first, m the mean rounded to float32 (exact for x near
 * the mean; x·k + (b − mean·k) in one pass would round x·k, large where the spread is small next
 * to the mean), then · scale/σ + bias − (mean − m)·scale/σ. False when the module cannot.
 */
function normalizeRunsSimd(xd: Float32Array, out: Float32Array, groups: number, epsilon: number, channelsPerGroup: number, affine: (g: number, c: number) => [number, number]): boolean {
  const run = groups === 0 ? 0 : xd.length / groups;
  const spatial = channelsPerGroup === 0 ? 0 : run / channelsPerGroup;
  const rows = groups * channelsPerGroup;
  if (spatial === 0) return false;
  const ones = new Float32Array(rows).fill(1);
  const centers = new Float32Array(rows);
  const scales = new Float32Array(rows);
  const shifts = new Float32Array(rows);
  for (let g = 0; g < groups; g++) {
    const base = g * run;
    let mean = 0;
    for (let i = base; i < base + run; i++) mean += xd[i]!;
    mean /= run;
    let variance = 0;
    for (let i = base; i < base + run; i++) variance += (xd[i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / run + epsilon);
    // The mean as a float32 plus the rest: x − high is exact near the mean, the rest goes into the shift.
    const high = Math.fround(mean);
    for (let c = 0; c < channelsPerGroup; c++) {
      const [scale, bias] = affine(g, c);
      const r = g * channelsPerGroup + c;
      centers[r] = -high;
      scales[r] = inv * scale;
      shifts[r] = bias - (mean - high) * inv * scale;
    }
  }
  return simdAffineRows(xd, ones, centers, out, rows, spatial) && simdAffineRows(out, scales, shifts, out, rows, spatial);
}

registerOp({
  op: "InstanceNormalization",
  domain: "",
  infer: (inputs) => sameAsInput(inputs, "input", 3),
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const scale = need(inputs, 1, "scale").data as ArrayLike<number>;
    const bias = need(inputs, 2, "B").data as ArrayLike<number>;
    const [n, c] = x.shape as [number, number];
    if (scale.length !== c || bias.length !== c) throw new OpError(`scale and B need ${c} entries (the channels), got ${scale.length} and ${bias.length}`);
    return [normalizeRuns(x, n * c, attrFloat(attrs, "epsilon", 1e-5), 1, (g) => [scale[g % c]!, bias[g % c]!])];
  },
});

registerOp({
  op: "GroupNormalization",
  domain: "",
  infer: (inputs, attrs) => {
    attrInt(attrs, "num_groups");
    return sameAsInput(inputs, "X", 2);
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const scale = need(inputs, 1, "scale").data as ArrayLike<number>;
    const bias = need(inputs, 2, "bias").data as ArrayLike<number>;
    const groups = attrInt(attrs, "num_groups");
    const [n, c] = x.shape as [number, number];
    if (groups <= 0 || c % groups !== 0) throw new OpError(`num_groups ${groups} does not divide the ${c} channels`);
    const per = c / groups;
    // Opset 21 gives scale and bias per channel; opset 18 gave them per group.
    const perChannel = scale.length === c;
    if (!perChannel && scale.length !== groups) throw new OpError(`scale has ${scale.length} entries, expected ${c} (channels) or ${groups} (groups)`);
    if (bias.length !== scale.length) throw new OpError(`bias has ${bias.length} entries, scale ${scale.length}`);
    return [
      normalizeRuns(x, n * groups, attrFloat(attrs, "epsilon", 1e-5), per, (g, k) => {
        const i = perChannel ? (g % groups) * per + k : g % groups;
        return [scale[i]!, bias[i]!];
      }),
    ];
  },
});

registerOp({
  op: "LRN",
  domain: "",
  infer: (inputs, attrs) => {
    attrInt(attrs, "size");
    return sameAsInput(inputs, "X", 3);
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const size = attrInt(attrs, "size");
    const alpha = attrFloat(attrs, "alpha", 1e-4);
    const beta = attrFloat(attrs, "beta", 0.75);
    const bias = attrFloat(attrs, "bias", 1);
    const [n, c] = x.shape as [number, number];
    const spatial = numel(x.shape.slice(2));
    const xd = x.data as ArrayLike<number>;
    const out = outputUninit(x.dtype, x.shape);
    const write = writer(x.dtype, out.data);
    const before = Math.floor((size - 1) / 2);
    const after = Math.ceil((size - 1) / 2);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        for (let s = 0; s < spatial; s++) {
          let sum = 0;
          for (let k = Math.max(0, ch - before); k <= Math.min(c - 1, ch + after); k++) sum += xd[(b * c + k) * spatial + s]! ** 2;
          const i = (b * c + ch) * spatial + s;
          write(i, xd[i]! / (bias + (alpha / size) * sum) ** beta);
        }
      }
    }
    return [out];
  },
});

/** Mean and variance over `axes` for every element's group, then (x − mean)/(√var + 1e-9). */
registerOp({
  op: "MeanVarianceNormalization",
  domain: "",
  infer: (inputs) => sameAsInput(inputs, "X"),
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const rank = x.shape.length;
    const axes = attrInts(attrs, "axes", [0, 2, 3]).map((a) => normAxis(a, rank, "axes entry"));
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const groups = numel(kept);
    const keptStrides = strides(kept);
    const xd = x.data as ArrayLike<number>;
    const sum = new Float64Array(groups);
    const sq = new Float64Array(groups);
    const group = new Int32Array(xd.length);
    const pos = new Array<number>(rank).fill(0);
    for (let i = 0; i < xd.length; i++) {
      let g = 0;
      for (let d = 0; d < rank; d++) if (!axes.includes(d)) g += pos[d]! * keptStrides[d]!;
      group[i] = g;
      sum[g] += xd[i]!;
      sq[g] += xd[i]! ** 2;
      for (let d = rank - 1; d >= 0; d--) {
        if (++pos[d]! < x.shape[d]!) break;
        pos[d] = 0;
      }
    }
    const count = groups === 0 ? 0 : xd.length / groups;
    const out = outputUninit(x.dtype, x.shape);
    const write = writer(x.dtype, out.data);
    for (let i = 0; i < xd.length; i++) {
      const g = group[i]!;
      const mean = sum[g]! / count;
      const variance = Math.max(sq[g]! / count - mean * mean, 0);
      write(i, (xd[i]! - mean) / (Math.sqrt(variance) + 1e-9));
    }
    return [out];
  },
});

registerOp({
  op: "LpNormalization",
  domain: "",
  infer: (inputs, attrs) => {
    lpOrder(attrs);
    return sameAsInput(inputs, "input");
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const p = lpOrder(attrs);
    const axis = normAxis(attrInt(attrs, "axis", -1), x.shape.length);
    const size = x.shape[axis]!;
    const inner = numel(x.shape.slice(axis + 1));
    const outer = size * inner === 0 ? 0 : x.data.length / (size * inner);
    const xd = x.data as ArrayLike<number>;
    const out = outputUninit(x.dtype, x.shape);
    const write = writer(x.dtype, out.data);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * size * inner + j;
        let norm = 0;
        for (let k = 0; k < size; k++) norm += p === 1 ? Math.abs(xd[base + k * inner]!) : xd[base + k * inner]! ** 2;
        if (p === 2) norm = Math.sqrt(norm);
        for (let k = 0; k < size; k++) write(base + k * inner, norm === 0 ? 0 : xd[base + k * inner]! / norm);
      }
    }
    return [out];
  },
});

function lpOrder(attrs: Attrs): 1 | 2 {
  const p = attrInt(attrs, "p", 2);
  if (p !== 1 && p !== 2) throw new OpError(`p must be 1 or 2, got ${p}`);
  return p;
}
