/**
 * Runs each real model's fused graph many times, for a CPU profile of the executor:
 * `node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/profile.ts [--runs N] [model name filter]`.
 */
import { pathToFileURL } from "node:url";
import { execute, loadPass, optimize } from "../src/index.js";
import { concreteGraph, randomInput, SPEED_MODELS } from "./real-models.js";

export async function main(args: readonly string[] = []): Promise<void> {
  const at = args.indexOf("--runs");
  const runs = at >= 0 ? Number(args[at + 1]) : 50;
  const filter = args.find((a, i) => !a.startsWith("--") && i !== at + 1)?.toLowerCase();
  for (const model of SPEED_MODELS) {
    if (filter && !model.name.toLowerCase().includes(filter)) continue;
    const graph = concreteGraph(model);
    optimize(graph, { passes: await loadPass("onnx") });
    const feeds = { [graph.inputs[0]!.name]: randomInput(model.shape) };
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const c0 = process.cpuUsage();
      execute(graph, feeds, { validate: false });
      const used = process.cpuUsage(c0);
      cpu.push((used.user + used.system) / 1000);
    }
    cpu.sort((a, b) => a - b);
    console.log(`${model.name}: ${cpu[cpu.length >> 1]!.toFixed(2)} CPU ms per run (median of ${runs}; min ${cpu[0]!.toFixed(2)})`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
