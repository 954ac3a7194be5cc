/**
 * Shape and data-movement ops: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split,
 * Slice, Gather, Pad, Shape, ConstantOfShape, Cast, Identity, Dropout (inference),
 * Constant and tfl Reshape. Shape functions read constant operands (shape, axes, pads, …) from
 * ValueInfo and give unknown dims when those operands are not constant. Ops that only relabel
 * the shape return a view on the input's buffer.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type OutputInfo, type ValueInfo } from "../runtime/registry.js";
import { ALL_DTYPES, convertInto, dtypeOfOnnx, isBigInt, numel, roundToHalf, strides, type DType, type Tensor } from "../runtime/tensor.js";
import { isImmutable } from "./arena.js";
import { fillFloats, simdCopyRows, simdGather2d } from "./vector.js";
import {
  attrFloat,
  attrFloats,
  attrInt,
  attrInts,
  attrString,
  checkDimsAgree,
  checkDType,
  constNumbers,
  formatShape,
  hasAttr,
  knownShape,
  need,
  normAxis,
  outputUninit,
  reshaped,
  tensorNumbers,
  derivedDim,
  unknownDim,
} from "./util.js";

const INT64_MAX = 9223372036854775807;
const INDEX_TYPES: readonly DType[] = ["int64", "int32"];

function anyInput(inputs: readonly (ValueInfo | undefined)[], i: number, name: string): ValueInfo {
  return need(inputs, i, name);
}

function unknownShape(rank: number): Dim[] {
  return Array.from({ length: rank }, () => unknownDim());
}

// ── Reshape ───────────────────────────────────────────────────────────────────────────────

/** Resolves a Reshape target (0 = copy, -1 = infer) against the input shape. */
function reshapeTarget(input: readonly Dim[], target: readonly number[], allowZero: boolean): Dim[] {
  const out: Dim[] = target.map((t, i) => {
    if (t === 0 && !allowZero) {
      if (i >= input.length) throw new OpError(`shape entry ${i} is 0 but the input has rank ${input.length}`);
      return input[i]!;
    }
    if (t < -1) throw new OpError(`shape entry ${t} is invalid`);
    return t;
  });
  const inferred = out.indexOf(-1);
  if (out.lastIndexOf(-1) !== inferred) throw new OpError("shape has more than one -1");
  // Dims copied by 0 cancel on both sides, so symbolic copied dims do not block inferring -1.
  const copied = (i: number): boolean => target[i] === 0 && !allowZero;
  const inputRest = input.filter((_, i) => !copied(i));
  const total = knownShape(inputRest) ? numel(inputRest as number[]) : undefined;
  const rest = out.filter((_, i) => i !== inferred && !copied(i));
  const restKnown = rest.every((d) => typeof d === "number");
  if (inferred >= 0) {
    if (total !== undefined && restKnown) {
      const p = numel(rest as number[]);
      if (p === 0 || total % p !== 0) throw new OpError(`cannot reshape ${formatShape(input)} to [${target.join(", ")}]`);
      out[inferred] = total / p;
    } else out[inferred] = derivedDim("reshape", input, target, inferred);
  } else if (total !== undefined && restKnown && numel(rest as number[]) !== total) {
    throw new OpError(`cannot reshape ${formatShape(input)} to ${formatShape(out)}: element counts differ`);
  }
  return out;
}

function reshapeInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs, dataName: string): OutputInfo[] {
  const x = anyInput(inputs, 0, dataName);
  const s = need(inputs, 1, "shape");
  checkDType(s.dtype, INDEX_TYPES, "shape");
  const target = constNumbers(s);
  if (!target) {
    const len = s.shape?.length === 1 && typeof s.shape[0] === "number" ? s.shape[0] : undefined;
    return [{ dtype: x.dtype, shape: len === undefined ? undefined : unknownShape(len) }];
  }
  if (!x.shape) return [{ dtype: x.dtype, shape: target.some((t) => t <= 0) ? undefined : target }];
  return [{ dtype: x.dtype, shape: reshapeTarget(x.shape, target, attrInt(attrs, "allowzero", 0) !== 0) }];
}

/** The numbers of constant shape tensors (int64 as BigInt: converting them on every run costs microseconds). */
const constantShapes = new WeakMap<object, number[]>();

