/**
 * Reductions (src/kernels/reduce.ts): hand-checked values for axes given as attribute and as
 * input, keepdims, noop_with_empty_axes, select_last_index, exclusive/reverse CumSum and TopK
 * ties, and every op against onnxruntime at the opsets where its axes move.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, int, ints, randomTensor, runOurs, type OneNode } from "./oracle.js";

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);
const one = (spec: OneNode, i = 0) => runOurs(spec)[i]!;
const m = tensor("float32", [2, 3], [1, 2, 3, 4, 5, 6]);

test("ReduceSum over axes from an attribute or an input, with and without keepdims", () => {
  const byAttr = one({ op: "ReduceSum", inputs: [m], attrs: { axes: ints([1]), keepdims: int(0) } });
  assert.equal(byAttr.shape, [2]);
  assert.equal(values(byAttr), [6, 15]);
  const byInput = one({ op: "ReduceSum", inputs: [m, tensor("int64", [1], [0])] });
  assert.equal(byInput.shape, [1, 3]);
  assert.equal(values(byInput), [5, 7, 9]);
  assert.equal(values(one({ op: "ReduceSum", inputs: [m] })), [21]);
  const noop = one({ op: "ReduceSumSquare", inputs: [m, tensor("int64", [0], [])], attrs: { noop_with_empty_axes: int(1) } });
  assert.equal(noop.shape, [2, 3]);
  assert.equal(values(noop), [1, 4, 9, 16, 25, 36]);
  assert.equal(values(one({ op: "ReduceProd", inputs: [tensor("int64", [3], [2, 3, 4])] })), [24]);
});

test("ArgMax picks the first or last of equal maxima; CumSum exclusive and reverse", () => {
  const t = tensor("float32", [4], [1, 3, 3, 2]);
  assert.equal(values(one({ op: "ArgMax", inputs: [t] })), [1]);
  assert.equal(values(one({ op: "ArgMax", inputs: [t], attrs: { select_last_index: int(1) } })), [2]);
  assert.equal(values(one({ op: "ArgMin", inputs: [t], attrs: { keepdims: int(0) } })), [0]);
  const axis = tensor("int32", [], [0]);
  const c = tensor("int64", [4], [1, 2, 3, 4]);
  assert.equal(values(one({ op: "CumSum", inputs: [c, axis] })), [1, 3, 6, 10]);
  assert.equal(values(one({ op: "CumSum", inputs: [c, axis], attrs: { exclusive: int(1) } })), [0, 1, 3, 6]);
  assert.equal(values(one({ op: "CumSum", inputs: [c, axis], attrs: { reverse: int(1) } })), [10, 9, 7, 4]);
  assert.equal(values(one({ op: "CumSum", inputs: [c, axis], attrs: { reverse: int(1), exclusive: int(1) } })), [9, 7, 4, 0]);
});

test("TopK returns values and indices, ties by lower index", () => {
  const t = tensor("float32", [2, 4], [1, 4, 4, 2, 5, 0, 5, 1]);
  const spec: OneNode = { op: "TopK", inputs: [t, tensor("int64", [1], [2])], outputs: 2 };
  assert.equal(values(one(spec, 0)), [4, 4, 5, 5]);
  assert.equal(values(one(spec, 1)), [1, 2, 0, 2]);
  const smallest: OneNode = { ...spec, attrs: { largest: int(0) } };
  assert.equal(values(one(smallest, 0)), [1, 2, 0, 1]);
  assert.equal(values(one(smallest, 1)), [0, 3, 1, 3]);
});

test("Reduce* match onnxruntime: axes as attribute (opset 13) and as input (opset 18)", async () => {
  const x = randomTensor([2, 3, 4], 3);
  const positive = tensor("float32", [2, 3, 4], Array.from(x.data as Float32Array, (v) => v + 1.5));
  const ops = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"];
  for (const op of ops) {
    const input = op === "ReduceLogSum" ? positive : x;
    for (const keepdims of [0, 1]) {
      if (op !== "ReduceSum") {
        await checkAgainstOrt({ op, inputs: [input], attrs: { axes: ints([0, -1]), keepdims: int(keepdims) }, opset: 13 }, 1e-5, `${op} opset 13`);
      }
      await checkAgainstOrt({ op, inputs: [input, tensor("int64", [1], [1])], attrs: { keepdims: int(keepdims) }, opset: 18 }, 1e-5, `${op} opset 18`);
    }
    await checkAgainstOrt({ op, inputs: [input], opset: 18 }, 1e-5, `${op} all axes`);
  }
  await checkAgainstOrt({ op: "ReduceSum", inputs: [tensor("int64", [2, 2], [1, 2, 3, 4]), tensor("int64", [1], [0])], opset: 13 }, 0);
  await checkAgainstOrt({ op: "ReduceMax", inputs: [tensor("float64", [3], [1, 7, 2])], opset: 18 }, 0);
});

test("ReduceSum, ReduceMean and ReduceMax over the last axes or a block of middle axes (rows on the SIMD module) match onnxruntime", async () => {
  // Rows of 768, 17 (a ragged tail) and 2·37 floats, and rows of 5 (too short: the general loop).
  // Middle axes (rows added across them): channels of NCHW, two middle axes, a first axis.
  const cases: [number[], number[]][] = [[[2, 128, 768], [-1]], [[6, 17], [1]], [[3, 2, 37], [1, 2]], [[4, 5], [-1]], [[3, 40], [0, 1]], [[2, 6, 4, 5], [1]], [[2, 3, 4, 20], [1, 2]], [[7, 33], [0]], [[1, 1, 40], [1]]];
  for (const op of ["ReduceSum", "ReduceMean", "ReduceMax"]) {
    for (const [shape, axes] of cases) {
      for (const keepdims of [0, 1]) {
        const spec: OneNode = { op, inputs: [randomTensor(shape, 5), tensor("int64", [axes.length], axes)], attrs: { keepdims: int(keepdims) }, opset: 18 };
        await checkAgainstOrt({ ...spec, produced: true }, 1e-5, `${op} ${shape} axes ${axes} keepdims ${keepdims}`);
      }
    }
  }
  // A NaN anywhere in a row is that row's maximum; the other rows are unaffected.
  const x = randomTensor([3, 20], 6);
  (x.data as Float32Array)[25] = NaN;
  const max = values(one({ op: "ReduceMax", inputs: [x, tensor("int64", [1], [1])], attrs: { keepdims: int(0) }, opset: 18, produced: true }));
  assert.ok(Number.isNaN(max[1]) && !Number.isNaN(max[0]) && !Number.isNaN(max[2]), `row maxima ${max}`);
});

test("ArgMax/ArgMin, CumSum, TopK, LogSoftmax and Hardmax match onnxruntime", async () => {
  const x = randomTensor([3, 4, 5], 11);
  for (const op of ["ArgMax", "ArgMin"]) {
    for (const axis of [0, -1]) await checkAgainstOrt({ op, inputs: [x], attrs: { axis: int(axis), keepdims: int(axis === 0 ? 1 : 0) }, outputDTypes: ["int64"] }, 0, op);
  }
  for (const [exclusive, reverse] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    await checkAgainstOrt({ op: "CumSum", inputs: [x, tensor("int64", [], [1])], attrs: { exclusive: int(exclusive!), reverse: int(reverse!) } }, 1e-5);
  }
  await checkAgainstOrt({ op: "TopK", inputs: [x, tensor("int64", [1], [3])], attrs: { axis: int(1) }, outputs: 2, outputDTypes: ["float32", "int64"] }, 0);
  await checkAgainstOrt({ op: "TopK", inputs: [x, tensor("int64", [1], [2])], attrs: { largest: int(0) }, outputs: 2, outputDTypes: ["float32", "int64"] }, 0);
  for (const op of ["LogSoftmax", "Hardmax"]) {
    for (const axis of [0, 1, -1]) await checkAgainstOrt({ op, inputs: [x], attrs: { axis: int(axis) } }, 1e-5, `${op} axis ${axis}`);
  }
});

test("LogSoftmax over wide last axes (rows on the SIMD module) matches onnxruntime, large logits and -inf included", async () => {
  const wide = randomTensor([6, 1000], 31);
  (wide.data as Float32Array).forEach((v, i, d) => (d[i] = v * 60 + (i % 7 === 0 ? 400 : 0)));
  (wide.data as Float32Array)[5] = -Infinity;
  for (const produced of [false, true]) {
    await checkAgainstOrt({ op: "LogSoftmax", inputs: [wide], produced }, 1e-5, `[6, 1000] produced ${produced}`);
    await checkAgainstOrt({ op: "LogSoftmax", inputs: [randomTensor([2, 3, 37], 32)], attrs: { axis: int(2) }, produced }, 1e-5, `[2, 3, 37] produced ${produced}`);
  }
});

test.run();
