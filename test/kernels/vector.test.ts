import { test } from "uvu";
import * as assert from "uvu/assert";
import { mapActivation, type Activation } from "../../src/kernels/activation.js";
import { arenaRelease, arenaTake, markImmutable } from "../../src/kernels/arena.js";
import { simdActivation, simdBinary, simdFill, simdGlobalPool, simdMap, simdSoftmaxRows, vectorKernelsAvailable } from "../../src/kernels/vector.js";
import { randomTensor } from "./oracle.js";

function arena(data: ArrayLike<number>): Float32Array {
  const buf = arenaTake(data.length);
  if (!buf) return assert.unreachable("no arena buffer") as never;
  buf.set(data);
  return buf;
}

/** Floats from -span to span, dense near 0, plus the special values. */
function grid(span: number, count: number): Float32Array {
  const xs = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, span, -span, 100, -100, 1e30, -1e30, Infinity, -Infinity];
  for (let i = 0; i < count; i++) {
    const t = (2 * i) / (count - 1) - 1; // [-1, 1]
    xs.push(span * t * Math.abs(t));
  }
  return Float32Array.from(xs);
}

test("the SIMD element-wise kernels are available (WebAssembly SIMD in Node)", () => {
  assert.ok(vectorKernelsAvailable());
});

test("SIMD sigmoid and tanh stay within 3e-7 of the exact functions on every float tried", () => {
  const xs = grid(30, 200_003);
  const src = arena(xs);
  const dst = arenaTake(xs.length)!;
  const exact: Record<string, (x: number) => number> = { sigmoid: (x) => 1 / (1 + Math.exp(-x)), tanh: Math.tanh };
  for (const kind of ["sigmoid", "tanh"] as const) {
    assert.ok(simdActivation({ kind, a: 0, b: 0 }, src, dst, 0, xs.length));
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const err = Math.abs(dst[i]! - exact[kind]!(xs[i]!));
      if (!(err <= worst)) worst = err;
    }
    assert.ok(worst <= 3e-7, `${kind}: worst absolute error ${worst}`);
    // NaN in, NaN out; tanh keeps the sign of zero
    const special = arena([Number.NaN, -0, ...new Array<number>(15).fill(1)]);
    assert.ok(simdActivation({ kind, a: 0, b: 0 }, special, special, 0, special.length));
    assert.ok(Number.isNaN(special[0]!), `${kind}(NaN)`);
    if (kind === "tanh") assert.ok(Object.is(special[1], -0));
    arenaRelease(special);
  }
  arenaRelease(src);
  arenaRelease(dst);
});

/** erf in float64: its Taylor series up to 3, erfc's continued fraction above. */
function exactErf(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let cf = ax;
  for (let k = 80; k >= 1; k--) cf = ax + k / 2 / cf;
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * cf));
}

test("SIMD exp is within 1e-6 relative wherever e^x is a normal float (+∞ above, 0 or subnormal below); SIMD erf within 1e-6 of erf", () => {
  const xs = grid(100, 200_003);
  const src = arena(xs);
  const dst = arenaTake(xs.length)!;
  assert.ok(simdMap("exp", src, dst, 0, xs.length));
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const e = Math.fround(Math.exp(xs[i]!));
    if (e === Infinity) assert.is(dst[i], Infinity, `exp(${xs[i]})`);
    else if (e < 1.1754944e-38) assert.ok(dst[i]! >= 0 && dst[i]! < 1.1754944e-38, `exp(${xs[i]}) = ${dst[i]}`);
    else {
      const err = Math.abs(dst[i]! - e) / e;
      if (!(err <= worst)) worst = err;
    }
  }
  assert.ok(worst <= 1e-6, `exp: worst relative error ${worst}`);
  assert.ok(simdMap("erf", src, dst, 0, xs.length));
  worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const err = Math.abs(dst[i]! - exactErf(xs[i]!));
    if (!(err <= worst)) worst = err;
  }
  assert.ok(worst <= 1e-6, `erf: worst absolute error ${worst}`);
  // NaN in, NaN out (tails through the same function); erf keeps the sign of zero
  const special = arena([Number.NaN, -0, ...new Array<number>(17).fill(0.5), Number.NaN]);
  for (const f of ["exp", "erf"] as const) {
    const out = arenaTake(special.length)!;
    assert.ok(simdMap(f, special, out, 0, special.length));
    assert.ok(Number.isNaN(out[0]!) && Number.isNaN(out[special.length - 1]!), `${f}(NaN)`);
    if (f === "erf") assert.ok(Object.is(out[1], -0));
    arenaRelease(out);
  }
  arenaRelease(special);
  arenaRelease(src);
  arenaRelease(dst);
});

