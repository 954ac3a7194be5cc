/**
 * The executor's hot loops as a WebAssembly SIMD (f32x4) module, emitted byte by byte here (no
 * toolchain, no binary blob): `multiplyBlock` multiplies packed panels of A and B into a block
 * of C that lives in the module's memory, and its finishing variants (one per activation, with
 * and without a residual) apply the epilogue — row bias, residual, activation — to each register
 * tile before storing it; `multiplyVector` is the matrix-vector product on the same packed A
 * panels (N = 1); `gatherPanel` packs one B panel whose NR columns are contiguous in the source
 * (im2col of a padded image, or a row-major B); `finishRows` applies an epilogue in place; and
 * per kernel size, horizontal stride and activation, a depthwise plane function convolves a
 * zero-padded plane (two output rows per pass when the strides agree) and a channel loop runs it
 * over every channel. The GEMM driver (gemm.ts) packs the operands into that memory and calls
 * the block functions; the depthwise kernel (depthwise.ts) stages planes in its free region.
 *
 * Clamps (clip, hard sigmoid, hard swish) use f32x4.pmin/pmax, one x86 instruction each, with
 * the operands ordered so that a NaN passes through; f32x4.min/max, which order NaN and ±0 as
 * IEEE does, compile to sequences several times as long.
 *
 * The block function, for a register tile of MR rows × NR = 4·NRV columns:
 *
 *     for each B panel (kc × NR floats, depth-major)            — stays in L1
 *       for each A panel (kc × MR floats, depth-major)          — the A block stays in L2
 *         acc[MR][NRV] = accumulate ? C tile : 0                  (f32x4 locals)
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
export interface WasmApi {
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

/**
 * A depthwise (single-channel) 2-D correlation of one zero-padded plane, for one kernel size and
 * horizontal stride S: out[oh·outW + ow] = bias + Σ w[kh·K + kw] · in[oh·inStep + kh·inRow + ow·S + kw]
 * (inStep: the vertical stride times the row length), with the
 * K·K weights at wPtr and the bias right after them. Output columns go four at a time, the output
 * rows contiguous: the last vector of a row spills up to three lanes into the next row (which
 * overwrites them) and, after the last row, past the plane; the input reads as far past each
 * row's last window. The caller leaves room for both.
 */
export type DepthwisePlane = (inPtr: number, inRowBytes: number, inStepBytes: number, wPtr: number, outPtr: number, outH: number, outW: number) => void;

/** multiplyBlock's parameters, then biasPtr, residualPtr (residual variants), paramsPtr (see SimdKernels.multiplyFinish). */
export type MultiplyFinish = (
  panelsM: number, panelsN: number, kc: number, aPtr: number, bPtr: number, cPtr: number, ldcBytes: number, accumulate: number,
  biasPtr: number, residualPtr: number, paramsPtr: number,
) => void;

/** See SimdKernels.multiplyVector. */
export type MultiplyVector = (panelsM: number, kc: number, aPtr: number, xPtr: number, outPtr: number, accumulate: number, biasPtr: number, paramsPtr: number) => void;

/**
 * A depthwise convolution's channel loop, `channels` times: copy `rows` rows of colBytes bytes
 * from src (row stride srcRowBytes) to padTo (row stride pwBytes) inside the zero-padded plane at
 * padded, then plane(padded, pwBytes, inStepBytes, wPtr, outPtr, outH, outW); then src +=
 * srcPlaneBytes, wPtr += filterBytes, outPtr += outPlaneBytes. Output planes are contiguous, so
 * each plane's spill lands in the next one before it is computed.
 */
export type DepthwiseChannels = (
  src: number, srcRowBytes: number, srcPlaneBytes: number, rows: number, colBytes: number, padTo: number, padded: number,
  pwBytes: number, inStepBytes: number, wPtr: number, filterBytes: number, outPtr: number, outPlaneBytes: number, outH: number, outW: number, channels: number,
) => void;

/** Activations the module applies itself (others are left to JavaScript), with their codes. */
export const SIMD_ACTIVATIONS = ["none", "relu", "clip", "hard_sigmoid", "hard_swish"] as const;
export type SimdActivation = (typeof SIMD_ACTIVATIONS)[number];

/** The module's code for an activation kind, or undefined when JavaScript must apply it. */
export function simdActivationCode(kind: string): number | undefined {
  const code = (SIMD_ACTIVATIONS as readonly string[]).indexOf(kind);
  return code < 0 ? undefined : code;
}

/** Kernel sizes and horizontal strides that have a depthwise plane function. */
export const DEPTHWISE_KERNELS = [3, 5] as const;
export const DEPTHWISE_STRIDES = [1, 2] as const;

