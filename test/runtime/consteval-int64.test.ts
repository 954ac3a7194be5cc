/**
 * Constant arithmetic on int64 is exact: values beyond 2^53 and ONNX's INT64_MAX/INT64_MIN
 * sentinels (Slice ends) survive a fold, overflow wraps as in onnxruntime, division truncates.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as T from "../../src/runtime/consteval.js";
import { RewriteAbort } from "../../src/runtime/pass.js";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";

const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;
const i64 = (...v: bigint[]): Tensor => tensor("int64", [v.length], BigInt64Array.from(v));
const values = (t: Tensor) => [...(t.data as BigInt64Array)];

test("INT64_MAX + 0 and INT64_MIN - 0 stay the sentinels", () => {
  assert.equal(values(T.add(i64(MAX, MIN), i64(0n, 0n))), [MAX, MIN]);
  assert.equal(values(T.sub(i64(MAX, MIN), i64(0n))), [MAX, MIN]);
  assert.is(T.add(i64(MAX), i64(0n)).dtype, "int64");
});

test("values beyond 2^53 keep every digit", () => {
  assert.equal(values(T.add(i64(2n ** 53n), i64(1n))), [2n ** 53n + 1n]);
  assert.equal(values(T.mul(i64(3000000001n), i64(3000000001n))), [9000000006000000001n]);
});

test("overflow wraps around, integer division truncates toward zero, by zero aborts", () => {
  assert.equal(values(T.add(i64(MAX), i64(1n))), [MIN]);
  assert.equal(values(T.div(i64(-7n, 7n, -8n), i64(2n, -2n, 3n))), [-3n, -3n, -2n]);
  assert.throws(() => T.div(i64(1n), i64(0n)), (e: unknown) => e instanceof RewriteAbort);
  assert.equal(values(T.neg(i64(MIN + 1n, 5n))), [MAX, -5n]);
});

test("int32 with int64 computes in int64 and broadcasts", () => {
  const a = tensor("int32", [2, 1], Int32Array.from([1, 2]));
  const b = tensor("int64", [1, 2], BigInt64Array.from([10n, MAX - 5n]));
  const sum = T.add(a, b);
  assert.equal(sum.shape, [2, 2]);
  assert.equal(values(sum), [11n, MAX - 4n, 12n, MAX - 3n]);
});

test.run();
