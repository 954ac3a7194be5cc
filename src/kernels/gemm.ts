/**
 * Matrix products: the cache-blocked single-precision GEMM that convolution and the matrix ops
 * run on (panels of A and B packed for the cache levels, a 4×8 register-blocked micro-kernel
 * accumulating in locals, and a fused epilogue — bias, residual, activation — applied to each
 * output block while it is hot), and the ops Gemm, MatMul, com.microsoft FusedGemm and tfl
 * FullyConnected.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import { applyActivation, fusedGemmActivation, NO_ACTIVATION, tflActivation, type Activation } from "./activation.js";
import {
  attrFloat,
  attrInt,
  broadcastShapes,
  checkDimsAgree,
  checkDType,
  formatShape,
  need,
  outputF32,
  unknownDim,
} from "./util.js";

// ── the GEMM core ─────────────────────────────────────────────────────────────────────────

/** A strided view of a float matrix: element (i, j) is `data[offset + i*rowStride + j*colStride]`. */
export interface MatrixView {
  data: Float32Array;
  offset: number;
  rowStride: number;
  colStride: number;
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

const MR = 4;
const NR = 8;
/** Rows of A per packed block (an A block, MC×KC floats, stays in L2). */
const MC = 64;
/** Depth per packed block (a B micro-panel, KC×NR floats, stays in L1). */
const KC = 256;
/** Columns of B per packed block. */
const NC = 2048;

const packedA = new Float64Array(MC * KC);
const packedB = new Float64Array(KC * NC);
const edgeTile = new Float64Array(MR * NR);

/**
 * C[M×N] (row-major at `cOffset`, row stride `ldc`) = (accumulate ? C : 0) + A[M×K]·B[K×N], then
 * the epilogue. A and B are strided views, so transposed operands need no copy.
 */
export function sgemm(
  M: number,
  N: number,
  K: number,
  a: MatrixView,
  b: MatrixView,
  c: Float32Array,
  cOffset: number,
  ldc: number,
  accumulate: boolean,
  epilogue?: GemmEpilogue,
): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) for (let i = 0; i < M; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + N);
    if (epilogue) applyEpilogue(epilogue, c, cOffset, ldc, 0, M, 0, N);
    return;
  }
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packB(b, pc, kc, jc, nc);
      const overwrite = pc === 0 && !accumulate;
      const last = pc + kc >= K;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packA(a, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            microKernel(kc, packedA, ir * kc, packedB, jr * kc, c, cOffset + (ic + ir) * ldc + jc + jr, ldc, mr, nr, overwrite);
          }
        }
        if (last && epilogue) applyEpilogue(epilogue, c, cOffset, ldc, ic, ic + mc, jc, jc + nc);
      }
    }
  }
}

/** Packs rows [i0, i0+mc) × depth [p0, p0+kc) of A into MR-row panels, depth-major, zero-padded. */
function packA(a: MatrixView, i0: number, mc: number, p0: number, kc: number): void {
  const { data, rowStride, colStride } = a;
  let dst = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    const rowBase = a.offset + (i0 + ir) * rowStride + p0 * colStride;
    if (mr === MR) {
      const r0 = rowBase, r1 = rowBase + rowStride, r2 = rowBase + 2 * rowStride, r3 = rowBase + 3 * rowStride;
      for (let p = 0, q = 0; p < kc; p++, q += colStride) {
        packedA[dst] = data[r0 + q]!;
        packedA[dst + 1] = data[r1 + q]!;
        packedA[dst + 2] = data[r2 + q]!;
        packedA[dst + 3] = data[r3 + q]!;
        dst += MR;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < MR; i++) packedA[dst + i] = i < mr ? data[rowBase + i * rowStride + p * colStride]! : 0;
        dst += MR;
      }
    }
  }
}

/** Packs depth [p0, p0+kc) × columns [j0, j0+nc) of B into NR-column panels, depth-major, zero-padded. */
function packB(b: MatrixView, p0: number, kc: number, j0: number, nc: number): void {
  const { data, rowStride, colStride } = b;
  let dst = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    let src = b.offset + p0 * rowStride + (j0 + jr) * colStride;
    if (nr === NR && colStride === 1) {
      for (let p = 0; p < kc; p++, src += rowStride) {
        for (let j = 0; j < NR; j++) packedB[dst + j] = data[src + j]!;
        dst += NR;
      }
    } else {
      for (let p = 0; p < kc; p++, src += rowStride) {
        for (let j = 0; j < NR; j++) packedB[dst + j] = j < nr ? data[src + j * colStride]! : 0;
        dst += NR;
      }
    }
  }
}

