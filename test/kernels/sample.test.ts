/**
 * GridSample, RoiAlign, MaxRoiPool, AffineGrid and CenterCropPad (src/kernels/sample.ts) against hand-checked values and
 * onnxruntime, with grids that reach outside the image so that every padding mode shows.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, float, int, ints, randomTensor, runOurs, str } from "./oracle.js";

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number>, Number);

test("GridSample at the corners with align_corners reads the corner pixels", () => {
  const x = tensor("float32", [1, 1, 2, 2], [1, 2, 3, 4]);
  const grid = tensor("float32", [1, 1, 4, 2], [-1, -1, 1, -1, -1, 1, 1, 1]);
  const y = runOurs({ op: "GridSample", inputs: [x, grid], attrs: { align_corners: int(1) } })[0]!;
  assert.equal(values(y), [1, 2, 3, 4]);
});

test("GridSample matches onnxruntime in every mode, padding and alignment", async () => {
  const x = randomTensor([2, 2, 4, 5], 1);
  const grid = tensor("float32", [2, 3, 4, 2], Array.from(randomTensor([2, 3, 4, 2], 2).data as Float32Array, (v) => v * 1.4));
  for (const mode of ["bilinear", "nearest", "bicubic"]) {
    for (const padding of ["zeros", "border", "reflection"]) {
      for (const align of [0, 1]) {
        const attrs = { mode: str(mode), padding_mode: str(padding), align_corners: int(align) };
        await checkAgainstOrt({ op: "GridSample", inputs: [x, grid], attrs, opset: 16 }, 1e-5, `${mode} ${padding} align ${align}`);
      }
    }
  }
  await checkAgainstOrt({ op: "GridSample", inputs: [x, grid], attrs: { mode: str("cubic") }, opset: 20 }, 1e-5, "opset 20 cubic");
});

test("RoiAlign matches onnxruntime (avg and max, both coordinate modes, sampling ratios)", async () => {
  const x = randomTensor([2, 3, 6, 7], 5);
  const rois = tensor("float32", [4, 4], [0, 0, 6, 5, 1.5, 2.2, 4.1, 5.9, -1, 3, 2, 9, 2, 1, 2.5, 1.2]);
  const batch = tensor("int64", [4], [0, 1, 1, 0]);
  for (const mode of ["avg", "max"]) {
    for (const transform of ["half_pixel", "output_half_pixel"]) {
      for (const ratio of [0, 2]) {
        const attrs = { mode: str(mode), coordinate_transformation_mode: str(transform), sampling_ratio: int(ratio), output_height: int(3), output_width: int(2), spatial_scale: float(0.9) };
        await checkAgainstOrt({ op: "RoiAlign", inputs: [x, rois, batch], attrs, opset: 16 }, 1e-5, `RoiAlign ${mode} ${transform} ${ratio}`);
      }
    }
  }
});

test("MaxRoiPool matches onnxruntime", async () => {
  const x = randomTensor([2, 3, 7, 8], 8);
  const rois = tensor("float32", [3, 5], [0, 0, 0, 7, 6, 1, 2.4, 1.6, 5.5, 4.5, 1, -2, 3, 2, 9]);
  for (const scale of [1, 0.7]) {
    await checkAgainstOrt({ op: "MaxRoiPool", inputs: [x, rois], attrs: { pooled_shape: ints([3, 2]), spatial_scale: float(scale) } }, 0, `MaxRoiPool scale ${scale}`);
  }
});

test("AffineGrid matches onnxruntime in 2-D and 3-D, with and without align_corners", async () => {
  for (const align of [0, 1]) {
    await checkAgainstOrt({ op: "AffineGrid", inputs: [randomTensor([2, 2, 3], 6), tensor("int64", [4], [2, 3, 4, 5])], attrs: { align_corners: int(align) }, opset: 20 }, 1e-5, `2-D align ${align}`);
    await checkAgainstOrt({ op: "AffineGrid", inputs: [randomTensor([1, 3, 4], 7), tensor("int64", [5], [1, 1, 2, 3, 4])], attrs: { align_corners: int(align) }, opset: 20 }, 1e-5, `3-D align ${align}`);
  }
});

test("CenterCropPad crops and pads around the centre", async () => {
  const x = tensor("int32", [3, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const y = runOurs({ op: "CenterCropPad", inputs: [x, tensor("int64", [2], [1, 6])] })[0]!;
  assert.equal(values(y), [0, 5, 6, 7, 8, 0]);
  await checkAgainstOrt({ op: "CenterCropPad", inputs: [randomTensor([5, 4, 3], 3), tensor("int64", [2], [2, 7])], attrs: { axes: ints([0, -1]) }, opset: 18 }, 0);
  await checkAgainstOrt({ op: "CenterCropPad", inputs: [randomTensor([4, 5], 4), tensor("int64", [2], [7, 2])], opset: 18 }, 0);
});

test.run();
