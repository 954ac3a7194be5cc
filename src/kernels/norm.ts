/**
 * Normalisation: BatchNormalization (inference, training mode with running statistics, the
 * pre-opset-9 non-spatial form), LayerNormalization (opset 17, with its
 * optional Mean/InvStdDev outputs) and Softmax (opset 13: along one axis). The reductions,
 * ReduceMean included, are in reduce.ts.
 */
import type { Dim } from "../runtime/graph.js";
import { OpError, registerOp } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import {
  attrFloat,
  attrInt,
  checkDimsAgree,
  checkDType,
  formatShape,
  need,
  normAxis,
  outputF32,
} from "./util.js";
import { simdAffineRows, simdMap, simdSoftmaxRows } from "./vector.js";

/** `values` repeated `times` times, end to end. */
function tile(values: Float32Array, times: number): Float32Array {
  if (times === 1) return values;
  const out = new Float32Array(values.length * times);
  for (let t = 0; t < times; t++) out.set(values, t * values.length);
  return out;
}

const BN_INPUTS = ["X", "scale", "B", "input_mean", "input_var"] as const;

/**
 * Training mode: the `training_mode` attribute (opset 14+), or before opset 14 the extra
 * outputs (running mean and variance, then the saved batch mean and variance) themselves.
 */
function bnTraining(attrs: Parameters<typeof attrInt>[0], outputCount: number): boolean {
  return attrInt(attrs, "training_mode", 0) !== 0 || outputCount > 1;
}

/** Before opset 9, `spatial = 0` gives each position of C×D1×… its own statistics. */
function bnParamShape(x: readonly Dim[], attrs: Parameters<typeof attrInt>[0]): Dim[] {
  if (x.length < 2) return [1];
  return attrInt(attrs, "spatial", 1) === 0 ? x.slice(1) : [x[1]!];
}

registerOp({
  op: "BatchNormalization",
  domain: "",
  infer: (inputs, attrs, outputCount) => {
    const infos = BN_INPUTS.map((name, i) => need(inputs, i, name));
    infos.forEach((info, i) => checkDType(info.dtype, ["float32"], BN_INPUTS[i]!));
    const x = infos[0]!;
    if (x.shape && x.shape.length < 1) throw new OpError("input X is a scalar, expected at least rank 1");
    const params = x.shape ? bnParamShape(x.shape, attrs) : undefined;
    for (let i = 1; i < 5; i++) {
      const s = infos[i]!.shape;
      if (!s || !params) continue;
      const size = params.reduce<Dim>((p, q) => (typeof p === "number" && typeof q === "number" ? p * q : q), 1);
      const own = s.reduce<Dim>((p, q) => (typeof p === "number" && typeof q === "number" ? p * q : q), 1);
      checkDimsAgree(own, size, `input ${BN_INPUTS[i]} size differs from X's ${params.length > 1 ? "per-position" : "channel"} count`);
    }
    const out = [{ dtype: "float32" as const, shape: x.shape }];
    if (bnTraining(attrs, outputCount)) for (let i = 1; i < outputCount; i++) out.push({ dtype: "float32", shape: infos[1]!.shape });
    return out;
  },
  kernel: (inputs, attrs, outputCount) => {
    const [x, scale, bias, mean, variance] = BN_INPUTS.map((name, i) => need(inputs, i, name)) as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const eps = attrFloat(attrs, "epsilon", 1e-5);
    const spatial = attrInt(attrs, "spatial", 1) !== 0;
    const c = x.shape.length < 2 ? 1 : x.shape[1]!;
    const inner = x.shape.slice(2).reduce((p, q) => p * q, 1);
    const outer = x.shape[0]!;
    const groups = spatial ? c : c * inner;
    if (scale.data.length !== groups) throw new OpError(`scale has ${scale.data.length} entries, expected ${groups}`);
    // The statistics group of element (n, ch, i): its channel, or its position when not spatial.
    const groupOf = spatial ? (ch: number) => ch : (ch: number, i: number) => ch * inner + i;
    const xd = x.data as Float32Array;
    const training = bnTraining(attrs, outputCount);
    let m = mean.data as Float32Array;
    let v = variance.data as Float32Array;
    const batchMean = new Float64Array(groups);
    const batchVar = new Float64Array(groups);
    if (training) {
      const count = new Float64Array(groups);
      for (let n = 0; n < outer; n++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < inner; i++) {
        const g = groupOf(ch, i);
        batchMean[g] += xd[(n * c + ch) * inner + i]!;
        count[g]++;
      }
      for (let g = 0; g < groups; g++) batchMean[g] /= count[g]!;
      for (let n = 0; n < outer; n++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < inner; i++) {
        const g = groupOf(ch, i);
        batchVar[g] += (xd[(n * c + ch) * inner + i]! - batchMean[g]!) ** 2;
      }
      for (let g = 0; g < groups; g++) batchVar[g] /= count[g]!;
      m = Float32Array.from(batchMean);
      v = Float32Array.from(batchVar);
    }
    const out = outputF32(x.shape);
    const od = out.data;
    const s = scale.data as Float32Array;
    const b = bias.data as Float32Array;
    if (spatial) {
      // Per channel, x·k + (b − m·k) with k = scale / √(var + ε): in the SIMD module when it can.
      const k = new Float32Array(c);
      const shift = new Float32Array(c);
      for (let ch = 0; ch < c; ch++) {
        const kc = s[ch]! / Math.sqrt(v[ch]! + eps);
        k[ch] = kc;
        shift[ch] = b[ch]! - m[ch]! * kc;
      }
      if (!simdAffineRows(xd, tile(k, outer), tile(shift, outer), od, outer * c, inner)) {
        for (let row = 0; row < outer * c; row++) {
          const kc = k[row % c]!;
          const sc = shift[row % c]!;
          for (let i = row * inner; i < (row + 1) * inner; i++) od[i] = xd[i]! * kc + sc;
        }
      }
    } else for (let n = 0; n < outer; n++) {
      for (let ch = 0; ch < c; ch++) {
        for (let i = 0; i < inner; i++) {
          const g = groupOf(ch, i);
          const k = s[g]! / Math.sqrt(v[g]! + eps);
          const at = (n * c + ch) * inner + i;
          od[at] = (xd[at]! - m[g]!) * k + b[g]!;
        }
      }
    }
    if (!training) return [out];
    const momentum = attrFloat(attrs, "momentum", 0.9);
    const blend = (running: Tensor, batch: Float64Array) => {
      const r = outputF32(running.shape);
      const rd = running.data as Float32Array;
      for (let g = 0; g < groups; g++) r.data[g] = rd[g]! * momentum + batch[g]! * (1 - momentum);
      return r;
    };
    const saved = (values: Float64Array) => {
      const t = outputF32(mean.shape);
      t.data.set(values);
      return t;
    };
    // The fifth output (opsets 9-13) is the batch's inverse standard deviation, as onnxruntime
    // writes it, though the specification calls it the saved variance.
    const invStd = batchVar.map((x) => 1 / Math.sqrt(x + eps));
    return [out, blend(mean, batchMean), blend(variance, batchVar), saved(batchMean), saved(invStd)].slice(0, Math.max(1, outputCount));
  },
});

