import { test } from "uvu";
import { f32, i64, type Tensor } from "../../src/runtime/tensor.js";
import { assertClose, checkAgainstOrt, float, randomTensor, runOurs, str } from "./oracle.js";

const broadcastCases: [string, number[], number[]][] = [
  ["same shape", [2, 3, 4], [2, 3, 4]],
  ["rank mismatch", [2, 3, 4], [4]],
  ["size-1 dims both sides", [2, 1, 4], [1, 3, 1]],
  ["scalar rhs", [3, 5], []],
  ["scalar lhs", [], [3, 5]],
  ["middle broadcast", [4, 1, 5], [4, 6, 5]],
  ["zero-size dim", [0, 3], [1, 3]],
  ["zero-size dim broadcast against size 1", [2, 0, 4], [2, 1, 4]],
  ["per-channel rhs", [2, 5, 3, 4], [1, 5, 1, 1]],
  ["per-channel lhs", [5, 1, 1], [2, 5, 3, 4]],
  ["trailing axis", [2, 3, 7], [7]],
  ["trailing axis lhs with size-1 lead", [1, 1, 7], [2, 3, 7]],
  ["one-element tensor rhs", [2, 3, 4], [1, 1, 1, 1]],
  ["one-element tensor lhs", [1], [2, 3, 4]],
  ["both broadcast, outer product", [5, 1], [1, 6]],
  ["column against row in 4-D", [2, 3, 1, 4], [1, 3, 5, 1]],
  ["size-1 output dims interleaved", [1, 4, 1, 3], [2, 1, 1, 3]],
  ["scalars both sides", [], []],
];

for (const op of ["Add", "Sub", "Mul", "Div"]) {
  for (const [name, a, b] of broadcastCases) {
    test(`${op} broadcasting ${name} matches onnxruntime`, async () => {
      await checkAgainstOrt({ op, inputs: [randomTensor(a, 1), randomTensor(b, 2)] }, 1e-5, `${op} ${name}`);
    });
  }
}

test("Pow, Max, Min (variadic) match onnxruntime", async () => {
  const base = { ...randomTensor([3, 4], 3) };
  (base.data as Float32Array).forEach((v, i, d) => (d[i] = Math.abs(v) + 0.1));
  await checkAgainstOrt({ op: "Pow", inputs: [base, randomTensor([4], 4)] });
  await checkAgainstOrt({ op: "Max", inputs: [randomTensor([3, 4], 5), randomTensor([4], 6), randomTensor([3, 1], 7)] });
  await checkAgainstOrt({ op: "Min", inputs: [randomTensor([3, 4], 5), randomTensor([1], 6), randomTensor([3, 1], 7)] });
  await checkAgainstOrt({ op: "Max", inputs: [randomTensor([2, 2], 8)] });
});

test("Max, Min and Pow take the per-channel and scalar fast paths", async () => {
  const positive = randomTensor([2, 4, 3, 3], 21);
  (positive.data as Float32Array).forEach((v, i, d) => (d[i] = Math.abs(v) + 0.1));
  await checkAgainstOrt({ op: "Pow", inputs: [positive, randomTensor([1, 4, 1, 1], 22)] });
  await checkAgainstOrt({ op: "Pow", inputs: [positive, f32([], [2])] });
  await checkAgainstOrt({ op: "Max", inputs: [randomTensor([2, 4, 3, 3], 23), randomTensor([1, 4, 1, 1], 24)] });
  await checkAgainstOrt({ op: "Min", inputs: [f32([], [0.25]), randomTensor([2, 4, 3, 3], 25)] });
});

test("int32 arithmetic broadcasts per channel", async () => {
  const a = { dtype: "int32" as const, shape: [2, 3, 2], data: Int32Array.from({ length: 12 }, (_, i) => i * 7 - 30) };
  const b = { dtype: "int32" as const, shape: [3, 1], data: Int32Array.from([3, -4, 5]) };
  await checkAgainstOrt({ op: "Mul", inputs: [a, b] });
  await checkAgainstOrt({ op: "Sub", inputs: [b, a] });
});

test("int64 arithmetic broadcasts and divides with truncation", async () => {
  await checkAgainstOrt({ op: "Add", inputs: [i64([2, 2], [1, 2, 3, 4]), i64([2], [10, 20])] });
  await checkAgainstOrt({ op: "Div", inputs: [i64([4], [7, -7, 9, -9]), i64([1], [2])] });
  await checkAgainstOrt({ op: "Mul", inputs: [i64([3], [2, 3, 4]), i64([], [-5])] });
});

const unaryCases: [string, Record<string, ReturnType<typeof float>>][] = [
  ["Relu", {}],
  ["LeakyRelu", { alpha: float(0.3) }],
  ["Sigmoid", {}],
  ["Tanh", {}],
  ["HardSigmoid", { alpha: float(0.3), beta: float(0.6) }],
  ["HardSwish", {}],
  ["Erf", {}],
  ["Exp", {}],
];

