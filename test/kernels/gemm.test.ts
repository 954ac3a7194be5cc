import { test } from "uvu";
import { assertClose, checkAgainstOrt, float, int, randomTensor, runOurs, str } from "./oracle.js";

test("Gemm with transposes, alpha, beta and broadcast C matches onnxruntime", async () => {
  const cases: [number[], number[], number[] | undefined, Record<string, ReturnType<typeof int>>][] = [
    [[5, 7], [7, 9], [9], {}],
    [[7, 5], [7, 9], [5, 1], { transA: int(1) }],
    [[5, 7], [9, 7], [5, 9], { transB: int(1), alpha: float(0.5), beta: float(2) }],
    [[7, 5], [9, 7], [], { transA: int(1), transB: int(1), beta: float(-1) }],
    [[13, 300], [300, 11], undefined, {}],
  ];
  for (const [a, b, c, attrs] of cases) {
    await checkAgainstOrt({ op: "Gemm", inputs: [randomTensor(a, 1), randomTensor(b, 2), c ? randomTensor(c, 3) : undefined], attrs }, 1e-4, `Gemm ${a} ${b} ${c}`);
  }
});

test("MatMul with numpy batching and 1-D operands matches onnxruntime", async () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [4, 5]],
    [[2, 3, 4], [4, 5]],
    [[2, 3, 4], [2, 4, 5]],
    [[2, 1, 3, 4], [3, 4, 6]],
    [[4], [4, 5]],
    [[2, 3, 4], [4]],
    [[4], [4]],
  ];
  for (const [a, b] of cases) await checkAgainstOrt({ op: "MatMul", inputs: [randomTensor(a, 4), randomTensor(b, 5)] }, 1e-5, `MatMul ${a} ${b}`);
});

test("FusedGemm with each activation matches onnxruntime", async () => {
  const acts: [string, Record<string, ReturnType<typeof float>>][] = [
    ["Relu", {}],
    ["LeakyRelu", { activation_alpha: float(0.2) }],
    ["Sigmoid", {}],
    ["Tanh", {}],
    ["HardSigmoid", { activation_alpha: float(0.3), activation_beta: float(0.4) }],
  ];
  for (const [activation, extra] of acts) {
    await checkAgainstOrt(
      { op: "FusedGemm", domain: "com.microsoft", inputs: [randomTensor([6, 8], 6), randomTensor([10, 8], 7), randomTensor([10], 8)], attrs: { transB: int(1), activation: str(activation), ...extra } },
      1e-5,
      activation,
    );
  }
});

test("tfl FullyConnected equals Gemm with transB, keep_num_dims keeps leading dims", () => {
  const x = randomTensor([2, 3, 8], 9);
  const w = randomTensor([5, 8], 10);
  const b = randomTensor([5], 11);
  const [fc] = runOurs({ op: "FullyConnected", domain: "tfl", inputs: [x, w, b], attrs: { fused_activation_function: str("RELU") } });
  const flat = { ...x, shape: [6, 8] };
  const [gemm] = runOurs({ op: "FusedGemm", domain: "com.microsoft", inputs: [flat, w, b], attrs: { transB: int(1), activation: str("Relu") } });
  assertClose(fc!, gemm!, 1e-6);
  const [kept] = runOurs({ op: "FullyConnected", domain: "tfl", inputs: [x, w], attrs: { keep_num_dims: int(1) } });
  const [plain] = runOurs({ op: "Gemm", inputs: [flat, w], attrs: { transB: int(1) } });
  assertClose(kept!, { ...plain!, shape: [2, 3, 5] }, 1e-6);
});

test.run();
