/**
 * Convolutions: ONNX Conv (1-D and 2-D, groups, dilations, strides, explicit and automatic
 * padding), ConvTranspose, com.microsoft FusedConv (bias, residual Z and activation applied in the
 * output loop), and tfl Conv2D / DepthwiseConv2D (NHWC). Dense NCHW convolution runs on the
 * blocked GEMM with im2col as an offset matrix over a zero-padded copy of the input, whose panels
 * the GEMM gathers directly (1×1 stride-1 unpadded filters use the input as B itself). Depthwise
 * convolution runs plane by plane on the SIMD module's depthwise kernels (3×3 and 5×5, horizontal
 * stride 1 or 2), other shapes on a direct JavaScript loop. NHWC convolution is one GEMM for 1×1
 * filters and otherwise the NCHW kernels between transposes; ConvTranspose goes through a reused
 * column buffer.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import { applyActivation, fusedConvActivation, NO_ACTIVATION, tflActivation, type Activation } from "./activation.js";
import { sgemm, simdScratch, type MatrixView, type OffsetMatrix } from "./gemm.js";
import { simdActivationCode } from "./simd.js";
import {
  attrInt,
  attrInts,
  attrString,
  checkDimsAgree,
  checkDType,
  checkRank,
  formatShape,
  hasAttr,
  mapDim,
  need,
  outputF32,
  outputZeros,
  Scratch,
  derivedDim,
} from "./util.js";

// ── geometry ──────────────────────────────────────────────────────────────────────────────

/** One spatial axis of a convolution or pooling window. */
export interface Axis {
  size: number;
  kernel: number;
  stride: number;
  dilation: number;
  padBegin: number;
  padEnd: number;
  out: number;
}

export interface WindowAttrs {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Explicit pads [begin..., end...] (ONNX layout) when auto_pad is NOTSET. */
  pads: number[];
  autoPad: string;
  ceilMode: boolean;
}

