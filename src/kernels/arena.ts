/**
 * The tensor arena: float32 buffers that live in the SIMD module's memory, so that kernels read
 * their inputs and write their outputs where the module computes (a GEMM stores its result tiles
 * straight into the output tensor, a convolution gathers its panels straight from the input
 * image) instead of copying through staging areas.
 *
 * Buffers are 16-byte aligned, followed by a few floats of slack (see SLACK), carved from the region gemm.ts reserves after its workspace, and
 * recycled by exact length: a released buffer goes on its length's free list and the next request
 * of that length takes it back. A graph run repeatedly therefore reaches a steady state after its
 * first run, with no allocation. When the region is exhausted `take` returns undefined and the
 * caller allocates an ordinary array (kernels accept both; arena buffers are only faster).
 * The memory never grows (see gemm.ts), so arena views are never detached.
 */
import { simdArenaRegion } from "./gemm.js";

/**
 * Floats after every buffer that belong to it: SIMD kernels that write whole vectors may spill
 * up to three lanes past a buffer's end into them (their contents are unspecified).
 */
const SLACK = 4;

type Region = NonNullable<ReturnType<typeof simdArenaRegion>>;

/** The region, looked up on first use (gemm.ts, which reserves it, imports this module). */
let region: Region | undefined | null = null;
const free = new Map<number, Float32Array[]>();
/** Every buffer take() has created (views into them are not in it). */
const handedOut = new WeakSet<Float32Array>();
/** The next unallocated float of the region. */
let top = 0;

function arenaRegion(): Region | undefined {
  if (region === null) {
    region = simdArenaRegion();
    top = region?.start ?? 0;
  }
  return region;
}

/** A float32 buffer of exactly `n` elements in the SIMD module's memory, or undefined. */
export function arenaTake(n: number): Float32Array | undefined {
  const region = arenaRegion();
  if (!region || n <= 0) return undefined;
  const list = free.get(n);
  const reused = list?.pop();
  if (reused) return reused;
  const start = top;
  const end = start + ((n + SLACK + 3) & ~3);
  if (end > region.start + region.size) return undefined;
  top = end;
  const buf = new Float32Array(region.floats.buffer, 4 * start, n);
  handedOut.add(buf);
  return buf;
}

/** Gives an arena buffer back for reuse; its contents may be overwritten from now on. */
export function arenaRelease(buf: Float32Array): void {
  const list = free.get(buf.length);
  if (list) list.push(buf);
  else free.set(buf.length, [buf]);
}

/**
 * Floats a kernel may overwrite past the end of `data`: the slack of an arena buffer that take()
 * handed out (a view that ends early has none), else 0.
 */
export function arenaSlack(data: Float32Array): number {
  return handedOut.has(data) ? SLACK : 0;
}

/** Whether `data` is a view into the SIMD module's memory (an arena buffer or part of one). */
export function inArena(data: ArrayBufferView): boolean {
  const region = arenaRegion();
  return region !== undefined && data.buffer === region.floats.buffer;
}

/** Floats the arena has handed out so far (its high-water mark), for diagnostics. */
export function arenaUsed(): number {
  const region = arenaRegion();
  return region ? top - region.start : 0;
}

/**
 * Arrays the executor holds as graph constants (weights). Their contents are taken not to change
 * while a graph that holds them is alive, so kernels may cache derived forms of them (the GEMM
 * keeps weights packed into its panel layout).
 */
const immutable = new WeakSet<object>();

export function markImmutable(data: ArrayBufferView): void {
  immutable.add(data);
}

export function isImmutable(data: ArrayBufferView): boolean {
  return immutable.has(data);
}
