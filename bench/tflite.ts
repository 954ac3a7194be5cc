/**
 * `npm run bench:tflite`: every MediaPipe model the issue lists (pose_landmark_heavy included),
 * loaded, run by fusec's executor and by TFLite's interpreter, optimized with the tflite pack,
 * saved, and the saved file run by TFLite again. Prints one markdown table: ops, ops with a
 * fused activation before/after the pack, node count before/after, fusec's error against
 * TFLite, the saved file's error against the original in TFLite, and load/save times.
 * Errors are max|a − b| / max(1, max|reference|) over all outputs, on smooth inputs in [0, 1).
 */
import { decodeTflite, encodeTflite } from "../src/tflite/index.js";
import { loadPass, optimize } from "../src/index.js";
import type { Graph } from "../src/runtime/graph.js";
import { imageInputs, MODELS, modelBytes, runFusec, scaledError, withBuiltinTransposeConv, type ModelName } from "../test/tflite/helpers.js";
import { runInterpreter } from "../test/tflite/interpreter.js";

function fusedOps(g: Graph): number {
  let n = 0;
  for (const node of g.nodes) {
    const act = node.attrs["fused_activation_function"];
    if (act?.type === "string" && act.value !== "NONE") n++;
  }
  return n;
}

function opsText(g: Graph): string {
  const h = new Map<string, number>();
  for (const n of g.nodes) h.set(n.op, (h.get(n.op) ?? 0) + 1);
  return [...h].sort((a, b) => b[1] - a[1]).map(([op, k]) => `${op} ${k}`).join(", ");
}

export async function main(): Promise<void> {
  const pack = await loadPass("tflite");
  const rows: string[] = [
    "| model | ops (by kind) | nodes before → after pack | fused-activation ops before → after | fusec vs TFLite | saved (optimized) vs original, in TFLite | load ms | save ms |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const name of Object.keys(MODELS) as ModelName[]) {
    const bytes = modelBytes(name);
    let t = performance.now();
    const g = decodeTflite(bytes, name);
    const loadMs = performance.now() - t;
    const inputs = imageInputs(g);
    const ours = runFusec(g, inputs);
    const custom = [...g.nodes].some((n) => n.op === "Convolution2DTransposeBias");
    const reference = await runInterpreter(custom ? encodeTflite(withBuiltinTransposeConv(decodeTflite(bytes))) : bytes, inputs);
    const errFusec = Math.max(...ours.map((o, i) => scaledError(o.data as Float32Array, reference[i]!.data)));
    const before = g.nodes.size;
    const fusedBefore = fusedOps(g);
    const ops = opsText(g);
    optimize(g, { passes: pack });
    t = performance.now();
    const saved = encodeTflite(g, name);
    const saveMs = performance.now() - t;
    const after = await runInterpreter(custom ? encodeTflite(withBuiltinTransposeConv(decodeTflite(saved))) : saved, inputs);
    const errSaved = Math.max(...after.map((o, i) => scaledError(o.data, reference[i]!.data)));
    rows.push(`| ${name} | ${ops} | ${before} → ${g.nodes.size} | ${fusedBefore} → ${fusedOps(g)} | ${errFusec.toExponential(1)} | ${errSaved.toExponential(1)} | ${loadMs.toFixed(0)} | ${saveMs.toFixed(0)} |`);
    console.error(`${name} done`);
  }
  console.log(rows.join("\n"));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
