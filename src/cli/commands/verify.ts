/**
 * `fusec verify <model>`: checks numerically that rewriting does not change what a model
 * computes. It executes the original model on deterministic random inputs, then the model
 * optimized by the whole pack, then — for every rule that fired — the model optimized by that
 * rule alone, and compares each run's outputs with the original's. A rule whose rewrite changes
 * the outputs beyond the tolerance is named, and the command exits 1.
 */
import type { Command } from "commander";
import { execute, loadGraph, loadPass, optimize, type Pass, type Tensor } from "../../index.js";
import { checkExecutable, dimSizes, parseSeed, randomFeeds } from "../inputs.js";
import { collect, runModelCommand, table, UsageError } from "../model-errors.js";

interface VerifyFlags {
  pass?: string[];
  disable?: string[];
  seed?: string;
  dim?: string[];
  tolerance?: string;
}

export function register(program: Command): void {
  program
    .command("verify")
    .description("check that a rule pack does not change a model's outputs, rule by rule")
    .argument("<model>", "model (.onnx or .json)")
    .option("--pass <name>", "rule pack: onnx, tflite or a compiled module path (repeatable; default onnx)", collect)
    .option("--disable <rule>", "rule not to apply (repeatable)", collect)
    .option("--seed <n>", "seed of the random inputs", "0")
    .option("--dim <name=value>", "size of a symbolic dimension of the random inputs (default 1; repeatable)", collect)
    .option("--tolerance <t>", "largest error allowed: max|a - b| / max(1, max|reference|)", "1e-4")
    .action((model: string, flags: VerifyFlags) => runModelCommand(() => verifyModel(model, flags)));
}

async function verifyModel(model: string, flags: VerifyFlags): Promise<void> {
  const tolerance = Number(flags.tolerance);
  if (!(tolerance >= 0)) throw new UsageError(`--tolerance expects a non-negative number, got "${flags.tolerance}"`);
  const passes = await Promise.all((flags.pass ?? ["onnx"]).map(loadPass));
  const disabled = flags.disable ?? [];

  const original = loadGraph(model);
  checkExecutable(model, original);
  const feeds = randomFeeds(original, dimSizes(flags.dim), parseSeed(flags.seed));
  const reference = execute(original, feeds);
  const outputNames = original.outputs.map((v) => v.name);

  /** Optimizes a fresh copy of the model with only `enabled` rules and measures its error. */
  const measure = (disable: readonly string[]) => {
    const graph = loadGraph(model);
    const stats = optimize(graph, { passes, disable });
    const outputs = execute(graph, feeds);
    const error = Math.max(...outputNames.map((name) => relativeError(reference[name]!, outputs[name], name)));
    return { stats, error };
  };

  const whole = measure(disabled);
  const allRules = passes.flatMap((p: Pass) => p.rules.map((r) => r.name));
  const fired = Object.entries(whole.stats.firings)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0].localeCompare(b[0]));

  const rows: (string | number)[][] = [["rule", "fired", "alone", "error", ""]];
  let failures = 0;
  for (const [rule, count] of fired) {
    const alone = measure(allRules.filter((r) => r !== rule));
    const ok = alone.error <= tolerance;
    if (!ok) failures++;
    rows.push([rule, count, alone.stats.firings[rule] ?? 0, alone.error.toExponential(2), ok ? "ok" : "CHANGES OUTPUTS"]);
  }
  const wholeOk = whole.error <= tolerance;
  if (!wholeOk) failures++;
  rows.push(["(whole pack)", fired.reduce((a, [, n]) => a + n, 0), "", whole.error.toExponential(2), wholeOk ? "ok" : "CHANGES OUTPUTS"]);

  process.stdout.write(`${model}: ${whole.stats.nodesBefore} → ${whole.stats.nodesAfter} nodes, tolerance ${tolerance}\n`);
  for (const line of table(rows)) process.stdout.write(`  ${line}\n`);
  if (failures > 0) {
    process.stderr.write(`fusec: ${failures} check(s) exceeded the tolerance\n`);
    process.exitCode = 1;
  }
}

/** max|a - b| / max(1, max|reference|); Infinity when shapes differ or a value is missing. */
function relativeError(reference: Tensor, actual: Tensor | undefined, name: string): number {
  if (!actual) throw new Error(`the optimized model did not produce output "${name}"`);
  if (reference.data.length !== actual.data.length || reference.shape.join() !== actual.shape.join()) return Infinity;
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < reference.data.length; i++) {
    const r = Number(reference.data[i]);
    const a = Number(actual.data[i]);
    if (Number.isNaN(r) && Number.isNaN(a)) continue;
    const d = Math.abs(r - a);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
    scale = Math.max(scale, Math.abs(r));
  }
  return worst / scale;
}
