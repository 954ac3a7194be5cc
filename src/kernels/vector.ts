/**
 * Element-wise float32 kernels on WebAssembly SIMD (src/kernels/wasm/vector.wat): binary
 * add/sub/mul/div over a run of elements, the activations, and global pooling, applied in place on tensors that
 * live in the SIMD module's memory (the executor's arena, arena.ts). Each entry point returns
 * false when it cannot take the work — no SIMD, an operand outside that memory, another dtype or
 * op, or a run too short to be worth the call — and the caller's JavaScript loop runs instead.
 */
import type { Activation } from "./activation.js";
import { arenaRelease, arenaSlack, arenaTake, isImmutable } from "./arena.js";
import { simdBuffer, simdMemory, simdScratch } from "./gemm.js";
import { isSharedMemory, type WasmApi } from "./simd.js";
import type { Axis } from "./window.js";
import { WASM_BASE64, WASM_SHARED_BASE64 } from "./wasm/vector.wasm.js";

type Binary = (x: number, y: number, out: number, n: number) => void;

interface VectorKernels {
  buffer: ArrayBufferLike;
  /** By op, by form: vv (two vectors), vs (vector ∘ scalar), sv (scalar ∘ vector). */
  binary: Record<string, { vv?: Binary; vs?: Binary; sv?: Binary } | undefined>;
  activate(kind: number, src: number, dst: number, n: number, a: number, b: number): void;
  plane_sums(src: number, planes: number, inner: number, dst: number, scale: number): void;
  plane_maxes(src: number, planes: number, inner: number, dst: number): void;
  max_pool_s1: MaxPoolPlane;
  max_pool_s2: MaxPoolPlane;
  gather_panels(panels: number, kc: number, firstsPtr: number, rowsPtr: number, dstPtr: number): void;
  gather_rows(panels: number, kc: number, first: number, rowsPtr: number, dstPtr: number): void;
  copy_rows(src: number, srcStride: number, dst: number, dstStride: number, rows: number, bytes: number): void;
  softmax_rows(src: number, dst: number, rows: number, n: number): void;
  nearest_up2(src: number, dst: number, rows: number, inW: number): void;
  affine_rows(a: number, scales: number, shifts: number, out: number, rows: number, n: number): void;
  scatter_add_rows(src: number, srcRow: number, dst: number, dstRow: number, rows: number, count: number, step: number): void;
  fill(dst: number, n: number, value: number): void;
  gather_2d(src: number, rowStride: number, colStride: number, dst: number, rows: number, cols: number): void;
  max_pool_2x2s2(src: number, dst: number, planes: number, inH: number, inW: number, outH: number, outW: number): void;
  phase_rows(src: number, srcRow: number, dst: number, dstRow: number, rows: number, width: number, stride: number, padBegin: number, phaseBytes: number): void;
  /** By op: rows (vector ∘ per-row scalar) and rows_sv (per-row scalar ∘ vector). */
  rows: Record<string, { vs?: RowsBinary; sv?: RowsBinary } | undefined>;
}

type RowsBinary = (a: number, s: number, out: number, rows: number, n: number) => void;

type MaxPoolPlane = (inPtr: number, inRowBytes: number, inStepBytes: number, outPtr: number, outH: number, outW: number, k: number) => void;

/** Shorter runs stay in JavaScript (a call into wasm costs about as much as a dozen elements). */
const MIN_RUN = 16;

/** The activation kinds $act4 implements, by code. */
const ACTIVATION_CODES: Record<string, number> = { relu: 0, clip: 1, leaky_relu: 2, hard_sigmoid: 3, hard_swish: 4, sigmoid: 5, tanh: 6 };