function reshapeKernel(inputs: readonly (Tensor | undefined)[], attrs: Attrs, dataName: string): Tensor[] {
  const x = need(inputs, 0, dataName);
  const shape = need(inputs, 1, "shape");
  let target = constantShapes.get(shape.data);
  if (!target) {
    target = tensorNumbers(shape);
    if (isImmutable(shape.data)) constantShapes.set(shape.data, target);
  }
  return [reshaped(x, reshapeTarget(x.shape, target, attrInt(attrs, "allowzero", 0) !== 0) as number[])];
}

registerOp({
  op: "Reshape",
  domain: "",
  infer: (inputs, attrs) => reshapeInfer(inputs, attrs, "data"),
  kernel: (inputs, attrs) => reshapeKernel(inputs, attrs, "data"),
});

registerOp({
  op: "Reshape",
  domain: "tfl",
  infer: (inputs) => reshapeInfer(inputs, {}, "input"),
  kernel: (inputs) => reshapeKernel(inputs, {}, "input"),
});

// ── Flatten / Squeeze / Unsqueeze ─────────────────────────────────────────────────────────

function product(dims: readonly Dim[]): Dim {
  return dims.every((d) => typeof d === "number") ? numel(dims as number[]) : dims.length === 1 ? dims[0]! : derivedDim("product", dims);
}

function flattenShape(shape: readonly Dim[], attrs: Attrs): Dim[] {
  const axisAttr = attrInt(attrs, "axis", 1);
  const axis = axisAttr < 0 ? axisAttr + shape.length : axisAttr;
  if (axis < 0 || axis > shape.length) throw new OpError(`axis ${axisAttr} is out of range for rank ${shape.length}`);
  return [axis === 0 ? 1 : product(shape.slice(0, axis)), axis === shape.length ? 1 : product(shape.slice(axis))];
}

registerOp({
  op: "Flatten",
  domain: "",
  infer: (inputs, attrs) => {
    const x = anyInput(inputs, 0, "input");
    return [{ dtype: x.dtype, shape: x.shape ? flattenShape(x.shape, attrs) : undefined }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    return [reshaped(x, flattenShape(x.shape, attrs) as number[])];
  },
});

/** Squeeze/Unsqueeze axes: the `axes` input (opset 13+) or attribute (earlier). */
function axesOperand(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs): number[] | undefined | "unknown" {
  const a = inputs[1];
  if (a) {
    checkDType(a.dtype, ["int64"], "axes");
    return constNumbers(a) ?? "unknown";
  }
  return hasAttr(attrs, "axes") ? attrInts(attrs, "axes") : undefined;
}

function squeezeShape(shape: readonly Dim[], axes: number[] | undefined): Dim[] {
  if (axes === undefined) {
    if (shape.some((d) => typeof d === "string")) throw new OpError("Squeeze without axes needs a fully known shape");
    return shape.filter((d) => d !== 1);
  }
  const norm = axes.map((a) => normAxis(a, shape.length, "axes entry"));
  for (const a of norm) {
    if (typeof shape[a] === "number" && shape[a] !== 1) throw new OpError(`cannot squeeze axis ${a} of size ${shape[a]}`);
  }
  return shape.filter((_, i) => !norm.includes(i));
}

function unsqueezeShape(shape: readonly Dim[], axes: number[] | undefined): Dim[] {
  if (axes === undefined) throw new OpError("missing required input axes");
  const rank = shape.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, "axes entry"));
  if (new Set(norm).size !== norm.length) throw new OpError("axes has duplicate entries");
  const out: Dim[] = [];
  let src = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : shape[src++]!);
  return out;
}

for (const [op, f] of [["Squeeze", squeezeShape], ["Unsqueeze", unsqueezeShape]] as const) {
  registerOp({
    op,
    domain: "",
    infer: (inputs, attrs) => {
      const x = anyInput(inputs, 0, "data");
      const axes = axesOperand(inputs, attrs);
      if (!x.shape || axes === "unknown") return [{ dtype: x.dtype, shape: undefined }];
      return [{ dtype: x.dtype, shape: f(x.shape, axes) }];
    },
    kernel: (inputs, attrs) => {
      const x = need(inputs, 0, "data");
      const axes = inputs[1] ? tensorNumbers(inputs[1]) : hasAttr(attrs, "axes") ? attrInts(attrs, "axes") : undefined;
      return [reshaped(x, f(x.shape, axes) as number[])];
    },
  });
}

// ── Transpose ─────────────────────────────────────────────────────────────────────────────

function permutation(attrs: Attrs, rank: number): number[] {
  const perm = attrInts(attrs, "perm", Array.from({ length: rank }, (_, i) => rank - 1 - i));
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new OpError(`perm [${perm.join(", ")}] is not a permutation of ${rank} axes`);
  }
  return perm;
}

