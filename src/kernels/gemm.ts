/**
 * Matrix products: the cache-blocked single-precision GEMM that convolution and the matrix ops
 * run on, and the ops Gemm, MatMul, com.microsoft FusedGemm and tfl FullyConnected.
 *
 * The GEMM packs a block of A (MR-row panels) and a block of B (NR-column panels) into one
 * workspace, multiplies them with the WebAssembly SIMD block kernel (simd.ts; a JavaScript
 * micro-kernel with the same layout when SIMD is missing) into a small C chunk, and copies each
 * chunk out through the fused epilogue — bias, residual, activation — while it is still in L1
 * (with SIMD the module applies it in place and rows are copied out whole).
 * B is a strided matrix or an offset matrix (element (p, j) at rowOffsets[p] + colOffsets[j]):
 * im2col of a zero-padded image is one, so convolution never builds its column matrix — its
 * panels are gathered straight from the image, eight contiguous pixels at a time.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import { NUMERIC_DTYPES, type Tensor } from "../runtime/tensor.js";
import { einsumOf } from "./einsum.js";
import { applyActivation, fusedGemmActivation, NO_ACTIVATION, tflActivation, type Activation } from "./activation.js";
import { isImmutable } from "./arena.js";
import { ConstantCopies } from "./constant-copies.js";
import { simdGatherPanels, simdGatherRows } from "./vector.js";
import { createKernelMemory, createSimdKernels, SIMD_MR, SIMD_NR, simdActivationCode, type SimdKernels, type WasmMemory } from "./simd.js";
import { threadWorkspace } from "./parallel-thread.js";
import { parallelGemm } from "./parallel-gemm.js";
import {
  attrFloat,
  attrInt,
  broadcastShapes,
  checkDimsAgree,
  checkDType,
  formatShape,
  need,
  outputF32,
  derivedDim,
} from "./util.js";

// ── the GEMM core ─────────────────────────────────────────────────────────────────────────

/** A strided view of a float matrix: element (i, j) is `data[offset + i*rowStride + j*colStride]`. */
export interface MatrixView {
  data: Float32Array;
  offset: number;
  rowStride: number;
  colStride: number;
}

/** A matrix whose element (i, j) is `data[offset + rowOffsets[i] + colOffsets[j]]`. */
export interface OffsetMatrix {
  data: Float32Array;
  offset: number;
  rowOffsets: Int32Array;
  colOffsets: Int32Array;
}

/** What to do to each output element after the product, in order: + bias, + residual, activation. */
export interface GemmEpilogue {
  /** Added per output row (`bias[biasOffset + i]`) or per column (`bias[biasOffset + j]`). */
  bias?: Float32Array;
  biasOffset?: number;
  biasPerRow?: boolean;
  /** Added element-wise; laid out like C (`residual[residualOffset + i*ldr + j]`). */
  residual?: Float32Array;
  residualOffset?: number;
  ldr?: number;
  activation?: Activation;
}

/** Register tile: rows of A and columns of B per micro-kernel step. */
export const MR = SIMD_MR;
export const NR = SIMD_NR;
/** Rows of A per packed block (an A block, MC×KC floats, stays in L2). */
const MC = 128;
/** Largest depth per packed block (a B panel, KC×NR floats, stays in L1). */
const KC = 512;
/** Columns of B per packed block. */
const NC = 512;
/** Columns of C per chunk the kernel writes and the epilogue reads back (MC×CW floats in L1). */
const CW = 64;
/** Columns of an arena C multiplied and finished in place per call (no copy: fewer, longer calls). */
const DIRECT_CW = 256;

/**
 * The workspace, in floats: packed A block, packed B block, a C chunk, a depth block's row
 * offsets (int32, in bytes) for gathering B panels, then staging for an offset matrix's data.
 */
/** In a worker thread (parallel.ts), the shared memory and where this thread's workspace starts in it. */
const given = threadWorkspace();
const A_BLOCK = given?.start ?? 0;
const B_BLOCK = A_BLOCK + MC * KC;
const C_CHUNK = B_BLOCK + KC * NC;
const ROW_OFFSETS = C_CHUNK + MC * CW;
/** The SIMD epilogue's inputs: a chunk's row biases, activation parameters, residual rows (stride CW). */
const CHUNK_BIAS = ROW_OFFSETS + KC;
const CHUNK_PARAMS = CHUNK_BIAS + MC;
const CHUNK_RESIDUAL = CHUNK_PARAMS + 4;
/** Per B panel of a block: the element offset of its first column, or -1 (packed by JavaScript). */
const PANEL_FIRSTS = CHUNK_RESIDUAL + MC * CW;
const STAGING = PANEL_FIRSTS + NC / NR;
/**
 * Staging capacity. The memory never grows: growing detaches the old buffer, and the first
 * detach in a process makes V8 deoptimize all typed-array code and check every later access.
 * Untouched pages cost no RSS; larger offset matrices are gathered by JavaScript in place.
 */
const STAGING_FLOATS = 1 << 22;
/** The tensor arena after the staging area (arena.ts): 192 Mi floats, 768 MiB of address space. */
const ARENA = STAGING + STAGING_FLOATS;
/** Floats of one thread's workspace (each worker thread has its own, see parallel.ts). */
export const WORKSPACE_FLOATS = ARENA - A_BLOCK;

/**
 * The module with the largest arena the engine grants: 192 Mi floats (768 MiB of address space,
 * only touched pages cost memory), else smaller, down to none (a browser on a small device may
 * refuse a large memory: tensors then live in ordinary arrays and kernels stage them).
 */
function createWithArena(): { kernels: SimdKernels | undefined; arenaFloats: number } {
  if (given) return { kernels: createSimdKernels(given.memory), arenaFloats: 0 };
  for (const arenaFloats of [192 << 20, 48 << 20, 12 << 20, 0]) {
    try {
      return { kernels: createSimdKernels(createKernelMemory((ARENA + arenaFloats) * 4, true)), arenaFloats };
    } catch {
      // out of memory for this size: try the next
    }
  }
  return { kernels: undefined, arenaFloats: 0 };
}

const { kernels: simd, arenaFloats: ARENA_FLOATS } = createWithArena();
/** The whole module memory as floats (the arena included), or the workspace alone without SIMD. */
const work = simd ? new Float32Array(simd.memory.buffer) : new Float32Array(STAGING);
const workInt = new Int32Array(work.buffer, 0, STAGING);
/** The kernel memory's buffer object (see simdBuffer). */
const memoryBuffer: ArrayBufferLike | undefined = simd ? work.buffer : undefined;

/** The SIMD module while it is in use; undefined runs the JavaScript kernel and packers. */
let active: SimdKernels | undefined = simd;