const LN_INPUTS = ["X", "Scale", "B"] as const;

/**
 * Y, and when asked the Mean and InvStdDev outputs (X's shape with the normalized axes as 1).
 * Scale and B broadcast unidirectionally into the normalized shape X.shape[axis:].
 */
registerOp({
  op: "LayerNormalization",
  domain: "",
  infer: (inputs, attrs, outputCount) => {
    const x = need(inputs, 0, "X");
    const scale = need(inputs, 1, "Scale");
    checkDType(x.dtype, ["float32"], "X");
    checkDType(scale.dtype, ["float32"], "Scale");
    if (inputs[2]) checkDType(inputs[2].dtype, ["float32"], "B");
    if (!x.shape) return Array.from({ length: outputCount }, () => ({ dtype: "float32" as const, shape: undefined }));
    const axis = normAxis(attrInt(attrs, "axis", -1), x.shape.length);
    const normalized = x.shape.slice(axis);
    [scale, inputs[2]].forEach((info, i) => {
      if (info?.shape && !broadcastsInto(info.shape, normalized)) {
        throw new OpError(`input ${LN_INPUTS[i + 1]} ${formatShape(info.shape)} does not broadcast into the normalized shape ${formatShape(normalized)}`);
      }
    });
    const reduced = x.shape.map((d, i) => (i < axis ? d : 1));
    return [{ dtype: "float32", shape: x.shape }, ...Array.from({ length: outputCount - 1 }, () => ({ dtype: "float32" as const, shape: reduced }))];
  },
  kernel: (inputs, attrs, outputCount) => {
    const x = need(inputs, 0, "X");
    const axis = normAxis(attrInt(attrs, "axis", -1), x.shape.length);
    const eps = attrFloat(attrs, "epsilon", 1e-5);
    const normalized = x.shape.slice(axis);
    const size = normalized.reduce((p, q) => p * q, 1);
    const rows = x.data.length / Math.max(1, size);
    const scale = expandInto(need(inputs, 1, "Scale"), normalized);
    const bias = inputs[2] ? expandInto(inputs[2], normalized) : undefined;
    const xd = x.data as Float32Array;
    const out = outputF32(x.shape);
    const reduced = x.shape.map((d, i) => (i < axis ? d : 1));
    // Mean and InvStdDev only when the node has those outputs.
    const means = outputCount > 1 ? outputF32(reduced) : undefined;
    const invStdDevs = outputCount > 2 ? outputF32(reduced) : undefined;
    for (let r = 0; r < rows; r++) {
      const base = r * size;
      let sum = 0;
      for (let i = base; i < base + size; i++) sum += xd[i]!;
      const mean = sum / size;
      let squares = 0;
      for (let i = base; i < base + size; i++) squares += (xd[i]! - mean) ** 2;
      const invStdDev = 1 / Math.sqrt(squares / size + eps);
      const od = out.data;
      if (bias) for (let j = 0; j < size; j++) od[base + j] = (xd[base + j]! - mean) * invStdDev * scale[j]! + bias[j]!;
      else for (let j = 0; j < size; j++) od[base + j] = (xd[base + j]! - mean) * invStdDev * scale[j]!;
      if (means) means.data[r] = mean;
      if (invStdDevs) invStdDevs.data[r] = invStdDev;
    }
    const outputs: Tensor[] = [out];
    if (means) outputs.push(means);
    if (invStdDevs) outputs.push(invStdDevs);
    return outputs;
  },
});

