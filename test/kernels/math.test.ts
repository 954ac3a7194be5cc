/**
 * Element-wise maths, logic and comparisons (src/kernels/math.ts): hand-checked values for the
 * cases whose answer is easy to state (rounding, modulo signs, bit shifts, broadcasting of
 * Where), and every op against onnxruntime on float32, float64 and the integer dtypes it has.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, type DType, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, float, int, randomTensor, runOurs, str, type OneNode } from "./oracle.js";

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);
const one = (spec: OneNode) => runOurs(spec)[0]!;

test("Round rounds half to even; Sign, Abs and Neg keep integer dtypes", () => {
  assert.equal(values(one({ op: "Round", inputs: [tensor("float32", [6], [0.5, 1.5, 2.5, -0.5, -1.5, 2.4])] })), [0, 2, 2, -0, -2, 2]);
  const big = tensor("int64", [3], [-(2 ** 40), 0, 7]);
  assert.equal(values(one({ op: "Sign", inputs: [big] })), [-1, 0, 1]);
  assert.equal(values(one({ op: "Abs", inputs: [big] })), [2 ** 40, 0, 7]);
  assert.equal(one({ op: "Neg", inputs: [tensor("int8", [2], [-128, 5])] }).data, Int8Array.from([-128, -5]));
});

test("Mod follows the divisor's sign unless fmod; BitShift shifts unsigned values", () => {
  const a = tensor("int32", [4], [7, -7, 7, -7]);
  const b = tensor("int32", [4], [3, 3, -3, -3]);
  assert.equal(values(one({ op: "Mod", inputs: [a, b] })), [1, 2, -2, -1]);
  assert.equal(values(one({ op: "Mod", inputs: [a, b], attrs: { fmod: int(1) } })), [1, -1, 1, -1]);
  const x = tensor("uint8", [3], [1, 255, 16]);
  const y = tensor("uint8", [3], [3, 1, 2]);
  assert.equal(values(one({ op: "BitShift", inputs: [x, y], attrs: { direction: str("LEFT") } })), [8, 254, 64]);
  assert.equal(values(one({ op: "BitShift", inputs: [x, y], attrs: { direction: str("RIGHT") } })), [0, 127, 4]);
});

test("Where broadcasts all three operands; comparisons give bool", () => {
  const cond = tensor("bool", [2, 1], [1, 0]);
  const out = one({ op: "Where", inputs: [cond, tensor("int64", [3], [1, 2, 3]), tensor("int64", [], [0])] });
  assert.equal(out.shape, [2, 3]);
  assert.equal(values(out), [1, 2, 3, 0, 0, 0]);
  const lt = one({ op: "Less", inputs: [tensor("float32", [3], [1, Number.NaN, 3]), tensor("float32", [1], [2])] });
  assert.is(lt.dtype, "bool");
  assert.equal(values(lt), [1, 0, 0]);
});

test("PRelu with a per-channel [C] slope (the opset 6 form) scales each channel", () => {
  const x = tensor("float32", [1, 2, 3], [-1, 2, -3, 4, -5, 6]);
  assert.equal(values(one({ op: "PRelu", inputs: [x, tensor("float32", [2], [0.5, 2])] })), [-0.5, 2, -1.5, 4, -10, 6]);
});

// Every op of the family against onnxruntime.
const x = randomTensor([2, 3, 4], 7);
const x64 = tensor("float64", [2, 3, 4], Array.from(x.data as Float32Array, (v) => v * 3));
const unit = tensor("float32", [2, 3, 4], Array.from(x.data as Float32Array, (v) => v * 0.99));
const positive = tensor("float32", [2, 3, 4], Array.from(x.data as Float32Array, (v) => 1.5 + v));
const unaryFloat: [string, Tensor][] = [
  ["Reciprocal", positive],
  ["Floor", x64],
  ["Ceil", x64],
  ["Round", x64],
  ["Log", positive],
  ["Sin", x64],
  ["Cos", x],
  ["Tan", x],
  ["Asin", unit],
  ["Acos", unit],
  ["Atan", x],
  ["Sinh", x],
  ["Cosh", x],
  ["Asinh", x],
  ["Acosh", positive],
  ["Atanh", unit],
  ["Softplus", x],
  ["Softsign", x],
  ["Mish", x],
  ["Elu", x],
  ["Selu", x],
  ["Celu", x],
  ["ThresholdedRelu", x],
  ["Shrink", x],
  ["Abs", x64],
  ["Neg", x],
  ["Sign", x64],
];

test("unary float ops match onnxruntime (float32 and float64)", async () => {
  for (const [op, input] of unaryFloat) await checkAgainstOrt({ op, inputs: [input], opset: 18 }, 1e-5, `${op} ${input.dtype}`);
  await checkAgainstOrt({ op: "Elu", inputs: [x], attrs: { alpha: float(0.3) } }, 1e-5);
  await checkAgainstOrt({ op: "Celu", inputs: [x], attrs: { alpha: float(2) }, opset: 12 }, 1e-5);
  await checkAgainstOrt({ op: "Shrink", inputs: [x], attrs: { bias: float(0.1), lambd: float(0.2) } }, 1e-5);
  await checkAgainstOrt({ op: "ThresholdedRelu", inputs: [x], attrs: { alpha: float(0.25) } }, 1e-5);
});

test("IsNaN, IsInf, Not, And, Or, Xor match onnxruntime", async () => {
  const special = tensor("float32", [5], [Number.NaN, Infinity, -Infinity, 0, 1]);
  await checkAgainstOrt({ op: "IsNaN", inputs: [special], outputDTypes: ["bool"] }, 0);
  for (const [neg, pos] of [[1, 1], [0, 1], [1, 0]]) {
    await checkAgainstOrt({ op: "IsInf", inputs: [special], attrs: { detect_negative: int(neg!), detect_positive: int(pos!) }, outputDTypes: ["bool"] }, 0);
  }
  const p = tensor("bool", [2, 2], [1, 0, 1, 0]);
  const q = tensor("bool", [2, 1], [1, 0]);
  await checkAgainstOrt({ op: "Not", inputs: [p] }, 0);
  for (const op of ["And", "Or", "Xor"]) await checkAgainstOrt({ op, inputs: [p, q] }, 0, op);
});

test("comparisons match onnxruntime on every dtype they take", async () => {
  const pairs: [DType, number[], number[]][] = [
    ["float32", [1, 2.5, -3, 4], [1, 2, 3]],
    ["float64", [1, 2.5, -3, 4], [1, 2, 3]],
    ["int32", [1, 2, -3, 4], [1, 2, 3]],
    ["int64", [1, 2, -3, 4], [1, 2, 3]],
    ["uint8", [1, 2, 200, 4], [1, 2, 3]],
  ];
  for (const [dtype, a, b] of pairs) {
    const A = tensor(dtype, [4, 1], a);
    const B = tensor(dtype, [3], b);
    for (const op of ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]) {
      await checkAgainstOrt({ op, inputs: [A, B], outputDTypes: ["bool"], opset: 16 }, 0, `${op} ${dtype}`);
    }
  }
  await checkAgainstOrt({ op: "Equal", inputs: [tensor("bool", [2], [1, 0]), tensor("bool", [2], [1, 1])], outputDTypes: ["bool"] }, 0);
});

test("Sum, Mean, Mod, PRelu, BitShift and Where match onnxruntime", async () => {
  const a = randomTensor([3, 1], 1);
  const b = randomTensor([1, 4], 2);
  const c = randomTensor([4], 3);
  await checkAgainstOrt({ op: "Sum", inputs: [a, b, c] }, 1e-6);
  await checkAgainstOrt({ op: "Mean", inputs: [a, b, c] }, 1e-6);
  await checkAgainstOrt({ op: "Sum", inputs: [tensor("float64", [2], [1, 2])] }, 0);
  const m = tensor("int64", [6], [7, -7, 7, -7, 0, 13]);
  const d = tensor("int64", [6], [3, 3, -3, -3, 5, 4]);
  await checkAgainstOrt({ op: "Mod", inputs: [m, d] }, 0);
  await checkAgainstOrt({ op: "Mod", inputs: [m, d], attrs: { fmod: int(1) } }, 0);
  await checkAgainstOrt({ op: "Mod", inputs: [randomTensor([5], 4), tensor("float32", [5], [0.3, -0.3, 0.7, 0.2, -0.5])], attrs: { fmod: int(1) } }, 1e-6);
  await checkAgainstOrt({ op: "PRelu", inputs: [randomTensor([2, 3, 4], 5), randomTensor([3, 1], 6)] }, 1e-6);
  // Slope per channel of NCHW, slope as large as X, X broadcast against a larger slope.
  await checkAgainstOrt({ op: "PRelu", inputs: [randomTensor([2, 4, 3, 5], 7), randomTensor([4, 1, 1], 8)] }, 1e-6);
  await checkAgainstOrt({ op: "PRelu", inputs: [randomTensor([2, 4, 3, 5], 9), randomTensor([2, 4, 3, 5], 10)] }, 1e-6);
  await checkAgainstOrt({ op: "PRelu", inputs: [randomTensor([5], 11), randomTensor([3, 5], 12)] }, 1e-6);
  for (const dtype of ["uint8", "uint32", "uint64"] as DType[]) {
    const v = tensor(dtype, [3], [1, 200, 16]);
    const s = tensor(dtype, [3], [3, 1, 2]);
    for (const direction of ["LEFT", "RIGHT"]) await checkAgainstOrt({ op: "BitShift", inputs: [v, s], attrs: { direction: str(direction) } }, 0, `BitShift ${dtype}`);
  }
  const cond = tensor("bool", [2, 1, 3], [1, 0, 1, 0, 0, 1]);
  await checkAgainstOrt({ op: "Where", inputs: [cond, randomTensor([4, 1], 7), randomTensor([3], 8)], outputDTypes: ["float32"] }, 0);
  await checkAgainstOrt({ op: "Where", inputs: [cond, tensor("int32", [3], [1, 2, 3]), tensor("int32", [1], [-1])], outputDTypes: ["int32"] }, 0);
});

test("bitwise ops match onnxruntime on signed, unsigned and 64-bit integers", async () => {
  for (const dtype of ["int8", "uint8", "int32", "uint32", "int64", "uint64"] as DType[]) {
    const a = tensor(dtype, [4], dtype.startsWith("u") ? [0, 5, 200, 255] : [-1, 5, -100, 127]);
    const b = tensor(dtype, [1], [6]);
    for (const op of ["BitwiseAnd", "BitwiseOr", "BitwiseXor"]) await checkAgainstOrt({ op, inputs: [a, b], opset: 18 }, 0, `${op} ${dtype}`);
    await checkAgainstOrt({ op: "BitwiseNot", inputs: [a], opset: 18 }, 0, `BitwiseNot ${dtype}`);
  }
});

test("a bad attribute or dtype is named before running", () => {
  assert.throws(() => one({ op: "Mod", inputs: [x, x] }), /fmod must be 1 for floating-point inputs/);
  assert.throws(() => one({ op: "BitShift", inputs: [tensor("int32", [1], [1]), tensor("int32", [1], [1])], attrs: { direction: str("LEFT") } }), /input X has dtype int32, expected uint8 or/);
  assert.throws(() => one({ op: "And", inputs: [x, x] }), /input A has dtype float32, expected bool/);
});

test.run();
