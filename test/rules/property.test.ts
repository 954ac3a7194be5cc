/**
 * Property tests of the rule packs: on random small graphs (property-graphs.ts) a pack never
 * throws, leaves a graph that verifies, never adds nodes, and computes what the graph computed
 * before (max |after − before| ≤ 1e-4 · max(1, max |before|) on every output). A subset of the
 * optimized ONNX graphs is also saved and run in onnxruntime, against fusec's own execution of
 * the original graph. Seeds are fixed, so a run is reproducible; a failure prints fast-check's
 * shrunk recipe as the graph's op list with shapes. To hunt further, set PROPERTY_SEED and
 * PROPERTY_RUNS (e.g. 3000) in the environment.
 */
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeOnnx, execute, loadPass, optimize, type Graph, type Pass } from "../../src/index.js";
import type { Tensor } from "../../src/runtime/tensor.js";
import { runOrt } from "../onnx/ort.js";
import { buildOnnx, buildTfl, describeGraph, onnxRecipe, tflRecipe, type BuiltGraph } from "./property-graphs.js";

const TOLERANCE = 1e-4;

/** Reproducible float32 inputs uniform in [-3, 3] (wide enough to reach every kink of the hard activations). */
function inputsFor(graph: Graph, seed: number): Record<string, Tensor> {
  let s = seed >>> 0 || 1;
  const inputs: Record<string, Tensor> = {};
  for (const v of graph.inputs) {
    const shape = (v.shape ?? []) as number[];
    const data = new Float32Array(shape.reduce((a, d) => a * d, 1));
    for (let i = 0; i < data.length; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      data[i] = (s / 0x100000000) * 6 - 3;
    }
    inputs[v.name] = { dtype: "float32", shape, data };
  }
  return inputs;
}

/** Every value the graph computes (all node outputs) by name, for the checks of intermediates. */
function intermediates(graph: Graph, inputs: Record<string, Tensor>): Record<string, Tensor> {
  const outputs = graph.outputs;
  try {
    graph.outputs = [...new Set([...outputs, ...[...graph.nodes].flatMap((n) => n.outputs)])];
    return execute(graph, inputs);
  } finally {
    graph.outputs = outputs;
  }
}

/** A copy of a float32 tensor with each element moved by a relative ±1e-6 (a few float32 rounding steps). */
function nudge(t: Tensor): Tensor {
  if (t.dtype !== "float32") return t;
  return { ...t, data: Float32Array.from(t.data as Float32Array, (v, i) => v * (1 + (i % 2 ? 1e-6 : -1e-6))) };
}

/** Runs the graph with its inputs and every float constant nudged, then restores the constants. */
function runNudged(graph: Graph, inputs: Record<string, Tensor>): Tensor[] {
  const saved = [...graph.constants].map((v) => [v, v.constant!] as const);
  try {
    for (const [v, t] of saved) v.constant = nudge(t);
    return run(graph, Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, nudge(t)])));
  } finally {
    for (const [v, t] of saved) v.constant = t;
  }
}

/** Outputs in graph-output order (names may change when a rule replaces an output value). */
function run(graph: Graph, inputs: Record<string, Tensor>): Tensor[] {
  const byName = execute(graph, inputs);
  return graph.outputs.map((v) => byName[v.name]!);
}

/** The first output that differs beyond the tolerance, described; undefined when all agree. */
function mismatch(actual: readonly Tensor[], reference: readonly Tensor[], tolerance = TOLERANCE): string | undefined {
  if (actual.length !== reference.length) return `${actual.length} outputs, expected ${reference.length}`;
  for (let k = 0; k < reference.length; k++) {
    const [a, r] = [actual[k]!, reference[k]!];
    if (a.shape.join(",") !== r.shape.join(",")) return `output ${k}: shape [${a.shape}] instead of [${r.shape}]`;
    let scale = 1;
    for (const v of r.data) scale = Math.max(scale, Math.abs(Number(v)));
    for (let i = 0; i < r.data.length; i++) {
      const [x, y] = [Number(a.data[i]), Number(r.data[i])];
      if (Number.isNaN(x) !== Number.isNaN(y) || Math.abs(x - y) > tolerance * scale) {
        return `output ${k} element ${i}: ${x} instead of ${y} (tolerance ${tolerance * scale})`;
      }
    }
  }
  return undefined;
}

/**
 * True when the graph is too ill-conditioned on these inputs for the comparison to mean
 * anything: its outputs move by more than a tenth of the tolerance when the inputs and the
 * constants move by a relative 1e-6, as a fold's rounding moves them (a constant divided by a
 * value that cancels to near zero does that); or when it divides by an exact zero or computes
 * a value that is not finite (the sign of a zero divisor is something a fold may legitimately
 * flip: -0 · c folded into a filter becomes +0, and ±∞ may then be hidden by a later Relu).
 */