/** Reads the ONNX window attributes (Conv, pools) for `rank` spatial axes. */
export function onnxWindowAttrs(attrs: Attrs, rank: number, kernelFromWeights?: readonly Dim[]): WindowAttrs {
  let kernel = attrInts(attrs, "kernel_shape", []);
  if (kernel.length === 0) {
    if (!kernelFromWeights) throw new OpError(`missing required attribute "kernel_shape"`);
    if (!kernelFromWeights.every((d) => typeof d === "number")) throw new OpError("kernel shape is not known");
    kernel = kernelFromWeights as number[];
  }
  const strides = attrInts(attrs, "strides", []);
  const dilations = attrInts(attrs, "dilations", []);
  const pads = attrInts(attrs, "pads", []);
  const w: WindowAttrs = {
    kernel,
    strides: strides.length ? strides : new Array<number>(rank).fill(1),
    dilations: dilations.length ? dilations : new Array<number>(rank).fill(1),
    pads: pads.length ? pads : new Array<number>(2 * rank).fill(0),
    autoPad: attrString(attrs, "auto_pad", "NOTSET"),
    ceilMode: attrInt(attrs, "ceil_mode", 0) !== 0,
  };
  if (w.kernel.length !== rank) throw new OpError(`kernel_shape has ${w.kernel.length} entries, expected ${rank}`);
  if (w.strides.length !== rank) throw new OpError(`strides has ${w.strides.length} entries, expected ${rank}`);
  if (w.dilations.length !== rank) throw new OpError(`dilations has ${w.dilations.length} entries, expected ${rank}`);
  if (w.pads.length !== 2 * rank) throw new OpError(`pads has ${w.pads.length} entries, expected ${2 * rank}`);
  if (!["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].includes(w.autoPad)) throw new OpError(`unknown auto_pad "${w.autoPad}"`);
  if ([...w.strides, ...w.dilations, ...w.kernel].some((v) => v < 1)) throw new OpError("kernel_shape, strides and dilations must be positive");
  return w;
}

/** The output size of one window axis (ONNX rules), with the pads actually used. */
export function windowAxis(size: number, w: WindowAttrs, i: number, rank: number): Axis {
  const kernel = w.kernel[i]!;
  const stride = w.strides[i]!;
  const dilation = w.dilations[i]!;
  const extent = (kernel - 1) * dilation + 1;
  let padBegin = w.pads[i]!;
  let padEnd = w.pads[i + rank]!;
  let out: number;
  if (w.autoPad === "VALID") {
    padBegin = padEnd = 0;
    out = Math.floor((size - extent) / stride) + 1;
  } else if (w.autoPad === "SAME_UPPER" || w.autoPad === "SAME_LOWER") {
    out = Math.ceil(size / stride);
    const total = Math.max(0, (out - 1) * stride + extent - size);
    padBegin = w.autoPad === "SAME_UPPER" ? Math.floor(total / 2) : Math.ceil(total / 2);
    padEnd = total - padBegin;
  } else {
    const span = size + padBegin + padEnd - extent;
    out = (w.ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
    // ceil_mode: the last window must start inside the input or its begin padding.
    if (w.ceilMode && (out - 1) * stride >= size + padBegin) out--;
  }
  if (out < 1) throw new OpError(`input size ${size} is too small for a window of ${extent} (after padding)`);
  return { size, kernel, stride, dilation, padBegin, padEnd, out };
}

/** Output dims of a window op over `spatial` (symbolic dims give fresh unknown dims). */
export function windowOutDims(spatial: readonly Dim[], w: WindowAttrs): Dim[] {
  return spatial.map((d, i) => mapDim(d, (n) => windowAxis(n, w, i, spatial.length).out, "window", i, w));
}

/** TFLite padding (SAME or VALID) for one axis. */
export function tflAxis(size: number, kernel: number, stride: number, dilation: number, padding: string): Axis {
  const extent = (kernel - 1) * dilation + 1;
  if (stride < 1 || dilation < 1) throw new OpError("strides and dilation factors must be positive");
  if (padding === "VALID") {
    const out = Math.floor((size - extent) / stride) + 1;
    if (out < 1) throw new OpError(`input size ${size} is too small for a window of ${extent}`);
    return { size, kernel, stride, dilation, padBegin: 0, padEnd: 0, out };
  }
  if (padding !== "SAME") throw new OpError(`unknown padding "${padding}"`);
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + extent - size);
  const padBegin = Math.floor(total / 2);
  return { size, kernel, stride, dilation, padBegin, padEnd: total - padBegin, out };
}

/** An axis of size 1 with a 1-wide window (to run 1-D ops on the 2-D kernels). */
const UNIT_AXIS: Axis = { size: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0, out: 1 };

/** The range of outputs [lo, hi) along `a` whose input index `o*stride - padBegin + offset` is in bounds. */
function validRange(a: Axis, offset: number): [number, number] {
  const shift = a.padBegin - offset;
  const lo = Math.max(0, Math.ceil(shift / a.stride));
  const hi = Math.min(a.out, Math.floor((a.size - 1 + shift) / a.stride) + 1);
  return [lo, Math.max(lo, hi)];
}

// ── ONNX Conv / FusedConv ─────────────────────────────────────────────────────────────────

function convInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs, fused: boolean): Dim[] | undefined {
  const x = need(inputs, 0, "X");
  const w = need(inputs, 1, "W");
  const b = inputs[2];
  const z = inputs[3];
  checkDType(x.dtype, ["float32"], "X");
  checkDType(w.dtype, ["float32"], "W");
  if (b) checkDType(b.dtype, ["float32"], "B");
  if (z) checkDType(z.dtype, ["float32"], "Z");
  if (fused) fusedConvActivation(attrs);
  const group = attrInt(attrs, "group", 1);
  if (group < 1) throw new OpError(`group must be positive, got ${group}`);
  if (!x.shape || !w.shape) return undefined;
  // W's rank (4 for 2-D, 3 for 1-D) says what X's rank must be.
  if (w.shape.length === 3 || w.shape.length === 4) checkRank(x.shape, w.shape.length, "X");
  if (x.shape.length < 3 || x.shape.length > 4) {
    throw new OpError(`input X has rank ${x.shape.length}, expected 4 (or 3 for 1-D convolution)`);
  }
  checkRank(w.shape, x.shape.length, "W");
  const rank = x.shape.length - 2;
  const [n, c] = x.shape as [Dim, Dim];
  const [o, cg] = w.shape as [Dim, Dim];
  if (typeof c === "number" && typeof cg === "number" && c !== cg * group) {
    throw new OpError(`input X has ${c} channels but W ${formatShape(w.shape)} with group ${group} expects ${cg * group}`);
  }
  if (typeof o === "number" && o % group !== 0) throw new OpError(`W has ${o} output channels, not divisible by group ${group}`);
  if (b?.shape) {
    checkRank(b.shape, 1, "B");
    checkDimsAgree(b.shape[0]!, o, "B's length differs from W's output channels");
  }
  const win = onnxWindowAttrs(attrs, rank, w.shape.slice(2));
  const out = [n, o, ...windowOutDims(x.shape.slice(2), win)];
  if (z?.shape) {
    checkRank(z.shape, out.length, "Z");
    z.shape.forEach((d, i) => checkDimsAgree(d, out[i]!, `input Z ${formatShape(z.shape!)} differs from the output ${formatShape(out)}`));
  }
  return out;
}

const colScratch = new Scratch();

/** A convolution problem in 2-D form (1-D inputs get a unit height axis). */
interface Conv2d {
  n: number;
  c: number;
  o: number;
  group: number;
  h: Axis;
  w: Axis;
}

function conv2dProblem(x: Tensor, w: Tensor, attrs: Attrs): Conv2d {
  const rank = x.shape.length - 2;
  const win = onnxWindowAttrs(attrs, rank, w.shape.slice(2));
  const axes = x.shape.slice(2).map((size, i) => windowAxis(size, win, i, rank));
  return {
    n: x.shape[0]!,
    c: x.shape[1]!,
    o: w.shape[0]!,
    group: attrInt(attrs, "group", 1),
    h: rank === 2 ? axes[0]! : UNIT_AXIS,
    w: rank === 2 ? axes[1]! : axes[0]!,
  };
}

function convKernel(inputs: readonly (Tensor | undefined)[], attrs: Attrs, act: Activation): Tensor {
  const x = need(inputs, 0, "X");
  const w = need(inputs, 1, "W");
  const p = conv2dProblem(x, w, attrs);
  const out = outputF32([p.n, p.o, ...(x.shape.length === 4 ? [p.h.out, p.w.out] : [p.w.out])]);
  const bias = inputs[2]?.data as Float32Array | undefined;
  const z = inputs[3]?.data as Float32Array | undefined;
  convNchw(x.data as Float32Array, w.data as Float32Array, bias, z, out.data, p, act);
  return out;
}

/**
 * out (NCHW) = act(conv(x, w) + bias + z): depthwise problems on the depthwise kernels, the rest
 * on the GEMM, one product per image and group, with the im2col matrix as an offset matrix.
 */
function convNchw(
  xd: Float32Array,
  wd: Float32Array,
  bias: Float32Array | undefined,
  z: Float32Array | undefined,
  out: Float32Array,
  p: Conv2d,
  act: Activation,
): void {
  const cg = p.c / p.group;
  const og = p.o / p.group;
  const kk = p.h.kernel * p.w.kernel;
  const hw = p.h.size * p.w.size;
  const ohw = p.h.out * p.w.out;
  if (cg === 1 && og === p.o / p.c) {
    depthwiseNchw(xd, wd, bias, z, out, p, act);
    return;
  }
  const pointwise =
    kk === 1 && p.h.stride === 1 && p.w.stride === 1 && p.h.padBegin + p.h.padEnd + p.w.padBegin + p.w.padEnd === 0;
  const rows = cg * kk;
  for (let n = 0; n < p.n; n++) {
    for (let g = 0; g < p.group; g++) {
      const xOffset = (n * p.c + g * cg) * hw;
      const columns: MatrixView | OffsetMatrix = pointwise
        ? { data: xd, offset: xOffset, rowStride: ohw, colStride: 1 }
        : im2colMatrix(xd, xOffset, cg, p.h, p.w);
      const outOffset = (n * p.o + g * og) * ohw;
      sgemm(
        og, ohw, rows,
        { data: wd, offset: g * og * rows, rowStride: rows, colStride: 1 },
        columns,
        out, outOffset, ohw, false,
        { bias, biasOffset: g * og, biasPerRow: true, residual: z, residualOffset: outOffset, ldr: ohw, activation: act },
      );
    }
  }
}

const paddedScratch = new Scratch();

/**
 * The GEMM's B operand of a convolution, im2col(x) — depth rows (c, kh, kw), one column per
 * output pixel — as an offset matrix over a zero-padded copy of the input channels: element
 * (p, j) is padded[rowOffsets[p] + colOffsets[j]], so the column matrix is never built.
 */
function im2colMatrix(x: Float32Array, xOffset: number, channels: number, h: Axis, w: Axis): OffsetMatrix {
  // Big enough for every window; windows never reach past the end padding.
  const ph = Math.max(h.size + h.padBegin + h.padEnd, (h.out - 1) * h.stride + (h.kernel - 1) * h.dilation + 1);
  const pw = Math.max(w.size + w.padBegin + w.padEnd, (w.out - 1) * w.stride + (w.kernel - 1) * w.dilation + 1);
  const planeSize = ph * pw;
  const padded = paddedScratch.get(channels * planeSize);
  padded.fill(0, 0, channels * planeSize);
  for (let c = 0; c < channels; c++) {
    for (let ih = 0; ih < h.size; ih++) {
      const src = xOffset + (c * h.size + ih) * w.size;
      padded.set(x.subarray(src, src + w.size), c * planeSize + (ih + h.padBegin) * pw + w.padBegin);
    }
  }
  const rowOffsets = new Int32Array(channels * h.kernel * w.kernel);
  for (let c = 0, p = 0; c < channels; c++) {
    for (let kh = 0; kh < h.kernel; kh++) {
      for (let kw = 0; kw < w.kernel; kw++) rowOffsets[p++] = c * planeSize + kh * h.dilation * pw + kw * w.dilation;
    }
  }
  const colOffsets = new Int32Array(h.out * w.out);
  for (let oh = 0, j = 0; oh < h.out; oh++) {
    for (let ow = 0; ow < w.out; ow++) colOffsets[j++] = oh * h.stride * pw + ow * w.stride;
  }
  return { data: padded, offset: 0, rowOffsets, colOffsets };
}

/** Floats the depthwise plane function may read past a padded plane, or write past an output plane. */
const PLANE_SLACK = 64;

/**
 * Depthwise convolution on the SIMD module, one output channel at a time: the input plane is
 * copied into a zero-padded plane in the module's memory (the padding is zeroed once per call:
 * every channel's rows land in the same place), the plane function computes the output plane with
 * the bias, `finishRows` adds the residual and applies the activation, and the plane is copied
 * out. Square 3×3 or 5×5 kernels, horizontal stride 1 or 2 (any vertical stride), no dilation; returns false for anything
 * else (or without SIMD), leaving the work to the JavaScript kernel.
 */
function depthwiseSimd(
  x: Float32Array,
  wd: Float32Array,
  bias: Float32Array | undefined,
  z: Float32Array | undefined,
  out: Float32Array,
  p: Conv2d,
  act: Activation,
): boolean {
  const { h, w } = p;
  const scratch = simdScratch();
  if (!scratch || h.kernel !== w.kernel || h.dilation !== 1 || w.dilation !== 1) return false;
  const plane = scratch.kernels.depthwisePlane(w.kernel, w.stride);
  if (!plane) return false;
  const { floats, kernels } = scratch;
  const kk = h.kernel * w.kernel;
  const ohw = h.out * w.out;
  // The padded plane holds every row and column a valid output reads.
  const ph = (h.out - 1) * h.stride + h.kernel;
  const pw = (w.out - 1) * w.stride + w.kernel;
  const weights = scratch.start;
  const params = weights + roundUp4(kk + 1);
  const padded = params + 4;
  const result = padded + roundUp4(ph * pw + PLANE_SLACK);
  const residual = result + roundUp4(ohw + PLANE_SLACK);
  if (residual + roundUp4(ohw + PLANE_SLACK) > scratch.start + scratch.size) return false;
  const simdAct = simdActivationCode(act.kind);
  floats[params] = act.a;
  floats[params + 1] = act.b;
  floats[params + 2] = 0; // the bias finishRows adds (the plane function added the real one)
  floats.fill(0, padded, result);
  // Input rows and columns that land inside the padded plane.
  const rowLo = Math.max(0, -h.padBegin);
  const rowHi = Math.min(h.size, ph - h.padBegin);
  const colLo = Math.max(0, -w.padBegin);
  const colHi = Math.min(w.size, pw - w.padBegin);
  const mult = p.o / p.c;
  for (let n = 0; n < p.n; n++) {
    for (let o = 0; o < p.o; o++) {
      if (o % mult === 0) {
        const src = (n * p.c + o / mult) * h.size * w.size;
        for (let ih = rowLo; ih < rowHi; ih++) {
          const from = src + ih * w.size;
          floats.set(x.subarray(from + colLo, from + colHi), padded + (ih + h.padBegin) * pw + w.padBegin + colLo);
        }
      }
      floats.set(wd.subarray(o * kk, o * kk + kk), weights);
      floats[weights + kk] = bias ? bias[o]! : 0;
      plane(4 * padded, 4 * pw, 4 * pw * h.stride, 4 * weights, 4 * result, h.out, w.out);
      const dst = (n * p.o + o) * ohw;
      if (z) floats.set(z.subarray(dst, dst + ohw), residual);
      if (z || simdAct !== 0) kernels.finishRows(4 * result, 1, Math.ceil(ohw / 4), 0, 4 * (params + 2), z ? 4 * residual : 0, simdAct ?? 0, 4 * params);
      out.set(floats.subarray(result, result + ohw), dst);
      if (simdAct === undefined) applyActivation(act, out, dst, dst + ohw);
    }
  }
  return true;
}

function roundUp4(n: number): number {
  return (n + 3) & ~3;
}

/** Depthwise convolution (one input channel per group), direct: each output plane stays hot. */
function depthwiseNchw(
  x: Float32Array,
  wd: Float32Array,
  bias: Float32Array | undefined,
  z: Float32Array | undefined,
  out: Float32Array,
  p: Conv2d,
  act: Activation,
): void {
  if (depthwiseSimd(x, wd, bias, z, out, p, act)) return;
  const { h, w } = p;
  const mult = p.o / p.c;
  const ohw = h.out * w.out;
  const kk = h.kernel * w.kernel;
  for (let n = 0; n < p.n; n++) {
    for (let o = 0; o < p.o; o++) {
      const plane = (n * p.c + Math.floor(o / mult)) * h.size * w.size;
      const dst = (n * p.o + o) * ohw;
      out.fill(bias ? bias[o]! : 0, dst, dst + ohw);
      for (let kh = 0; kh < h.kernel; kh++) {
        const [ohLo, ohHi] = validRange(h, kh * h.dilation);
        for (let kw = 0; kw < w.kernel; kw++) {
          const weight = wd[o * kk + kh * w.kernel + kw]!;
          const [owLo, owHi] = validRange(w, kw * w.dilation);
          for (let oh = ohLo; oh < ohHi; oh++) {
            const src = plane + (oh * h.stride - h.padBegin + kh * h.dilation) * w.size - w.padBegin + kw * w.dilation;
            const d = dst + oh * w.out;
            if (w.stride === 1) for (let ow = owLo; ow < owHi; ow++) out[d + ow] += weight * x[src + ow]!;
            else for (let ow = owLo; ow < owHi; ow++) out[d + ow] += weight * x[src + ow * w.stride]!;
          }
        }
      }
      if (z) for (let i = dst; i < dst + ohw; i++) out[i] += z[i]!;
      applyActivation(act, out, dst, dst + ohw);
    }
  }
}

registerOp({
  op: "Conv",
  domain: "",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: convInfer(inputs.slice(0, 3), attrs, false) }],
  kernel: (inputs, attrs) => [convKernel(inputs.slice(0, 3), attrs, NO_ACTIVATION)],
});