function instantiate(): VectorKernels | undefined {
  const memory = simdMemory();
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!memory || !wasm) return undefined;
  const bytes = Uint8Array.from(atob(isSharedMemory(memory) ? WASM_SHARED_BASE64 : WASM_BASE64), (c) => c.charCodeAt(0));
  if (!wasm.validate(bytes)) return undefined;
  const { exports } = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
  const binary: VectorKernels["binary"] = {};
  for (const [name, f] of Object.entries(exports)) {
    const match = /^(add|sub|mul|div)_(vv|vs|sv)$/.exec(name);
    if (match) (binary[match[1]!] ??= {})[match[2] as "vv" | "vs" | "sv"] = f as Binary;
  }
  return {
    buffer: simdBuffer()!,
    binary,
    activate: exports.activate as VectorKernels["activate"],
    plane_sums: exports.plane_sums as VectorKernels["plane_sums"],
    plane_maxes: exports.plane_maxes as VectorKernels["plane_maxes"],
    max_pool_s1: exports.max_pool_s1 as MaxPoolPlane,
    max_pool_s2: exports.max_pool_s2 as MaxPoolPlane,
    gather_panels: exports.gather_panels as VectorKernels["gather_panels"],
    gather_rows: exports.gather_rows as VectorKernels["gather_rows"],
    copy_rows: exports.copy_rows as VectorKernels["copy_rows"],
    softmax_rows: exports.softmax_rows as VectorKernels["softmax_rows"],
    nearest_up2: exports.nearest_up2 as VectorKernels["nearest_up2"],
    affine_rows: exports.affine_rows as VectorKernels["affine_rows"],
    scatter_add_rows: exports.scatter_add_rows as VectorKernels["scatter_add_rows"],
    phase_rows: exports.phase_rows as VectorKernels["phase_rows"],
    max_pool_2x2s2: exports.max_pool_2x2s2 as VectorKernels["max_pool_2x2s2"],
    fill: exports.fill as VectorKernels["fill"],
    gather_2d: exports.gather_2d as VectorKernels["gather_2d"],
    rows: Object.fromEntries(["add", "sub", "mul", "div"].map((op) => [op, { vs: exports[`${op}_rows`] as RowsBinary | undefined, sv: exports[`${op}_rows_sv`] as RowsBinary | undefined }])),
  };
}

/** Instantiated on first use (gemm.ts, which owns the memory, imports this module's importers). */
let instance: VectorKernels | undefined | null = null;

function vectorKernels(): VectorKernels | undefined {
  if (instance === null) instance = instantiate();
  return instance;
}

/** Whether the SIMD element-wise kernels are available (they need the GEMM module's memory). */
export function vectorKernelsAvailable(): boolean {
  return vectorKernels() !== undefined;
}

/**
 * out[oo, oo+n) = a ∘ b over one run, as floatRun in elementwise.ts: `as`, `bs` are 1 (contiguous)
 * or 0 (one element repeated), not both 0. Returns false (nothing written) when it cannot.
 */
export function simdBinary(op: string, aData: ArrayLike<number>, ao: number, as: number, bData: ArrayLike<number>, bo: number, bs: number, out: ArrayLike<number>, oo: number, n: number): boolean {
  const kernels = vectorKernels();
  if (!kernels || n < MIN_RUN || !(out instanceof Float32Array) || out.buffer !== kernels.buffer) return false;
  if (!(aData instanceof Float32Array) || !(bData instanceof Float32Array)) return false;
  const mem = kernels.buffer;
  const o = out.byteOffset + 4 * oo;
  // Constant operands (weights, biases) get a copy in the module's memory, made once.
  const a = as !== 0 && aData.buffer !== mem ? residentCopy(aData) : aData;
  const b = bs !== 0 && bData.buffer !== mem ? residentCopy(bData) : bData;
  if (as !== 0 && bs !== 0) {
    const f = kernels.binary[op]?.vv;
    if (!f || a.buffer !== mem || b.buffer !== mem) return false;
    f(a.byteOffset + 4 * ao, b.byteOffset + 4 * bo, o, n);
    return true;
  }
  if (bs === 0) {
    const f = kernels.binary[op]?.vs;
    if (!f || a.buffer !== mem) return false;
    f(a.byteOffset + 4 * ao, b[bo]!, o, n);
    return true;
  }
  // a scalar: commutative ops swap their operands
  const commutes = op === "add" || op === "mul";
  const forms = kernels.binary[op];
  const f = commutes ? forms?.vs : forms?.sv;
  if (!f || b.buffer !== mem) return false;
  if (commutes) f(b.byteOffset + 4 * bo, a[ao]!, o, n);
  else f(a[ao]!, b.byteOffset + 4 * bo, o, n);
  return true;
}

