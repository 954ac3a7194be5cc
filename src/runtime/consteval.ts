/**
 * Constant evaluation for rule results (exported as namespace `T` from `fusec/runtime`).
 *
 * Generated code calls these when a rule fires to compute new constants (`W * C@0`,
 * `g / sqrt(v + eps)`, …). Every function takes and returns `Tensor`s and throws `RewriteAbort`
 * when the computation is impossible (mismatched shapes, a non-finite result, …), so that the
 * rule does not fire and the graph stays untouched.
 *
 * Broadcasting is strict: both operands have the same rank (size-1 dims broadcast), or one
 * operand has exactly one element. Trailing-axis alignment of different ranks is refused, so a
 * `[C]` vector never silently lands on the last axis of an NCHW tensor; `along` says where it goes.
 *
 * Arithmetic is done in float64 and stored as float32, unless both operands have integer dtypes
 * (int32, int64), in which case the result is integer (int64 if either is int64) and division
 * truncates toward zero.
 */
import { RewriteAbort } from "./pass.js";
import { allocData, isBigInt, numel as countElements, strides, type DType, type Tensor, type TensorData } from "./tensor.js";

// ── construction ─────────────────────────────────────────────────────────────────────────────

/** A float32 tensor of rank 0 holding `v`. */
export function scalar(v: number): Tensor {
  return make("float32", [], [v]);
}

/** A float32 1-D tensor holding the list `v` (the language's list literals). */
export function fromList(v: readonly number[]): Tensor {
  return make("float32", [v.length], v);
}

/** A float32 tensor of `shape` filled with zeros. */
export function zeros(shape: readonly number[]): Tensor {
  return full(shape, 0);
}

/** A float32 tensor of `shape` filled with ones. */
export function ones(shape: readonly number[]): Tensor {
  return full(shape, 1);
}

/** A float32 tensor of `shape` filled with `v`. */
export function full(shape: readonly number[], v: number): Tensor {
  checkShape(shape, "full");
  const data = new Float32Array(countElements(shape));
  data.fill(v);
  return { dtype: "float32", shape: [...shape], data };
}

// ── reading numbers out ──────────────────────────────────────────────────────────────────────

/** The single element of a one-element tensor (a Clip bound, say), as a number. */
export function item(t: Tensor): number {
  if (t.data.length !== 1) throw new RewriteAbort(`item: expected one element, got shape [${t.shape.join(", ")}]`);
  return Number(t.data[0]);
}

/** The elements of an integer-valued tensor (a Pad's pads, say) as a list of numbers. */
export function ints(t: Tensor): number[] {
  const values = Array.from(t.data as ArrayLike<number | bigint>, Number);
  if (!values.every(Number.isSafeInteger)) throw new RewriteAbort("ints: the tensor holds non-integer values");
  return values;
}

// ── elementwise arithmetic ───────────────────────────────────────────────────────────────────

export function add(a: Tensor, b: Tensor): Tensor {
  return binary(a, b, "add", (x, y) => x + y, (x, y) => x + y);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return binary(a, b, "sub", (x, y) => x - y, (x, y) => x - y);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  return binary(a, b, "mul", (x, y) => x * y, (x, y) => x * y);
}

export function div(a: Tensor, b: Tensor): Tensor {
  const integer = isInteger(a.dtype) && isInteger(b.dtype);
  const byZero = () => new RewriteAbort("division by zero in a constant expression");
  return binary(
    a,
    b,
    "div",
    (x, y) => {
      if (y === 0) throw byZero();
      return integer ? Math.trunc(x / y) : x / y;
    },
    (x, y) => {
      if (y === 0n) throw byZero();
      return x / y;
    },
  );
}

export function neg(a: Tensor): Tensor {
  if (a.dtype === "int64") {
    const data = new BigInt64Array(a.data.length);
    (a.data as BigInt64Array).forEach((x, i) => (data[i] = BigInt.asIntN(64, -x)));
    return { dtype: "int64", shape: [...a.shape], data };
  }
  return unary(a, a.dtype === "bool" ? "float32" : a.dtype, (x) => -x);
}

export function sqrt(a: Tensor): Tensor {
  return unary(a, "float32", (x) => {
    if (x < 0) throw new RewriteAbort(`sqrt of a negative value (${x}) in a constant expression`);
    return Math.sqrt(x);
  });
}

