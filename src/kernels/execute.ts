/**
 * One-shot execution: `execute(graph, inputs)` is `prepare(graph).run(inputs)`, with the
 * session kept per graph so that repeated calls plan once (session.ts re-plans after edits).
 */
import type { Graph } from "../runtime/graph.js";
import type { Tensor } from "../runtime/tensor.js";
import { prepare, type PrepareOptions, type Session } from "./session.js";

export { ExecutionError, missingKernels, type MissingKernel } from "./session.js";

export type ExecuteOptions = PrepareOptions;

const sessions = new WeakMap<Graph, { session: Session; validate: boolean }>();

/** Runs `graph` on `inputs` (by graph input name) and returns its outputs by name. */
export function execute(graph: Graph, inputs: Record<string, Tensor>, options: ExecuteOptions = {}): Record<string, Tensor> {
  const validate = options.validate ?? true;
  let cached = sessions.get(graph);
  if (!cached || cached.validate !== validate) {
    cached = { session: prepare(graph, { validate }), validate };
    sessions.set(graph, cached);
  }
  return cached.session.run(inputs);
}