registerOp({
  op: "Transpose",
  domain: "",
  infer: (inputs, attrs) => {
    const x = anyInput(inputs, 0, "data");
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    return [{ dtype: x.dtype, shape: permutation(attrs, x.shape.length).map((p) => x.shape![p]!) }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "data");
    const perm = permutation(attrs, x.shape.length);
    const inStrides = strides(x.shape);
    return [gatherStrided(x, perm.map((p) => x.shape[p]!), 0, perm.map((p) => inStrides[p]!))];
  },
});

/**
 * out[i…] = x.data[offset + Σ i_d·stride_d] over `shape` (an odometer with a tight inner loop).
 * Size-1 dims are dropped and dims that step through the source as one are merged first, so
 * that the inner loop runs as long as it can (a whole slice of rows, a transposed plane).
 */
export function gatherStrided(x: Tensor, outShape: readonly number[], offset: number, sourceStrides: readonly number[]): Tensor {
  const out = outputUninit(x.dtype, outShape);
  const total = out.data.length;
  if (total === 0) return out;
  const src = x.data as Float32Array;
  const dst = out.data as Float32Array;
  const shape: number[] = [];
  const srcStrides: number[] = [];
  outShape.forEach((size, d) => {
    if (size === 1) return;
    const last = shape.length - 1;
    if (last >= 0 && srcStrides[last] === sourceStrides[d]! * size) {
      shape[last]! *= size;
      srcStrides[last] = sourceStrides[d]!;
    } else {
      shape.push(size);
      srcStrides.push(sourceStrides[d]!);
    }
  });
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[offset]!;
    return out;
  }
  const inner = shape[rank - 1]!;
  const innerStride = srcStrides[rank - 1]!;
  // A strided plane (a transposed matrix) of floats in the kernel memory: the module gathers it.
  if (rank <= 2 && innerStride !== 1 && src instanceof Float32Array && dst instanceof Float32Array) {
    if (simdGather2d(src, offset, rank === 2 ? srcStrides[0]! : 0, innerStride, dst, rank === 2 ? shape[0]! : 1, inner)) return out;
  }
  // Contiguous runs: one copy for a single run; rows of a plane by the module (floats in the
  // kernel memory: a slice of channels, attention heads split or merged), one plane per call.
  if (innerStride === 1 && rank === 1 && ArrayBuffer.isView(src)) {
    (dst as Float32Array).set((src as Float32Array).subarray(offset, offset + inner));
    return out;
  }
  // (An empty copy tells whether the module can: both arrays in its memory.)
  const rowsByModule = innerStride === 1 && src instanceof Float32Array && dst instanceof Float32Array && simdCopyRows(src, 0, 0, dst, 0, 0, 0, 0);
  const planeRows = rowsByModule ? shape[rank - 2]! : 1;
  const step = inner * planeRows;
  const last = rowsByModule ? rank - 3 : rank - 2;
  const index = new Array<number>(rank).fill(0);
  let base = offset;
  for (let o = 0; o < total; o += step) {
    if (rowsByModule) simdCopyRows(src as Float32Array, base, srcStrides[rank - 2]!, dst as Float32Array, o, inner, planeRows, inner);
    else if (innerStride === 1) for (let i = 0; i < inner; i++) dst[o + i] = src[base + i]!;
    else for (let i = 0; i < inner; i++) dst[o + i] = src[base + i * innerStride]!;
    for (let d = last; d >= 0; d--) {
      index[d]!++;
      base += srcStrides[d]!;
      if (index[d]! < shape[d]!) break;
      base -= srcStrides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

// ── Concat / Split ────────────────────────────────────────────────────────────────────────

registerOp({
  op: "Concat",
  domain: "",
  infer: (inputs, attrs) => {
    if (inputs.length === 0) throw new OpError("Concat needs at least one input");
    const infos = inputs.map((_, i) => anyInput(inputs, i, `inputs[${i}]`));
    const dtype = infos[0]!.dtype;
    infos.forEach((info, i) => {
      if (info.dtype && dtype && info.dtype !== dtype) throw new OpError(`input inputs[${i}] has dtype ${info.dtype}, expected ${dtype}`);
    });
    const shapes = infos.map((i) => i.shape);
    if (shapes.some((s) => !s)) return [{ dtype, shape: undefined }];
    const rank = shapes[0]!.length;
    const axis = normAxis(attrInt(attrs, "axis"), rank);
    const out = [...shapes[0]!];
    let sum: Dim = 0;
    shapes.forEach((s, k) => {
      if (s!.length !== rank) throw new OpError(`input inputs[${k}] has rank ${s!.length}, expected ${rank}`);
      s!.forEach((d, i) => {
        if (i !== axis) checkDimsAgree(d, out[i]!, `input inputs[${k}] ${formatShape(s!)} differs from inputs[0] ${formatShape(shapes[0]!)} off the concat axis`);
      });
      const d = s![axis]!;
      sum = typeof sum === "number" && typeof d === "number" ? sum + d : derivedDim("sum", sum, d);
    });
    out[axis] = sum;
    return [{ dtype, shape: out }];
  },
  kernel: (inputs, attrs) => {
    const parts = inputs.map((_, i) => need(inputs, i, `inputs[${i}]`));
    const first = parts[0]!;
    const axis = normAxis(attrInt(attrs, "axis"), first.shape.length);
    const outShape = [...first.shape];
    outShape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
    const out = outputUninit(first.dtype, outShape);
    const outer = numel(first.shape.slice(0, axis));
    const inner = numel(first.shape.slice(axis + 1));
    const rowOut = outShape[axis]! * inner;
    let offset = 0;
    for (const p of parts) {
      const row = p.shape[axis]! * inner;
      const dst = out.data as Float32Array;
      const src = p.data as Float32Array;
      // Float tensors in the kernel memory move in one call of the module (all `outer` rows).
      const moved = dst instanceof Float32Array && src instanceof Float32Array && simdCopyRows(src, 0, row, dst, offset, rowOut, outer, row);
      if (!moved) for (let o = 0; o < outer; o++) dst.set(src.subarray(o * row, (o + 1) * row), o * rowOut + offset);
      offset += row;
    }
    return [out];
  },
});

function splitSizes(axisSize: number, split: number[] | undefined, outputCount: number, attrs: Attrs): number[] {
  if (split) {
    if (split.length !== outputCount) throw new OpError(`split has ${split.length} entries for ${outputCount} outputs`);
    if (split.reduce((a, b) => a + b, 0) !== axisSize) throw new OpError(`split sizes [${split.join(", ")}] do not sum to ${axisSize}`);
    return split;
  }
  const parts = hasAttr(attrs, "num_outputs") ? attrInt(attrs, "num_outputs") : outputCount;
  const chunk = Math.ceil(axisSize / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, axisSize - i * chunk)));
}