test("SIMD Gelu (erf and tanh forms) stays within 1e-6·max(1, |x|) of float64", () => {
  const xs = grid(30, 100_003).filter((x) => Number.isFinite(x) && Math.abs(x) < 1e20);
  const src = arena(xs);
  const dst = arenaTake(xs.length)!;
  const k = Math.sqrt(2 / Math.PI);
  const exact = { gelu: (x: number) => 0.5 * x * (1 + exactErf(x / Math.SQRT2)), gelu_tanh: (x: number) => 0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x * x * x))) };
  for (const [f, g] of Object.entries(exact)) {
    assert.ok(simdMap(f as "gelu", src, dst, 0, xs.length));
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(dst[i]! - g(xs[i]!)) / Math.max(1, Math.abs(xs[i]!)));
    assert.ok(worst <= 1e-6, `${f}: worst error ${worst}`);
  }
  arenaRelease(src);
  arenaRelease(dst);
});

test("SIMD neg, abs, sqrt, reciprocal, floor, ceil and round equal float32 arithmetic bit for bit (NaN, ±0, ±∞, halves; tails)", () => {
  const halves = Array.from({ length: 40 }, (_, i) => i / 2 - 10); // round half to even: 2.5 → 2, 3.5 → 4
  const xs = Float32Array.from([...grid(1e6, 20_001), ...halves, Number.NaN, -0, 0, 1e-45, -1e-45, 3.4e38]);
  const src = arena(xs);
  const dst = arenaTake(xs.length)!;
  const exact: Record<string, (x: number) => number> = {
    neg: (x) => -x,
    abs: Math.abs,
    sqrt: Math.sqrt,
    reciprocal: (x) => 1 / x,
    floor: Math.floor,
    ceil: Math.ceil,
    round: (x) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x)),
  };
  for (const [f, g] of Object.entries(exact)) {
    assert.ok(simdMap(f as "neg", src, dst, 0, xs.length));
    for (let i = 0; i < xs.length; i++) {
      const e = Math.fround(g(xs[i]!));
      if (!Object.is(dst[i], e) && !(Number.isNaN(e) && Number.isNaN(dst[i]!))) assert.unreachable(`${f}(${xs[i]}) is ${dst[i]}, expected ${e}`);
    }
  }
  arenaRelease(src);
  arenaRelease(dst);
});

test("SIMD piecewise-linear activations match the JavaScript ones within float32 rounding (NaN included), tails included", () => {
  const acts: Activation[] = [
    { kind: "relu", a: 0, b: 0 },
    { kind: "clip", a: -0.5, b: 2 },
    { kind: "clip", a: 1, b: -1 },
    { kind: "leaky_relu", a: 0.1, b: 0 },
    { kind: "hard_sigmoid", a: 0.2, b: 0.5 },
    { kind: "hard_swish", a: 0, b: 0 },
  ];
  const xs = Float32Array.from([...grid(8, 1001), Number.NaN]); // 1016 floats: a tail of 0 after vectors
  for (const n of [xs.length, xs.length - 1, 17, 19]) {
    const src = arena(xs.subarray(0, n));
    for (const act of acts) {
      const expected = new Float32Array(n);
      mapActivation(act, xs.subarray(0, n), expected, 0, n); // not in the arena: JavaScript
      const dst = arenaTake(n)!;
      assert.ok(simdActivation(act, src, dst, 0, n));
      for (let i = 0; i < n; i++) {
        const e = expected[i]!;
        const ok = Number.isNaN(e) ? Number.isNaN(dst[i]!) : dst[i] === e || Math.abs(dst[i]! - e) <= 3e-7 * Math.max(1, Math.abs(e));
        if (!ok) assert.unreachable(`${act.kind}(${xs[i]}) = ${dst[i]}, expected ${e}`);
      }
      arenaRelease(dst);
    }
    arenaRelease(src);
  }
});

