/**
 * Helpers shared by the op families: typed attribute readers, input checks that throw `OpError`
 * with a message naming the problem, symbolic-dimension arithmetic, numpy broadcasting of
 * shapes, and output allocation through the executor's buffer pool.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, type ValueInfo } from "../runtime/registry.js";
import { allocData, isBigInt, numel, type DType, type Tensor, type TensorData } from "../runtime/tensor.js";

// ── attributes ────────────────────────────────────────────────────────────────────────────

export function attrInt(attrs: Attrs, name: string, fallback?: number): number {
  const a = attrs[name];
  if (a === undefined) return required(name, fallback);
  if (a.type === "int" || a.type === "float") return a.value;
  throw new OpError(`attribute "${name}" must be an int, got ${a.type}`);
}

export function attrFloat(attrs: Attrs, name: string, fallback?: number): number {
  return attrInt(attrs, name, fallback);
}

export function attrString(attrs: Attrs, name: string, fallback?: string): string {
  const a = attrs[name];
  if (a === undefined) return required(name, fallback);
  if (a.type === "string") return a.value;
  throw new OpError(`attribute "${name}" must be a string, got ${a.type}`);
}

export function attrInts(attrs: Attrs, name: string, fallback?: number[]): number[] {
  const a = attrs[name];
  if (a === undefined) return required(name, fallback);
  if (a.type === "ints" || a.type === "floats") return a.value;
  if (a.type === "int") return [a.value];
  throw new OpError(`attribute "${name}" must be a list of ints, got ${a.type}`);
}

export function attrFloats(attrs: Attrs, name: string, fallback?: number[]): number[] {
  return attrInts(attrs, name, fallback);
}

/** A list attribute where `[]` (the dialects' "not given") means `fallback`. */
export function listOr(list: number[], fallback: number[]): number[] {
  return list.length > 0 ? list : fallback;
}

export function hasAttr(attrs: Attrs, name: string): boolean {
  return attrs[name] !== undefined;
}

function required<T>(name: string, fallback: T | undefined): T {
  if (fallback === undefined) throw new OpError(`missing required attribute "${name}"`);
  return fallback;
}

// ── inputs ────────────────────────────────────────────────────────────────────────────────

/** Input slot `i` (named `name` in messages); throws when a required input is absent. */
export function need<T>(inputs: readonly (T | undefined)[], i: number, name: string): T {
  const v = inputs[i];
  if (v === undefined) throw new OpError(`missing required input ${name}`);
  return v;
}

export function checkDType(dtype: DType | undefined, allowed: readonly DType[], name: string): void {
  if (dtype !== undefined && !allowed.includes(dtype)) {
    throw new OpError(`input ${name} has dtype ${dtype}, expected ${allowed.join(" or ")}`);
  }
}

export function checkRank(shape: readonly Dim[] | undefined, rank: number, name: string): void {
  if (shape !== undefined && shape.length !== rank) {
    throw new OpError(`input ${name} has rank ${shape.length}, expected ${rank}`);
  }
}

/** Two dims that must agree (when both are known numbers). */
export function checkDimsAgree(a: Dim, b: Dim, what: string): void {
  if (typeof a === "number" && typeof b === "number" && a !== b) {
    throw new OpError(`${what}: ${a} vs ${b}`);
  }
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(", ")}]`;
}

/** The constant value of an input as numbers, or undefined when not constant. */
export function constNumbers(info: ValueInfo | undefined): number[] | undefined {
  if (!info?.constant) return undefined;
  return Array.from(info.constant.data as ArrayLike<number | bigint>, Number);
}

export function tensorNumbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

// ── dims ──────────────────────────────────────────────────────────────────────────────────

// Two kinds of symbolic dims come out of shape inference:
// - `?N`, fresh for a size that depends on data (a non-constant shape operand): never known to
//   equal anything, so rewrites and the verifier may only treat it as "unknown"
//   (src/runtime/infer.ts `isFreshDim`);
// - derived dims, a function of other dims and of attributes (a convolution's output height from
//   the input height "H"): named after their derivation, so inferring the same op on the same
//   input again gives the same name, and a rewrite that changes a stride is seen to change the
//   shape even when the input height is unknown.

let unknownCounter = 0;

/** A fresh symbolic dim for a size that depends on data (never equal to another). */
export function unknownDim(): Dim {
  return `?${++unknownCounter}`;
}

/**
 * The symbolic dim `what(args…)`: the same derivation from the same dims always gives the same
 * name. Long derivations (deep networks nest them) are named by a hash of their text.
 */
export function derivedDim(what: string, ...args: readonly unknown[]): Dim {
  const text = `${what}(${args.map((a) => (typeof a === "object" ? JSON.stringify(a) : String(a))).join(",")})`;
  return text.length <= 40 ? text : `${what}#${hash64(text)}`;
}

