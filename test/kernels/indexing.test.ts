/**
 * Indexing and data movement (src/kernels/gather-scatter.ts, movement.ts, einsum.ts):
 * hand-checked values for the cases whose answer is easy to state, and every op against
 * onnxruntime, including negative indices, reductions and non-float dtypes.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, int, ints, randomTensor, runOurs, str, type OneNode } from "./oracle.js";

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);
const one = (spec: OneNode) => runOurs(spec)[0]!;
const idx = (shape: number[], v: number[]) => tensor("int64", shape, v);

test("GatherElements, GatherND and ScatterND by hand", () => {
  const data = tensor("int32", [2, 2], [1, 2, 3, 4]);
  assert.equal(values(one({ op: "GatherElements", inputs: [data, idx([2, 2], [0, 0, 1, 0])], attrs: { axis: int(1) } })), [1, 1, 4, 3]);
  assert.equal(values(one({ op: "GatherND", inputs: [data, idx([2, 2], [0, 0, 1, 1])] })), [1, 4]);
  assert.equal(values(one({ op: "GatherND", inputs: [data, idx([2, 1], [1, 0])] })), [3, 4, 1, 2]);
  const scattered = one({ op: "ScatterND", inputs: [data, idx([1, 1], [1]), tensor("int32", [1, 2], [9, 9])], attrs: { reduction: str("add") } });
  assert.equal(values(scattered), [1, 2, 12, 13]);
  assert.throws(() => one({ op: "GatherElements", inputs: [data, idx([1, 1], [2])] }), /index 2 is out of range for size 2/);
});

test("Tile, Expand, OneHot, Trilu, EyeLike, Range, Size, NonZero, Compress by hand", () => {
  assert.equal(values(one({ op: "Tile", inputs: [tensor("int64", [2], [1, 2]), idx([1], [3])] })), [1, 2, 1, 2, 1, 2]);
  const e = one({ op: "Expand", inputs: [tensor("float32", [2, 1], [1, 2]), idx([2], [2, 3])] });
  assert.equal(e.shape, [2, 3]);
  assert.equal(values(e), [1, 1, 1, 2, 2, 2]);
  const hot = one({ op: "OneHot", inputs: [idx([3], [0, -1, 5]), idx([], [3]), tensor("float32", [2], [0, 1])] });
  assert.equal(values(hot), [1, 0, 0, 0, 0, 1, 0, 0, 0]);
  const square = tensor("float32", [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(values(one({ op: "Trilu", inputs: [square] })), [1, 2, 3, 0, 5, 6, 0, 0, 9]);
  assert.equal(values(one({ op: "Trilu", inputs: [square, idx([], [-1])], attrs: { upper: int(0) } })), [0, 0, 0, 4, 0, 0, 7, 8, 0]);
  const eye = one({ op: "EyeLike", inputs: [tensor("int32", [2, 3])], attrs: { k: int(1), dtype: int(11) } });
  assert.is(eye.dtype, "float64");
  assert.equal(values(eye), [0, 1, 0, 0, 0, 1]);
  assert.equal(values(one({ op: "Range", inputs: [tensor("int32", [], [10]), tensor("int32", [], [4]), tensor("int32", [], [-3])] })), [10, 7]);
  assert.equal(values(one({ op: "Size", inputs: [square] })), [9]);
  const nz = one({ op: "NonZero", inputs: [tensor("bool", [2, 2], [1, 0, 0, 1])] });
  assert.equal(nz.shape, [2, 2]);
  assert.equal(values(nz), [0, 1, 0, 1]);
  assert.equal(values(one({ op: "Compress", inputs: [square, tensor("bool", [2], [0, 1])], attrs: { axis: int(1) } })), [2, 5, 8]);
  assert.equal(values(one({ op: "Compress", inputs: [square, tensor("bool", [3], [1, 0, 1])] })), [1, 3]);
});

test("DepthToSpace (DCR and CRD) and SpaceToDepth invert each other", () => {
  const x = randomTensor([1, 8, 2, 3], 4);
  for (const mode of ["DCR", "CRD"]) {
    const y = one({ op: "DepthToSpace", inputs: [x], attrs: { blocksize: int(2), mode: str(mode) } });
    assert.equal(y.shape, [1, 2, 4, 6]);
    if (mode === "DCR") assert.equal(values(one({ op: "SpaceToDepth", inputs: [y], attrs: { blocksize: int(2) } })), values(x));
  }
});

test("Einsum: matmul, transpose, trace, batched and ellipsis forms", () => {
  const a = tensor("float32", [2, 2], [1, 2, 3, 4]);
  const b = tensor("float32", [2, 2], [5, 6, 7, 8]);
  assert.equal(values(one({ op: "Einsum", inputs: [a, b], attrs: { equation: str("ij,jk->ik") } })), [19, 22, 43, 50]);
  assert.equal(values(one({ op: "Einsum", inputs: [a], attrs: { equation: str("ij->ji") } })), [1, 3, 2, 4]);
  assert.equal(values(one({ op: "Einsum", inputs: [a], attrs: { equation: str("ii") } })), [5]);
  assert.equal(values(one({ op: "Einsum", inputs: [a, b], attrs: { equation: str("ij,ij") } })), [70]);
  assert.equal(values(one({ op: "Einsum", inputs: [a, b], attrs: { equation: str("...j,...j->...") } })), [17, 53]);
});

test("gather and scatter ops match onnxruntime", async () => {
  const data = randomTensor([3, 4], 1);
  const ind = idx([2, 4], [0, 2, -1, 1, 2, 0, 1, -3]);
  await checkAgainstOrt({ op: "GatherElements", inputs: [data, ind] }, 0);
  await checkAgainstOrt({ op: "GatherElements", inputs: [data, idx([3, 2], [3, 0, -4, 1, 2, 2])], attrs: { axis: int(1) } }, 0);
  for (const reduction of ["none", "add", "mul", "max", "min"]) {
    await checkAgainstOrt({ op: "ScatterElements", inputs: [data, idx([1, 4], [2, 0, 1, 2]), randomTensor([1, 4], 2)], attrs: { reduction: str(reduction) }, opset: 18 }, 1e-6, `ScatterElements ${reduction}`);
    await checkAgainstOrt({ op: "ScatterND", inputs: [data, idx([2, 1], [2, 0]), randomTensor([2, 4], 3)], attrs: { reduction: str(reduction) }, opset: 18 }, 1e-6, `ScatterND ${reduction}`);
  }
  const cube = randomTensor([2, 3, 4], 5);
  await checkAgainstOrt({ op: "GatherND", inputs: [cube, idx([2, 2], [1, 2, 0, -1])] }, 0);
  await checkAgainstOrt({ op: "GatherND", inputs: [cube, idx([2, 1, 1], [1, 0])], attrs: { batch_dims: int(1) } }, 0);
  await checkAgainstOrt({ op: "OneHot", inputs: [idx([2, 2], [0, 3, -1, 2]), idx([], [4]), tensor("float32", [2], [-1, 7])], attrs: { axis: int(1) }, outputDTypes: ["float32"] }, 0);
  await checkAgainstOrt({ op: "Compress", inputs: [cube, tensor("bool", [3], [1, 0, 1])], attrs: { axis: int(1) } }, 0);
  await checkAgainstOrt({ op: "NonZero", inputs: [tensor("int32", [2, 3], [0, 1, 0, 5, 0, -2])], outputDTypes: ["int64"] }, 0);
});

test("movement ops and Einsum match onnxruntime", async () => {
  const x = randomTensor([1, 8, 2, 3], 6);
  await checkAgainstOrt({ op: "Tile", inputs: [randomTensor([2, 3], 7), idx([2], [2, 3])] }, 0);
  await checkAgainstOrt({ op: "Tile", inputs: [tensor("uint8", [2], [1, 200]), idx([1], [2])] }, 0);
  await checkAgainstOrt({ op: "Expand", inputs: [randomTensor([3, 1], 8), idx([3], [2, 1, 4])] }, 0);
  // Repeats on several axes at once (copies of copies), a last axis repeated, middle axes broadcast.
  await checkAgainstOrt({ op: "Tile", inputs: [randomTensor([2, 3, 1, 5], 11), idx([4], [3, 1, 4, 2])] }, 0, "Tile on three axes");
  await checkAgainstOrt({ op: "Tile", inputs: [tensor("int64", [3], [1, -2, 3]), idx([1], [5])] }, 0, "Tile int64 rank 1");
  await checkAgainstOrt({ op: "Tile", inputs: [randomTensor([2, 3], 12), idx([2], [1, 1])] }, 0, "Tile by ones");
  await checkAgainstOrt({ op: "Expand", inputs: [randomTensor([1, 4, 1, 1], 13), idx([4], [2, 4, 5, 7])] }, 0, "Expand per channel");
  await checkAgainstOrt({ op: "Expand", inputs: [randomTensor([5], 14), idx([3], [3, 2, 5])] }, 0, "Expand to higher rank");
  await checkAgainstOrt({ op: "Expand", inputs: [tensor("float32", [], [2.5]), idx([2], [3, 4])] }, 0, "Expand a scalar");
  await checkAgainstOrt({ op: "Expand", inputs: [tensor("bool", [2, 1], [1, 0]), idx([2], [2, 3])], outputDTypes: ["bool"] }, 0, "Expand bool");
  for (const mode of ["DCR", "CRD"]) await checkAgainstOrt({ op: "DepthToSpace", inputs: [x], attrs: { blocksize: int(2), mode: str(mode) } }, 0, mode);
  await checkAgainstOrt({ op: "SpaceToDepth", inputs: [randomTensor([1, 2, 4, 6], 9)], attrs: { blocksize: int(2) } }, 0);
  for (const upper of [0, 1]) {
    for (const k of [-1, 0, 2]) await checkAgainstOrt({ op: "Trilu", inputs: [randomTensor([2, 3, 4], 10), idx([], [k])], attrs: { upper: int(upper) } }, 0);
  }
  await checkAgainstOrt({ op: "EyeLike", inputs: [randomTensor([3, 4], 11)], attrs: { k: int(-1) } }, 0);
  await checkAgainstOrt({ op: "Range", inputs: [tensor("float32", [], [0.5]), tensor("float32", [], [3]), tensor("float32", [], [0.7])] }, 1e-6);
  await checkAgainstOrt({ op: "Range", inputs: [idx([], [-2]), idx([], [9]), idx([], [4])] }, 0);
  await checkAgainstOrt({ op: "Size", inputs: [x], outputDTypes: ["int64"] }, 0);
  const a = randomTensor([2, 3, 4], 12);
  const b = randomTensor([2, 4, 5], 13);
  for (const equation of ["bij,bjk->bik", "bij,bjk", "bij->jb", "...ij,...jk->...ik", "bij->b"]) {
    const inputs = equation.split("->")[0]!.includes(",") ? [a, b] : [a];
    await checkAgainstOrt({ op: "Einsum", inputs, attrs: { equation: str(equation) }, opset: 12 }, 1e-5, equation);
  }
});

test("MaxUnpool scatters MaxPool's values back; Col2Im sums columns into the image", async () => {
  const pool = { kernel_shape: ints([2, 2]), strides: ints([2, 2]) };
  const [pooled, indices] = runOurs({ op: "MaxPool", inputs: [randomTensor([1, 2, 4, 6], 14)], attrs: pool, outputs: 2 });
  const unpooled = runOurs({ op: "MaxUnpool", inputs: [pooled!, indices!], attrs: pool })[0]!;
  assert.equal(unpooled.shape, [1, 2, 4, 6]);
  await checkAgainstOrt({ op: "MaxUnpool", inputs: [pooled!, indices!], attrs: pool }, 0);
  // An odd input size is restored only through output_shape.
  const [oddPooled, oddIndices] = runOurs({ op: "MaxPool", inputs: [randomTensor([1, 2, 5, 6], 17)], attrs: pool, outputs: 2 });
  assert.throws(() => runOurs({ op: "MaxUnpool", inputs: [oddPooled!, oddIndices!], attrs: pool }), /index \d+ is out of range for size 48/);
  await checkAgainstOrt({ op: "MaxUnpool", inputs: [oddPooled!, oddIndices!, idx([4], [1, 2, 5, 6])], attrs: pool }, 0);
  const cols = randomTensor([2, 2 * 2 * 3, 12], 15);
  await checkAgainstOrt({ op: "Col2Im", inputs: [cols, idx([2], [5, 5]), idx([2], [2, 3])], attrs: { pads: ints([1, 0, 0, 1]), strides: ints([2, 1]) }, opset: 18 }, 1e-5);
  await checkAgainstOrt({ op: "Col2Im", inputs: [randomTensor([1, 4, 9], 16), idx([2], [5, 5]), idx([2], [2, 2])], attrs: { dilations: ints([2, 2]) }, opset: 18 }, 1e-5);
});

test.run();