export type GemmKernel = "wasm-simd" | "js";

/** The block kernel in use: "wasm-simd" when the engine has WebAssembly SIMD, else "js". */
export function activeGemmKernel(): GemmKernel {
  return active ? "wasm-simd" : "js";
}

/** Switches the block kernel (tests and benchmarks compare the two); returns the one in use. */
export function selectGemmKernel(kernel: GemmKernel): GemmKernel {
  active = kernel === "wasm-simd" ? simd : undefined;
  return activeGemmKernel();
}

/** The SIMD module and a float view of its memory with a region that kernels may use between GEMM calls. */
export interface SimdScratch {
  kernels: SimdKernels;
  /** The module's whole memory as floats (a float index i is byte address 4·i). */
  floats: Float32Array;
  /** The free region: floats [start, start + size). */
  start: number;
  size: number;
}

/** The free part of the SIMD module's memory, or undefined when the JavaScript kernel is in use. */
export function simdScratch(): SimdScratch | undefined {
  return active ? { kernels: active, floats: work, start: STAGING, size: STAGING_FLOATS } : undefined;
}

/** The SIMD module's memory (other wasm modules import it to work on arena tensors in place), or undefined without SIMD. */
export function simdMemory(): WasmMemory | undefined {
  return simd?.memory;
}

/**
 * The kernel memory's buffer, as one object read once: every view into the memory is made from
 * it, and "is this tensor in the kernel memory" compares against it. The memory's own `buffer`
 * getter is not stable: when any shared WebAssembly.Memory in the process grows (onnxruntime-web's
 * threaded build, any Emscripten pthreads module), V8 hands every shared memory a new
 * SharedArrayBuffer object for the same bytes, and views made before and after would no longer
 * compare equal.
 */
export function simdBuffer(): ArrayBufferLike | undefined {
  return memoryBuffer;
}

/** The module memory's region reserved for the tensor arena (floats [start, start + size)), or undefined without SIMD. */
export function simdArenaRegion(): { floats: Float32Array; start: number; size: number } | undefined {
  return simd && ARENA_FLOATS > 0 ? { floats: work, start: ARENA, size: ARENA_FLOATS } : undefined;
}

/**
 * C[M×N] (row-major at `cOffset`, row stride `ldc`) = (accumulate ? C : 0) + A[M×K]·B[K×N], then
 * the epilogue. A is a strided view (transposes need no copy); B a strided view or offset matrix.
 */
export function sgemm(
  M: number,
  N: number,
  K: number,
  a: MatrixView,
  b: MatrixView | OffsetMatrix,
  c: Float32Array,
  cOffset: number,
  ldc: number,
  accumulate: boolean,
  epilogue?: GemmEpilogue,
): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    // An empty product: C (or 0) through the epilogue, chunk by chunk.
    work.fill(0, C_CHUNK, C_CHUNK + MC * CW);
    for (let ic = 0; ic < M; ic += MC) {
      for (let jc = 0; jc < N; jc += CW) storeChunk(Math.min(MC, M - ic), Math.min(CW, N - jc), c, cOffset, ldc, ic, jc, accumulate, epilogue);
    }
    return;
  }
  // A row vector times a constant matrix (a classifier head at batch 1, a MatMul by weights): B
  // would be packed again on every call, with A filling one row of each register tile. As
  // Cᵀ = Bᵀ·Aᵀ the constant is the left operand, packed once, and the product is a matrix-vector
  // one. C's row is Cᵀ's column (row stride 1); a per-column bias becomes a per-row one.
  if (M === 1 && N > 1 && !("rowOffsets" in b) && isImmutable(b.data) && !epilogue?.residual && epilogue?.biasPerRow !== true) {
    const bT: MatrixView = { data: b.data, offset: b.offset, rowStride: b.colStride, colStride: b.rowStride };
    const aT: MatrixView = { data: a.data, offset: a.offset, rowStride: a.colStride, colStride: a.rowStride };
    sgemm(N, 1, K, bT, aT, c, cOffset, 1, accumulate, epilogue?.bias ? { ...epilogue, biasPerRow: true } : epilogue);
    return;
  }
  // Equal depth blocks, so that a K a little over KC does not leave a thin last block.
  const kStep = Math.ceil(K / Math.ceil(K / KC));
  // Constant weights are packed once and kept in the arena (block (pc, ic) at pc·Mp + ic·kc);
  // others are packed per call.
  const packed = active ? packedConstant(a, M, K, kStep) : undefined;
  // Large products split their columns over worker threads when a session runs with several.
  const problem: GemmProblem = { M, N, K, a, b, c, cOffset, ldc, accumulate, epilogue, packed };
  if (active && parallelGemm(problem)) return;
  sgemmColumns(problem, 0, N);
}

/** One product as sgemm received it, with A's packed panels (or undefined): what its column ranges share. */
export interface GemmProblem {
  M: number;
  N: number;
  K: number;
  a: MatrixView;
  b: MatrixView | OffsetMatrix;
  c: Float32Array;
  cOffset: number;
  ldc: number;
  accumulate: boolean;
  epilogue: GemmEpilogue | undefined;
  packed: Float32Array | undefined;
}

/**
 * sgemm's product on columns [j0, j1) of C (j0 a multiple of NR), with A packed by
 * packedConstant or not (undefined): the same result on those columns as the whole product.
 */
