/**
 * Kernels and shape functions of the `tfl` ops that converted TFLite models use besides the
 * convolutions, FullyConnected, pools and arithmetic (conv.ts, gemm.ts, pool.ts,
 * elementwise.ts): Concatenation, Pad/PadV2, Mean, Softmax, ResizeBilinear/NearestNeighbor,
 * HardSwish, PRelu, DepthToSpace, TransposeConv and MediaPipe's Convolution2DTransposeBias,
 * Dequantize and Quantize. Layout is NHWC throughout.
 *
 * Quantized tensors: Dequantize (int8/uint8/int16 with scale and zero point, per tensor or per
 * channel, and float16) and Quantize (float32 → int8/uint8/int16, TFLite's round-half-away
 * rounding) run; every other op here takes float32 only, so a model whose activations are
 * int8/uint8 is refused at load by shape inference, naming the op.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { lookupOp, OpError, registerOp, type OpDef, type ValueInfo } from "../runtime/registry.js";
import { numel, tensor, type DType, type Tensor } from "../runtime/tensor.js";
import { applyActivation, mapActivation, tflActivation } from "./activation.js";
import { tflAxis } from "./window.js";
import { attrFloat, attrFloats, attrInt, attrInts, attrString, broadcastShapes, checkDType, checkRank, constNumbers, derivedDim, formatShape, need, normAxis, outputF32, tensorNumbers, unknownDim } from "./util.js";

const INDEX: readonly DType[] = ["int32", "int64"];

function onnx(op: string): OpDef {
  const def = lookupOp("", op);
  if (!def) throw new OpError(`internal: ONNX ${op} kernel missing`);
  return def;
}

function floatInput(inputs: readonly (ValueInfo | undefined)[], i: number, name: string): ValueInfo {
  const x = need(inputs, i, name);
  if (x.dtype && x.dtype !== "float32") {
    throw new OpError(`input ${name} is ${x.dtype}: fusec runs this op on float32 only (quantized activations are not supported)`);
  }
  return x;
}

function int64(t: Tensor | number[]): Tensor {
  const values = Array.isArray(t) ? t : tensorNumbers(t);
  return tensor("int64", [values.length], values);
}

// ── Concatenation ─────────────────────────────────────────────────────────────────────────

registerOp({
  op: "Concatenation",
  domain: "tfl",
  infer: (inputs, attrs) => {
    inputs.forEach((_, i) => floatInput(inputs, i, `values[${i}]`));
    tflActivation(attrs);
    return onnx("Concat").infer(inputs, { axis: { type: "int", value: attrInt(attrs, "axis", 0) } }, 1);
  },
  kernel: (inputs, attrs) => {
    const [out] = onnx("Concat").kernel(inputs, { axis: { type: "int", value: attrInt(attrs, "axis", 0) } }, 1);
    applyActivation(tflActivation(attrs), out!.data as Float32Array, 0, out!.data.length);
    return [out!];
  },
});

// ── Pad / PadV2 ───────────────────────────────────────────────────────────────────────────

/** TFLite paddings [[before, after] per axis] as ONNX pads [begins…, ends…]. */
function onnxPads(paddings: number[], rank: number): number[] {
  if (paddings.length !== 2 * rank) throw new OpError(`paddings hold ${paddings.length} numbers, expected ${2 * rank} (rank ${rank})`);
  const pads = new Array<number>(2 * rank);
  for (let i = 0; i < rank; i++) {
    pads[i] = paddings[2 * i]!;
    pads[rank + i] = paddings[2 * i + 1]!;
  }
  return pads;
}

function registerPad(op: string): void {
  registerOp({
    op,
    domain: "tfl",
    infer: (inputs) => {
      const x = floatInput(inputs, 0, "input");
      const p = need(inputs, 1, "padding");
      checkDType(p.dtype, INDEX, "padding");
      if (!x.shape) return [{ dtype: "float32", shape: undefined }];
      const values = constNumbers(p);
      if (!values) return [{ dtype: "float32", shape: x.shape.map(() => unknownDim()) }];
      const rank = x.shape.length;
      const pads = onnxPads(values, rank);
      return [{ dtype: "float32", shape: x.shape.map((d, i) => (typeof d === "number" ? d + pads[i]! + pads[rank + i]! : derivedDim("pad", d, pads[i], pads[rank + i]))) }];
    },
    kernel: (inputs) => {
      const x = need(inputs, 0, "input");
      const pads = onnxPads(tensorNumbers(need(inputs, 1, "padding")), x.shape.length);
      const fill = inputs[2] ? tensor("float32", [], [Number(inputs[2].data[0])]) : undefined;
      return onnx("Pad").kernel([x, int64(pads), fill], { mode: { type: "string", value: "constant" } }, 1);
    },
  });
}
registerPad("Pad");
registerPad("PadV2");

