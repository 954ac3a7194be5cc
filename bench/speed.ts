/**
 * Executor speed against onnxruntime, in one process:
 *
 * 1. Real models (PP-OCR cls/det/rec, BlazeFace front 128 and back 256): fusec on its fused graph
 *    (default ONNX pack) against onnxruntime-web (the `wasm` execution provider, 1 thread,
 *    graphOptimizationLevel "all") and onnxruntime-node (1 thread, "all"). Outputs are checked
 *    against onnxruntime-node before timing (≤ 1e-4 · max(1, |reference|)); a model that fails
 *    the check is reported and not timed.
 * 2. Kernel throughput in GFLOP/s, fusec against onnxruntime-web: a 3×3 conv, a 1×1 conv, a
 *    depthwise 3×3, a 256×1024×1024 GEMM and a classifier head (Gemm 1×1280 by 1000×1280ᵀ plus
 *    bias), each a one-node model.
 * 3. Per-node overhead: a chain of 1,000 Adds on a [1,16] tensor, µs per node.
 *
 * Every table times its contenders in interleaved rounds (warm-up, then the median of 15), so
 * that load from other processes hits them alike. Warm-up is at least 5 rounds and at least 2 s
 * per row (model or kernel): V8 first runs WebAssembly and JavaScript on its baseline tiers and compiles the hot
 * functions with its optimizing compiler on background threads, for both fusec and
 * onnxruntime-web, and on a 2-core machine those compile threads take the cores the timed runs
 * need (process CPU time above wall time during a row's first ~0.5–1 s shows it). Rounds
 * timed in that window measure the engine's compile queue, not the executors; `--settle 0`
 * times them anyway. onnxruntime-web really running wasm is
 * checked: its session handler must be the WebAssembly one, and its CPU time per run is shown
 * next to its wall time (one thread: the two agree; a native multi-threaded backend would not).
 *
 * 4. The same models on 2 threads (bench/threads.ts, in a child process; `--no-threads` skips it).
 *
 * `npx tsx bench/speed.ts [--rounds N] [--warmup N] [--settle SECONDS] [--no-threads] [model name filter]`
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import onnxProto from "onnx-proto";
import ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { decodeOnnx, execute, loadPass, optimize, type Graph, type Tensor } from "../src/index.js";
import { concreteGraph, randomInput, SPEED_MODELS, type Model } from "./real-models.js";
import { interleaved } from "./timing.js";

const { onnx } = onnxProto;

ortWeb.env.wasm.numThreads = 1;
ortWeb.env.wasm.proxy = false;
ortWeb.env.logLevel = "error";
ortNode.env.logLevel = "error";

type OrtSession = ortNode.InferenceSession | ortWeb.InferenceSession;

async function webSession(model: string | Uint8Array): Promise<ortWeb.InferenceSession> {
  const options: ortWeb.InferenceSession.SessionOptions = { executionProviders: ["wasm"], graphOptimizationLevel: "all", intraOpNumThreads: 1, interOpNumThreads: 1 };
  const session = typeof model === "string" ? await ortWeb.InferenceSession.create(model, options) : await ortWeb.InferenceSession.create(model, options);
  // The WebAssembly session handler is the one that copies the model into wasm memory.
  const handler = (session as unknown as { handler?: { fetchModelAndCopyToWasmMemory?: unknown } }).handler;
  if (typeof handler?.fetchModelAndCopyToWasmMemory !== "function") throw new Error("onnxruntime-web did not run on its wasm backend");
  return session;
}

async function nodeSession(model: string | Uint8Array): Promise<ortNode.InferenceSession> {
  const options: ortNode.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all", logSeverityLevel: 3 };
  return typeof model === "string" ? ortNode.InferenceSession.create(model, options) : ortNode.InferenceSession.create(Buffer.from(model), options);
}

export function ortFeeds(lib: typeof ortNode | typeof ortWeb, feeds: Record<string, Tensor>): Record<string, ortNode.Tensor> {
  const out: Record<string, ortNode.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = new lib.Tensor("float32", t.data as Float32Array, [...t.shape]) as ortNode.Tensor;
  return out;
}

/** Largest |actual − expected| / max(1, |expected|) over every output, by name. */
export async function worstError(actual: Record<string, Tensor>, session: OrtSession, feeds: Record<string, ortNode.Tensor>): Promise<number> {
  const expected = await (session as ortNode.InferenceSession).run(feeds);
  let worst = 0;
  for (const [name, t] of Object.entries(actual)) {
    const e = expected[name];
    if (!e) throw new Error(`onnxruntime has no output "${name}"`);
    const a = t.data as Float32Array;
    const r = e.data as Float32Array;
    if (a.length !== r.length) return Infinity;
    for (let i = 0; i < r.length; i++) {
      const err = Math.abs(a[i]! - r[i]!) / Math.max(1, Math.abs(r[i]!));
      if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
    }
  }
  return worst;
}

const TOLERANCE = 1e-4;

export interface Options {
  warmup: number;
  rounds: number;
  /** Least warm-up time per table, milliseconds. */
  settleMs: number;
  filter?: string;
}