export function sgemmColumns(problem: GemmProblem, j0: number, j1: number): void {
  const { M, N, K, a, b, c, cOffset, ldc, accumulate, epilogue, packed } = problem;
  const kernels = active;
  if (N === 1 && kernels && !accumulate && !("rowOffsets" in b) && Math.ceil(M / MR) * MR <= MC * CW) {
    sgemv(kernels, M, K, a, b, c, cOffset, ldc, epilogue);
    return;
  }
  // With SIMD, a B whose rows are contiguous is packed like an offset matrix: staged and gathered by the module.
  const stageable = kernels && !("rowOffsets" in b) && b.colStride === 1 && (b.data.buffer === memoryBuffer || (K - 1) * b.rowStride + N <= STAGING_FLOATS);
  const bMatrix = stageable ? rowMajorAsOffsets(b, K, N) : b;
  const packB = "rowOffsets" in bMatrix ? offsetMatrixPacker(bMatrix, kernels) : (p0: number, kc: number, j0: number, nc: number) => packMatrixB(bMatrix, p0, kc, j0, nc);
  const kStep = Math.ceil(K / Math.ceil(K / KC));
  // One A block (a convolution's weights, typically) is packed once, not once per B block.
  const singleABlock = M <= MC && K <= kStep;
  const Mp = Math.ceil(M / MR) * MR;
  if (singleABlock && !packed) packA(a, 0, M, 0, K);
  // C in the arena (arena.ts): full chunks are multiplied straight into it and finished in place.
  const direct = kernels !== undefined && c.buffer === memoryBuffer && finishesInPlace(epilogue, ldc);
  const cBase = direct ? (c.byteOffset >> 2) + cOffset : 0;
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = Math.min(NC, j1 - jc);
    for (let pc = 0; pc < K; pc += kStep) {
      const kc = Math.min(kStep, K - pc);
      packB(pc, kc, jc, nc);
      const add = pc > 0 || accumulate;
      const last = pc + kc >= K;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        if (!singleABlock && !packed) packA(a, ic, mc, pc, kc);
        const aPtr = packed ? packed.byteOffset + 4 * (pc * Mp + ic * kc) : 4 * A_BLOCK;
        // Whole register tiles go straight into an arena C, many panels per call: the rows of
        // whole panels, the columns of whole panels.
        const whole = direct ? mc - (mc % MR) : 0;
        let jw = 0;
        if (whole > 0 && kernels) {
          for (let tiles; (tiles = Math.min(DIRECT_CW, nc - jw - ((nc - jw) % NR))) > 0; jw += tiles) {
            const at = cBase + ic * ldc + jc + jw;
            const bPtr = 4 * (B_BLOCK + jw * kc);
            if (last && epilogue) multiplyFinishing(kernels, whole / MR, tiles / NR, kc, aPtr, bPtr, c, at, whole, tiles, ldc, add, ic, jc + jw, epilogue);
            else kernels.multiplyBlock(whole / MR, tiles / NR, kc, aPtr, bPtr, 4 * at, 4 * ldc, add ? 1 : 0);
          }
        }
        // The rest through the C chunk: the whole panels' last columns, then the last panel's rows.
        if (whole > 0) multiplyChunks(kernels, ic, whole, aPtr, jw, nc, kc, c, cOffset, ldc, jc, add, last ? epilogue : undefined);
        if (whole < mc) multiplyChunks(kernels, ic + whole, mc - whole, aPtr + 4 * whole * kc, 0, nc, kc, c, cOffset, ldc, jc, add, last ? epilogue : undefined);
      }
    }
  }
}

/**
 * Whether the SIMD epilogue can finish a chunk of C where it lies: a bias, if any, per row, and a
 * residual, if any, in the arena with C's row stride (finishRows walks both with one stride).
 */
function finishesInPlace(e: GemmEpilogue | undefined, ldc: number): boolean {
  if (!e) return true;
  if (e.bias && !e.biasPerRow) return false;
  return !e.residual || (e.residual.buffer === memoryBuffer && (e.ldr ?? ldc) === ldc);
}

/**
 * Rows [i0, i0+mc) × columns [jc+j0, jc+nc) of C through the C chunk, CW columns at a time:
 * multiplied there from the packed A panels at aPtr (a byte address, or A_BLOCK's without SIMD)
 * and the B block, then stored with the epilogue.
 */
function multiplyChunks(
  kernels: SimdKernels | undefined, i0: number, mc: number, aPtr: number, j0: number, nc: number, kc: number,
  c: Float32Array, cOffset: number, ldc: number, jc: number, add: boolean, epilogue: GemmEpilogue | undefined,
): void {
  const panelsM = Math.ceil(mc / MR);
  for (let j = j0; j < nc; j += CW) {
    const cw = Math.min(CW, nc - j);
    if (kernels) kernels.multiplyBlock(panelsM, Math.ceil(cw / NR), kc, aPtr, 4 * (B_BLOCK + j * kc), 4 * C_CHUNK, 4 * CW, 0);
    else multiplyBlockJs(panelsM, Math.ceil(cw / NR), kc, aPtr >> 2, B_BLOCK + j * kc, C_CHUNK, CW);
    storeChunk(mc, cw, c, cOffset, ldc, i0, jc + j, add, epilogue);
  }
}

/**
 * multiplyBlock into rows [i0, i0+mc) × columns [j0, j0+cw) of C, which start at float `at` of
 * the memory, with the epilogue applied to each register tile before it is stored (one pass over
 * C); activations the module lacks follow in JavaScript.
 */
function multiplyFinishing(
  kernels: SimdKernels, panelsM: number, panelsN: number, kc: number, aPtr: number, bPtr: number,
  c: Float32Array, at: number, mc: number, cw: number, ldc: number, add: boolean, i0: number, j0: number, e: GemmEpilogue,
): void {
  const act = e.activation;
  const code = act ? simdActivationCode(act.kind) : 0;
  const bias = e.bias;
  const residual = e.residual;
  if (bias || residual || code !== 0) {
    if (bias) {
      const from = (e.biasOffset ?? 0) + i0;
      work.set(bias.subarray(from, from + mc), CHUNK_BIAS);
    } else work.fill(0, CHUNK_BIAS, CHUNK_BIAS + mc);
    work[CHUNK_PARAMS] = act?.a ?? 0;
    work[CHUNK_PARAMS + 1] = act?.b ?? 0;
    const residualAt = residual ? 4 * ((residual.byteOffset >> 2) + (e.residualOffset ?? 0) + i0 * ldc + j0) : 0;
    kernels.multiplyFinish(code ?? 0, residual !== undefined)(panelsM, panelsN, kc, aPtr, bPtr, 4 * at, 4 * ldc, add ? 1 : 0, 4 * CHUNK_BIAS, residualAt, 4 * CHUNK_PARAMS);
  } else kernels.multiplyBlock(panelsM, panelsN, kc, aPtr, bPtr, 4 * at, 4 * ldc, add ? 1 : 0);
  if (code === undefined) {
    const d0 = at - (c.byteOffset >> 2);
    for (let i = 0; i < mc; i++) applyActivation(act!, c, d0 + i * ldc, d0 + i * ldc + cw);
  }
}

/**
 * C[M×1] = A·b, then the epilogue: the matrix-vector product (a convolution over a 1×1 image, a
 * squeeze-excitation block's) on the module's vector kernel over A's packed panels, four rows per
 * f32x4, instead of register tiles seven eighths empty. The sums land in the C chunk (finished
 * there when the module can) and are copied out.
 */