registerOp({
  op: "Split",
  domain: "",
  infer: (inputs, attrs, outputCount) => {
    const x = anyInput(inputs, 0, "input");
    const splitInfo = inputs[1];
    if (splitInfo) checkDType(splitInfo.dtype, ["int64"], "split");
    const split = splitInfo ? constNumbers(splitInfo) : hasAttr(attrs, "split") ? attrInts(attrs, "split") : undefined;
    if (!x.shape || (splitInfo && !split)) {
      return Array.from({ length: outputCount }, () => ({ dtype: x.dtype, shape: x.shape ? unknownShape(x.shape.length) : undefined }));
    }
    const axis = normAxis(attrInt(attrs, "axis", 0), x.shape.length);
    const size = x.shape[axis]!;
    if (typeof size !== "number") {
      return Array.from({ length: outputCount }, () => ({ dtype: x.dtype, shape: x.shape!.map((d, i) => (i === axis ? unknownDim() : d)) }));
    }
    return splitSizes(size, split, outputCount, attrs).map((s) => ({ dtype: x.dtype, shape: x.shape!.map((d, i) => (i === axis ? s : d)) }));
  },
  kernel: (inputs, attrs, outputCount) => {
    const x = need(inputs, 0, "input");
    const axis = normAxis(attrInt(attrs, "axis", 0), x.shape.length);
    const split = inputs[1] ? tensorNumbers(inputs[1]) : hasAttr(attrs, "split") ? attrInts(attrs, "split") : undefined;
    const sizes = splitSizes(x.shape[axis]!, split, outputCount, attrs);
    const inStrides = strides(x.shape);
    let start = 0;
    return sizes.map((s) => {
      const shape = x.shape.map((d, i) => (i === axis ? s : d));
      const part = gatherStrided(x, shape, start * inStrides[axis]!, inStrides);
      start += s;
      return part;
    });
  },
});

// ── Slice ─────────────────────────────────────────────────────────────────────────────────

interface SliceAxis {
  start: number;
  step: number;
  count: number;
}

