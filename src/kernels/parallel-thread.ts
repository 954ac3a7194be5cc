/**
 * What every thread of a parallel session shares (parallel.ts runs the pool): the tasks kernels
 * split over threads, the control block's layout in the shared kernel memory, and the loop that
 * takes a task's chunks — run by the worker threads and by the main thread alike.
 *
 * A task is split into chunks whose bounds depend on the problem alone, never on which thread
 * runs them, so the result does not depend on the thread count or on timing. Threads take chunks
 * with a compare-and-swap on one word, the ticket: (generation << 16) | next chunk. The main
 * thread writes a task's arguments, then publishes it by storing the ticket of a new generation;
 * a thread that takes chunk k of generation g has read the arguments while the ticket said (g, k),
 * that is before the task was complete, so before the main thread could overwrite them for the
 * next one. Idle workers sleep in Atomics.wait on the ticket.
 *
 * This module imports nothing, so that a worker can install its memory before the kernels load.
 */
import type { WasmMemory } from "./simd.js";

/** A kernel's parallel task: decodes its arguments once per task per thread, then runs chunks. */
export interface ParallelTask<T = unknown> {
  decode(args: Int32Array, floats: Float64Array): T;
  run(decoded: T, chunk: number): void;
}

const tasks = new Map<number, ParallelTask>();

/** Registers the task with id `kind` (every thread registers the same ones when it loads the kernels). */
export function registerTask<T>(kind: number, task: ParallelTask<T>): void {
  tasks.set(kind, task as ParallelTask);
}

export function taskOf(kind: number): ParallelTask | undefined {
  return tasks.get(kind);
}

// ── the control block (int32 slots) ───────────────────────────────────────────────────────

export const TICKET = 0;
/** Chunks finished in the current task. */
export const DONE = 1;
export const CHUNKS = 2;
export const KIND = 3;
/** Workers that may take part in the current task (the session's threads − 1). */
export const LIMIT = 4;
/** Set to 1: workers leave their loop. */
export const STOP = 5;
/** Workers that have loaded the kernels and wait for tasks. */
export const READY = 6;
/** 0, or 1 when a chunk failed (its message follows at MESSAGE). */
export const FAILED = 7;
/** Workers not asleep in Atomics.wait (spinning or working): small tasks go to them only. */
export const AWAKE = 8;
/** Per worker: chunks it has run (diagnostics and tests). */
export const WORKER_CHUNKS = 16;
export const MAX_WORKERS = 32;
/** A task's int32 arguments. */
export const ARGS = WORKER_CHUNKS + MAX_WORKERS;
export const ARG_COUNT = 64;
/** A task's float64 arguments (8-byte aligned: the block itself is 16-byte aligned). */
export const FLOAT_ARGS = ARGS + ARG_COUNT;
export const FLOAT_ARG_COUNT = 8;
/** A failed chunk's message, one UTF-16 unit per slot, 0-terminated. */
export const MESSAGE = FLOAT_ARGS + 2 * FLOAT_ARG_COUNT;
const MESSAGE_LENGTH = 256;
export const CONTROL_INTS = MESSAGE + MESSAGE_LENGTH;

/** What a worker thread is given: the shared memory, its workspace and the control block (float/int32 indices). */
export interface WorkerInit {
  memory: WasmMemory;
  /** This worker's index (0-based). */
  index: number;
  /** The first float of its GEMM workspace (gemm.ts WORKSPACE_FLOATS long). */
  workspace: number;
  /** The first int32 of the control block. */
  control: number;
}

let installed: { memory: WasmMemory; start: number } | undefined;

/** In a worker thread: the shared memory and where this thread's workspace starts (gemm.ts reads it when it loads). */
export function threadWorkspace(): { memory: WasmMemory; start: number } | undefined {
  return installed;
}

export function installWorkspace(memory: WasmMemory, start: number): void {
  installed = { memory, start };
}

/** Views of the control block. */
export interface Control {
  ints: Int32Array;
  args: Int32Array;
  floats: Float64Array;
}

