/**
 * A dim written as -1 (some exporters' spelling of a dynamic size) is an unknown dim: the model
 * runs at any size there, as in onnxruntime, and saves with a symbolic dim.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execute } from "../../src/kernels/index.js";
import { decodeOnnx } from "../../src/onnx/load.js";
import { encodeOnnx } from "../../src/onnx/save.js";
import { buildModel, node } from "./build.js";
import { randomInput, runOrt, worstError } from "./ort.js";

test("an input dim of -1 is symbolic: batch 2 runs and matches onnxruntime", async () => {
  const bytes = buildModel({ inputs: [{ name: "x", dims: [-1, 3] }], outputs: [{ name: "y", dims: [-1, 3] }], nodes: [node("Relu", ["x"], ["y"])] });
  const graph = decodeOnnx(bytes);
  assert.type(graph.inputs[0]!.shape![0], "string");
  const x = randomInput([2, 3], 1);
  const expected = await runOrt(bytes, { x });
  assert.is(worstError(execute(graph, { x }), expected), 0);
  assert.is(worstError(await runOrt(encodeOnnx(graph), { x }), expected), 0);
});

test.run();