registerOp({
  op: "FusedConv",
  domain: "com.microsoft",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: convInfer(inputs, attrs, true) }],
  kernel: (inputs, attrs) => [convKernel(inputs, attrs, fusedConvActivation(attrs))],
});

// ── ConvTranspose ─────────────────────────────────────────────────────────────────────────

interface TransposeAxis {
  size: number;
  kernel: number;
  stride: number;
  dilation: number;
  padBegin: number;
  out: number;
}

function convTransposeAxes(spatial: readonly number[], kernel: readonly number[], attrs: Attrs): TransposeAxis[] {
  const rank = spatial.length;
  const strides = attrInts(attrs, "strides", new Array<number>(rank).fill(1));
  const dilations = attrInts(attrs, "dilations", new Array<number>(rank).fill(1));
  const outputPadding = attrInts(attrs, "output_padding", new Array<number>(rank).fill(0));
  const outputShape = attrInts(attrs, "output_shape", []);
  const autoPad = attrString(attrs, "auto_pad", "NOTSET");
  const pads = attrInts(attrs, "pads", new Array<number>(2 * rank).fill(0));
  if (hasAttr(attrs, "kernel_shape")) {
    const k = attrInts(attrs, "kernel_shape");
    if (k.some((v, i) => v !== kernel[i])) throw new OpError(`kernel_shape [${k}] differs from W's [${kernel}]`);
  }
  for (const [name, list, want] of [["strides", strides, rank], ["dilations", dilations, rank], ["output_padding", outputPadding, rank], ["pads", pads, 2 * rank]] as const) {
    if (list.length !== want) throw new OpError(`${name} has ${list.length} entries, expected ${want}`);
  }
  return spatial.map((size, i) => {
    const stride = strides[i]!;
    const dilation = dilations[i]!;
    const extent = (kernel[i]! - 1) * dilation + 1;
    const full = stride * (size - 1) + outputPadding[i]! + extent;
    let target: number | undefined = outputShape.length ? outputShape[outputShape.length - rank + i]! : undefined;
    if (target === undefined && (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER")) target = size * stride;
    if (target !== undefined) {
      // As the ONNX spec and onnxruntime: SAME_UPPER puts the odd pad at the end, every other
      // mode at the start; an output larger than the full one is not padded (onnxruntime
      // clamps the total at 0), so with auto_pad it comes out at the full size.
      const total = Math.max(0, full - target);
      const padBegin = autoPad === "SAME_UPPER" ? Math.floor(total / 2) : total - Math.floor(total / 2);
      const out = outputShape.length ? target : full - total;
      return { size, kernel: kernel[i]!, stride, dilation, padBegin, out };
    }
    const padBegin = autoPad === "VALID" ? 0 : pads[i]!;
    const padEnd = autoPad === "VALID" ? 0 : pads[i + rank]!;
    const out = full - padBegin - padEnd;
    if (out < 1) throw new OpError(`output size ${out} is not positive`);
    return { size, kernel: kernel[i]!, stride, dilation, padBegin, out };
  });
}

function convTransposeInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs): Dim[] | undefined {
  const x = need(inputs, 0, "X");
  const w = need(inputs, 1, "W");
  const b = inputs[2];
  checkDType(x.dtype, ["float32"], "X");
  checkDType(w.dtype, ["float32"], "W");
  if (b) checkDType(b.dtype, ["float32"], "B");
  if (!x.shape || !w.shape) return undefined;
  if (x.shape.length < 3 || x.shape.length > 4) throw new OpError(`input X has rank ${x.shape.length}, expected 4 (or 3)`);
  checkRank(w.shape, x.shape.length, "W");
  const group = attrInt(attrs, "group", 1);
  checkDimsAgree(x.shape[1]!, w.shape[0]!, "X's channels differ from W's input channels");
  const o = mapDim(w.shape[1]!, (v) => v * group, "times", group);
  const kernel = w.shape.slice(2);
  if (!kernel.every((d) => typeof d === "number")) return undefined;
  const spatial = x.shape.slice(2);
  if (!spatial.every((d) => typeof d === "number")) {
    return [x.shape[0]!, o, ...spatial.map((d, i) => derivedDim("convTranspose", d, i, kernel, attrs))];
  }
  const axes = convTransposeAxes(spatial as number[], kernel as number[], attrs);
  return [x.shape[0]!, o, ...axes.map((a) => a.out)];
}

function convTransposeKernel(inputs: readonly (Tensor | undefined)[], attrs: Attrs): Tensor {
  const x = need(inputs, 0, "X");
  const w = need(inputs, 1, "W");
  const bias = inputs[2]?.data as Float32Array | undefined;
  const rank = x.shape.length - 2;
  const group = attrInt(attrs, "group", 1);
  const axes = convTransposeAxes(x.shape.slice(2), w.shape.slice(2), attrs);
  const unit: TransposeAxis = { size: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, out: 1 };
  const h = rank === 2 ? axes[0]! : unit;
  const wa = rank === 2 ? axes[1]! : axes[0]!;
  const [n, c] = x.shape as [number, number];
  const cg = c / group;
  const og = w.shape[1]!;
  const o = og * group;
  const kk = h.kernel * wa.kernel;
  const hw = h.size * wa.size;
  const ohw = h.out * wa.out;
  const out = outputZeros("float32", [n, o, ...axes.map((a) => a.out)]);
  const od = out.data as Float32Array;
  const xd = x.data as Float32Array;
  const wd = w.data as Float32Array;
  const rows = og * kk;
  const col = colScratch.get(rows * hw);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < group; g++) {
      // col[og·kk, hw] = W_gᵀ · X_g, then scatter-add each column into the output (col2im).
      sgemm(
        rows, hw, cg,
        { data: wd, offset: g * cg * rows, rowStride: 1, colStride: rows },
        { data: xd, offset: (b * c + g * cg) * hw, rowStride: hw, colStride: 1 },
        col, 0, hw, false,
      );
      for (let oc = 0; oc < og; oc++) {
        const plane = (b * o + g * og + oc) * ohw;
        for (let kh = 0; kh < h.kernel; kh++) {
          for (let kw = 0; kw < wa.kernel; kw++) {
            const src = ((oc * h.kernel + kh) * wa.kernel + kw) * hw;
            for (let ih = 0; ih < h.size; ih++) {
              const oh = ih * h.stride - h.padBegin + kh * h.dilation;
              if (oh < 0 || oh >= h.out) continue;
              for (let iw = 0; iw < wa.size; iw++) {
                const ow = iw * wa.stride - wa.padBegin + kw * wa.dilation;
                if (ow >= 0 && ow < wa.out) od[plane + oh * wa.out + ow] += col[src + ih * wa.size + iw]!;
              }
            }
          }
        }
        if (bias) {
          const v = bias[g * og + oc]!;
          for (let i = plane; i < plane + ohw; i++) od[i] += v;
        }
      }
    }
  }
  return out;
}

