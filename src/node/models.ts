/**
 * Model files in Node: ONNX, TFLite and graph JSON read from and written to paths. The formats
 * themselves are bytes in, bytes out (src/onnx, src/runtime/json.ts); this module adds the file
 * system, with atomic writes (a failed save leaves no partial file).
 */
import { dirname, extname } from "node:path";
import { ModelFileError } from "../onnx/meta.js";
import { decodeOnnx } from "../onnx/load.js";
import { encodeOnnx, type SaveOptions } from "../onnx/save.js";
import { decodeTflite, encodeTflite } from "../tflite/index.js";
import type { Graph } from "../runtime/graph.js";
import { graphFromJSON as graphFromJSONWith, graphToJSON } from "../runtime/json.js";
import type { ModelLimits } from "../runtime/limits.js";
import { readConfined } from "./confined.js";
import { readBytes, writeAtomically } from "./files.js";

/** Reads and decodes an ONNX file. */
export function loadOnnx(path: string): Graph {
  return decodeOnnx(readBytes(path), path);
}

/** Writes the graph as an ONNX file at `path` (atomically). */
export function saveOnnx(graph: Graph, path: string, options: SaveOptions = {}): void {
  writeAtomically(path, encodeOnnx(graph, options));
}

/**
 * Builds a graph from its JSON form; `.npy` constant files are read relative to `baseDir`
 * (default: the working directory).
 */
export function graphFromJSON(json: unknown, options: { baseDir?: string; limits?: Partial<ModelLimits> } = {}): Graph {
  const baseDir = options.baseDir ?? process.cwd();
  return graphFromJSONWith(json, { readFile: (file, checkSize) => readConfined(file, baseDir, checkSize), limits: options.limits });
}

/** The rule pack a model's format calls for when none is named: tflite for .tflite, else onnx. */
export function defaultPack(path: string): string {
  return extname(path).toLowerCase() === ".tflite" ? "tflite" : "onnx";
}

/** Reads a model by extension: `.onnx` (ONNX protobuf), `.tflite` or `.json` (fusec's graph JSON). */
export function loadGraph(path: string): Graph {
  const ext = extname(path).toLowerCase();
  if (ext === ".onnx") return loadOnnx(path);
  if (ext === ".tflite") return decodeTflite(readBytes(path), path);
  if (ext !== ".json") throw new ModelFileError(path, `unknown model format "${ext || "(no extension)"}" (expected .onnx, .tflite or .json)`);
  const text = new TextDecoder().decode(readBytes(path));
  try {
    return graphFromJSON(text, { baseDir: dirname(path) });
  } catch (e) {
    throw new ModelFileError(path, (e as Error).message.split("\n")[0]!);
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
