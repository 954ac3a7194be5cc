/**
 * ONNX Conv and com.microsoft FusedConv (bias, residual Z and activation applied in the output
 * loop) over 1-, 2- and 3-D inputs (NCW, NCHW, NCDHW), with groups, dilations, strides, explicit
 * and automatic padding. Dense convolution runs on the blocked GEMM with im2col as an offset matrix
 * over a zero-padded copy of the input, whose panels the GEMM gathers directly (1×1 stride-1
 * unpadded filters use the input as B itself); depthwise 1-D and 2-D convolution runs on the
 * depthwise kernels (depthwise.ts). The kernels see every rank as three spatial axes (depth,
 * height, width), unit axes in front.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import { fusedConvActivation, NO_ACTIVATION, type Activation } from "./activation.js";
import { depthwiseNchw } from "./depthwise.js";
import { parallelDepthwise } from "./parallel-depthwise.js";
import { arenaRelease, arenaTake } from "./arena.js";
import { sgemm, type MatrixView, type OffsetMatrix } from "./gemm.js";
import { fillFloats, simdCopyRows, simdPhaseRows } from "./vector.js";
import { attrInt, checkDimsAgree, checkDType, checkRank, formatShape, need, outputF32, Scratch } from "./util.js";
import { asThreeAxes, onnxWindowAttrs, UNIT_AXIS, windowAxis, windowOutDims, type Axis } from "./window.js";

/** A convolution problem: batch, channels in and out, groups, and the (depth, height, width) axes. */
export interface ConvProblem {
  n: number;
  c: number;
  o: number;
  group: number;
  axes: [Axis, Axis, Axis];
}