/** The instantiated module: its memory and its functions (all addresses in bytes). */
export interface SimdKernels {
  memory: WasmMemory;
  /**
   * C[panelsM·MR × panelsN·NR] (row stride ldcBytes) = (accumulate ≠ 0 ? C : 0) + packed A panels ·
   * packed B panels.
   */
  multiplyBlock(panelsM: number, panelsN: number, kc: number, aPtr: number, bPtr: number, cPtr: number, ldcBytes: number, accumulate: number): void;
  /**
   * multiplyBlock that finishes each register tile before storing it: + the row's bias (one
   * float per row of C at biasPtr), + the residual (laid out like C, same row stride, at
   * residualPtr; only in the residual variants), then the activation with code `activation`
   * (parameters a, b as two floats at paramsPtr, as finishRows). One pass over C instead of two.
   */
  multiplyFinish(activation: number, residual: boolean): MultiplyFinish;
  /**
   * A matrix-vector product on packed A panels: for each of panelsM panels (kc × MR floats,
   * depth-major, as multiplyBlock reads them), out[MR rows] = (accumulate ≠ 0 ? out : 0) + Σ_p
   * A[p][r]·x[p], x being kc contiguous floats at xPtr; out is contiguous (MR floats per panel).
   * With activation code ≥ 0 the rows are finished before the store: + bias (one float per row at
   * biasPtr), then the activation (parameters at paramsPtr); -1 stores the raw sums.
   */
  multiplyVector(activation: number): MultiplyVector;
  /** For p < kc, q < NR: dst[p·NR + q] = src[offsets[p] + q] (f32 elements; offsets are i32 element counts). */
  gatherPanel(kc: number, srcPtr: number, offsetsPtr: number, dstPtr: number): void;
  /**
   * The depthwise plane function for a K×K kernel with horizontal stride S that applies the
   * activation with code `activation` (default none) before storing, if the module has one. The
   * activation's parameters a, b are the two floats after the bias.
   */
  depthwisePlane(kernel: number, stride: number, activation?: number): DepthwisePlane | undefined;
  /** The channel loop around a depthwise plane function (same kernel, stride and activation), if the module has one. */
  depthwiseChannels(kernel: number, stride: number, activation?: number): DepthwiseChannels | undefined;
  /**
   * In place over `rows` rows of `vectors` f32x4 each, at dataPtr with row stride rowStrideBytes:
   * + the row's bias (one float per row at biasPtr), + residual (laid out like the data, at
   * residualPtr, unless it is 0), then the activation with code `activation` (its index in
   * SIMD_ACTIVATIONS) and parameters a, b read as two floats at paramsPtr (clip: min, max; hard
   * sigmoid: alpha, beta). rows and vectors must be positive.
   */
  finishRows(dataPtr: number, rows: number, vectors: number, rowStrideBytes: number, biasPtr: number, residualPtr: number, activation: number, paramsPtr: number): void;
}

/**
 * A memory for the module of at least `bytes`, created at its full size: shared (its buffer a
 * SharedArrayBuffer, so that worker threads can run the same kernels on it, see parallel.ts) when
 * `shared` is set and the engine allows it (a browser page needs cross-origin isolation), else
 * ordinary. Throws when the engine refuses a memory that large.
 */
export function createKernelMemory(bytes: number, shared: boolean): WasmMemory {
  const wasm = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory } }).WebAssembly;
  if (!wasm) throw new Error("this engine has no WebAssembly");
  const pages = Math.ceil(bytes / PAGE);
  if (shared && sharedMemoryAvailable()) return new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  return new wasm.Memory({ initial: pages });
}

/** Whether the engine can share memory with worker threads (SharedArrayBuffer, cross-origin isolation in a browser). */
export function sharedMemoryAvailable(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  return typeof g.SharedArrayBuffer === "function" && g.crossOriginIsolated !== false;
}

/** Whether `memory` is shared (its buffer a SharedArrayBuffer). */
export function isSharedMemory(memory: WasmMemory): boolean {
  const g = globalThis as { SharedArrayBuffer?: new (n: number) => unknown };
  return typeof g.SharedArrayBuffer === "function" && memory.buffer instanceof g.SharedArrayBuffer;
}