test("SIMD binary runs (vector∘vector, vector∘scalar, scalar∘vector) equal float32 arithmetic, offsets and tails included", () => {
  const ops: Record<string, (x: number, y: number) => number> = { add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y, div: (x, y) => x / y };
  const a = arena(randomTensor([203], 1).data as Float32Array);
  const b = arena(randomTensor([203], 2).data as Float32Array);
  const out = arenaTake(203)!;
  for (const [op, f] of Object.entries(ops)) {
    for (const [as, bs] of [[1, 1], [1, 0], [0, 1]]) {
      for (const [ao, bo, oo, n] of [[0, 0, 0, 203], [3, 5, 1, 150], [2, 7, 9, 17]]) {
        out.fill(0);
        assert.ok(simdBinary(op, a, ao!, as!, b, bo!, bs!, out, oo!, n!));
        for (let i = 0; i < n!; i++) {
          const e = Math.fround(f(a[ao! + i * as!]!, b[bo! + i * bs!]!));
          if (!Object.is(out[oo! + i], e)) assert.unreachable(`${op} ${as}${bs} at ${i}: ${out[oo! + i]}, expected ${e}`);
        }
        assert.is(out[oo! + n!] ?? 0, 0, "nothing written past the run");
      }
    }
  }
  // Operands outside the module's memory, short runs and other ops are left to JavaScript;
  // a graph constant outside it is copied in once and used from there.
  assert.not.ok(simdBinary("add", new Float32Array(64), 0, 1, b, 0, 1, out, 0, 64));
  const constant = randomTensor([64], 9).data as Float32Array;
  markImmutable(constant);
  assert.ok(simdBinary("mul", constant, 0, 1, b, 0, 1, out, 0, 64));
  for (let i = 0; i < 64; i++) assert.is(out[i], Math.fround(constant[i]! * b[i]!));
  assert.not.ok(simdBinary("add", a, 0, 1, b, 0, 1, out, 0, 8));
  assert.not.ok(simdBinary("pow", a, 0, 1, b, 0, 1, out, 0, 64));
  for (const buf of [a, b, out]) arenaRelease(buf);
});

test("SIMD global average and max pooling match float64 means and maxima, tails and NaN included", () => {
  for (const inner of [16, 19, 37, 192, 6400]) {
    const planes = 5;
    const data = randomTensor([planes * inner], inner).data as Float32Array;
    data[2 * inner + inner - 1] = Number.NaN; // plane 2: NaN in the tail or the last vector
    const src = arena(data);
    for (const kind of ["avg", "max"] as const) {
      const dst = arenaTake(planes)!;
      assert.ok(simdGlobalPool(kind, src, planes, inner, dst));
      for (let p = 0; p < planes; p++) {
        const plane = [...data.subarray(p * inner, (p + 1) * inner)];
        const e = kind === "avg" ? plane.reduce((a, b) => a + b, 0) / inner : plane.some(Number.isNaN) ? Number.NaN : Math.max(...plane);
        const ok = Number.isNaN(e) ? Number.isNaN(dst[p]!) : Math.abs(dst[p]! - e) <= 1e-6;
        assert.ok(ok, `${kind} of plane ${p} (${inner} floats): ${dst[p]}, expected ${e}`);
      }
      arenaRelease(dst);
    }
    arenaRelease(src);
  }
});

test("SIMD fill sets exactly the range asked for (zero, other values, -Infinity; tails), and declines arrays outside the module", () => {
  for (const value of [0, 2.5, -Infinity]) {
    for (const [start, end] of [[0, 37], [3, 4], [5, 5], [1, 64]]) {
      const buf = arena(new Float32Array(70).fill(7));
      assert.ok(simdFill(buf, value, start, end));
      buf.forEach((v, i) => assert.is(v, i >= start && i < end ? value : 7, `value ${value}, [${start}, ${end}) at ${i}`));
      arenaRelease(buf);
    }
  }
  assert.not.ok(simdFill(new Float32Array(8), 1, 0, 8));
});

test("SIMD softmax rows stay within 1e-6 of float64 softmax (large and -inf logits, tails)", () => {
  for (const n of [4, 7, 33, 128, 6625]) {
    const rows = 3;
    const data = (randomTensor([rows * n], n).data as Float32Array).map((v) => 30 * v);
    data[1] = -Infinity;
    data[n + 2] = 80; // exp(80) overflows float32 unless the maximum is subtracted first
    const src = arena(data);
    const dst = arenaTake(rows * n)!;
    assert.ok(simdSoftmaxRows(src, dst, rows, n));
    for (let r = 0; r < rows; r++) {
      const row = [...data.subarray(r * n, (r + 1) * n)];
      const max = Math.max(...row);
      const sum = row.reduce((a, v) => a + Math.exp(v - max), 0);
      for (let i = 0; i < n; i++) {
        const e = Math.exp(row[i]! - max) / sum;
        if (!(Math.abs(dst[r * n + i]! - e) <= 1e-6)) assert.unreachable(`n ${n} row ${r} [${i}]: ${dst[r * n + i]}, expected ${e}`);
      }
    }
    arenaRelease(src);
    arenaRelease(dst);
  }
});

test.run();
