/**
 * What the fuzzer checks for one input (run inside a worker, see pool.ts):
 * - rules text: `check` never throws; every diagnostic has a real location (line ≥ 1,
 *   column ≥ 1, inside the file); a file that checks clean compiles, and the module parses as
 *   TypeScript and runs nothing on import (its top level is imports, constants of literals and
 *   function declarations);
 * - ONNX bytes and JSON graph text: decoding either succeeds or throws the format's own error
 *   class whose message names a place (no TypeError, RangeError, "Invalid typed array length").
 * An outcome that is not "ok" is a finding; its `detail` says what went wrong.
 */
import { resolve } from "node:path";
import { check, compile } from "../../src/compiler/compile.js";
import type { Diagnostic } from "../../src/compiler/diagnostics.js";
import { decodeOnnx, ModelFileError } from "../../src/onnx/index.js";
import { graphFromJSON, GraphJSONError } from "../../src/runtime/json.js";
import "../../src/kernels/index.js";
import { inertModuleProblem } from "./inert.js";

export type Target = "rules" | "onnx" | "json";

export interface Outcome {
  ok: boolean;
  /** For rules: whether it checked clean (and so was compiled). */
  clean?: boolean;
  detail?: string;
}

/** Where fuzzed rules files pretend to live, so that `import "dialects/onnx.rules"` resolves. */
export const RULES_PATH = resolve(import.meta.dirname, "../../rules/fuzz-input.rules");

export async function runTarget(target: Target, input: string | Uint8Array): Promise<Outcome> {
  try {
    if (target === "rules") return await rulesOutcome(input as string);
    if (target === "onnx") return modelOutcome(() => decodeOnnx(input as Uint8Array, "fuzz.onnx"), ModelFileError);
    return modelOutcome(() => graphFromJSON(input as string), GraphJSONError);
  } catch (e) {
    return { ok: false, detail: `internal error: ${(e as Error).stack ?? String(e)}` };
  }
}

async function rulesOutcome(source: string): Promise<Outcome> {
  const input = { path: RULES_PATH, source };
  const checked = check([input], { outDir: resolve(import.meta.dirname, "../../generated") });
  const unlocated = checked.diagnostics.find((d) => !located(d, checked.sources));
  if (unlocated) return { ok: false, detail: `unlocated diagnostic: ${JSON.stringify(unlocated)}` };
  if (checked.diagnostics.some((d) => d.severity === "error")) return { ok: true, clean: false };
  const compiled = await compile([input], { outDir: resolve(import.meta.dirname, "../../generated") });
  if (compiled.diagnostics.some((d) => d.severity === "error")) {
    return { ok: false, detail: `check was clean but compile failed: ${compiled.diagnostics.map((d) => d.message).join("; ")}` };
  }
  for (const module of compiled.modules) {
    const problem = inertModuleProblem(module.code);
    if (problem) return { ok: false, detail: `${problem}\n${module.code}` };
  }
  return { ok: true, clean: true };
}

/** A location in the file: line and column from 1, within its text. */
function located(d: Diagnostic, sources: readonly { path: string; source: string }[]): boolean {
  const spans = [d.span, ...d.related.map((r) => r.span)];
  return spans.every((s) => {
    const file = sources.find((f) => resolve(f.path) === resolve(s.file));
    const length = file ? file.source.length : Infinity;
    return (
      s.file !== "" &&
      Number.isInteger(s.start.line) &&
      Number.isInteger(s.start.column) &&
      s.start.line >= 1 &&
      s.start.column >= 1 &&
      s.start.offset >= 0 &&
      s.start.offset <= length &&
      s.end.offset >= s.start.offset
    );
  });
}

function modelOutcome(decode: () => unknown, expected: new (...args: never[]) => Error): Outcome {
  try {
    decode();
    return { ok: true, clean: true };
  } catch (e) {
    if (!(e instanceof expected)) return { ok: false, detail: `internal error: ${(e as Error).stack ?? String(e)}` };
    const message = e.message;
    if (/Invalid typed array length|Maximum call stack|\[object /.test(message)) {
      return { ok: false, detail: `unlocated or internal message: ${message}` };
    }
    return { ok: true, clean: false };
  }
}
