/**
 * Depthwise convolution, NCHW (1-D problems as 2-D with a unit height): plane by plane on the SIMD
 * module's depthwise kernels (3×3 and 5×5, horizontal stride 1 or 2), other shapes on a direct
 * JavaScript loop over the valid output range of each filter tap.
 */
import { applyActivation, type Activation } from "./activation.js";
import type { ConvCall } from "./conv.js";
import { arenaSlack, isImmutable } from "./arena.js";
import { ConstantCopies } from "./constant-copies.js";
import { simdScratch } from "./gemm.js";
import { fillFloats, simdCopyRows } from "./vector.js";
import { simdActivationCode } from "./simd.js";
import { validRange } from "./window.js";

/** Floats the depthwise plane function may read past a padded plane, or write past an output plane. */
const PLANE_SLACK = 64;

/**
 * Depthwise convolution on the SIMD module, one output channel at a time: the input plane is
 * copied into a zero-padded plane in the module's memory (the padding is zeroed once per call:
 * every channel's rows land in the same place), the plane function computes the output plane with
 * the bias and, without a residual, the activation as it stores; with one, `finishRows` adds the
 * residual and applies the activation after. The filters and biases
 * are packed once per call. Tensors in the arena (arena.ts) are read and written where they lie:
 * the input rows are moved by the module in one call per plane, the plane function writes the output plane in place
 * (its spill past a plane lands in the next plane, computed after it, or in the arena buffer's
 * slack after the last one); other tensors go through staging planes. Square 3×3 or 5×5 kernels,
 * horizontal stride 1 or 2 (any vertical stride), no dilation; returns false for anything else
 * (or without SIMD), leaving the work to the JavaScript kernel.
 */
function depthwiseSimd({ x, w: wd, bias, z, out, problem: p, act }: ConvCall): boolean {
  const [, h, w] = p.axes;
  const scratch = simdScratch();
  if (!scratch || h.kernel !== w.kernel || h.dilation !== 1 || w.dilation !== 1) return false;
  const simdAct = simdActivationCode(act.kind);
  // Without a residual the plane function applies the activation as it stores (a residual goes before it).
  const planeAct = z ? 0 : (simdAct ?? 0);
  const plane = scratch.kernels.depthwisePlane(w.kernel, w.stride, planeAct);
  if (!plane) return false;
  const { floats, kernels } = scratch;
  const kk = h.kernel * w.kernel;
  const ohw = h.out * w.out;
  // The padded plane holds every row and column a valid output reads.
  const ph = (h.out - 1) * h.stride + h.kernel;
  const pw = (w.out - 1) * w.stride + w.kernel;
  // Each channel's K² weights, bias and activation parameters, packed at a stride of filterStride floats.
  const filterStride = roundUp4(kk + 3);
  // Constant filters are packed once into the arena; others into the scratch region on every call.
  const cached = cachedFilters(wd, bias, act, p.o, kk, filterStride);
  const weights = cached ? cached.byteOffset >> 2 : scratch.start;
  const params = cached ? scratch.start : weights + p.o * filterStride;
  const padded = params + 4;
  const result = padded + roundUp4(ph * pw + PLANE_SLACK);
  const residual = result + roundUp4(ohw + PLANE_SLACK);
  // Zero row biases for finishing every plane in one call (the plane function added the bias).
  const zeros = residual + roundUp4(ohw + PLANE_SLACK);
  if (zeros + p.n * p.o > scratch.start + scratch.size) return false;
  const outResident = out.buffer === floats.buffer && arenaSlack(out) >= PLANE_SPILL;
  const zResident = z !== undefined && z.buffer === floats.buffer;
  floats[params] = act.a;
  floats[params + 1] = act.b;
  floats[params + 2] = 0; // the bias finishRows adds (the plane function added the real one)
  if (!cached) packFilters(floats, weights, wd, bias, act, p.o, kk, filterStride);

  fillFloats(floats, 0, padded, result);
  // Input rows and columns that land inside the padded plane.
  const rowLo = Math.max(0, -h.padBegin);
  const rowHi = Math.min(h.size, ph - h.padBegin);
  const colLo = Math.max(0, -w.padBegin);
  const colHi = Math.min(w.size, pw - w.padBegin);
  const outBase = outResident ? out.byteOffset >> 2 : 0;
  const zBase = zResident ? z.byteOffset >> 2 : 0;
  // Planes of whole vectors in an arena output are finished together after the loop.
  const batched = outResident && ohw % 4 === 0 && (!z || zResident);
  const mult = p.o / p.c;
  // Input and output in the arena, one filter per channel: the module runs the channel loop too.
  const channelLoop = mult === 1 && outResident && x.buffer === floats.buffer && (!z || batched) ? kernels.depthwiseChannels(w.kernel, w.stride, planeAct) : undefined;
  if (channelLoop) {
    const xBase = x.byteOffset >> 2;
    const firstTo = padded + (rowLo + h.padBegin) * pw + w.padBegin + colLo;
    const inPlane = h.size * w.size;
    for (let n = 0; n < p.n; n++) {
      const src = xBase + n * p.c * inPlane + rowLo * w.size + colLo;
      channelLoop(4 * src, 4 * w.size, 4 * inPlane, rowHi - rowLo, 4 * (colHi - colLo), 4 * firstTo, 4 * padded, 4 * pw, 4 * pw * h.stride, 4 * weights, 4 * filterStride, 4 * (outBase + n * p.o * ohw), 4 * ohw, h.out, w.out, p.c);
    }
    if (z) {
      const rows = p.n * p.o;
      floats.fill(0, zeros, zeros + rows);
      kernels.finishRows(4 * outBase, rows, ohw / 4, 4 * ohw, 4 * zeros, 4 * zBase, simdAct ?? 0, 4 * params);
    }
    if (simdAct === undefined) applyActivation(act, out, 0, p.n * p.o * ohw);
    return true;
  }
  for (let n = 0; n < p.n; n++) {
    for (let o = 0; o < p.o; o++) {
      if (o % mult === 0) {
        const src = (n * p.c + o / mult) * h.size * w.size;
        const firstTo = padded + (rowLo + h.padBegin) * pw + w.padBegin + colLo;
        if (!simdCopyRows(x, src + rowLo * w.size + colLo, w.size, floats, firstTo, pw, rowHi - rowLo, colHi - colLo)) {
          for (let ih = rowLo; ih < rowHi; ih++) {
            const from = src + ih * w.size;
            floats.set(x.subarray(from + colLo, from + colHi), padded + (ih + h.padBegin) * pw + w.padBegin + colLo);
          }
        }
      }
      const dst = (n * p.o + o) * ohw;
      const target = outResident ? outBase + dst : result;
      plane(4 * padded, 4 * pw, 4 * pw * h.stride, 4 * (weights + o * filterStride), 4 * target, h.out, w.out);
      if (batched) continue;
      let residualAt = 0;
      if (z) {
        if (zResident) residualAt = zBase + dst;
        else {
          floats.set(z.subarray(dst, dst + ohw), residual);
          residualAt = residual;
        }
      }
      if (z) kernels.finishRows(4 * target, 1, Math.ceil(ohw / 4), 0, 4 * (params + 2), 4 * residualAt, simdAct ?? 0, 4 * params);
      if (!outResident) out.set(floats.subarray(result, result + ohw), dst);
      if (simdAct === undefined) applyActivation(act, out, dst, dst + ohw);
    }
  }
  if (batched) {
    const rows = p.n * p.o;
    if (z) {
      floats.fill(0, zeros, zeros + rows);
      kernels.finishRows(4 * outBase, rows, ohw / 4, 4 * ohw, 4 * zeros, z ? 4 * zBase : 0, simdAct ?? 0, 4 * params);
    }
    if (simdAct === undefined) applyActivation(act, out, 0, rows * ohw);
  }
  return true;
}

