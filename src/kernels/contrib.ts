/**
 * onnxruntime's contrib ops that fusec emits or fuses into, beyond FusedConv and FusedGemm: the
 * Gelu family (com.microsoft Gelu, FastGelu, BiasGelu, QuickGelu) and the layer-normalization
 * family (SkipLayerNormalization, SkipSimplifiedLayerNormalization, and SimplifiedLayerNormalization,
 * which onnxruntime registers in the ONNX domain). Definitions and defaults follow onnxruntime's
 * contrib op schemas: a bias is a vector over the last axis; Skip* normalize
 * input + skip (+ bias) over the last axis and can also return that sum.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type OutputInfo, type ValueInfo } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import { erf } from "./elementwise.js";
import { simdMap, type SimdMapKind } from "./vector.js";
import { attrFloat, attrInt, checkDimsAgree, checkDType, checkRank, formatShape, need, normAxis, outputF32 } from "./util.js";

// ── the Gelu family ───────────────────────────────────────────────────────────────────────

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const geluErf = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));

/**
 * X's type; a bias is a non-empty vector. onnxruntime documents it over X's last axis and
 * onnxruntime-web repeats it over X's elements, which is the same for that shape: fusec does the
 * latter, so both runtimes' models run.
 */
function biasedInfer(inputs: readonly (ValueInfo | undefined)[], names: readonly [string, string], biasRequired: boolean): OutputInfo[] {
  const x = need(inputs, 0, names[0]);
  checkDType(x.dtype, ["float32"], names[0]);
  const bias = biasRequired ? need(inputs, 1, names[1]) : inputs[1];
  if (bias) {
    checkDType(bias.dtype, ["float32"], names[1]);
    if (bias.shape && bias.shape.length > 1) checkRank(bias.shape, 1, names[1]);
    if (bias.shape?.length === 1 && bias.shape[0] === 0) throw new OpError(`${names[1]} is empty`);
  }
  return [{ dtype: "float32", shape: x.shape }];
}

/** f(x + bias) elementwise, the bias repeating over x's elements (along the last axis when it spans it). */
function mapBiased(x: Tensor, bias: Tensor | undefined, f: (v: number) => number, simd?: SimdMapKind): Tensor {
  const out = outputF32(x.shape);
  const xd = x.data as Float32Array;
  if (!bias && simd && simdMap(simd, xd, out.data, 0, xd.length)) return out;
  if (!bias) {
    for (let i = 0; i < xd.length; i++) out.data[i] = f(xd[i]!);
    return out;
  }
  const bd = bias.data as Float32Array;
  if (bd.length === 0) throw new OpError("the bias is empty");
  for (let i = 0; i < xd.length; i++) out.data[i] = f(xd[i]! + bd[i % bd.length]!);
  return out;
}

function registerGelu(op: string, names: readonly [string, string], biasRequired: boolean, fn: (attrs: Attrs) => (v: number) => number, simd?: SimdMapKind): void {
  registerOp({
    op,
    domain: "com.microsoft",
    infer: (inputs) => biasedInfer(inputs, names, biasRequired),
    kernel: (inputs, attrs) => [mapBiased(need(inputs, 0, names[0]), biasRequired ? need(inputs, 1, names[1]) : inputs[1], fn(attrs), simd)],
  });
}

registerGelu("Gelu", ["X", "bias"], false, () => geluErf, "gelu");
registerGelu("BiasGelu", ["A", "B"], true, () => geluErf);
registerGelu("FastGelu", ["X", "bias"], false, () => geluTanh, "gelu_tanh");
registerGelu("QuickGelu", ["X", "bias"], false, (attrs) => {
  const alpha = attrFloat(attrs, "alpha", 1.702);
  return (x) => x / (1 + Math.exp(-alpha * x));
});

// ── the layer-normalization family ────────────────────────────────────────────────────────

interface SkipNorm {
  /** RMS normalization (no mean subtracted, no beta). */
  simplified: boolean;
}

const SKIP_INPUTS = { full: ["input", "skip", "gamma", "beta", "bias"], simplified: ["input", "skip", "gamma", "bias"] } as const;

/**
 * Output types of SkipLayerNormalization / SkipSimplifiedLayerNormalization: output like input;
 * mean and inv_std_var with the last axis 1; input_skip_bias_sum like input.
 */
function skipNormInfer(inputs: readonly (ValueInfo | undefined)[], outputCount: number, kind: SkipNorm): OutputInfo[] {
  const names = kind.simplified ? SKIP_INPUTS.simplified : SKIP_INPUTS.full;
  const x = need(inputs, 0, "input");
  const skip = need(inputs, 1, "skip");
  need(inputs, 2, "gamma");
  names.forEach((name, i) => checkDType(inputs[i]?.dtype, ["float32"], name));
  if (x.shape) {
    if (x.shape.length < 1) throw new OpError("input must have a last axis to normalize");
    const hidden = x.shape[x.shape.length - 1]!;
    if (skip.shape) {
      if (skip.shape.length > x.shape.length) throw new OpError(`skip ${formatShape(skip.shape)} has more axes than input ${formatShape(x.shape)}`);
      skip.shape.forEach((d, i) => {
        const target = x.shape![x.shape!.length - skip.shape!.length + i]!;
        if (!(d === 1 && i < skip.shape!.length - 1)) checkDimsAgree(d, target, `skip ${formatShape(skip.shape!)} does not broadcast to input ${formatShape(x.shape!)}`);
      });
    }
    names.slice(2).forEach((name, k) => {
      const v = inputs[k + 2];
      if (!v?.shape) return;
      checkRank(v.shape, 1, name);
      checkDimsAgree(v.shape[0]!, hidden, `${name} differs from the last axis of input`);
    });
  }
  const reduced = x.shape ? [...x.shape.slice(0, -1), 1] : undefined;
  const shapes: (Dim[] | undefined)[] = [x.shape, reduced, reduced, x.shape];
  return shapes.slice(0, Math.max(1, outputCount)).map((shape) => ({ dtype: "float32" as const, shape }));
}

