/**
 * Each tfl kernel against TFLite's interpreter on a one-op model: the graph is built in code,
 * written with fusec's encoder, run by TFLite (test/tflite/interpreter.ts) and by fusec's
 * executor. This also checks that the encoder writes ops and options TFLite accepts for nodes
 * that were never read from a file. Quantized models: an int8 activation into an arithmetic op
 * is refused at load, naming the op.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import "../../src/kernels/index.js";
import { execute } from "../../src/kernels/index.js";
import { Graph, type Attr, type Attrs } from "../../src/runtime/graph.js";
import { inferGraph } from "../../src/runtime/infer.js";
import { tensor, type DType, type Tensor } from "../../src/runtime/tensor.js";
import { decodeTflite, encodeTflite } from "../../src/tflite/index.js";
import { ModelFileError } from "../../src/onnx/index.js";
import { QuantizationParametersT } from "../../src/tflite/schema/schema_generated.js";
import { packModel, scaledError, unpackModel } from "./helpers.js";
import { runInterpreter } from "./interpreter.js";

const str = (value: string): Attr => ({ type: "string", value });
const int = (value: number): Attr => ({ type: "int", value });
const float = (value: number): Attr => ({ type: "float", value });

function random(shape: number[], seed: number, lo = -2, hi = 2): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed * 2654435761 >>> 0 || 1;
  const data = Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return lo + ((s >>> 0) / 2 ** 32) * (hi - lo);
  });
  return tensor("float32", shape, data);
}

type Operand = { input: number[] } | { constant: Tensor };

interface Case {
  name: string;
  op: string;
  operands: (Operand | undefined)[];
  attrs?: Attrs;
  outDtype?: DType;
}

const ints = (values: number[], shape = [values.length]): Operand => ({ constant: tensor("int32", shape, values) });
const weights = (shape: number[], seed: number): Operand => ({ constant: random(shape, seed, -0.5, 0.5) });

const cases: Case[] = [
  { name: "Sub RELU6 broadcasting", op: "Sub", operands: [{ input: [1, 4, 5, 3] }, weights([3], 1)], attrs: { fused_activation_function: str("RELU6") } },
  { name: "Div RELU_N1_TO_1", op: "Div", operands: [{ input: [1, 4, 5, 3] }, { constant: random([1, 1, 1, 3], 2, 0.5, 2) }], attrs: { fused_activation_function: str("RELU_N1_TO_1") } },
  { name: "Mul RELU", op: "Mul", operands: [{ input: [2, 3, 4] }, { input: [2, 3, 4] }], attrs: { fused_activation_function: str("RELU") } },
  { name: "Softmax beta 0.5", op: "Softmax", operands: [{ input: [3, 7] }], attrs: { beta: float(0.5) } },
  { name: "PRelu per channel", op: "PRelu", operands: [{ input: [1, 4, 4, 3] }, weights([1, 1, 3], 3)] },
  { name: "HardSwish", op: "HardSwish", operands: [{ input: [1, 5, 5, 4] }] },
  { name: "Concatenation axis 3", op: "Concatenation", operands: [{ input: [1, 3, 3, 2] }, { input: [1, 3, 3, 5] }], attrs: { axis: int(3) } },
  { name: "Concatenation axis 1", op: "Concatenation", operands: [{ input: [1, 3, 3, 2] }, { input: [1, 2, 3, 2] }], attrs: { axis: int(1) } },
  { name: "Pad", op: "Pad", operands: [{ input: [1, 4, 5, 2] }, ints([0, 0, 1, 2, 2, 1, 0, 0], [4, 2])] },
  { name: "PadV2 with a value", op: "PadV2", operands: [{ input: [1, 3, 3, 2] }, ints([0, 0, 1, 1, 0, 2, 0, 0], [4, 2]), { constant: tensor("float32", [], [0.75]) }] },
  { name: "Mean over H, W keep_dims", op: "Mean", operands: [{ input: [2, 5, 6, 3] }, ints([1, 2])], attrs: { keep_dims: int(1) } },
  { name: "Mean over C", op: "Mean", operands: [{ input: [2, 5, 6, 3] }, ints([3])] },
  { name: "ResizeBilinear half-pixel", op: "ResizeBilinear", operands: [{ input: [1, 5, 7, 3] }, ints([11, 9])], attrs: { half_pixel_centers: int(1) } },
  { name: "ResizeBilinear align corners", op: "ResizeBilinear", operands: [{ input: [1, 5, 7, 3] }, ints([9, 13])], attrs: { align_corners: int(1) } },
  { name: "ResizeBilinear legacy", op: "ResizeBilinear", operands: [{ input: [1, 4, 4, 2] }, ints([8, 10])] },
  { name: "ResizeNearestNeighbor", op: "ResizeNearestNeighbor", operands: [{ input: [1, 5, 7, 3] }, ints([11, 9])] },
  { name: "ResizeNearestNeighbor half-pixel", op: "ResizeNearestNeighbor", operands: [{ input: [1, 5, 7, 3] }, ints([11, 9])], attrs: { half_pixel_centers: int(1) } },
  { name: "DepthToSpace", op: "DepthToSpace", operands: [{ input: [1, 3, 4, 8] }], attrs: { block_size: int(2) } },
  { name: "TransposeConv SAME stride 2 with bias", op: "TransposeConv", operands: [ints([1, 8, 10, 5]), weights([5, 3, 3, 4], 4), { input: [1, 4, 5, 4] }, weights([5], 5)], attrs: { padding: str("SAME"), stride_h: int(2), stride_w: int(2) } },
  { name: "TransposeConv VALID stride 1", op: "TransposeConv", operands: [ints([1, 6, 7, 3]), weights([3, 3, 2, 4], 6), { input: [1, 4, 6, 4] }], attrs: { padding: str("VALID"), stride_h: int(1), stride_w: int(1) } },
  { name: "Logistic", op: "Logistic", operands: [{ input: [2, 9] }] },
  { name: "Reshape", op: "Reshape", operands: [{ input: [1, 4, 6] }, ints([2, 12])] },
  { name: "AveragePool2D SAME 3x3 stride 2", op: "AveragePool2D", operands: [{ input: [1, 7, 6, 3] }], attrs: { padding: str("SAME"), stride_h: int(2), stride_w: int(2), filter_height: int(3), filter_width: int(3) } },
  { name: "FullyConnected keep_num_dims", op: "FullyConnected", operands: [{ input: [2, 3, 6] }, weights([4, 6], 7), weights([4], 8)], attrs: { keep_num_dims: int(1), fused_activation_function: str("RELU") } },
  { name: "Dequantize float16", op: "Dequantize", operands: [{ constant: tensor("float16", [5], [0.5, -1.25, 3, 0.099975586, 1024]) }] },
  { name: "Dequantize int8 per channel", op: "Dequantize", operands: [{ constant: tensor("int8", [2, 3], [-128, 0, 127, 5, -7, 9]) }], attrs: { scale: { type: "floats", value: [0.5, 0.25] }, zero_point: { type: "ints", value: [0, 0] }, quantized_dimension: int(0) } },
];

function build(c: Case): { graph: Graph; feeds: Record<string, Tensor>; inputs: Float32Array[] } {
  const graph = new Graph();
  const feeds: Record<string, Tensor> = {};
  const inputs: Float32Array[] = [];
  const operands = c.operands.map((o, i) => {
    if (!o) return undefined;
    if ("constant" in o) return graph.addConstant(o.constant, `c${i}`);
    const v = graph.addInput(`x${i}`, "float32", o.input);
    const t = random(o.input, 10 + i);
    feeds[v.name] = t;
    inputs.push(t.data as Float32Array);
    return v;
  });
  let y = graph.newValue("y");
  graph.addNode({ op: c.op, domain: "tfl", inputs: operands, attrs: c.attrs ?? {}, outputs: [y] });
  if (inputs.length === 0) {
    // TFLite's runner needs an input: add one to the result.
    const shape = c.operands.map((o) => (o && "constant" in o ? [...o.constant.shape] : [])).find((s) => s.length)!;
    const x = graph.addInput("x", "float32", shape);
    const t = random(shape, 99);
    feeds[x.name] = t;
    inputs.push(t.data as Float32Array);
    const sum = graph.newValue("sum");
    graph.addNode({ op: "Add", domain: "tfl", inputs: [y, x], attrs: {}, outputs: [sum] });
    y = sum;
  }
  graph.outputs.push(y);
  inferGraph(graph);
  return { graph, feeds, inputs };
}

/** Quantization parameters live on the tensors of a TFLite file: set them from the case's attributes. */
function withQuantization(bytes: Uint8Array, c: Case): Uint8Array {
  const a = c.attrs ?? {};
  if (c.op !== "Dequantize" || !a["scale"]) return bytes;
  return withTensorQuantization(bytes, "c0", a["scale"].value as number[], a["zero_point"]!.value as number[], a["quantized_dimension"]!.value as number);
}