/** numpy-style clamping of one axis's start/end/step (ends may be ±INT64_MAX sentinels). */
function sliceAxis(size: number, start: number, end: number, step: number): SliceAxis {
  if (step === 0) throw new OpError("Slice step must not be 0");
  const norm = (v: number): number => (v < 0 ? v + size : v);
  let s = norm(start);
  let e = end >= INT64_MAX ? size : end <= -INT64_MAX ? -1 : norm(end);
  if (step > 0) {
    s = Math.min(Math.max(s, 0), size);
    e = Math.min(Math.max(e, 0), size);
    return { start: s, step, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, -1), size - 1);
  if (end <= -INT64_MAX) e = -1;
  else e = Math.min(Math.max(e, -1), size - 1);
  return { start: s, step, count: Math.max(0, Math.ceil((e - s) / step)) };
}

function sliceOperands(
  rank: number,
  starts: number[],
  ends: number[],
  axes: number[] | undefined,
  steps: number[] | undefined,
): { axes: number[]; starts: number[]; ends: number[]; steps: number[] } {
  if (starts.length !== ends.length) throw new OpError(`starts has ${starts.length} entries but ends has ${ends.length}`);
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, rank, "axes entry"));
  const st = steps ?? starts.map(() => 1);
  if (ax.length !== starts.length || st.length !== starts.length) throw new OpError("starts, ends, axes and steps must have the same length");
  return { axes: ax, starts, ends, steps: st };
}

registerOp({
  op: "Slice",
  domain: "",
  infer: (inputs, attrs) => {
    const x = anyInput(inputs, 0, "data");
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    const fromInputs = inputs.length > 1;
    for (const [i, name] of [[1, "starts"], [2, "ends"], [3, "axes"], [4, "steps"]] as const) {
      if (inputs[i]) checkDType(inputs[i]!.dtype, INDEX_TYPES, name);
    }
    if (fromInputs) need(inputs, 1, "starts"), need(inputs, 2, "ends");
    const starts = fromInputs ? constNumbers(inputs[1]) : attrInts(attrs, "starts");
    const ends = fromInputs ? constNumbers(inputs[2]) : attrInts(attrs, "ends");
    const axes = fromInputs ? (inputs[3] ? constNumbers(inputs[3]) : undefined) : hasAttr(attrs, "axes") ? attrInts(attrs, "axes") : undefined;
    const steps = inputs[4] ? constNumbers(inputs[4]) : undefined;
    if ((inputs[3] && !axes) || (inputs[4] && !steps)) return [{ dtype: x.dtype, shape: unknownShape(x.shape.length) }];
    if (!starts || !ends) {
      if (!axes) return [{ dtype: x.dtype, shape: unknownShape(x.shape.length) }];
      const norm = axes.map((a) => normAxis(a, x.shape!.length, "axes entry"));
      return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (norm.includes(i) ? unknownDim() : d)) }];
    }
    const ops = sliceOperands(x.shape.length, starts, ends, axes, steps);
    const shape = [...x.shape];
    ops.axes.forEach((a, k) => {
      const d = shape[a]!;
      shape[a] = typeof d === "number" ? sliceAxis(d, ops.starts[k]!, ops.ends[k]!, ops.steps[k]!).count : derivedDim("slice", d, ops.starts[k], ops.ends[k], ops.steps[k]);
    });
    return [{ dtype: x.dtype, shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "data");
    const fromInputs = inputs.length > 1;
    const ops = sliceOperands(
      x.shape.length,
      fromInputs ? tensorNumbers(need(inputs, 1, "starts")) : attrInts(attrs, "starts"),
      fromInputs ? tensorNumbers(need(inputs, 2, "ends")) : attrInts(attrs, "ends"),
      inputs[3] ? tensorNumbers(inputs[3]) : !fromInputs && hasAttr(attrs, "axes") ? attrInts(attrs, "axes") : undefined,
      inputs[4] ? tensorNumbers(inputs[4]) : undefined,
    );
    const inStrides = strides(x.shape);
    const shape = [...x.shape];
    const srcStrides = [...inStrides];
    let offset = 0;
    ops.axes.forEach((a, k) => {
      const s = sliceAxis(x.shape[a]!, ops.starts[k]!, ops.ends[k]!, ops.steps[k]!);
      shape[a] = s.count;
      srcStrides[a] = inStrides[a]! * s.step;
      if (s.count > 0) offset += s.start * inStrides[a]!;
    });
    return [gatherStrided(x, shape, offset, srcStrides)];
  },
});

// ── Gather ────────────────────────────────────────────────────────────────────────────────

