/**
 * Per-op time on the real models: runs each model's fused graph (default ONNX pack) through the
 * executor several times with every registered kernel wrapped in a timer, and prints, per model,
 * the ops that take the most time (total median milliseconds per run, call count) and the
 * heaviest individual op shapes. Kernel time only: the executor's own bookkeeping is outside.
 *
 * `npx tsx bench/ops.ts [--runs N] [--top N] [model name filter]`
 */
import { pathToFileURL } from "node:url";
import { execute, loadPass, optimize, type Graph, type Tensor } from "../src/index.js";
import { concreteGraph, MODELS, randomInput, type Model } from "./real-models.js";
import { lookupOp, opKey, type OpDef } from "../src/runtime/registry.js";
import { median } from "./timing.js";

/** Milliseconds per call site ("op [input shapes]"), one entry per run. */
type Timings = Map<string, number[][]>;


function shapeKey(op: string, inputs: (Tensor | undefined)[]): string {
  return `${op} ${inputs.map((t) => (t ? `[${t.shape.join(",")}]` : "-")).join(" ")}`;
}

/** Wraps the kernels of every op in `graph` so that each call adds its time to `timings[run]`. */
function instrument(graph: Graph, timings: Timings, currentRun: () => number): () => void {
  const restore: (() => void)[] = [];
  const seen = new Set<OpDef>();
  for (const node of graph.nodes) {
    const def = lookupOp(node.domain, node.op);
    if (!def || seen.has(def)) continue;
    seen.add(def);
    const kernel = def.kernel;
    const label = opKey(def.domain, def.op);
    def.kernel = (inputs, attrs, outputCount) => {
      const t0 = performance.now();
      const out = kernel(inputs, attrs, outputCount);
      const ms = performance.now() - t0;
      const key = shapeKey(label, inputs);
      let runs = timings.get(key);
      if (!runs) timings.set(key, (runs = []));
      (runs[currentRun()] ??= []).push(ms);
      return out;
    };
    restore.push(() => (def.kernel = kernel));
  }
  return () => restore.forEach((r) => r());
}


async function profileModel(model: Model, runs: number, top: number): Promise<void> {
  const graph = concreteGraph(model);
  optimize(graph, { passes: await loadPass("onnx") });
  const feeds = { [graph.inputs[0]!.name]: randomInput(model.shape) };
  for (let i = 0; i < 2; i++) execute(graph, feeds, { validate: false });
  const timings: Timings = new Map();
  let run = 0;
  const restore = instrument(graph, timings, () => run);
  try {
    for (; run < runs; run++) execute(graph, feeds, { validate: false });
  } finally {
    restore();
  }
  // Per call site: median over runs of the run's summed time.
  const sites = [...timings].map(([key, perRun]) => ({ key, op: key.split(" ")[0]!, calls: perRun[0]?.length ?? 0, ms: median(perRun.map((xs) => xs.reduce((a, b) => a + b, 0))) }));
  const byOp = new Map<string, { ms: number; calls: number }>();
  for (const s of sites) {
    const e = byOp.get(s.op) ?? { ms: 0, calls: 0 };
    e.ms += s.ms;
    e.calls += s.calls;
    byOp.set(s.op, e);
  }
  const total = sites.reduce((a, s) => a + s.ms, 0);
  console.log(`\n${model.name}: ${total.toFixed(1)} ms in kernels (median of ${runs} runs)`);
  for (const [op, e] of [...byOp].sort((p, q) => q[1].ms - p[1].ms).slice(0, top)) {
    console.log(`  ${op.padEnd(28)}${e.ms.toFixed(2).padStart(9)} ms${String(e.calls).padStart(6)} calls${((100 * e.ms) / total).toFixed(1).padStart(7)}%`);
  }
  console.log("  heaviest call sites:");
  for (const s of sites.sort((p, q) => q.ms - p.ms).slice(0, top)) {
    console.log(`  ${s.ms.toFixed(2).padStart(8)} ms ×${String(s.calls).padEnd(3)} ${s.key}`);
  }
}

export async function main(args: readonly string[] = []): Promise<void> {
  const option = (name: string, fallback: number): number => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const runs = option("--runs", 7);
  const top = option("--top", 12);
  const filter = args.find((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"))?.toLowerCase();
  for (const model of MODELS) {
    if (filter && !model.name.toLowerCase().includes(filter)) continue;
    await profileModel(model, runs, top);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