/** 64-bit FNV-1a of a string, as 16 hex digits. */
function hash64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

/** Applies `f` to a known dim; a symbolic one gives the derived dim `what(d, args…)`. */
export function mapDim(d: Dim, f: (n: number) => number, what: string, ...args: readonly unknown[]): Dim {
  return typeof d === "number" ? f(d) : derivedDim(what, d, ...args);
}

export function normAxis(axis: number, rank: number, what = "axis"): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new OpError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** numpy broadcasting of shapes; symbolic dims flow through when they can. */
export function broadcastShapes(shapes: readonly (readonly Dim[])[], names?: readonly string[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const e = s[s.length - rank + i] ?? 1;
      if (e === 1 || e === d) continue;
      if (d === 1) d = e;
      else if (typeof d === "number" && typeof e === "number") {
        const label = names ? names.map((n, k) => `${n} ${formatShape(shapes[k]!)}`).join(" and ") : shapes.map(formatShape).join(" and ");
        throw new OpError(`inputs ${label} cannot be broadcast`);
      } else if (typeof d === "string" && typeof e === "number") d = e;
      else if (typeof d === "string" && typeof e === "string") d = derivedDim("broadcast", d, e);
    }
    out.push(d);
  }
  return out;
}

/** All dims known: the shape as numbers, else undefined. */
export function knownShape(shape: readonly Dim[] | undefined): number[] | undefined {
  if (!shape || !shape.every((d) => typeof d === "number")) return undefined;
  return shape as number[];
}

// ── outputs ───────────────────────────────────────────────────────────────────────────────

/** Where kernels get output buffers; the executor installs a pool while it runs a graph. */
export interface BufferSource {
  /** A buffer of exactly `n` elements whose contents are unspecified. */
  take(dtype: DType, n: number): TensorData;
}

let bufferSource: BufferSource | undefined;

export function withBufferSource<T>(source: BufferSource, run: () => T): T {
  const previous = bufferSource;
  bufferSource = source;
  try {
    return run();
  } finally {
    bufferSource = previous;
  }
}

/** An output tensor whose contents are unspecified: the kernel must write every element. */
export function outputUninit(dtype: DType, shape: readonly number[]): Tensor {
  const n = numel(shape);
  const data = bufferSource ? bufferSource.take(dtype, n) : allocData(dtype, n);
  return { dtype, shape: [...shape], data };
}

export function outputF32(shape: readonly number[]): { dtype: "float32"; shape: number[]; data: Float32Array } {
  return outputUninit("float32", shape) as { dtype: "float32"; shape: number[]; data: Float32Array };
}

/** An output tensor filled with zeros. */
export function outputZeros(dtype: DType, shape: readonly number[]): Tensor {
  const t = outputUninit(dtype, shape);
  if (isBigInt(t.data)) t.data.fill(0n);
  else t.data.fill(0);
  return t;
}

/** A view of `t` with another shape (same buffer; the executor's pool tracks the sharing). */
export function reshaped(t: Tensor, shape: readonly number[]): Tensor {
  if (numel(shape) !== t.data.length) {
    throw new OpError(`cannot reshape ${formatShape(t.shape)} (${t.data.length} elements) to ${formatShape(shape)}`);
  }
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}

/** A reusable scratch buffer that grows as needed (one per call site). */
export class Scratch {
  private buf = new Float32Array(0);
  get(n: number): Float32Array {
    if (this.buf.length < n) this.buf = new Float32Array(Math.max(n, this.buf.length * 2));
    return this.buf;
  }
}
