/**
 * Values that a node's subgraphs (ONNX If/Loop/Scan bodies, kept as opaque attributes) read from
 * the enclosing graph by name. They are the node's last inputs in the IR, so that use counts,
 * dead-code removal, rewrites and topological order all see them; this map holds, per node, the
 * names the subgraphs read them by. A saved model writes only the inputs before them.
 */
import type { Node, Value } from "./graph.js";

/** Per node: the names its subgraphs read, one per trailing captured input. */
export const capturedNames = new WeakMap<Node, readonly string[]>();

/** The values `node`'s subgraphs read, with the names they read them by (empty for most nodes). */
export function capturesOf(node: Node): { value: Value; name: string }[] {
  const names = capturedNames.get(node);
  if (!names) return [];
  const first = node.inputs.length - names.length;
  return names.map((name, i) => ({ value: node.inputs[first + i]!, name }));
}
