/** LayerNormalization against onnxruntime: axes, broadcast Scale/B, absent B, Mean/InvStdDev outputs. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkAgainstOrt, float, int, randomTensor, runOurs } from "./oracle.js";

test("LayerNormalization over the last axis matches onnxruntime", async () => {
  const x = randomTensor([2, 5, 12], 1);
  await checkAgainstOrt({ op: "LayerNormalization", inputs: [x, randomTensor([12], 2), randomTensor([12], 3)] }, 1e-5);
});

test("LayerNormalization over trailing axes, with epsilon, without B, matches onnxruntime", async () => {
  const x = randomTensor([3, 4, 5], 4);
  const attrs = { axis: int(1), epsilon: float(1e-3) };
  await checkAgainstOrt({ op: "LayerNormalization", inputs: [x, randomTensor([4, 5], 5), randomTensor([4, 5], 6)], attrs }, 1e-5, "axis 1");
  await checkAgainstOrt({ op: "LayerNormalization", inputs: [x, randomTensor([4, 5], 7)], attrs }, 1e-5, "no B");
});

test("LayerNormalization broadcasts Scale and B into the normalized shape like onnxruntime", async () => {
  const x = randomTensor([2, 3, 4], 8);
  await checkAgainstOrt({ op: "LayerNormalization", inputs: [x, randomTensor([1, 4], 9), randomTensor([4], 10)], attrs: { axis: int(-2) } }, 1e-5);
});

test("LayerNormalization's Mean and InvStdDev outputs match onnxruntime", async () => {
  const x = randomTensor([2, 3, 6], 11);
  await checkAgainstOrt({ op: "LayerNormalization", inputs: [x, randomTensor([6], 12), randomTensor([6], 13)], outputs: 3 }, 1e-5);
});

test("LayerNormalization with only the Mean output besides Y matches onnxruntime", async () => {
  const x = randomTensor([4, 7], 16);
  await checkAgainstOrt({ op: "LayerNormalization", inputs: [x, randomTensor([7], 17)], outputs: 2 }, 1e-5);
});

test("LayerNormalization refuses a Scale that does not fit the normalized shape", () => {
  assert.throws(() => runOurs({ op: "LayerNormalization", inputs: [randomTensor([2, 6], 14), randomTensor([5], 15)] }), /Scale \[5\] does not broadcast into the normalized shape \[6\]/);
});

test.run();