// ── Mean ──────────────────────────────────────────────────────────────────────────────────

registerOp({
  op: "Mean",
  domain: "tfl",
  infer: (inputs, attrs) => {
    const x = floatInput(inputs, 0, "input");
    const axis = need(inputs, 1, "axis");
    checkDType(axis.dtype, INDEX, "axis");
    const axes = constNumbers(axis);
    if (!axes) return [{ dtype: "float32", shape: undefined }];
    return onnx("ReduceMean").infer([x], meanAttrs(axes, attrs), 1);
  },
  kernel: (inputs, attrs) => onnx("ReduceMean").kernel([need(inputs, 0, "input")], meanAttrs(tensorNumbers(need(inputs, 1, "axis")), attrs), 1),
});

function meanAttrs(axes: number[], attrs: Attrs): Attrs {
  return { axes: { type: "ints", value: axes }, keepdims: { type: "int", value: attrInt(attrs, "keep_dims", 0) ? 1 : 0 }, noop_with_empty_axes: { type: "int", value: 1 } };
}

// ── Softmax ───────────────────────────────────────────────────────────────────────────────

registerOp({
  op: "Softmax",
  domain: "tfl",
  infer: (inputs) => {
    const x = floatInput(inputs, 0, "input");
    return [{ dtype: "float32", shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const beta = attrFloat(attrs, "beta", 1);
    const last = x.shape[x.shape.length - 1] ?? 1;
    const xd = x.data as Float32Array;
    const out = outputF32(x.shape);
    for (let start = 0; start < xd.length; start += last) {
      let max = -Infinity;
      for (let i = start; i < start + last; i++) max = Math.max(max, xd[i]!);
      let sum = 0;
      for (let i = start; i < start + last; i++) sum += out.data[i] = Math.exp((xd[i]! - max) * beta);
      for (let i = start; i < start + last; i++) out.data[i]! /= sum;
    }
    return [out];
  },
});

// ── Resize ────────────────────────────────────────────────────────────────────────────────

function resizeInfer(inputs: readonly (ValueInfo | undefined)[]): [{ dtype: DType; shape: Dim[] | undefined }] {
  const x = floatInput(inputs, 0, "input");
  const size = need(inputs, 1, "size");
  checkDType(size.dtype, ["int32"], "size");
  checkRank(x.shape, 4, "input");
  const hw = constNumbers(size);
  if (!x.shape) return [{ dtype: "float32", shape: undefined }];
  return [{ dtype: "float32", shape: [x.shape[0]!, hw ? hw[0]! : unknownDim(), hw ? hw[1]! : unknownDim(), x.shape[3]!] }];
}

/** TFLite's source coordinate of output pixel `o` along an axis (reference resize kernels). */
function sourceCoord(o: number, inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): number {
  const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  return halfPixel ? (o + 0.5) * scale - 0.5 : o * scale;
}

registerOp({
  op: "ResizeBilinear",
  domain: "tfl",
  infer: resizeInfer,
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const [oh, ow] = tensorNumbers(need(inputs, 1, "size")) as [number, number];
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const align = attrInt(attrs, "align_corners", 0) !== 0;
    const half = attrInt(attrs, "half_pixel_centers", 0) !== 0;
    const xd = x.data as Float32Array;
    const out = outputF32([n, oh, ow, c]);
    // TFLite's reference kernel: lower/upper source pixels and the weight (s − lower).
    const axis = (o: number, inSize: number, outSize: number): [number, number, number] => {
      const s = sourceCoord(o, inSize, outSize, align, half);
      const lo = Math.max(Math.floor(s), 0);
      const hi = Math.min(Math.ceil(s), inSize - 1);
      return [lo, hi, s - lo];
    };
    let dst = 0;
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < oh; y++) {
        const [y0, y1, dy] = axis(y, h, oh);
        for (let xo = 0; xo < ow; xo++) {
          const [x0, x1, dx] = axis(xo, w, ow);
          const p00 = ((b * h + y0) * w + x0) * c;
          const p01 = ((b * h + y0) * w + x1) * c;
          const p10 = ((b * h + y1) * w + x0) * c;
          const p11 = ((b * h + y1) * w + x1) * c;
          const w00 = Math.fround((1 - dy) * (1 - dx));
          const w01 = Math.fround((1 - dy) * dx);
          const w10 = Math.fround(dy * (1 - dx));
          const w11 = Math.fround(dy * dx);
          for (let k = 0; k < c; k++) {
            out.data[dst++] = xd[p00 + k]! * w00 + xd[p10 + k]! * w10 + xd[p01 + k]! * w01 + xd[p11 + k]! * w11;
          }
        }
      }
    }
    return [out];
  },
});