// ── 1. real models ────────────────────────────────────────────────────────────────────────

interface ModelRow {
  model: string;
  fusec: number;
  web: number;
  node: number;
  fusecCpu: number;
  webCpu: number;
  errNode: number;
  errWeb: number;
}

async function measureModel(model: Model, options: Options): Promise<ModelRow> {
  const graph = concreteGraph(model);
  optimize(graph, { passes: await loadPass("onnx") });
  const feeds = { [graph.inputs[0]!.name]: randomInput(model.shape) };
  const web = await webSession(model.path);
  const node = await nodeSession(model.path);
  const webFeeds = ortFeeds(ortWeb, feeds);
  const nodeFeeds = ortFeeds(ortNode, feeds);
  const actual = execute(graph, feeds);
  const errNode = await worstError(actual, node, nodeFeeds);
  const errWeb = await worstError(actual, web, webFeeds);
  const row: ModelRow = { model: model.name, fusec: NaN, web: NaN, node: NaN, fusecCpu: NaN, webCpu: NaN, errNode, errWeb };
  if (!(errNode <= TOLERANCE)) {
    console.log(`  ${model.name}: output differs from onnxruntime-node by ${errNode.toExponential(2)} (> ${TOLERANCE}); not timed`);
  } else {
    const t = await interleaved(
      [() => execute(graph, feeds, { validate: false }), () => web.run(webFeeds), () => node.run(nodeFeeds)],
      options.warmup,
      options.rounds,
      options.settleMs,
    );
    [row.fusec, row.web, row.node] = t.ms as [number, number, number];
    [row.fusecCpu, row.webCpu] = t.cpuMs as [number, number];
  }
  await web.release();
  await node.release();
  return row;
}

function printModels(rows: ModelRow[]): void {
  const head = ["model", "fusec ms", "ort-web ms", "ort-node ms", "fusec/web", "fusec/node", "fusec cpu", "web cpu", "cpu f/w", "max err"];
  const widths = [15, 10, 11, 12, 10, 11, 10, 9, 9, 9];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("");
  console.log(line(head));
  for (const r of rows) {
    const err = Math.max(r.errNode, r.errWeb);
    console.log(line([r.model, r.fusec.toFixed(2), r.web.toFixed(2), r.node.toFixed(2), (r.fusec / r.web).toFixed(2), (r.fusec / r.node).toFixed(2), r.fusecCpu.toFixed(2), r.webCpu.toFixed(2), (r.fusecCpu / r.webCpu).toFixed(2), err.toExponential(1)]));
  }
  console.log("fusec: fused graph (onnx pack); ort-web: wasm EP, 1 thread, opt all; ort-node: 1 thread, opt all; ms: median wall time");
  console.log("cpu: median process CPU ms per run (one thread each: ≈ wall time on an idle machine, the fairer ratio on a loaded one);");
  console.log("max err: vs onnxruntime-node and -web, scaled by max(1,|ref|)");
}

// ── 2. kernel throughput ──────────────────────────────────────────────────────────────────

interface NodeSpec {
  op: string;
  attrs?: { name: string; type: number; ints?: number[]; i?: number }[];
}

/** A one-node (or chained) float model: input x of `shape`, initializers, nodes in a chain. */
function modelBytes(shape: number[], initializers: [string, number[], Float32Array][], nodes: { op: string; inputs: string[]; output: string; attrs?: NodeSpec["attrs"] }[], output: string): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "bench",
      node: nodes.map((n) => ({ opType: n.op, input: n.inputs, output: [n.output], attribute: n.attrs ?? [] })),
      initializer: initializers.map(([name, dims, data]) => ({ name, dims, dataType: 1, rawData: new Uint8Array(data.buffer.slice(0)) })),
      input: [{ name: "x", type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: output, type: { tensorType: { elemType: 1 } } }],
    },
  }).finish();
}

function randomData(n: number, seed: number): Float32Array {
  const data = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return data;
}

interface Kernel {
  name: string;
  flops: number;
  bytes: Uint8Array;
  shape: number[];
}

function convKernel(name: string, c: number, h: number, w: number, o: number, k: number, group: number): Kernel {
  const pad = (k - 1) / 2;
  const weights = randomData(o * (c / group) * k * k, 2);
  const attrs = [
    { name: "pads", type: 7, ints: [pad, pad, pad, pad] },
    { name: "group", type: 2, i: group },
  ];
  const bytes = modelBytes([1, c, h, w], [["w", [o, c / group, k, k], weights], ["b", [o], randomData(o, 3)]], [{ op: "Conv", inputs: ["x", "w", "b"], output: "y", attrs }], "y");
  return { name, flops: 2 * o * h * w * (c / group) * k * k, bytes, shape: [1, c, h, w] };
}

