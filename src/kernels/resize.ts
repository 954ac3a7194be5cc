/**
 * Resize: nearest (every nearest_mode) and linear interpolation over any axes, with the
 * coordinate transformations half_pixel, pytorch_half_pixel, half_pixel_symmetric,
 * align_corners, asymmetric and tf_half_pixel_for_nn. Both modes are separable: per axis, a
 * table of source indices and weights is computed once; an image resize (the last two axes)
 * runs plane by plane with row reuse, any other resize resamples one axis at a time.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import { numel, type Tensor } from "../runtime/tensor.js";
import { attrFloat, attrInts, attrString, checkDType, constNumbers, derivedDim, hasAttr, need, normAxis, outputF32, Scratch, tensorNumbers, unknownDim } from "./util.js";
import { simdNearestUp2 } from "./vector.js";

const MODES = ["nearest", "linear"];
const TRANSFORMS = ["half_pixel", "pytorch_half_pixel", "half_pixel_symmetric", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"];
const NEAREST_MODES = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"];

function checkAttrs(attrs: Attrs): void {
  const mode = attrString(attrs, "mode", "nearest");
  if (!MODES.includes(mode)) throw new OpError(`Resize mode "${mode}" is not supported (nearest, linear are)`);
  const transform = attrString(attrs, "coordinate_transformation_mode", "half_pixel");
  if (!TRANSFORMS.includes(transform)) throw new OpError(`coordinate_transformation_mode "${transform}" is not supported`);
  const nearest = attrString(attrs, "nearest_mode", "round_prefer_floor");
  if (!NEAREST_MODES.includes(nearest)) throw new OpError(`unknown nearest_mode "${nearest}"`);
  if (attrString(attrs, "keep_aspect_ratio_policy", "stretch") !== "stretch") throw new OpError("keep_aspect_ratio_policy other than stretch is not supported");
}

/** Per-axis output sizes and scales from `scales` or `sizes` (restricted to `axes` when given). */
function resizePlan(shape: readonly number[], scales: number[] | undefined, sizes: number[] | undefined, attrs: Attrs): { out: number[]; scale: number[] } {
  const rank = shape.length;
  const axes = hasAttr(attrs, "axes") ? attrInts(attrs, "axes").map((a) => normAxis(a, rank, "axes entry")) : Array.from({ length: rank }, (_, i) => i);
  const out = [...shape];
  const scale = new Array<number>(rank).fill(1);
  if (sizes && sizes.length > 0) {
    if (sizes.length !== axes.length) throw new OpError(`sizes has ${sizes.length} entries, expected ${axes.length}`);
    axes.forEach((a, k) => {
      out[a] = sizes[k]!;
      scale[a] = sizes[k]! / shape[a]!;
    });
  } else if (scales && scales.length > 0) {
    if (scales.length !== axes.length) throw new OpError(`scales has ${scales.length} entries, expected ${axes.length}`);
    axes.forEach((a, k) => {
      if (!(scales[k]! > 0)) throw new OpError(`scale ${scales[k]} must be positive`);
      scale[a] = scales[k]!;
      out[a] = Math.floor(shape[a]! * scales[k]!);
    });
  } else throw new OpError("Resize needs scales or sizes");
  return { out, scale };
}

function operandNumbers(info: ValueInfo | undefined): number[] | undefined | "unknown" {
  if (!info) return undefined;
  if (info.shape && info.shape.length === 1 && info.shape[0] === 0) return undefined;
  return constNumbers(info) ?? "unknown";
}

