/**
 * Deprecated ops that older models still hold and onnxruntime still runs:
 * - Upsample (opsets 7-9, replaced by Resize): scales as an attribute (7-8) or an input (9),
 *   nearest or linear. It samples at o / scale, which is what Resize's two-input (opset 10)
 *   form does, so the node runs through Resize's kernel.
 * - ImageScaler (experimental before opset 10): y = scale·x + bias[c] on NCHW images.
 */
import type { Attrs } from "../runtime/graph.js";
import { lookupOp, OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import { FLOAT_DTYPES, numel, tensor, type Tensor } from "../runtime/tensor.js";
import { writer } from "./nary.js";
import { attrFloat, attrFloats, attrString, checkDType, hasAttr, need, outputUninit } from "./util.js";

function resizeOp() {
  const def = lookupOp("", "Resize");
  if (!def) throw new OpError("Upsample runs through Resize, which is not registered");
  return def;
}

function mode(attrs: Attrs): Attrs {
  const m = attrString(attrs, "mode", "nearest");
  if (m !== "nearest" && m !== "linear" && m !== "bilinear") throw new OpError(`mode must be nearest or linear, got "${m}"`);
  return { mode: { type: "string", value: m === "bilinear" ? "linear" : m } };
}

/** Scales from the attribute (opsets 7-8) when there is no scales input. */
function attributeScales(attrs: Attrs): Tensor | undefined {
  if (!hasAttr(attrs, "scales")) return undefined;
  const s = attrFloats(attrs, "scales");
  return tensor("float32", [s.length], s);
}

registerOp({
  op: "Upsample",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const fromAttr = attributeScales(attrs);
    const scales: ValueInfo | undefined = inputs[1] ?? (fromAttr && { dtype: "float32", shape: [...fromAttr.shape], constant: fromAttr });
    if (!scales) throw new OpError("Upsample needs scales (an input, or an attribute before opset 9)");
    return resizeOp().infer([x, scales], mode(attrs), 1);
  },
  kernel: (inputs, attrs) => {
    const scales = inputs[1] ?? attributeScales(attrs);
    if (!scales) throw new OpError("Upsample needs scales (an input, or an attribute before opset 9)");
    return resizeOp().kernel([need(inputs, 0, "X"), scales], mode(attrs), 1);
  },
});

registerOp({
  op: "ImageScaler",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "input");
    checkDType(x.dtype, FLOAT_DTYPES, "input");
    if (x.shape && x.shape.length !== 4) throw new OpError(`input has rank ${x.shape.length}, expected 4 (NCHW)`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const [n, c] = x.shape as [number, number];
    const bias = attrFloats(attrs, "bias", []);
    // onnxruntime reads bias[c] per channel and tolerates extra entries.
    if (bias.length !== 0 && bias.length < c) throw new OpError(`bias has ${bias.length} entries, the input ${c} channels`);
    const scale = attrFloat(attrs, "scale", 1);
    const plane = numel(x.shape.slice(2));
    const out = outputUninit(x.dtype, x.shape);
    const write = writer(x.dtype, out.data);
    const xd = x.data as ArrayLike<number>;
    for (let i = 0; i < n * c * plane; i++) write(i, scale * xd[i]! + (bias[Math.floor(i / plane) % c] ?? 0));
    return [out];
  },
});