function illConditioned(graph: Graph, inputs: Record<string, Tensor>, reference: readonly Tensor[]): boolean {
  const values = intermediates(graph, inputs);
  if (Object.values(values).some((t) => t.data.some((v) => !Number.isFinite(Number(v))))) return true;
  const divisors = [...graph.nodes].filter((n) => n.op === "Div").map((n) => values[n.inputs[1]!.name]);
  if (divisors.some((t) => t?.data.some((v) => Number(v) === 0))) return true;
  return mismatch(runNudged(graph, inputs), reference, TOLERANCE / 10) !== undefined;
}

/** A recipe that fast-check prints as the op list of the graph it builds. */
function shown<R extends object>(recipe: R, build: (r: R) => BuiltGraph): R {
  return Object.assign(recipe, { [fc.toStringMethod]: () => `\n${build(recipe).text}\n` });
}

/**
 * The core property: optimizing with `pass` does not throw and leaves a graph that verifies
 * (`optimize` checks both), the node count does not grow, and the outputs agree. A case whose
 * original graph is ill-conditioned on its inputs is discarded.
 */
function checkPack(graph: Graph, pass: Pass, seed: number): void {
  const inputs = inputsFor(graph, seed);
  const before = run(graph, inputs);
  fc.pre(!illConditioned(graph, inputs, before));
  const nodesBefore = graph.nodes.size;
  optimize(graph, { passes: [pass] });
  assert.ok(graph.nodes.size <= nodesBefore, `the node count grew from ${nodesBefore} to ${graph.nodes.size}:\n${describeGraph(graph)}`);
  const problem = mismatch(run(graph, inputs), before);
  if (problem) throw new Error(`${problem}\nafter the pack:\n${describeGraph(graph)}`);
}

/**
 * Runs a property like `fc.assert`, and also fails when more than a tenth of the generated cases
 * were discarded as ill-conditioned (the property would then hold vacuously); a fifth are, in
 * the TFLite graphs, where fused Relus make exact zeros that a constant is then divided by.
 */
async function holds<Ts extends [unknown, ...unknown[]]>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  params: fc.Parameters<Ts>,
): Promise<void> {
  const details = await fc.check(property, params);
  if (details.failed) {
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${fc.defaultReportMessage(details)}\n${error}`);
  }
  assert.ok(details.numSkips <= details.numRuns / 5, `${details.numSkips} of ${details.numRuns} cases discarded as ill-conditioned`);
}

test("onnx pack: random graphs keep their outputs, verify, and never grow", async () => {
  const pass = await loadPass("onnx");
  await holds(
    fc.property(onnxRecipe().map((r) => shown(r, buildOnnx)), fc.integer({ min: 1, max: 1 << 30 }), (recipe, seed) => checkPack(buildOnnx(recipe).graph, pass, seed)),
    { seed: Number(process.env.PROPERTY_SEED ?? 20240601), numRuns: Number(process.env.PROPERTY_RUNS ?? 250) },
  );
});

test("tflite pack: random NHWC graphs keep their outputs, verify, and never grow", async () => {
  const pass = await loadPass("tflite");
  await holds(
    fc.property(tflRecipe().map((r) => shown(r, buildTfl)), fc.integer({ min: 1, max: 1 << 30 }), (recipe, seed) => checkPack(buildTfl(recipe).graph, pass, seed)),
    { seed: Number(process.env.PROPERTY_SEED ?? 20240602), numRuns: Number(process.env.PROPERTY_RUNS ?? 120) },
  );
});

/**
 * The optimized graph saved as ONNX runs in onnxruntime with the outputs fusec computes for the
 * original graph. Where onnxruntime's own kernels differ from fusec's by more than the tolerance
 * (its Sigmoid is less exact in the tail), the saved optimized model must instead agree with the
 * saved original graph run in onnxruntime: the pack and the writer are what is under test.
 */
test("onnx pack: the saved optimized model runs in onnxruntime like the original", async () => {
  const pass = await loadPass("onnx");
  await holds(
    fc.asyncProperty(onnxRecipe(4).map((r) => shown(r, buildOnnx)), fc.integer({ min: 1, max: 1 << 30 }), async (recipe, seed) => {
      const { graph } = buildOnnx(recipe);
      const inputs = inputsFor(graph, seed);
      const before = run(graph, inputs);
      fc.pre(!illConditioned(graph, inputs, before));
      const original = encodeOnnx(graph);
      const originalNames = graph.outputs.map((v) => v.name);
      optimize(graph, { passes: [pass] });
      const fromOrt = await runOrt(encodeOnnx(graph), inputs);
      const optimized = graph.outputs.map((v) => fromOrt[v.name]!);
      const problem = mismatch(optimized, before);
      if (!problem) return;
      const originalInOrt = await runOrt(original, inputs);
      if (!mismatch(optimized, originalNames.map((n) => originalInOrt[n]!))) return;
      throw new Error(`${problem} (in onnxruntime, also against the original there)\nafter the pack:\n${describeGraph(graph)}`);
    }),
    { seed: Number(process.env.PROPERTY_SEED ?? 20240603), numRuns: Number(process.env.PROPERTY_RUNS ?? 30) },
  );
});

test.run();