registerOp({
  op: "ResizeNearestNeighbor",
  domain: "tfl",
  infer: resizeInfer,
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const [oh, ow] = tensorNumbers(need(inputs, 1, "size")) as [number, number];
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const align = attrInt(attrs, "align_corners", 0) !== 0;
    const half = attrInt(attrs, "half_pixel_centers", 0) !== 0;
    const index = (o: number, inSize: number, outSize: number): number => {
      const scale = align && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
      const offset = half ? 0.5 : 0;
      const s = align ? Math.round((o + offset) * scale) : Math.floor((o + offset) * scale);
      return Math.min(inSize - 1, Math.max(0, s));
    };
    const xd = x.data as Float32Array;
    const out = outputF32([n, oh, ow, c]);
    let dst = 0;
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < oh; y++) {
        const sy = index(y, h, oh);
        for (let xo = 0; xo < ow; xo++) {
          const src = ((b * h + sy) * w + index(xo, w, ow)) * c;
          out.data.set(xd.subarray(src, src + c), dst);
          dst += c;
        }
      }
    }
    return [out];
  },
});

// ── HardSwish / PRelu ─────────────────────────────────────────────────────────────────────

registerOp({
  op: "HardSwish",
  domain: "tfl",
  infer: (inputs) => [{ dtype: "float32", shape: floatInput(inputs, 0, "input").shape }],
  kernel: (inputs) => {
    const x = need(inputs, 0, "input");
    const out = outputF32(x.shape);
    mapActivation({ kind: "hard_swish", a: 0, b: 0 }, x.data as Float32Array, out.data, 0, out.data.length);
    return [out];
  },
});

registerOp({
  op: "PRelu",
  domain: "tfl",
  infer: (inputs) => {
    const x = floatInput(inputs, 0, "input");
    const alpha = floatInput(inputs, 1, "alpha");
    if (!x.shape || !alpha.shape) return [{ dtype: "float32", shape: undefined }];
    return [{ dtype: "float32", shape: broadcastShapes([x.shape, alpha.shape], ["input", "alpha"]) }];
  },
  kernel: (inputs) => {
    const x = need(inputs, 0, "input");
    const alpha = need(inputs, 1, "alpha");
    const shape = broadcastShapes([x.shape, alpha.shape]) as number[];
    const out = outputF32(shape);
    const xs = broadcastIndex(x.shape, shape);
    const as = broadcastIndex(alpha.shape, shape);
    const xd = x.data as Float32Array;
    const ad = alpha.data as Float32Array;
    for (let i = 0; i < out.data.length; i++) {
      const v = xd[xs(i)]!;
      out.data[i] = v >= 0 ? v : v * ad[as(i)]!;
    }
    return [out];
  },
});

/** Maps a flat index of `shape` to the flat index of an operand of `from` broadcast into it. */
function broadcastIndex(from: readonly number[], shape: readonly number[]): (i: number) => number {
  const rank = shape.length;
  const dims = [...new Array<number>(rank - from.length).fill(1), ...from];
  const strides = new Array<number>(rank);
  let acc = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = dims[d] === 1 ? 0 : acc;
    acc *= dims[d]!;
  }
  return (i) => {
    let src = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const size = shape[d]!;
      src += (i % size) * strides[d]!;
      i = Math.floor(i / size);
    }
    return src;
  };
}

// ── DepthToSpace ──────────────────────────────────────────────────────────────────────────

