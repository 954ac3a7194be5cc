/**
 * Shape and value predicates for rule conditions (exported as namespace `G` from
 * `fusec/runtime`).
 *
 * Shapes are `Dim[] | undefined` as stored on graph values: a dim is a size or a symbolic name.
 * A predicate that needs a fact the graph does not have (an unknown rank, a symbolic dim where a
 * size is needed) throws `RewriteAbort("unknown shape of …")`, so the rule does not fire rather
 * than guessing. Symbolic dims are equal exactly when their names are equal.
 */
import type { Attr, Attrs, Dim } from "./graph.js";
import { RewriteAbort } from "./pass.js";
import type { Tensor } from "./tensor.js";

type Shape = readonly Dim[] | undefined;

/** Number of dims; aborts when the rank is unknown. */
export function rank(shape: Shape): number {
  return known(shape).length;
}

/** Size of dim `i` (negative counts from the end); aborts when unknown or symbolic. */
export function dim(shape: Shape, i: number): number {
  const s = known(shape);
  const at = i < 0 ? i + s.length : i;
  if (!Number.isInteger(at) || at < 0 || at >= s.length) {
    throw new RewriteAbort(`dim ${i} is out of range for a shape of rank ${s.length}`);
  }
  const d = s[at]!;
  if (typeof d !== "number") throw new RewriteAbort(`unknown shape of dim ${i}: it is symbolic ("${d}")`);
  return d;
}

/** Element count; aborts when any dim is unknown. */
export function numel(shape: Shape): number {
  return shapeOf(shape).reduce((p, d) => p * d, 1);
}

/** The shape as plain sizes; aborts when any dim is unknown. */
export function shapeOf(shape: Shape): number[] {
  const s = known(shape);
  return s.map((d) => {
    if (typeof d !== "number") throw new RewriteAbort(`unknown shape of [${s.join(", ")}]: dim "${d}" is symbolic`);
    return d;
  });
}

/** numpy broadcast compatibility (right-aligned; each pair equal or one of them 1). */
export function broadcastable(a: Shape, b: Shape): boolean {
  const sa = known(a);
  const sb = known(b);
  const n = Math.min(sa.length, sb.length);
  for (let k = 1; k <= n; k++) {
    const da = sa[sa.length - k]!;
    const db = sb[sb.length - k]!;
    if (da === db || da === 1 || db === 1) continue;
    if (typeof da === "string" || typeof db === "string") {
      throw new RewriteAbort(`unknown shape: cannot tell whether ${da} and ${db} broadcast`);
    }
    return false;
  }
  return true;
}

/** `a` broadcasts into `b` without growing `b` (rank(a) ≤ rank(b); each dim of a is 1 or b's). */
export function broadcastsTo(a: Shape, b: Shape): boolean {
  const sa = known(a);
  const sb = known(b);
  if (sa.length > sb.length) return false;
  const offset = sb.length - sa.length;
  for (let i = 0; i < sa.length; i++) {
    const da = sa[i]!;
    const db = sb[offset + i]!;
    if (da === 1 || da === db) continue;
    if (typeof da === "string" || typeof db === "string") {
      throw new RewriteAbort(`unknown shape: cannot tell whether ${da} broadcasts into ${db}`);
    }
    return false;
  }
  return true;
}

/**
 * `c` broadcasts into `v` without growing it (numpy right alignment) and every dim of `c` that
 * is ≠ 1 lands on `axis` of `v` (negative counts from the end). A one-element `c` qualifies.
 * So `[C]` against NCHW is channelwise on axis 3, not on axis 1 (unless C is 1).
 */
export function channelwise(c: Shape, v: Shape, axis: number): boolean {
  const sc = shapeOf(c);
  const sv = known(v);
  if (sc.every((d) => d === 1)) return sc.length <= sv.length;
  const at = axis < 0 ? axis + sv.length : axis;
  if (at < 0 || at >= sv.length || !broadcastsTo(sc, sv)) return false;
  const offset = sv.length - sc.length;
  return sc.every((d, i) => d === 1 || offset + i === at);
}

/** Exactly one element (any rank). */
export function isScalar(shape: Shape): boolean {
  const s = known(shape);
  if (s.some((d) => typeof d === "number" && d !== 1)) return false;
  return shapeOf(s).every((d) => d === 1);
}

