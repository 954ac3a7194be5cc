/** File reading and atomic writing for the Node layer; errors are `ModelFileError`s naming the file. */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ModelFileError } from "../onnx/meta.js";

/** The bytes of `path`, or a `ModelFileError` saying why they cannot be read. */
export function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ModelFileError(path, `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Writes `bytes` to a temporary file next to `path`, then renames it over `path`. */
export function writeAtomically(path: string, bytes: Uint8Array | string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
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
  }
}
