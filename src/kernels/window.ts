/**
 * Window geometry shared by convolutions and pools: the ONNX window attributes (kernel_shape,
 * strides, dilations, pads, auto_pad, ceil_mode) read and checked once, the size and padding of
 * each spatial axis they give, TFLite's SAME/VALID padding, and the range of outputs whose window
 * tap lands inside the input.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError } from "../runtime/registry.js";
import { attrInt, attrInts, attrString, mapDim } from "./util.js";

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

/** An axis of size 1 with a 1-wide window (runs lower-rank ops on the three-axis kernels). */
export const UNIT_AXIS: Axis = { size: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0, out: 1 };

/** The range of outputs [lo, hi) along `a` whose input index `o*stride - padBegin + offset` is in bounds. */
export function validRange(a: Axis, offset: number): [number, number] {
  const shift = a.padBegin - offset;
  const lo = Math.max(0, Math.ceil(shift / a.stride));
  const hi = Math.min(a.out, Math.floor((a.size - 1 + shift) / a.stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * The spatial axes of a 1-, 2- or 3-D window op as three (depth, height, width), unit axes in
 * front: the kernels are written once for three axes, and a lower rank costs a loop of one.
 */
export function asThreeAxes<A>(axes: readonly A[], unit: A): [A, A, A] {
  if (axes.length < 1 || axes.length > 3) throw new OpError(`${axes.length} spatial axes, expected 1, 2 or 3`);
  const padded = [...new Array<A>(3 - axes.length).fill(unit), ...axes];
  return [padded[0]!, padded[1]!, padded[2]!];
}
