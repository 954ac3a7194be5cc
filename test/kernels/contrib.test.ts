/**
 * The com.microsoft Gelu and layer-normalization families against onnxruntime-node: Gelu,
 * BiasGelu, FastGelu (with and without bias), QuickGelu, SkipLayerNormalization (every output,
 * skip broadcast over the batch), SkipSimplifiedLayerNormalization and SimplifiedLayerNormalization.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkAgainstOrt, float, int, randomTensor, runOurs } from "./oracle.js";

const MS = "com.microsoft";

test("Gelu, BiasGelu, FastGelu and QuickGelu match onnxruntime", async () => {
  const x = randomTensor([2, 3, 8], 71);
  const scaled = { ...x, data: (x.data as Float32Array).map((v) => v * 4) };
  const bias = randomTensor([8], 72);
  await checkAgainstOrt({ op: "Gelu", domain: MS, inputs: [scaled] }, 1e-5);
  await checkAgainstOrt({ op: "BiasGelu", domain: MS, inputs: [scaled, bias] }, 1e-5);
  await checkAgainstOrt({ op: "FastGelu", domain: MS, inputs: [scaled] }, 1e-5);
  await checkAgainstOrt({ op: "FastGelu", domain: MS, inputs: [scaled, bias] }, 1e-5);
  await checkAgainstOrt({ op: "QuickGelu", domain: MS, inputs: [scaled] }, 1e-5);
  await checkAgainstOrt({ op: "QuickGelu", domain: MS, inputs: [scaled], attrs: { alpha: float(1.3) } }, 1e-5);
});

test("a Gelu bias repeats over X's elements (onnxruntime-web); an empty or matrix bias is an error", () => {
  const [y] = runOurs({ op: "FastGelu", domain: MS, inputs: [{ dtype: "float32", shape: [2, 2], data: Float32Array.of(0, 0, 0, 0) }, { dtype: "float32", shape: [3], data: Float32Array.of(1, 2, 3) }] });
  const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  assert.ok([1, 2, 3, 1].every((b, i) => Math.abs((y!.data as Float32Array)[i]! - gelu(b)) < 1e-6));
  assert.throws(() => runOurs({ op: "FastGelu", domain: MS, inputs: [randomTensor([2, 4], 1), randomTensor([2, 4], 2)] }), /rank 2, expected 1/);
  assert.throws(() => runOurs({ op: "BiasGelu", domain: MS, inputs: [randomTensor([2, 4], 1), { dtype: "float32", shape: [0], data: new Float32Array(0) }] }), /empty/);
});

test("SkipLayerNormalization and SkipSimplifiedLayerNormalization match onnxruntime, every output", async () => {
  const x = randomTensor([2, 3, 8], 73);
  const gamma = randomTensor([8], 74);
  const beta = randomTensor([8], 75);
  const bias = randomTensor([8], 76);
  for (const skip of [randomTensor([2, 3, 8], 77), randomTensor([3, 8], 78)]) {
    await checkAgainstOrt({ op: "SkipLayerNormalization", domain: MS, inputs: [x, skip, gamma, beta, bias], attrs: { epsilon: float(1e-5) }, outputs: 4 }, 1e-4);
    await checkAgainstOrt({ op: "SkipLayerNormalization", domain: MS, inputs: [x, skip, gamma] }, 1e-4);
    await checkAgainstOrt({ op: "SkipSimplifiedLayerNormalization", domain: MS, inputs: [x, skip, gamma, bias], attrs: { epsilon: float(1e-5) }, outputs: 4 }, 1e-4);
  }
});

test("SimplifiedLayerNormalization matches onnxruntime over the last axis and over several", async () => {
  const x = randomTensor([2, 3, 8], 79);
  await checkAgainstOrt({ op: "SimplifiedLayerNormalization", inputs: [x, randomTensor([8], 80)], attrs: { epsilon: float(1e-5) }, outputs: 2 }, 1e-4);
  await checkAgainstOrt({ op: "SimplifiedLayerNormalization", inputs: [x, randomTensor([3, 8], 81)], attrs: { axis: int(1) } }, 1e-4);
});

test.run();
