/**
 * Real-model latency: PP-OCR cls/det/rec and BlazeFace at fixed input shapes, run by fusec's
 * executor on the graph as loaded ("unfused") and on the graph optimized with the default ONNX
 * pack ("fused"), and by onnxruntime-node on one thread with its graph optimizations disabled
 * (the same unfused graph) and at "all" (its own fusions, for reference). All four contenders of
 * a model run in alternation, round after round, so that load from other processes hits them
 * alike; the table shows the median of each, the unfused/fused ratio, and fusec's distance from
 * onnxruntime. Before timing, the fused graph's outputs are checked against onnxruntime's.
 *
 * `npx tsx bench/latency.ts [--budget SECONDS-PER-MODEL] [model name filter]`
 */
import { pathToFileURL } from "node:url";
import ort from "onnxruntime-node";
import { execute, loadPass, optimize } from "../src/index.js";
import { concreteGraph, MODELS, randomInput, type Model } from "./real-models.js";
import { median } from "./timing.js";

const CONTENDERS = ["fusec unfused", "fusec fused", "ort disabled", "ort all"] as const;

export interface LatencyRow {
  model: string;
  /** Median milliseconds per contender, in CONTENDERS order. */
  medians: number[];
  rounds: number;
  /** Largest |fused − onnxruntime| / max(1, |onnxruntime|) over every output element. */
  fusedError: number;
}




function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    worst = Math.max(worst, Math.abs(actual[i]! - e) / Math.max(1, Math.abs(e)));
  }
  return worst;
}

/** Times one model's contenders in alternation for about `budgetMs` after a short warm-up. */
export async function measureModel(model: Model, budgetMs: number): Promise<LatencyRow> {
  const unfused = concreteGraph(model);
  const fused = concreteGraph(model);
  optimize(fused, { passes: await loadPass("onnx") });
  const inputName = unfused.inputs[0]!.name;
  const input = randomInput(model.shape);
  const feeds = { [inputName]: input };
  const ortFeeds = { [inputName]: new ort.Tensor("float32", input.data as Float32Array, [...model.shape]) };
  const session = (level: "disabled" | "all") =>
    ort.InferenceSession.create(model.path, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: level, logSeverityLevel: 3 });
  const [ortDisabled, ortAll] = [await session("disabled"), await session("all")];

  const expected = await ortDisabled.run(ortFeeds);
  const actual = execute(fused, feeds);
  let fusedError = 0;
  for (const [name, t] of Object.entries(actual)) {
    const e = expected[name];
    if (!e) throw new Error(`${model.name}: onnxruntime has no output "${name}"`);
    fusedError = Math.max(fusedError, relativeError(t.data as Float32Array, e.data as Float32Array));
  }

  const runs: (() => unknown)[] = [
    () => execute(unfused, feeds, { validate: false }),
    () => execute(fused, feeds, { validate: false }),
    () => ortDisabled.run(ortFeeds),
    () => ortAll.run(ortFeeds),
  ];
  const times = runs.map((): number[] => []);
  const warmup = 3;
  const start = performance.now();
  let round = 0;
  // At least 5 timed rounds; then rounds until the budget is spent (at most 200).
  for (; round < warmup + 5 || (performance.now() - start < budgetMs && round < warmup + 200); round++) {
    for (let c = 0; c < runs.length; c++) {
      const t0 = performance.now();
      await runs[c]!();
      if (round >= warmup) times[c]!.push(performance.now() - t0);
    }
  }
  await ortDisabled.release();
  await ortAll.release();
  return { model: model.name, medians: times.map(median), rounds: round - warmup, fusedError };
}

function printTable(rows: LatencyRow[]): void {
  const ms = (v: number) => v.toFixed(2).padStart(18);
  const ratio = (v: number) => v.toFixed(2).padStart(15);
  console.log(`${"model".padEnd(12)}${CONTENDERS.map((c) => `${c} ms`.padStart(18)).join("")}${"unfused/fused".padStart(15)}${"fused/ort-dis".padStart(15)}${"rounds".padStart(8)}${"max rel err".padStart(13)}`);
  for (const r of rows) {
    const [unfused, fused, ortDisabled] = r.medians as [number, number, number, number];
    console.log(`${r.model.padEnd(12)}${r.medians.map(ms).join("")}${ratio(unfused / fused)}${ratio(fused / ortDisabled)}${String(r.rounds).padStart(8)}${r.fusedError.toExponential(1).padStart(13)}`);
  }
  console.log("ort = onnxruntime-node, 1 thread; disabled/all = its graphOptimizationLevel; medians of alternating rounds");
}

export async function main(args: readonly string[] = []): Promise<void> {
  const budgetAt = args.indexOf("--budget");
  const budgetMs = budgetAt >= 0 ? Number(args[budgetAt + 1]) * 1000 : 20_000;
  const budgetValueAt = budgetAt >= 0 ? budgetAt + 1 : -1;
  const filter = args.find((a, i) => !a.startsWith("--") && i !== budgetValueAt)?.toLowerCase();
  const rows: LatencyRow[] = [];
  for (const model of MODELS) {
    if (filter && !model.name.toLowerCase().includes(filter)) continue;
    rows.push(await measureModel(model, budgetMs));
  }
  printTable(rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
