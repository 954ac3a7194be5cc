/**
 * NonMaxSuppression, Unique, ReverseSequence and Det (src/kernels/select.ts): hand-checked
 * values and onnxruntime.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, int, randomTensor, runOurs } from "./oracle.js";

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

// Three overlapping boxes and one apart (corner format), two classes.
const boxes = tensor("float32", [1, 4, 4], [0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, -0.1, 1, 0.9, 0, 10, 1, 11]);
const scores = tensor("float32", [1, 2, 4], [0.9, 0.75, 0.6, 0.95, 0.1, 0.8, 0.7, 0.2]);
const limits = [tensor("int64", [1], [3]), tensor("float32", [1], [0.5]), tensor("float32", [1], [0.15])];

test("NonMaxSuppression keeps the best box of each overlapping group, per class", () => {
  const selected = runOurs({ op: "NonMaxSuppression", inputs: [boxes, scores, ...limits] })[0]!;
  assert.equal(selected.shape, [4, 3]);
  assert.equal(values(selected), [0, 0, 3, 0, 0, 0, 0, 1, 1, 0, 1, 3]);
});

test("NonMaxSuppression matches onnxruntime (corner and center boxes, thresholds)", async () => {
  const many = randomTensor([2, 12, 4], 3);
  const manyScores = randomTensor([2, 3, 12], 4);
  for (const center of [0, 1]) {
    for (const [max, iou, score] of [[5, 0.3, -0.5], [2, 0.0, 0], [20, 0.9, -2]] as const) {
      const inputs = [many, manyScores, tensor("int64", [1], [max]), tensor("float32", [1], [iou]), tensor("float32", [1], [score])];
      await checkAgainstOrt({ op: "NonMaxSuppression", inputs, attrs: { center_point_box: int(center) }, outputDTypes: ["int64"] }, 0);
    }
  }
  await checkAgainstOrt({ op: "NonMaxSuppression", inputs: [boxes, scores, limits[0]], outputDTypes: ["int64"] }, 0);
});

test("Unique: flattened, sorted or not, and along an axis", async () => {
  const x = tensor("int64", [6], [2, 1, 1, 3, 4, 3]);
  const sorted = runOurs({ op: "Unique", inputs: [x], outputs: 4 });
  assert.equal(sorted.map(values), [[1, 2, 3, 4], [1, 0, 3, 4], [1, 0, 0, 2, 3, 2], [2, 1, 2, 1]]);
  const ordered = runOurs({ op: "Unique", inputs: [x], attrs: { sorted: int(0) }, outputs: 4 });
  assert.equal(ordered.map(values), [[2, 1, 3, 4], [0, 1, 3, 4], [0, 1, 1, 2, 3, 2], [1, 2, 2, 1]]);
  const m = tensor("float32", [3, 3], [1, 0, 0, 1, 0, 0, 2, 3, 4]);
  const types = ["float32", "int64", "int64", "int64"] as const;
  await checkAgainstOrt({ op: "Unique", inputs: [m], attrs: { axis: int(0) }, outputs: 4, outputDTypes: [...types] }, 0);
  await checkAgainstOrt({ op: "Unique", inputs: [m], outputs: 4, outputDTypes: [...types] }, 0);
});

test("ReverseSequence and Det match onnxruntime", async () => {
  const x = randomTensor([4, 3, 2], 5);
  await checkAgainstOrt({ op: "ReverseSequence", inputs: [x, tensor("int64", [3], [4, 1, 2])] }, 0);
  await checkAgainstOrt({ op: "ReverseSequence", inputs: [randomTensor([3, 4], 6), tensor("int64", [3], [0, 4, 3])], attrs: { batch_axis: int(0), time_axis: int(1) } }, 0);
  assert.equal(values(runOurs({ op: "Det", inputs: [tensor("float32", [2, 2], [1, 2, 3, 4])] })[0]!), [-2]);
  await checkAgainstOrt({ op: "Det", inputs: [randomTensor([2, 4, 4], 7)] }, 1e-5);
});

test.run();
