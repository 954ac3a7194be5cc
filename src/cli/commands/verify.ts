/**
 * `fusec verify`: checks numerically that rewriting does not change what a graph computes, in
 * one of two modes chosen by the arguments.
 *
 * `fusec verify <rules…>` (every argument a `.rules` file) checks each rule of each pack from
 * its pattern alone (src/verify/rules.ts): graphs synthesized from the pattern, the rule applied
 * alone, outputs compared; one table per pack, the smallest counterexample of every rule that
 * changes outputs, exit 1 if any does. A rule no synthesized graph made fire is reported NOT
 * EXERCISED, never ok.
 *
 * `fusec verify <model>` executes the original model on deterministic random inputs, then the
 * model optimized by the whole pack, then — for every rule that fired — the model optimized by
 * that rule alone, and compares each run's outputs with the original's. A rule whose rewrite
 * changes the outputs beyond the tolerance is named, and the command exits 1.
 */
import type { Command } from "commander";
import { renderDiagnostics, sourcesOf } from "../../compiler/render.js";
import { defaultPack, execute, loadGraph, loadPass, optimize, type Pass } from "../../index.js";
import type { PackCheck, RuleCheck } from "../../verify/rules.js";
import { checkExecutable, dimSizes, parseSeed, randomFeeds } from "../inputs.js";
import { collect, runModelCommand, table, UsageError } from "../model-errors.js";
import { outputError } from "../../verify/compare.js";

interface VerifyFlags {
  pass?: string[];
  disable?: string[];
  seed?: string;
  dim?: string[];
  tolerance?: string;
  rule?: string[];
  candidates?: string;
  firings?: string;
}

export function register(program: Command): void {
  program
    .command("verify")
    .description("check numerically that rules do not change what a graph computes: each rule of rules files on graphs synthesized from its pattern, or a pack on a model")
    .argument("<inputs...>", "rules files (each rule checked from its pattern), or one model (.onnx, .tflite or .json)")
    .option("--pass <name>", "model mode: rule pack: onnx, tflite or a compiled module path (repeatable; default onnx)", collect)
    .option("--disable <rule>", "model mode: rule not to apply (repeatable)", collect)
    .option("--dim <name=value>", "model mode: size of a symbolic dimension of the random inputs (default 1; repeatable)", collect)
    .option("--rule <name>", "rules mode: check only this rule or rule family (repeatable)", collect)
    .option("--candidates <n>", "rules mode: graphs drawn per rule at most (default 200)")
    .option("--firings <n>", "rules mode: stop drawing for a rule after this many firings (default 20)")
    .option("--seed <n>", "seed of the random inputs and graphs", "0")
    .option("--tolerance <t>", "largest error allowed: max|a - b| / max(1, max|reference|)", "1e-4")
    .action((inputs: string[], flags: VerifyFlags) =>
      runModelCommand(() => {
        const rulesFiles = inputs.filter((i) => i.endsWith(".rules"));
        if (rulesFiles.length === inputs.length) return verifyRulesFiles(inputs, flags);
        if (rulesFiles.length > 0 || inputs.length > 1) {
          throw new UsageError(`verify takes rules files or one model, got ${inputs.map((i) => `"${i}"`).join(" ")}`);
        }
        return verifyModel(inputs[0]!, flags);
      }),
    );
}

function parseTolerance(text: string | undefined): number {
  const tolerance = Number(text);
  if (!(tolerance >= 0)) throw new UsageError(`--tolerance expects a non-negative number, got "${text}"`);
  return tolerance;
}