registerOp({
  op: "Gather",
  domain: "",
  infer: (inputs, attrs) => {
    const x = anyInput(inputs, 0, "data");
    const idx = need(inputs, 1, "indices");
    checkDType(idx.dtype, INDEX_TYPES, "indices");
    if (!x.shape || !idx.shape) return [{ dtype: x.dtype, shape: undefined }];
    const axis = normAxis(attrInt(attrs, "axis", 0), x.shape.length);
    const size = x.shape[axis]!;
    const values = constNumbers(idx);
    if (values && typeof size === "number") {
      for (const v of values) if (v < -size || v >= size) throw new OpError(`index ${v} is out of range for axis ${axis} of size ${size}`);
    }
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "data");
    const idx = need(inputs, 1, "indices");
    const axis = normAxis(attrInt(attrs, "axis", 0), x.shape.length);
    const size = x.shape[axis]!;
    const outer = numel(x.shape.slice(0, axis));
    const inner = numel(x.shape.slice(axis + 1));
    const indices = tensorNumbers(idx).map((v) => {
      if (v < -size || v >= size) throw new OpError(`index ${v} is out of range for axis ${axis} of size ${size}`);
      return v < 0 ? v + size : v;
    });
    const out = outputUninit(x.dtype, [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)]);
    const src = x.data as Float32Array;
    const dst = out.data as Float32Array;
    let o = 0;
    for (let b = 0; b < outer; b++) {
      for (const i of indices) {
        const from = (b * size + i) * inner;
        for (let k = 0; k < inner; k++) dst[o + k] = src[from + k]!;
        o += inner;
      }
    }
    return [out];
  },
});

// ── Pad ───────────────────────────────────────────────────────────────────────────────────

function padOperands(rank: number, pads: number[], axes: number[] | undefined): number[] {
  const ax = (axes ?? Array.from({ length: rank }, (_, i) => i)).map((a) => normAxis(a, rank, "axes entry"));
  if (pads.length !== 2 * ax.length) throw new OpError(`pads has ${pads.length} entries, expected ${2 * ax.length}`);
  const full = new Array<number>(2 * rank).fill(0);
  ax.forEach((a, k) => {
    full[a] = pads[k]!;
    full[a + rank] = pads[k + ax.length]!;
  });
  return full;
}

registerOp({
  op: "Pad",
  domain: "",
  infer: (inputs, attrs) => {
    const x = anyInput(inputs, 0, "data");
    const mode = attrString(attrs, "mode", "constant");
    if (!["constant", "reflect", "edge"].includes(mode)) throw new OpError(`unsupported Pad mode "${mode}"`);
    if (inputs[1]) checkDType(inputs[1].dtype, ["int64"], "pads");
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    const rank = x.shape.length;
    const pads = inputs[1] ? constNumbers(inputs[1]) : hasAttr(attrs, "pads") ? attrInts(attrs, "pads") : undefined;
    if (!inputs[1] && !pads) throw new OpError("missing required input pads");
    const axes = inputs[3] ? constNumbers(inputs[3]) : undefined;
    if (!pads || (inputs[3] && !axes)) return [{ dtype: x.dtype, shape: unknownShape(rank) }];
    const full = padOperands(rank, pads, axes);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (typeof d === "number" ? d + full[i]! + full[i + rank]! : derivedDim("pad", d, full[i], full[i + rank]))) }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "data");
    const rank = x.shape.length;
    const mode = attrString(attrs, "mode", "constant");
    const pads = inputs[1] ? tensorNumbers(inputs[1]) : attrInts(attrs, "pads");
    const full = padOperands(rank, pads, inputs[3] ? tensorNumbers(inputs[3]) : undefined);
    const fill = inputs[2] && inputs[2].data.length > 0 ? inputs[2].data[0]! : attrFloat(attrs, "value", 0);
    const outShape = x.shape.map((d, i) => d + full[i]! + full[i + rank]!);
    if (outShape.some((d) => d < 0)) throw new OpError(`pads [${pads.join(", ")}] remove more than the input ${formatShape(x.shape)} has`);
    const out = outputUninit(x.dtype, outShape);
    const src = x.data as Float32Array;
    const dst = out.data as Float32Array;
    const inStrides = strides(x.shape);
    const fillValue = (isBigInt(x.data) ? BigInt(fill) : x.dtype === "float16" ? roundToHalf(Number(fill)) : Number(fill)) as number;
    if (mode !== "constant" && x.shape.some((d, i) => d === 0 && full[i]! + full[i + rank]! > 0)) {
      throw new OpError(`${mode} padding of an empty axis`);
    }
    if (mode === "constant" && rank > 0 && full.every((p) => p >= 0) && ArrayBuffer.isView(src)) {
      padConstant(x, out, full, fillValue);
      return [out];
    }
    for (let o = 0; o < dst.length; o++) {
      let rem = o;
      let from = 0;
      let outside = false;
      for (let d = rank - 1; d >= 0; d--) {
        const size = outShape[d]!;
        const coord = rem % size;
        rem = (rem - coord) / size;
        let c = coord - full[d]!;
        const n = x.shape[d]!;
        if (c < 0 || c >= n) {
          if (mode === "constant") outside = true;
          else if (mode === "edge") c = c < 0 ? 0 : n - 1;
          else c = reflectIndex(c, n);
        }
        from += c * inStrides[d]!;
      }
      dst[o] = outside ? fillValue : src[from]!;
    }
    return [out];
  },
});