export function rsqrt(a: Tensor): Tensor {
  return unary(a, "float32", (x) => {
    if (x <= 0) throw new RewriteAbort(`rsqrt of a non-positive value (${x}) in a constant expression`);
    return 1 / Math.sqrt(x);
  });
}

// ── layout ───────────────────────────────────────────────────────────────────────────────────

/**
 * The language's `c@axis`: lays the elements of `c` along `axis` of `like`. A one-element `c`
 * is returned as is when its rank is at most rank(like) (it broadcasts anywhere), else reshaped
 * to rank(like) ones (a [1,1,1,1] would grow a rank-1 bias to rank 4); otherwise
 * `c` must have at most one dim ≠ 1, of size `like.shape[axis]`, and the result is `c` reshaped
 * to rank(like) with that size at `axis`.
 */
export function along(c: Tensor, axis: number, like: Tensor): Tensor {
  const n = c.data.length;
  const rank = like.shape.length;
  if (n === 1) return c.shape.length <= rank ? c : { dtype: c.dtype, shape: new Array<number>(rank).fill(1), data: c.data };
  const at = normalizeAxis(axis, rank, "@");
  const nonUnit = c.shape.filter((d) => d !== 1);
  if (nonUnit.length > 1) {
    throw new RewriteAbort(`cannot lay a tensor of shape ${fmt(c.shape)} along one axis: it varies along several`);
  }
  if (n !== like.shape[at]) {
    throw new RewriteAbort(
      `cannot lay ${n} elements along axis ${axis} of a tensor of shape ${fmt(like.shape)} (size ${like.shape[at]})`,
    );
  }
  const shape = new Array<number>(rank).fill(1);
  shape[at] = n;
  return { dtype: c.dtype, shape, data: c.data };
}

/** `a` with a new shape of the same element count; one entry may be -1 (inferred). */
export function reshape(a: Tensor, shape: readonly number[]): Tensor {
  const n = a.data.length;
  const wildcards = shape.filter((d) => d === -1).length;
  if (wildcards > 1) throw new RewriteAbort(`reshape to ${fmt(shape)}: at most one -1 is allowed`);
  if (shape.some((d) => !Number.isInteger(d) || d < -1)) throw new RewriteAbort(`reshape to ${fmt(shape)}: bad dimension`);
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const out = [...shape];
  if (wildcards === 1) {
    if (known === 0 || n % known !== 0) throw new RewriteAbort(`cannot reshape ${fmt(a.shape)} to ${fmt(shape)}`);
    out[out.indexOf(-1)] = n / known;
  } else if (known !== n) {
    throw new RewriteAbort(`cannot reshape ${fmt(a.shape)} (${n} elements) to ${fmt(shape)}`);
  }
  return { dtype: a.dtype, shape: out, data: a.data };
}

/** `a` as a 1-D tensor. */
export function flatten(a: Tensor): Tensor {
  return { dtype: a.dtype, shape: [a.data.length], data: a.data };
}

/** numpy `broadcast_to`: `a`'s dims, right-aligned, must be 1 or equal to `shape`'s. */
export function expand(a: Tensor, shape: readonly number[]): Tensor {
  checkShape(shape, "expand");
  if (a.shape.length > shape.length) throw new RewriteAbort(`cannot expand ${fmt(a.shape)} to the lower rank ${fmt(shape)}`);
  const padded = [...new Array<number>(shape.length - a.shape.length).fill(1), ...a.shape];
  padded.forEach((d, i) => {
    if (d !== 1 && d !== shape[i]) throw new RewriteAbort(`cannot expand ${fmt(a.shape)} to ${fmt(shape)}`);
  });
  return broadcastCopy({ dtype: a.dtype, shape: padded, data: a.data }, shape);
}

/** Permutes the axes of `a`: output axis i is input axis `perm[i]`. */
export function transpose(a: Tensor, perm: readonly number[]): Tensor {
  const rank = a.shape.length;
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
    throw new RewriteAbort(`transpose: ${fmt(perm)} is not a permutation of the ${rank} axes of ${fmt(a.shape)}`);
  }
  const shape = perm.map((p) => a.shape[p]!);
  const inStrides = strides(a.shape);
  const stepOf = perm.map((p) => inStrides[p]!);
  const out = allocData(a.dtype, a.data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += index[k]! * stepOf[k]!;
    (out as Float32Array)[o] = (a.data as Float32Array)[src]!;
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k]! < shape[k]!) break;
      index[k] = 0;
    }
  }
  return { dtype: a.dtype, shape, data: out };
}

