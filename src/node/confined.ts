/**
 * Reading a data file a model refers to (a JSON graph's `{"file": "w.npy"}`), confined and
 * bounded: the path must resolve (symbolic links followed) inside the model's folder, only a
 * regular file is read (not /dev/zero, a FIFO or a folder), and at most `MAX_DATA_FILE_BYTES`.
 */
import { readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";

/** Largest data file read (4 GiB). */
export const MAX_DATA_FILE_BYTES = 4 * 1024 ** 3;

/**
 * `checkSize` sees the file's size before a byte is read and returns a message when it is wrong
 * (a JSON graph's declared dtype and shape say how large a data file must be).
 */
export function readConfined(file: string, root: string, checkSize?: (bytes: number) => string | undefined): Uint8Array {
  const base = realpathSync(resolve(root));
  const real = realpathSync(resolve(root, file));
  const rel = relative(base, real);
  if (rel.split(sep)[0] === ".." || isAbsolute(rel)) throw new Error(`"${file}" is outside the model's folder; data files must be inside it`);
  const stat = statSync(real);
  if (!stat.isFile()) throw new Error(`"${file}" is not a regular file`);
  if (stat.size > MAX_DATA_FILE_BYTES) throw new Error(`"${file}" has ${stat.size} bytes, more than the limit of ${MAX_DATA_FILE_BYTES}`);
  const wrong = checkSize?.(stat.size);
  if (wrong) throw new Error(wrong);
  return readFileSync(real);
}
