import { test } from "uvu";
import * as assert from "uvu/assert";
import { activeGemmKernel, selectGemmKernel, sgemm, type GemmKernel, type MatrixView, type OffsetMatrix } from "../../src/kernels/gemm.js";
import { arenaRelease, arenaTake } from "../../src/kernels/arena.js";
import { assertClose, checkAgainstOrt, float, int, randomTensor, runOrt, runOurs, str, type OneNode } from "./oracle.js";

function randomFloats(n: number, seed: number): Float32Array {
  return randomTensor([n], seed).data as Float32Array;
}

/** C = A·B in float64, element by element. */
function naiveProduct(M: number, N: number, K: number, a: (i: number, p: number) => number, b: (p: number, j: number) => number): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let p = 0; p < K; p++) s += a(i, p) * b(p, j);
    c[i * N + j] = s;
  }
  return c;
}

function assertNear(actual: Float32Array, expected: ArrayLike<number>, label: string): void {
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(actual[i]! - e) <= 1e-4 * (1 + Math.abs(e)))) assert.unreachable(`${label}: element ${i} is ${actual[i]}, expected ${e}`);
  }
}

const kernels: GemmKernel[] = ["wasm-simd", "js"];

// Sizes straddle the register tile (4×8), the C chunk (64 columns), the A block (128 rows), the
// B block (512 columns) and the depth block (512, split evenly).
const sizes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [4, 8, 16], [13, 70, 9], [130, 67, 600], [9, 530, 33], [5, 3, 1100]];

for (const kernel of kernels) {
  test(`sgemm (${kernel}) with strided A, transposed B and accumulation matches a float64 product`, () => {
    assert.is(selectGemmKernel(kernel), kernel);
    try {
      for (const [M, N, K] of sizes) {
        const a = randomFloats(M * K, M + K);
        const b = randomFloats(K * N, N + K);
        const aView: MatrixView = { data: a, offset: 0, rowStride: 1, colStride: M }; // A stored transposed
        const bView: MatrixView = { data: b, offset: 0, rowStride: N, colStride: 1 };
        const expected = naiveProduct(M, N, K, (i, p) => a[p * M + i]!, (p, j) => b[p * N + j]!);
        const c = new Float32Array(M * N);
        sgemm(M, N, K, aView, bView, c, 0, N, false);
        assertNear(c, expected, `${M}x${N}x${K}`);
        const start = randomFloats(M * N, 99);
        const acc = new Float32Array(start);
        sgemm(M, N, K, aView, bView, acc, 0, N, true);
        assertNear(acc, expected.map((v, i) => v + start[i]!), `${M}x${N}x${K} accumulated`);
      }
    } finally {
      selectGemmKernel("wasm-simd");
    }
  });

  test(`sgemm (${kernel}) fuses bias, residual and Relu, and gathers offset-matrix operands`, () => {
    selectGemmKernel(kernel);
    try {
      const [M, N, K] = [6, 75, 20];
      const a = randomFloats(M * K, 1);
      // B(p, j) = data[3 + rowOffsets[p] + colOffsets[j]]: runs of 8 columns and scattered ones.
      const data = randomFloats(4000, 2);
      const rowOffsets = Int32Array.from({ length: K }, (_, p) => 150 * p + (p % 3));
      const colOffsets = Int32Array.from({ length: N }, (_, j) => (j < 40 ? j : 2 * j + 7));
      const b: OffsetMatrix = { data, offset: 3, rowOffsets, colOffsets };
      const bias = randomFloats(M, 3);
      const residual = randomFloats(M * N, 4);
      const product = naiveProduct(M, N, K, (i, p) => a[i * K + p]!, (p, j) => data[3 + rowOffsets[p]! + colOffsets[j]!]!);
      const expected = product.map((v, idx) => Math.max(0, v + bias[Math.floor(idx / N)]! + residual[idx]!));
      const c = new Float32Array(M * N);
      sgemm(M, N, K, { data: a, offset: 0, rowStride: K, colStride: 1 }, b, c, 0, N, false, {
        bias,
        biasPerRow: true,
        residual,
        activation: { kind: "relu", a: 0, b: 0 },
      });
      assertNear(c, expected, "fused");
    } finally {
      selectGemmKernel("wasm-simd");
    }
  });
}

