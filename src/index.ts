/**
 * fusec's programmatic API: load a model (ONNX or fusec's JSON graph), optimize it with compiled
 * rule packs, execute it, save it. Re-exports the runtime API (`fusec/runtime`) for building
 * graphs and passes in code.
 */
import { readFileSync } from "node:fs";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import "./kernels/index.js";
import { loadOnnx, saveOnnx, ModelFileError } from "./onnx/index.js";
import { applyPasses, type DriverOptions, type Stats } from "./runtime/driver.js";
import type { Graph } from "./runtime/graph.js";
import { graphFromJSON, graphToJSON } from "./runtime/json.js";
import type { Pass } from "./runtime/pass.js";
import { verify } from "./runtime/verify.js";
import { foldConstants, type FoldStats } from "./runtime/fold.js";
import { writeAtomically } from "./onnx/save.js";
import { decodeTflite, encodeTflite } from "./tflite/index.js";

export * from "./runtime/api.js";
export { execute } from "./kernels/index.js";
export { applyPasses, RewriteLoopError, type DriverOptions, type Stats } from "./runtime/driver.js";
export { verify } from "./runtime/verify.js";
export { foldConstants, type FoldStats, type FoldOptions } from "./runtime/fold.js";
export { graphFromJSON, graphToJSON } from "./runtime/json.js";
export { loadOnnx, saveOnnx, decodeOnnx, encodeOnnx, ModelFileError, LoweringError, opsetsOf, onnxOpset } from "./onnx/index.js";
export { decodeTflite, encodeTflite, foldDequantize } from "./tflite/index.js";

/** The rule pack a model's format calls for when none is named: tflite for .tflite, else onnx. */
export function defaultPack(path: string): string {
  return extname(path).toLowerCase() === ".tflite" ? "tflite" : "onnx";
}

/** Reads a model by extension: `.onnx` (ONNX protobuf), `.tflite` or `.json` (fusec's graph JSON). */
export function loadGraph(path: string): Graph {
  const ext = extname(path).toLowerCase();
  if (ext === ".onnx") return loadOnnx(path);
  if (ext === ".tflite") return decodeTflite(readModelBytes(path), path);
  if (ext !== ".json") throw new ModelFileError(path, `unknown model format "${ext || "(no extension)"}" (expected .onnx, .tflite or .json)`);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ModelFileError(path, `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return graphFromJSON(text, { baseDir: dirname(path) });
  } catch (e) {
    throw new ModelFileError(path, (e as Error).message.split("\n")[0]!);
  }
}

function readModelBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ModelFileError(path, `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Writes a model by extension: `.onnx`, `.tflite` or `.json`; atomically (no partial file on failure). */
export function saveGraph(graph: Graph, path: string): void {
  const ext = extname(path).toLowerCase();
  if (ext === ".onnx") return saveOnnx(graph, path);
  if (ext === ".tflite") return writeAtomically(path, encodeTflite(graph, path));
  if (ext === ".json") return writeAtomically(path, `${JSON.stringify(graphToJSON(graph), null, 2)}\n`);
  throw new ModelFileError(path, `unknown output format "${ext || "(no extension)"}" (expected .onnx, .tflite or .json)`);
}

export interface OptimizeOptions extends Pick<DriverOptions, "onFire" | "onFail"> {
  /** The passes to apply (all together, to a fixpoint). */
  passes: Pass | readonly Pass[];
  /** Rule names not to apply (`Name` disables a whole rule family). */
  disable?: readonly string[];
  /** Run each pass to its own fixpoint, in order, instead of all together. */
  phased?: boolean;
  /** Receives one line per firing and per failed candidate. */
  trace?: (line: string) => void;
  /** Fold constants before and after the passes (default true). */
  fold?: boolean;
}

/** The driver's statistics, and what constant folding did (before the passes and after, summed). */
export type OptimizeStats = Stats & { folding?: FoldStats };

/** A graph that fails verification after optimization: a rule broke it. */
export class InvalidGraphError extends Error {
  constructor(readonly problems: readonly string[]) {
    const shown = problems.slice(0, 3).join("; ");
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    super(`the optimized graph is invalid: ${shown}${more}`);
    this.name = "InvalidGraphError";
  }
}

/** Applies the passes to `graph` in place, then verifies it; returns the driver's statistics. */
export function optimize(graph: Graph, options: OptimizeOptions): OptimizeStats {
  const nodesBefore = graph.nodes.size;
  const fold = options.fold !== false;
  const first = fold ? foldConstants(graph) : undefined;
  const stats = applyPasses(graph, options.passes, {
    ...(options.disable ? { disable: options.disable } : {}),
    ...(options.phased ? { phased: true } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    ...(options.onFire ? { onFire: options.onFire } : {}),
    ...(options.onFail ? { onFail: options.onFail } : {}),
  });
  const second = fold ? foldConstants(graph) : undefined;
  const problems = verify(graph);
  if (problems.length > 0) throw new InvalidGraphError(problems);
  const folding = first && second
    ? { folded: first.folded + second.folded, nodesRemoved: first.nodesRemoved + second.nodesRemoved, bytesBefore: first.bytesBefore, bytesAfter: second.bytesAfter }
    : undefined;
  return { ...stats, nodesBefore, nodesAfter: graph.nodes.size, ...(folding ? { folding } : {}) };
}

/** Built-in rule packs by name; anything else is a path to a compiled module. */
const BUILTIN_PACKS: Record<string, URL> = {
  onnx: new URL("../generated/onnx.ts", import.meta.url),
  tflite: new URL("../generated/tflite.ts", import.meta.url),
};

/** A pass that cannot be loaded; the message says which and why. */
export class PassLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PassLoadError";
  }
}

/** Loads a compiled rule pack: `onnx`, `tflite`, or a path to a module exporting `pass`. */
export async function loadPass(spec: string): Promise<Pass> {
  const url = BUILTIN_PACKS[spec] ?? pathToFileURL(isAbsolute(spec) ? spec : resolve(spec));
  let mod: { pass?: unknown };
  try {
    mod = (await import(url.href)) as { pass?: unknown };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ERR_MODULE_NOT_FOUND" ? "module not found" : (e as Error).message.split("\n")[0];
    throw new PassLoadError(`cannot load pass "${spec}": ${why}`);
  }
  const pass = mod.pass as Partial<Pass> | undefined;
  if (!pass || typeof pass.apply !== "function" || !Array.isArray(pass.rules) || typeof pass.name !== "string") {
    throw new PassLoadError(`cannot load pass "${spec}": the module does not export a compiled \`pass\``);
  }
  return pass as Pass;
}
