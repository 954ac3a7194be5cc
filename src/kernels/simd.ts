/**
 * The GEMM's inner loops as a WebAssembly SIMD (f32x4) module, emitted byte by byte here (no
 * toolchain, no binary blob): `multiplyBlock` multiplies packed panels of A and B into a block
 * of C that lives in the module's memory, and `gatherPanel` packs one B panel whose NR columns
 * are contiguous in the source (im2col of a padded image). The GEMM driver (gemm.ts) packs the
 * operands into that memory, calls the block function, and copies C out through its epilogue.
 *
 * The block function, for a register tile of MR rows × NR = 4·NRV columns:
 *
 *     for each B panel (kc × NR floats, depth-major)            — stays in L1
 *       for each A panel (kc × MR floats, depth-major)          — the A block stays in L2
 *         acc[MR][NRV] = 0                                        (f32x4 locals)
 *         for p in 0..kc:
 *           b[v] = v128.load(B + p·NR + 4v)
 *           acc[r][v] += splat(A[p·MR + r]) · b[v]
 *         store acc to C (row stride ldc)
 *
 * kc and both panel counts must be positive. The tile shape was measured in V8 (Node 20) on an
 * AVX-512 Zen core, block in L2: 4×8 with no depth unrolling runs at ~50 GFLOP/s; 6×8, 4×12,
 * 3×16 and 8×4, or unrolling the depth loop by 2 or 4, all ran at 28–40 (register spills and
 * longer loop bodies). Returns undefined when the engine lacks WebAssembly SIMD; the caller then
 * falls back to its JavaScript micro-kernel.
 */

/** Register tile height (rows of A broadcast per step). */
export const SIMD_MR = 4;
/** Register tile width in floats (two f32x4 vectors). */
export const SIMD_NR = 8;

const NRV = SIMD_NR / 4;
const PAGE = 65536;

/** The part of the WebAssembly JavaScript API used here (the project's `lib` does not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/**
 * A WebAssembly.Memory. It is created at its full size and never grown: growing detaches the old
 * buffer, and the first detach in a process makes V8 deoptimize typed-array code everywhere.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** The instantiated module: its memory and its two functions (all addresses in bytes). */
export interface SimdKernels {
  memory: WasmMemory;
  /** C[panelsM·MR × panelsN·NR] (row stride ldcBytes) = packed A panels · packed B panels. */
  multiplyBlock(panelsM: number, panelsN: number, kc: number, aPtr: number, bPtr: number, cPtr: number, ldcBytes: number): void;
  /** For p < kc, q < NR: dst[p·NR + q] = src[offsets[p] + q] (f32 elements; offsets are i32 element counts). */
  gatherPanel(kc: number, srcPtr: number, offsetsPtr: number, dstPtr: number): void;
}

/** Compiles and instantiates the module with at least `bytes` of memory, or undefined without SIMD. */
export function createSimdKernels(bytes: number): SimdKernels | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  const binary = kernelModule(Math.ceil(bytes / PAGE));
  if (!wasm || !wasm.validate(binary)) return undefined;
  const instance = new wasm.Instance(new wasm.Module(binary), {});
  const memory = instance.exports.memory as WasmMemory;
  return {
    memory,
    multiplyBlock: instance.exports.multiplyBlock as SimdKernels["multiplyBlock"],
    gatherPanel: instance.exports.gatherPanel as SimdKernels["gatherPanel"],
  };
}

// ── binary encoding ───────────────────────────────────────────────────────────────────────

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

const I32 = 0x7f;
const V128 = 0x7b;

