/**
 * Linear quantization: QuantizeLinear and DequantizeLinear (opsets 10-21) with a scale (and
 * zero point) per tensor, per axis (a 1-D scale along `axis`) or per block (opset 21: the scale
 * has x's rank, `axis` divided into blocks of `block_size`). Quantized values are uint8/int8
 * (or int16/uint16; int32 for DequantizeLinear); rounding is half to even, with saturation.
 */
import type { Attrs } from "../runtime/graph.js";
import { OpError, registerOp } from "../runtime/registry.js";
import { DTYPES, dtypeOfOnnx, FLOAT_DTYPES, strides, type DType, type Tensor } from "../runtime/tensor.js";
import { roundHalfEven } from "./math.js";
import { writer } from "./nary.js";
import { attrInt, checkDType, need, normAxis, outputUninit } from "./util.js";

const QUANTIZED: readonly DType[] = ["uint8", "int8", "uint16", "int16"];

/** For each element of x, the index of its scale (and zero point). */
function paramIndex(x: Tensor, scale: Tensor, attrs: Attrs): (i: number) => number {
  const n = scale.data.length;
  const block = attrInt(attrs, "block_size", 0);
  if (scale.shape.length === 0 || (n === 1 && scale.shape.length === 1 && block <= 0)) return () => 0;
  const rank = x.shape.length;
  const axis = normAxis(attrInt(attrs, "axis", 1), rank);
  const xs = strides(x.shape);
  const size = x.shape[axis]!;
  if (block <= 0) {
    if (scale.shape.length !== 1 || n !== size) throw new OpError(`a per-axis scale needs ${size} entries (axis ${axis}), got shape [${scale.shape.join(", ")}]`);
    return (i) => Math.floor(i / xs[axis]!) % size;
  }
  if (scale.shape.length !== rank || scale.shape[axis] !== Math.ceil(size / block)) {
    throw new OpError(`a blocked scale needs shape [${x.shape.map((d, a) => (a === axis ? Math.ceil(d / block) : d)).join(", ")}], got [${scale.shape.join(", ")}]`);
  }
  const ss = strides(scale.shape);
  return (i) => {
    let at = 0;
    for (let a = 0; a < rank; a++) {
      const c = Math.floor(i / xs[a]!) % x.shape[a]!;
      at += (a === axis ? Math.floor(c / block) : c) * ss[a]!;
    }
    return at;
  };
}

registerOp({
  op: "DequantizeLinear",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "x");
    const scale = need(inputs, 1, "x_scale");
    checkDType(x.dtype, [...QUANTIZED, "int32"], "x");
    checkDType(scale.dtype, FLOAT_DTYPES, "x_scale");
    if (inputs[2] && x.dtype && inputs[2].dtype !== x.dtype) throw new OpError(`x_zero_point (${inputs[2].dtype}) must have the dtype of x (${x.dtype})`);
    return [{ dtype: scale.dtype, shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "x");
    const scale = need(inputs, 1, "x_scale");
    const zero = inputs[2];
    const at = paramIndex(x, scale, attrs);
    const out = outputUninit(scale.dtype, x.shape);
    const write = writer(scale.dtype, out.data);
    const xd = x.data as ArrayLike<number>;
    const sd = scale.data as ArrayLike<number>;
    const zd = zero?.data as ArrayLike<number> | undefined;
    for (let i = 0; i < xd.length; i++) {
      const p = at(i);
      write(i, (xd[i]! - (zd ? zd[p]! : 0)) * sd[p]!);
    }
    return [out];
  },
});

function quantizedDtype(zero: DType | undefined, attrs: Attrs): DType {
  if (zero) return zero;
  const code = attrInt(attrs, "output_dtype", 0);
  if (code === 0) return "uint8";
  const d = dtypeOfOnnx(code);
  if (!d || !QUANTIZED.includes(d)) throw new OpError(`output_dtype ${code} is not one of ${QUANTIZED.join(", ")}`);
  return d;
}

registerOp({
  op: "QuantizeLinear",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "x");
    checkDType(x.dtype, [...FLOAT_DTYPES, "int32"], "x");
    checkDType(need(inputs, 1, "y_scale").dtype, FLOAT_DTYPES, "y_scale");
    if (inputs[2]) checkDType(inputs[2].dtype, QUANTIZED, "y_zero_point");
    return [{ dtype: quantizedDtype(inputs[2]?.dtype, attrs), shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "x");
    const scale = need(inputs, 1, "y_scale");
    const zero = inputs[2];
    const dtype = quantizedDtype(zero?.dtype, attrs);
    const bits = DTYPES[dtype].bytes * 8;
    const [lo, hi] = DTYPES[dtype].kind === "uint" ? [0, 2 ** bits - 1] : [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
    const at = paramIndex(x, scale, attrs);
    const out = outputUninit(dtype, x.shape);
    const od = out.data as unknown as number[];
    const xd = x.data as ArrayLike<number>;
    const sd = scale.data as ArrayLike<number>;
    const zd = zero?.data as ArrayLike<number> | undefined;
    for (let i = 0; i < xd.length; i++) {
      const p = at(i);
      const q = roundHalfEven(xd[i]! / sd[p]!) + (zd ? zd[p]! : 0);
      od[i] = Math.min(hi, Math.max(lo, Number.isNaN(q) ? 0 : q));
    }
    return [out];
  },
});
