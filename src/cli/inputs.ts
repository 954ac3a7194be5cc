/**
 * Inputs for the commands that execute a model (run, verify): `NAME=VALUE` options, symbolic
 * dimension sizes, deterministic random input tensors, and the check that every node can run.
 */
import type { Graph, Tensor, Value } from "../index.js";
import { ModelFileError } from "../onnx/meta.js";
import { missingKernels } from "../kernels/execute.js";
import { allocData, isFloat, storeNumber, tensor } from "../runtime/tensor.js";
import { UsageError } from "./model-errors.js";

/** Splits `NAME=VALUE` (the last `=`), or reports which option was malformed. */
export function keyValue(spec: string, option: string): [string, string] {
  const at = spec.lastIndexOf("=");
  if (at <= 0 || at === spec.length - 1) throw new UsageError(`${option} expects NAME=VALUE, got "${spec}"`);
  return [spec.slice(0, at), spec.slice(at + 1)];
}

/** Parses `--dim name=size` options. */
export function dimSizes(specs: readonly string[] = []): Map<string, number> {
  const dims = new Map<string, number>();
  for (const spec of specs) {
    const [name, value] = keyValue(spec, "--dim");
    const size = Number(value);
    if (!Number.isInteger(size) || size < 0) throw new UsageError(`--dim ${name} expects a size, got "${value}"`);
    dims.set(name, size);
  }
  return dims;
}

export function parseSeed(text: string | undefined): number {
  const seed = Number(text ?? 0);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed expects an integer, got "${text}"`);
  return seed;
}

/** Every node must have a kernel: an op fusec only passes through cannot be run. */
export function checkExecutable(model: string, graph: Graph): void {
  const missing = missingKernels(graph);
  if (missing.length === 0) return;
  const list = missing.map((m) => `${m.op} (node${m.nodes.length > 1 ? "s" : ""} ${m.nodes.slice(0, 3).map((n) => `"${n}"`).join(", ")}${m.nodes.length > 3 ? ", …" : ""})`);
  throw new ModelFileError(model, `fusec cannot execute op${missing.length > 1 ? "s" : ""} ${list.join(", ")}`);
}

/** Deterministic values: floats uniform in [-1, 1), integers in [0, 10), booleans 0/1. */
export function randomTensor(input: Value, dims: Map<string, number>, seed: number): Tensor {
  if (!input.shape) throw new UsageError(`input "${input.name}" has no declared shape: pass it with --input`);
  const shape = input.shape.map((d) => (typeof d === "number" ? d : (dims.get(d) ?? 1)));
  const dtype = input.dtype ?? "float32";
  const n = shape.reduce((a, b) => a * b, 1);
  const data = allocData(dtype, n);
  let s = (seed >>> 0) ^ 0x9e3779b9 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const u = (s >>> 0) / 0x100000000;
    if (isFloat(dtype)) storeNumber(dtype, data, i, u * 2 - 1);
    else if (dtype === "bool") data[i] = u < 0.5 ? 0 : 1;
    else storeNumber(dtype, data, i, Math.floor(u * 10));
  }
  return tensor(dtype, shape, data);
}

/** Random values for every graph input (seeded per input position). */
export function randomFeeds(graph: Graph, dims: Map<string, number>, seed: number): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  graph.inputs.forEach((v, i) => (feeds[v.name] = randomTensor(v, dims, seed * 1000 + i + 1)));
  return feeds;
}