function sgemv(kernels: SimdKernels, M: number, K: number, a: MatrixView, b: MatrixView, c: Float32Array, cOffset: number, ldc: number, epilogue: GemmEpilogue | undefined): void {
  let xPtr: number;
  if (b.data.buffer === memoryBuffer && b.rowStride === 1) xPtr = 4 * ((b.data.byteOffset >> 2) + b.offset);
  else {
    for (let p = 0, q = b.offset; p < K; p++, q += b.rowStride) work[STAGING + p] = b.data[q]!;
    xPtr = 4 * STAGING;
  }
  const kBlocks = Math.ceil(K / KC);
  const kStep = Math.ceil(K / kBlocks);
  const Mp = Math.ceil(M / MR) * MR;
  const packed = packedConstant(a, M, K, kStep);
  const act = epilogue?.activation;
  const bias = epilogue?.bias;
  const code = act ? simdActivationCode(act.kind) : 0;
  // The module finishes rows with a per-row bias and its own activations; the rest is done below.
  const inModule = epilogue !== undefined && code !== undefined && !epilogue.residual && (!bias || epilogue.biasPerRow === true);
  if (inModule) {
    work[CHUNK_PARAMS] = act?.a ?? 0;
    work[CHUNK_PARAMS + 1] = act?.b ?? 0;
  }
  for (let pc = 0; pc < K; pc += kStep) {
    const kc = Math.min(kStep, K - pc);
    const last = pc + kc >= K;
    for (let ic = 0; ic < M; ic += MC) {
      const mc = Math.min(MC, M - ic);
      let aPtr: number;
      if (packed) aPtr = packed.byteOffset + 4 * (pc * Mp + ic * kc);
      else {
        packA(a, ic, mc, pc, kc);
        aPtr = 4 * A_BLOCK;
      }
      const panels = Math.ceil(mc / MR);
      if (last && inModule) {
        if (bias) {
          const from = (epilogue.biasOffset ?? 0) + ic;
          work.set(bias.subarray(from, from + mc), CHUNK_BIAS);
        } else work.fill(0, CHUNK_BIAS, CHUNK_BIAS + mc);
      }
      const finish = last && inModule ? (code ?? 0) : -1;
      kernels.multiplyVector(finish)(panels, kc, aPtr, xPtr + 4 * pc, 4 * (C_CHUNK + ic), pc > 0 ? 1 : 0, 4 * CHUNK_BIAS, 4 * CHUNK_PARAMS);
    }
  }
  if (ldc === 1) c.set(work.subarray(C_CHUNK, C_CHUNK + M), cOffset);
  else for (let i = 0; i < M; i++) c[cOffset + i * ldc] = work[C_CHUNK + i]!;
  if (epilogue && !inModule) for (let i = 0; i < M; i++) finishRow(epilogue, c, cOffset + i * ldc, 1, i, 0, ldc);
}

/** The view a packed copy of a constant A matrix was packed from. */
interface PackedKey {
  offset: number;
  rowStride: number;
  colStride: number;
  M: number;
  K: number;
}

/** Packed copies of constant A matrices (arena buffers), per array (a weight array is usually packed one way). */
const packedCopies = new ConstantCopies<PackedKey>((x, y) => x.offset === y.offset && x.rowStride === y.rowStride && x.colStride === y.colStride && x.M === y.M && x.K === y.K);

/**
 * A packed into MR-row panels block by block — depth blocks of kStep, row blocks of MC; block
 * (pc, ic) at float pc·Mp + ic·kc, Mp = M rounded up to MR — in the arena, packed on first use,
 * when A's array is a graph constant (isImmutable); undefined otherwise or when the arena is full.
 */
function packedConstant(a: MatrixView, M: number, K: number, kStep: number): Float32Array | undefined {
  if (!isImmutable(a.data)) return undefined;
  const Mp = Math.ceil(M / MR) * MR;
  return packedCopies.get(a.data, { offset: a.offset, rowStride: a.rowStride, colStride: a.colStride, M, K }, Mp * K, (buf) => {
    for (let pc = 0; pc < K; pc += kStep) {
      const kc = Math.min(kStep, K - pc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packA(a, ic, mc, pc, kc);
        const size = Math.ceil(mc / MR) * MR * kc;
        buf.set(work.subarray(A_BLOCK, A_BLOCK + size), pc * Mp + ic * kc);
      }
    }
  });
}

/** Packs rows [i0, i0+mc) × depth [p0, p0+kc) of A into MR-row panels, depth-major, zero-padded. */
function packA(a: MatrixView, i0: number, mc: number, p0: number, kc: number): void {
  const { data, rowStride, colStride } = a;
  const dst = work;
  let d = A_BLOCK;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    const rowBase = a.offset + (i0 + ir) * rowStride + p0 * colStride;
    if (mr === 4 && MR === 4) {
      const r0 = rowBase, r1 = rowBase + rowStride, r2 = rowBase + 2 * rowStride, r3 = rowBase + 3 * rowStride;
      for (let p = 0, q = 0; p < kc; p++, q += colStride) {
        dst[d] = data[r0 + q]!;
        dst[d + 1] = data[r1 + q]!;
        dst[d + 2] = data[r2 + q]!;
        dst[d + 3] = data[r3 + q]!;
        d += 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < MR; i++) dst[d + i] = i < mr ? data[rowBase + i * rowStride + p * colStride]! : 0;
        d += MR;
      }
    }
  }
}

/**
 * Packs depth rows [p0, p0+kc) × columns [j0, j0+nc) of B into the B block as NR-column panels:
 * column j0 + t·NR + j, depth p0 + p goes to B_BLOCK + t·kc·NR + p·NR + j; the columns of the
 * last panel past nc are zeros.
 */
function packMatrixB(b: MatrixView, p0: number, kc: number, j0: number, nc: number): void {
  const { data, rowStride, colStride } = b;
  const dst = work;
  let d = B_BLOCK;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    let src = b.offset + p0 * rowStride + (j0 + jr) * colStride;
    if (nr === 8 && NR === 8 && colStride === 1) {
      for (let p = 0; p < kc; p++, src += rowStride) {
        dst[d] = data[src]!;
        dst[d + 1] = data[src + 1]!;
        dst[d + 2] = data[src + 2]!;
        dst[d + 3] = data[src + 3]!;
        dst[d + 4] = data[src + 4]!;
        dst[d + 5] = data[src + 5]!;
        dst[d + 6] = data[src + 6]!;
        dst[d + 7] = data[src + 7]!;
        d += 8;
      }
    } else {
      for (let p = 0; p < kc; p++, src += rowStride) {
        for (let j = 0; j < NR; j++) dst[d + j] = j < nr ? data[src + j * colStride]! : 0;
        d += NR;
      }
    }
  }
}

/**
 * The packer of an offset matrix (same layout as packMatrixB). With SIMD, the part of the data
 * the matrix reads is first copied into the staging area, and panels whose NR columns are
 * contiguous there — eight neighbouring pixels of one output row, for im2col — are gathered
 * by the module; other panels, or all of them without SIMD, element by element.
 */