/** Arena copies of graph constants, made on first use and released when the constant is collected. */
const residentCopies = new WeakMap<Float32Array, Float32Array>();
const residentRelease = new FinalizationRegistry<Float32Array>(arenaRelease);

/** `data` itself, or for a graph constant outside the module's memory its copy there (when the arena has room). */
function residentCopy(data: Float32Array): Float32Array {
  if (!isImmutable(data)) return data;
  let copy = residentCopies.get(data);
  if (!copy) {
    copy = arenaTake(data.length);
    if (!copy) return data;
    copy.set(data);
    residentCopies.set(data, copy);
    residentRelease.register(data, copy);
  }
  return copy;
}

/** The element-wise functions `activate` also has (vector.wat's $act4 kinds 7 and up). */
const MAP_CODES = { exp: 7, erf: 8, neg: 9, abs: 10, sqrt: 11, reciprocal: 12, floor: 13, ceil: 14, round: 15, gelu: 16, gelu_tanh: 17 } as const;

/** A function simdMap runs. */
export type SimdMapKind = keyof typeof MAP_CODES;

/**
 * dst[i] = f(src[i]) for i in [start, end): e^x, erf and the two Gelus within the error bounds in
 * vector.wat's header, the others exact; false when it cannot.
 */
export function simdMap(f: SimdMapKind, src: Float32Array, dst: Float32Array, start: number, end: number): boolean {
  return activateRange(MAP_CODES[f], 0, 0, src, dst, start, end);
}

/** dst[i] = act(src[i]) for i in [start, end), as mapActivation; false when it cannot. */
export function simdActivation(act: Activation, src: Float32Array, dst: Float32Array, start: number, end: number): boolean {
  const code = ACTIVATION_CODES[act.kind];
  return code !== undefined && activateRange(code, act.a, act.b, src, dst, start, end);
}

/** The module's `activate` with kind `code` and parameters a, b over [start, end); false when it cannot. */
function activateRange(code: number, a: number, b: number, src: Float32Array, dst: Float32Array, start: number, end: number): boolean {
  const kernels = vectorKernels();
  if (!kernels || end - start < MIN_RUN || src.buffer !== kernels.buffer || dst.buffer !== kernels.buffer) return false;
  kernels.activate(code, src.byteOffset + 4 * start, dst.byteOffset + 4 * start, end - start, a, b);
  return true;
}

/**
 * Global pooling of `planes` contiguous planes of `inner` floats each: dst[p] = the plane's mean
 * ("avg", summed in float32 over four lanes) or maximum ("max", NaN if any element is NaN).
 * False when it cannot (src or dst outside the module's memory, a short plane).
 */
export function simdGlobalPool(kind: "avg" | "max", src: Float32Array, planes: number, inner: number, dst: Float32Array): boolean {
  return kind === "avg" ? simdReduceRows("sum", src, planes, inner, dst, 1 / inner) : simdReduceRows("max", src, planes, inner, dst);
}

/**
 * Reduces `rows` contiguous rows of `inner` floats each: dst[r] = scale · the row's sum (summed
 * in float32 over four lanes), or the row's maximum (NaN if any element is NaN). False when it
 * cannot (src or dst outside the module's memory, a short row).
 */
