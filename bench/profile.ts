/**
 * Runs each real model's fused graph many times, for a CPU profile of the executor:
 * `node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/profile.ts [--runs N] [--ops] [model name filter]`.
 * With --ops, every kernel is timed and the time per op type is printed (wall time, so other
 * processes on the machine show in it), with what is spent outside the kernels.
 */
import { pathToFileURL } from "node:url";
import { execute, loadPass, optimize, type Graph } from "../src/index.js";
import { lookupOp, type OpDef } from "../src/runtime/registry.js";
import { concreteGraph, randomInput, SPEED_MODELS } from "./real-models.js";

export async function main(args: readonly string[] = []): Promise<void> {
  const at = args.indexOf("--runs");
  const runs = at >= 0 ? Number(args[at + 1]) : 50;
  const byOp = args.includes("--ops");
  const filter = args.find((a, i) => !a.startsWith("--") && i !== at + 1)?.toLowerCase();
  for (const model of SPEED_MODELS) {
    if (filter && !model.name.toLowerCase().includes(filter)) continue;
    const graph = concreteGraph(model);
    optimize(graph, { passes: await loadPass("onnx") });
    const feeds = { [graph.inputs[0]!.name]: randomInput(model.shape) };
    const timings = byOp ? timeKernels(graph) : undefined;
    if (timings) for (let i = 0; i < 10; i++) execute(graph, feeds, { validate: false });
    timings?.clear();
    const cpu: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) {
      const c0 = process.cpuUsage();
      execute(graph, feeds, { validate: false });
      const used = process.cpuUsage(c0);
      cpu.push((used.user + used.system) / 1000);
    }
    const wall = (performance.now() - t0) / runs;
    cpu.sort((a, b) => a - b);
    console.log(`${model.name}: ${cpu[cpu.length >> 1]!.toFixed(2)} CPU ms per run (median of ${runs}; min ${cpu[0]!.toFixed(2)})`);
    if (!timings) continue;
    let inKernels = 0;
    for (const [op, { ms, calls }] of [...timings].sort((a, b) => b[1].ms - a[1].ms)) {
      inKernels += ms / runs;
      console.log(`  ${op.padEnd(26)}${(ms / runs).toFixed(3).padStart(9)} ms ${(calls / runs).toFixed(0).padStart(5)} calls ${((1000 * ms) / calls).toFixed(1).padStart(9)} µs/call`);
    }
    console.log(`  ${"outside kernels".padEnd(26)}${(wall - inKernels).toFixed(3).padStart(9)} ms (of ${wall.toFixed(3)} ms wall per run)`);
    restoreKernels();
  }
}

const originals = new Map<OpDef, OpDef["kernel"]>();

/** Wraps the kernel of every op the graph uses with a timer; the times by op type. */
function timeKernels(graph: Graph): Map<string, { ms: number; calls: number }> {
  const times = new Map<string, { ms: number; calls: number }>();
  for (const node of graph.nodes) {
    const def = lookupOp(node.domain, node.op)!;
    if (originals.has(def)) continue;
    const kernel = def.kernel;
    originals.set(def, kernel);
    const key = node.domain ? `${node.domain}.${node.op}` : node.op;
    def.kernel = (inputs, attrs, count) => {
      const t0 = performance.now();
      const out = kernel(inputs, attrs, count);
      const entry = times.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += performance.now() - t0;
      entry.calls++;
      times.set(key, entry);
      return out;
    };
  }
  return times;
}

function restoreKernels(): void {
  for (const [def, kernel] of originals) def.kernel = kernel;
  originals.clear();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
