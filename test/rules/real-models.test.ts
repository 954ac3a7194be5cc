/**
 * The default ONNX pack on the real models (issue 5's "done when"): on PP-OCR det and rec no
 * Mul(constant, Conv) is left whose Conv result has no other reader, and no HardSwish spelled
 * out as Add/Clip/Mul/Div; on PP-OCR cls no BatchNormalization is left; on BlazeFace every
 * Conv → Add → Relu block becomes one FusedConv; PP-OCR rec's spelled-out LayerNorms become
 * LayerNormalization (and, saved at the model's opset 9, run in onnxruntime as the original does).
 * Each optimized graph verifies and computes the original's outputs (fusec's executor, small
 * concrete inputs).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execute, inferGraph, loadOnnx, loadPass, optimize, verify, type Graph, type Node, type Tensor, type Value } from "../../src/index.js";
import { MODELS } from "../../bench/real-models.js";
import { encodeOnnx } from "../../src/onnx/save.js";
import { randomInput, relativeError, runOrt } from "../onnx/ort.js";

/** Small input shapes keep the executor fast; rec needs height 48. */
const TEST_SHAPES: Record<string, number[]> = {
  "PP-OCR cls": [1, 3, 48, 64],
  "PP-OCR det": [1, 3, 32, 32],
  "PP-OCR rec": [1, 3, 48, 32],
  BlazeFace: [1, 256, 256, 3],
};

interface Optimized {
  before: Graph;
  after: Graph;
  firings: Record<string, number>;
}

async function optimizedModel(name: string): Promise<Optimized> {
  const model = MODELS.find((m) => m.name === name)!;
  const load = () => {
    const g = loadOnnx(model.path);
    g.inputs[0]!.shape = [...TEST_SHAPES[name]!];
    inferGraph(g);
    return g;
  };
  const after = load();
  const stats = optimize(after, { passes: await loadPass("onnx") });
  assert.equal(verify(after), [], "the optimized graph verifies");
  return { before: load(), after, firings: stats.firings };
}

function assertSameOutputs({ before, after }: Optimized): void {
  const input = before.inputs[0]!;
  const shape = input.shape as number[];
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let seed = 7;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    data[i] = (seed / 2147483648) * 2 - 1;
  }
  const feeds: Record<string, Tensor> = { [input.name]: { dtype: "float32", shape, data } };
  const reference = execute(before, feeds);
  const actual = execute(after, feeds);
  for (const [name, r] of Object.entries(reference)) {
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < r.data.length; i++) {
      diff = Math.max(diff, Math.abs(Number(actual[name]!.data[i]) - Number(r.data[i])));
      scale = Math.max(scale, Math.abs(Number(r.data[i])));
    }
    assert.ok(diff <= 1e-4 * Math.max(scale, 1e-30), `output ${name}: max error ${diff} against max |value| ${scale}`);
  }
}

const producer = (v: Value | undefined): Node | undefined => v?.producer;
const count = (g: Graph, op: string) => [...g.nodes].filter((n) => n.op === op).length;

/** Mul(constant, Conv) where the Conv result is read by that Mul only. */
function foldableConvMuls(g: Graph): number {
  return [...g.nodes].filter((n) => {
    if (n.op !== "Mul") return false;
    const [a, b] = n.inputs;
    const conv = producer(a)?.op === "Conv" ? a : producer(b)?.op === "Conv" ? b : undefined;
    const other = conv === a ? b : a;
    return conv !== undefined && other?.constant !== undefined && conv.uses.length === 1;
  }).length;
}

/** A Div or Mul whose operand is x·Clip(x + 3, …): HardSwish left spelled out. */
function spelledOutHardSwish(g: Graph): number {
  return [...g.nodes].filter((n) => {
    if (n.op !== "Div" && n.op !== "Mul") return false;
    return n.inputs.some((v) => {
      const m = producer(v);
      return m?.op === "Mul" && m.inputs.some((w) => producer(w)?.op === "Clip" && producer(producer(w)!.inputs[0])?.op === "Add");
    });
  }).length;
}

for (const name of ["PP-OCR det", "PP-OCR rec"]) {
  test(`${name}: no foldable Mul(constant, Conv) and no spelled-out HardSwish is left`, async () => {
    const result = await optimizedModel(name);
    assert.ok(foldableConvMuls(result.before) > 0 && spelledOutHardSwish(result.before) > 0, "the original has both patterns");
    assert.is(foldableConvMuls(result.after), 0, "Mul(constant, Conv) left");
    assert.is(spelledOutHardSwish(result.after), 0, "HardSwish spelled out left");
    assert.ok((result.firings["HardSwishFromParts[Div]"] ?? 0) > 0, "HardSwish recognised");
    assert.ok(result.after.nodes.size < result.before.nodes.size, "fewer nodes");
    assertSameOutputs(result);
  });
}

test("PP-OCR cls: no BatchNormalization is left", async () => {
  const result = await optimizedModel("PP-OCR cls");
  assert.is(count(result.before, "BatchNormalization"), 35);
  assert.is(count(result.after, "BatchNormalization"), 0);
  assertSameOutputs(result);
});

test("BlazeFace: every Conv → Add → Relu block is one FusedConv", async () => {
  const result = await optimizedModel("BlazeFace");
  const blocks = [...result.before.nodes].filter(
    (n) => n.op === "Relu" && producer(n.inputs[0])?.op === "Add" && producer(n.inputs[0])!.inputs.some((v) => producer(v)?.op === "Conv"),
  ).length;
  assert.is(blocks, 31);
  assert.is(result.firings["FuseResidualActivationIntoConv[Relu,Relu]"], blocks);
  assert.is(count(result.after, "Add"), 0);
  assert.is(count(result.after, "Relu"), 0);
  assertSameOutputs(result);
});

test("PP-OCR rec: every spelled-out LayerNorm is one LayerNormalization with scale and bias folded in", async () => {
  const result = await optimizedModel("PP-OCR rec");
  assert.is(count(result.before, "Pow"), 5);
  assert.is(result.firings["LayerNormFromParts"], 5);
  assert.is(result.firings["FoldMulIntoLayerNorm"], 5);
  assert.is(result.firings["FoldAddIntoLayerNorm"], 5);
  assert.is(count(result.after, "LayerNormalization"), 5);
  for (const op of ["Pow", "Sqrt", "ReduceMean", "Sub", "Div"]) assert.is(count(result.after, op), 0, `${op} left`);
  assertSameOutputs(result);
  // Saved at opset 9, LayerNormalization is spelled out again in standard ops.
  const input = result.before.inputs[0]!;
  const feeds = { [input.name]: randomInput(input.shape as number[], 5) };
  const model = MODELS.find((m) => m.name === "PP-OCR rec")!;
  const want = await runOrt(model.path, feeds);
  const got = await runOrt(encodeOnnx(result.after), feeds);
  for (const [name, reference] of Object.entries(want)) assert.ok(relativeError(got[name]!, reference) < 1e-4, `output ${name} in onnxruntime`);
});

test.run();