export function simdReduceRows(kind: "sum" | "max", src: Float32Array, rows: number, inner: number, dst: Float32Array, scale = 1): boolean {
  const kernels = vectorKernels();
  if (!kernels || inner < MIN_RUN || src.buffer !== kernels.buffer || dst.buffer !== kernels.buffer) return false;
  if (kind === "sum") kernels.plane_sums(src.byteOffset, rows, inner, dst.byteOffset, scale);
  else kernels.plane_maxes(src.byteOffset, rows, inner, dst.byteOffset);
  return true;
}

/** Floats the pooling plane functions may read past a padded row or write past an output plane. */
const PLANE_SLACK = 64;
const SPILL = 3;

/**
 * 2-D max pooling of `planes` NCHW planes on the SIMD plane functions: each plane is copied into
 * a plane padded with -∞ in the module's scratch (the padding filled once per call), and pooled
 * straight into `out` when it is an arena buffer (the spill past a plane lands in the next one,
 * pooled after it, or in the buffer's slack), else through a scratch plane. Square windows,
 * horizontal stride 1 or 2 (any vertical stride), no dilation; false for anything else.
 */
export function simdMaxPool2d(x: Float32Array, out: Float32Array, planes: number, h: Axis, w: Axis): boolean {
  const kernels = vectorKernels();
  const scratch = simdScratch();
  if (!kernels || !scratch || h.kernel !== w.kernel || h.dilation !== 1 || w.dilation !== 1 || (w.stride !== 1 && w.stride !== 2)) return false;
  // 2×2 windows at stride 2, all inside the input, on arena tensors: read in place, every plane in one call.
  const inside = (a: Axis) => a.kernel === 2 && a.stride === 2 && a.padBegin === 0 && 2 * a.out <= a.size;
  if (inside(h) && inside(w) && x.buffer === kernels.buffer && out.buffer === kernels.buffer) {
    kernels.max_pool_2x2s2(x.byteOffset, out.byteOffset, planes, h.size, w.size, h.out, w.out);
    return true;
  }
  const pool = w.stride === 1 ? kernels.max_pool_s1 : kernels.max_pool_s2;
  const { floats } = scratch;
  const ph = (h.out - 1) * h.stride + h.kernel;
  const pw = (w.out - 1) * w.stride + w.kernel;
  const ohw = h.out * w.out;
  const padded = scratch.start;
  const result = padded + ((ph * pw + PLANE_SLACK + 3) & ~3);
  if (result + ohw + PLANE_SLACK > scratch.start + scratch.size) return false;
  const outResident = out.buffer === floats.buffer && arenaSlack(out) >= SPILL;
  fillFloats(floats, -Infinity, padded, result);
  const rowLo = Math.max(0, -h.padBegin);
  const rowHi = Math.min(h.size, ph - h.padBegin);
  const colLo = Math.max(0, -w.padBegin);
  const colHi = Math.min(w.size, pw - w.padBegin);
  const outBase = out.byteOffset >> 2;
  const inPlane = h.size * w.size;
  for (let p = 0; p < planes; p++) {
    const firstTo = padded + (rowLo + h.padBegin) * pw + w.padBegin + colLo;
    if (!simdCopyRows(x, p * inPlane + rowLo * w.size + colLo, w.size, floats, firstTo, pw, rowHi - rowLo, colHi - colLo)) {
      for (let ih = rowLo; ih < rowHi; ih++) {
        const from = p * inPlane + ih * w.size;
        floats.set(x.subarray(from + colLo, from + colHi), padded + (ih + h.padBegin) * pw + w.padBegin + colLo);
      }
    }
    const target = outResident ? outBase + p * ohw : result;
    pool(4 * padded, 4 * pw, 4 * pw * h.stride, 4 * target, h.out, w.out, h.kernel);
    if (!outResident) out.set(floats.subarray(result, result + ohw), p * ohw);
  }
  return true;
}