/** One convolution to compute: out (NC…) = act(conv(x, w) + bias + z). */
export interface ConvCall {
  x: Float32Array;
  /** Filter [O, C/group, KD, KH, KW] (unit kernel axes for lower ranks). */
  w: Float32Array;
  bias?: Float32Array;
  /** Residual added before the activation, shaped like the output. */
  z?: Float32Array;
  out: Float32Array;
  problem: ConvProblem;
  act: Activation;
}

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
  // W's rank (5 for 3-D, 4 for 2-D, 3 for 1-D) says what X's rank must be.
  if (w.shape.length >= 3 && w.shape.length <= 5) checkRank(x.shape, w.shape.length, "X");
  if (x.shape.length < 3 || x.shape.length > 5) {
    throw new OpError(`input X has rank ${x.shape.length}, expected 3, 4 or 5 (1-, 2- or 3-D convolution)`);
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

/** The attributes a convolution's geometry and activation depend on. */
const PLAN_ATTRS = ["kernel_shape", "strides", "dilations", "pads", "auto_pad", "group", "activation", "activation_params"] as const;

/** What a convolution node computes, derived once from its shapes and attributes. */
interface ConvPlan {
  /** X's shape, then W's, as planned. */
  shapes: number[];
  /** The attribute entries (PLAN_ATTRS) as planned: an attribute replaced since is noticed. */
  entries: unknown[];
  problem: ConvProblem;
  outShape: number[];
  act: Activation;
}

/** Each node's last plan, by its attributes object: runs repeat it. */
const plans = new WeakMap<Attrs, ConvPlan>();

function planHolds(plan: ConvPlan, x: Tensor, w: Tensor, attrs: Attrs): boolean {
  const s = plan.shapes;
  const xr = x.shape.length;
  if (s.length !== xr + w.shape.length) return false;
  for (let i = 0; i < xr; i++) if (s[i] !== x.shape[i]) return false;
  for (let i = 0; i < w.shape.length; i++) if (s[xr + i] !== w.shape[i]) return false;
  for (let i = 0; i < PLAN_ATTRS.length; i++) if (plan.entries[i] !== attrs[PLAN_ATTRS[i]!]) return false;
  return true;
}

/** The convolution's plan from X's and W's shapes and the attributes (read-only: it is cached). */
function convPlan(x: Tensor, w: Tensor, attrs: Attrs, fused: boolean): ConvPlan {
  const cached = plans.get(attrs);
  if (cached && planHolds(cached, x, w, attrs)) return cached;
  const rank = x.shape.length - 2;
  const win = onnxWindowAttrs(attrs, rank, w.shape.slice(2));
  const axes = x.shape.slice(2).map((size, i) => windowAxis(size, win, i, rank));
  const problem: ConvProblem = { n: x.shape[0]!, c: x.shape[1]!, o: w.shape[0]!, group: attrInt(attrs, "group", 1), axes: asThreeAxes(axes, UNIT_AXIS) };
  const plan: ConvPlan = {
    shapes: [...x.shape, ...w.shape],
    entries: PLAN_ATTRS.map((name) => attrs[name]),
    problem,
    outShape: [problem.n, problem.o, ...axes.map((a) => a.out)],
    act: fused ? fusedConvActivation(attrs) : NO_ACTIVATION,
  };
  plans.set(attrs, plan);
  return plan;
}

function convKernel(inputs: readonly (Tensor | undefined)[], attrs: Attrs, fused: boolean): Tensor {
  const x = need(inputs, 0, "X");
  const w = need(inputs, 1, "W");
  const plan = convPlan(x, w, attrs, fused);
  const out = outputF32(plan.outShape);
  convNchw({
    x: x.data as Float32Array,
    w: w.data as Float32Array,
    bias: inputs[2]?.data as Float32Array | undefined,
    z: fused ? (inputs[3]?.data as Float32Array | undefined) : undefined,
    out: out.data,
    problem: plan.problem,
    act: plan.act,
  });
  return out;
}

const isUnit = (a: Axis): boolean => a.size === 1 && a.kernel === 1 && a.out === 1;

/**
 * out (NC…) = act(conv(x, w) + bias + z): 1-D and 2-D depthwise problems on the depthwise
 * kernels, the rest on the GEMM, one product per image and group, with the im2col matrix as an
 * offset matrix.
 */
export function convNchw(call: ConvCall): void {
  const { x, w, bias, z, out, problem: p, act } = call;
  const cg = p.c / p.group;
  const og = p.o / p.group;
  if (cg === 1 && og === p.o / p.c && isUnit(p.axes[0])) {
    if (!parallelDepthwise(call)) depthwiseNchw(call);
    return;
  }
  const kernelSize = p.axes.reduce((k, a) => k * a.kernel, 1);
  const inPlane = p.axes.reduce((k, a) => k * a.size, 1);
  const outPlane = p.axes.reduce((k, a) => k * a.out, 1);
  const pointwise = kernelSize === 1 && p.axes.every((a) => a.stride === 1 && a.padBegin + a.padEnd === 0);
  const rows = cg * kernelSize;
  for (let n = 0; n < p.n; n++) {
    for (let g = 0; g < p.group; g++) {
      const xOffset = (n * p.c + g * cg) * inPlane;
      const columns: MatrixView | Im2col = pointwise
        ? { data: x, offset: xOffset, rowStride: outPlane, colStride: 1 }
        : im2colMatrix(x, xOffset, cg, p.axes);
      const outOffset = (n * p.o + g * og) * outPlane;
      sgemm(
        og, outPlane, rows,
        { data: w, offset: g * og * rows, rowStride: rows, colStride: 1 },
        columns,
        out, outOffset, outPlane, false,
        { bias, biasOffset: g * og, biasPerRow: true, residual: z, residualOffset: outOffset, ldr: outPlane, activation: act },
      );
      if ("release" in columns) columns.release();
    }
  }
}

const paddedScratch = new Scratch();

/** An axis's extent once padded: big enough for every window (windows never reach past it). */
function paddedExtent(a: Axis): number {
  return Math.max(a.size + a.padBegin + a.padEnd, (a.out - 1) * a.stride + (a.kernel - 1) * a.dilation + 1);
}

/** The zero-padded input an im2col matrix reads, and how to give its buffer back. */
interface Im2col extends OffsetMatrix {
  release(): void;
}

/**
 * The GEMM's B operand of a convolution, im2col(x) — depth rows (c, kd, kh, kw), one column per
 * output position — as an offset matrix over a zero-padded copy of the input channels: element
 * (p, j) is padded[rowOffsets[p] + colOffsets[j]], so the column matrix is never built.
 *
 * With a horizontal stride S > 1 each padded row is split into S phases (columns ≡ q mod S, for
 * q < S, stored one after the other), so that the inputs of neighbouring output columns are
 * neighbours in memory for every tap, as with stride 1: the GEMM then gathers its panels eight
 * contiguous floats at a time instead of element by element. The copy lives in the tensor arena
 * when there is room (the GEMM reads it in place) and is released after the product.
 */
function im2colMatrix(x: Float32Array, xOffset: number, channels: number, [d, h, w]: readonly [Axis, Axis, Axis]): Im2col {
  const pd = paddedExtent(d);
  const ph = paddedExtent(h);
  const sw = w.stride;
  const pw = Math.ceil(paddedExtent(w) / sw);
  const phaseSize = pd * ph * pw;
  const planeSize = sw * phaseSize;
  const size = channels * planeSize;
  const fromArena = arenaTake(size);
  const padded = fromArena ?? paddedScratch.get(size);
  fillFloats(padded, 0, 0, size);
  for (let c = 0; c < channels; c++) {
    for (let id = 0; id < d.size; id++) {
      const plane = xOffset + (c * d.size + id) * h.size * w.size;
      const first = c * planeSize + ((id + d.padBegin) * ph + h.padBegin) * pw;
      if (sw === 1) {
        // Rows in the module's memory move in one call; others one subarray at a time.
        if (!simdCopyRows(x, plane, w.size, padded, first + w.padBegin, pw, h.size, w.size)) {
          for (let ih = 0; ih < h.size; ih++) padded.set(x.subarray(plane + ih * w.size, plane + (ih + 1) * w.size), first + ih * pw + w.padBegin);
        }
        continue;
      }
      if (simdPhaseRows(x, plane, w.size, padded, first, pw, h.size, w.size, sw, w.padBegin, phaseSize)) continue;
      for (let ih = 0; ih < h.size; ih++) {
        const src = plane + ih * w.size;
        const row = first + ih * pw;
        // Phase q takes the padded columns ≡ q (mod sw): one strided pass per phase, no division per element.
        for (let q = 0; q < sw; q++) {
          const firstCol = w.padBegin + ((q - (w.padBegin % sw) + sw) % sw);
          let to = row + q * phaseSize + (firstCol - q) / sw;
          for (let iw = firstCol - w.padBegin; iw < w.size; iw += sw) padded[to++] = x[src + iw]!;
        }
      }
    }
  }
  const { rowOffsets, colOffsets } = im2colTables(channels, [d, h, w], ph, pw, phaseSize, planeSize);
  return { data: padded, offset: 0, rowOffsets, colOffsets, release: () => fromArena && arenaRelease(fromArena) };
}

/** im2col offset tables by geometry: a model runs the same convolutions on every run. */
const im2colCache = new Map<string, { rowOffsets: Int32Array; colOffsets: Int32Array }>();
/** The same by axes (a planned convolution passes the same axes objects on every run: no key to build). */
const im2colByAxes = new WeakMap<Axis, { channels: number; tables: { rowOffsets: Int32Array; colOffsets: Int32Array } }>();

/** The offset tables of im2colMatrix (see there), cached. */
function im2colTables(channels: number, axes: readonly [Axis, Axis, Axis], ph: number, pw: number, phaseSize: number, planeSize: number): { rowOffsets: Int32Array; colOffsets: Int32Array } {
  const [d, h, w] = axes;
  // Axes objects are read-only once made (see convPlan), so the width axis identifies the geometry with the others.
  const known = im2colByAxes.get(w);
  if (known && known.channels === channels) return known.tables;
  let key = `${channels},${ph},${pw},${phaseSize},${planeSize}`;
  for (const a of [d, h, w]) key += `,${a.kernel},${a.stride},${a.dilation},${a.out}`;
  const cached = im2colCache.get(key);
  if (cached) {
    im2colByAxes.set(w, { channels, tables: cached });
    return cached;
  }
  const sw = w.stride;
  const rowOffsets = new Int32Array(channels * d.kernel * h.kernel * w.kernel);
  for (let c = 0, p = 0; c < channels; c++) {
    for (let kd = 0; kd < d.kernel; kd++) {
      for (let kh = 0; kh < h.kernel; kh++) {
        const base = c * planeSize + (kd * d.dilation * ph + kh * h.dilation) * pw;
        for (let kw = 0; kw < w.kernel; kw++) {
          const tap = kw * w.dilation;
          const q = tap % sw;
          rowOffsets[p++] = base + q * phaseSize + (tap - q) / sw;
        }
      }
    }
  }
  const colOffsets = new Int32Array(d.out * h.out * w.out);
  for (let od = 0, j = 0; od < d.out; od++) {
    for (let oh = 0; oh < h.out; oh++) {
      const base = (od * d.stride * ph + oh * h.stride) * pw;
      for (let ow = 0; ow < w.out; ow++) colOffsets[j++] = base + ow;
    }
  }
  if (im2colCache.size >= 256) im2colCache.clear();
  const tables = { rowOffsets, colOffsets };
  im2colCache.set(key, tables);
  im2colByAxes.set(w, { channels, tables });
  return tables;
}

registerOp({
  op: "Conv",
  domain: "",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: convInfer(inputs.slice(0, 3), attrs, false) }],
  kernel: (inputs, attrs) => [convKernel(inputs, attrs, false)],
});

registerOp({
  op: "FusedConv",
  domain: "com.microsoft",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: convInfer(inputs, attrs, true) }],
  kernel: (inputs, attrs) => [convKernel(inputs, attrs, true)],
});