/** Compiles and instantiates the module on `memory`, or undefined without SIMD. */
export function createSimdKernels(memory: WasmMemory): SimdKernels | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  const binary = kernelModule(isSharedMemory(memory));
  if (!wasm || !wasm.validate(binary)) return undefined;
  const instance = new wasm.Instance(new wasm.Module(binary), { env: { memory } });
  // The variants by activation code (looked up once: kernels pick one per call).
  const vectors = [undefined, ...SIMD_ACTIVATIONS].map((kind) => instance.exports[vectorName(kind)] as MultiplyVector);
  const finishing = SIMD_ACTIVATIONS.flatMap((kind) => [false, true].map((residual) => instance.exports[finishName(kind, residual)] as MultiplyFinish));
  const planes = new Map<string, DepthwisePlane>();
  const channelLoops = new Map<string, DepthwiseChannels>();
  for (const k of DEPTHWISE_KERNELS) {
    for (const stride of DEPTHWISE_STRIDES) {
      for (const kind of SIMD_ACTIVATIONS) {
        const plane = depthwiseName(k, stride, kind);
        planes.set(plane, instance.exports[plane] as DepthwisePlane);
        channelLoops.set(plane, instance.exports[channelsName(plane)] as DepthwiseChannels);
      }
    }
  }
  return {
    memory,
    multiplyBlock: instance.exports.multiplyBlock as SimdKernels["multiplyBlock"],
    gatherPanel: instance.exports.gatherPanel as SimdKernels["gatherPanel"],
    multiplyVector: (activation) => vectors[activation + 1]!,
    multiplyFinish: (activation, residual) => finishing[2 * activation + (residual ? 1 : 0)]!,
    depthwisePlane: (kernel, stride, activation = 0) => planes.get(depthwiseName(kernel, stride, SIMD_ACTIVATIONS[activation]!)),
    depthwiseChannels: (kernel, stride, activation = 0) => channelLoops.get(depthwiseName(kernel, stride, SIMD_ACTIVATIONS[activation]!)),
    finishRows: instance.exports.finishRows as SimdKernels["finishRows"],
  };
}

function depthwiseName(kernel: number, stride: number, activation: SimdActivation): string {
  return `depthwise${kernel}x${kernel}s${stride}${activation === "none" ? "" : `_${activation}`}`;
}

function channelsName(plane: string): string {
  return `${plane}_channels`;
}

function vectorName(activation: SimdActivation | undefined): string {
  return activation ? `multiplyVector_${activation}` : "multiplyVector";
}