registerOp({
  op: "Resize",
  domain: "",
  infer: (inputs, attrs) => {
    checkAttrs(attrs);
    const x = need(inputs, 0, "X");
    checkDType(x.dtype, ["float32"], "X");
    if (inputs[2]) checkDType(inputs[2].dtype, ["float32"], "scales");
    if (inputs[3]) checkDType(inputs[3].dtype, ["int64"], "sizes");
    // opset 10 has (X, scales); opset 11+ has (X, roi, scales, sizes).
    const scales = operandNumbers(inputs.length === 2 ? inputs[1] : inputs[2]);
    const sizes = operandNumbers(inputs[3]);
    if (scales === undefined && sizes === undefined) throw new OpError("Resize needs scales or sizes");
    if (!x.shape) return [{ dtype: "float32", shape: undefined }];
    if (scales === "unknown" || sizes === "unknown" || !x.shape.every((d) => typeof d === "number")) {
      if (sizes !== undefined && sizes !== "unknown" && !hasAttr(attrs, "axes")) return [{ dtype: "float32", shape: sizes }];
      return [{ dtype: "float32", shape: x.shape.map((d, i) => (scales === "unknown" || scales === undefined ? unknownDim() : scales[i] === 1 ? d : derivedDim("resize", d, scales[i], attrs))) as Dim[] }];
    }
    return [{ dtype: "float32", shape: resizePlan(x.shape as number[], scales, sizes, attrs).out }];
  },
  kernel: (inputs, given) => {
    checkAttrs(given);
    const attrs = inputs.length === 2 ? opset10Attrs(given) : given;
    const x = need(inputs, 0, "X");
    const scalesT = inputs.length === 2 ? inputs[1] : inputs[2];
    const scales = scalesT && scalesT.data.length > 0 ? tensorNumbers(scalesT) : undefined;
    const sizes = inputs[3] && inputs[3].data.length > 0 ? tensorNumbers(inputs[3]) : undefined;
    const plan = resizePlan(x.shape, scales, sizes, attrs);
    const rank = x.shape.length;
    const crop = attrString(attrs, "coordinate_transformation_mode", "half_pixel") === "tf_crop_and_resize";
    const roi = crop ? cropRegions(inputs[1], rank, attrs) : undefined;
    const resized = (axis: number) => plan.out[axis] !== x.shape[axis] || plan.scale[axis] !== 1;
    if (!crop && rank >= 2 && x.shape.every((_, axis) => axis >= rank - 2 || !resized(axis))) return [resizeLastTwoAxes(x, plan.out, plan.scale, attrs)];
    // One axis at a time (axes at scale 1 untouched, as onnxruntime, even with a crop region);
    // an output outside a crop region is the extrapolation value along its axis, and stays so
    // through the later axes (every weight set sums to 1).
    let current: Tensor = x;
    for (let axis = 0; axis < rank; axis++) {
      if (resized(axis)) current = resampleAxis(current, axis, plan.out[axis]!, plan.scale[axis]!, attrs, roi?.[axis]);
    }
    return [current];
  },
});

/**
 * Internal nearest_mode of the opset-10 form (as onnxruntime runs it): the source index is
 * floored along axes that grow and ceiled along axes that shrink.
 */
const OPSET10_NEAREST = "opset10";

/**
 * The two-input form (X, scales) is Resize-10, which has neither coordinate_transformation_mode
 * nor nearest_mode: it samples at o / scale ("asymmetric"), like Upsample.
 */
function opset10Attrs(attrs: Attrs): Attrs {
  return {
    ...attrs,
    coordinate_transformation_mode: { type: "string", value: "asymmetric" },
    nearest_mode: { type: "string", value: OPSET10_NEAREST },
  };
}

/** Per axis, the [start, end] of tf_crop_and_resize's region of interest (normalised). */
function cropRegions(roi: Tensor | undefined, rank: number, attrs: Attrs): [number, number][] {
  const axes = hasAttr(attrs, "axes") ? attrInts(attrs, "axes").map((a) => normAxis(a, rank, "axes entry")) : Array.from({ length: rank }, (_, i) => i);
  const values = roi && roi.data.length > 0 ? tensorNumbers(roi) : undefined;
  if (!values || values.length !== 2 * axes.length) throw new OpError(`tf_crop_and_resize needs roi with ${2 * axes.length} entries (starts, then ends)`);
  const regions = Array.from({ length: rank }, (): [number, number] => [0, 1]);
  axes.forEach((a, k) => (regions[a] = [values[k]!, values[k + axes.length]!]));
  return regions;
}

