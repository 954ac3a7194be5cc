/**
 * The GEMM over threads (parallel.ts): a product large enough is split into chunks of output
 * columns — multiples of the register tile width, so that every column is computed by the same
 * instructions in the same order as on one thread — and each thread runs sgemmColumns on its
 * chunks. Every operand must be in the shared kernel memory: C and the residual are (arena
 * tensors), A is packed there (constant weights) or is read where it lies, small operands outside
 * it (biases, offset tables) are staged; otherwise the product stays on the main thread.
 */
import { NR, sgemmColumns, simdBuffer, type GemmEpilogue, type GemmProblem, type MatrixView, type OffsetMatrix } from "./gemm.js";
import { beginStaging, memoryFloats, memoryInts, parallelThreads, readActivation, runTask, worthSplitting, writeActivation } from "./parallel.js";
import { registerTask } from "./parallel-thread.js";

/** The task id every thread registers the GEMM under. */
const GEMM_TASK = 1;
/** Products below this many multiply-adds stay on one thread (waking a worker costs microseconds). */
const MIN_MACS = 1 << 19;
/** The narrowest chunk, in columns. */
const MIN_COLUMNS = 32;
/** Chunks per thread: more balance the load when other processes share the cores. */
const CHUNKS_PER_THREAD = 3;

// The int32 arguments.
const M_ = 0, N_ = 1, K_ = 2, LDC = 3, ACCUMULATE = 4, C_PTR = 5, C_LEN = 6, C_OFFSET = 7, PACKED_PTR = 8, PACKED_LEN = 9;
const A_PTR = 10, A_LEN = 11, A_OFFSET = 12, A_ROW = 13, A_COL = 14;
const B_OFFSETS = 15, B_PTR = 16, B_LEN = 17, B_OFFSET = 18, B_ROW = 19, B_COL = 20, ROWS_PTR = 21, ROWS_LEN = 22, COLS_PTR = 23, COLS_LEN = 24;
const EPILOGUE = 25, BIAS_PTR = 26, BIAS_LEN = 27, BIAS_OFFSET = 28, BIAS_PER_ROW = 29, RES_PTR = 30, RES_LEN = 31, RES_OFFSET = 32, LDR = 33, ACTIVATION = 34;
const CHUNK_COLUMNS = 35;

/**
 * Splits sgemm's product over the session's threads when it is worth it and every operand can be
 * shared; returns false (nothing done) otherwise.
 */
export function parallelGemm(problem: GemmProblem): boolean {
  const { M, N, K, a, b, c, cOffset, ldc, accumulate, epilogue, packed } = problem;
  if (N < 2 * MIN_COLUMNS || !worthSplitting(M * N * K, MIN_MACS)) return false;
  const threads = parallelThreads();
  const buffer = simdBuffer();
  if (!buffer || c.buffer !== buffer) return false;
  const width = Math.max(MIN_COLUMNS, Math.ceil(N / (threads * CHUNKS_PER_THREAD) / NR) * NR);
  const chunks = Math.ceil(N / width);
  const staging = beginStaging();
  const place = (data: Float32Array | Int32Array | undefined): number => (data ? staging.place(data) : -1);
  const aPtr = packed ? -1 : place(a.data);
  const bPtr = place(b.data);
  const tables = "rowOffsets" in b ? [place(b.rowOffsets), place(b.colOffsets)] : [0, 0];
  const biasPtr = place(epilogue?.bias);
  const residualPtr = place(epilogue?.residual);
  if ((!packed && aPtr < 0) || bPtr < 0 || tables.some((t) => t < 0)) return false;
  if ((epilogue?.bias && biasPtr < 0) || (epilogue?.residual && residualPtr < 0)) return false;
  runTask(GEMM_TASK, chunks, (args, floats) => {
    args[M_] = M;
    args[N_] = N;
    args[K_] = K;
    args[LDC] = ldc;
    args[ACCUMULATE] = accumulate ? 1 : 0;
    args[C_PTR] = c.byteOffset >> 2;
    args[C_LEN] = c.length;
    args[C_OFFSET] = cOffset;
    args[PACKED_PTR] = packed ? packed.byteOffset >> 2 : -1;
    args[PACKED_LEN] = packed ? packed.length : 0;
    args[A_PTR] = aPtr;
    args[A_LEN] = a.data.length;
    args[A_OFFSET] = a.offset;
    args[A_ROW] = a.rowStride;
    args[A_COL] = a.colStride;
    args[B_PTR] = bPtr;
    args[B_LEN] = b.data.length;
    args[B_OFFSET] = b.offset;
    if ("rowOffsets" in b) {
      args[B_OFFSETS] = 1;
      args[ROWS_PTR] = tables[0]!;
      args[ROWS_LEN] = b.rowOffsets.length;
      args[COLS_PTR] = tables[1]!;
      args[COLS_LEN] = b.colOffsets.length;
    } else {
      args[B_OFFSETS] = 0;
      args[B_ROW] = b.rowStride;
      args[B_COL] = b.colStride;
    }
    writeEpilogue(args, floats, epilogue, biasPtr, residualPtr);
    args[CHUNK_COLUMNS] = width;
  });
  return true;
}