/**
 * The GEMM's batched B-panel gather (see gather_panels in vector.wat; byte addresses of int32
 * tables and of the destination), or undefined without SIMD.
 */
export function simdGatherPanels(): VectorKernels["gather_panels"] | undefined {
  return vectorKernels()?.gather_panels;
}

/** The same for consecutive panels (panel t's first is first + 8t), depth row by depth row (see gather_rows in vector.wat). */
export function simdGatherRows(): VectorKernels["gather_rows"] | undefined {
  return vectorKernels()?.gather_rows;
}

/**
 * Copies `rows` rows of `cols` floats between two float views of the module's memory (element
 * offsets from each view's start, row strides in floats); false when either view lies elsewhere.
 */
export function simdCopyRows(src: Float32Array, from: number, srcStride: number, dst: Float32Array, to: number, dstStride: number, rows: number, cols: number): boolean {
  const kernels = vectorKernels();
  if (!kernels || src.buffer !== kernels.buffer || dst.buffer !== kernels.buffer) return false;
  if (rows > 0 && cols > 0) kernels.copy_rows(src.byteOffset + 4 * from, 4 * srcStride, dst.byteOffset + 4 * to, 4 * dstStride, rows, 4 * cols);
  return true;
}

/**
 * out[r·n + i] = x[r·n + i]·scales[r] + shifts[r] for `rows` contiguous rows of n floats (the
 * per-channel affine map of inference BatchNormalization); false when x or out lies outside the
 * module's memory, or there is no room to stage the per-row factors.
 */
export function simdAffineRows(x: Float32Array, scales: Float32Array, shifts: Float32Array, out: Float32Array, rows: number, n: number): boolean {
  const kernels = vectorKernels();
  const scratch = simdScratch();
  if (!kernels || !scratch || n < MIN_RUN || x.buffer !== kernels.buffer || out.buffer !== kernels.buffer || 2 * rows > scratch.size) return false;
  scratch.floats.set(scales.subarray(0, rows), scratch.start);
  scratch.floats.set(shifts.subarray(0, rows), scratch.start + rows);
  kernels.affine_rows(x.byteOffset, 4 * scratch.start, 4 * (scratch.start + rows), out.byteOffset, rows, n);
  return true;
}

/**
 * data[start, end) = value, by the module when `data` lies in its memory (false otherwise): the
 * memory is shared with worker threads, and JavaScript's fill on a shared buffer is several times
 * slower than the module's.
 */
export function simdFill(data: Float32Array, value: number, start: number, end: number): boolean {
  const kernels = vectorKernels();
  if (!kernels || data.buffer !== kernels.buffer) return false;
  if (end > start) kernels.fill(data.byteOffset + 4 * start, end - start, value);
  return true;
}

/**
 * dst[i·cols + j] = src[from + i·rowStride + j·colStride] for i < rows, j < cols (element offsets
 * and strides), by the module when both arrays lie in its memory (false otherwise).
 */
export function simdGather2d(src: Float32Array, from: number, rowStride: number, colStride: number, dst: Float32Array, rows: number, cols: number): boolean {
  const kernels = vectorKernels();
  if (!kernels || src.buffer !== kernels.buffer || dst.buffer !== kernels.buffer) return false;
  if (rows > 0 && cols > 0) kernels.gather_2d(src.byteOffset + 4 * from, 4 * rowStride, 4 * colStride, dst.byteOffset, rows, cols);
  return true;
}

/** data[start, end) = value: simdFill, else JavaScript's fill. */
export function fillFloats(data: Float32Array, value: number, start: number, end: number): void {
  if (!simdFill(data, value, start, end)) data.fill(value, start, end);
}

/**
 * Copies `rows` rows of `width` floats (src from element `from`, row stride srcStride) into a
 * padded plane split into `stride` column phases (dst from element `to`, row stride dstStride,
 * phase q at q·phaseSize): input column iw goes to phase (iw + padBegin) mod stride, position
 * ⌊(iw + padBegin) / stride⌋. False when either array lies outside the module's memory.
 */
