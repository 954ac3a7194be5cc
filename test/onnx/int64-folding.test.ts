/**
 * Folding int64 constants keeps the model's meaning: a Slice whose end is computed as
 * INT64_MAX + 0 still slices to the end after the onnx pack folds the Add, in fusec and in the
 * saved model run by onnxruntime.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeOnnx, encodeOnnx, execute, loadPass, optimize } from "../../src/index.js";
import { DataType } from "./onnx-proto.js";
import { buildModel, node } from "./build.js";
import { randomInput, runOrt, worstError } from "./ort.js";

const int64 = (name: string, value: bigint) => ({
  name,
  dataType: DataType.INT64,
  dims: [1],
  rawData: new Uint8Array(BigInt64Array.of(value).buffer),
});

test("a Slice end of INT64_MAX + 0 still means 'to the end' after folding", async () => {
  const bytes = buildModel({
    inputs: [{ name: "x", dims: [2, 5] }],
    outputs: [{ name: "y" }],
    initializers: [int64("start", 1n), int64("max", 2n ** 63n - 1n), int64("zero", 0n), int64("axis", 1n)],
    nodes: [node("Add", ["max", "zero"], ["end"]), node("Slice", ["x", "start", "end", "axis"], ["y"])],
  });
  const x = randomInput([2, 5], 3);
  const expected = await runOrt(bytes, { x });
  const graph = decodeOnnx(bytes);
  // The rule pack's FoldConstantAdd, without the folding phase (which would fold the Add first).
  const stats = optimize(graph, { passes: [await loadPass("onnx")], fold: false });
  assert.is(stats.firings["FoldConstantAdd"], 1);
  assert.is(worstError(execute(graph, { x }), expected), 0);
  assert.is(worstError(await runOrt(encodeOnnx(graph), { x }), expected), 0);
});

test("the folding phase keeps INT64_MAX + 0 meaning 'to the end'", async () => {
  const bytes = buildModel({
    inputs: [{ name: "x", dims: [2, 5] }],
    outputs: [{ name: "y" }],
    initializers: [int64("start", 1n), int64("max", 2n ** 63n - 1n), int64("zero", 0n), int64("axis", 1n)],
    nodes: [node("Add", ["max", "zero"], ["end"]), node("Slice", ["x", "start", "end", "axis"], ["y"])],
  });
  const x = randomInput([2, 5], 3);
  const expected = await runOrt(bytes, { x });
  const graph = decodeOnnx(bytes);
  const stats = optimize(graph, { passes: [await loadPass("onnx")] });
  assert.is(stats.folding?.folded, 1);
  assert.equal([...graph.nodes].map((n) => n.op), ["Slice"]);
  assert.is(worstError(execute(graph, { x }), expected), 0);
  assert.is(worstError(await runOrt(encodeOnnx(graph), { x }), expected), 0);
});

test.run();