test("sgemm gathers B rows a plane apart in the arena (a pointwise convolution's input) and offset matrices starting with scattered columns", () => {
  // Rows 4096 floats apart (one cache set), N past two B blocks and off the panel width, depth
  // under and over one block; then an offset matrix whose first panels are not runs.
  for (const [M, N, K] of [[24, 1003, 24], [7, 530, 600]] as const) {
    const plane = 4096;
    const b = arenaTake(K * plane);
    if (!b) return assert.unreachable("no arena buffer");
    try {
      b.set(randomFloats(K * plane, K));
      const a = randomFloats(M * K, M);
      const bias = randomFloats(M, 5);
      const residual = randomFloats(M * N, 6);
      const product = naiveProduct(M, N, K, (i, p) => a[i * K + p]!, (p, j) => b[p * plane + j]!);
      const expected = product.map((v, idx) => Math.max(0, v + bias[Math.floor(idx / N)]! + residual[idx]!));
      const c = new Float32Array(M * N);
      sgemm(M, N, K, { data: a, offset: 0, rowStride: K, colStride: 1 }, { data: b, offset: 0, rowStride: plane, colStride: 1 }, c, 0, N, false, {
        bias,
        biasPerRow: true,
        residual,
        activation: { kind: "relu", a: 0, b: 0 },
      });
      assertNear(c, expected, `${M}x${N}x${K} plane-strided`);
      const colOffsets = Int32Array.from({ length: N }, (_, j) => (j < 13 ? 3 * j : j + 40));
      const rowOffsets = Int32Array.from({ length: K }, (_, p) => p * plane);
      const scattered = naiveProduct(M, N, K, (i, p) => a[i * K + p]!, (p, j) => b[1 + rowOffsets[p]! + colOffsets[j]!]!);
      sgemm(M, N, K, { data: a, offset: 0, rowStride: K, colStride: 1 }, { data: b, offset: 1, rowOffsets, colOffsets }, c, 0, N, false);
      assertNear(c, scattered, `${M}x${N}x${K} scattered first`);
    } finally {
      arenaRelease(b);
    }
  }
});

test("the SIMD kernel is in use on Node 20", () => {
  assert.is(activeGemmKernel(), "wasm-simd");
});

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

test("a row vector times constant weights (a classifier head at batch 1) matches onnxruntime, run after run", async () => {
  // sgemm turns these into Cᵀ = Bᵀ·Aᵀ (the weights packed once, a matrix-vector product), and a
  // one-row Gemm's C of one value per column becomes the epilogue's bias. K = 1100: several depth
  // blocks; N = 1000: several row blocks of the transposed product; N = 9: a ragged register tile.
  const cases: [string, OneNode][] = [
    ["Gemm transB, C [N]", { op: "Gemm", inputs: [randomTensor([1, 1100], 1), randomTensor([1000, 1100], 2), randomTensor([1000], 3)], attrs: { transB: int(1) } }],
    ["Gemm, C [1, N]", { op: "Gemm", inputs: [randomTensor([1, 40], 4), randomTensor([40, 9], 5), randomTensor([1, 9], 6)] }],
    ["Gemm, scalar C, beta 0.5, alpha 2", { op: "Gemm", inputs: [randomTensor([1, 40], 7), randomTensor([9, 40], 8), randomTensor([], 9)], attrs: { transB: int(1), alpha: float(2), beta: float(0.5) } }],
    ["Gemm transA, no C", { op: "Gemm", inputs: [randomTensor([300, 1], 10), randomTensor([300, 130], 11)], attrs: { transA: int(1) } }],
    ["FusedGemm Relu, C [N]", { op: "FusedGemm", domain: "com.microsoft", inputs: [randomTensor([1, 64], 12), randomTensor([70, 64], 13), randomTensor([70], 14)], attrs: { transB: int(1), activation: str("Relu") } }],
    ["MatMul [1, K]", { op: "MatMul", inputs: [randomTensor([1, 200], 15), randomTensor([200, 33], 16)] }],
    ["MatMul [3, 1, K]", { op: "MatMul", inputs: [randomTensor([3, 1, 64], 17), randomTensor([64, 20], 18)] }],
  ];
  for (const [label, spec] of cases) {
    const [expected] = await runOrt(spec);
    const constant = { ...spec, weights: true };
    for (let run = 0; run < 2; run++) assertClose(runOurs(constant)[0]!, expected!, 1e-4, `${label}, run ${run}`);
    assertClose(runOurs({ ...spec, produced: true })[0]!, expected!, 1e-4, `${label}, weights as inputs`);
  }
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