/** The instructions the block function uses, by name. */
const op = {
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  i32: (value: number) => [0x41, ...sleb(value)],
  i32Load: [0x28, 2, 0],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  /** memarg: log2 alignment, then a constant byte offset added to the address. */
  v128Load: (offset: number) => [0xfd, ...uleb(0), 4, ...uleb(offset)],
  v128Load32Splat: (offset: number) => [0xfd, ...uleb(9), 2, ...uleb(offset)],
  v128Store: (offset: number) => [0xfd, ...uleb(11), 4, ...uleb(offset)],
  v128Zero: [0xfd, ...uleb(12), ...new Array<number>(16).fill(0)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
};

/** local += constant-or-local expression */
function addTo(local: number, amount: number[]): number[] {
  return [...op.get(local), ...amount, ...op.i32Add, ...op.set(local)];
}

function blockFunctionBody(): number[] {
  // parameters
  const panelsM = 0, panelsN = 1, kc = 2, aPtr = 3, bPtr = 4, cPtr = 5, ldc = 6;
  // i32 locals
  const nLeft = 7, mLeft = 8, k = 9, a = 10, b = 11, bPanel = 12, aPanel = 13, cTile = 14, cColumn = 15, cRow = 16;
  const aPanelBytes = 17, bPanelBytes = 18, cTileStep = 19;
  const i32Locals = 13;
  // v128 locals
  const firstV128 = 7 + i32Locals;
  const acc = (r: number, v: number) => firstV128 + r * NRV + v;
  const bVec = (v: number) => firstV128 + SIMD_MR * NRV + v;
  const aVec = firstV128 + SIMD_MR * NRV + NRV;
  const v128Locals = SIMD_MR * NRV + NRV + 1;

  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };

  emit(op.get(kc), op.i32(SIMD_MR * 4), op.i32Mul, op.set(aPanelBytes));
  emit(op.get(kc), op.i32(SIMD_NR * 4), op.i32Mul, op.set(bPanelBytes));
  emit(op.get(ldc), op.i32(SIMD_MR), op.i32Mul, op.set(cTileStep));
  emit(op.get(bPtr), op.set(bPanel), op.get(cPtr), op.set(cColumn), op.get(panelsN), op.set(nLeft));

  emit(op.loop); // over B panels
  emit(op.get(aPtr), op.set(aPanel), op.get(cColumn), op.set(cTile), op.get(panelsM), op.set(mLeft));
  emit(op.loop); // over A panels
  for (let r = 0; r < SIMD_MR; r++) for (let v = 0; v < NRV; v++) emit(op.v128Zero, op.set(acc(r, v)));
  emit(op.get(aPanel), op.set(a), op.get(bPanel), op.set(b), op.get(kc), op.set(k));

  emit(op.loop); // over depth
  for (let v = 0; v < NRV; v++) emit(op.get(b), op.v128Load(16 * v), op.set(bVec(v)));
  for (let r = 0; r < SIMD_MR; r++) {
    emit(op.get(a), op.v128Load32Splat(4 * r), op.set(aVec));
    for (let v = 0; v < NRV; v++) {
      emit(op.get(acc(r, v)), op.get(aVec), op.get(bVec(v)), op.f32x4Mul, op.f32x4Add, op.set(acc(r, v)));
    }
  }
  emit(addTo(a, op.i32(SIMD_MR * 4)), addTo(b, op.i32(SIMD_NR * 4)));
  emit(op.get(k), op.i32(1), op.i32Sub, op.tee(k), op.brIf(0)); // continue while k ≠ 0
  emit(op.end);

  emit(op.get(cTile), op.set(cRow));
  for (let r = 0; r < SIMD_MR; r++) {
    if (r > 0) emit(addTo(cRow, op.get(ldc)));
    for (let v = 0; v < NRV; v++) emit(op.get(cRow), op.get(acc(r, v)), op.v128Store(16 * v));
  }
  emit(addTo(aPanel, op.get(aPanelBytes)), addTo(cTile, op.get(cTileStep)));
  emit(op.get(mLeft), op.i32(1), op.i32Sub, op.tee(mLeft), op.brIf(0));
  emit(op.end);

  emit(addTo(bPanel, op.get(bPanelBytes)), addTo(cColumn, op.i32(SIMD_NR * 4)));
  emit(op.get(nLeft), op.i32(1), op.i32Sub, op.tee(nLeft), op.brIf(0));
  emit(op.end);
  emit(op.end);

  return functionBody([[i32Locals, I32], [v128Locals, V128]], code);
}

function gatherFunctionBody(): number[] {
  const kc = 0, src = 1, offsets = 2, dst = 3; // parameters
  const address = 4; // i32 local
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  emit(op.loop);
  emit(op.get(src), op.get(offsets), op.i32Load, op.i32(2), op.i32Shl, op.i32Add, op.set(address));
  for (let v = 0; v < NRV; v++) emit(op.get(dst), op.get(address), op.v128Load(16 * v), op.v128Store(16 * v));
  emit(addTo(dst, op.i32(SIMD_NR * 4)), addTo(offsets, op.i32(4)));
  emit(op.get(kc), op.i32(1), op.i32Sub, op.tee(kc), op.brIf(0));
  emit(op.end);
  emit(op.end);
  return functionBody([[1, I32]], code);
}

/** A code-section entry: its size, local declarations (count, type), then the code. */
function functionBody(locals: [number, number][], code: number[]): number[] {
  const body = [...vec(locals.map(([count, type]) => [...uleb(count), type])), ...code];
  return [...uleb(body.length), ...body];
}

/** The module binary, with a memory of `pages` 64 KiB pages. */
function kernelModule(pages: number): Uint8Array {
  const i32Params = (n: number) => [0x60, ...vec(new Array<number[]>(n).fill([I32])), ...vec([])];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vec([i32Params(7), i32Params(4)])), // types
    ...section(3, vec([uleb(0), uleb(1)])), // function 0 has type 0, function 1 type 1
    ...section(5, vec([[0x00, ...uleb(pages)]])), // one memory: min pages, no max
    ...section(7, vec([[...name("memory"), 0x02, ...uleb(0)], [...name("multiplyBlock"), 0x00, ...uleb(0)], [...name("gatherPanel"), 0x00, ...uleb(1)]])),
    ...section(10, vec([blockFunctionBody(), gatherFunctionBody()])),
  ];
  return new Uint8Array(bytes);
}