export function controlViews(memory: WasmMemory, control: number): Control {
  const buffer = memory.buffer;
  return {
    ints: new Int32Array(buffer, 4 * control, CONTROL_INTS),
    args: new Int32Array(buffer, 4 * (control + ARGS), ARG_COUNT),
    floats: new Float64Array(buffer, 4 * (control + FLOAT_ARGS), FLOAT_ARG_COUNT),
  };
}

/**
 * Takes and runs chunks of the published task until none is left (or the ticket moves on to
 * another generation); returns the ticket it last saw. `worker` is the worker's index (-1: the
 * main thread, which always takes part and lets errors propagate after its chunk is counted).
 */
export function takeChunks(control: Control, worker: number): number {
  const c = control.ints;
  let decoded: unknown;
  let decodedFor = -1;
  for (;;) {
    const ticket = Atomics.load(c, TICKET);
    const next = ticket & 0xffff;
    if (next >= c[CHUNKS]! || (worker >= 0 && worker >= c[LIMIT]!)) return ticket;
    const task = tasks.get(c[KIND]!);
    // Decoding reads the arguments: before the swap, while the ticket still names this task.
    // (Arguments read for a generation that ended meanwhile are never used: the swap fails.)
    const generation = ticket >>> 16;
    let failure: unknown;
    if (decodedFor !== generation && task) {
      try {
        decoded = task.decode(control.args, control.floats);
        decodedFor = generation;
      } catch (e) {
        failure = e;
      }
    }
    if (Atomics.compareExchange(c, TICKET, ticket, ticket + 1) !== ticket) continue;
    try {
      if (failure !== undefined) throw failure;
      if (!task) throw new Error(`no parallel task ${c[KIND]} is registered on this thread`);
      task.run(decoded, next);
    } catch (e) {
      if (worker < 0) {
        Atomics.add(c, DONE, 1);
        throw e;
      }
      fail(c, e);
    }
    if (worker >= 0) Atomics.add(c, WORKER_CHUNKS + worker, 1);
    Atomics.add(c, DONE, 1);
    Atomics.notify(c, DONE);
  }
}

/** Records a worker's failure (the first one's message is kept). */
function fail(c: Int32Array, e: unknown): void {
  if (Atomics.compareExchange(c, FAILED, 0, 1) !== 0) return;
  const text = e instanceof Error ? e.message : String(e);
  const n = Math.min(text.length, MESSAGE_LENGTH - 1);
  for (let i = 0; i < n; i++) c[MESSAGE + i] = text.charCodeAt(i);
  c[MESSAGE + n] = 0;
}

/** The failure message recorded by fail(). */
export function failureMessage(c: Int32Array): string {
  let s = "";
  for (let i = MESSAGE; i < MESSAGE + MESSAGE_LENGTH && c[i] !== 0; i++) s += String.fromCharCode(c[i]!);
  return s;
}

/** Milliseconds a worker spins before sleeping: during a run, the next task follows within microseconds. */
const SPIN_MS = 1;

/**
 * A worker's life: take chunks of each published task, sleep while there are none, until STOP.
 * The kernels must be loaded (their tasks registered) before it is called.
 */
export function workerLoop(init: WorkerInit): void {
  const control = controlViews(init.memory, init.control);
  const c = control.ints;
  Atomics.add(c, AWAKE, 1);
  Atomics.add(c, READY, 1);
  Atomics.notify(c, READY);
  while (Atomics.load(c, STOP) === 0) {
    const seen = takeChunks(control, init.index);
    const until = performance.now() + SPIN_MS;
    let spins = 0;
    while (Atomics.load(c, TICKET) === seen && Atomics.load(c, STOP) === 0 && ((++spins & 63) !== 0 || performance.now() < until));
    if (Atomics.load(c, TICKET) !== seen) continue;
    Atomics.sub(c, AWAKE, 1);
    Atomics.wait(c, TICKET, seen);
    Atomics.add(c, AWAKE, 1);
  }
}
