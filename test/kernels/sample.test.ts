/**
 * GridSample and CenterCropPad (src/kernels/sample.ts) against hand-checked values and
 * onnxruntime, with grids that reach outside the image so that every padding mode shows.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, int, ints, randomTensor, runOurs, str } from "./oracle.js";

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

test("CenterCropPad crops and pads around the centre", async () => {
  const x = tensor("int32", [3, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const y = runOurs({ op: "CenterCropPad", inputs: [x, tensor("int64", [2], [1, 6])] })[0]!;
  assert.equal(values(y), [0, 5, 6, 7, 8, 0]);
  await checkAgainstOrt({ op: "CenterCropPad", inputs: [randomTensor([5, 4, 3], 3), tensor("int64", [2], [2, 7])], attrs: { axes: ints([0, -1]) }, opset: 18 }, 0);
  await checkAgainstOrt({ op: "CenterCropPad", inputs: [randomTensor([4, 5], 4), tensor("int64", [2], [7, 2])], opset: 18 }, 0);
});

test.run();