function offsetMatrixPacker(b: OffsetMatrix, kernels: SimdKernels | undefined): (p0: number, kc: number, j0: number, nc: number) => void {
  const { rowOffsets, colOffsets } = b;
  const [rowLo, rowHi] = range(rowOffsets);
  const [colLo, colHi] = range(colOffsets);
  const lo = b.offset + rowLo + colLo;
  const hi = b.offset + rowHi + colHi + 1;
  if (lo < 0 || hi > b.data.length) throw new RangeError(`offset matrix reads [${lo}, ${hi}) of ${b.data.length} floats`);
  // Data in the arena is gathered where it lies; other data is staged when it fits.
  const resident = kernels !== undefined && b.data.buffer === memoryBuffer;
  const staged = resident || (kernels !== undefined && hi - lo <= STAGING_FLOATS);
  if (staged && !resident) work.set(b.data.subarray(lo, hi), STAGING);
  // Element (p, j) is src[base + rowOffsets[p] + colOffsets[j]].
  const src = staged ? work : b.data;
  const base = resident ? (b.data.byteOffset >> 2) + b.offset : staged ? STAGING + b.offset - lo : b.offset;
  const rows = workInt;
  const gather = staged ? simdGatherPanels() : undefined;
  const gatherRows = staged ? simdGatherRows() : undefined;
  const firsts = staged ? panelFirsts(colOffsets) : undefined;
  return (p0, kc, j0, nc) => {
    for (let p = 0; p < kc; p++) rows[ROW_OFFSETS + p] = base + rowOffsets[p0 + p]!;
    const dst = work;
    const panels = Math.ceil(nc / NR);
    // Panels of NR contiguous columns in one call; the others below.
    if (gather && firsts) {
      // Leading panels whose columns all follow one another (a row-major B's) go depth row by
      // depth row: every source line is read once however far apart the rows are.
      let run = 0;
      for (let t = 0; t < panels; t++) {
        const first = firsts[j0 / NR + t]!;
        rows[PANEL_FIRSTS + t] = first < 0 || (t + 1) * NR > nc ? -1 : first;
        if (run === t && first >= 0 && first === rows[PANEL_FIRSTS]! + t * NR && (t + 1) * NR <= nc) run++;
      }
      if (run > 1 && gatherRows) gatherRows(run, kc, rows[PANEL_FIRSTS]!, 4 * ROW_OFFSETS, 4 * B_BLOCK);
      else run = 0;
      if (run < panels) gather(panels - run, kc, 4 * (PANEL_FIRSTS + run), 4 * ROW_OFFSETS, 4 * (B_BLOCK + run * kc * NR));
    }
    let d = B_BLOCK;
    for (let jr = 0; jr < nc; jr += NR, d += kc * NR) {
      const j = j0 + jr;
      if (gather && rows[PANEL_FIRSTS + jr / NR]! >= 0) continue;
      if (staged && !gather && jr + NR <= nc && isRun(colOffsets, j, NR)) {
        kernels.gatherPanel(kc, 4 * colOffsets[j]!, 4 * ROW_OFFSETS, 4 * d);
        continue;
      }
      const nr = Math.min(NR, nc - jr);
      for (let p = 0; p < kc; p++) {
        const row = rows[ROW_OFFSETS + p]!;
        for (let q = 0; q < NR; q++) dst[d + p * NR + q] = q < nr ? src[row + colOffsets[j + q]!]! : 0;
      }
    }
  };
}

/** Offset tables by shape (K, N, rowStride as one number, or a string past 2^53): a model multiplies the same few shapes on every run. */
const offsetTables = new Map<number | string, { rowOffsets: Int32Array; colOffsets: Int32Array }>();

/** A K×N view with unit column stride as the equivalent offset matrix. */
function rowMajorAsOffsets(b: MatrixView, K: number, N: number): OffsetMatrix {
  const key = K < 1 << 17 && N < 1 << 18 && b.rowStride < 1 << 18 ? (K * 2 ** 18 + N) * 2 ** 18 + b.rowStride : `${K}x${N}x${b.rowStride}`;
  let tables = offsetTables.get(key);
  if (!tables) {
    const rowOffsets = new Int32Array(K);
    for (let p = 0; p < K; p++) rowOffsets[p] = p * b.rowStride;
    const colOffsets = new Int32Array(N);
    for (let j = 0; j < N; j++) colOffsets[j] = j;
    if (offsetTables.size >= 256) offsetTables.clear();
    offsetTables.set(key, (tables = { rowOffsets, colOffsets }));
  }
  return { data: b.data, offset: b.offset, ...tables };
}

/** Per table of column offsets, per panel of NR columns from column 0: its first offset if the panel's columns are consecutive, else -1. */
const panelFirstsCache = new WeakMap<Int32Array, Int32Array>();

function panelFirsts(colOffsets: Int32Array): Int32Array {
  let firsts = panelFirstsCache.get(colOffsets);
  if (!firsts) {
    firsts = new Int32Array(Math.ceil(colOffsets.length / NR));
    for (let t = 0; t < firsts.length; t++) firsts[t] = (t + 1) * NR <= colOffsets.length && isRun(colOffsets, t * NR, NR) ? colOffsets[t * NR]! : -1;
    panelFirstsCache.set(colOffsets, firsts);
  }
  return firsts;
}

/** Whether xs[j..j+n) are consecutive integers. */
function isRun(xs: Int32Array, j: number, n: number): boolean {
  for (let q = 1; q < n; q++) if (xs[j + q] !== xs[j] + q) return false;
  return true;
}

/** Ranges of offset tables already scanned (tables are cached and reused, see rowMajorAsOffsets). */
const ranges = new WeakMap<Int32Array, [number, number]>();

/** [min, max] of a non-empty list (the list must not change afterwards). */
function range(xs: Int32Array): [number, number] {
  const known = ranges.get(xs);
  if (known) return known;
  let lo = xs[0]!, hi = xs[0]!;
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const result: [number, number] = [lo, hi];
  ranges.set(xs, result);
  return result;
}

/**
 * Copies the valid mc×cw part of the C chunk to C at (i0, j0) — storing it, or adding it when
 * `add` — and, when `epilogue` is given, applies it to each row while the row is in L1.
 */
