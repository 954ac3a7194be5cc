/**
 * DFT, STFT, MelWeightMatrix and the window functions (src/kernels/signal.ts), the deprecated Upsample and ImageScaler
 * (src/kernels/legacy.ts), Resize's tf_crop_and_resize, CastLike and integer Clip: hand-checked
 * values and onnxruntime.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { assertClose, checkAgainstOrt, float, floats, int, ints, randomTensor, runOurs, str } from "./oracle.js";

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

test("DFT of a real signal, forward and back", () => {
  const x = tensor("float32", [1, 4, 1], [1, 2, 3, 4]);
  const spectrum = runOurs({ op: "DFT", inputs: [x], attrs: { axis: int(1) } })[0]!;
  assertClose(spectrum, tensor("float32", [1, 4, 2], [10, 0, -2, 2, -2, 0, -2, -2]), 1e-6);
  const back = runOurs({ op: "DFT", inputs: [spectrum], attrs: { axis: int(1), inverse: int(1) } })[0]!;
  assertClose(back, tensor("float32", [1, 4, 2], [1, 0, 2, 0, 3, 0, 4, 0]), 1e-6);
  const half = runOurs({ op: "DFT", inputs: [x], attrs: { axis: int(1), onesided: int(1) } })[0]!;
  assert.equal(half.shape, [1, 3, 2]);
  const real = runOurs({ op: "DFT", inputs: [half], attrs: { axis: int(1), onesided: int(1), inverse: int(1) } })[0]!;
  assertClose(real, tensor("float32", [1, 4, 1], [1, 2, 3, 4]), 1e-6);
});

test("DFT and the windows match onnxruntime", async () => {
  const complex = randomTensor([2, 5, 3, 2], 1);
  for (const axis of [1, 2]) await checkAgainstOrt({ op: "DFT", inputs: [complex], attrs: { axis: int(axis) }, opset: 17 }, 1e-5, `DFT axis ${axis}`);
  await checkAgainstOrt({ op: "DFT", inputs: [randomTensor([3, 6, 1], 2)], attrs: { axis: int(1), onesided: int(1) }, opset: 17 }, 1e-5, "one-sided");
  await checkAgainstOrt({ op: "DFT", inputs: [complex, tensor("int64", [], [7])], attrs: { axis: int(1), inverse: int(1) }, opset: 17 }, 1e-5, "inverse padded");
  await checkAgainstOrt({ op: "DFT", inputs: [complex, tensor("int64", [], [3]), tensor("int64", [], [1])], opset: 20 }, 1e-5, "opset 20 truncated");
  const signal = randomTensor([2, 20, 1], 5);
  const hann = runOurs({ op: "HannWindow", inputs: [tensor("int64", [], [8])] })[0]!;
  await checkAgainstOrt({ op: "STFT", inputs: [signal, tensor("int64", [], [3]), hann], opset: 17 }, 1e-5, "STFT windowed");
  await checkAgainstOrt({ op: "STFT", inputs: [randomTensor([1, 16, 2], 6), tensor("int64", [], [4]), undefined, tensor("int64", [], [6])], attrs: { onesided: int(0) }, opset: 17 }, 1e-5, "STFT complex two-sided");
  const scalar = (dtype: "int64" | "float32", v: number) => tensor(dtype, [], [v]);
  for (const [mels, dft, rate, lo, hi] of [[8, 64, 8000, 0, 4000], [5, 31, 16000, 300, 7000]] as const) {
    const inputs = [scalar("int64", mels), scalar("int64", dft), scalar("int64", rate), scalar("float32", lo), scalar("float32", hi)];
    await checkAgainstOrt({ op: "MelWeightMatrix", inputs, outputDTypes: ["float32"], opset: 17 }, 1e-6, `MelWeightMatrix ${mels}×${dft}`);
  }
  for (const op of ["HannWindow", "HammingWindow", "BlackmanWindow"]) {
    for (const periodic of [0, 1]) {
      await checkAgainstOrt({ op, inputs: [tensor("int64", [], [9])], attrs: { periodic: int(periodic) }, outputDTypes: ["float32"], opset: 17 }, 1e-6, `${op} periodic ${periodic}`);
    }
  }
});

test("Upsample (scales attribute and input) and ImageScaler match onnxruntime", async () => {
  const x = randomTensor([1, 2, 3, 4], 3);
  for (const mode of ["nearest", "linear"]) {
    await checkAgainstOrt({ op: "Upsample", inputs: [x], attrs: { mode: str(mode), scales: floats([1, 1, 2, 1.5]) }, opset: 8 }, 1e-5, `Upsample-8 ${mode}`);
    await checkAgainstOrt({ op: "Upsample", inputs: [x, tensor("float32", [4], [1, 1, 2, 3])], attrs: { mode: str(mode) }, opset: 9 }, 1e-5, `Upsample-9 ${mode}`);
  }
  const y = runOurs({ op: "ImageScaler", inputs: [tensor("float32", [1, 2, 1, 2], [1, 2, 3, 4])], attrs: { scale: float(2), bias: floats([10, 20]) } })[0]!;
  assert.equal(values(y), [12, 14, 26, 28]);
});

test("Resize with tf_crop_and_resize samples the region and extrapolates outside it", async () => {
  const x = randomTensor([1, 2, 4, 5], 4);
  for (const mode of ["linear", "nearest"]) {
    const roi = tensor("float32", [8], [0, 0, 0.2, -0.3, 1, 1, 1.1, 0.8]);
    const attrs = { mode: str(mode), coordinate_transformation_mode: str("tf_crop_and_resize"), extrapolation_value: float(-7) };
    await checkAgainstOrt({ op: "Resize", inputs: [x, roi, tensor("float32", [4], [1, 1, 1.5, 1.2])], attrs, opset: 13 }, 1e-5, `crop ${mode}`);
    await checkAgainstOrt({ op: "Resize", inputs: [x, tensor("float32", [4], [0.1, 0, 0.9, 1]), undefined, tensor("int64", [2], [3, 7])], attrs: { ...attrs, axes: ints([2, 3]) }, opset: 18 }, 1e-5, `crop ${mode} axes`);
  }
});

test("CastLike takes the second input's dtype; Clip clips integers with integer bounds", async () => {
  const c = runOurs({ op: "CastLike", inputs: [tensor("float32", [3], [1.7, -2.5, 300]), tensor("uint8", [0], [])] })[0]!;
  assert.is(c.dtype, "uint8");
  await checkAgainstOrt({ op: "CastLike", inputs: [tensor("float32", [3], [1.7, -2.5, 3]), tensor("int32", [1], [0])], outputDTypes: ["int32"], opset: 15 }, 0);
  const big = tensor("int64", [4], [-(2 ** 40), -1, 5, 2 ** 40]);
  await checkAgainstOrt({ op: "Clip", inputs: [big, tensor("int64", [], [-3]), tensor("int64", [], [4])], opset: 13 }, 0);
  await checkAgainstOrt({ op: "Clip", inputs: [tensor("int32", [3], [-9, 0, 9]), undefined, tensor("int32", [], [2])], opset: 13 }, 0);
});

test.run();
