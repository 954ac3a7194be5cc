/**
 * Pooling: ONNX MaxPool and AveragePool (1-D and 2-D, NCHW; pads, auto_pad, strides, dilations,
 * ceil_mode, count_include_pad), GlobalAveragePool, and tfl MaxPool2D / AveragePool2D (NHWC, SAME
 * averaging over the valid cells only, with a fused activation).
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import { applyActivation, tflActivation } from "./activation.js";
import { onnxWindowAttrs, tflAxis, windowAxis, windowOutDims, type Axis } from "./conv.js";
import { attrInt, attrString, checkDType, checkRank, derivedDim, need, outputF32 } from "./util.js";

type PoolKind = "max" | "avg";

const UNIT: Axis = { size: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0, out: 1 };

function onnxPoolInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs, outputCount: number): Dim[] | undefined {
  if (outputCount > 1) throw new OpError("the Indices output of MaxPool is not supported");
  const x = need(inputs, 0, "X");
  checkDType(x.dtype, ["float32"], "X");
  if (!x.shape) return undefined;
  if (x.shape.length < 3 || x.shape.length > 4) throw new OpError(`input X has rank ${x.shape.length}, expected 4 (or 3 for 1-D pooling)`);
  const win = onnxWindowAttrs(attrs, x.shape.length - 2);
  return [x.shape[0]!, x.shape[1]!, ...windowOutDims(x.shape.slice(2), win)];
}

function onnxPoolKernel(x: Tensor, attrs: Attrs, kind: PoolKind): Tensor {
  const rank = x.shape.length - 2;
  const win = onnxWindowAttrs(attrs, rank);
  const axes = x.shape.slice(2).map((size, i) => windowAxis(size, win, i, rank));
  const h = rank === 2 ? axes[0]! : UNIT;
  const w = rank === 2 ? axes[1]! : axes[0]!;
  const includePad = attrInt(attrs, "count_include_pad", 0) !== 0;
  const planes = x.shape[0]! * x.shape[1]!;
  const out = outputF32([x.shape[0]!, x.shape[1]!, ...axes.map((a) => a.out)]);
  const xd = x.data as Float32Array;
  const od = out.data;
  const hw = h.size * w.size;
  const ohw = h.out * w.out;
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < h.out; oh++) {
      const hs = oh * h.stride - h.padBegin;
      for (let ow = 0; ow < w.out; ow++) {
        const ws = ow * w.stride - w.padBegin;
        let acc = kind === "max" ? -Infinity : 0;
        let valid = 0;
        let padded = 0;
        for (let kh = 0; kh < h.kernel; kh++) {
          const ih = hs + kh * h.dilation;
          if (ih >= h.size + h.padEnd) break;
          for (let kw = 0; kw < w.kernel; kw++) {
            const iw = ws + kw * w.dilation;
            if (iw >= w.size + w.padEnd) break;
            padded++;
            if (ih < 0 || ih >= h.size || iw < 0 || iw >= w.size) continue;
            const v = xd[p * hw + ih * w.size + iw]!;
            valid++;
            if (kind === "max") acc = v > acc || v !== v ? v : acc;
            else acc += v;
          }
        }
        od[p * ohw + oh * w.out + ow] = kind === "max" ? acc : acc / (includePad ? padded : Math.max(valid, 1));
      }
    }
  }
  return out;
}

registerOp({
  op: "MaxPool",
  domain: "",
  infer: (inputs, attrs, outputCount) => [{ dtype: "float32", shape: onnxPoolInfer(inputs, attrs, outputCount) }],
  kernel: (inputs, attrs) => [onnxPoolKernel(need(inputs, 0, "X"), attrs, "max")],
});

registerOp({
  op: "AveragePool",
  domain: "",
  infer: (inputs, attrs, outputCount) => [{ dtype: "float32", shape: onnxPoolInfer(inputs, attrs, outputCount) }],
  kernel: (inputs, attrs) => [onnxPoolKernel(need(inputs, 0, "X"), attrs, "avg")],
});

registerOp({
  op: "GlobalAveragePool",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "X");
    checkDType(x.dtype, ["float32"], "X");
    if (x.shape && x.shape.length < 3) throw new OpError(`input X has rank ${x.shape.length}, expected at least 3`);
    return [{ dtype: "float32", shape: x.shape ? [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] : undefined }];
  },
  kernel: (inputs) => {
    const x = need(inputs, 0, "X");
    const inner = x.shape.slice(2).reduce((p, q) => p * q, 1);
    const planes = x.shape[0]! * x.shape[1]!;
    const out = outputF32([x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)]);
    const xd = x.data as Float32Array;
    for (let p = 0; p < planes; p++) {
      let sum = 0;
      for (let i = p * inner; i < (p + 1) * inner; i++) sum += xd[i]!;
      out.data[p] = sum / inner;
    }
    return [out];
  },
});

// ── tfl (NHWC) ────────────────────────────────────────────────────────────────────────────

function tflPoolAxes(shape: readonly number[], attrs: Attrs): [Axis, Axis] {
  const padding = attrString(attrs, "padding", "VALID");
  return [
    tflAxis(shape[1]!, attrInt(attrs, "filter_height", 1), attrInt(attrs, "stride_h", 1), 1, padding),
    tflAxis(shape[2]!, attrInt(attrs, "filter_width", 1), attrInt(attrs, "stride_w", 1), 1, padding),
  ];
}

function tflPoolInfer(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs): Dim[] | undefined {
  const x = need(inputs, 0, "input");
  checkDType(x.dtype, ["float32"], "input");
  tflActivation(attrs);
  if (!x.shape) return undefined;
  checkRank(x.shape, 4, "input");
  const [n, h, w, c] = x.shape as [Dim, Dim, Dim, Dim];
  const padding = attrString(attrs, "padding", "VALID");
  const dim = (size: Dim, k: number, s: number): Dim => (typeof size === "number" ? tflAxis(size, k, s, 1, padding).out : derivedDim("tflWindow", size, k, s, 1, padding));
  return [
    n,
    dim(h, attrInt(attrs, "filter_height", 1), attrInt(attrs, "stride_h", 1)),
    dim(w, attrInt(attrs, "filter_width", 1), attrInt(attrs, "stride_w", 1)),
    c,
  ];
}

function tflPoolKernel(x: Tensor, attrs: Attrs, kind: PoolKind): Tensor {
  const [h, w] = tflPoolAxes(x.shape, attrs);
  const [n, , , c] = x.shape as [number, number, number, number];
  const act = tflActivation(attrs);
  const out = outputF32([n, h.out, w.out, c]);
  const od = out.data;
  const xd = x.data as Float32Array;
  let dst = 0;
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < h.out; oh++) {
      const h0 = Math.max(0, oh * h.stride - h.padBegin);
      const h1 = Math.min(h.size, oh * h.stride - h.padBegin + h.kernel);
      for (let ow = 0; ow < w.out; ow++) {
        const w0 = Math.max(0, ow * w.stride - w.padBegin);
        const w1 = Math.min(w.size, ow * w.stride - w.padBegin + w.kernel);
        od.fill(kind === "max" ? -Infinity : 0, dst, dst + c);
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const src = ((b * h.size + ih) * w.size + iw) * c;
            if (kind === "max") for (let k = 0; k < c; k++) od[dst + k] = Math.max(od[dst + k]!, xd[src + k]!);
            else for (let k = 0; k < c; k++) od[dst + k] += xd[src + k]!;
          }
        }
        if (kind === "avg") {
          const count = Math.max(1, (h1 - h0) * (w1 - w0));
          for (let k = 0; k < c; k++) od[dst + k] /= count;
        }
        applyActivation(act, od, dst, dst + c);
        dst += c;
      }
    }
  }
  return out;
}

registerOp({
  op: "MaxPool2D",
  domain: "tfl",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: tflPoolInfer(inputs, attrs) }],
  kernel: (inputs, attrs) => [tflPoolKernel(need(inputs, 0, "input"), attrs, "max")],
});

registerOp({
  op: "AveragePool2D",
  domain: "tfl",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: tflPoolInfer(inputs, attrs) }],
  kernel: (inputs, attrs) => [tflPoolKernel(need(inputs, 0, "input"), attrs, "avg")],
});