registerOp({
  op: "ConvTranspose",
  domain: "",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: convTransposeInfer(inputs, attrs) }],
  kernel: (inputs, attrs) => [convTransposeKernel(inputs, attrs)],
});

// ── tfl Conv2D / DepthwiseConv2D (NHWC) ───────────────────────────────────────────────────

function tflConvInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs, depthwise: boolean): Dim[] | undefined {
  const x = need(inputs, 0, "input");
  const f = need(inputs, 1, "filter");
  const b = inputs[2];
  checkDType(x.dtype, ["float32"], "input");
  checkDType(f.dtype, ["float32"], "filter");
  if (b) checkDType(b.dtype, ["float32"], "bias");
  tflActivation(attrs);
  if (!x.shape || !f.shape) return undefined;
  checkRank(x.shape, 4, "input");
  checkRank(f.shape, 4, "filter");
  const [n, ih, iw, c] = x.shape as [Dim, Dim, Dim, Dim];
  const [f0, kh, kw, f3] = f.shape as [Dim, Dim, Dim, Dim];
  const o = depthwise ? f3 : f0;
  if (depthwise) {
    checkDimsAgree(f0, 1, "filter's first dim must be 1 for DepthwiseConv2D");
    const dm = attrInt(attrs, "depth_multiplier", 1);
    if (typeof c === "number" && typeof f3 === "number" && f3 !== c * dm) {
      throw new OpError(`filter ${formatShape(f.shape)} has ${f3} output channels, expected ${c} × depth_multiplier`);
    }
  } else {
    checkDimsAgree(c, f3, `input depth differs from the filter ${formatShape(f.shape)}`);
  }
  if (b?.shape) {
    checkRank(b.shape, 1, "bias");
    checkDimsAgree(b.shape[0]!, o, "bias length differs from the output channels");
  }
  const padding = attrString(attrs, "padding", "VALID");
  const axisDim = (size: Dim, k: Dim, stride: number, dilation: number): Dim =>
    typeof size === "number" && typeof k === "number" ? tflAxis(size, k, stride, dilation, padding).out : derivedDim("tflWindow", size, k, stride, dilation, padding);
  return [
    n,
    axisDim(ih, kh, attrInt(attrs, "stride_h", 1), attrInt(attrs, "dilation_h_factor", 1)),
    axisDim(iw, kw, attrInt(attrs, "stride_w", 1), attrInt(attrs, "dilation_w_factor", 1)),
    o,
  ];
}

