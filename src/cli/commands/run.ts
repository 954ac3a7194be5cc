/**
 * `fusec run <model>`: executes a model with fusec's executor. Inputs come from `.npy` files or
 * are deterministic random values of the declared shapes (symbolic dims are 1 unless `--dim`
 * sets them); every graph output is written as `<DIR>/<output name>.npy` and summarised.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { loadGraph, prepare, type Tensor, type Value } from "../../index.js";
import { dataFromBytes, numel, tensor } from "../../runtime/tensor.js";
import { encodeNpy, parseNpy } from "../../runtime/npy.js";
import { writeAtomically } from "../../node/files.js";
import { collect, runModelCommand, table, UsageError } from "../model-errors.js";
import { checkExecutable, dimSizes, keyValue, parseSeed, randomTensor } from "../inputs.js";

interface RunFlags {
  input?: string[];
  outputs?: string;
  seed?: string;
  dim?: string[];
  ops?: string[];
  threads?: string;
}

export function register(program: Command): void {
  program
    .command("run")
    .description("execute a model with fusec's executor and write its outputs as .npy files")
    .argument("<model>", "model (.onnx, .tflite or .json)")
    .option("--input <name=file.npy>", "value of a graph input (repeatable; others are random)", collect)
    .option("--outputs <dir>", "directory for the output .npy files", ".")
    .option("--seed <n>", "seed of the random inputs", "0")
    .option("--dim <name=value>", "size of a symbolic dimension of the random inputs (default 1; repeatable)", collect)
    .option("--ops <file.rules>", "register the ops the file's dialects implement (`impl`) before running (repeatable)", collect)
    .option("--threads <n>", "threads the heavy kernels (GEMM, convolution) split over; same results as 1", "1")
    .action((model: string, flags: RunFlags) => runModelCommand(() => runModel(model, flags)));
}

async function runModel(model: string, flags: RunFlags): Promise<void> {
  if (flags.ops) await (await import("../user-ops.js")).registerUserOps(flags.ops);
  const seed = parseSeed(flags.seed);
  const threads = Number(flags.threads ?? "1");
  if (!/^\d+$/.test(flags.threads ?? "1") || threads < 1) throw new UsageError(`--threads ${flags.threads}: expected a positive integer`);
  const dims = dimSizes(flags.dim);
  const files = new Map((flags.input ?? []).map((spec) => keyValue(spec, "--input")));
  const graph = loadGraph(model);
  for (const name of files.keys()) {
    if (!graph.inputs.some((v) => v.name === name)) {
      throw new UsageError(`--input ${name}: the model has no input "${name}" (inputs: ${graph.inputs.map((v) => v.name).join(", ")})`);
    }
  }
  checkExecutable(model, graph);
  const feeds: Record<string, Tensor> = {};
  graph.inputs.forEach((v, i) => {
    const file = files.get(v.name);
    feeds[v.name] = file ? readNpy(file, v) : randomTensor(v, dims, seed * 1000 + i + 1);
  });
  const session = prepare(graph, { threads });
  let results: Record<string, Tensor>;
  try {
    await session.ready();
    results = session.run(feeds);
  } finally {
    session.close();
  }
  const outDir = flags.outputs ?? ".";
  mkdirSync(outDir, { recursive: true });
  const names = (graph.meta["outputNames"] as string[] | undefined) ?? [];
  const rows: (string | number)[][] = [["output", "shape", "min", "max", "mean"]];
  const outputFiles = new Map<string, string>();
  graph.outputs.forEach((v, i) => {
    const name = names[i] ?? v.name;
    const t = results[v.name];
    if (!t) throw new Error(`the executor returned no value for output "${name}"`);
    writeAtomically(join(outDir, outputFile(name, outputFiles)), new Uint8Array(toNpy(t)));
    const { min, max, mean } = summary(t);
    rows.push([name, `${t.dtype}[${t.shape.join(", ")}]`, min, max, mean]);
  });
  for (const line of table(rows)) process.stdout.write(`${line}\n`);
}

/**
 * `<name>.npy` with characters unsafe in file names replaced, made unique among the files of
 * other outputs in `files` (names such as "a/b" and "a_b" would otherwise overwrite each other).
 */
function outputFile(name: string, files: Map<string, string>): string {
  const known = files.get(name);
  if (known) return known;
  const taken = new Set([...files.values()].map((f) => f.toLowerCase()));
  const base = name.replace(/[^A-Za-z0-9._-]/g, "_");
  let file = `${base}.npy`;
  for (let i = 1; taken.has(file.toLowerCase()); i++) file = `${base}_${i}.npy`;
  files.set(name, file);
  return file;
}

function readNpy(file: string, input: Value): Tensor {
  let array;
  try {
    array = parseNpy(readFileSync(file));
  } catch (e) {
    throw new UsageError(`--input ${input.name}: cannot read ${file} (${(e as Error).message.split("\n")[0]})`);
  }
  // A uint8 array read as booleans holds any byte: nonzero is true (1), as numpy's astype(bool).
  const fileDtype = array.dtype;
  const dtype = fileDtype === "uint8" && input.dtype === "bool" ? "bool" : fileDtype;
  if (!dtype || dtype !== input.dtype) {
    throw new UsageError(`--input ${input.name}: ${file} holds ${array.descr}, the input is ${input.dtype}`);
  }
  if (array.fortranOrder) throw new UsageError(`--input ${input.name}: ${file} is in Fortran order`);
  const declared = input.shape;
  if (declared && (declared.length !== array.shape.length || declared.some((d, i) => typeof d === "number" && d !== array.shape[i]))) {
    throw new UsageError(`--input ${input.name}: ${file} has shape [${array.shape}], the input is [${declared.join(", ")}]`);
  }
  return tensor(dtype, array.shape, dataFromBytes(dtype, array.data, numel(array.shape)));
}

function toNpy(t: Tensor): Uint8Array {
  return encodeNpy(t);
}

function summary(t: Tensor): { min: string; max: string; mean: string } {
  if (t.data.length === 0) return { min: "-", max: "-", mean: "-" };
  let min = Infinity;
  let max = -Infinity;
  let total = 0;
  for (let i = 0; i < t.data.length; i++) {
    const v = Number(t.data[i]);
    if (v < min) min = v;
    if (v > max) max = v;
    total += v;
  }
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(6));
  return { min: fmt(min), max: fmt(max), mean: fmt(total / t.data.length) };
}