/**
 * Constant padding without cropping: out filled with the value, then x's rows copied into place
 * (one module call per plane of rows for floats in the kernel memory, else one copy per row).
 */
function padConstant(x: Tensor, out: Tensor, full: readonly number[], value: number): void {
  const rank = x.shape.length;
  const src = x.data as Float32Array;
  const dst = out.data as Float32Array;
  if (dst instanceof Float32Array) fillFloats(dst, value, 0, dst.length);
  else (dst as unknown as { fill(v: unknown): void }).fill(value);
  if (src.length === 0) return;
  const outShape = out.shape;
  const inStrides = strides(x.shape);
  const outStrides = strides(outShape);
  const n = x.shape[rank - 1]!;
  const rows = rank >= 2 ? x.shape[rank - 2]! : 1;
  const outRow = outShape[rank - 1]!;
  // Odometer over the axes before the last two (planes of rows), or before the last (rows).
  const planes = src instanceof Float32Array && rank >= 2 && simdCopyRows(src, 0, n, dst, 0, outRow, 0, 0);
  const outer = planes ? rank - 2 : rank - 1;
  const pos = new Array<number>(Math.max(outer, 0)).fill(0);
  let from = 0;
  let to = full.slice(0, rank).reduce((acc, p, d) => acc + p * outStrides[d]!, 0);
  const count = x.shape.slice(0, outer).reduce((a, b) => a * b, 1);
  for (let k = 0; k < count; k++) {
    if (planes) simdCopyRows(src, from, n, dst, to, outRow, rows, n);
    else dst.set(src.subarray(from, from + n), to);
    for (let d = outer - 1; d >= 0; d--) {
      from += inStrides[d]!;
      to += outStrides[d]!;
      if (++pos[d]! < x.shape[d]!) break;
      from -= inStrides[d]! * x.shape[d]!;
      to -= outStrides[d]! * x.shape[d]!;
      pos[d] = 0;
    }
  }
}

function reflectIndex(c: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = ((c % period) + period) % period;
  if (m >= n) m = period - m;
  return m;
}

// ── Shape / ConstantOfShape / Cast / Identity / Dropout / Constant ─────────────────────────

function shapeRange(rank: number, attrs: Attrs): [number, number] {
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(attrInt(attrs, "start", 0)), clamp(attrInt(attrs, "end", rank))];
}

registerOp({
  op: "Shape",
  domain: "",
  infer: (inputs, attrs) => {
    const x = anyInput(inputs, 0, "data");
    if (!x.shape) return [{ dtype: "int64", shape: [unknownDim()] }];
    const [s, e] = shapeRange(x.shape.length, attrs);
    return [{ dtype: "int64", shape: [Math.max(0, e - s)] }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "data");
    const [s, e] = shapeRange(x.shape.length, attrs);
    const dims = x.shape.slice(s, Math.max(s, e));
    const out = outputUninit("int64", [dims.length]);
    dims.forEach((d, i) => ((out.data as BigInt64Array)[i] = BigInt(d)));
    return [out];
  },
});

function constantOfShapeValue(attrs: Attrs): Tensor {
  const a = attrs["value"];
  if (a === undefined) return { dtype: "float32", shape: [1], data: new Float32Array(1) };
  if (a.type !== "tensor") throw new OpError(`attribute "value" must be a tensor, got ${a.type}`);
  if (a.value.data.length !== 1) throw new OpError("attribute \"value\" must hold one element");
  return a.value;
}

