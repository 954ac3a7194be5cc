import { test } from "uvu";
import * as assert from "uvu/assert";
import { lookupOp } from "../../src/runtime/registry.js";
import { f32, i64, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, int, ints, randomTensor, runOurs, str } from "./oracle.js";
import "../../src/kernels/index.js";

const X = randomTensor([2, 3, 4, 5], 1);
const INT64_MAX = 9223372036854775807n;

function i64Big(values: bigint[]): Tensor {
  return { dtype: "int64", shape: [values.length], data: BigInt64Array.from(values) };
}

test("Reshape with 0, -1 and allowzero matches onnxruntime", async () => {
  await checkAgainstOrt({ op: "Reshape", inputs: [X, i64([3], [0, -1, 5])] });
  await checkAgainstOrt({ op: "Reshape", inputs: [X, i64([2], [6, 20])] });
  await checkAgainstOrt({ op: "Reshape", inputs: [randomTensor([0, 3], 2), i64([2], [3, 0])], attrs: { allowzero: int(1) }, opset: 14 });
});

test("Flatten, Squeeze, Unsqueeze, Transpose match onnxruntime", async () => {
  for (const axis of [0, 2, -1]) await checkAgainstOrt({ op: "Flatten", inputs: [X], attrs: { axis: int(axis) } });
  await checkAgainstOrt({ op: "Squeeze", inputs: [randomTensor([1, 3, 1, 2], 3), i64([1], [-2])] });
  await checkAgainstOrt({ op: "Squeeze", inputs: [randomTensor([1, 3, 1, 2], 3)] });
  await checkAgainstOrt({ op: "Unsqueeze", inputs: [randomTensor([3, 2], 4), i64([2], [0, -1])] });
  await checkAgainstOrt({ op: "Transpose", inputs: [X], attrs: { perm: ints([0, 2, 3, 1]) } });
  await checkAgainstOrt({ op: "Transpose", inputs: [X] });
  // Produced tensors whose transpose is one strided plane (the module gathers it): NCHW ↔ NHWC of one image, a matrix.
  for (const perm of [[0, 2, 3, 1], [0, 3, 1, 2]]) {
    await checkAgainstOrt({ op: "Transpose", inputs: [randomTensor([1, 3, 4, 5], 7)], attrs: { perm: ints(perm) }, produced: true }, 0, `produced ${perm}`);
  }
  await checkAgainstOrt({ op: "Transpose", inputs: [randomTensor([7, 9], 8)], produced: true }, 0, "produced matrix");
});

test("Transpose and Slice merge dims that step through the source together", async () => {
  const withOnes = randomTensor([1, 4, 1, 3, 5], 8);
  await checkAgainstOrt({ op: "Transpose", inputs: [withOnes], attrs: { perm: ints([2, 0, 3, 4, 1]) } }, 0, "size-1 dims");
  await checkAgainstOrt({ op: "Transpose", inputs: [randomTensor([1, 6, 7, 3], 9)], attrs: { perm: ints([0, 3, 1, 2]) } }, 0, "NHWC to NCHW");
  await checkAgainstOrt({ op: "Transpose", inputs: [X], attrs: { perm: ints([1, 0, 2, 3]) } }, 0, "trailing plane whole");
  await checkAgainstOrt({ op: "Slice", inputs: [X, i64([1], [1]), i64([1], [3]), i64([1], [1])] }, 0, "contiguous rows");
  await checkAgainstOrt({ op: "Slice", inputs: [X, i64([2], [-1, 3]), i64Big([-INT64_MAX, 0n]), i64([2], [1, 2]), i64([2], [-1, -1])] }, 0, "reversed");
  await checkAgainstOrt({ op: "Slice", inputs: [X, i64([1], [2]), i64([1], [2]), i64([1], [3])] }, 0, "empty");
});

