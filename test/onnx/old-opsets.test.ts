/**
 * Models of old opsets load with their old meaning: Softmax before opset 13 normalizes the input
 * flattened to 2-D at `axis` (default 1), not along one axis. fusec's run and the saved model
 * must both agree with onnxruntime's run of the original file.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execute } from "../../src/kernels/index.js";
import { decodeOnnx } from "../../src/onnx/load.js";
import { encodeOnnx } from "../../src/onnx/save.js";
import { attr, buildModel, node } from "./build.js";
import { randomInput, runOrt, worstError } from "./ort.js";

const x = randomInput([2, 3, 4], 5);

function softmaxModel(opset: number, axis: number | undefined, dims: (number | string)[] | undefined): Uint8Array {
  return buildModel({
    opsets: { "": opset },
    inputs: [{ name: "x", dims: dims as (number | string)[] }],
    outputs: [{ name: "y" }],
    nodes: [node("Softmax", ["x"], ["y"], axis === undefined ? [] : [attr.int("axis", axis)])],
  });
}

const cases: [string, number, number | undefined, (number | string)[] | undefined][] = [
  ["opset 11, default axis (1) of a rank-3 input", 11, undefined, [2, 3, 4]],
  ["opset 11, axis 0", 11, 0, [2, 3, 4]],
  ["opset 11, axis -2", 11, -2, [2, 3, 4]],
  ["opset 11, last axis", 11, 2, [2, 3, 4]],
  ["opset 11, symbolic batch", 11, 1, ["N", 3, 4]],
  ["opset 11, input of unknown rank", 11, 1, undefined],
  ["opset 13, default axis (-1)", 13, undefined, [2, 3, 4]],
];

for (const [label, opset, axis, dims] of cases) {
  test(`Softmax ${label}: fusec and the saved model compute what onnxruntime does`, async () => {
    const bytes = softmaxModel(opset, axis, dims);
    const expected = await runOrt(bytes, { x });
    const graph = decodeOnnx(bytes, "softmax.onnx");
    assert.ok(worstError(execute(graph, { x }), expected) < 1e-6, "fusec's run differs");
    assert.equal(graph.outputs.map((v) => v.name), ["y"]);
    assert.ok(worstError(await runOrt(encodeOnnx(graph), { x }), expected) < 1e-6, "the saved model differs");
  });
}

test.run();
