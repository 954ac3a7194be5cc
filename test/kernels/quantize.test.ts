/**
 * QuantizeLinear and DequantizeLinear (src/kernels/quantize.ts): per-tensor, per-axis and
 * per-block scales, rounding half to even with saturation, against hand-checked values and
 * onnxruntime.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, int, randomTensor, runOurs } from "./oracle.js";

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number>, Number);

test("QuantizeLinear rounds half to even and saturates; DequantizeLinear inverts it", () => {
  const x = tensor("float32", [5], [0.5, 1.5, 2.5, 1000, -3]);
  const q = runOurs({ op: "QuantizeLinear", inputs: [x, tensor("float32", [], [1]), tensor("uint8", [], [0])] })[0]!;
  assert.is(q.dtype, "uint8");
  assert.equal(values(q), [0, 2, 2, 255, 0]);
  const s = runOurs({ op: "QuantizeLinear", inputs: [x, tensor("float32", [], [0.5]), tensor("int8", [], [-1])] })[0]!;
  assert.equal(values(s), [0, 2, 4, 127, -7]);
  const d = runOurs({ op: "DequantizeLinear", inputs: [s, tensor("float32", [], [0.5]), tensor("int8", [], [-1])] })[0]!;
  assert.equal(values(d), [0.5, 1.5, 2.5, 64, -3]);
});

test("per-axis and blocked scales match onnxruntime", async () => {
  const x = randomTensor([2, 4, 3], 1);
  const scales = tensor("float32", [4], [0.01, 0.02, 0.05, 0.1]);
  const zeros = tensor("uint8", [4], [128, 100, 0, 7]);
  await checkAgainstOrt({ op: "QuantizeLinear", inputs: [x, scales, zeros], attrs: { axis: int(1) }, outputDTypes: ["uint8"], opset: 13 }, 0);
  const q = tensor("int8", [2, 4, 3], Array.from({ length: 24 }, (_, i) => (i * 11) % 256 - 128));
  await checkAgainstOrt({ op: "DequantizeLinear", inputs: [q, scales, tensor("int8", [4], [0, -3, 5, 1])], attrs: { axis: int(-2) }, outputDTypes: ["float32"], opset: 13 }, 1e-6);
  const blocked = tensor("float32", [2, 2, 3], Array.from({ length: 12 }, (_, i) => 0.01 * (i + 1)));
  await checkAgainstOrt({ op: "DequantizeLinear", inputs: [q, blocked], attrs: { axis: int(1), block_size: int(2) }, outputDTypes: ["float32"], opset: 21 }, 1e-6);
  await checkAgainstOrt({ op: "DequantizeLinear", inputs: [tensor("int32", [3], [-5, 0, 9]), tensor("float32", [], [0.25])], outputDTypes: ["float32"], opset: 13 }, 0);
});

test.run();
