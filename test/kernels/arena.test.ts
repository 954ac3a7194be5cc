import { test } from "uvu";
import * as assert from "uvu/assert";
import { arenaRelease, arenaTake, inArena } from "../../src/kernels/arena.js";
import { sgemm, type GemmEpilogue } from "../../src/kernels/gemm.js";
import { execute } from "../../src/kernels/index.js";
import { Graph, type Attrs } from "../../src/runtime/graph.js";
import type { Tensor } from "../../src/runtime/tensor.js";
import { assertClose, floats, int, ints, randomTensor, runOrt, str } from "./oracle.js";

function randomFloats(n: number, seed: number): Float32Array {
  return randomTensor([n], seed).data as Float32Array;
}

/** `data` copied into an arena buffer (the test fails without one: the engine has SIMD). */
function inArenaCopy(data: Float32Array): Float32Array {
  const buf = arenaTake(data.length);
  if (!buf) return assert.unreachable("no arena buffer") as never;
  buf.set(data);
  return buf;
}

function reference(M: number, N: number, K: number, a: Float32Array, b: Float32Array, c0: Float32Array | undefined, e: GemmEpilogue): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = c0 ? c0[i * N + j]! : 0;
    for (let p = 0; p < K; p++) s += a[i * K + p]! * b[p * N + j]!;
    if (e.bias) s += e.bias[i]!;
    if (e.residual) s += e.residual[i * N + j]!;
    if (e.activation?.kind === "relu") s = Math.max(0, s);
    if (e.activation?.kind === "sigmoid") s = 1 / (1 + Math.exp(-s));
    if (e.activation?.kind === "clip") s = Math.min(e.activation.b, Math.max(e.activation.a, s));
    if (e.activation?.kind === "hard_sigmoid") s = Math.min(1, Math.max(0, e.activation.a * s + e.activation.b));
    if (e.activation?.kind === "hard_swish") s = s * Math.min(1, Math.max(0, s / 6 + 0.5));
    out[i * N + j] = s;
  }
  return out;
}

// Sizes with full register tiles (multiplied straight into C), partial ones (through the chunk),
// and depths over one depth block (accumulated in C by the kernel).
const sizes: [number, number, number][] = [[4, 8, 3], [8, 64, 20], [12, 136, 1100], [10, 37, 9], [132, 72, 600]];
const epilogues: GemmEpilogue[] = [
  {},
  { biasPerRow: true, activation: { kind: "relu", a: 0, b: 0 } },
  { biasPerRow: true, activation: { kind: "sigmoid", a: 0, b: 0 } },
  { activation: { kind: "clip", a: -0.5, b: 0.5 } },
  { biasPerRow: true, activation: { kind: "hard_sigmoid", a: 0.2, b: 0.5 } },
  { biasPerRow: true, activation: { kind: "hard_swish", a: 0, b: 0 } },
];

test("sgemm into an arena buffer (direct tiles finished in place, accumulation, bias, arena residual, activations) matches a float64 product", () => {
  for (const [M, N, K] of sizes) {
    for (const [index, shape] of epilogues.entries()) {
      for (const accumulate of [false, true]) {
        for (const withResidual of [false, true]) {
          const a = randomFloats(M * K, M + K);
          const b = inArenaCopy(randomFloats(K * N, N + K));
          const c0 = randomFloats(M * N, M * N + index);
          const c = inArenaCopy(accumulate ? c0 : new Float32Array(M * N));
          const e: GemmEpilogue = { ...shape, bias: shape.biasPerRow ? randomFloats(M, 5) : undefined, residual: withResidual ? inArenaCopy(randomFloats(M * N, 6)) : undefined };
          assert.ok(inArena(c) && inArena(b));
          sgemm(M, N, K, { data: a, offset: 0, rowStride: K, colStride: 1 }, { data: b, offset: 0, rowStride: N, colStride: 1 }, c, 0, N, accumulate, e);
          const expected = reference(M, N, K, a, b, accumulate ? c0 : undefined, e);
          for (let i = 0; i < expected.length; i++) {
            const x = expected[i]!;
            if (!(Math.abs(c[i]! - x) <= 1e-4 * (1 + Math.abs(x)))) assert.unreachable(`${M}×${N}×${K} epilogue ${index} accumulate ${accumulate} residual ${withResidual}: element ${i} is ${c[i]}, expected ${x}`);
          }
          for (const buf of [b, c, e.residual]) if (buf) arenaRelease(buf);
        }
      }
    }
  }
});

test("arena buffers are recycled by length and never overlap", () => {
  const x = arenaTake(100)!;
  const y = arenaTake(100)!;
  assert.ok(x.byteOffset + x.byteLength <= y.byteOffset || y.byteOffset + y.byteLength <= x.byteOffset);
  assert.is(x.byteOffset % 16, 0);
  arenaRelease(x);
  assert.is(arenaTake(100), x);
  arenaRelease(x);
  arenaRelease(y);
  assert.is(arenaTake(0), undefined);
});

/**
 * FusedConv on `x` with residual `z`: as graph inputs (ordinary arrays, staged by the kernels),
 * or as the outputs of Relu nodes (arena tensors the kernels work on in place).
 */