function tflAxes(x: Tensor, f: Tensor, attrs: Attrs): [Axis, Axis] {
  const padding = attrString(attrs, "padding", "VALID");
  return [
    tflAxis(x.shape[1]!, f.shape[1]!, attrInt(attrs, "stride_h", 1), attrInt(attrs, "dilation_h_factor", 1), padding),
    tflAxis(x.shape[2]!, f.shape[2]!, attrInt(attrs, "stride_w", 1), attrInt(attrs, "dilation_w_factor", 1), padding),
  ];
}

const nchwInput = new Scratch();
const nchwFilter = new Scratch();
const nchwOutput = new Scratch();

/** The NCHW convolution problem of a tfl NHWC convolution. */
function tflProblem(x: Tensor, f: Tensor, attrs: Attrs, o: number, group: number): Conv2d {
  const [h, w] = tflAxes(x, f, attrs);
  return { n: x.shape[0]!, c: x.shape[3]!, o, group, h, w };
}

/**
 * NHWC convolution with the fused activation: a 1×1 stride-1 filter is one GEMM of the pixels
 * (rows of the input as it is) with the filter; any other runs as NCHW — the input and filter
 * transposed once, the convolution on the NCHW kernels (no column matrix), the output transposed
 * back — which moves far fewer floats than an NHWC im2col of a K×K window would.
 */
