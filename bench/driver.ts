/**
 * Rewrite-driver throughput: chains of 10k, 100k and 1M nodes built from the block
 * `Identity → Mul(·, c1) → Mul(·, c2) → Relu` (real ONNX ops and shape functions). A hand-written
 * pass shaped like generated code removes every Identity and folds every Mul pair into one Mul
 * with a new constant, so half of the nodes are rewritten away. Prints nodes/second per size
 * and time(1M) / time(100k), which stays near 10 when the driver is linear.
 */
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import "../src/kernels/index.js";
import * as T from "../src/runtime/consteval.js";
import { applyPasses, type Stats } from "../src/runtime/driver.js";
import { Graph, Value, type Dim } from "../src/runtime/graph.js";
import type { Pass, Rewriter, RuleInfo } from "../src/runtime/pass.js";
import { f32 } from "../src/runtime/tensor.js";
import { median } from "./timing.js";

const SIZES = [10_000, 100_000, 1_000_000];
const SHAPE: Dim[] = [1, 16];

const rules: RuleInfo[] = [
  { name: "RemoveIdentity", priority: 0, root: "Identity", location: "bench/driver.ts:1:1", match: "Identity(x)", result: "x" },
  {
    name: "FoldMulMul",
    priority: 0,
    root: "Mul",
    location: "bench/driver.ts:2:1",
    match: "Mul(inner: Mul(x, c1: const), c2: const) where hasOneUse(inner)",
    result: "Mul(x, c1 * c2)",
  },
];

/** What the compiler generates for the two rules above: a dispatcher and one function per root op. */
const pass: Pass = {
  name: "bench",
  rules,
  apply(rw, node) {
    switch (node.op) {
      case "Identity":
        return rw.begin(0) && rw.replace(node, [rw.input(node, 0)!]);
      case "Mul":
        return matchMul(rw, node);
      default:
        return false;
    }
  },
};

function matchMul(rw: Rewriter, root: Parameters<Pass["apply"]>[1]): boolean {
  if (!rw.begin(1)) return false;
  const inner = rw.def(rw.input(root, 0), "Mul");
  if (!inner) return rw.fail("operand 0 is not a Mul");
  if (!rw.hasOneUse(rw.output(inner))) return rw.fail("hasOneUse(inner)");
  const c1 = rw.constant(rw.input(inner, 1));
  const c2 = rw.constant(rw.input(root, 1));
  if (!c1 || !c2) return rw.fail("c1 and c2 must be constants");
  const c = rw.constantValue(T.mul(c1, c2));
  return rw.replace(root, rw.create("Mul", "", [rw.input(inner, 0), c], {}));
}

/** A chain of `nodes` nodes (a multiple of 4) from one input to one output. */
function buildChain(nodes: number): Graph {
  const g = new Graph();
  let v: Value = g.addInput("x", "float32", SHAPE);
  const step = (op: string, inputs: Value[]) => {
    const out = g.newValue("v", "float32", SHAPE);
    g.addNode({ op, inputs, outputs: [out] });
    return out;
  };
  for (let i = 0; i < nodes; i += 4) {
    v = step("Identity", [v]);
    v = step("Mul", [v, g.addConstant(f32([1], [1.5]), "c")]);
    v = step("Mul", [v, g.addConstant(f32([1], [0.5]), "c")]);
    v = step("Relu", [v]);
  }
  g.outputs = [v];
  return g;
}

/** A full garbage collection, so that building the graph is not paid for inside the timing. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function timeOnce(nodes: number): { ms: number; stats: Stats } {
  const graph = buildChain(nodes);
  collectGarbage();
  const start = performance.now();
  const stats = applyPasses(graph, [pass]);
  const ms = performance.now() - start;
  if (stats.nodesAfter !== nodes / 2) throw new Error(`expected ${nodes / 2} nodes after rewriting, got ${stats.nodesAfter}`);
  return { ms, stats };
}

/** Runs per size: single runs at 1M nodes vary by ±30% with garbage collection, so take medians. */
const RUNS: Record<number, number> = { 10_000: 5, 100_000: 5, 1_000_000: 3 };


/**
 * The shared-constant chain: `Mul(·, c) → Mul(·, c) → …` where every Mul reads the same constant
 * `c`, so each fold drops two uses of a value with tens of thousands of readers. A driver that
 * walks every use of a touched value is quadratic here.
 */
function buildSharedChain(nodes: number): Graph {
  const g = new Graph();
  let v: Value = g.addInput("x", "float32", SHAPE);
  const c = g.addConstant(f32([1], [1]), "c");
  for (let i = 0; i < nodes; i++) {
    const out = g.newValue("v", "float32", SHAPE);
    g.addNode({ op: "Mul", inputs: [v, c], outputs: [out] });
    v = out;
  }
  g.outputs = [v];
  return g;
}