/** Every element of `t` within `tol` of `v`; false when `t` is undefined (not a constant) or empty. */
export function allClose(t: Tensor | undefined, v: number, tol = 1e-6): boolean {
  if (t === undefined || t.data.length === 0) return false;
  for (let i = 0; i < t.data.length; i++) {
    const x = Number(t.data[i]);
    // An infinite bound equals only itself (∞ − ∞ is NaN).
    if (x !== v && !(Math.abs(x - v) <= tol)) return false;
  }
  return true;
}

/** Same length and same elements. */
export function equalLists(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Every element equals `v` (true for an empty list). */
export function allEqual(a: readonly number[], v: number): boolean {
  return a.every((x) => x === v);
}

/**
 * The permutation of transposing by `p` and then by `q`: r[i] = p[q[i]]. Aborts unless both are
 * permutations of the same length (an empty perm, "reverse the axes", has no length to check).
 */
export function composePerm(p: readonly number[], q: readonly number[]): number[] {
  if (!isPermutation(p) || !isPermutation(q) || p.length !== q.length) {
    throw new RewriteAbort(`cannot compose perms [${p.join(", ")}] and [${q.join(", ")}]`);
  }
  return q.map((axis) => p[axis]!);
}

/** `p` is [0, 1, …, n-1] for some n ≥ 1 (the empty perm reverses the axes, so it is not). */
export function isIdentityPerm(p: readonly number[]): boolean {
  return p.length > 0 && p.every((axis, i) => axis === i);
}

function isPermutation(p: readonly number[]): boolean {
  const seen = new Set(p);
  return p.length > 0 && seen.size === p.length && p.every((axis) => Number.isInteger(axis) && axis >= 0 && axis < p.length);
}

function known(shape: Shape): readonly Dim[] {
  if (shape === undefined) throw new RewriteAbort("unknown shape of a value (no shape inferred)");
  return shape;
}

/**
 * The two nodes' attributes agree, each completed with its op's declared defaults, except for
 * the names in `except` (`sameAttrs(c1, c2)` in a rule: two Convs that can be merged).
 */
export function sameAttrs(a: Attrs, aDefaults: Attrs, b: Attrs, bDefaults: Attrs, except: readonly string[] = []): boolean {
  const left = { ...aDefaults, ...a };
  const right = { ...bDefaults, ...b };
  for (const name of new Set([...Object.keys(left), ...Object.keys(right)])) {
    if (except.includes(name)) continue;
    if (!sameAttr(left[name], right[name])) return false;
  }
  return true;
}

function sameAttr(a: Attr | undefined, b: Attr | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  // An int attribute given as a float (or the other way) is the same number.
  const numeric = (x: Attr) => x.type === "int" || x.type === "float";
  if (numeric(a) && numeric(b)) return Math.fround(Number(a.value)) === Math.fround(Number(b.value));
  if (a.type !== b.type) return false;
  if (a.type === "tensor" && b.type === "tensor") {
    return a.value.dtype === b.value.dtype && a.value.shape.join() === b.value.shape.join() && a.value.data.every((v, i) => v === b.value.data[i]);
  }
  if (a.type === "opaque" || b.type === "opaque") return false;
  const av = a.value as unknown;
  const bv = b.value as unknown;
  if (Array.isArray(av) && Array.isArray(bv)) return av.length === bv.length && av.every((v, i) => (typeof v === "number" ? Math.fround(v) === Math.fround(bv[i] as number) : v === bv[i]));
  return av === bv;
}

/** ONNX TensorProto element type codes (Cast's `to`, ConstantOfShape, …) and fusec's dtype names. */
const DTYPE_CODES: Record<string, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9,
  float16: 10, float64: 11, uint32: 12, uint64: 13, bfloat16: 16,
};

/** The element type name of an ONNX type code; aborts on a code that names none. */
export function dtypeName(code: number): string {
  const found = Object.entries(DTYPE_CODES).find(([, c]) => c === code);
  if (!found) throw new RewriteAbort(`${code} is not an ONNX element type code`);
  return found[0];
}

/** The ONNX type code of an element type name; aborts on an unknown name. */
export function dtypeCode(name: string): number {
  const code = DTYPE_CODES[name];
  if (code === undefined) throw new RewriteAbort(`"${name}" is not an element type (float32, int64, …)`);
  return code;
}

/** a / b for ints when b divides a; aborts otherwise (a group count that does not divide the channels). */
export function intdiv(a: number, b: number): number {
  if (!Number.isInteger(a) || !Number.isInteger(b) || b === 0 || a % b !== 0) throw new RewriteAbort(`${a} / ${b} is not an integer`);
  return a / b;
}