/** `shape` broadcasts into `target` without growing it (right-aligned; each dim 1 or equal). */
function broadcastsInto(shape: readonly Dim[], target: readonly Dim[]): boolean {
  if (shape.length > target.length) return false;
  const offset = target.length - shape.length;
  return shape.every((d, i) => d === 1 || d === target[offset + i] || typeof d !== "number" || typeof target[offset + i] !== "number");
}

/** The elements of `t` broadcast (right-aligned) into `target`, flattened. */
function expandInto(t: Tensor, target: readonly number[]): Float32Array {
  if (!broadcastsInto(t.shape, target)) throw new OpError(`shape ${formatShape(t.shape)} does not broadcast into ${formatShape(target)}`);
  const size = target.reduce((p, q) => p * q, 1);
  const td = t.data as Float32Array;
  if (td.length === size) return td;
  const offset = target.length - t.shape.length;
  const sourceStrides = target.map(() => 0);
  let stride = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] !== 1) sourceStrides[offset + i] = stride;
    stride *= t.shape[i]!;
  }
  const out = new Float32Array(size);
  for (let j = 0; j < size; j++) {
    let rest = j;
    let source = 0;
    for (let d = target.length - 1; d >= 0; d--) {
      source += (rest % target[d]!) * sourceStrides[d]!;
      rest = Math.floor(rest / target[d]!);
    }
    out[j] = td[source]!;
  }
  return out;
}

registerOp({
  op: "Softmax",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    checkDType(x.dtype, ["float32"], "input");
    if (x.shape) normAxis(attrInt(attrs, "axis", -1), x.shape.length);
    return [{ dtype: "float32", shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const rank = x.shape.length;
    const axis = rank === 0 ? 0 : normAxis(attrInt(attrs, "axis", -1), rank);
    const size = rank === 0 ? 1 : x.shape[axis]!;
    const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    const outer = x.data.length / Math.max(1, size * inner);
    const xd = x.data as Float32Array;
    const out = outputF32(x.shape);
    const od = out.data;
    if (inner === 1) {
      if (simdSoftmaxRows(xd, od, xd.length / Math.max(1, size), size)) return [out];
      for (let base = 0; base < xd.length; base += size) softmaxRow(xd, od, base, base + size);
      return [out];
    }
    softmaxColumns(xd, od, outer, size, inner);
    return [out];
  },
});

/**
 * Softmax along a middle axis: each outer block is `size` rows of `inner` columns, and the
 * softmax runs down the columns. Every pass goes along rows (contiguous), the exponentials on
 * the SIMD module where the block lies in its memory.
 */
function softmaxColumns(xd: Float32Array, od: Float32Array, outer: number, size: number, inner: number): void {
  const max = new Float32Array(inner);
  const sum = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    const end = base + size * inner;
    max.set(xd.subarray(base, base + inner));
    for (let r = base + inner; r < end; r += inner) {
      for (let j = 0; j < inner; j++) {
        const v = xd[r + j]!;
        if (v > max[j]! || v !== v) max[j] = v;
      }
    }
    for (let r = base; r < end; r += inner) for (let j = 0; j < inner; j++) od[r + j] = xd[r + j]! - max[j]!;
    if (!simdMap("exp", od, od, base, end)) for (let i = base; i < end; i++) od[i] = Math.exp(od[i]!);
    sum.fill(0);
    for (let r = base; r < end; r += inner) for (let j = 0; j < inner; j++) sum[j] += od[r + j]!;
    for (let r = base; r < end; r += inner) for (let j = 0; j < inner; j++) od[r + j] = od[r + j]! / sum[j]!;
  }
}

/** Softmax of the contiguous row x[start, end) into out (the last-axis case). */
function softmaxRow(x: Float32Array, out: Float32Array, start: number, end: number): void {
  let max = -Infinity;
  for (let i = start; i < end; i++) max = Math.max(max, x[i]!);
  let sum = 0;
  for (let i = start; i < end; i++) {
    const e = Math.exp(x[i]! - max);
    out[i] = e;
    sum += e;
  }
  const scale = 1 / sum;
  for (let i = start; i < end; i++) out[i] *= scale;
}
