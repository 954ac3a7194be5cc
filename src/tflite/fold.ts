/**
 * `--fold-dequantize`: every tfl Dequantize of a constant (float16 or int8 weights) becomes the
 * float32 constant it computes. The model gets bigger and loses the Dequantize ops; a user who
 * wants float weights (or a runtime without Dequantize) asks for it. Returns how many folded.
 */
import type { Graph } from "../runtime/graph.js";
import { lookupOp } from "../runtime/registry.js";

export function foldDequantize(graph: Graph): number {
  const def = lookupOp("tfl", "Dequantize");
  if (!def) throw new Error("the tfl Dequantize kernel is not registered (import fusec's kernels)");
  let folded = 0;
  for (const node of graph.topoOrder()) {
    if (node.domain !== "tfl" || node.op !== "Dequantize") continue;
    const input = node.inputs[0];
    if (!input?.constant) continue;
    const [value] = def.kernel([input.constant], node.attrs, 1);
    const out = node.outputs[0]!;
    const constant = graph.addConstant(value!, out.name.replace(/_dequantize$/, "") || "dequantized");
    graph.replaceAllUses(out, constant);
    graph.removeNode(node);
    graph.removeConstant(input);
    folded++;
  }
  return folded;
}
