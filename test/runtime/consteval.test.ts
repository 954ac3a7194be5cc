import { test } from "uvu";
import * as assert from "uvu/assert";
import * as T from "../../src/runtime/consteval.js";
import { RewriteAbort } from "../../src/runtime/pass.js";
import { f32, i64, toNumbers, type Tensor } from "../../src/runtime/tensor.js";
import { iota } from "./helpers.js";

const values = (t: Tensor) => toNumbers(t);

function aborts(f: () => unknown, pattern: RegExp): void {
  try {
    f();
  } catch (e) {
    assert.instance(e, RewriteAbort);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable("expected a RewriteAbort");
}

test("scalar and fromList build float32 tensors", () => {
  const s = T.scalar(2.5);
  assert.equal([s.dtype, s.shape, values(s)], ["float32", [], [2.5]]);
  const l = T.fromList([1, 2, 3]);
  assert.equal([l.dtype, l.shape, values(l)], ["float32", [3], [1, 2, 3]]);
});

test("same-rank operands broadcast their size-1 dims", () => {
  const r = T.mul(iota([2, 1]), iota([1, 3]));
  assert.equal(r.shape, [2, 3]);
  assert.equal(values(r), [1, 2, 3, 2, 4, 6]);
});

test("a one-element operand broadcasts against any rank", () => {
  assert.equal(values(T.add(iota([2, 2]), T.scalar(10))), [11, 12, 13, 14]);
  assert.equal(T.sub(T.fromList([1]), iota([2, 1, 2])).shape, [2, 1, 2]);
  assert.equal(T.mul(T.scalar(2), f32([1, 1], [3])).shape, [1, 1]);
});

test("different ranks without a single element are refused, not aligned on trailing axes", () => {
  aborts(() => T.mul(iota([4, 3, 3, 3]), iota([4])), /ranks differ/);
  aborts(() => T.add(iota([2, 3]), iota([3])), /ranks differ/);
  aborts(() => T.div(iota([2, 3]), iota([3, 2])), /dimension 0 differs/);
});

test("integer operands stay integer and divide toward zero; mixed operands give float32", () => {
  const q = T.div(i64([2], [7, -7]), i64([], [2]));
  assert.equal([q.dtype, values(q)], ["int64", [3, -3]]);
  assert.is(T.add(i64([1], [1]), T.scalar(0.5)).dtype, "float32");
});

test("impossible arithmetic aborts: division by zero, sqrt of a negative, rsqrt of zero", () => {
  aborts(() => T.div(T.scalar(1), T.scalar(0)), /division by zero/);
  aborts(() => T.sqrt(T.fromList([4, -1])), /negative/);
  aborts(() => T.rsqrt(T.scalar(0)), /non-positive/);
  assert.equal(values(T.rsqrt(T.fromList([4, 16]))), [0.5, 0.25]);
  assert.equal(values(T.neg(T.fromList([1, -2]))), [-1, 2]);
});

test("along lays [C], [C,1,1] and [1,C,1,1] on the given axis; a scalar passes through", () => {
  const w = iota([3, 2, 1, 1]);
  for (const c of [f32([3], [1, 2, 3]), f32([3, 1, 1], [1, 2, 3]), f32([1, 3, 1, 1], [1, 2, 3])]) {
    const laid = T.along(c, 0, w);
    assert.equal(laid.shape, [3, 1, 1, 1]);
    assert.equal(values(T.mul(w, laid)), [1, 2, 6, 8, 15, 18]);
  }
  const s = T.scalar(2);
  assert.is(T.along(s, 1, w), s);
  assert.equal(T.along(f32([2], [1, 2]), -3, w).shape, [1, 2, 1, 1]);
});

test("along refuses a length mismatch and a tensor that varies along two axes", () => {
  aborts(() => T.along(T.fromList([1, 2]), 0, iota([3, 2])), /2 elements along axis 0/);
  aborts(() => T.along(iota([2, 3]), 0, iota([6, 1])), /several/);
  aborts(() => T.along(T.fromList([1, 2]), 4, iota([2, 2])), /out of range/);
});

test("reshape infers one -1 and refuses a wrong element count", () => {
  assert.equal(T.reshape(iota([2, 3]), [3, -1]).shape, [3, 2]);
  aborts(() => T.reshape(iota([2, 3]), [4, -1]), /cannot reshape/);
  aborts(() => T.reshape(iota([2, 3]), [-1, -1]), /one -1/);
  assert.equal(T.flatten(iota([2, 3])).shape, [6]);
});

test("expand broadcasts numpy-style and never shrinks", () => {
  const e = T.expand(f32([2, 1], [1, 2]), [2, 2, 3]);
  assert.equal(e.shape, [2, 2, 3]);
  assert.equal(values(e).slice(0, 6), [1, 1, 1, 2, 2, 2]);
  aborts(() => T.expand(iota([2, 3]), [3]), /lower rank/);
  aborts(() => T.expand(iota([2]), [3]), /cannot expand/);
});

test("transpose permutes axes", () => {
  const t = T.transpose(iota([2, 3]), [1, 0]);
  assert.equal([t.shape, values(t)], [[3, 2], [1, 4, 2, 5, 3, 6]]);
  aborts(() => T.transpose(iota([2, 3]), [0, 0]), /not a permutation/);
});

test("sum reduces the given axes, with or without kept dims", () => {
  assert.equal(values(T.sum(iota([2, 3]), [1])), [6, 15]);
  assert.equal(T.sum(iota([2, 3]), [0], true).shape, [1, 3]);
  assert.equal(values(T.sum(iota([2, 3]), [-1, 0])), [21]);
  assert.equal(T.sum(iota([2, 3]), []).shape, [2, 3]);
});

test("matmul multiplies 2-D and batched matrices", () => {
  const m = T.matmul(iota([2, 3]), iota([3, 1]));
  assert.equal([m.shape, values(m)], [[2, 1], [14, 32]]);
  assert.equal(T.matmul(iota([4, 2, 3]), iota([4, 3, 5])).shape, [4, 2, 5]);
  aborts(() => T.matmul(iota([2, 3]), iota([2, 3])), /inner dims/);
  aborts(() => T.matmul(iota([2, 2, 3]), iota([3, 3, 1])), /batch dims/);
});

test("zeros, ones and full fill float32 tensors", () => {
  assert.equal(values(T.zeros([2])), [0, 0]);
  assert.equal(values(T.ones([1, 2])), [1, 1]);
  assert.equal(values(T.full([3], 7)), [7, 7, 7]);
  aborts(() => T.zeros([-1]), /bad shape/);
});

test.run();