registerOp({
  op: "DepthToSpace",
  domain: "tfl",
  infer: (inputs, attrs) => {
    const x = floatInput(inputs, 0, "input");
    checkRank(x.shape, 4, "input");
    const bs = attrInt(attrs, "block_size", 1);
    if (bs < 1) throw new OpError(`block_size ${bs} must be positive`);
    if (!x.shape) return [{ dtype: "float32", shape: undefined }];
    const [n, h, w, c] = x.shape as [Dim, Dim, Dim, Dim];
    if (typeof c === "number" && c % (bs * bs) !== 0) throw new OpError(`depth ${c} is not a multiple of block_size² ${bs * bs}`);
    const scale = (d: Dim) => (typeof d === "number" ? d * bs : derivedDim("mul", d, bs));
    return [{ dtype: "float32", shape: [n, scale(h), scale(w), typeof c === "number" ? c / (bs * bs) : derivedDim("div", c, bs * bs)] }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const bs = attrInt(attrs, "block_size", 1);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const oc = c / (bs * bs);
    const out = outputF32([n, h * bs, w * bs, oc]);
    const xd = x.data as Float32Array;
    let src = 0;
    for (let b = 0; b < n; b++)
      for (let y = 0; y < h; y++)
        for (let xo = 0; xo < w; xo++)
          for (let i = 0; i < bs; i++)
            for (let j = 0; j < bs; j++) {
              const dst = ((b * h * bs + y * bs + i) * w * bs + xo * bs + j) * oc;
              out.data.set(xd.subarray(src, src + oc), dst);
              src += oc;
            }
    return [out];
  },
});

// ── TransposeConv / Convolution2DTransposeBias ───────────────────────────────────────────

/**
 * Transposed NHWC convolution of x [N,H,W,C] with filter OHWI [O,KH,KW,C] into an output of
 * [N,OH,OW,O]: every input pixel scatters its filter window, shifted by the padding TFLite
 * computes for the output size (SAME: as a forward convolution of the output would pad).
 */
function transposeConv(x: Tensor, f: Tensor, bias: Tensor | undefined, oh: number, ow: number, attrs: Attrs): Tensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [o, kh, kw, fc] = f.shape as [number, number, number, number];
  if (fc !== c) throw new OpError(`filter ${formatShape(f.shape)} expects ${fc} input channels, the input has ${c}`);
  const padding = attrString(attrs, "padding", "SAME");
  const sh = attrInt(attrs, "stride_h", 1);
  const sw = attrInt(attrs, "stride_w", 1);
  const padTop = tflAxis(oh, kh, sh, 1, padding).padBegin;
  const padLeft = tflAxis(ow, kw, sw, 1, padding).padBegin;
  const out = outputF32([n, oh, ow, o]);
  out.data.fill(0);
  const xd = x.data as Float32Array;
  const fd = f.data as Float32Array;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xi = 0; xi < w; xi++) {
        const src = ((b * h + y) * w + xi) * c;
        for (let ky = 0; ky < kh; ky++) {
          const oy = y * sh + ky - padTop;
          if (oy < 0 || oy >= oh) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ox = xi * sw + kx - padLeft;
            if (ox < 0 || ox >= ow) continue;
            const dst = ((b * oh + oy) * ow + ox) * o;
            for (let k = 0; k < o; k++) {
              const fb = ((k * kh + ky) * kw + kx) * c;
              let sum = 0;
              for (let ch = 0; ch < c; ch++) sum += xd[src + ch]! * fd[fb + ch]!;
              out.data[dst + k] += sum;
            }
          }
        }
      }
    }
  }
  if (bias) {
    const bd = bias.data as Float32Array;
    for (let i = 0; i < out.data.length; i++) out.data[i] += bd[i % o]!;
  }
  applyActivation(tflActivation(attrs), out.data, 0, out.data.length);
  return out;
}

registerOp({
  op: "TransposeConv",
  domain: "tfl",
  infer: (inputs, attrs) => {
    const shape = need(inputs, 0, "output_shape");
    checkDType(shape.dtype, ["int32"], "output_shape");
    const f = floatInput(inputs, 1, "weights");
    floatInput(inputs, 2, "input");
    checkRank(f.shape, 4, "weights");
    tflActivation(attrs);
    const dims = constNumbers(shape);
    return [{ dtype: "float32", shape: dims ?? [unknownDim(), unknownDim(), unknownDim(), f.shape?.[0] ?? unknownDim()] }];
  },
  kernel: (inputs, attrs) => {
    const dims = tensorNumbers(need(inputs, 0, "output_shape"));
    return [transposeConv(need(inputs, 2, "input"), need(inputs, 1, "weights"), inputs[3], dims[1]!, dims[2]!, attrs)];
  },
});

/** MediaPipe's output size: SAME multiplies by the stride, VALID adds the filter's overhang. */
function transposeBiasSize(size: Dim, kernel: Dim, stride: number, padding: string): Dim {
  if (typeof size !== "number" || typeof kernel !== "number") return derivedDim("transpose_conv", size, kernel, stride, padding);
  return padding === "SAME" ? size * stride : (size - 1) * stride + kernel;
}