function finishName(activation: SimdActivation, residual: boolean): string {
  return `multiplyBlock_${activation}${residual ? "_residual" : ""}`;
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

/** i8x16.shuffle lane bytes picking floats 0, 2, 4, 6 (even) or 1, 3, 5, 7 (odd) of a ‖ b. */
const EVEN_FLOATS = [0, 2, 4, 6].flatMap((f) => [4 * f, 4 * f + 1, 4 * f + 2, 4 * f + 3]);
const ODD_FLOATS = [1, 3, 5, 7].flatMap((f) => [4 * f, 4 * f + 1, 4 * f + 2, 4 * f + 3]);

/** The instructions the block function uses, by name. */
const op = {
  loop: [0x03, 0x40],
  block: [0x02, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brTable: (targets: number[], fallback: number) => [0x0e, ...vec(targets.map(uleb)), ...uleb(fallback)],
  return: [0x0f],
  i32Eqz: [0x45],
  i32ShrU: [0x76],
  i32LtU: [0x49],
  i32GtU: [0x4b],
  i32Eq: [0x46],
  i32GeU: [0x4f],
  call: (index: number) => [0x10, ...uleb(index)],
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
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
  v128Shuffle: (lanes: number[]) => [0xfd, ...uleb(13), ...lanes],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f32x4Div: [0xfd, ...uleb(0xe7)],
  f32x4Min: [0xfd, ...uleb(0xe8)],
  f32x4Max: [0xfd, ...uleb(0xe9)],
  /** pmax(a, b) = a < b ? b : a: with a = 0, Relu that maps NaN to 0 (as applyActivation does). */
  f32x4Pmax: [0xfd, ...uleb(0xeb)],
  /** pmin(a, b) = b < a ? b : a. pmin and pmax are one instruction each on x86 (min and max, which order NaN and ±0, are many). */
  f32x4Pmin: [0xfd, ...uleb(0xea)],
  f32x4Splat: [0xfd, ...uleb(0x13)],
  f32: (value: number) => [0x43, ...new Uint8Array(new Float32Array([value]).buffer)],
};

/** local += constant-or-local expression */
function addTo(local: number, amount: number[]): number[] {
  return [...op.get(local), ...amount, ...op.i32Add, ...op.set(local)];
}

/** The v128 locals an activation uses: a scratch `x`, the parameters a and b splatted, and 1.0 splatted. */
interface ActivationLocals {
  x: number;
  pa: number;
  pb: number;
  one: number;
}

/**
 * Sets up an activation's locals once, before the loops (constants are not rebuilt per vector):
 * `loadA` and `loadB` push the splatted parameters a and b. HardSwish is HardSigmoid with
 * a = 1/6 (ONNX's alpha as a float, no division), b = 1/2, times x.
 */
function activationSetup(kind: SimdActivation, l: ActivationLocals, loadA: number[][], loadB: number[][]): number[][] {
  const splat = (value: number) => [...op.f32(value), ...op.f32x4Splat];
  switch (kind) {
    case "none":
    case "relu":
      return [];
    case "clip":
      return [...loadA, op.set(l.pa), ...loadB, op.set(l.pb)];
    case "hard_sigmoid":
      return [...loadA, op.set(l.pa), ...loadB, op.set(l.pb), splat(1), op.set(l.one)];
    case "hard_swish":
      return [splat(1 / 6), op.set(l.pa), splat(0.5), op.set(l.pb), splat(1), op.set(l.one)];
  }
}

/** The activation of the f32x4 on the stack, leaving the result there (locals set up by activationSetup). */
function activate(kind: SimdActivation, l: ActivationLocals): number[][] {
  switch (kind) {
    case "none":
      return [];
    case "relu":
      return [op.set(l.x), op.v128Zero, op.get(l.x), op.f32x4Pmax];
    // Clamps as pmax(v, lo) = v < lo ? lo : v, then pmin(v, hi) = hi < v ? hi : v: a NaN stays NaN
    // (as applyActivation), and lo > hi gives hi.
    case "clip":
      return [op.get(l.pa), op.f32x4Pmax, op.get(l.pb), op.f32x4Pmin];
    case "hard_sigmoid":
      return [op.get(l.pa), op.f32x4Mul, op.get(l.pb), op.f32x4Add, op.v128Zero, op.f32x4Pmax, op.get(l.one), op.f32x4Pmin];
    case "hard_swish":
      return [op.tee(l.x), op.get(l.pa), op.f32x4Mul, op.get(l.pb), op.f32x4Add, op.v128Zero, op.f32x4Pmax, op.get(l.one), op.f32x4Pmin, op.get(l.x), op.f32x4Mul];
  }
}

/**
 * multiplyBlock, or with `finish` one of its finishing variants (SimdKernels.multiplyFinish): the
 * tile's bias, residual and activation applied between the depth loop and the store.
 */
function blockFunctionBody(finish?: { kind: SimdActivation; residual: boolean }): number[] {
  // parameters
  const panelsM = 0, panelsN = 1, kc = 2, aPtr = 3, bPtr = 4, cPtr = 5, ldc = 6, accumulate = 7;
  const biasPtr = 8, residualPtr = 9, paramsPtr = 10;
  const params = finish ? 11 : 8;
  // i32 locals
  const nLeft = params, mLeft = params + 1, k = params + 2, a = params + 3, b = params + 4, bPanel = params + 5, aPanel = params + 6;
  const cTile = params + 7, cColumn = params + 8, cRow = params + 9, aPanelBytes = params + 10, bPanelBytes = params + 11, cTileStep = params + 12;
  const biasAt = params + 13, rColumn = params + 14, rTile = params + 15, rRow = params + 16;
  const i32Locals = finish ? 17 : 13;
  // v128 locals
  const firstV128 = params + i32Locals;
  const acc = (r: number, v: number) => firstV128 + r * NRV + v;
  const bVec = (v: number) => firstV128 + SIMD_MR * NRV + v;
  const aVec = firstV128 + SIMD_MR * NRV + NRV;
  const act: ActivationLocals = { x: aVec + 1, pa: aVec + 2, pb: aVec + 3, one: aVec + 4 };
  const v128Locals = SIMD_MR * NRV + NRV + 1 + (finish ? 4 : 0);

  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };

  emit(op.get(kc), op.i32(SIMD_MR * 4), op.i32Mul, op.set(aPanelBytes));
  emit(op.get(kc), op.i32(SIMD_NR * 4), op.i32Mul, op.set(bPanelBytes));
  emit(op.get(ldc), op.i32(SIMD_MR), op.i32Mul, op.set(cTileStep));
  emit(op.get(bPtr), op.set(bPanel), op.get(cPtr), op.set(cColumn), op.get(panelsN), op.set(nLeft));
  if (finish) {
    emit(...activationSetup(finish.kind, act, [op.get(paramsPtr), op.v128Load32Splat(0)], [op.get(paramsPtr), op.v128Load32Splat(4)]));
    if (finish.residual) emit(op.get(residualPtr), op.set(rColumn));
  }

  emit(op.loop); // over B panels
  emit(op.get(aPtr), op.set(aPanel), op.get(cColumn), op.set(cTile), op.get(panelsM), op.set(mLeft));
  if (finish) emit(op.get(biasPtr), op.set(biasAt));
  if (finish?.residual) emit(op.get(rColumn), op.set(rTile));
  emit(op.loop); // over A panels
  // acc = accumulate ? the C tile : 0
  emit(op.get(accumulate), op.if);
  emit(op.get(cTile), op.set(cRow));
  for (let r = 0; r < SIMD_MR; r++) {
    if (r > 0) emit(addTo(cRow, op.get(ldc)));
    for (let v = 0; v < NRV; v++) emit(op.get(cRow), op.v128Load(16 * v), op.set(acc(r, v)));
  }
  emit(op.else);
  for (let r = 0; r < SIMD_MR; r++) for (let v = 0; v < NRV; v++) emit(op.v128Zero, op.set(acc(r, v)));
  emit(op.end);
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
  if (finish?.residual) emit(op.get(rTile), op.set(rRow));
  for (let r = 0; r < SIMD_MR; r++) {
    if (r > 0) emit(addTo(cRow, op.get(ldc)));
    if (r > 0 && finish?.residual) emit(addTo(rRow, op.get(ldc)));
    if (finish) emit(op.get(biasAt), op.v128Load32Splat(4 * r), op.set(aVec));
    for (let v = 0; v < NRV; v++) {
      emit(op.get(cRow), op.get(acc(r, v)));
      if (finish) {
        emit(op.get(aVec), op.f32x4Add);
        if (finish.residual) emit(op.get(rRow), op.v128Load(16 * v), op.f32x4Add);
        emit(...activate(finish.kind, act));
      }
      emit(op.v128Store(16 * v));
    }
  }
  emit(addTo(aPanel, op.get(aPanelBytes)), addTo(cTile, op.get(cTileStep)));
  if (finish) emit(addTo(biasAt, op.i32(SIMD_MR * 4)));
  if (finish?.residual) emit(addTo(rTile, op.get(cTileStep)));
  emit(op.get(mLeft), op.i32(1), op.i32Sub, op.tee(mLeft), op.brIf(0));
  emit(op.end);

  emit(addTo(bPanel, op.get(bPanelBytes)), addTo(cColumn, op.i32(SIMD_NR * 4)));
  if (finish?.residual) emit(addTo(rColumn, op.i32(SIMD_NR * 4)));
  emit(op.get(nLeft), op.i32(1), op.i32Sub, op.tee(nLeft), op.brIf(0));
  emit(op.end);
  emit(op.end);

  return functionBody([[i32Locals, I32], [v128Locals, V128]], code);
}

/** multiplyVector (see SimdKernels), raw or finished with `kind`: four row sums in one f32x4, split over two accumulators. */
function vectorFunctionBody(kind: SimdActivation | undefined): number[] {
  const panelsM = 0, kc = 1, aPtr = 2, xPtr = 3, outPtr = 4, accumulate = 5, biasPtr = 6, paramsPtr = 7; // parameters
  const a = 8, xAt = 9, k = 10; // i32 locals
  const acc0 = 11, acc1 = 12; // v128 locals, then the activation's
  const act: ActivationLocals = { x: 13, pa: 14, pb: 15, one: 16 };
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  if (kind) emit(...activationSetup(kind, act, [op.get(paramsPtr), op.v128Load32Splat(0)], [op.get(paramsPtr), op.v128Load32Splat(4)]));
  emit(op.get(aPtr), op.set(a));
  emit(op.loop); // over A panels
  emit(op.get(accumulate), op.if, op.get(outPtr), op.v128Load(0), op.set(acc0), op.else, op.v128Zero, op.set(acc0), op.end);
  emit(op.v128Zero, op.set(acc1), op.get(xPtr), op.set(xAt), op.get(kc), op.set(k));
  // Two depths per step while two are left, into alternate accumulators.
  emit(op.block, op.loop);
  emit(op.get(k), op.i32(2), op.i32LtU, op.brIf(1));
  emit(op.get(acc0), op.get(a), op.v128Load(0), op.get(xAt), op.v128Load32Splat(0), op.f32x4Mul, op.f32x4Add, op.set(acc0));
  emit(op.get(acc1), op.get(a), op.v128Load(16), op.get(xAt), op.v128Load32Splat(4), op.f32x4Mul, op.f32x4Add, op.set(acc1));
  emit(addTo(a, op.i32(32)), addTo(xAt, op.i32(8)), op.get(k), op.i32(2), op.i32Sub, op.set(k), op.br(0));
  emit(op.end, op.end);
  emit(op.get(k), op.if);
  emit(op.get(acc0), op.get(a), op.v128Load(0), op.get(xAt), op.v128Load32Splat(0), op.f32x4Mul, op.f32x4Add, op.set(acc0));
  emit(addTo(a, op.i32(16)));
  emit(op.end);
  emit(op.get(outPtr), op.get(acc0), op.get(acc1), op.f32x4Add);
  if (kind) emit(op.get(biasPtr), op.v128Load(0), op.f32x4Add, ...activate(kind, act), addTo(biasPtr, op.i32(16)));
  emit(op.v128Store(0), addTo(outPtr, op.i32(16)));
  emit(op.get(panelsM), op.i32(1), op.i32Sub, op.tee(panelsM), op.brIf(0));
  emit(op.end);
  emit(op.end);
  return functionBody([[3, I32], [6, V128]], code);
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

/**
 * The depthwise plane function for a K×K kernel with stride S (see DepthwisePlane): the K² weights
 * and the bias are splatted into locals once, then each output vector sums its K² taps into two
 * accumulators (even and odd taps, to halve the dependency chain). With stride 2 a tap's four
 * inputs are every other float: two loads and an even- or odd-lane shuffle.
 */
function depthwiseFunctionBody(k: number, stride: number, kind: SimdActivation): number[] {
  const inPtr = 0, inRow = 1, inStep = 2, wPtr = 3, outPtr = 4, outH = 5, outW = 6; // parameters
  const src = 7, dst = 8, rowIn = 9, rowOut = 10, colsLeft = 11, a = 12, vectors = 13, outRowBytes = 14, pairs = 15;
  const i32Locals = 9;
  const firstV128 = 7 + i32Locals;
  const weight = (t: number) => firstV128 + t;
  const bias = firstV128 + k * k;
  // Two accumulators per output row (even and odd taps), rows r and r + 1.
  const acc = [bias + 1, bias + 2];
  const acc1 = [bias + 3, bias + 4];
  const tap = bias + 5, keep = bias + 6;
  // Stride 2: tap kw reads even (kw even) or odd lanes of the loads at float offsets 2⌊kw/2⌋ and +4.
  const loadOffsets = stride === 1 ? [] : [...new Set(Array.from({ length: k }, (_, kw) => [2 * (kw >> 1), 2 * (kw >> 1) + 4]).flat())];
  const loaded = (offset: number) => keep + 1 + loadOffsets.indexOf(offset);
  const act: ActivationLocals = { x: keep + 1 + loadOffsets.length, pa: keep + 2 + loadOffsets.length, pb: keep + 3 + loadOffsets.length, one: keep + 4 + loadOffsets.length };
  const v128Locals = k * k + 7 + loadOffsets.length + 4;

  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  /** Pushes the f32x4 of tap kw of the input row at `a` (its loads already in locals for stride 2). */
  const tapInput = (kw: number): number[][] => {
    if (stride === 1) return [op.get(a), op.v128Load(4 * kw)];
    const base = 2 * (kw >> 1);
    return [op.get(loaded(base)), op.get(loaded(base + 4)), op.v128Shuffle(kw % 2 === 0 ? EVEN_FLOATS : ODD_FLOATS)];
  };
  emit(op.get(outW), op.i32(3), op.i32Add, op.i32(2), op.i32ShrU, op.set(vectors));
  emit(op.get(outW), op.i32(2), op.i32Shl, op.set(outRowBytes));
  for (let t = 0; t <= k * k; t++) emit(op.get(wPtr), op.v128Load32Splat(4 * t), op.set(t < k * k ? weight(t) : bias));
  emit(...activationSetup(kind, act, [op.get(wPtr), op.v128Load32Splat(4 * (k * k + 1))], [op.get(wPtr), op.v128Load32Splat(4 * (k * k + 2))]));
  emit(op.get(inPtr), op.set(rowIn), op.get(outPtr), op.set(rowOut));

  // Rows in pairs when the vertical stride equals the horizontal one: input rows shared by both
  // output rows are loaded once (stride 1: k + 1 rows for two outputs instead of 2k).
  emit(op.i32(0), op.set(pairs));
  emit(op.get(inStep), op.get(inRow), op.i32(stride), op.i32Mul, op.i32Eq, op.if);
  emit(op.get(outH), op.i32(1), op.i32ShrU, op.set(pairs));
  emit(op.get(outH), op.get(pairs), op.i32(1), op.i32Shl, op.i32Sub, op.set(outH));
  emit(op.end);
  emit(op.block, op.loop); // over row pairs
  emit(op.get(pairs), op.i32Eqz, op.brIf(1));
  emit(op.get(rowIn), op.set(src), op.get(rowOut), op.set(dst), op.get(vectors), op.set(colsLeft));
  emit(op.loop); // over output vectors of the two rows
  emit(op.get(bias), op.set(acc[0]!), op.v128Zero, op.set(acc[1]!), op.get(bias), op.set(acc1[0]!), op.v128Zero, op.set(acc1[1]!), op.get(src), op.set(a));
  for (let j = 0; j < k + stride; j++) {
    if (j > 0) emit(addTo(a, op.get(inRow)));
    for (const offset of loadOffsets) emit(op.get(a), op.v128Load(4 * offset), op.set(loaded(offset)));
    for (let kw = 0; kw < k; kw++) {
      const upper = j < k; // row r: tap (j, kw)
      const lower = j - stride >= 0 && j - stride < k; // row r + 1: tap (j − stride, kw)
      emit(...tapInput(kw), op.set(tap));
      if (upper) {
        const sum = acc[(j * k + kw) % 2]!;
        emit(op.get(sum), op.get(weight(j * k + kw)), op.get(tap), op.f32x4Mul, op.f32x4Add, op.set(sum));
      }
      if (lower) {
        const t = (j - stride) * k + kw;
        const sum = acc1[t % 2]!;
        emit(op.get(sum), op.get(weight(t)), op.get(tap), op.f32x4Mul, op.f32x4Add, op.set(sum));
      }
    }
  }
  emit(op.get(dst), op.get(acc[0]!), op.get(acc[1]!), op.f32x4Add, ...activate(kind, act), op.v128Store(0));
  emit(op.get(acc1[0]!), op.get(acc1[1]!), op.f32x4Add, ...activate(kind, act), op.set(tap));
  emit(op.get(dst), op.get(outRowBytes), op.i32Add, op.get(tap), op.v128Store(0));
  // Row r's last vector may spill into row r + 1's first: its first vector is stored again after the row.
  emit(op.get(colsLeft), op.get(vectors), op.i32Eq, op.if, op.get(tap), op.set(keep), op.end);
  emit(addTo(dst, op.i32(16)), addTo(src, op.i32(16 * stride)));
  emit(op.get(colsLeft), op.i32(1), op.i32Sub, op.tee(colsLeft), op.brIf(0));
  emit(op.end);
  emit(op.get(rowOut), op.get(outRowBytes), op.i32Add, op.get(keep), op.v128Store(0));
  emit(addTo(rowIn, op.get(inStep)), addTo(rowIn, op.get(inStep)), addTo(rowOut, op.get(outRowBytes)), addTo(rowOut, op.get(outRowBytes)));
  emit(op.get(pairs), op.i32(1), op.i32Sub, op.set(pairs), op.br(0));
  emit(op.end, op.end);

  emit(op.block, op.loop); // over the remaining rows, one at a time
  emit(op.get(outH), op.i32Eqz, op.brIf(1));
  emit(op.get(rowIn), op.set(src), op.get(rowOut), op.set(dst), op.get(vectors), op.set(colsLeft));
  emit(op.loop); // over output vectors of the row
  emit(op.get(bias), op.set(acc[0]!), op.v128Zero, op.set(acc[1]!), op.get(src), op.set(a));
  for (let kh = 0; kh < k; kh++) {
    if (kh > 0) emit(addTo(a, op.get(inRow)));
    for (const offset of loadOffsets) emit(op.get(a), op.v128Load(4 * offset), op.set(loaded(offset)));
    for (let kw = 0; kw < k; kw++) {
      const t = kh * k + kw;
      const sum = acc[t % 2]!;
      emit(op.get(sum), op.get(weight(t)), ...tapInput(kw), op.f32x4Mul, op.f32x4Add, op.set(sum));
    }
  }
  emit(op.get(dst), op.get(acc[0]!), op.get(acc[1]!), op.f32x4Add, ...activate(kind, act), op.v128Store(0));
  emit(addTo(dst, op.i32(16)), addTo(src, op.i32(16 * stride)));
  emit(op.get(colsLeft), op.i32(1), op.i32Sub, op.tee(colsLeft), op.brIf(0));
  emit(op.end);
  emit(addTo(rowIn, op.get(inStep)), addTo(rowOut, op.get(outRowBytes)));
  emit(op.get(outH), op.i32(1), op.i32Sub, op.set(outH), op.br(0));
  emit(op.end, op.end);
  emit(op.end);
  return functionBody([[i32Locals, I32], [v128Locals, V128]], code);
}

/**
 * The channel loop of a depthwise convolution around one plane function (see SimdKernels.depthwiseChannels):
 * per channel, the input rows are copied into the zero-padded plane (whole vectors, then single
 * floats, so the padding is never overwritten) and the plane function is called.
 */
function channelsFunctionBody(planeIndex: number): number[] {
  const src = 0, srcRow = 1, srcPlane = 2, rows = 3, colBytes = 4, padTo = 5, padded = 6, pw = 7, inStep = 8, w = 9, filterBytes = 10;
  const out = 11, outPlane = 12, outH = 13, outW = 14, channels = 15; // parameters
  const rowFrom = 16, rowTo = 17, left = 18, at = 19; // i32 locals
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  emit(op.loop); // over channels
  emit(op.get(src), op.set(rowFrom), op.get(padTo), op.set(rowTo), op.get(rows), op.set(left));
  emit(op.block, op.loop); // over rows
  emit(op.get(left), op.i32Eqz, op.brIf(1));
  emit(op.i32(0), op.set(at));
  emit(op.block, op.loop); // whole vectors
  emit(op.get(at), op.i32(16), op.i32Add, op.get(colBytes), op.i32GtU, op.brIf(1));
  emit(op.get(rowTo), op.get(at), op.i32Add, op.get(rowFrom), op.get(at), op.i32Add, op.v128Load(0), op.v128Store(0));
  emit(addTo(at, op.i32(16)), op.br(0));
  emit(op.end, op.end);
  emit(op.block, op.loop); // single floats
  emit(op.get(at), op.get(colBytes), op.i32GeU, op.brIf(1));
  emit(op.get(rowTo), op.get(at), op.i32Add, op.get(rowFrom), op.get(at), op.i32Add, op.f32Load, op.f32Store);
  emit(addTo(at, op.i32(4)), op.br(0));
  emit(op.end, op.end);
  emit(addTo(rowFrom, op.get(srcRow)), addTo(rowTo, op.get(pw)));
  emit(op.get(left), op.i32(1), op.i32Sub, op.set(left), op.br(0));
  emit(op.end, op.end);
  emit(op.get(padded), op.get(pw), op.get(inStep), op.get(w), op.get(out), op.get(outH), op.get(outW), op.call(planeIndex));
  emit(addTo(src, op.get(srcPlane)), addTo(w, op.get(filterBytes)), addTo(out, op.get(outPlane)));
  emit(op.get(channels), op.i32(1), op.i32Sub, op.tee(channels), op.brIf(0));
  emit(op.end);
  emit(op.end);
  return functionBody([[4, I32]], code);
}

/**
 * finishRows (see SimdKernels): one loop nest per (activation, residual or not), picked once by a
 * br_table on activation·2 + (residualPtr ≠ 0).
 */
function finishFunctionBody(): number[] {
  const data = 0, rows = 1, vectors = 2, rowStride = 3, biasPtr = 4, residual = 5, activation = 6, params = 7; // parameters
  const at = 8, residualAt = 9, left = 10; // i32 locals
  const bias = 11; // v128 locals, then the activation's
  const act: ActivationLocals = { x: 12, pa: 13, pb: 14, one: 15 };
  const cases = SIMD_ACTIVATIONS.flatMap((kind) => [false, true].map((withResidual) => ({ kind, withResidual })));
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  for (let i = 0; i < cases.length; i++) emit(op.block);
  emit(op.get(activation), op.i32(1), op.i32Shl, op.get(residual), op.i32Eqz, op.i32Eqz, op.i32Add);
  emit(op.brTable(cases.map((_, i) => i), cases.length - 1));
  for (const { kind, withResidual } of cases) {
    emit(op.end);
    emit(...activationSetup(kind, act, [op.get(params), op.v128Load32Splat(0)], [op.get(params), op.v128Load32Splat(4)]));
    emit(op.loop); // over rows
    emit(op.get(biasPtr), op.v128Load32Splat(0), op.set(bias));
    emit(op.get(data), op.set(at), op.get(residual), op.set(residualAt), op.get(vectors), op.set(left));
    emit(op.loop); // over the row's vectors
    emit(op.get(at), op.get(at), op.v128Load(0), op.get(bias), op.f32x4Add);
    if (withResidual) emit(op.get(residualAt), op.v128Load(0), op.f32x4Add, addTo(residualAt, op.i32(16)));
    emit(...activate(kind, act));
    emit(op.v128Store(0), addTo(at, op.i32(16)));
    emit(op.get(left), op.i32(1), op.i32Sub, op.tee(left), op.brIf(0));
    emit(op.end);
    emit(addTo(data, op.get(rowStride)), addTo(residual, op.get(rowStride)), addTo(biasPtr, op.i32(4)));
    emit(op.get(rows), op.i32(1), op.i32Sub, op.tee(rows), op.brIf(0));
    emit(op.end);
    emit(op.return);
  }
  emit(op.end);
  return functionBody([[3, I32], [5, V128]], code);
}

/** A code-section entry: its size, local declarations (count, type), then the code. */
function functionBody(locals: [number, number][], code: number[]): number[] {
  const body = [...vec(locals.map(([count, type]) => [...uleb(count), type])), ...code];
  return [...uleb(body.length), ...body];
}

/**
 * The module binary. It imports its memory (env.memory: any size; shared, with a maximum of 4 GiB,
 * when `shared`), so that worker threads instantiate it on the same memory.
 */
function kernelModule(shared: boolean): Uint8Array {
  const i32Params = (n: number) => [0x60, ...vec(new Array<number[]>(n).fill([I32])), ...vec([])];
  // Every function takes only i32 parameters: its type is its parameter count.
  const functions: { name: string; params: number; body: number[] }[] = [
    { name: "multiplyBlock", params: 8, body: blockFunctionBody() },
    ...SIMD_ACTIVATIONS.flatMap((kind) => [false, true].map((residual) => ({ name: finishName(kind, residual), params: 11, body: blockFunctionBody({ kind, residual }) }))),
    { name: "gatherPanel", params: 4, body: gatherFunctionBody() },
    ...[undefined, ...SIMD_ACTIVATIONS].map((kind) => ({ name: vectorName(kind), params: 8, body: vectorFunctionBody(kind) })),
    { name: "finishRows", params: 8, body: finishFunctionBody() },
  ];
  for (const k of DEPTHWISE_KERNELS) {
    for (const stride of DEPTHWISE_STRIDES) {
      for (const kind of SIMD_ACTIVATIONS) {
        const plane = depthwiseName(k, stride, kind);
        functions.push({ name: plane, params: 7, body: depthwiseFunctionBody(k, stride, kind) });
        // The plane function's index is its position: the channel loop calls it.
        functions.push({ name: channelsName(plane), params: 16, body: channelsFunctionBody(functions.length - 1) });
      }
    }
  }
  const arities = [...new Set(functions.map((f) => f.params))];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vec(arities.map(i32Params))), // types
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...(shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)])]])),
    ...section(3, vec(functions.map((f) => uleb(arities.indexOf(f.params))))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => f.body))),
  ];
  return new Uint8Array(bytes);
}
