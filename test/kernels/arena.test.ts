import { test } from "uvu";
import * as assert from "uvu/assert";
import { arenaRelease, arenaTake, inArena } from "../../src/kernels/arena.js";
import { sgemm, type GemmEpilogue } from "../../src/kernels/gemm.js";
import { randomTensor } from "./oracle.js";

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
];

test("sgemm into an arena buffer (direct tiles, accumulation, bias, arena residual, activations) matches a float64 product", () => {
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

test.run();