test("Transpose and Slice copy contiguous runs whole: planes of rows by the module (arena floats), one run, other dtypes", async () => {
  const heads = randomTensor([2, 16, 3, 20], 12); // [batch, tokens, heads, dim] → [batch, heads, tokens, dim]
  for (const produced of [false, true]) {
    await checkAgainstOrt({ op: "Transpose", inputs: [heads], attrs: { perm: ints([0, 2, 1, 3]) }, produced }, 0, `heads split, produced ${produced}`);
    await checkAgainstOrt({ op: "Transpose", inputs: [randomTensor([3, 16, 20], 13)], attrs: { perm: ints([1, 0, 2]) }, produced }, 0, `heads merged, produced ${produced}`);
    await checkAgainstOrt({ op: "Slice", inputs: [randomTensor([1, 8, 6, 7], 14), i64([1], [2]), i64([1], [5]), i64([1], [1])], produced }, 0, `channels 2:5, produced ${produced}`);
    await checkAgainstOrt({ op: "Slice", inputs: [randomTensor([2, 8, 6, 7], 15), i64([2], [1, 2]), i64([2], [7, 5]), i64([2], [1, 2])], produced }, 0, `rows of planes, produced ${produced}`);
  }
  const ints64 = i64Big(Array.from({ length: 2 * 16 * 3 * 4 }, (_, i) => BigInt(i * 7 - 100)));
  await checkAgainstOrt({ op: "Transpose", inputs: [{ ...ints64, shape: [2, 16, 3, 4] }], attrs: { perm: ints([0, 2, 1, 3]) } }, 0, "int64 heads split");
  await checkAgainstOrt({ op: "Slice", inputs: [{ ...ints64, shape: [2, 16, 3, 4] }, i64([1], [4]), i64([1], [9]), i64([1], [1])] }, 0, "int64 one run");
});

test("Concat and Split (sizes input and equal parts) match onnxruntime", async () => {
  await checkAgainstOrt({ op: "Concat", inputs: [X, randomTensor([2, 1, 4, 5], 5), randomTensor([2, 2, 4, 5], 6)], attrs: { axis: int(1) } });
  await checkAgainstOrt({ op: "Concat", inputs: [X, X], attrs: { axis: int(-1) } });
  // Produced tensors (in the kernel memory): rows moved by the module.
  await checkAgainstOrt({ op: "Concat", inputs: [X, randomTensor([2, 1, 4, 5], 5), randomTensor([2, 2, 4, 5], 6)], attrs: { axis: int(1) }, produced: true }, 0, "produced axis 1");
  await checkAgainstOrt({ op: "Concat", inputs: [X, X], attrs: { axis: int(-1) }, produced: true }, 0, "produced axis -1");
  await checkAgainstOrt({ op: "Split", inputs: [X, i64([2], [1, 3])], attrs: { axis: int(2) }, outputs: 2 });
  await checkAgainstOrt({ op: "Split", inputs: [randomTensor([6, 2], 7)], outputs: 3 });
});

test("Slice with negative starts, INT64_MAX ends and negative steps matches onnxruntime", async () => {
  const cases: [Tensor, Tensor, Tensor | undefined, Tensor | undefined][] = [
    [i64([2], [1, -3]), i64Big([INT64_MAX, -1n]), i64([2], [1, 3]), undefined],
    [i64([1], [-1]), i64Big([-INT64_MAX]), i64([1], [2]), i64([1], [-1])],
    [i64([2], [3, 4]), i64([2], [0, -10]), i64([2], [2, 3]), i64([2], [-2, -2])],
    [i64([1], [10]), i64([1], [20]), i64([1], [0]), undefined],
    [i64([1], [1]), i64([1], [3]), undefined, undefined],
  ];
  for (const [starts, ends, axes, steps] of cases) {
    await checkAgainstOrt({ op: "Slice", inputs: [X, starts, ends, axes, steps] });
  }
});

test("Gather with negative indices and scalar index matches onnxruntime", async () => {
  await checkAgainstOrt({ op: "Gather", inputs: [X, i64([2, 2], [0, -1, 2, 1])], attrs: { axis: int(1) } });
  await checkAgainstOrt({ op: "Gather", inputs: [X, i64([], [3])], attrs: { axis: int(-1) } });
  await checkAgainstOrt({ op: "Gather", inputs: [i64([4], [5, 6, 7, 8]), i64([1], [-2])] });
});

