/**
 * A constant fusec keeps only to save (a bfloat16 tensor: an element type fusec does not hold)
 * says so when a run reaches it, instead of calling its attribute the wrong type.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execute } from "../../src/kernels/index.js";
import { decodeOnnx } from "../../src/onnx/load.js";
import { encodeOnnx } from "../../src/onnx/save.js";
import { DataType } from "./onnx-proto.js";
import { attr, buildModel, node } from "./build.js";
import { randomInput, runOrt, worstError } from "./ort.js";

const model = buildModel({
  inputs: [{ name: "x", dims: [3] }],
  outputs: [{ name: "y" }],
  initializers: [{ name: "h", dataType: DataType.BFLOAT16, dims: [3], int32Data: [0x3dcd, 0x4000, 0x4040] }], // 0.1, 2, 3
  nodes: [node("Cast", ["h"], ["hc"], [attr.int("to", DataType.FLOAT)]), node("Add", ["x", "hc"], ["y"])],
});

test("running a bfloat16 constant names the node and the element type problem", () => {
  const graph = decodeOnnx(model);
  assert.throws(() => execute(graph, { x: randomInput([3], 1) }), /node "h_constant" \(Constant\): its tensor has an element type fusec does not compute with/);
});

test("the same model still saves unchanged for onnxruntime", async () => {
  const x = randomInput([3], 1);
  assert.is(worstError(await runOrt(encodeOnnx(decodeOnnx(model)), { x }), await runOrt(model, { x })), 0);
});

test.run();
