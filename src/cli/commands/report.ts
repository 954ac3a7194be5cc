/**
 * `fusec report <model> -o report.html`: optimizes a model like `optimize` and writes one
 * self-contained HTML page showing the graph before and after, what each fused node replaced,
 * each rule's firings and failures, op histograms, the largest output difference on random
 * inputs and, with --profile, time per op.
 */
import type { Command } from "commander";
import { loadGraph, loadPass } from "../../index.js";
import { writeAtomically } from "../../node/files.js";
import { checkExecutable, dimSizes, parseSeed, randomFeeds } from "../inputs.js";
import { collect as collectOption, runModelCommand, UsageError } from "../model-errors.js";

interface ReportFlags {
  output: string;
  pass?: string[];
  disable?: string[];
  phased?: boolean;
  profile?: boolean;
  dim?: string[];
  seed?: string;
  collapseAbove?: string;
}

export function register(program: Command): void {
  program
    .command("report")
    .description("apply fusion rules to a model and write an HTML report of what fused")
    .argument("<model>", "input model (.onnx or .json)")
    .requiredOption("-o, --output <file>", "the report (.html)")
    .option("--pass <name>", "rule pack: onnx, tflite or a compiled module path (repeatable; default onnx)", collectOption)
    .option("--disable <rule>", "rule not to apply (repeatable)", collectOption)
    .option("--phased", "run each --pass to its own fixpoint, in the order given")
    .option("--profile", "time each op before and after, shown as a bar chart")
    .option("--dim <name=value>", "size of a symbolic dimension of the random inputs (default 1; repeatable)", collectOption)
    .option("--seed <n>", "seed of the random inputs", "0")
    .option("--collapse-above <n>", "graphs with more nodes collapse the regions no rule touched", "400")
    .action((model: string, flags: ReportFlags) => runModelCommand(() => writeReport(model, flags)));
}

async function writeReport(model: string, flags: ReportFlags): Promise<void> {
  const collapseAbove = Number(flags.collapseAbove);
  if (!Number.isInteger(collapseAbove) || collapseAbove < 0) throw new UsageError(`--collapse-above expects a node count, got "${flags.collapseAbove}"`);
  const dims = dimSizes(flags.dim);
  const seed = parseSeed(flags.seed);
  const passes = await Promise.all((flags.pass ?? ["onnx"]).map(loadPass));
  const graph = loadGraph(model);
  const { buildReport } = await import("../../report/index.js");
  const { html, data } = await buildReport(graph, {
    model,
    passes,
    ...(flags.disable ? { disable: flags.disable } : {}),
    ...(flags.phased ? { phased: true } : {}),
    ...(flags.profile ? { profile: true } : {}),
    feeds: () => {
      checkExecutable(model, graph);
      return randomFeeds(graph, dims, seed);
    },
    collapseAbove,
  });
  writeAtomically(flags.output, html);
  const error = data.check.maxError === undefined ? `outputs not compared (${data.check.problem})` : `max output difference ${data.check.maxError.toExponential(2)}`;
  process.stdout.write(
    `${model}: ${data.before.nodes.length} → ${data.after.nodes.length} nodes, ${data.firings.length} rewrite(s), ${error}; wrote ${flags.output} (${(html.length / 1024).toFixed(0)} KiB)\n`,
  );
}