for (const [op, attrs] of unaryCases) {
  test(`${op} matches onnxruntime`, async () => {
    const x = randomTensor([2, 3, 17], 9);
    (x.data as Float32Array).forEach((v, i, d) => (d[i] = v * 4));
    await checkAgainstOrt({ op, inputs: [x], attrs, opset: 17 }, 1e-5);
  });
}

test("Sqrt matches onnxruntime", async () => {
  const x = randomTensor([40], 10);
  (x.data as Float32Array).forEach((v, i, d) => (d[i] = Math.abs(v) * 9));
  await checkAgainstOrt({ op: "Sqrt", inputs: [x] });
});

test("Clip with min/max inputs, one bound, or none matches onnxruntime", async () => {
  const x = randomTensor([3, 7], 11);
  await checkAgainstOrt({ op: "Clip", inputs: [x, f32([], [-0.2]), f32([], [0.5])] });
  await checkAgainstOrt({ op: "Clip", inputs: [x, undefined, f32([], [0.1])] });
  await checkAgainstOrt({ op: "Clip", inputs: [x] });
});

test("Gelu (opset 20) exact and tanh approximation match onnxruntime", async () => {
  const x = randomTensor([64], 12);
  (x.data as Float32Array).forEach((v, i, d) => (d[i] = v * 5));
  await checkAgainstOrt({ op: "Gelu", inputs: [x], opset: 20 }, 1e-5);
  await checkAgainstOrt({ op: "Gelu", inputs: [x], attrs: { approximate: str("tanh") }, opset: 20 }, 1e-5);
});

function expectTfl(op: string, onnxOp: string, act: string, clip?: [number, number]): void {
  test(`tfl ${op} with ${act} equals ONNX ${onnxOp} then the activation`, async () => {
    const a = randomTensor([2, 3, 4], 13);
    const b = randomTensor([4], 14);
    (b.data as Float32Array).forEach((v, i, d) => (d[i] = v * 3 + (op === "Div" ? 4 : 0)));
    const [ours] = runOurs({ op, domain: "tfl", inputs: [a, b], attrs: { fused_activation_function: str(act) } });
    const [plain] = runOurs({ op: onnxOp, inputs: [a, b] });
    const expected: Tensor = { ...plain!, data: (plain!.data as Float32Array).map((v) => (clip ? Math.min(Math.max(v, clip[0]), clip[1]) : act === "TANH" ? Math.tanh(v) : v)) };
    assertClose(ours!, expected, 1e-6);
  });
}

expectTfl("Add", "Add", "RELU", [0, Infinity]);
expectTfl("Sub", "Sub", "RELU6", [0, 6]);
expectTfl("Mul", "Mul", "RELU_N1_TO_1", [-1, 1]);
expectTfl("Div", "Div", "TANH");
expectTfl("Add", "Add", "NONE");

test("tfl Mul with a per-channel operand applies its activation to every element", () => {
  const a = randomTensor([2, 3, 4, 5], 16);
  const b = randomTensor([1, 1, 1, 5], 17);
  (b.data as Float32Array).forEach((v, i, d) => (d[i] = v * 4));
  const [ours] = runOurs({ op: "Mul", domain: "tfl", inputs: [a, b], attrs: { fused_activation_function: str("RELU6") } });
  const [plain] = runOurs({ op: "Mul", inputs: [a, b] });
  assertClose(ours!, { ...plain!, data: (plain!.data as Float32Array).map((v) => Math.min(Math.max(v, 0), 6)) }, 0);
  const [scalar] = runOurs({ op: "Add", domain: "tfl", inputs: [f32([], [-0.5]), a], attrs: { fused_activation_function: str("RELU") } });
  assertClose(scalar!, { ...a, data: (a.data as Float32Array).map((v) => Math.max(v - 0.5, 0)) }, 1e-7);
});

test("tfl activations match their ONNX equivalents", async () => {
  const x = randomTensor([50], 15);
  (x.data as Float32Array).forEach((v, i, d) => (d[i] = v * 8));
  const pairs: [string, string, Record<string, ReturnType<typeof float>>][] = [
    ["Relu", "Relu", {}],
    ["Tanh", "Tanh", {}],
    ["Logistic", "Sigmoid", {}],
  ];
  for (const [tflOp, onnxOp, attrs] of pairs) {
    const [ours] = runOurs({ op: tflOp, domain: "tfl", inputs: [x] });
    assertClose(ours!, runOurs({ op: onnxOp, inputs: [x], attrs })[0]!, 1e-6, tflOp);
  }
  const [relu6] = runOurs({ op: "Relu6", domain: "tfl", inputs: [x] });
  assertClose(relu6!, runOurs({ op: "Clip", inputs: [x, f32([], [0]), f32([], [6])] })[0]!, 0, "Relu6");
  const [n1] = runOurs({ op: "ReluN1To1", domain: "tfl", inputs: [x] });
  assertClose(n1!, runOurs({ op: "Clip", inputs: [x, f32([], [-1]), f32([], [1])] })[0]!, 0, "ReluN1To1");
});

test.run();