/** Normalizes each row of `rows` (last axis `width`) in place into `out`; returns per-row mean and 1/std. */
function normalizeRows(sum: Float32Array, width: number, out: Float32Array, gamma: Float32Array, beta: Float32Array | undefined, eps: number, simplified: boolean, means: Float32Array, invStd: Float32Array): void {
  const rows = sum.length / width;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let mean = 0;
    if (!simplified) {
      for (let j = 0; j < width; j++) mean += sum[base + j]!;
      mean /= width;
    }
    let squares = 0;
    for (let j = 0; j < width; j++) squares += (sum[base + j]! - mean) ** 2;
    const inv = 1 / Math.sqrt(squares / width + eps);
    for (let j = 0; j < width; j++) out[base + j] = (sum[base + j]! - mean) * inv * gamma[j]! + (beta ? beta[j]! : 0);
    means[r] = mean;
    invStd[r] = inv;
  }
}

function skipNormKernel(inputs: readonly (Tensor | undefined)[], attrs: Attrs, outputCount: number, kind: SkipNorm): Tensor[] {
  const x = need(inputs, 0, "input");
  const skip = need(inputs, 1, "skip");
  const gamma = need(inputs, 2, "gamma").data as Float32Array;
  const beta = kind.simplified ? undefined : (inputs[3]?.data as Float32Array | undefined);
  const bias = (kind.simplified ? inputs[3] : inputs[4])?.data as Float32Array | undefined;
  const width = x.shape[x.shape.length - 1]!;
  const xd = x.data as Float32Array;
  const sd = skip.data as Float32Array;
  if (xd.length % Math.max(1, sd.length) !== 0) throw new OpError(`skip ${formatShape(skip.shape)} does not broadcast to input ${formatShape(x.shape)}`);
  const sum = outputF32(x.shape);
  for (let i = 0; i < xd.length; i++) sum.data[i] = xd[i]! + sd[i % sd.length]! + (bias ? bias[i % width]! : 0);
  const out = outputF32(x.shape);
  const reduced = [...x.shape.slice(0, -1), 1];
  const means = outputF32(reduced);
  const invStd = outputF32(reduced);
  normalizeRows(sum.data, width, out.data, gamma, beta, attrFloat(attrs, "epsilon", 1e-12), kind.simplified, means.data, invStd.data);
  return [out, means, invStd, sum].slice(0, Math.max(1, outputCount));
}

registerOp({
  op: "SkipLayerNormalization",
  domain: "com.microsoft",
  infer: (inputs, _attrs, outputCount) => skipNormInfer(inputs, outputCount, { simplified: false }),
  kernel: (inputs, attrs, outputCount) => skipNormKernel(inputs, attrs, outputCount, { simplified: false }),
});

registerOp({
  op: "SkipSimplifiedLayerNormalization",
  domain: "com.microsoft",
  infer: (inputs, _attrs, outputCount) => skipNormInfer(inputs, outputCount, { simplified: true }),
  kernel: (inputs, attrs, outputCount) => skipNormKernel(inputs, attrs, outputCount, { simplified: true }),
});

/** RMS normalization over the axes from `axis` on: Y = X / sqrt(mean(X²) + epsilon) · scale; and 1/rms. */
registerOp({
  op: "SimplifiedLayerNormalization",
  domain: "",
  infer: (inputs, attrs, outputCount) => {
    const x = need(inputs, 0, "X");
    const scale = need(inputs, 1, "scale");
    checkDType(x.dtype, ["float32"], "X");
    checkDType(scale.dtype, ["float32"], "scale");
    if (!x.shape) return Array.from({ length: Math.max(1, outputCount) }, () => ({ dtype: "float32" as const, shape: undefined }));
    const axis = normAxis(attrInt(attrs, "axis", -1), x.shape.length);
    const normalized = x.shape.slice(axis);
    if (scale.shape && scale.shape.length > 0) {
      const tail = normalized.slice(normalized.length - scale.shape.length);
      scale.shape.forEach((d, i) => d === 1 || checkDimsAgree(d, tail[i] ?? 1, `scale ${formatShape(scale.shape!)} does not broadcast into ${formatShape(normalized)}`));
    }
    const reduced = x.shape.map((d, i) => (i < axis ? d : 1));
    const outputs: OutputInfo[] = [{ dtype: "float32", shape: x.shape }, { dtype: "float32", shape: reduced }];
    return outputs.slice(0, Math.max(1, outputCount));
  },
  kernel: (inputs, attrs, outputCount) => {
    const x = need(inputs, 0, "X");
    const scale = need(inputs, 1, "scale").data as Float32Array;
    const axis = normAxis(attrInt(attrs, "axis", -1), x.shape.length);
    const width = x.shape.slice(axis).reduce((a, b) => a * b, 1);
    const out = outputF32(x.shape);
    const reduced = x.shape.map((d, i) => (i < axis ? d : 1));
    const invStd = outputF32(reduced);
    const gamma = new Float32Array(width);
    for (let j = 0; j < width; j++) gamma[j] = scale[j % scale.length]!;
    normalizeRows(x.data as Float32Array, width, out.data, gamma, undefined, attrFloat(attrs, "epsilon", 1e-5), true, new Float32Array(invStd.data.length), invStd.data);
    return [out, invStd].slice(0, Math.max(1, outputCount));
  },
});