function tflConv2dKernel(inputs: readonly (Tensor | undefined)[], attrs: Attrs): Tensor {
  const x = need(inputs, 0, "input");
  const f = need(inputs, 1, "filter");
  const bias = inputs[2]?.data as Float32Array | undefined;
  const act = tflActivation(attrs);
  const p = tflProblem(x, f, attrs, f.shape[0]!, 1);
  const { h, w } = p;
  const out = outputF32([p.n, h.out, w.out, p.o]);
  const xd = x.data as Float32Array;
  const fd = f.data as Float32Array;
  const depth = h.kernel * w.kernel * p.c;
  if (h.kernel * w.kernel === 1 && h.stride === 1 && w.stride === 1 && h.padBegin + w.padBegin === 0) {
    sgemm(
      p.n * h.out * w.out, p.o, depth,
      { data: xd, offset: 0, rowStride: depth, colStride: 1 },
      { data: fd, offset: 0, rowStride: 1, colStride: depth },
      out.data, 0, p.o, false,
      { bias, biasPerRow: false, activation: act },
    );
    return out;
  }
  convThroughNchw(xd, transposeFilter(fd, p.o, h.kernel * w.kernel, p.c, true), bias, out.data, p, act);
  return out;
}

/** tfl DepthwiseConv2D: the NCHW depthwise kernels between two transposes (see tflConv2dKernel). */
function tflDepthwiseKernel(inputs: readonly (Tensor | undefined)[], attrs: Attrs): Tensor {
  const x = need(inputs, 0, "input");
  const f = need(inputs, 1, "filter");
  const bias = inputs[2]?.data as Float32Array | undefined;
  const o = f.shape[3]!;
  const p = tflProblem(x, f, attrs, o, x.shape[3]!);
  const out = outputF32([p.n, p.h.out, p.w.out, o]);
  // [1, KH, KW, O] → [O, 1, KH, KW]
  const filter = transposeFilter(f.data as Float32Array, 1, p.h.kernel * p.w.kernel, o, false);
  convThroughNchw(x.data as Float32Array, filter, bias, out.data, p, tflActivation(attrs));
  return out;
}

