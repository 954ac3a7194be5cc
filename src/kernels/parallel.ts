/**
 * Worker threads for the executor's heavy kernels, off by default: `prepare(graph, { threads: 2 })`.
 *
 * The kernel memory (gemm.ts) is a shared WebAssembly.Memory wherever the engine allows it, so
 * the tensors a session computes — the arena (arena.ts) — are visible to every thread. A pool of
 * worker threads instantiates the same kernel modules on that memory, each with a GEMM workspace
 * of its own carved from the arena, and waits for tasks (parallel-thread.ts). A kernel with
 * enough work (parallel-gemm.ts: GEMM, and so convolution, split by output columns) publishes a
 * task, takes chunks of it itself, and waits until the workers have finished theirs; small ops
 * never leave the main thread. Chunk bounds depend on the problem alone, so results are the same
 * bits as on one thread.
 *
 * The pool is shared by the sessions that use threads (sized for the one that asks for most) and
 * stopped when the last of them is closed (`session.close()`). Workers never keep a process alive.
 * Starting a worker is platform specific: browsers get module Web Workers here; Node registers
 * node:worker_threads from src/node/threads.ts (imported by the `fusec` entry point). Without
 * SharedArrayBuffer (a browser page that is not cross-origin isolated), without a way to start
 * workers, or without the SIMD kernels, a session falls back to one thread and says why.
 */
import type { Activation, ActivationKind } from "./activation.js";
import { arenaRelease, arenaTake } from "./arena.js";
import { simdBuffer, simdMemory, WORKSPACE_FLOATS } from "./gemm.js";
import {
  AWAKE,
  CHUNKS,
  CONTROL_INTS,
  controlViews,
  DONE,
  FAILED,
  failureMessage,
  KIND,
  LIMIT,
  MAX_WORKERS,
  READY,
  STOP,
  takeChunks,
  TICKET,
  WORKER_CHUNKS,
  type Control,
  type WorkerInit,
} from "./parallel-thread.js";
import { isSharedMemory, type WasmMemory } from "./simd.js";

export type { WorkerInit } from "./parallel-thread.js";

/** A started worker thread. */
export interface WorkerHandle {
  terminate(): void;
}

/**
 * Starts a worker thread that calls parallel-worker.ts's runWorker(init); `onError` is called if
 * it fails to start or dies. It must not keep the process alive by itself.
 */
export type WorkerSpawner = (init: WorkerInit, onError: (error: unknown) => void) => WorkerHandle;

let spawner: WorkerSpawner | undefined;

/** Sets how worker threads are started on this platform (src/node/threads.ts does for Node). */
export function setWorkerSpawner(s: WorkerSpawner | undefined): void {
  spawner = s;
}

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: string, listener: (event: unknown) => void): void;
}
declare const Worker: (new (url: URL, options: { type: "module"; name?: string }) => WebWorker) | undefined;

/** Module Web Workers (browsers), or undefined where there are none. */
function webSpawner(): WorkerSpawner | undefined {
  if (typeof Worker === "undefined") return undefined;
  return (init, onError) => {
    // Literal `new Worker(new URL(…, import.meta.url))`, the form bundlers recognize.
    const worker = new Worker(new URL("./parallel-web-worker.js", import.meta.url), { type: "module", name: `fusec kernels ${init.index}` });
    worker.addEventListener("error", onError);
    worker.postMessage(init);
    return worker;
  };
}

/** Threads a session may ask for. */
export const MAX_THREADS = MAX_WORKERS + 1;
/** Floats of the region where a task stages operands that are not in the kernel memory. */
const STAGING_FLOATS = 1 << 20;

interface Pool {
  memory: WasmMemory;
  control: Control;
  staging: Float32Array;
  workers: { handle: WorkerHandle; workspace: Float32Array }[];
  users: number;
  /** Why the pool can no longer be used (a worker stopped responding), if so. */
  broken?: string;
  /** Workers that failed to start or died. */
  failed: number;
}

let pool: Pool | undefined;
let generation = 0;
/** Threads of the session running now (1: none running, or one thread). */
let running = 1;

/** What a session got: its thread count, why it got fewer than it asked for, and how to give them back. */
export interface ThreadLease {
  readonly threads: number;
  /** Set when the session asked for more threads than it got. */
  readonly note?: string;
  /** Resolves once the workers have loaded the kernels (until then, the main thread does their share). */
  ready(): Promise<void>;
  release(): void;
}

const single = (note?: string): ThreadLease => ({ threads: 1, note, ready: () => Promise.resolve(), release: () => {} });