function fusedConv(x: Tensor, z: Tensor, w: Tensor, b: Tensor, attrs: Attrs, inArena: boolean): Tensor {
  const g = new Graph();
  let xv = g.addInput("x", "float32", [...x.shape]);
  let zv = g.addInput("z", "float32", [...z.shape]);
  if (inArena) {
    const [xr, zr] = [g.newValue("xr"), g.newValue("zr")];
    g.addNode({ op: "Relu", inputs: [xv], attrs: {}, outputs: [xr] });
    g.addNode({ op: "Relu", inputs: [zv], attrs: {}, outputs: [zr] });
    [xv, zv] = [xr, zr];
  }
  const y = g.newValue("y");
  g.addNode({ op: "FusedConv", domain: "com.microsoft", inputs: [xv, g.addConstant(w, "w"), g.addConstant(b, "b"), zv], attrs, outputs: [y] });
  g.outputs = [y];
  return execute(g, { x, z })["y"]!;
}

function relu(t: Tensor): Tensor {
  return { ...t, data: (t.data as Float32Array).map((v) => Math.max(0, v)) };
}

test("depthwise and dense convolutions on arena tensors (in place) equal the staged computation", () => {
  // name, X shape, W shape, output shape, attributes
  const cases: [string, number[], number[], number[], Attrs][] = [
    ["depthwise 3×3 stride 1", [1, 6, 9, 13], [6, 1, 3, 3], [1, 6, 9, 13], { group: int(6), pads: ints([1, 1, 1, 1]), activation: str("Relu") }],
    ["depthwise 5×5 stride 2", [2, 4, 11, 10], [4, 1, 5, 5], [2, 4, 6, 5], { group: int(4), pads: ints([2, 2, 2, 2]), strides: ints([2, 2]), activation: str("Sigmoid") }],
    ["depthwise 3×3, planes of whole vectors (finished in one call)", [2, 6, 8, 12], [6, 1, 3, 3], [2, 6, 8, 12], { group: int(6), pads: ints([1, 1, 1, 1]), activation: str("HardSigmoid") }],
    ["depthwise 5×5, planes of whole vectors, JavaScript activation", [1, 5, 4, 8], [5, 1, 5, 5], [1, 5, 4, 8], { group: int(5), pads: ints([2, 2, 2, 2]), activation: str("LeakyRelu"), activation_params: floats([0.1]) }],
    ["1×1", [1, 12, 7, 9], [8, 12, 1, 1], [1, 8, 7, 9], { activation: str("HardSigmoid") }],
    ["3×3 dense", [1, 5, 10, 16], [8, 5, 3, 3], [1, 8, 10, 16], { pads: ints([1, 1, 1, 1]) }],
    ["3×3 stride 2 (phase-split rows)", [1, 3, 20, 21], [8, 3, 3, 3], [1, 8, 10, 11], { pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }],
    ["3×3 stride 3 dilation 2", [1, 2, 17, 30], [4, 2, 3, 3], [1, 4, 5, 10], { pads: ints([1, 2, 1, 2]), strides: ints([3, 3]), dilations: ints([2, 2]) }],
  ];
  for (const [name, xShape, wShape, yShape, attrs] of cases) {
    const x = relu(randomTensor(xShape, 1));
    const z = relu(randomTensor(yShape, 4));
    const w = randomTensor(wShape, 2);
    const b = randomTensor([wShape[0]!], 3);
    const staged = fusedConv(x, z, w, b, attrs, false);
    const inPlace = fusedConv(x, z, w, b, attrs, true);
    assert.equal([...inPlace.shape], yShape, name);
    const s = staged.data as Float32Array;
    const p = inPlace.data as Float32Array;
    for (let i = 0; i < s.length; i++) if (!(Math.abs(s[i]! - p[i]!) <= 1e-6)) assert.unreachable(`${name}: element ${i} is ${p[i]} in place, ${s[i]} staged`);
  }
});

test("MaxPool on arena tensors (SIMD plane functions, in place) matches onnxruntime", async () => {
  const cases: [string, number[], Attrs][] = [
    ["2×2 stride 2", [1, 3, 16, 16], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }],
    ["2×2 stride 2, odd sizes (a last row and column left out, outputs past whole vectors)", [2, 3, 11, 13], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }],
    ["2×2 stride 2, ceil mode", [1, 2, 7, 9], { kernel_shape: ints([2, 2]), strides: ints([2, 2]), ceil_mode: int(1) }],
    ["3×3 stride 2 padded, ceil", [2, 2, 13, 11], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), ceil_mode: int(1) }],
    ["3×3 stride 1 same", [1, 4, 9, 10], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) }],
    ["2×2 stride (1, 2)", [1, 5, 2, 96], { kernel_shape: ints([2, 2]), strides: ints([1, 2]) }],
  ];
  for (const [name, shape, attrs] of cases) {
    const x = randomTensor(shape, 8);
    // Shifted above 0, so that the Relu in front (which puts X in the arena) changes nothing.
    const shifted: Tensor = { ...x, data: (x.data as Float32Array).map((v) => v + 2) };
    const g = new Graph();
    const xv = g.addInput("x", "float32", [...shape]);
    const [r, y] = [g.newValue("r"), g.newValue("y")];
    g.addNode({ op: "Relu", inputs: [xv], attrs: {}, outputs: [r] });
    g.addNode({ op: "MaxPool", inputs: [r], attrs, outputs: [y] });
    g.outputs = [y];
    const ours = execute(g, { x: shifted })["y"]!;
    const [expected] = await runOrt({ op: "MaxPool", inputs: [shifted], attrs });
    assertClose(ours, expected!, 0, name);
  }
});