/** Source coordinate of output index `o` along an axis (ONNX coordinate_transformation_mode). */
function sourceCoordinate(transform: string, o: number, scale: number, inSize: number, outSize: number, roi: readonly [number, number] = [0, 1]): number {
  switch (transform) {
    case "tf_crop_and_resize": {
      const [start, end] = roi;
      return outSize > 1 ? start * (inSize - 1) + (o * (end - start) * (inSize - 1)) / (outSize - 1) : 0.5 * (start + end) * (inSize - 1);
    }
    case "half_pixel":
      return (o + 0.5) / scale - 0.5;
    case "pytorch_half_pixel":
      return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case "half_pixel_symmetric": {
      const adjustment = outSize / (scale * inSize);
      const offset = (inSize / 2) * (1 - adjustment);
      return offset + (o + 0.5) / scale - 0.5;
    }
    case "align_corners":
      return outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1);
    case "asymmetric":
      return o / scale;
    default:
      return (o + 0.5) / scale;
  }
}

function nearestIndex(mode: string, x: number, inSize: number): number {
  let i: number;
  switch (mode) {
    case "round_prefer_floor":
      i = x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x);
      break;
    case "round_prefer_ceil":
      i = Math.round(x);
      break;
    case "floor":
      i = Math.floor(x);
      break;
    default:
      i = Math.ceil(x);
  }
  return Math.min(Math.max(i, 0), inSize - 1);
}

/** Per output index along one axis: the two source indices and the weight of the second. */
interface AxisTable {
  lo: Int32Array;
  hi: Int32Array;
  weight: Float32Array;
  /** Outputs outside the input (tf_crop_and_resize): they take the extrapolation value. */
  outside?: Uint8Array;
}

function axisTable(inSize: number, outSize: number, scale: number, attrs: Attrs, roi?: readonly [number, number]): AxisTable {
  const mode = attrString(attrs, "mode", "nearest");
  const transform = attrString(attrs, "coordinate_transformation_mode", "half_pixel");
  const givenNearest = attrString(attrs, "nearest_mode", "round_prefer_floor");
  const nearestMode = givenNearest === OPSET10_NEAREST ? (scale < 1 ? "ceil" : "floor") : givenNearest;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const weight = new Float32Array(outSize);
  // An axis kept at scale 1 is not resampled at all (as onnxruntime), whatever the transform.
  const identity = outSize === inSize && scale === 1;
  const outside = roi ? new Uint8Array(outSize) : undefined;
  for (let o = 0; o < outSize; o++) {
    if (identity) {
      lo[o] = hi[o] = o;
      continue;
    }
    const c = sourceCoordinate(transform, o, scale, inSize, outSize, roi);
    if (outside && (c < 0 || c > inSize - 1)) outside[o] = 1;
    if (mode === "nearest") {
      lo[o] = hi[o] = nearestIndex(nearestMode, c, inSize);
    } else {
      const clamped = Math.min(Math.max(c, 0), inSize - 1);
      lo[o] = Math.floor(clamped);
      hi[o] = Math.min(lo[o]! + 1, inSize - 1);
      weight[o] = clamped - lo[o]!;
    }
  }
  return { lo, hi, weight, outside };
}

/** Resamples one axis of `x` to `outSize` (the general path: any axis, one at a time). */
function resampleAxis(x: Tensor, axis: number, outSize: number, scale: number, attrs: Attrs, roi?: readonly [number, number]): Tensor {
  const inSize = x.shape[axis]!;
  const outer = numel(x.shape.slice(0, axis));
  const inner = numel(x.shape.slice(axis + 1));
  const shape = x.shape.map((d, i) => (i === axis ? outSize : d));
  const out = outputF32(shape);
  const src = x.data as Float32Array;
  const dst = out.data;
  const { lo, hi, weight, outside } = axisTable(inSize, outSize, scale, attrs, roi);
  const extrapolation = attrFloat(attrs, "extrapolation_value", 0);
  for (let b = 0; b < outer; b++) {
    const srcBase = b * inSize * inner;
    const dstBase = b * outSize * inner;
    for (let o = 0; o < outSize; o++) {
      const l = srcBase + lo[o]! * inner;
      const h = srcBase + hi[o]! * inner;
      const w = weight[o]!;
      const d = dstBase + o * inner;
      if (outside?.[o]) dst.fill(extrapolation, d, d + inner);
      else if (w === 0) dst.set(src.subarray(l, l + inner), d);
      else for (let k = 0; k < inner; k++) dst[d + k] = src[l + k]! * (1 - w) + src[h + k]! * w;
    }
  }
  return out;
}

