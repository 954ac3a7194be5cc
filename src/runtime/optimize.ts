/** `optimize`: apply passes to a fixpoint, then verify the result (platform-neutral). */
import { applyPasses, type DriverOptions, type Stats } from "./driver.js";
import type { Graph } from "./graph.js";
import type { Pass } from "./pass.js";
import { verify } from "./verify.js";
import { foldConstants, type FoldStats } from "./fold.js";

export interface OptimizeOptions extends Pick<DriverOptions, "onFire" | "onFail"> {
  /** The passes to apply (all together, to a fixpoint). */
  passes: Pass | readonly Pass[];
  /** Rule names not to apply (`Name` disables a whole rule family). */
  disable?: readonly string[];
  /** Run each pass to its own fixpoint, in order, instead of all together. */
  phased?: boolean;
  /** Receives one line per firing and per failed candidate. */
  trace?: (line: string) => void;
  /** Fold constants before and after the passes (default true). */
  fold?: boolean;
}

/** The driver's statistics, and what constant folding did (before the passes and after, summed). */
export type OptimizeStats = Stats & { folding?: FoldStats };

/** A graph that fails verification after optimization: a rule broke it. */
export class InvalidGraphError extends Error {
  constructor(readonly problems: readonly string[]) {
    const shown = problems.slice(0, 3).join("; ");
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    super(`the optimized graph is invalid: ${shown}${more}`);
    this.name = "InvalidGraphError";
  }
}

/** Applies the passes to `graph` in place, then verifies it; returns the driver's statistics. */
export function optimize(graph: Graph, options: OptimizeOptions): OptimizeStats {
  const nodesBefore = graph.nodes.size;
  const fold = options.fold !== false;
  const first = fold ? foldConstants(graph) : undefined;
  const stats = applyPasses(graph, options.passes, {
    ...(options.disable ? { disable: options.disable } : {}),
    ...(options.phased ? { phased: true } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    ...(options.onFire ? { onFire: options.onFire } : {}),
    ...(options.onFail ? { onFail: options.onFail } : {}),
  });
  const second = fold ? foldConstants(graph) : undefined;
  const problems = verify(graph);
  if (problems.length > 0) throw new InvalidGraphError(problems);
  const folding = first && second
    ? { folded: first.folded + second.folded, nodesRemoved: first.nodesRemoved + second.nodesRemoved, bytesBefore: first.bytesBefore, bytesAfter: second.bytesAfter }
    : undefined;
  return { ...stats, nodesBefore, nodesAfter: graph.nodes.size, ...(folding ? { folding } : {}) };
}
