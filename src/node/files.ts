/** File reading and atomic writing for the Node layer; errors are `ModelFileError`s naming the file. */
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ModelFileError } from "../onnx/meta.js";
import { modelLimits } from "../runtime/limits.js";

/**
 * The bytes of `path`, or a `ModelFileError` saying why they cannot be read. Only a regular file
 * is read (not /dev/zero or a FIFO), and only when it is no larger than `maxBytes`.
 */
export function readBytes(path: string, maxBytes: number = modelLimits().maxBytes): Uint8Array {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new ModelFileError(path, "not a regular file");
    size = stat.size;
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(path, `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (size > maxBytes) throw new ModelFileError(path, `${size} bytes, more than the limit of ${maxBytes} (raise it with --max-model-bytes)`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ModelFileError(path, `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Writes `bytes` to a temporary file next to `path`, then renames it over `path`. */
export function writeAtomically(path: string, bytes: Uint8Array | string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  pendingWrites.add(temp);
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // the temporary file was never created
    }
    throw new ModelFileError(path, `cannot write file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  } finally {
    pendingWrites.delete(temp);
  }
}

/** Temporary files of writes in progress, for a signal handler to remove. */
const pendingWrites = new Set<string>();

/** Removes the temporary files of writes in progress (on SIGINT or a closed pipe): no partial output stays. */
export function removePendingWrites(): void {
  for (const temp of pendingWrites) {
    try {
      unlinkSync(temp);
    } catch {
      // not created yet, or already renamed
    }
  }
  pendingWrites.clear();
}