function kernels(): Kernel[] {
  const [M, K, N] = [256, 1024, 1024];
  const gemm = modelBytes([M, K], [["b", [K, N], randomData(K * N, 5)]], [{ op: "MatMul", inputs: ["x", "b"], output: "y" }], "y");
  // A classifier's last layer at batch 1: Gemm with transposed weights and a bias.
  const head = modelBytes(
    [1, 1280],
    [["w", [1000, 1280], randomData(1000 * 1280, 6)], ["c", [1000], randomData(1000, 7)]],
    [{ op: "Gemm", inputs: ["x", "w", "c"], output: "y", attrs: [{ name: "transB", type: 2, i: 1 }] }],
    "y",
  );
  return [
    convKernel("conv 3x3 1x32x112x112→64", 32, 112, 112, 64, 3, 1),
    convKernel("conv 1x1 1x128x56x56→128", 128, 56, 56, 128, 1, 1),
    convKernel("depthwise 3x3 1x144x56x56", 144, 56, 56, 144, 3, 144),
    { name: `GEMM ${M}x${K}x${N}`, flops: 2 * M * K * N, bytes: gemm, shape: [M, K] },
    { name: "FC head 1x1280→1000", flops: 2 * 1280 * 1000, bytes: head, shape: [1, 1280] },
  ];
}

async function oneModel(bytes: Uint8Array, shape: number[], options: Options): Promise<{ fusec: number; web: number; err: number }> {
  const graph: Graph = decodeOnnx(bytes);
  const feeds = { x: { dtype: "float32", shape, data: randomData(shape.reduce((a, b) => a * b, 1), 7) } as Tensor };
  const web = await webSession(bytes);
  const node = await nodeSession(bytes);
  const err = await worstError(execute(graph, feeds), node, ortFeeds(ortNode, feeds));
  const webFeeds = ortFeeds(ortWeb, feeds);
  const t = await interleaved([() => execute(graph, feeds, { validate: false }), () => web.run(webFeeds)], options.warmup, options.rounds, options.settleMs);
  await web.release();
  await node.release();
  return { fusec: t.ms[0]!, web: t.ms[1]!, err };
}

async function measureKernels(options: Options): Promise<void> {
  console.log(`${"kernel".padEnd(30)}${"fusec GFLOP/s".padStart(14)}${"ort-web GFLOP/s".padStart(16)}${"fusec/web time".padStart(15)}${"max err".padStart(10)}`);
  for (const k of kernels()) {
    const r = await oneModel(k.bytes, k.shape, options);
    const g = (ms: number) => (k.flops / (ms * 1e6)).toFixed(2);
    console.log(`${k.name.padEnd(30)}${g(r.fusec).padStart(14)}${g(r.web).padStart(16)}${(r.fusec / r.web).toFixed(2).padStart(15)}${r.err.toExponential(1).padStart(10)}`);
  }
}

// ── 3. per-node overhead ──────────────────────────────────────────────────────────────────

async function measureOverhead(options: Options): Promise<void> {
  const count = 1000;
  const nodes = Array.from({ length: count }, (_, i) => ({ op: "Add", inputs: [i === 0 ? "x" : `v${i - 1}`, "c"], output: i === count - 1 ? "y" : `v${i}` }));
  const bytes = modelBytes([1, 16], [["c", [1, 16], randomData(16, 9)]], nodes, "y");
  const r = await oneModel(bytes, [1, 16], options);
  const us = (ms: number) => ((ms * 1000) / count).toFixed(2);
  console.log(`chain of ${count} Adds on [1,16]: fusec ${us(r.fusec)} µs/node, ort-web ${us(r.web)} µs/node, fusec/web ${(r.fusec / r.web).toFixed(2)} (max err ${r.err.toExponential(1)})`);
}

export async function main(args: readonly string[] = []): Promise<void> {
  const value = (flag: string, fallback: number) => {
    const at = args.indexOf(flag);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const flagValues = new Set(["--rounds", "--warmup", "--settle"].map((f) => args.indexOf(f) + 1).filter((i) => i > 0));
  const filter = args.find((a, i) => !a.startsWith("--") && !flagValues.has(i))?.toLowerCase();
  const options: Options = { warmup: value("--warmup", 5), rounds: value("--rounds", 15), settleMs: 1000 * value("--settle", 2), filter };
  const load = loadavg().map((l) => l.toFixed(1)).join(" ");
  console.log(`${cpus().length} cores (${cpus()[0]?.model ?? "?"}), load average ${load} at start; interleaved rounds: warm-up ≥ ${options.warmup} rounds and ≥ ${options.settleMs / 1000} s per row, then the median of ${options.rounds}`);
  const rows: ModelRow[] = [];
  for (const model of SPEED_MODELS) {
    if (filter && !model.name.toLowerCase().includes(filter)) continue;
    rows.push(await measureModel(model, options));
  }
  if (rows.length > 0) printModels(rows);
  if (!filter) {
    await measureKernels(options);
    await measureOverhead(options);
  }
  // Secondary: 2 threads each, in a child process (onnxruntime-web fixes its thread count per process).
  // Spawned by path, not imported: threads.ts imports this module, and importing it back from
  // here while this module is the entry point would be a top-level-await cycle (exit code 13).
  if (!args.includes("--no-threads")) {
    console.log("── speed on 2 threads (child process) ──");
    spawnSync(process.execPath, [...process.execArgv, fileURLToPath(new URL("./threads.ts", import.meta.url)), ...args], { stdio: "inherit" });
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at end`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