export function simdPhaseRows(src: Float32Array, from: number, srcStride: number, dst: Float32Array, to: number, dstStride: number, rows: number, width: number, stride: number, padBegin: number, phaseSize: number): boolean {
  const kernels = vectorKernels();
  if (!kernels || src.buffer !== kernels.buffer || dst.buffer !== kernels.buffer) return false;
  if (rows > 0 && width > 0) kernels.phase_rows(src.byteOffset + 4 * from, 4 * srcStride, dst.byteOffset + 4 * to, 4 * dstStride, rows, width, stride, padBegin, 4 * phaseSize);
  return true;
}

/**
 * The scatter-add of a transposed convolution's column block, or undefined when `src` or `dst`
 * lies outside the module's memory: scatter(from, srcRow, to, dstRow, rows, count, step) adds
 * src[from + r·srcRow + i] into dst[to + r·dstRow + i·step] for r < rows, i < count (element
 * offsets and strides).
 */
export function simdScatterAdd(src: Float32Array, dst: Float32Array): ((from: number, srcRow: number, to: number, dstRow: number, rows: number, count: number, step: number) => void) | undefined {
  const kernels = vectorKernels();
  if (!kernels || src.buffer !== kernels.buffer || dst.buffer !== kernels.buffer) return undefined;
  const s = src.byteOffset;
  const d = dst.byteOffset;
  const f = kernels.scatter_add_rows;
  return (from, srcRow, to, dstRow, rows, count, step) => f(s + 4 * from, 4 * srcRow, d + 4 * to, 4 * dstRow, rows, count, 4 * step);
}

/**
 * Softmax over `rows` contiguous rows of `n` floats (the last-axis case), src into dst; false
 * when either lies outside the module's memory.
 */
export function simdSoftmaxRows(src: Float32Array, dst: Float32Array, rows: number, n: number): boolean {
  const kernels = vectorKernels();
  if (!kernels || n < 4 || src.buffer !== kernels.buffer || dst.buffer !== kernels.buffer) return false;
  kernels.softmax_rows(src.byteOffset, dst.byteOffset, rows, n);
  return true;
}

/**
 * Nearest 2× upsampling of the last two axes: `rows` source rows (all planes' rows in order) of
 * inW floats into 2·rows rows of 2·inW; false when src or dst lies outside the module's memory.
 */
export function simdNearestUp2(src: Float32Array, dst: Float32Array, rows: number, inW: number): boolean {
  const kernels = vectorKernels();
  if (!kernels || src.buffer !== kernels.buffer || dst.buffer !== kernels.buffer) return false;
  kernels.nearest_up2(src.byteOffset, dst.byteOffset, rows, inW);
  return true;
}

/**
 * out[r·n + i] = a[r·n + i] ∘ s[r] (or s[r] ∘ a[…] when `scalarFirst`) for r < rows, i < n: a
 * per-channel operand against NCHW planes in one call. False when it cannot (an operand outside
 * the module's memory that is not a constant, another op, short rows).
 */
export function simdBinaryRows(op: string, aData: Float32Array, sData: Float32Array, out: Float32Array, rows: number, n: number, scalarFirst: boolean): boolean {
  const kernels = vectorKernels();
  if (!kernels || n < 8 || out.buffer !== kernels.buffer) return false;
  const forms = kernels.rows[op];
  const commutes = op === "add" || op === "mul";
  const f = scalarFirst && !commutes ? forms?.sv : forms?.vs;
  const a = aData.buffer === kernels.buffer ? aData : residentCopy(aData);
  const s = sData.buffer === kernels.buffer ? sData : residentCopy(sData);
  if (!f || a.buffer !== kernels.buffer || s.buffer !== kernels.buffer) return false;
  f(a.byteOffset, s.byteOffset, out.byteOffset, rows, n);
  return true;
}