/** Horizontal interpolation rows kept between output rows (linear mode); grows as needed. */
const rowScratch = new Scratch();

/**
 * Resize of the last two axes only (an NCHW image's H and W), plane by plane. Nearest: each
 * output row gathers through the column table, and repeats of a source row are copied whole.
 * Linear: each needed source row is interpolated horizontally once, kept while consecutive
 * output rows read it, and output rows blend two of those.
 */
/** Whether index[o] = ⌊o/2⌋ for every o (nearest 2× upsampling of an axis). */
function isHalving(index: Int32Array): boolean {
  for (let o = 0; o < index.length; o++) if (index[o] !== o >> 1) return false;
  return true;
}

function resizeLastTwoAxes(x: Tensor, outShape: readonly number[], scale: readonly number[], attrs: Attrs): Tensor {
  const rank = x.shape.length;
  const [inH, inW] = [x.shape[rank - 2]!, x.shape[rank - 1]!];
  const [outH, outW] = [outShape[rank - 2]!, outShape[rank - 1]!];
  const out = outputF32(outShape);
  const planes = numel(x.shape.slice(0, rank - 2));
  if (out.data.length === 0) return out;
  const rows = axisTable(inH, outH, scale[rank - 2]!, attrs);
  const cols = axisTable(inW, outW, scale[rank - 1]!, attrs);
  const src = x.data as Float32Array;
  const dst = out.data;
  if (attrString(attrs, "mode", "nearest") === "nearest") {
    const colIndex = cols.lo;
    if (outH === 2 * inH && outW === 2 * inW && isHalving(rows.lo) && isHalving(colIndex) && simdNearestUp2(src, dst, planes * inH, inW)) return out;
    for (let p = 0; p < planes; p++) {
      const srcPlane = p * inH * inW;
      const dstPlane = p * outH * outW;
      for (let oh = 0; oh < outH; oh++) {
        const d = dstPlane + oh * outW;
        if (oh > 0 && rows.lo[oh] === rows.lo[oh - 1]) {
          dst.copyWithin(d, d - outW, d);
          continue;
        }
        const s = srcPlane + rows.lo[oh]! * inW;
        for (let ow = 0; ow < outW; ow++) dst[d + ow] = src[s + colIndex[ow]!]!;
      }
    }
    return out;
  }
  // Two horizontally interpolated rows: `upper` holds source row upperRow, `lower` lowerRow.
  const scratch = rowScratch.get(2 * outW);
  let upper = scratch.subarray(0, outW);
  let lower = scratch.subarray(outW, 2 * outW);
  for (let p = 0; p < planes; p++) {
    const srcPlane = p * inH * inW;
    const dstPlane = p * outH * outW;
    let upperRow = -1;
    let lowerRow = -1;
    for (let oh = 0; oh < outH; oh++) {
      const r0 = rows.lo[oh]!;
      const r1 = rows.hi[oh]!;
      if (r0 !== upperRow) {
        if (r0 === lowerRow) {
          const t = upper;
          upper = lower;
          lower = t;
          lowerRow = -1;
        } else interpolateRow(src, srcPlane + r0 * inW, cols, upper);
        upperRow = r0;
      }
      const w = rows.weight[oh]!;
      if (w !== 0 && r1 !== lowerRow) {
        interpolateRow(src, srcPlane + r1 * inW, cols, lower);
        lowerRow = r1;
      }
      const d = dstPlane + oh * outW;
      if (w === 0) dst.set(upper, d);
      else {
        const v = 1 - w;
        for (let ow = 0; ow < outW; ow++) dst[d + ow] = upper[ow]! * v + lower[ow]! * w;
      }
    }
  }
  return out;
}

/** into[ow] = the source row starting at `rowStart` interpolated at the column table's points. */
function interpolateRow(src: Float32Array, rowStart: number, cols: AxisTable, into: Float32Array): void {
  const { lo, hi, weight } = cols;
  for (let ow = 0; ow < into.length; ow++) {
    const w = weight[ow]!;
    into[ow] = src[rowStart + lo[ow]!]! * (1 - w) + src[rowStart + hi[ow]!]! * w;
  }
}