function storeChunk(mc: number, cw: number, c: Float32Array, cOffset: number, ldc: number, i0: number, j0: number, add: boolean, epilogue: GemmEpilogue | undefined): void {
  const src = work;
  if (active && !add && !(epilogue?.bias && !epilogue.biasPerRow)) {
    storeChunkSimd(active, mc, cw, c, cOffset, ldc, i0, j0, epilogue);
    return;
  }
  if (!add && epilogue?.bias && epilogue.biasPerRow && (!epilogue.activation || epilogue.activation.kind === "relu" || epilogue.activation.kind === "none")) {
    storeChunkBiasRelu(mc, cw, c, cOffset, ldc, i0, j0, epilogue);
    return;
  }
  for (let i = 0; i < mc; i++) {
    const s = C_CHUNK + i * CW;
    const d = cOffset + (i0 + i) * ldc + j0;
    if (add) for (let j = 0; j < cw; j++) c[d + j] += src[s + j]!;
    else for (let j = 0; j < cw; j++) c[d + j] = src[s + j]!;
    if (epilogue) finishRow(epilogue, c, d, cw, i0 + i, j0, ldc);
  }
}

/**
 * storeChunk with SIMD, for a stored (not accumulated) chunk whose bias, if any, is per row: the
 * module applies the epilogue to the chunk in its memory (the residual rows copied in first),
 * then each row is copied out whole; activations the module lacks follow in JavaScript.
 */
function storeChunkSimd(kernels: SimdKernels, mc: number, cw: number, c: Float32Array, cOffset: number, ldc: number, i0: number, j0: number, epilogue: GemmEpilogue | undefined): void {
  if (epilogue) {
    const act = epilogue.activation;
    const code = act ? simdActivationCode(act.kind) : 0;
    const bias = epilogue.bias;
    if (bias) {
      const from = (epilogue.biasOffset ?? 0) + i0;
      work.set(bias.subarray(from, from + mc), CHUNK_BIAS);
    } else work.fill(0, CHUNK_BIAS, CHUNK_BIAS + mc);
    const residual = epilogue.residual;
    if (residual) {
      const ldr = epilogue.ldr ?? ldc;
      for (let i = 0, r = (epilogue.residualOffset ?? 0) + i0 * ldr + j0; i < mc; i++, r += ldr) work.set(residual.subarray(r, r + cw), CHUNK_RESIDUAL + i * CW);
    }
    work[CHUNK_PARAMS] = act?.a ?? 0;
    work[CHUNK_PARAMS + 1] = act?.b ?? 0;
    kernels.finishRows(4 * C_CHUNK, mc, Math.ceil(cw / 4), 4 * CW, 4 * CHUNK_BIAS, residual ? 4 * CHUNK_RESIDUAL : 0, code ?? 0, 4 * CHUNK_PARAMS);
    if (code === undefined) {
      for (let i = 0; i < mc; i++) {
        const d = cOffset + (i0 + i) * ldc + j0;
        c.set(work.subarray(C_CHUNK + i * CW, C_CHUNK + i * CW + cw), d);
        applyActivation(act!, c, d, d + cw);
      }
      return;
    }
  }
  for (let i = 0; i < mc; i++) c.set(work.subarray(C_CHUNK + i * CW, C_CHUNK + i * CW + cw), cOffset + (i0 + i) * ldc + j0);
}

/** storeChunk's common convolution case in one pass: store, + row bias, + residual?, Relu?. */
function storeChunkBiasRelu(mc: number, cw: number, c: Float32Array, cOffset: number, ldc: number, i0: number, j0: number, e: GemmEpilogue): void {
  const src = work;
  const bias = e.bias!;
  const residual = e.residual;
  const relu = e.activation?.kind === "relu";
  for (let i = 0; i < mc; i++) {
    const s = C_CHUNK + i * CW;
    const d = cOffset + (i0 + i) * ldc + j0;
    const v = bias[(e.biasOffset ?? 0) + i0 + i]!;
    if (residual) {
      const r = (e.residualOffset ?? 0) + (i0 + i) * (e.ldr ?? ldc) + j0;
      if (relu) {
        for (let j = 0; j < cw; j++) {
          const x = src[s + j]! + v + residual[r + j]!;
          c[d + j] = x > 0 ? x : 0; // NaN → 0, as applyActivation
        }
      }
      else for (let j = 0; j < cw; j++) c[d + j] = src[s + j]! + v + residual[r + j]!;
    } else if (relu) {
      for (let j = 0; j < cw; j++) {
        const x = src[s + j]! + v;
        c[d + j] = x > 0 ? x : 0;
      }
    }
    else for (let j = 0; j < cw; j++) c[d + j] = src[s + j]! + v;
  }
}

/** The epilogue on C's row `i`, columns [j0, j0+n), stored at c[d, d+n). */
function finishRow(e: GemmEpilogue, c: Float32Array, d: number, n: number, i: number, j0: number, ldc: number): void {
  const bias = e.bias;
  if (bias) {
    const biasOffset = e.biasOffset ?? 0;
    if (e.biasPerRow) {
      const v = bias[biasOffset + i]!;
      for (let j = 0; j < n; j++) c[d + j] += v;
    } else {
      for (let j = 0, b = biasOffset + j0; j < n; j++) c[d + j] += bias[b + j]!;
    }
  }
  const residual = e.residual;
  if (residual) {
    const r = (e.residualOffset ?? 0) + i * (e.ldr ?? ldc) + j0;
    for (let j = 0; j < n; j++) c[d + j] += residual[r + j]!;
  }
  if (e.activation) applyActivation(e.activation, c, d, d + n);
}

/** The JavaScript block kernel: the SIMD one's contract in float offsets, a 4×8 tile in locals. */
function multiplyBlockJs(panelsM: number, panelsN: number, kc: number, aBlock: number, bBlock: number, cChunk: number, ldc: number): void {
  const w = work;
  for (let tn = 0; tn < panelsN; tn++) {
    const bPanel = bBlock + tn * kc * 8;
    for (let tm = 0; tm < panelsM; tm++) {
      let a = aBlock + tm * kc * 4;
      let b = bPanel;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0, c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
      for (let p = 0; p < kc; p++) {
        const a0 = w[a]!, a1 = w[a + 1]!, a2 = w[a + 2]!, a3 = w[a + 3]!;
        const b0 = w[b]!, b1 = w[b + 1]!, b2 = w[b + 2]!, b3 = w[b + 3]!, b4 = w[b + 4]!, b5 = w[b + 5]!, b6 = w[b + 6]!, b7 = w[b + 7]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
        a += 4;
        b += 8;
      }
      let r = cChunk + tm * 4 * ldc + tn * 8;
      w[r] = c00; w[r + 1] = c01; w[r + 2] = c02; w[r + 3] = c03; w[r + 4] = c04; w[r + 5] = c05; w[r + 6] = c06; w[r + 7] = c07;
      r += ldc;
      w[r] = c10; w[r + 1] = c11; w[r + 2] = c12; w[r + 3] = c13; w[r + 4] = c14; w[r + 5] = c15; w[r + 6] = c16; w[r + 7] = c17;
      r += ldc;
      w[r] = c20; w[r + 1] = c21; w[r + 2] = c22; w[r + 3] = c23; w[r + 4] = c24; w[r + 5] = c25; w[r + 6] = c26; w[r + 7] = c27;
      r += ldc;
      w[r] = c30; w[r + 1] = c31; w[r + 2] = c32; w[r + 3] = c33; w[r + 4] = c34; w[r + 5] = c35; w[r + 6] = c36; w[r + 7] = c37;
    }
  }
}

