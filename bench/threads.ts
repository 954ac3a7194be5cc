/**
 * Executor speed on several threads (2 by default), the secondary table of bench/speed.ts: per
 * real model, fusec on 1 and on N threads (`prepare(graph, { threads })`), onnxruntime-web (wasm
 * EP, numThreads N) and onnxruntime-node (intraOpNumThreads N), in interleaved rounds. fusec's N-
 * thread outputs are checked to be the same bits as its 1-thread ones, and every contender's
 * against onnxruntime-node on 1 thread's tolerance, before timing. CPU time per run is shown:
 * on N threads it exceeds wall time when the threads run at once.
 *
 * Its own process, because onnxruntime-web fixes its thread count when its first session is
 * created: speed.ts runs it as a child process, or
 * `npx tsx --conditions=fusec-source bench/threads.ts [--threads N] [--rounds N] [--warmup N] [--settle SECONDS] [filter]`.
 */
import { pathToFileURL } from "node:url";
import ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { loadPass, optimize, prepare, type Tensor } from "../src/index.js";
import { concreteGraph, randomInput, SPEED_MODELS } from "./real-models.js";
import { ortFeeds, worstError } from "./speed.js";
import { interleaved } from "./timing.js";

const TOLERANCE = 1e-4;

/**
 * Pause after every run, milliseconds: onnxruntime's thread pools (onnxruntime-web's and
 * onnxruntime-node's alike) keep one core busy for ~40 ms after a run, and on a 2-core machine
 * the contender that follows would otherwise share its cores with them. Every contender runs
 * after such a pause, and a core runs slower for a few milliseconds after one, so these times
 * are above the back-to-back times of speed.ts's 1-thread table.
 */
const GAP_MS = 60;

function sameBits(a: Record<string, Tensor>, b: Record<string, Tensor>): boolean {
  return Object.keys(a).every((name) => {
    const x = a[name]!.data as Float32Array;
    const y = b[name]!.data as Float32Array;
    return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
  });
}

export async function main(args: readonly string[] = []): Promise<void> {
  const value = (flag: string, fallback: number) => {
    const at = args.indexOf(flag);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const threads = value("--threads", 2);
  const warmup = value("--warmup", 5);
  const rounds = value("--rounds", 15);
  const settleMs = 1000 * value("--settle", 2);
  const flagValues = new Set(["--rounds", "--warmup", "--settle", "--threads"].map((f) => args.indexOf(f) + 1).filter((i) => i > 0));
  const filter = args.find((a, i) => !a.startsWith("--") && !flagValues.has(i))?.toLowerCase();
  ortWeb.env.wasm.numThreads = threads;
  ortWeb.env.wasm.proxy = false;
  ortWeb.env.logLevel = "error";
  ortNode.env.logLevel = "error";
  const head = ["model", "fusec 1t", `fusec ${threads}t`, "1t/Nt", `web ${threads}t`, `node ${threads}t`, "fusec/web", "fusec/node", "fusec cpu", "web cpu"];
  const widths = [15, 10, 10, 7, 10, 10, 10, 11, 10, 9];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("");
  console.log(line(head));
  for (const model of SPEED_MODELS) {
    if (filter && !model.name.toLowerCase().includes(filter)) continue;
    const graph = concreteGraph(model);
    optimize(graph, { passes: await loadPass("onnx") });
    const feeds = { [graph.inputs[0]!.name]: randomInput(model.shape) };
    const one = prepare(graph, { validate: false });
    const many = prepare(graph, { validate: false, threads });
    await many.ready();
    const web = await ortWeb.InferenceSession.create(model.path, { executionProviders: ["wasm"], graphOptimizationLevel: "all", intraOpNumThreads: threads, logSeverityLevel: 3 });
    const node = await ortNode.InferenceSession.create(model.path, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all", logSeverityLevel: 3 });
    const webFeeds = ortFeeds(ortWeb, feeds);
    const nodeFeeds = ortFeeds(ortNode, feeds);
    const reference = one.run(feeds);
    const err = Math.max(await worstError(reference, node, nodeFeeds), await worstError(reference, web, webFeeds));
    if (!sameBits(reference, many.run(feeds)) || !(err <= TOLERANCE)) {
      console.log(`  ${model.name}: ${threads}-thread outputs differ from 1 thread's, or fusec from onnxruntime (${err.toExponential(2)}); not timed`);
    } else {
      const t = await interleaved([() => one.run(feeds), () => many.run(feeds), () => web.run(webFeeds), () => node.run(nodeFeeds)], warmup, rounds, settleMs, GAP_MS);
      const [f1, fn, w, n] = t.ms as [number, number, number, number];
      console.log(line([model.name, f1.toFixed(2), fn.toFixed(2), (f1 / fn).toFixed(2), w.toFixed(2), n.toFixed(2), (fn / w).toFixed(2), (fn / n).toFixed(2), t.cpuMs[1]!.toFixed(2), t.cpuMs[2]!.toFixed(2)]));
    }
    many.close();
    await web.release();
    await node.release();
  }
  console.log(`fusec ${threads}t: prepare(graph, { threads: ${threads} }), outputs the same bits as 1t; web: wasm EP, numThreads ${threads}; node: intraOpNumThreads ${threads}; ms: median wall time, every run after a ${GAP_MS} ms pause`);
  console.log("cpu: median process CPU ms per run of fusec Nt and web (above wall time when threads overlap; spinning thread pools count too)");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main(process.argv.slice(2));
  // onnxruntime-web's worker threads keep the process alive.
  process.exit(0);
}