/** Sums `a` over `axes` (negative counts from the end); an empty list sums nothing (numpy). */
export function sum(a: Tensor, axes: readonly number[], keepdims = false): Tensor {
  const rank = a.shape.length;
  const reduced = new Set(axes.map((ax) => normalizeAxis(ax, rank, "sum")));
  const keptShape = a.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const dtype: DType = isInteger(a.dtype) ? a.dtype : "float32";
  const acc = new Float64Array(countElements(keptShape));
  const outStrides = strides(keptShape).map((s, i) => (reduced.has(i) ? 0 : s));
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < a.data.length; i++) {
    let o = 0;
    for (let k = 0; k < rank; k++) o += index[k]! * outStrides[k]!;
    acc[o]! += Number(a.data[i]);
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k]! < a.shape[k]!) break;
      index[k] = 0;
    }
  }
  const shape = keepdims ? keptShape : a.shape.filter((_, i) => !reduced.has(i));
  return make(dtype, shape, acc);
}

/** Matrix product of 2-D tensors, or batched with equal leading (batch) dims. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || ra !== rb) throw new RewriteAbort(`matmul of ${fmt(a.shape)} and ${fmt(b.shape)}: needs equal ranks ≥ 2`);
  const batchShape = a.shape.slice(0, -2);
  if (!batchShape.every((d, i) => d === b.shape[i])) {
    throw new RewriteAbort(`matmul of ${fmt(a.shape)} and ${fmt(b.shape)}: batch dims differ`);
  }
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2) throw new RewriteAbort(`matmul of ${fmt(a.shape)} and ${fmt(b.shape)}: inner dims differ`);
  const batches = countElements(batchShape);
  const out = new Float64Array(batches * m * n);
  for (let bi = 0; bi < batches; bi++) {
    const ao = bi * m * k;
    const bo = bi * k * n;
    const oo = bi * m * n;
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const x = Number(a.data[ao + i * k + p]);
        if (x === 0) continue;
        for (let j = 0; j < n; j++) out[oo + i * n + j]! += x * Number(b.data[bo + p * n + j]);
      }
    }
  }
  return make(resultDtype(a.dtype, b.dtype), [...batchShape, m, n], out);
}

// ── internals ────────────────────────────────────────────────────────────────────────────────

function isInteger(d: DType): boolean {
  return d === "int64" || d === "int32";
}

function resultDtype(a: DType, b: DType): DType {
  if (isInteger(a) && isInteger(b)) return a === "int64" || b === "int64" ? "int64" : "int32";
  return "float32";
}

function fmt(shape: readonly (number | string)[]): string {
  return `[${shape.join(", ")}]`;
}

function checkShape(shape: readonly number[], what: string): void {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new RewriteAbort(`${what}: bad shape ${fmt(shape)}`);
}

function normalizeAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new RewriteAbort(`${what}: axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** A tensor of `dtype` from plain numbers; non-finite float results abort the rule. */
function make(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
  const n = values.length;
  const data: TensorData = allocData(dtype, n);
  if (isBigInt(data)) {
    for (let i = 0; i < n; i++) data[i] = BigInt(Math.trunc(values[i]!));
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) throw new RewriteAbort(`a constant expression produced ${v}`);
      (data as Float32Array)[i] = v;
    }
  }
  return { dtype, shape: [...shape], data };
}

function unary(a: Tensor, dtype: DType, f: (x: number) => number): Tensor {
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(Number(a.data[i]));
  return make(dtype, a.shape, out);
}

/** Result shape under strict broadcasting, or a RewriteAbort naming both shapes. */
function strictBroadcastShape(a: readonly number[], b: readonly number[], op: string): number[] {
  const na = countElements(a);
  const nb = countElements(b);
  if (a.length === b.length) {
    return a.map((d, i) => {
      const e = b[i]!;
      if (d === e || e === 1) return d;
      if (d === 1) return e;
      throw new RewriteAbort(`${op} of shapes ${fmt(a)} and ${fmt(b)}: dimension ${i} differs (${d} vs ${e})`);
    });
  }
  if (nb === 1 && (na !== 1 || a.length >= b.length)) return [...a];
  if (na === 1) return [...b];
  throw new RewriteAbort(
    `${op} of shapes ${fmt(a)} and ${fmt(b)}: ranks differ and neither is a single element (use c@axis to place a vector)`,
  );
}