for (const c of cases) {
  test(`tfl ${c.name} agrees with TFLite`, async () => {
    const { graph, feeds, inputs } = build(c);
    const ours = execute(graph, feeds)[graph.outputs[0]!.name]!;
    const model = withQuantization(encodeTflite(graph), c);
    const [theirs] = await runInterpreter(model, inputs);
    assert.equal([...ours.shape], theirs!.shape);
    const err = scaledError(ours.data as Float32Array, theirs!.data);
    assert.ok(err <= 1e-5, `error ${err}`);
  });
}

test("an int8 activation into an arithmetic op is refused at load, naming the op", () => {
  const graph = new Graph();
  const x = graph.addInput("x", "float32", [1, 4]);
  const q = graph.newValue("q", "int8", [1, 4]);
  graph.addNode({ op: "Quantize", domain: "tfl", name: "quantize", inputs: [x], attrs: { scale: { type: "floats", value: [0.1] }, zero_point: { type: "ints", value: [0] }, dtype: str("int8") }, outputs: [q] });
  const y = graph.newValue("y", "int8", [1, 4]);
  graph.addNode({ op: "Add", domain: "tfl", name: "add", inputs: [q, q], attrs: {}, outputs: [y] });
  graph.outputs.push(y);
  try {
    decodeTflite(encodeTflite(graph), "quantized.tflite");
    assert.unreachable("loaded");
  } catch (e) {
    assert.instance(e, ModelFileError);
    assert.match((e as Error).message, /quantized\.tflite: operator 1 \(Add\) reads or writes the int8 tensor "q": quantized models are refused/);
  }
});