registerOp({
  op: "ConstantOfShape",
  domain: "",
  infer: (inputs, attrs) => {
    const s = need(inputs, 0, "input");
    checkDType(s.dtype, ["int64"], "input");
    const value = constantOfShapeValue(attrs);
    const target = constNumbers(s);
    if (target) return [{ dtype: value.dtype, shape: target }];
    const len = s.shape?.[0];
    return [{ dtype: value.dtype, shape: typeof len === "number" ? unknownShape(len) : undefined }];
  },
  kernel: (inputs, attrs) => {
    const shape = tensorNumbers(need(inputs, 0, "input"));
    if (shape.some((d) => d < 0)) throw new OpError(`shape [${shape.join(", ")}] has a negative dim`);
    const value = constantOfShapeValue(attrs);
    const out = outputUninit(value.dtype, shape);
    (out.data as Float32Array).fill(value.data[0] as number);
    return [out];
  },
});

function castTarget(attrs: Attrs): DType {
  const to = attrInt(attrs, "to");
  const dtype = dtypeOfOnnx(to);
  if (!dtype) throw new OpError(`Cast to ONNX data type ${to} is not supported (${ALL_DTYPES.join(", ")} are)`);
  return dtype;
}

registerOp({
  op: "Cast",
  domain: "",
  infer: (inputs, attrs) => [{ dtype: castTarget(attrs), shape: anyInput(inputs, 0, "input").shape }],
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const to = castTarget(attrs);
    if (to === x.dtype) return [x];
    const out = outputUninit(to, x.shape);
    convertInto(x.data, to, out.data);
    return [out];
  },
});

/** CastLike (opset 15): Cast to the element type of a second input. */
registerOp({
  op: "CastLike",
  domain: "",
  infer: (inputs) => [{ dtype: need(inputs, 1, "target_type").dtype, shape: anyInput(inputs, 0, "input").shape }],
  kernel: (inputs) => {
    const x = need(inputs, 0, "input");
    const to = need(inputs, 1, "target_type").dtype;
    if (to === x.dtype) return [x];
    const out = outputUninit(to, x.shape);
    convertInto(x.data, to, out.data);
    return [out];
  },
});

registerOp({
  op: "Identity",
  domain: "",
  infer: (inputs) => {
    const x = anyInput(inputs, 0, "input");
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  kernel: (inputs) => [need(inputs, 0, "input")],
});

registerOp({
  op: "Dropout",
  domain: "",
  infer: (inputs, _attrs, outputCount) => {
    const x = anyInput(inputs, 0, "data");
    const out: OutputInfo[] = [{ dtype: x.dtype, shape: x.shape }];
    if (outputCount > 1) out.push({ dtype: "bool", shape: x.shape });
    return out;
  },
  kernel: (inputs, _attrs, outputCount) => {
    const x = need(inputs, 0, "data");
    if (outputCount < 2) return [x];
    const mask = outputUninit("bool", x.shape);
    (mask.data as Uint8Array).fill(1);
    return [x, mask];
  },
});

function constantValue(attrs: Attrs): Tensor {
  const a = attrs["value"];
  if (a) {
    if (a.type === "opaque") throw new OpError("its tensor has an element type fusec does not compute with (string, complex, bfloat16, …); it is only kept to be saved");
    if (a.type !== "tensor") throw new OpError(`attribute "value" must be a tensor, got ${a.type}`);
    return a.value;
  }
  if (hasAttr(attrs, "value_float")) return { dtype: "float32", shape: [], data: Float32Array.of(attrFloat(attrs, "value_float")) };
  if (hasAttr(attrs, "value_floats")) {
    const v = attrFloats(attrs, "value_floats");
    return { dtype: "float32", shape: [v.length], data: Float32Array.from(v) };
  }
  if (hasAttr(attrs, "value_int")) return { dtype: "int64", shape: [], data: BigInt64Array.of(BigInt(attrInt(attrs, "value_int"))) };
  if (hasAttr(attrs, "value_ints")) {
    const v = attrInts(attrs, "value_ints");
    return { dtype: "int64", shape: [v.length], data: BigInt64Array.from(v, (n) => BigInt(n)) };
  }
  throw new OpError("Constant needs one of value, value_float, value_floats, value_int, value_ints");
}

registerOp({
  op: "Constant",
  domain: "",
  infer: (_inputs, attrs) => {
    // A tensor of an element type fusec does not compute with (string, bfloat16, …) stays opaque:
    // its type is unknown here, and executing it reports the problem.
    if (attrs["value"]?.type === "opaque") return [{ dtype: undefined, shape: undefined }];
    const t = constantValue(attrs);
    return [{ dtype: t.dtype, shape: [...t.shape] }];
  },
  kernel: (_inputs, attrs) => [constantValue(attrs)],
});