function applyEpilogue(e: GemmEpilogue, c: Float32Array, cOffset: number, ldc: number, i0: number, i1: number, j0: number, j1: number): void {
  const bias = e.bias;
  const biasOffset = e.biasOffset ?? 0;
  const residual = e.residual;
  const resOffset = e.residualOffset ?? 0;
  const ldr = e.ldr ?? ldc;
  const act = e.activation ?? NO_ACTIVATION;
  for (let i = i0; i < i1; i++) {
    const row = cOffset + i * ldc;
    if (bias) {
      if (e.biasPerRow) {
        const v = bias[biasOffset + i]!;
        for (let j = row + j0, end = row + j1; j < end; j++) c[j] += v;
      } else {
        for (let j = j0; j < j1; j++) c[row + j] += bias[biasOffset + j]!;
      }
    }
    if (residual) {
      const r = resOffset + i * ldr;
      for (let j = j0; j < j1; j++) c[row + j] += residual[r + j]!;
    }
    applyActivation(act, c, row + j0, row + j1);
  }
}

function microKernel(kc: number, pa: Float64Array, aOff: number, pb: Float64Array, bOff: number, c: Float32Array, cOff: number, ldc: number, mr: number, nr: number, overwrite: boolean): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0, c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[aOff + 0]!; const a1 = pa[aOff + 1]!; const a2 = pa[aOff + 2]!; const a3 = pa[aOff + 3]!;
    const b0 = pb[bOff + 0]!; const b1 = pb[bOff + 1]!; const b2 = pb[bOff + 2]!; const b3 = pb[bOff + 3]!; const b4 = pb[bOff + 4]!; const b5 = pb[bOff + 5]!; const b6 = pb[bOff + 6]!; const b7 = pb[bOff + 7]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
    aOff += 4;
    bOff += 8;
  }
  if (mr === 4 && nr === 8) {
    if (overwrite) {
      let r = cOff;
      c[r + 0] = c00; c[r + 1] = c01; c[r + 2] = c02; c[r + 3] = c03; c[r + 4] = c04; c[r + 5] = c05; c[r + 6] = c06; c[r + 7] = c07;
      r = cOff + 1 * ldc;
      c[r + 0] = c10; c[r + 1] = c11; c[r + 2] = c12; c[r + 3] = c13; c[r + 4] = c14; c[r + 5] = c15; c[r + 6] = c16; c[r + 7] = c17;
      r = cOff + 2 * ldc;
      c[r + 0] = c20; c[r + 1] = c21; c[r + 2] = c22; c[r + 3] = c23; c[r + 4] = c24; c[r + 5] = c25; c[r + 6] = c26; c[r + 7] = c27;
      r = cOff + 3 * ldc;
      c[r + 0] = c30; c[r + 1] = c31; c[r + 2] = c32; c[r + 3] = c33; c[r + 4] = c34; c[r + 5] = c35; c[r + 6] = c36; c[r + 7] = c37;
    } else {
      let r = cOff;
      c[r + 0] += c00; c[r + 1] += c01; c[r + 2] += c02; c[r + 3] += c03; c[r + 4] += c04; c[r + 5] += c05; c[r + 6] += c06; c[r + 7] += c07;
      r = cOff + 1 * ldc;
      c[r + 0] += c10; c[r + 1] += c11; c[r + 2] += c12; c[r + 3] += c13; c[r + 4] += c14; c[r + 5] += c15; c[r + 6] += c16; c[r + 7] += c17;
      r = cOff + 2 * ldc;
      c[r + 0] += c20; c[r + 1] += c21; c[r + 2] += c22; c[r + 3] += c23; c[r + 4] += c24; c[r + 5] += c25; c[r + 6] += c26; c[r + 7] += c27;
      r = cOff + 3 * ldc;
      c[r + 0] += c30; c[r + 1] += c31; c[r + 2] += c32; c[r + 3] += c33; c[r + 4] += c34; c[r + 5] += c35; c[r + 6] += c36; c[r + 7] += c37;
    }
    return;
  }
  const tile = edgeTile;
  tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03; tile[4] = c04; tile[5] = c05; tile[6] = c06; tile[7] = c07;
  tile[8] = c10; tile[9] = c11; tile[10] = c12; tile[11] = c13; tile[12] = c14; tile[13] = c15; tile[14] = c16; tile[15] = c17;
  tile[16] = c20; tile[17] = c21; tile[18] = c22; tile[19] = c23; tile[20] = c24; tile[21] = c25; tile[22] = c26; tile[23] = c27;
  tile[24] = c30; tile[25] = c31; tile[26] = c32; tile[27] = c33; tile[28] = c34; tile[29] = c35; tile[30] = c36; tile[31] = c37;
  for (let i = 0; i < mr; i++) {
    const r = cOff + i * ldc;
    if (overwrite) for (let j = 0; j < nr; j++) c[r + j] = tile[i * 8 + j]!;
    else for (let j = 0; j < nr; j++) c[r + j] += tile[i * 8 + j]!;
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
    const a = floatInfo(inputs, 0, "A");
    const b = floatInfo(inputs, 1, "B");
    return [{ dtype: "float32", shape: a.shape && b.shape ? matmulShape(a.shape, b.shape) : undefined }];
  },
  kernel: (inputs) => {
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
  if (!known) return [x.shape.length === 2 ? x.shape[0]! : unknownDim(), o];
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
