/**
 * TFLite builtin operators ⇄ ops of the `tfl` dialect (rules/dialects/tfl.rules): which builtin
 * code and options table each op has, and how the options' fields map to attributes. The
 * attribute names are the schema's field names (snake_case); enums become their names (padding
 * "SAME"/"VALID", fused_activation_function "RELU", …), bools become 0/1 ints.
 *
 * Builtins not listed here and custom ops other than those in CUSTOM_OPS load as opaque nodes
 * (domain "tfl.builtin" or "tfl.custom") and are written back as they were read.
 */
import type { Attr, Attrs } from "../runtime/graph.js";
import { ActivationFunctionType, BuiltinOperator, BuiltinOptions, Padding } from "./schema/schema_generated.js";

type AttrKind = "padding" | "act" | "int" | "bool" | "float" | "ints";

export interface OpSpec {
  /** Op name in the tfl dialect. */
  op: string;
  code: BuiltinOperator;
  /** The options table of the builtin (NONE when it has none worth keeping). */
  options: BuiltinOptions;
  /** Attributes carried from the options table: schema field name → kind. */
  attrs: Record<string, AttrKind>;
}

const act = { fused_activation_function: "act" } as const;
const conv = { padding: "padding", stride_h: "int", stride_w: "int", dilation_h_factor: "int", dilation_w_factor: "int", ...act } as const;
const pool = { padding: "padding", stride_h: "int", stride_w: "int", filter_height: "int", filter_width: "int", ...act } as const;
const resize = { align_corners: "bool", half_pixel_centers: "bool" } as const;

function spec(op: string, code: BuiltinOperator, options: BuiltinOptions = BuiltinOptions.NONE, attrs: Record<string, AttrKind> = {}): OpSpec {
  return { op, code, options, attrs };
}

export const OP_SPECS: readonly OpSpec[] = [
  spec("Add", BuiltinOperator.ADD, BuiltinOptions.AddOptions, act),
  spec("Sub", BuiltinOperator.SUB, BuiltinOptions.SubOptions, act),
  spec("Mul", BuiltinOperator.MUL, BuiltinOptions.MulOptions, act),
  spec("Div", BuiltinOperator.DIV, BuiltinOptions.DivOptions, act),
  spec("Conv2D", BuiltinOperator.CONV_2D, BuiltinOptions.Conv2DOptions, conv),
  spec("DepthwiseConv2D", BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOptions.DepthwiseConv2DOptions, { ...conv, depth_multiplier: "int" }),
  spec("TransposeConv", BuiltinOperator.TRANSPOSE_CONV, BuiltinOptions.TransposeConvOptions, { padding: "padding", stride_h: "int", stride_w: "int", ...act }),
  spec("FullyConnected", BuiltinOperator.FULLY_CONNECTED, BuiltinOptions.FullyConnectedOptions, { ...act, keep_num_dims: "bool" }),
  spec("MaxPool2D", BuiltinOperator.MAX_POOL_2D, BuiltinOptions.Pool2DOptions, pool),
  spec("AveragePool2D", BuiltinOperator.AVERAGE_POOL_2D, BuiltinOptions.Pool2DOptions, pool),
  spec("Relu", BuiltinOperator.RELU),
  spec("Relu6", BuiltinOperator.RELU6),
  spec("ReluN1To1", BuiltinOperator.RELU_N1_TO_1),
  spec("Tanh", BuiltinOperator.TANH),
  spec("Logistic", BuiltinOperator.LOGISTIC),
  spec("HardSwish", BuiltinOperator.HARD_SWISH, BuiltinOptions.HardSwishOptions),
  spec("PRelu", BuiltinOperator.PRELU),
  spec("Softmax", BuiltinOperator.SOFTMAX, BuiltinOptions.SoftmaxOptions, { beta: "float" }),
  spec("Reshape", BuiltinOperator.RESHAPE, BuiltinOptions.ReshapeOptions),
  spec("Concatenation", BuiltinOperator.CONCATENATION, BuiltinOptions.ConcatenationOptions, { axis: "int", ...act }),
  spec("Pad", BuiltinOperator.PAD, BuiltinOptions.PadOptions),
  spec("PadV2", BuiltinOperator.PADV2, BuiltinOptions.PadV2Options),
  spec("Mean", BuiltinOperator.MEAN, BuiltinOptions.ReducerOptions, { keep_dims: "bool" }),
  spec("ResizeBilinear", BuiltinOperator.RESIZE_BILINEAR, BuiltinOptions.ResizeBilinearOptions, resize),
  spec("ResizeNearestNeighbor", BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, BuiltinOptions.ResizeNearestNeighborOptions, resize),
  spec("DepthToSpace", BuiltinOperator.DEPTH_TO_SPACE, BuiltinOptions.DepthToSpaceOptions, { block_size: "int" }),
  spec("Dequantize", BuiltinOperator.DEQUANTIZE, BuiltinOptions.DequantizeOptions),
  spec("Quantize", BuiltinOperator.QUANTIZE, BuiltinOptions.QuantizeOptions),
];