// ── ops ───────────────────────────────────────────────────────────────────────────────────

function floatInfo(inputs: readonly (ValueInfo | undefined)[], i: number, name: string): ValueInfo {
  const info = need(inputs, i, name);
  checkDType(info.dtype, ["float32"], name);
  return info;
}

function floatTensor(inputs: readonly (Tensor | undefined)[], i: number, name: string): Float32Array {
  const t = need(inputs, i, name);
  if (!(t.data instanceof Float32Array)) throw new OpError(`input ${name} has dtype ${t.dtype}, expected float32`);
  return t.data;
}

function gemmShape(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs): Dim[] | undefined {
  const a = floatInfo(inputs, 0, "A");
  const b = floatInfo(inputs, 1, "B");
  const c = inputs[2];
  if (c) checkDType(c.dtype, ["float32"], "C");
  if (!a.shape || !b.shape) return undefined;
  if (a.shape.length !== 2) throw new OpError(`input A has rank ${a.shape.length}, expected 2`);
  if (b.shape.length !== 2) throw new OpError(`input B has rank ${b.shape.length}, expected 2`);
  const [m, ka] = attrInt(attrs, "transA", 0) ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = attrInt(attrs, "transB", 0) ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  checkDimsAgree(ka, kb, `inner dimensions of A ${formatShape(a.shape)} and B ${formatShape(b.shape)} differ`);
  if (c?.shape) {
    if (c.shape.length > 2) throw new OpError(`input C has rank ${c.shape.length}, expected at most 2`);
    broadcastShapes([[m, n], c.shape], ["A·B", "C"]);
  }
  return [m, n];
}

function gemmKernel(inputs: readonly (Tensor | undefined)[], attrs: Attrs, act: Activation): Tensor {
  const aT = need(inputs, 0, "A");
  const bT = need(inputs, 1, "B");
  const a = floatTensor(inputs, 0, "A");
  const b = floatTensor(inputs, 1, "B");
  const transA = attrInt(attrs, "transA", 0) !== 0;
  const transB = attrInt(attrs, "transB", 0) !== 0;
  const alpha = attrFloat(attrs, "alpha", 1);
  const beta = attrFloat(attrs, "beta", 1);
  const [a0, a1] = aT.shape as [number, number];
  const [b0, b1] = bT.shape as [number, number];
  const M = transA ? a1 : a0;
  const K = transA ? a0 : a1;
  const N = transB ? b0 : b1;
  const out = outputF32([M, N]);
  const aView: MatrixView = transA ? { data: a, offset: 0, rowStride: 1, colStride: a1 } : { data: a, offset: 0, rowStride: a1, colStride: 1 };
  const bView: MatrixView = transB ? { data: b, offset: 0, rowStride: 1, colStride: b1 } : { data: b, offset: 0, rowStride: b1, colStride: 1 };
  const cT = inputs[2];
  const withC = cT !== undefined && beta !== 0;
  if (alpha === 1) {
    // One row with a C of one value per column: C is the epilogue's bias (sgemm's matrix-vector
    // route for a row vector finishes it in the module) instead of a start value to accumulate on.
    const bias = M === 1 && withC && beta === 1 && cT.data instanceof Float32Array && cT.data.length === N && cT.shape.length > 0 ? cT.data : undefined;
    if (bias) {
      sgemm(M, N, K, aView, bView, out.data, 0, N, false, { bias, activation: act });
      return out;
    }
    if (withC) fillBroadcast2d(out.data, M, N, cT, beta);
    sgemm(M, N, K, aView, bView, out.data, 0, N, withC, { activation: act });
    return out;
  }
  sgemm(M, N, K, aView, bView, out.data, 0, N, false);
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = alpha * o[i]!;
  if (withC) {
    const scaledC = new Float32Array(M * N);
    fillBroadcast2d(scaledC, M, N, cT, beta);
    for (let i = 0; i < o.length; i++) o[i] += scaledC[i]!;
  }
  applyActivation(act, o, 0, o.length);
  return out;
}

/** dst[M×N] = scale · C broadcast to [M, N]. */
function fillBroadcast2d(dst: Float32Array, M: number, N: number, c: Tensor, scale: number): void {
  if (!(c.data instanceof Float32Array)) throw new OpError(`input C has dtype ${c.dtype}, expected float32`);
  const s = c.shape;
  const c0 = s.length === 2 ? s[0]! : 1;
  const c1 = s.length >= 1 ? s[s.length - 1]! : 1;
  const rowStride = c0 === 1 ? 0 : c1;
  const colStride = c1 === 1 ? 0 : 1;
  const data = c.data;
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) dst[i * N + j] = scale * data[i * rowStride + j * colStride]!;
}

registerOp({
  op: "Gemm",
  domain: "",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: gemmShape(inputs, attrs) }],
  kernel: (inputs, attrs) => [gemmKernel(inputs, attrs, NO_ACTIVATION)],
});

registerOp({
  op: "FusedGemm",
  domain: "com.microsoft",
  infer: (inputs, attrs) => {
    fusedGemmActivation(attrs);
    return [{ dtype: "float32", shape: gemmShape(inputs, attrs) }];
  },
  kernel: (inputs, attrs) => [gemmKernel(inputs, attrs, fusedGemmActivation(attrs))],
});

/** numpy matmul shapes: 1-D operands are promoted and the promoted dims dropped again. */
function matmulShape(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) throw new OpError("MatMul operands must have rank at least 1");
  const aa = a.length === 1 ? [1, a[0]!] : a;
  const bb = b.length === 1 ? [b[0]!, 1] : b;
  const m = aa[aa.length - 2]!;
  const ka = aa[aa.length - 1]!;
  const kb = bb[bb.length - 2]!;
  const n = bb[bb.length - 1]!;
  checkDimsAgree(ka, kb, `inner dimensions of A ${formatShape(a)} and B ${formatShape(b)} differ`);
  const batch = broadcastShapes([aa.slice(0, -2), bb.slice(0, -2)], ["A batch", "B batch"]);
  const out = [...batch];
  if (a.length !== 1) out.push(m);
  if (b.length !== 1) out.push(n);
  return out;
}