function parseCount(text: string | undefined, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${option} expects a positive integer, got "${text}"`);
  return n;
}

// ── rules mode ───────────────────────────────────────────────────────────────────────────────

const VERDICTS: Record<RuleCheck["verdict"], string> = { ok: "ok", "changes-outputs": "CHANGES OUTPUTS", "not-exercised": "NOT EXERCISED" };

async function verifyRulesFiles(files: string[], flags: VerifyFlags): Promise<void> {
  for (const option of ["pass", "disable", "dim"] as const) {
    if (flags[option]) throw new UsageError(`--${option} applies to a model; rules files are checked rule by rule (use --rule to select)`);
  }
  const options = {
    seed: parseSeed(flags.seed),
    tolerance: parseTolerance(flags.tolerance),
    candidates: parseCount(flags.candidates ?? "200", "--candidates"),
    firings: parseCount(flags.firings ?? "20", "--firings"),
    ...(flags.rule ? { only: flags.rule } : {}),
  };
  // The compiler and the synthesizer are loaded only in this mode.
  const { verifyRules } = await import("../../verify/rules.js");
  const result = await verifyRules(files, options);
  if (result.diagnostics.length > 0) {
    process.stderr.write(renderDiagnostics(result.diagnostics, sourcesOf(result.sources), { color: process.stderr.isTTY }) + "\n");
  }
  if (result.diagnostics.some((d) => d.severity === "error")) {
    process.exitCode = 1;
    return;
  }
  const checks = result.packs.flatMap((p) => p.rules);
  if (flags.rule && checks.length === 0) throw new UsageError(`no rule named ${flags.rule.map((r) => `"${r}"`).join(", ")} in ${files.join(", ")}`);
  for (const pack of result.packs) printPack(pack, options);
  const count = (verdict: RuleCheck["verdict"]) => checks.filter((c) => c.verdict === verdict).length;
  const failing = count("changes-outputs");
  const unexercised = count("not-exercised");
  process.stdout.write(`${checks.length} rule(s): ${count("ok")} ok, ${failing} change outputs, ${unexercised} not exercised\n`);
  if (unexercised > 0) {
    process.stderr.write(`fusec: ${unexercised} rule(s) not exercised: no synthesized graph made them fire, so they are not checked\n`);
  }
  if (failing > 0) {
    process.stderr.write(`fusec: ${failing} rule(s) change what the graph computes\n`);
    process.exitCode = 1;
  }
}

function printPack(pack: PackCheck, options: { tolerance: number; candidates: number; firings: number }): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`${pack.source}: ${pack.rules.length} rule(s), tolerance ${options.tolerance}, at most ${options.candidates} graphs and ${options.firings} firings per rule`);
  const rows: (string | number)[][] = [["rule", "tried", "fired", "max error", "verdict"]];
  for (const c of pack.rules) rows.push([c.rule, c.tried, c.fired, c.fired > 0 ? c.maxError.toExponential(2) : "-", VERDICTS[c.verdict]]);
  for (const line of table(rows)) out(`  ${line}`);
  const ranges = [...new Set(pack.rules.flatMap((c) => c.covered.ranges))];
  const dtypes = [...new Set(pack.rules.flatMap((c) => c.covered.dtypes))];
  if (ranges.length > 0) out(`  inputs of every firing drawn from: ${ranges.join(", ")} (the rule's constants, ± and 0, for boundaries); element types: ${dtypes.join(", ")}`);
  for (const c of pack.rules) {
    if (c.verdict === "not-exercised") out(`  ${c.rule} NOT EXERCISED: ${c.reason}`);
    else if (c.covered.shapes.length > 0) out(`  ${c.rule}: input shapes ${c.covered.shapes.slice(0, 6).join(" ")}${c.covered.shapes.length > 6 ? ` (+${c.covered.shapes.length - 6} more)` : ""}; ${c.covered.dtypes.join(", ")}`);
  }
  for (const c of pack.rules) {
    if (!c.counterexample) continue;
    const { before, after, error, problem, range, at } = c.counterexample;
    out("");
    out(`${c.rule} (${c.location}) changes outputs: ${problem ?? `relative error ${error.toExponential(2)}${range ? ` on inputs in ${range}` : ""}`}${at ? `\n  at ${at}` : ""}\n  on`);
    for (const line of before) out(`    ${line}`);
    if (after.length > 0) {
      out("  rewritten to");
      for (const line of after) out(`    ${line}`);
    }
  }
  out("");
}

// ── model mode ───────────────────────────────────────────────────────────────────────────────

async function verifyModel(model: string, flags: VerifyFlags): Promise<void> {
  for (const option of ["rule", "candidates", "firings"] as const) {
    if (flags[option]) throw new UsageError(`--${option} applies to rules files; a model is checked with --pass and --disable`);
  }
  const tolerance = parseTolerance(flags.tolerance);
  const passes = await Promise.all((flags.pass ?? [defaultPack(model)]).map(loadPass));
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
    const error = Math.max(...outputNames.map((name) => outputError(reference[name]!, outputs[name])));
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
    const firedAlone = alone.stats.firings[rule] ?? 0;
    const ok = alone.error <= tolerance;
    if (!ok) failures++;
    // A rule that fires only on what other rules produce is checked by the whole-pack row.
    const verdict = !ok ? "CHANGES OUTPUTS" : firedAlone === 0 ? "fires only after other rules" : "ok";
    rows.push([rule, count, firedAlone, firedAlone === 0 && ok ? "-" : alone.error.toExponential(2), verdict]);
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
