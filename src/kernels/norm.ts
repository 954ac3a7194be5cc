/**
 * Normalisation: BatchNormalization (inference form), LayerNormalization (opset 17, with its
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
  checkRank,
  formatShape,
  need,
  normAxis,
  outputF32,
} from "./util.js";
import { simdSoftmaxRows } from "./vector.js";

const BN_INPUTS = ["X", "scale", "B", "input_mean", "input_var"] as const;

registerOp({
  op: "BatchNormalization",
  domain: "",
  infer: (inputs, attrs, outputCount) => {
    if (outputCount > 1 && attrInt(attrs, "training_mode", 0) !== 0) {
      throw new OpError("training mode (running mean/var outputs) is not supported");
    }
    const infos = BN_INPUTS.map((name, i) => need(inputs, i, name));
    infos.forEach((info, i) => checkDType(info.dtype, ["float32"], BN_INPUTS[i]!));
    const x = infos[0]!;
    if (x.shape && x.shape.length < 2) throw new OpError(`input X has rank ${x.shape.length}, expected at least 2`);
    const channels = x.shape?.[1];
    for (let i = 1; i < 5; i++) {
      const s = infos[i]!.shape;
      if (!s) continue;
      checkRank(s, 1, BN_INPUTS[i]!);
      if (channels !== undefined) checkDimsAgree(s[0]!, channels, `input ${BN_INPUTS[i]} length differs from X's channels`);
    }
    return [{ dtype: "float32", shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const [x, scale, bias, mean, variance] = BN_INPUTS.map((name, i) => need(inputs, i, name)) as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const eps = attrFloat(attrs, "epsilon", 1e-5);
    const c = x.shape[1]!;
    const inner = x.shape.slice(2).reduce((p, q) => p * q, 1);
    const outer = x.shape[0]!;
    const out = outputF32(x.shape);
    const xd = x.data as Float32Array;
    const od = out.data;
    for (let ch = 0; ch < c; ch++) {
      const k = (scale.data as Float32Array)[ch]! / Math.sqrt((variance.data as Float32Array)[ch]! + eps);
      const shift = (bias.data as Float32Array)[ch]! - (mean.data as Float32Array)[ch]! * k;
      for (let n = 0; n < outer; n++) {
        const base = (n * c + ch) * inner;
        for (let i = base; i < base + inner; i++) od[i] = xd[i]! * k + shift;
      }
    }
    return [out];
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
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * size * inner + i;
        let max = -Infinity;
        for (let k = 0; k < size; k++) max = Math.max(max, xd[base + k * inner]!);
        let sum = 0;
        for (let k = 0; k < size; k++) {
          const e = Math.exp(xd[base + k * inner]! - max);
          od[base + k * inner] = e;
          sum += e;
        }
        for (let k = 0; k < size; k++) od[base + k * inner] /= sum;
      }
    }
    return [out];
  },
});

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
