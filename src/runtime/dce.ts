/**
 * Dead-code elimination: removes nodes none of whose outputs is read (by a node or as a graph
 * output), transitively, and constants that nothing reads. Linear in the graph size.
 */
import type { Graph, Node, Value } from "./graph.js";

/** Removes dead nodes and unread constants; returns how many nodes were removed. */
export function dce(graph: Graph): number {
  const outputs = new Set<Value>(graph.outputs);
  const isDead = (n: Node) => n.outputs.every((o) => o.uses.length === 0 && !outputs.has(o));
  const stack: Node[] = [];
  for (const n of graph.nodes) if (isDead(n)) stack.push(n);
  let removed = 0;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!graph.nodes.has(node) || !isDead(node)) continue;
    const inputs = node.inputs.filter((v): v is Value => v !== undefined);
    graph.removeNode(node);
    removed++;
    for (const v of inputs) {
      if (v.uses.length === 0 && !outputs.has(v) && v.producer) stack.push(v.producer);
    }
  }
  for (const c of [...graph.constants]) {
    if (c.uses.length === 0 && !outputs.has(c)) graph.constants.delete(c);
  }
  return removed;
}