export const SPEC_BY_CODE = new Map(OP_SPECS.map((s) => [s.code, s]));
export const SPEC_BY_OP = new Map(OP_SPECS.map((s) => [s.op, s]));

/**
 * Custom ops with a kernel: MediaPipe's Convolution2DTransposeBias, whose custom options are
 * the C struct TfLiteTransposeConvParams {padding (1 SAME, 2 VALID), stride_width, stride_height}
 * as three little-endian int32.
 */
export const CUSTOM_OPS = new Set(["Convolution2DTransposeBias"]);

export function customAttrs(code: string, bytes: Uint8Array): Attrs | undefined {
  if (code !== "Convolution2DTransposeBias" || bytes.length < 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const padding = view.getInt32(0, true);
  if (padding !== 1 && padding !== 2) return undefined;
  return {
    padding: { type: "string", value: padding === 1 ? "SAME" : "VALID" },
    stride_w: { type: "int", value: view.getInt32(4, true) },
    stride_h: { type: "int", value: view.getInt32(8, true) },
  };
}

export function customOptions(code: string, attrs: Attrs): Uint8Array {
  if (code !== "Convolution2DTransposeBias") return new Uint8Array(0);
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, attrString(attrs, "padding", "VALID") === "SAME" ? 1 : 2, true);
  view.setInt32(4, attrNumber(attrs, "stride_w", 1), true);
  view.setInt32(8, attrNumber(attrs, "stride_h", 1), true);
  return bytes;
}

/** The camelCase name of a schema field in the generated object API. */
function fieldName(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

type Options = Record<string, unknown>;

/** Attributes of a builtin op from its unpacked options object (`null`: the defaults). */
export function attrsFromOptions(spec: OpSpec, options: Options | null): Attrs {
  const attrs: Attrs = {};
  if (!options) return attrs;
  for (const [name, kind] of Object.entries(spec.attrs)) {
    const v = options[fieldName(name)];
    if (v === undefined || v === null) continue;
    switch (kind) {
      case "padding":
        attrs[name] = { type: "string", value: Padding[v as number] ?? "SAME" };
        break;
      case "act":
        attrs[name] = { type: "string", value: ActivationFunctionType[v as number] ?? "NONE" };
        break;
      case "bool":
        attrs[name] = { type: "int", value: v ? 1 : 0 };
        break;
      case "int":
        attrs[name] = { type: "int", value: Number(v) };
        break;
      case "float":
        attrs[name] = { type: "float", value: Number(v) };
        break;
      case "ints":
        attrs[name] = { type: "ints", value: [...(v as number[])] };
        break;
    }
  }
  return attrs;
}

/** Writes `attrs` into an options object (the node's original one, or a fresh default one). */
export function optionsFromAttrs(spec: OpSpec, attrs: Attrs, options: Options): void {
  for (const [name, kind] of Object.entries(spec.attrs)) {
    const a = attrs[name];
    if (!a) continue;
    const field = fieldName(name);
    switch (kind) {
      case "padding":
        options[field] = Padding[String(a.value) as keyof typeof Padding] ?? Padding.SAME;
        break;
      case "act": {
        const value = ActivationFunctionType[String(a.value) as keyof typeof ActivationFunctionType];
        if (value === undefined) throw new Error(`${spec.op}: unknown fused_activation_function "${String(a.value)}"`);
        options[field] = value;
        break;
      }
      case "bool":
        options[field] = Number(a.value) !== 0;
        break;
      case "int":
      case "float":
        options[field] = Number(a.value);
        break;
      case "ints":
        options[field] = [...(a.value as number[])];
        break;
    }
  }
}

function attrString(attrs: Attrs, name: string, fallback: string): string {
  const a: Attr | undefined = attrs[name];
  return a?.type === "string" ? a.value : fallback;
}

function attrNumber(attrs: Attrs, name: string, fallback: number): number {
  const a: Attr | undefined = attrs[name];
  return a?.type === "int" || a?.type === "float" ? a.value : fallback;
}