function matmulKernel(aT: Tensor, bT: Tensor): Tensor {
  const a = aT.data as Float32Array;
  const b = bT.data as Float32Array;
  const outShape = matmulShape(aT.shape, bT.shape) as number[];
  const aa = aT.shape.length === 1 ? [1, aT.shape[0]!] : aT.shape;
  const bb = bT.shape.length === 1 ? [bT.shape[0]!, 1] : bT.shape;
  const M = aa[aa.length - 2]!;
  const K = aa[aa.length - 1]!;
  const N = bb[bb.length - 1]!;
  const out = outputF32(outShape);
  const aBatch = aa.slice(0, -2);
  const bBatch = bb.slice(0, -2);
  const batch = broadcastShapes([aBatch, bBatch]) as number[];
  const batchCount = batch.reduce((x, y) => x * y, 1);
  const bCount = bBatch.reduce((x, y) => x * y, 1);
  if (bCount === 1) {
    // B is shared by every batch: fold A's batches into its rows (one large GEMM).
    const aCount = aBatch.reduce((x, y) => x * y, 1);
    if (aCount === batchCount) {
      sgemm(aCount * M, N, K, { data: a, offset: 0, rowStride: K, colStride: 1 }, { data: b, offset: 0, rowStride: N, colStride: 1 }, out.data, 0, N, false);
      return out;
    }
  }
  const aIndex = batchIndexer(aBatch, batch);
  const bIndex = batchIndexer(bBatch, batch);
  for (let t = 0; t < batchCount; t++) {
    sgemm(
      M, N, K,
      { data: a, offset: aIndex(t) * M * K, rowStride: K, colStride: 1 },
      { data: b, offset: bIndex(t) * K * N, rowStride: N, colStride: 1 },
      out.data, t * M * N, N, false,
    );
  }
  return out;
}

/** numpy matmul as an Einsum equation (1-D operands contract without a row or column). */
function matmulEquation(aRank: number, bRank: number): string {
  matmulShape(new Array<number>(aRank).fill(1), new Array<number>(bRank).fill(1));
  const a = aRank === 1 ? "j" : "...ij";
  const b = bRank === 1 ? "j" : "...jk";
  const out = `...${aRank === 1 ? "" : "i"}${bRank === 1 ? "" : "k"}`;
  return `${a},${b}->${out}`;
}

/** Maps a flat index over the broadcast batch shape to the flat batch index of one operand. */
function batchIndexer(own: readonly number[], batch: readonly number[]): (t: number) => number {
  const rank = batch.length;
  const padded = [...new Array<number>(rank - own.length).fill(1), ...own];
  return (t) => {
    let idx = 0;
    let mul = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const size = batch[d]!;
      const coord = t % size;
      t = (t - coord) / size;
      if (padded[d] !== 1) idx += coord * mul;
      mul *= padded[d]!;
    }
    return idx;
  };
}

registerOp({
  op: "MatMul",
  domain: "",
  infer: (inputs) => {
    const a = need(inputs, 0, "A");
    const b = need(inputs, 1, "B");
    checkDType(a.dtype, NUMERIC_DTYPES, "A");
    if (a.dtype && b.dtype && a.dtype !== b.dtype) throw new OpError(`inputs A (${a.dtype}) and B (${b.dtype}) have different dtypes`);
    return [{ dtype: a.dtype, shape: a.shape && b.shape ? matmulShape(a.shape, b.shape) : undefined }];
  },
  kernel: (inputs) => {
    const a = need(inputs, 0, "A");
    const b = need(inputs, 1, "B");
    // float64 and integer products go through Einsum's general loop; float32 takes sgemm.
    if (a.dtype !== "float32") return [einsumOf(matmulEquation(a.shape.length, b.shape.length), [a, b])];
    floatTensor(inputs, 0, "A");
    floatTensor(inputs, 1, "B");
    return [matmulKernel(inputs[0]!, inputs[1]!)];
  },
});

// tfl FullyConnected: input [..., I] flattened to [M, I], filter [O, I], bias [O].
function fullyConnectedShape(inputs: readonly (ValueInfo | undefined)[], attrs: Attrs): Dim[] | undefined {
  const x = floatInfo(inputs, 0, "input");
  const w = floatInfo(inputs, 1, "filter");
  const bias = inputs[2];
  if (bias) checkDType(bias.dtype, ["float32"], "bias");
  tflActivation(attrs);
  if (!x.shape || !w.shape) return undefined;
  if (w.shape.length !== 2) throw new OpError(`input filter has rank ${w.shape.length}, expected 2`);
  if (x.shape.length === 0) throw new OpError("input input must have rank at least 1");
  const [o, i] = w.shape as [Dim, Dim];
  if (bias?.shape) {
    if (bias.shape.length !== 1) throw new OpError(`input bias has rank ${bias.shape.length}, expected 1`);
    checkDimsAgree(bias.shape[0]!, o, "bias length differs from the filter's output count");
  }
  if (attrInt(attrs, "keep_num_dims", 0)) {
    checkDimsAgree(x.shape[x.shape.length - 1]!, i, `input depth differs from the filter's ${formatShape(w.shape)}`);
    return [...x.shape.slice(0, -1), o];
  }
  const known = x.shape.every((d) => typeof d === "number") && typeof i === "number";
  if (!known) return [x.shape.length === 2 ? x.shape[0]! : derivedDim("rows", x.shape, i), o];
  const total = (x.shape as number[]).reduce((p, q) => p * q, 1);
  if (total % (i as number) !== 0) throw new OpError(`input of ${total} elements cannot be flattened to rows of ${i}`);
  return [total / (i as number), o];
}

registerOp({
  op: "FullyConnected",
  domain: "tfl",
  infer: (inputs, attrs) => [{ dtype: "float32", shape: fullyConnectedShape(inputs, attrs) }],
  kernel: (inputs, attrs) => {
    const x = floatTensor(inputs, 0, "input");
    const w = floatTensor(inputs, 1, "filter");
    const bias = inputs[2] ? floatTensor(inputs, 2, "bias") : undefined;
    const [O, I] = inputs[1]!.shape as [number, number];
    const M = x.length / I;
    const shape = attrInt(attrs, "keep_num_dims", 0) ? [...inputs[0]!.shape.slice(0, -1), O] : [M, O];
    const out = outputF32(shape);
    sgemm(M, O, I, { data: x, offset: 0, rowStride: I, colStride: 1 }, { data: w, offset: 0, rowStride: 1, colStride: I }, out.data, 0, O, false, {
      bias,
      biasPerRow: false,
      activation: tflActivation(attrs),
    });
    return [out];
  },
});
