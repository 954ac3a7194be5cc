/**
 * `fusec optimize <in> -o <out>`: loads a model (.onnx or .json), applies compiled rule packs
 * (default: the onnx pack), verifies the result and writes it in the format of `-o`'s extension.
 */
import type { Command } from "commander";
import { defaultPack, foldDequantize, loadGraph, loadPass, optimize, saveGraph } from "../../index.js";
import { collect, opHistogram, runModelCommand, table } from "../model-errors.js";

interface OptimizeFlags {
  output: string;
  pass?: string[];
  disable?: string[];
  stats?: boolean;
  trace?: boolean;
  phased?: boolean;
  foldDequantize?: boolean;
}

export function register(program: Command): void {
  program
    .command("optimize")
    .description("apply fusion rules to a model and write the fused model")
    .argument("<model>", "input model (.onnx, .tflite or .json)")
    .requiredOption("-o, --output <file>", "output model (.onnx, .tflite or .json)")
    .option("--pass <name>", "rule pack: onnx, tflite or a compiled module path (repeatable; default tflite for .tflite models, else onnx)", collect)
    .option("--disable <rule>", "rule not to apply (repeatable; a family name disables all its members)", collect)
    .option("--fold-dequantize", "TFLite: fold Dequantize of constant (float16/int8) weights into float32 constants")
    .option("--phased", "run each --pass to its own fixpoint, in the order given (default: all together)")
    .option("--stats", "print rule firings and the op histogram before and after")
    .option("--trace", "print every firing and failed match")
    .action((model: string, flags: OptimizeFlags) => runModelCommand(() => optimizeModel(model, flags)));
}

async function optimizeModel(model: string, flags: OptimizeFlags): Promise<void> {
  const passes = await Promise.all((flags.pass ?? [defaultPack(model)]).map(loadPass));
  const graph = loadGraph(model);
  const dequantized = flags.foldDequantize ? foldDequantize(graph) : 0;
  const before = opHistogram(graph.nodes);
  const stats = optimize(graph, {
    passes,
    ...(flags.disable ? { disable: flags.disable } : {}),
    ...(flags.phased ? { phased: true } : {}),
    ...(flags.trace ? { trace: (line: string) => process.stdout.write(`${line}\n`) } : {}),
  });
  saveGraph(graph, flags.output);
  const fired = Object.values(stats.firings).reduce((a, b) => a + b, 0);
  const folded = dequantized > 0 ? `, ${dequantized} Dequantize folded` : "";
  process.stdout.write(`${model}: ${stats.nodesBefore + dequantized} → ${stats.nodesAfter} nodes, ${fired} rewrite(s)${folded}; wrote ${flags.output}\n`);
  if (!flags.stats) return;
  if (stats.folding) {
    const { folded, bytesBefore, bytesAfter } = stats.folding;
    process.stdout.write(`\nconstant folding: ${folded} value(s) folded; constant data ${bytesBefore} → ${bytesAfter} bytes (${bytesAfter >= bytesBefore ? "+" : ""}${bytesAfter - bytesBefore})\n`);
  }
  const after = opHistogram(graph.nodes);
  const rules = Object.entries(stats.firings).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  process.stdout.write("\nrule firings\n");
  const ruleRows: (string | number)[][] = [["rule", "fired"], ...rules.map(([name, n]) => [name, n])];
  for (const line of table(rules.length > 0 ? ruleRows : [["(no rule fired)"]])) process.stdout.write(`  ${line}\n`);
  process.stdout.write("\nop histogram\n");
  const ops = [...new Set([...before.keys(), ...after.keys()])];
  const opRows: (string | number)[][] = [["op", "before", "after"], ...ops.map((op) => [op, before.get(op) ?? 0, after.get(op) ?? 0])];
  opRows.push(["total", sum(before), sum(after)]);
  for (const line of table(opRows)) process.stdout.write(`  ${line}\n`);
}

function sum(counts: Map<string, number>): number {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}