registerOp({
  op: "Convolution2DTransposeBias",
  domain: "tfl",
  infer: (inputs, attrs) => {
    const x = floatInput(inputs, 0, "input");
    const f = floatInput(inputs, 1, "filter");
    floatInput(inputs, 2, "bias");
    checkRank(x.shape, 4, "input");
    checkRank(f.shape, 4, "filter");
    if (!x.shape || !f.shape) return [{ dtype: "float32", shape: undefined }];
    const padding = attrString(attrs, "padding", "SAME");
    return [{
      dtype: "float32",
      shape: [x.shape[0]!, transposeBiasSize(x.shape[1]!, f.shape[1]!, attrInt(attrs, "stride_h", 1), padding), transposeBiasSize(x.shape[2]!, f.shape[2]!, attrInt(attrs, "stride_w", 1), padding), f.shape[0]!],
    }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const f = need(inputs, 1, "filter");
    const padding = attrString(attrs, "padding", "SAME");
    const oh = transposeBiasSize(x.shape[1]!, f.shape[1]!, attrInt(attrs, "stride_h", 1), padding) as number;
    const ow = transposeBiasSize(x.shape[2]!, f.shape[2]!, attrInt(attrs, "stride_w", 1), padding) as number;
    return [transposeConv(x, f, need(inputs, 2, "bias"), oh, ow, attrs)];
  },
});

// ── Dequantize / Quantize ─────────────────────────────────────────────────────────────────

const QUANTIZED: readonly DType[] = ["int8", "uint8", "int16", "float16"];

/** Per-element scale and zero point of a (per-tensor or per-channel) quantization. */
function quantization(shape: readonly number[], attrs: Attrs): (i: number) => [number, number] {
  const scales = attrFloats(attrs, "scale", []);
  const zeros = attrInts(attrs, "zero_point", []);
  if (scales.length === 0) throw new OpError("the quantized tensor has no scale");
  if (scales.length === 1) return () => [scales[0]!, zeros[0] ?? 0];
  const axis = normAxis(attrInt(attrs, "quantized_dimension", 0), shape.length, "quantized_dimension");
  if (shape[axis] !== scales.length) throw new OpError(`${scales.length} scales for axis ${axis} of size ${shape[axis]}`);
  const inner = numel(shape.slice(axis + 1));
  return (i) => {
    const ch = Math.floor(i / inner) % scales.length;
    return [scales[ch]!, zeros[ch] ?? 0];
  };
}

registerOp({
  op: "Dequantize",
  domain: "tfl",
  infer: (inputs) => {
    const x = need(inputs, 0, "input");
    checkDType(x.dtype, QUANTIZED, "input");
    return [{ dtype: "float32", shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const out = outputF32(x.shape);
    if (x.dtype === "float16") {
      out.data.set(x.data as Float32Array);
      return [out];
    }
    const q = quantization(x.shape, attrs);
    const xd = x.data as Int8Array;
    for (let i = 0; i < xd.length; i++) {
      const [scale, zero] = q(i);
      out.data[i] = (xd[i]! - zero) * scale;
    }
    return [out];
  },
});

const RANGES: Partial<Record<DType, [number, number]>> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767] };

registerOp({
  op: "Quantize",
  domain: "tfl",
  infer: (inputs, attrs) => {
    const x = floatInput(inputs, 0, "input");
    const dtype = attrString(attrs, "dtype", "int8") as DType;
    if (!RANGES[dtype]) throw new OpError(`Quantize to ${dtype} is not supported (int8, uint8, int16)`);
    return [{ dtype, shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const dtype = attrString(attrs, "dtype", "int8") as DType;
    const [lo, hi] = RANGES[dtype]!;
    const q = quantization(x.shape, attrs);
    const xd = x.data as Float32Array;
    const out = tensor(dtype, x.shape);
    const od = out.data as Int8Array;
    for (let i = 0; i < xd.length; i++) {
      const [scale, zero] = q(i);
      // In float32, as TFLite's reference kernel divides; then TfLiteRound: half away from zero.
      const v = Math.fround(xd[i]! / Math.fround(scale));
      const r = Math.sign(v) * Math.round(Math.abs(v)) + zero;
      od[i] = Math.min(hi, Math.max(lo, r));
    }
    return [out];
  },
});