test("Pad constant, reflect and edge (with negative pads) match onnxruntime", async () => {
  const x = randomTensor([2, 3, 4], 8);
  await checkAgainstOrt({ op: "Pad", inputs: [x, i64([6], [0, 1, 2, 1, 0, 3]), f32([], [0.5])] });
  await checkAgainstOrt({ op: "Pad", inputs: [x, i64([6], [0, 2, 3, 0, 1, 2])], attrs: { mode: str("reflect") } });
  await checkAgainstOrt({ op: "Pad", inputs: [x, i64([6], [1, 0, 2, 0, 1, 5])], attrs: { mode: str("edge") } });
  await checkAgainstOrt({ op: "Pad", inputs: [x, i64([6], [0, -1, 1, 0, 0, -2])] });
  // Constant padding by rows: planes of rows in the kernel memory, rank 1, int64, no padding at all.
  const planes = randomTensor([2, 3, 5, 7], 40);
  for (const produced of [false, true]) {
    await checkAgainstOrt({ op: "Pad", inputs: [planes, i64([8], [0, 1, 2, 1, 1, 0, 3, 2]), f32([], [-1.5])], produced }, 0, `planes, produced ${produced}`);
    await checkAgainstOrt({ op: "Pad", inputs: [randomTensor([9], 41), i64([2], [2, 3])], produced }, 0, `rank 1, produced ${produced}`);
  }
  await checkAgainstOrt({ op: "Pad", inputs: [i64Big([1n, -2n, 3n, 4n, 5n, 6n]), i64([2], [1, 2]), i64Big([7n])] }, 0, "int64");
  await checkAgainstOrt({ op: "Pad", inputs: [planes, i64([8], [0, 0, 0, 0, 0, 0, 0, 0])] }, 0, "no padding");
});

test("Shape with start/end, ConstantOfShape, Cast match onnxruntime", async () => {
  await checkAgainstOrt({ op: "Shape", inputs: [X], outputDTypes: ["int64"] });
  await checkAgainstOrt({ op: "Shape", inputs: [X], attrs: { start: int(1), end: int(-1) }, outputDTypes: ["int64"], opset: 15 });
  await checkAgainstOrt({ op: "ConstantOfShape", inputs: [i64([2], [2, 3])], attrs: { value: { type: "tensor", value: f32([1], [1.5]) } }, outputDTypes: ["float32"] });
  await checkAgainstOrt({ op: "Cast", inputs: [f32([4], [1.7, -2.5, 0, 3])], attrs: { to: int(7) }, outputDTypes: ["int64"] });
  await checkAgainstOrt({ op: "Cast", inputs: [i64([3], [1, -2, 0])], attrs: { to: int(1) }, outputDTypes: ["float32"] });
});

test("Identity, Dropout (with mask) and Constant", () => {
  assert.equal(Array.from(runOurs({ op: "Identity", inputs: [X] })[0]!.data as Float32Array), Array.from(X.data as Float32Array));
  const [y, mask] = runOurs({ op: "Dropout", inputs: [X], outputs: 2 });
  assert.equal(Array.from(y!.data as Float32Array), Array.from(X.data as Float32Array));
  assert.is(mask!.dtype, "bool");
  assert.ok((mask!.data as Uint8Array).every((m) => m === 1));
  const [c] = runOurs({ op: "Constant", inputs: [], attrs: { value_ints: ints([4, 5]) } });
  assert.equal([c!.dtype, [...c!.shape], Array.from(c!.data, Number)], ["int64", [2], [4, 5]]);
});

test("shape inference reads constant operands and keeps symbolic dims", () => {
  const reshape = lookupOp("", "Reshape")!;
  const out = reshape.infer([{ dtype: "float32", shape: ["batch", 3, 4] }, { dtype: "int64", shape: [2], constant: i64([2], [0, -1]) }], {}, 1);
  assert.equal(out[0]!.shape, ["batch", 12]);
  const unknown = reshape.infer([{ dtype: "float32", shape: ["batch", 3, 4] }, { dtype: "int64", shape: [3] }], {}, 1);
  assert.is(unknown[0]!.shape!.length, 3);
  assert.ok(unknown[0]!.shape!.every((d) => typeof d === "string"));
  const conv = lookupOp("", "Conv")!;
  const convOut = conv.infer([{ dtype: "float32", shape: ["n", 3, 32, "w"] }, { dtype: "float32", shape: [8, 3, 3, 3] }], { strides: ints([2, 2]) }, 1);
  assert.is(convOut[0]!.shape![0], "n");
  assert.equal(convOut[0]!.shape!.slice(1, 3), [8, 15]);
  assert.type(convOut[0]!.shape![3], "string");
  const add = lookupOp("", "Add")!;
  assert.equal(add.infer([{ dtype: "float32", shape: ["b", 1, 4] }, { dtype: "float32", shape: [3, 1] }], {}, 1)[0]!.shape, ["b", 3, 4]);
});

test.run();