test("convolutions with constant weights (packed once into arena panels, several row and depth blocks) match onnxruntime on repeated runs", async () => {
  // M = 300 output channels (3 row blocks of 128), K = 70·3·3 = 630 (2 depth blocks), and a 1×1 with one block.
  const cases: [number[], number[], Attrs][] = [
    [[1, 70, 6, 7], [300, 70, 3, 3], { pads: ints([1, 1, 1, 1]) }],
    [[1, 16, 5, 8], [12, 16, 1, 1], {}],
    // Depthwise: filters packed once into the arena, with the bias.
    [[1, 6, 9, 10], [6, 1, 5, 5], { group: int(6), pads: ints([2, 2, 2, 2]) }],
    [[2, 5, 8, 7], [5, 1, 3, 3], { group: int(5), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }],
  ];
  for (const [xShape, wShape, attrs] of cases) {
    const w = randomTensor(wShape, 5);
    const b = randomTensor([wShape[0]!], 6);
    const g = new Graph();
    const xv = g.addInput("x", "float32", [...xShape]);
    const y = g.newValue("y");
    g.addNode({ op: "Conv", inputs: [xv, g.addConstant(w, "w"), g.addConstant(b, "b")], attrs, outputs: [y] });
    g.outputs = [y];
    for (const seed of [1, 2, 3]) {
      const x = randomTensor(xShape, seed);
      const ours = execute(g, { x })["y"]!;
      const [expected] = await runOrt({ op: "Conv", inputs: [x, w, b], attrs });
      assertClose(ours, expected!, 1e-4, `${wShape.join("×")} run ${seed}`);
    }
  }
});

test("nearest 2× Resize on arena tensors (SIMD) matches onnxruntime, odd widths included", async () => {
  for (const [shape, transform] of [[[1, 3, 5, 8], "asymmetric"], [[2, 2, 4, 7], "half_pixel"], [[1, 1, 3, 1], "asymmetric"]] as const) {
    const x = randomTensor([...shape], 3);
    const shifted: Tensor = { ...x, data: (x.data as Float32Array).map((v) => v + 2) };
    const scales: Tensor = { dtype: "float32", shape: [4], data: Float32Array.from([1, 1, 2, 2]) };
    const attrs: Attrs = { mode: str("nearest"), coordinate_transformation_mode: str(transform) };
    const g = new Graph();
    const xv = g.addInput("x", "float32", [...shape]);
    const [r, y] = [g.newValue("r"), g.newValue("y")];
    g.addNode({ op: "Relu", inputs: [xv], attrs: {}, outputs: [r] });
    g.addNode({ op: "Resize", inputs: [r, undefined, g.addConstant(scales, "scales")], attrs, outputs: [y] });
    g.outputs = [y];
    const ours = execute(g, { x: shifted })["y"]!;
    const [expected] = await runOrt({ op: "Resize", inputs: [shifted, undefined, scales], attrs });
    assertClose(ours, expected!, 0, `${shape.join("×")} ${transform}`);
  }
});

test("per-channel binary ops on arena tensors (one SIMD call for all planes) match onnxruntime, both operand orders", async () => {
  for (const op of ["Add", "Sub", "Mul", "Div"]) {
    for (const channelFirst of [false, true]) {
      const shape = [1, 5, 3, 7];
      const x = randomTensor(shape, 4);
      const shifted: Tensor = { ...x, data: (x.data as Float32Array).map((v) => v + 2) };
      const perChannel = { ...randomTensor([1, 5, 1, 1], 6) };
      (perChannel.data as Float32Array).forEach((v, i, d) => (d[i] = v + 3)); // no division by ~0
      const g = new Graph();
      const xv = g.addInput("x", "float32", [...shape]);
      const [r, y] = [g.newValue("r"), g.newValue("y")];
      g.addNode({ op: "Relu", inputs: [xv], attrs: {}, outputs: [r] });
      const c = g.addConstant(perChannel, "c");
      g.addNode({ op, inputs: channelFirst ? [c, r] : [r, c], attrs: {}, outputs: [y] });
      g.outputs = [y];
      const ours = execute(g, { x: shifted })["y"]!;
      const [expected] = await runOrt({ op, inputs: channelFirst ? [perChannel, shifted] : [shifted, perChannel] });
      assertClose(ours, expected!, 1e-6, `${op} ${channelFirst ? "channel ∘ x" : "x ∘ channel"}`);
    }
  }
});

test.run();
