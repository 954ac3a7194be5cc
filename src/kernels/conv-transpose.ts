/**
 * ONNX ConvTranspose over 1-, 2- and 3-D inputs: groups, strides, dilations, pads, output_padding,
 * output_shape and auto_pad as the ONNX spec and onnxruntime define them. The product runs on the
 * GEMM into a reused column buffer, scattered into the output.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import { arenaRelease, arenaTake } from "./arena.js";
import { sgemm } from "./gemm.js";
import { attrInt, attrInts, attrString, checkDimsAgree, checkDType, checkRank, derivedDim, hasAttr, mapDim, need, outputUninit, Scratch } from "./util.js";
import { asThreeAxes } from "./window.js";
import { fillFloats, simdBinaryRows, simdScatterAdd } from "./vector.js";

/** One spatial axis of a transposed convolution (its input size, window and output size). */
interface TransposeAxis {
  size: number;
  kernel: number;
  stride: number;
  dilation: number;
  padBegin: number;
  out: number;
}

const UNIT_TRANSPOSE_AXIS: TransposeAxis = { size: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, out: 1 };

const colScratch = new Scratch();

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
  if (x.shape.length < 3 || x.shape.length > 5) throw new OpError(`input X has rank ${x.shape.length}, expected 3, 4 or 5`);
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

/**
 * ConvTranspose: per image and group, col[og·kernel, in] = W_gᵀ · X_g on the GEMM, then each
 * column scatter-added into the output (col2im), over three spatial axes (unit ones in front).
 */
function convTransposeKernel(inputs: readonly (Tensor | undefined)[], attrs: Attrs): Tensor {
  const x = need(inputs, 0, "X");
  const w = need(inputs, 1, "W");
  const bias = inputs[2]?.data as Float32Array | undefined;
  const group = attrInt(attrs, "group", 1);
  const axes = convTransposeAxes(x.shape.slice(2), w.shape.slice(2), attrs);
  const [d, h, wa] = asThreeAxes(axes, UNIT_TRANSPOSE_AXIS);
  const [n, c] = x.shape as [number, number];
  const cg = c / group;
  const og = w.shape[1]!;
  const o = og * group;
  const kernelSize = d.kernel * h.kernel * wa.kernel;
  const inPlane = d.size * h.size * wa.size;
  const outPlane = d.out * h.out * wa.out;
  const out = outputUninit("float32", [n, o, ...axes.map((a) => a.out)]);
  fillFloats(out.data as Float32Array, 0, 0, out.data.length);
  const od = out.data as Float32Array;
  const xd = x.data as Float32Array;
  const wd = w.data as Float32Array;
  const rows = og * kernelSize;
  // The column matrix lives in the arena when there is room (the GEMM writes it in place).
  const fromArena = arenaTake(rows * inPlane);
  const col = fromArena ?? colScratch.get(rows * inPlane);
  // Per kernel column, the input columns whose output column is inside the output.
  const wRanges = Array.from({ length: wa.kernel }, (_, kw) => inRange(wa, kw));
  // Column blocks added in the SIMD module when both buffers live in its memory; the bias per plane too.
  const scatter = simdScatterAdd(col, od);
  const biasRows = bias !== undefined && n === 1 && simdBinaryRows("add", od, bias, od, o, outPlane, false);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < group; g++) {
      sgemm(
        rows, inPlane, cg,
        { data: wd, offset: g * cg * rows, rowStride: 1, colStride: rows },
        { data: xd, offset: (b * c + g * cg) * inPlane, rowStride: inPlane, colStride: 1 },
        col, 0, inPlane, false,
      );
      for (let oc = 0; oc < og; oc++) {
        const plane = (b * o + g * og + oc) * outPlane;
        let src = oc * kernelSize * inPlane;
        for (let kd = 0; kd < d.kernel; kd++) {
          for (let kh = 0; kh < h.kernel; kh++) {
            for (let kw = 0; kw < wa.kernel; kw++, src += inPlane) {
              for (let id = 0; id < d.size; id++) {
                const odep = id * d.stride - d.padBegin + kd * d.dilation;
                if (odep < 0 || odep >= d.out) continue;
                if (scatter) {
                  // The input rows whose output row is inside the output, in one call.
                  const [ihLo, ihHi] = inRange(h, kh);
                  const [lo, hi] = wRanges[kw]!;
                  if (ihLo >= ihHi || lo >= hi) continue;
                  const oh = ihLo * h.stride - h.padBegin + kh * h.dilation;
                  const to = plane + (odep * h.out + oh) * wa.out + lo * wa.stride + kw * wa.dilation - wa.padBegin;
                  scatter(src + (id * h.size + ihLo) * wa.size + lo, wa.size, to, h.stride * wa.out, ihHi - ihLo, hi - lo, wa.stride);
                  continue;
                }
                for (let ih = 0; ih < h.size; ih++) {
                  const oh = ih * h.stride - h.padBegin + kh * h.dilation;
                  if (oh < 0 || oh >= h.out) continue;
                  const row = plane + (odep * h.out + oh) * wa.out;
                  const from = src + (id * h.size + ih) * wa.size;
                  // Output column ow = iw·stride + shift, inside the output for iw in [lo, hi).
                  const [lo, hi] = wRanges[kw]!;
                  const shift = kw * wa.dilation - wa.padBegin;
                  const step = wa.stride;
                  for (let iw = lo, at = row + lo * step + shift; iw < hi; iw++, at += step) od[at] += col[from + iw]!;
                }
              }
            }
          }
        }
        if (bias && !biasRows) {
          const v = bias[g * og + oc]!;
          for (let i = plane; i < plane + outPlane; i++) od[i] += v;
        }
      }
    }
  }
  if (fromArena) arenaRelease(fromArena);
  return out;
}

/** The input positions i (as [lo, hi)) whose output position i·stride − padBegin + k·dilation lies in [0, out). */
function inRange(a: { size: number; stride: number; padBegin: number; dilation: number; out: number }, k: number): [number, number] {
  const shift = k * a.dilation - a.padBegin;
  const lo = Math.max(0, Math.ceil(-shift / a.stride));
  const hi = Math.min(a.size, Math.floor((a.out - 1 - shift) / a.stride) + 1);
  return [lo, Math.max(lo, hi)];
}

registerOp({
  op: "ConvTranspose",
  domain: "",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: convTransposeInfer(inputs, attrs) }],
  kernel: (inputs, attrs) => [convTransposeKernel(inputs, attrs)],
});
