/**
 * tfl Conv2D and DepthwiseConv2D (NHWC, filters OHWI and 1HWO, SAME/VALID padding, a fused
 * activation). A 1×1 stride-1 Conv2D is one GEMM of the pixels with the filter; every other
 * convolution runs on the NCHW kernels between transposes.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import { tflActivation } from "./activation.js";
import { convNchw, type ConvCall, type ConvProblem } from "./conv.js";
import { sgemm } from "./gemm.js";
import { attrInt, attrString, checkDimsAgree, checkDType, checkRank, derivedDim, formatShape, need, outputF32, Scratch } from "./util.js";
import { tflAxis, UNIT_AXIS, type Axis } from "./window.js";

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
function tflProblem(x: Tensor, f: Tensor, attrs: Attrs, o: number, group: number): ConvProblem {
  const [h, w] = tflAxes(x, f, attrs);
  return { n: x.shape[0]!, c: x.shape[3]!, o, group, axes: [UNIT_AXIS, h, w] };
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
  const [, h, w] = p.axes;
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
  convThroughNchw({ x: xd, w: transposeFilter(fd, p.o, h.kernel * w.kernel, p.c, true), bias, out: out.data, problem: p, act });
  return out;
}

/** tfl DepthwiseConv2D: the NCHW depthwise kernels between two transposes (see tflConv2dKernel). */
function tflDepthwiseKernel(inputs: readonly (Tensor | undefined)[], attrs: Attrs): Tensor {
  const x = need(inputs, 0, "input");
  const f = need(inputs, 1, "filter");
  const bias = inputs[2]?.data as Float32Array | undefined;
  const o = f.shape[3]!;
  const p = tflProblem(x, f, attrs, o, x.shape[3]!);
  const [, h, w] = p.axes;
  const out = outputF32([p.n, h.out, w.out, o]);
  // [1, KH, KW, O] → [O, 1, KH, KW]
  const filter = transposeFilter(f.data as Float32Array, 1, h.kernel * w.kernel, o, false);
  convThroughNchw({ x: x.data as Float32Array, w: filter, bias, out: out.data, problem: p, act: tflActivation(attrs) });
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
function convThroughNchw(call: ConvCall): void {
  const { x, out, problem: p } = call;
  const [, h, w] = p.axes;
  const hw = h.size * w.size;
  const ohw = h.out * w.out;
  const xNchw = nchwInput.get(p.n * p.c * hw);
  const outNchw = nchwOutput.get(p.n * p.o * ohw);
  for (let n = 0; n < p.n; n++) transpose2d(x, n * hw * p.c, hw, p.c, xNchw, n * p.c * hw);
  convNchw({ ...call, x: xNchw, z: undefined, out: outNchw });
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