/**
 * A filter [O, S, I] (OHWI with S = KH·KW) as [O, I, S] (`perOutput`), or [1, S, O] as [O, S]
 * (depthwise), in a reused buffer.
 */
function transposeFilter(fd: Float32Array, o: number, spatial: number, inner: number, perOutput: boolean): Float32Array {
  const dst = nchwFilter.get(fd.length);
  if (perOutput) {
    for (let k = 0; k < o; k++) {
      const base = k * spatial * inner;
      for (let s = 0; s < spatial; s++) for (let c = 0; c < inner; c++) dst[base + c * spatial + s] = fd[base + s * inner + c]!;
    }
  } else {
    for (let s = 0; s < spatial; s++) for (let k = 0; k < inner; k++) dst[k * spatial + s] = fd[s * inner + k]!;
  }
  return dst;
}

/** out (NHWC) = convNchw of x (NHWC) with an NCHW filter, through reused NCHW buffers. */
function convThroughNchw(x: Float32Array, filter: Float32Array, bias: Float32Array | undefined, out: Float32Array, p: Conv2d, act: Activation): void {
  const hw = p.h.size * p.w.size;
  const ohw = p.h.out * p.w.out;
  const xNchw = nchwInput.get(p.n * p.c * hw);
  const outNchw = nchwOutput.get(p.n * p.o * ohw);
  for (let n = 0; n < p.n; n++) transpose2d(x, n * hw * p.c, hw, p.c, xNchw, n * p.c * hw);
  convNchw(xNchw, filter, bias, undefined, outNchw, p, act);
  for (let n = 0; n < p.n; n++) transpose2d(outNchw, n * p.o * ohw, p.o, ohw, out, n * ohw * p.o);
}

/** dst[j·rows + i] = src[i·cols + j] for a rows×cols matrix, in 32×32 tiles. */
function transpose2d(src: Float32Array, srcOffset: number, rows: number, cols: number, dst: Float32Array, dstOffset: number): void {
  const TILE = 32;
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(rows, i0 + TILE);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const j1 = Math.min(cols, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const s = srcOffset + i * cols;
        for (let j = j0; j < j1; j++) dst[dstOffset + j * rows + i] = src[s + j]!;
      }
    }
  }
}

registerOp({
  op: "Conv2D",
  domain: "tfl",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: tflConvInfer(inputs, attrs, false) }],
  kernel: (inputs, attrs) => [tflConv2dKernel(inputs, attrs)],
});

registerOp({
  op: "DepthwiseConv2D",
  domain: "tfl",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: tflConvInfer(inputs, attrs, true) }],
  kernel: (inputs, attrs) => [tflDepthwiseKernel(inputs, attrs)],
});