function timeShared(nodes: number): number {
  const graph = buildSharedChain(nodes);
  collectGarbage();
  const start = performance.now();
  const stats = applyPasses(graph, [pass]);
  const ms = performance.now() - start;
  if (stats.nodesAfter > nodes / 2 + 1) throw new Error(`expected at most ${nodes / 2 + 1} nodes after rewriting, got ${stats.nodesAfter}`);
  return ms;
}

/** Two rules that undo each other (Sigmoid → Tanh, Tanh → Sigmoid). */
const loopPass: Pass = {
  name: "loop",
  rules: [
    { name: "SigmoidToTanh", priority: 0, root: "Sigmoid", location: "bench/driver.ts:10:1", match: "Sigmoid(x)", result: "Tanh(x)" },
    { name: "TanhToSigmoid", priority: 0, root: "Tanh", location: "bench/driver.ts:11:1", match: "Tanh(x)", result: "Sigmoid(x)" },
  ],
  apply(rw, node) {
    const [rule, op] = node.op === "Sigmoid" ? [0, "Tanh"] : node.op === "Tanh" ? [1, "Sigmoid"] : [-1, ""];
    if (rule < 0 || !rw.begin(rule)) return false;
    return rw.replace(node, rw.create(op, "", [rw.input(node, 0)], {}));
  },
};

/** Milliseconds until the two-rule loop on a chain of `nodes` Sigmoids is reported, and the message. */
function timeLoop(nodes: number): { ms: number; message: string } {
  const g = new Graph();
  let v: Value = g.addInput("x", "float32", SHAPE);
  for (let i = 0; i < nodes; i++) {
    const out = g.newValue("v", "float32", SHAPE);
    g.addNode({ op: "Sigmoid", inputs: [v], outputs: [out] });
    v = out;
  }
  g.outputs = [v];
  collectGarbage();
  const start = performance.now();
  try {
    applyPasses(g, [loopPass]);
  } catch (e) {
    return { ms: performance.now() - start, message: (e as Error).message };
  }
  throw new Error("the looping rules settled");
}

const SHARED_SIZES = [10_000, 40_000, 160_000];

/** The fan-out benchmark alone (`node --import tsx bench/driver.ts fanout`). */
export async function fanout(): Promise<void> {
  timeShared(10_000); // warm-up
  console.log("driver: chain of Muls sharing one constant, FoldMulMul (median of 5 runs)");
  const perNode = new Map<number, number>();
  for (const n of SHARED_SIZES) {
    const runs = Array.from({ length: 5 }, () => timeShared(n));
    const ms = median(runs);
    perNode.set(n, ms / n);
    console.log(`  ${String(n).padStart(9)} nodes  ${ms.toFixed(1).padStart(8)} ms  ${((ms / n) * 1000).toFixed(2).padStart(7)} µs/node  (runs ${runs.map((r) => r.toFixed(0)).join(", ")} ms)`);
  }
  const ratio = perNode.get(160_000)! / perNode.get(10_000)!;
  console.log(`  time per node 160k / 10k = ${ratio.toFixed(2)}  (linear: 1)`);
  const loops = Array.from({ length: 5 }, () => timeLoop(30_000));
  console.log(`driver: two rules undoing each other on 30k nodes reported after ${median(loops.map((l) => l.ms)).toFixed(1)} ms (median of 5)`);
  console.log(`  ${loops[0]!.message}`);
}

export async function main(): Promise<void> {
  timeOnce(10_000); // warm-up: JIT
  const times = new Map<number, number>();
  console.log("driver: Identity/Mul/Mul/Relu chains, RemoveIdentity + FoldMulMul (median of runs)");
  for (const n of SIZES) {
    const runs = Array.from({ length: RUNS[n] ?? 3 }, () => timeOnce(n));
    const ms = median(runs.map((r) => r.ms));
    const { stats } = runs[0]!;
    times.set(n, ms);
    const fired = Object.values(stats.firings).reduce((a, b) => a + b, 0);
    const spread = `${Math.min(...runs.map((r) => r.ms)).toFixed(0)}–${Math.max(...runs.map((r) => r.ms)).toFixed(0)} ms over ${runs.length} runs`;
    console.log(
      `  ${String(n).padStart(9)} nodes  ${ms.toFixed(1).padStart(8)} ms  ${Math.round((n / ms) * 1000).toLocaleString("en-US").padStart(11)} nodes/s  ` +
        `(${fired} firings, ${stats.attempts} attempts, ${stats.steps} steps; ${spread})`,
    );
  }
  console.log(`  time(1M) / time(100k) = ${(times.get(1_000_000)! / times.get(100_000)!).toFixed(2)}  (linear: 10)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv[2] === "fanout") await fanout();
  else if (process.argv[2] === "shared") console.log(timeShared(Number(process.argv[3])).toFixed(1), "ms");
  else {
    await main();
    await fanout();
  }
}
