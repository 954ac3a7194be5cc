/**
 * `fusec inspect <model>`: what a model holds — opsets, inputs and outputs with their types,
 * parameter count, the op histogram and the ops fusec has no kernel for.
 */
import type { Command } from "commander";
import { loadGraph, numel, type Dim, type Graph } from "../../index.js";
import { missingKernels } from "../../kernels/execute.js";
import { opHistogram, runModelCommand, table } from "../model-errors.js";

export function register(program: Command): void {
  program
    .command("inspect")
    .description("print a model's inputs, outputs, opsets, parameter count and op histogram")
    .argument("<model>", "model (.onnx, .tflite or .json)")
    .action((model: string) => runModelCommand(() => void process.stdout.write(describeModel(model, loadGraph(model)))));
}

function typeText(dtype: string | undefined, shape: Dim[] | undefined): string {
  return `${dtype ?? "?"}[${shape ? shape.join(", ") : "?"}]`;
}

function describeModel(path: string, graph: Graph): string {
  const lines: string[] = [path];
  const opsets = graph.meta["opsets"] as Record<string, number> | undefined;
  if (opsets) {
    lines.push(`opsets: ${Object.entries(opsets).map(([d, v]) => `${d || "ai.onnx"} ${v}`).join(", ")}`);
  }
  lines.push("inputs:");
  for (const line of table(graph.inputs.map((v) => [v.name, typeText(v.dtype, v.shape)]))) lines.push(`  ${line}`);
  lines.push("outputs:");
  for (const line of table(graph.outputs.map((v) => [v.name, typeText(v.dtype, v.shape)]))) lines.push(`  ${line}`);
  let parameters = 0;
  for (const c of graph.constants) parameters += numel(c.constant!.shape);
  lines.push(`parameters: ${parameters} in ${graph.constants.size} constants`);
  lines.push(`nodes: ${graph.nodes.size}`);
  for (const line of table([...opHistogram(graph.nodes)].map(([op, n]) => [op, n]))) lines.push(`  ${line}`);
  const missing = missingKernels(graph);
  if (missing.length === 0) lines.push("cannot run: none (every op has a kernel)");
  else {
    lines.push(`cannot run: ${missing.length} op${missing.length > 1 ? "s" : ""} without a kernel`);
    for (const line of table(missing.map((m) => [m.op, `${m.nodes.length} node${m.nodes.length > 1 ? "s" : ""}`]))) lines.push(`  ${line}`);
  }
  return `${lines.join("\n")}\n`;
}