/**
 * Threads for a session: `threads` − 1 workers from the shared pool (started if needed), or one
 * thread with a note saying why when the platform cannot share memory or start workers.
 */
export function acquireThreads(threads: number): ThreadLease {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
  }
  if (threads === 1) return single();
  const reason = unavailable();
  if (reason) return single(`running on 1 thread instead of ${threads}: ${reason}`);
  const p = (pool ??= newPool());
  while (p.workers.length < threads - 1) {
    const workspace = arenaTake(WORKSPACE_FLOATS);
    if (!workspace) break;
    const index = p.workers.length;
    const init: WorkerInit = { memory: p.memory, index, workspace: workspace.byteOffset >> 2, control: p.control.ints.byteOffset >> 2 };
    const handle = (spawner ?? webSpawner())!(init, () => void p.failed++);
    p.workers.push({ handle, workspace });
  }
  p.users++;
  const got = Math.min(threads, p.workers.length + 1);
  let released = false;
  return {
    threads: got,
    note: got < threads ? `running on ${got} threads instead of ${threads}: no room in the kernel memory for more workspaces` : undefined,
    ready: () => whenReady(p, got - 1),
    release() {
      if (released) return;
      released = true;
      if (--p.users === 0) stopPool(p);
    },
  };
}

function unavailable(): string | undefined {
  const memory = simdMemory();
  if (!memory) return "this engine has no WebAssembly SIMD, which the parallel kernels run on";
  if (!isSharedMemory(memory)) {
    return "SharedArrayBuffer is unavailable (a browser page must be cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)";
  }
  if (!spawner && typeof Worker === "undefined") return "no way to start worker threads here (in Node, import `fusec`, which registers node:worker_threads)";
  if (pool?.broken) return pool.broken;
  return undefined;
}

function newPool(): Pool {
  const memory = simdMemory()!;
  // The control block is never reused for anything else: a worker still starting sees STOP in it.
  const block = arenaTake(CONTROL_INTS);
  const staging = arenaTake(STAGING_FLOATS);
  if (!block || !staging) throw new Error("no room in the kernel memory for the thread pool");
  block.fill(0);
  return { memory, control: controlViews(memory, block.byteOffset >> 2), staging, workers: [], users: 0, failed: 0 };
}

function stopPool(p: Pool): void {
  const c = p.control.ints;
  Atomics.store(c, STOP, 1);
  Atomics.notify(c, TICKET);
  for (const w of p.workers) {
    w.handle.terminate();
    arenaRelease(w.workspace);
  }
  arenaRelease(p.staging);
  if (pool === p) pool = undefined;
}

function whenReady(p: Pool, workers: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (Atomics.load(p.control.ints, READY) + p.failed >= workers || Atomics.load(p.control.ints, STOP) !== 0) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
}

/** Runs `body` with `threads` threads available to the kernels (a session's run). */
export function withThreads<T>(threads: number, body: () => T): T {
  const previous = running;
  running = pool && !pool.broken ? threads : 1;
  // Wake the workers now: by the first large enough kernel they are spinning, ready for tasks.
  if (running > 1) Atomics.notify(pool!.control.ints, TICKET);
  try {
    return body();
  } finally {
    running = previous;
  }
}

/** Threads the kernels may use now (1 outside a parallel session's run). */
export function parallelThreads(): number {
  return running;
}

/** Tasks from this many multiply-adds on wake sleeping workers; smaller ones go to awake workers only. */
const WAKE_MACS = 1 << 22;

/**
 * Whether a kernel should split `macs` multiply-adds over the session's threads: at least
 * `minimum` of them, and enough to pay for waking a worker unless one is awake anyway (workers
 * spin a little after each task, so within a run the small tasks after a large one split too).
 */
export function worthSplitting(macs: number, minimum: number): boolean {
  if (running <= 1 || macs < minimum) return false;
  return macs >= WAKE_MACS || Atomics.load(pool!.control.ints, AWAKE) > 0;
}

/** Chunks each worker has run since its pool started (tests check that workers took part). */
export function workerChunks(): number[] {
  const p = pool;
  return p ? p.workers.map((_, i) => Atomics.load(p.control.ints, WORKER_CHUNKS + i)) : [];
}

/**
 * A task's staging: operands outside the kernel memory (constant biases, offset tables) are copied
 * into the pool's staging region so that workers can read them.
 */
export interface Staging {
  /** The float index of `data` in the kernel memory (copied there if it is elsewhere), or -1 when it does not fit. */
  place(data: Float32Array | Int32Array): number;
}

