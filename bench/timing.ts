/**
 * Timing helpers every benchmark shares: the median, and contenders timed in interleaved rounds
 * after a warm-up, so that load from other processes and the engine's background compilation
 * hit them alike (see speed.ts for why the warm-up also lasts a minimum time).
 */

/** The median (the upper one of an even count); 0 for no values. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** One contender: runs once (awaited). */
export type Run = () => unknown;

export interface Timing {
  /** Median wall milliseconds per contender. */
  ms: number[];
  /** Median process CPU milliseconds per contender. */
  cpuMs: number[];
}

/** Most warm-up rounds a table runs while waiting for `settle` milliseconds to pass. */
const MAX_WARMUP = 1000;

/**
 * Runs the contenders in interleaved rounds; medians of the timed rounds. Warm-up lasts at least
 * `warmup` rounds and at least `settleMs` milliseconds (see speed.ts). With `gapMs`,
 * every run is followed by that long a pause, so that a thread pool that spins after its run
 * (onnxruntime's do) is asleep again before the next contender starts.
 */
export async function interleaved(runs: Run[], warmup: number, rounds: number, settleMs = 0, gapMs = 0): Promise<Timing> {
  const pause = () => (gapMs > 0 ? new Promise((resolve) => setTimeout(resolve, gapMs)) : undefined);
  const start = performance.now();
  for (let r = 0; r < warmup || (r < MAX_WARMUP && performance.now() - start < settleMs); r++) {
    for (const run of runs) {
      await run();
      await pause();
    }
  }
  const wall = runs.map((): number[] => []);
  const cpu = runs.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (let c = 0; c < runs.length; c++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await runs[c]!();
      const t1 = performance.now();
      const used = process.cpuUsage(c0);
      wall[c]!.push(t1 - t0);
      cpu[c]!.push((used.user + used.system) / 1000);
      await pause();
    }
  }
  return { ms: wall.map(median), cpuMs: cpu.map(median) };
}
