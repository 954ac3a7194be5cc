/**
 * Per-model report for the default ONNX pack on the real models (PP-OCR cls/det/rec,
 * BlazeFace): node counts before and after `optimize`, the node count of the saved ONNX (fused
 * forms onnxruntime lacks are lowered there), onnxruntime's own "extended" level node count for
 * comparison, and how often each rule fired. Inputs get concrete shapes first, as an
 * application running the model would give them, so that shape-dependent rules can decide.
 *
 * `npx tsx bench/models.ts` (or through `npm run bench`).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { encodeOnnx, loadPass, optimize } from "../src/index.js";
import { concreteGraph, MODELS, type Model } from "./real-models.js";
import { decodeModel } from "../test/onnx/onnx-proto.js";


export interface ModelReport {
  name: string;
  before: number;
  after: number;
  saved: number;
  ortExtended: number;
  firings: Record<string, number>;
}

/** Optimizes one model with the default pack and counts nodes on every side. */
export async function measure(model: Model, scratch: string): Promise<ModelReport> {
  const graph = concreteGraph(model);
  const before = graph.nodes.size;
  const stats = optimize(graph, { passes: await loadPass("onnx") });
  const saved = decodeModel(encodeOnnx(graph)).graph!.node!.length;
  return { name: model.name, before, after: graph.nodes.size, saved, ortExtended: await ortExtendedCount(model.path, scratch), firings: stats.firings };
}

/** Nodes left by onnxruntime's "extended" graph optimization level (its CPU fusions). */
async function ortExtendedCount(path: string, scratch: string): Promise<number> {
  const out = join(scratch, "ort-extended.onnx");
  const session = await ort.InferenceSession.create(path, { graphOptimizationLevel: "extended", optimizedModelFilePath: out, logSeverityLevel: 3 });
  await session.release();
  return decodeModel(readFileSync(out)).graph!.node!.length;
}

export async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "fusec-bench-models-"));
  try {
    const reports: ModelReport[] = [];
    for (const model of MODELS) reports.push(await measure(model, scratch));
    console.log("model        nodes before  after  saved  onnxruntime extended");
    for (const r of reports) {
      console.log(`${r.name.padEnd(12)} ${String(r.before).padStart(12)} ${String(r.after).padStart(6)} ${String(r.saved).padStart(6)} ${String(r.ortExtended).padStart(21)}`);
    }
    const rules = [...new Set(reports.flatMap((r) => Object.keys(r.firings)))].sort();
    console.log(`\n${"rule firings".padEnd(52)}${reports.map((r) => r.name.padStart(12)).join("")}`);
    for (const rule of rules) {
      console.log(`${rule.padEnd(52)}${reports.map((r) => String(r.firings[rule] ?? "").padStart(12)).join("")}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