export function beginStaging(): Staging {
  const p = pool!;
  const base = p.staging.byteOffset >> 2;
  let used = 0;
  return {
    place(data) {
      if (data.buffer === simdBuffer()) return data.byteOffset >> 2;
      const n = data.length;
      if (used + n > STAGING_FLOATS) return -1;
      const at = used;
      used += (n + 3) & ~3;
      if (data instanceof Float32Array) p.staging.set(data, at);
      else new Int32Array(p.staging.buffer, p.staging.byteOffset, STAGING_FLOATS).set(data, at);
      return base + at;
    },
  };
}

/** Spins before sleeping while waiting for workers' chunks. */
const SPINS = 4000;
/** A worker whose chunk makes no progress for this long is taken to be lost. */
const STALL_MS = 60_000;

/** Whether this thread may block in Atomics.wait (a browser's main thread may not). */
let mayBlock: boolean | undefined;

/**
 * Runs task `kind` in `chunks` chunks over the session's threads: `write` fills in its arguments,
 * the main thread takes chunks like the workers, then waits for all of them. A chunk's error is
 * rethrown here.
 */
export function runTask(kind: number, chunks: number, write: (args: Int32Array, floats: Float64Array) => void): void {
  const p = pool!;
  const c = p.control.ints;
  write(p.control.args, p.control.floats);
  c[CHUNKS] = chunks;
  c[KIND] = kind;
  c[LIMIT] = running - 1;
  c[FAILED] = 0;
  Atomics.store(c, DONE, 0);
  generation = (generation + 1) & 0x7fff;
  Atomics.store(c, TICKET, generation << 16);
  Atomics.notify(c, TICKET);
  let error: unknown;
  try {
    takeChunks(p.control, -1);
  } catch (e) {
    error = e;
    cancelRest(c, chunks);
  }
  waitDone(p, chunks);
  if (error !== undefined) throw error;
  if (c[FAILED]) throw new Error(`in a worker thread: ${failureMessage(c)}`);
}

/** Takes every chunk nobody has taken yet, counting them done (after the main thread's chunk failed). */
function cancelRest(c: Int32Array, chunks: number): void {
  for (;;) {
    const ticket = Atomics.load(c, TICKET);
    const next = ticket & 0xffff;
    if (next >= chunks) return;
    if (Atomics.compareExchange(c, TICKET, ticket, ticket - next + chunks) === ticket) {
      Atomics.add(c, DONE, chunks - next);
      return;
    }
  }
}

function waitDone(p: Pool, chunks: number): void {
  const c = p.control.ints;
  let spins = 0;
  let last = -1;
  let since = 0;
  for (;;) {
    const done = Atomics.load(c, DONE);
    if (done >= chunks) return;
    if (spins++ < SPINS) continue;
    if (done !== last) {
      last = done;
      since = Date.now();
    } else if (Date.now() - since > STALL_MS) {
      p.broken = "a worker thread stopped responding";
      throw new Error(`${p.broken} (no progress for ${STALL_MS / 1000} s)`);
    }
    if (mayBlock === undefined) {
      try {
        Atomics.wait(c, DONE, -1, 0);
        mayBlock = true;
      } catch {
        mayBlock = false;
      }
    }
    if (mayBlock) Atomics.wait(c, DONE, done, 50);
  }
}

// ── task arguments ────────────────────────────────────────────────────────────────────────

/** A float32 view of the kernel memory (float index `ptr`), as a task's decoder rebuilds its operands; empty for ptr < 0. */
export function memoryFloats(ptr: number, length: number): Float32Array {
  return ptr < 0 ? new Float32Array(0) : new Float32Array(simdBuffer()!, 4 * ptr, length);
}

export function memoryInts(ptr: number, length: number): Int32Array {
  return new Int32Array(simdBuffer()!, 4 * ptr, length);
}

const ACTIVATIONS: readonly ActivationKind[] = ["none", "relu", "clip", "leaky_relu", "sigmoid", "tanh", "hard_sigmoid", "hard_swish"];

/** Writes an activation (or none: -1) as args[at] and floats[0], floats[1]. */
export function writeActivation(args: Int32Array, at: number, floats: Float64Array, act: Activation | undefined): void {
  args[at] = act ? ACTIVATIONS.indexOf(act.kind) : -1;
  floats[0] = act?.a ?? 0;
  floats[1] = act?.b ?? 0;
}

export function readActivation(args: Int32Array, at: number, floats: Float64Array): Activation | undefined {
  const code = args[at]!;
  return code >= 0 ? { kind: ACTIVATIONS[code]!, a: floats[0]!, b: floats[1]! } : undefined;
}