/** Each channel's K² weights, bias and activation parameters a, b into `to` from float `at`, filterStride floats apart. */
function packFilters(to: Float32Array, at: number, wd: Float32Array, bias: Float32Array | undefined, act: Activation, o: number, kk: number, filterStride: number): void {
  for (let c = 0; c < o; c++, at += filterStride) {
    for (let t = 0; t < kk; t++) to[at + t] = wd[c * kk + t]!;
    to[at + kk] = bias ? bias[c]! : 0;
    to[at + kk + 1] = act.a;
    to[at + kk + 2] = act.b;
  }
}

/** What a packed copy of depthwise filters depends on besides the weights. */
interface FilterKey {
  bias: Float32Array | undefined;
  a: number;
  b: number;
  o: number;
  kk: number;
}

/** Packed filters of constant weights (arena buffers), per weight array. */
const packedFilters = new ConstantCopies<FilterKey>((x, y) => x.bias === y.bias && x.a === y.a && x.b === y.b && x.o === y.o && x.kk === y.kk);

/** The filters packed once into the arena when the weights (and bias) are graph constants; undefined otherwise or when the arena is full. */
function cachedFilters(wd: Float32Array, bias: Float32Array | undefined, act: Activation, o: number, kk: number, filterStride: number): Float32Array | undefined {
  if (!isImmutable(wd) || (bias && !isImmutable(bias))) return undefined;
  return packedFilters.get(wd, { bias, a: act.a, b: act.b, o, kk }, o * filterStride, (buf) => packFilters(buf, 0, wd, bias, act, o, kk, filterStride));
}

/** Floats the plane function and finishRows may write past an output plane (up to three lanes). */
const PLANE_SPILL = 3;

function roundUp4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Depthwise convolution (one input channel per group) of a 1-D or 2-D problem (unit depth axis):
 * on the SIMD plane kernels where they apply, else direct, each output plane kept hot.
 */
export function depthwiseNchw(call: ConvCall): void {
  if (depthwiseSimd(call)) return;
  const { x, w: wd, bias, z, out, problem: p, act } = call;
  const [, h, w] = p.axes;
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
