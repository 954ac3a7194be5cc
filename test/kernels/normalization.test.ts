/**
 * Normalisations (src/kernels/normalization.ts) against hand-checked values and onnxruntime:
 * InstanceNormalization, GroupNormalization (per-group scale at opset 18, per-channel at 21),
 * LRN, MeanVarianceNormalization and LpNormalization.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, float, int, ints, randomTensor, runOurs } from "./oracle.js";

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number>, Number);

test("InstanceNormalization and LpNormalization by hand", () => {
  const x = tensor("float32", [1, 1, 2], [1, 3]);
  const y = runOurs({ op: "InstanceNormalization", inputs: [x, tensor("float32", [1], [2]), tensor("float32", [1], [1])], attrs: { epsilon: float(0) } })[0]!;
  assert.equal(values(y), [-1, 3]);
  const l = runOurs({ op: "LpNormalization", inputs: [tensor("float64", [2, 2], [3, 4, 0, 0])] })[0]!;
  assert.equal(values(l), [0.6, 0.8, 0, 0]);
  const l1 = runOurs({ op: "LpNormalization", inputs: [tensor("float32", [1, 2], [1, -3])], attrs: { p: int(1) } })[0]!;
  assert.equal(values(l1), [0.25, -0.75]);
});

test("normalisations match onnxruntime", async () => {
  const x = randomTensor([2, 4, 3, 3], 1);
  await checkAgainstOrt({ op: "InstanceNormalization", inputs: [x, randomTensor([4], 2), randomTensor([4], 3)] }, 1e-5);
  await checkAgainstOrt({ op: "InstanceNormalization", inputs: [randomTensor([2, 3, 5], 4), randomTensor([3], 5), randomTensor([3], 6)], attrs: { epsilon: float(0.01) } }, 1e-5);
  await checkAgainstOrt({ op: "GroupNormalization", inputs: [x, randomTensor([2], 7), randomTensor([2], 8)], attrs: { num_groups: int(2) }, opset: 18 }, 1e-5, "GroupNormalization-18");
  await checkAgainstOrt({ op: "GroupNormalization", inputs: [x, randomTensor([4], 7), randomTensor([4], 8)], attrs: { num_groups: int(2) }, opset: 21 }, 1e-5, "GroupNormalization-21");
  for (const size of [1, 3, 5]) await checkAgainstOrt({ op: "LRN", inputs: [x], attrs: { size: int(size), alpha: float(0.5), beta: float(0.6), bias: float(2) } }, 1e-5, `LRN ${size}`);
  await checkAgainstOrt({ op: "MeanVarianceNormalization", inputs: [x] }, 1e-4);
  await checkAgainstOrt({ op: "MeanVarianceNormalization", inputs: [x], attrs: { axes: ints([1, 3]) } }, 1e-4);
  for (const p of [1, 2]) {
    for (const axis of [0, -1]) await checkAgainstOrt({ op: "LpNormalization", inputs: [x], attrs: { p: int(p), axis: int(axis) } }, 1e-5);
  }
});

test.run();