test("Quantize rounds ties away from zero, as TFLite's reference kernel, and saturates", () => {
  const out = execute(quantizeGraph(), { x: tensor("float32", [2, 8], [0.025, -0.025, 0.075, -0.075, 0.125, -0.125, 100, -100, 0, 0, 0, 0, 0, 0, 0, 0]) });
  assert.equal(Array.from(out["y"]!.data as Float32Array).slice(0, 8).map((v) => Math.round(v * 100) / 100), [0.05, -0.05, 0.1, -0.1, 0.15, -0.15, 6.5, -6.25]);
});

function quantizeGraph(): Graph {
  const graph = new Graph();
  const x = graph.addInput("x", "float32", [2, 8]);
  const q = graph.newValue("q", "int8", [2, 8]);
  const quant: Attrs = { scale: { type: "floats", value: [0.05] }, zero_point: { type: "ints", value: [-3] } };
  graph.addNode({ op: "Quantize", domain: "tfl", inputs: [x], attrs: { ...quant, dtype: str("int8") }, outputs: [q] });
  const y = graph.newValue("y", "float32", [2, 8]);
  graph.addNode({ op: "Dequantize", domain: "tfl", inputs: [q], attrs: { ...quant }, outputs: [y] });
  graph.outputs.push(y);
  inferGraph(graph);
  return graph;
}

test("Quantize (int8) then Dequantize agrees with TFLite", async () => {
  // The tensor q carries the quantization in the file.
  const bytes = encodeTflite(quantizeGraph());
  const loaded = decodeTflite(withTensorQuantization(bytes, "q", [0.05], [-3], 0));
  // No exact ties: TFLite's reference kernel rounds them away from zero (as fusec does), the
  // XNNPACK kernels of its wasm build to even.
  const input = random([2, 8], 3, -8, 8);
  (input.data as Float32Array).set([0.076, -0.074, 0.026, 10, -10, 0.124, -0.126, 0], 0);
  const ours = execute(loaded, { [loaded.inputs[0]!.name]: input })[loaded.outputs[0]!.name]!;
  const [theirs] = await runInterpreter(encodeTflite(loaded), [input.data as Float32Array]);
  assert.equal(Array.from(ours.data as Float32Array), Array.from(theirs!.data));
});

/** Sets a tensor's quantization through flatc's object API, as a converter would have. */
function withTensorQuantization(bytes: Uint8Array, name: string, scale: number[], zero: number[], axis: number): Uint8Array {
  const m = unpackModel(bytes);
  const t = m.subgraphs[0]!.tensors.find((x) => x.name === name)!;
  t.quantization = new QuantizationParametersT([], [], scale, zero.map(BigInt), 0, null, axis);
  return packModel(m);
}

test.run();
