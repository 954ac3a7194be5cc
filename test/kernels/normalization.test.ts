/**
 * Normalisations (src/kernels/normalization.ts) against hand-checked values and onnxruntime:
 * InstanceNormalization, GroupNormalization (per-group scale at opset 18, per-channel at 21),
 * LRN, MeanVarianceNormalization and LpNormalization; BatchNormalization's training mode,
 * pre-opset-9 non-spatial form and rank-1 input.
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

/** Instance/group normalisation in float64 from the float32 inputs: groups of `per` channels. */
function normalizedF64(x: Tensor, groups: number, scale: ArrayLike<number>, bias: ArrayLike<number>, epsilon: number): Float64Array {
  const d = x.data as Float32Array;
  const [n, c] = x.shape as [number, number];
  const spatial = d.length / (n * c);
  const per = c / groups;
  const out = new Float64Array(d.length);
  for (let g = 0; g < n * groups; g++) {
    const base = g * per * spatial;
    let mean = 0;
    for (let i = 0; i < per * spatial; i++) mean += d[base + i]!;
    mean /= per * spatial;
    let variance = 0;
    for (let i = 0; i < per * spatial; i++) variance += (d[base + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / (per * spatial) + epsilon);
    for (let i = 0; i < per * spatial; i++) {
      const channel = (g % groups) * per + Math.floor(i / spatial);
      out[base + i] = (d[base + i]! - mean) * inv * scale[channel]! + bias[channel]!;
    }
  }
  return out;
}

test("InstanceNormalization and GroupNormalization on tensors in the kernel memory stay within 1e-4 of float64, a large mean with a small spread included", async () => {
  const wide = randomTensor([2, 6, 9, 11], 21);
  const offset = randomTensor([2, 6, 9, 11], 22);
  // 1000 + 0.01·noise: x·(1/σ) would round to ~1e-2 of the result; (x − mean)/σ does not.
  const narrow: Tensor = { ...offset, data: Float32Array.from(offset.data as Float32Array, (v) => 1000 + 0.01 * v) };
  const scale = randomTensor([6], 23);
  const bias = randomTensor([6], 24);
  for (const [label, x] of [["random", wide], ["1000 ± 0.01", narrow]] as const) {
    const instance = runOurs({ op: "InstanceNormalization", inputs: [x, scale, bias], produced: true })[0]!;
    const group = runOurs({ op: "GroupNormalization", inputs: [x, scale, bias], attrs: { num_groups: int(3) }, opset: 21, produced: true })[0]!;
    for (const [name, actual, expected] of [["InstanceNormalization", instance, normalizedF64(x, 6, scale.data as Float32Array, bias.data as Float32Array, 1e-5)], ["GroupNormalization", group, normalizedF64(x, 3, scale.data as Float32Array, bias.data as Float32Array, 1e-5)]] as const) {
      const a = actual.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(a[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
      assert.ok(worst <= 1e-4, `${name} on ${label}: error ${worst}`);
    }
  }
  await checkAgainstOrt({ op: "InstanceNormalization", inputs: [wide, scale, bias], produced: true }, 1e-5, "InstanceNormalization produced");
  await checkAgainstOrt({ op: "GroupNormalization", inputs: [wide, randomTensor([3], 25), randomTensor([3], 26)], attrs: { num_groups: int(3) }, opset: 18, produced: true }, 1e-5, "GroupNormalization-18 produced");
});

test("BatchNormalization: training outputs, non-spatial statistics, rank-1 input", async () => {
  const x = randomTensor([2, 3, 2, 2], 9);
  const params = [randomTensor([3], 10), randomTensor([3], 11), randomTensor([3], 12), tensor("float32", [3], [0.5, 1, 2])];
  const f32 = (n: number) => Array<"float32">(n).fill("float32");
  await checkAgainstOrt({ op: "BatchNormalization", inputs: [x, ...params], attrs: { training_mode: int(1), momentum: float(0.8) }, outputs: 3, outputDTypes: f32(3), opset: 15 }, 1e-5, "training_mode");
  await checkAgainstOrt({ op: "BatchNormalization", inputs: [x, ...params], attrs: { momentum: float(0.8) }, outputs: 5, outputDTypes: f32(5), opset: 9 }, 1e-5, "opset 9 training outputs");
  const perPosition = [randomTensor([3, 2, 2], 13), randomTensor([3, 2, 2], 14), randomTensor([3, 2, 2], 15), tensor("float32", [3, 2, 2], Array(12).fill(0.7))];
  await checkAgainstOrt({ op: "BatchNormalization", inputs: [x, ...perPosition], attrs: { spatial: int(0) }, opset: 7 }, 1e-5, "spatial 0");
  const one = [tensor("float32", [1], [2]), tensor("float32", [1], [1]), tensor("float32", [1], [3]), tensor("float32", [1], [4])];
  const y = runOurs({ op: "BatchNormalization", inputs: [tensor("float32", [2], [3, 5]), ...one], attrs: { epsilon: float(0) } })[0]!;
  assert.equal(values(y), [1, 3]);
});

test.run();