function writeEpilogue(args: Int32Array, floats: Float64Array, e: GemmEpilogue | undefined, biasPtr: number, residualPtr: number): void {
  args[EPILOGUE] = e ? 1 : 0;
  if (!e) return;
  args[BIAS_PTR] = biasPtr;
  args[BIAS_LEN] = e.bias?.length ?? 0;
  args[BIAS_OFFSET] = e.biasOffset ?? 0;
  args[BIAS_PER_ROW] = e.biasPerRow ? 1 : 0;
  args[RES_PTR] = residualPtr;
  args[RES_LEN] = e.residual?.length ?? 0;
  args[RES_OFFSET] = e.residualOffset ?? 0;
  args[LDR] = e.ldr ?? -1;
  writeActivation(args, ACTIVATION, floats, e.activation);
}

/** A decoded GEMM task: the product as views of the shared memory, and the chunk width in columns. */
interface GemmTask extends GemmProblem {
  width: number;
}

function decodeGemm(args: Int32Array, floats: Float64Array): GemmTask {
  const f32 = memoryFloats;
  const i32 = memoryInts;
  const a: MatrixView = { data: f32(args[A_PTR]!, args[A_LEN]!), offset: args[A_OFFSET]!, rowStride: args[A_ROW]!, colStride: args[A_COL]! };
  const bData = f32(args[B_PTR]!, args[B_LEN]!);
  const b: MatrixView | OffsetMatrix = args[B_OFFSETS]
    ? { data: bData, offset: args[B_OFFSET]!, rowOffsets: i32(args[ROWS_PTR]!, args[ROWS_LEN]!), colOffsets: i32(args[COLS_PTR]!, args[COLS_LEN]!) }
    : { data: bData, offset: args[B_OFFSET]!, rowStride: args[B_ROW]!, colStride: args[B_COL]! };
  let epilogue: GemmEpilogue | undefined;
  if (args[EPILOGUE]) {
    epilogue = {
      bias: args[BIAS_PTR]! >= 0 ? f32(args[BIAS_PTR]!, args[BIAS_LEN]!) : undefined,
      biasOffset: args[BIAS_OFFSET]!,
      biasPerRow: args[BIAS_PER_ROW] === 1,
      residual: args[RES_PTR]! >= 0 ? f32(args[RES_PTR]!, args[RES_LEN]!) : undefined,
      residualOffset: args[RES_OFFSET]!,
      ldr: args[LDR]! >= 0 ? args[LDR]! : undefined,
      activation: readActivation(args, ACTIVATION, floats),
    };
  }
  return {
    M: args[M_]!,
    N: args[N_]!,
    K: args[K_]!,
    a,
    b,
    c: f32(args[C_PTR]!, args[C_LEN]!),
    cOffset: args[C_OFFSET]!,
    ldc: args[LDC]!,
    accumulate: args[ACCUMULATE] === 1,
    epilogue,
    packed: args[PACKED_PTR]! >= 0 ? f32(args[PACKED_PTR]!, args[PACKED_LEN]!) : undefined,
    width: args[CHUNK_COLUMNS]!,
  };
}

registerTask<GemmTask>(GEMM_TASK, {
  decode: decodeGemm,
  run(t, chunk) {
    const j0 = chunk * t.width;
    sgemmColumns(t, j0, Math.min(t.N, j0 + t.width));
  },
});

