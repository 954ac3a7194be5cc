/**
 * Arena copies derived from graph constants (packed weights), kept for as long as their source
 * array lives. Its own module, not part of arena.ts: gemm.ts builds one at load time, and arena.ts
 * and gemm.ts import each other.
 */
import { arenaRelease, arenaTake } from "./arena.js";

/**
 * Arena copies derived from graph constants (packed weights), several per source array told apart
 * by `key`; each copy's buffer goes back to the arena once its source array is collected.
 */
export class ConstantCopies<Key> {
  private readonly bySource = new WeakMap<object, { key: Key; buf: Float32Array }[]>();
  private readonly release = new FinalizationRegistry<{ buf: Float32Array }[]>((copies) => copies.forEach((c) => arenaRelease(c.buf)));

  constructor(private readonly sameKey: (a: Key, b: Key) => boolean) {}

  /** The copy of `source` made for `key`: found, or `size` floats taken from the arena and filled by `fill`; undefined when the arena is full. */
  get(source: object, key: Key, size: number, fill: (buf: Float32Array) => void): Float32Array | undefined {
    let copies = this.bySource.get(source);
    if (copies) for (const c of copies) if (this.sameKey(c.key, key)) return c.buf;
    const buf = arenaTake(size);
    if (!buf) return undefined;
    fill(buf);
    if (!copies) {
      copies = [];
      this.bySource.set(source, copies);
      this.release.register(source, copies);
    }
    copies.push({ key, buf });
    return buf;
  }
}