/**
 * Elementwise `f` over two operands; an int64 result is computed exactly in 64-bit integers
 * (`big`, wrapping as onnxruntime does) so that sentinels such as INT64_MAX survive a fold.
 */
function binary(a: Tensor, b: Tensor, op: string, f: (x: number, y: number) => number, big: (x: bigint, y: bigint) => bigint): Tensor {
  const shape = strictBroadcastShape(a.shape, b.shape, op);
  const n = countElements(shape);
  if (resultDtype(a.dtype, b.dtype) === "int64") {
    const av = bigReaderFor(a, shape);
    const bv = bigReaderFor(b, shape);
    const data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) data[i] = BigInt.asIntN(64, big(av(i), bv(i)));
    return { dtype: "int64", shape: [...shape], data };
  }
  const out = new Float64Array(n);
  const av = readerFor(a, shape);
  const bv = readerFor(b, shape);
  for (let i = 0; i < n; i++) out[i] = f(av(i), bv(i));
  return make(resultDtype(a.dtype, b.dtype), shape, out);
}

/** Element reader of `t` at flat index i of `shape`, for a `t` that broadcasts to `shape`. */
function readerFor(t: Tensor, shape: readonly number[]): (i: number) => number {
  const data = t.data;
  if (data.length === 1) {
    const v = Number(data[0]);
    return () => v;
  }
  if (sameDims(t.shape, shape)) return (i) => Number(data[i]);
  const expanded = broadcastCopy(t, shape).data;
  return (i) => Number(expanded[i]);
}

/** `readerFor` for 64-bit integer arithmetic (int32 and int64 operands). */
function bigReaderFor(t: Tensor, shape: readonly number[]): (i: number) => bigint {
  const data = countElements(t.shape) === 1 || sameDims(t.shape, shape) ? t.data : broadcastCopy(t, shape).data;
  if (isBigInt(data)) return data.length === 1 ? () => data[0]! : (i) => data[i]!;
  return data.length === 1 ? () => BigInt(data[0]!) : (i) => BigInt(data[i]!);
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Materialises `t` (same rank as `shape`, dims 1 or equal) broadcast to `shape`. */
function broadcastCopy(t: Tensor, shape: readonly number[]): Tensor {
  const rank = shape.length;
  const inStrides = strides(t.shape).map((s, i) => (t.shape[i] === 1 ? 0 : s));
  const n = countElements(shape);
  const out = allocData(t.dtype, n);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += index[k]! * inStrides[k]!;
    (out as Float32Array)[o] = (t.data as Float32Array)[src]!;
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k]! < shape[k]!) break;
      index[k] = 0;
    }
  }
  return { dtype: t.dtype, shape: [...shape], data: out };
}

/** `a` and `b` joined along `axis` (negative counts from the end); the other dims and the dtype agree. */
export function concat(a: Tensor, b: Tensor, axis: number): Tensor {
  const rank = a.shape.length;
  if (b.shape.length !== rank || a.dtype !== b.dtype) throw new RewriteAbort(`concat of ${a.dtype}${fmt(a.shape)} and ${b.dtype}${fmt(b.shape)}: ranks or dtypes differ`);
  const at = normalizeAxis(axis, rank, "concat");
  if (a.shape.some((d, i) => i !== at && d !== b.shape[i])) throw new RewriteAbort(`concat of ${fmt(a.shape)} and ${fmt(b.shape)} along axis ${axis}: other dims differ`);
  const shape = a.shape.map((d, i) => (i === at ? d + b.shape[i]! : d));
  const outer = a.shape.slice(0, at).reduce((p, d) => p * d, 1);
  const aBlock = a.shape.slice(at).reduce((p, d) => p * d, 1);
  const bBlock = b.shape.slice(at).reduce((p, d) => p * d, 1);
  const out = allocData(a.dtype, outer * (aBlock + bBlock));
  for (let o = 0; o < outer; o++) {
    (out as Float32Array).set((a.data as Float32Array).subarray(o * aBlock, (o + 1) * aBlock), o * (aBlock + bBlock));
    (out as Float32Array).set((b.data as Float32Array).subarray(o * bBlock, (o + 1) * bBlock), o * (aBlock + bBlock) + aBlock);
  }
  return { dtype: a.dtype, shape, data: out };
}
