/**
 * Reading a file that a model refers to (a JSON graph's `{"file": "w.npy"}`), confined and
 * bounded: the path resolves (symbolic links followed) inside the model's folder or a folder
 * the user names, only a regular file is read (not `/dev/zero`, a FIFO or a folder), and its size
 * is checked against the limit and the size the caller expects before a byte is read.
 * Node-only.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";

export interface ConfinedReadOptions {
  /** Folders the file may be in (the model's folder first). */
  roots: readonly string[];
  /** Largest size read, in bytes. */
  maxBytes: number;
  /** Checks the size before reading; returns why it is wrong, if it is. */
  checkSize?: (size: number) => string | undefined;
}

/** Thrown with a message that names the file and the reason; callers add the field. */
export class ConfinedReadError extends Error {}

export function readConfined(file: string, options: ConfinedReadOptions): Uint8Array {
  const roots = options.roots.map((r) => realOrResolved(r));
  const wanted = resolve(options.roots[0] ?? ".", file);
  // A missing file throws the system's error (ENOENT …), for the caller to word.
  const real = realpathSync(wanted);
  if (!roots.some((root) => inside(real, root))) {
    throw new ConfinedReadError(
      `"${file}" is outside the model's folder ${roots[0] ?? ""}; data files must be inside it (or name their folder with --data-dir)`,
    );
  }
  // Stat before opening: opening a FIFO for reading would block until something writes to it.
  if (!statSync(real).isFile()) throw new ConfinedReadError(`"${file}" is not a regular file`);
  let fd: number;
  try {
    fd = openSync(real, "r");
  } catch (e) {
    throw new ConfinedReadError(`cannot read "${file}": ${(e as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ConfinedReadError(`"${file}" is not a regular file`);
    if (stat.size > options.maxBytes) {
      throw new ConfinedReadError(`"${file}" has ${stat.size} bytes, more than the limit of ${options.maxBytes} (raise it with --max-model-bytes)`);
    }
    const wrong = options.checkSize?.(stat.size);
    if (wrong) throw new ConfinedReadError(`"${file}": ${wrong}`);
    const bytes = new Uint8Array(stat.size);
    let at = 0;
    while (at < bytes.length) {
      const n = readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) break;
      at += n;
    }
    if (at !== bytes.length) throw new ConfinedReadError(`"${file}" changed while it was read`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel.split(sep)[0] !== ".." && !isAbsolute(rel));
}

/** Reads a model file the user named: a regular file of at most `maxBytes` (no folder confinement). */
export function readModelFile(path: string, maxBytes: number): Uint8Array {
  return readConfined(resolve(path), { roots: [dirname(resolve(path))], maxBytes });
}
