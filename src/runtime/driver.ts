/**
 * The greedy rewrite driver: applies passes to a graph until no rule fires.
 *
 * A worklist starts with every node in topological order. After a rule fires, only the nodes
 * whose matches may have changed are queued again: the new nodes, the readers of the replacement
 * values, the producers of the new nodes' operands, and the readers and producers of values whose
 * use count dropped. The graph is never rescanned, so the cost is linear in its size.
 *
 * Termination: each firing gets a fingerprint (pass, rule, operand names, output names; a
 * replacement takes the name of the value it replaces, so a rewrite undone by another rule
 * reproduces the same fingerprint). A fingerprint seen three times within the last
 * `CYCLE_WINDOW` firings stops the driver with a `RewriteLoopError` naming every rule fired in
 * the loop and its location. An iteration cap catches loops that build ever-new values.
 * Dead code is removed first (a node nobody reads still counts as a use of its operands) and
 * at the end.
 */
import { dce } from "./dce.js";
import type { Graph, Node, Value } from "./graph.js";
import type { Pass, RuleInfo } from "./pass.js";
import { opKey } from "./registry.js";
import { GraphRewriter, type Commit } from "./rewriter.js";

export interface DriverOptions {
  /** Rule names not to apply (`Name` also disables every `Name[…]` of a rule family). */
  disable?: readonly string[];
  /** Groups of passes run one after the other, each to its own fixpoint (overrides `passes`). */
  phases?: readonly (readonly Pass[])[];
  /** Run each of `passes` to its own fixpoint, in order, instead of all together. */
  phased?: boolean;
  /** Cap on worklist steps per phase (default 10 × nodes + 1000). */
  maxIterations?: number;
  /** Receives one line per firing and per failed candidate. */
  trace?: (line: string) => void;
  /**
   * Called after each firing: the rule, the nodes the rewrite removed (the root and the matched
   * nodes nobody reads any more) and the nodes it added. Chaining these gives each node of the
   * result the original nodes it stands for.
   */
  onFire?: (rule: RuleInfo, removed: readonly Node[], added: readonly Node[]) => void;
  /** Called for each failed candidate: the rule, the root it was tried on, and why it failed. */
  onFail?: (rule: RuleInfo, root: Node, reason: string) => void;
}

export interface Stats {
  /** Firings per rule name. */
  firings: Record<string, number>;
  /** Rules started (`begin`) on a candidate root. */
  attempts: number;
  /** Rule attempts ended by an exception (RewriteAbort or a bug in the rule). */
  aborted: number;
  /** Worklist steps. */
  steps: number;
  nodesBefore: number;
  nodesAfter: number;
}

/** Rules that keep undoing each other; `rules` lists each rule of the loop once. */
export class RewriteLoopError extends Error {
  constructor(
    message: string,
    readonly rules: readonly RuleInfo[],
  ) {
    super(message);
    this.name = "RewriteLoopError";
  }
}

/**
 * How many levels below a changed value a rule's root may sit (the deepest pattern of the
 * standard packs, a spelled-out layer normalization, spans 7).
 */
const PATTERN_DEPTH = 8;

/**
 * At most this many readers are requeued per firing, so that a value with a huge fan-out cannot
 * make one firing cost a walk over the whole graph (the driver stays linear). The direct readers
 * of the replacement values are always requeued; only the deeper levels are cut.
 */
const REQUEUE_LIMIT = 1024;

/** How far back (in firings) a repeated fingerprint counts as a loop. */
const CYCLE_WINDOW = 256;
/** Occurrences of one fingerprint within the window that make a loop. */
const CYCLE_REPEATS = 3;

/** Applies `passes` (or `options.phases`) greedily to a fixpoint; returns statistics. */
export function applyPasses(graph: Graph, passes: Pass | readonly Pass[], options: DriverOptions = {}): Stats {
  const list = Array.isArray(passes) ? (passes as readonly Pass[]) : [passes as Pass];
  const phases = options.phases ?? (options.phased ? list.map((p) => [p]) : [list]);
  const disabled = disabledRules(phases.flat(), options.disable ?? []);
  const rw = new GraphRewriter(graph);
  const stats: Stats = { firings: {}, attempts: 0, aborted: 0, steps: 0, nodesBefore: graph.nodes.size, nodesAfter: 0 };
  // Dead readers would make `hasOneUse` fail and block rewrites of the values they read.
  dce(graph);
  for (const phase of phases) runPhase(graph, phase, rw, disabled, options, stats);
  dce(graph);
  stats.attempts = rw.attempts;
  stats.nodesAfter = graph.nodes.size;
  return stats;
}

/** Per pass: the rule indices disabled by name; unknown names are an error listing known ones. */
function disabledRules(passes: readonly Pass[], names: readonly string[]): Map<Pass, Set<number>> {
  const result = new Map<Pass, Set<number>>(passes.map((p) => [p, new Set<number>()]));
  for (const name of names) {
    let found = false;
    for (const pass of passes) {
      pass.rules.forEach((r, i) => {
        if (r.name === name || r.name.startsWith(`${name}[`)) {
          result.get(pass)!.add(i);
          found = true;
        }
      });
    }
    if (!found) {
      const known = [...new Set(passes.flatMap((p) => p.rules.map((r) => r.name)))].sort();
      throw new Error(`unknown rule "${name}" in disable list; known rules: ${known.join(", ") || "(none)"}`);
    }
  }
  return result;
}

interface PassEntry {
  pass: Pass;
  roots: Set<string>;
  disabled: Set<number>;
}

/** Recent firings, to recognise rules that undo each other. */
class LoopDetector {
  private readonly ring: ({ fingerprint: string; rule: RuleInfo; at: string } | undefined)[] = new Array(CYCLE_WINDOW);
  private readonly counts = new Map<string, number>();
  private fired = 0;

  record(fingerprint: string, rule: RuleInfo, at: string): void {
    const slot = this.fired++ % CYCLE_WINDOW;
    const evicted = this.ring[slot];
    if (evicted) {
      const left = this.counts.get(evicted.fingerprint)! - 1;
      if (left === 0) this.counts.delete(evicted.fingerprint);
      else this.counts.set(evicted.fingerprint, left);
    }
    this.ring[slot] = { fingerprint, rule, at };
    const count = (this.counts.get(fingerprint) ?? 0) + 1;
    this.counts.set(fingerprint, count);
    if (count >= CYCLE_REPEATS) this.fail(fingerprint, at);
  }

  private fail(fingerprint: string, at: string): never {
    // Walk back from the newest firing to the previous occurrence of this fingerprint.
    const loop: RuleInfo[] = [];
    for (let k = 1; k < Math.min(this.fired, CYCLE_WINDOW); k++) {
      const entry = this.ring[(this.fired - 1 - k + CYCLE_WINDOW) % CYCLE_WINDOW]!;
      if (!loop.includes(entry.rule)) loop.unshift(entry.rule);
      if (entry.fingerprint === fingerprint) break;
    }
    const names = loop.map((r) => `${r.name} (${r.location})`).join(", ");
    throw new RewriteLoopError(`rules undo each other at ${at}: ${names}; disable one of them or add a condition`, loop);
  }
}

function runPhase(
  graph: Graph,
  passes: readonly Pass[],
  rw: GraphRewriter,
  disabled: Map<Pass, Set<number>>,
  options: DriverOptions,
  stats: Stats,
): void {
  const entries: PassEntry[] = passes.map((pass) => ({
    pass,
    roots: new Set(pass.rules.map((r) => r.root)),
    disabled: disabled.get(pass) ?? new Set(),
  }));
  const trace = options.trace;
  const maxSteps = options.maxIterations ?? 10 * graph.nodes.size + 1000;
  const loops = new LoopDetector();
  const queue: Node[] = graph.topoOrder();
  const queued = new QueueMarks();
  for (const n of queue) queued.add(n);
  const push = (n: Node | undefined) => {
    if (n && !queued.has(n) && graph.nodes.has(n)) {
      queued.add(n);
      queue.push(n);
    }
  };
  let steps = 0;
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    queued.delete(node);
    if (!graph.nodes.has(node)) continue;
    if (++steps > maxSteps) throw capError(maxSteps, stats);
    const key = opKey(node.domain, node.op);
    for (let p = 0; p < entries.length; p++) {
      const entry = entries[p]!;
      if (!entry.roots.has(key)) continue;
      const inputsBefore = node.inputs;
      const commit = tryPass(entry, node, rw, stats, options);
      if (!commit) continue;
      const rule = entry.pass.rules[rw.currentRule]!;
      stats.firings[rule.name] = (stats.firings[rule.name] ?? 0) + 1;
      trace?.(`fired ${rule.name} at node "${node.name}" (${rule.location})`);
      options.onFire?.(rule, commit.removed, commit.added);
      loops.record(fingerprint(p, rw.currentRule, inputsBefore, node), rule, `node "${node.name}"`);
      requeue(commit, push);
      break;
    }
  }
  stats.steps += steps;
}

/**
 * Runs one pass on `node`. A rule that throws is recorded as failed and the pass is tried again
 * with that rule skipped, so lower-priority rules still get their turn. Returns the commit if a
 * rule fired.
 */
function tryPass(
  entry: PassEntry,
  node: Node,
  rw: GraphRewriter,
  stats: Stats,
  options: DriverOptions,
): Commit | undefined {
  const { pass, disabled } = entry;
  const { trace, onFail } = options;
  const failed = (rule: number, reason: string) => {
    trace?.(`  ${ruleLabel(pass, rule)} failed at "${node.name}": ${reason}`);
    const info = pass.rules[rule];
    if (info) onFail?.(info, node, reason);
  };
  let threwIn: Set<number> | undefined;
  for (;;) {
    rw.start(disabled, threwIn);
    let error: unknown;
    let claimed = false;
    try {
      claimed = pass.apply(rw, node);
    } catch (e) {
      error = e;
    }
    if (trace || onFail) for (const f of rw.failures) failed(f.rule, f.reason);
    if (rw.lastCommit) return rw.lastCommit;
    rw.dropStaged();
    if (error === undefined) {
      if (claimed) trace?.(`  ${pass.name} claimed a rewrite at "${node.name}" but committed none`);
      return undefined;
    }
    stats.aborted++;
    const reason = error instanceof Error ? error.message : String(error);
    failed(rw.currentRule, reason);
    if (rw.currentRule < 0 || threwIn?.has(rw.currentRule)) return undefined;
    (threwIn ??= new Set()).add(rw.currentRule);
  }
}

function ruleLabel(pass: Pass, index: number): string {
  return pass.rules[index]?.name ?? `${pass.name} (before any rule)`;
}

/** Operand and output names of the rewritten root: stable when a rewrite is undone and redone. */
function fingerprint(pass: number, rule: number, inputs: readonly (Value | undefined)[], root: Node): string {
  let s = `${pass}:${rule}:${root.op}(`;
  for (const v of inputs) s += `${v ? v.name : ""},`;
  s += ")->";
  for (const v of root.outputs) s += `${v.name},`;
  return s;
}

/**
 * Queues the nodes whose matches a commit may have changed: the new nodes, the producers of
 * their operands and of values whose use count dropped, and every reader within
 * `PATTERN_DEPTH` levels below the replacement values and those values (a pattern rooted
 * there may look down to the changed node, or test `hasOneUse` of a value far above its root),
 * up to `REQUEUE_LIMIT` nodes.
 */
function requeue(commit: Commit, push: (n: Node | undefined) => void): void {
  for (const n of commit.added) push(n);
  for (const n of commit.added) for (const v of n.inputs) push(v?.producer);
  for (const v of commit.touched) push(v.producer);
  let level: Value[] = [...commit.replacements, ...commit.touched];
  const seen = new Set<Node>();
  for (let depth = 0; depth < PATTERN_DEPTH && level.length > 0; depth++) {
    const next: Value[] = [];
    for (const v of level) {
      for (const { node } of v.uses) {
        if (seen.has(node) || (depth > 0 && seen.size >= REQUEUE_LIMIT)) continue;
        seen.add(node);
        push(node);
        for (const out of node.outputs) next.push(out);
      }
    }
    level = next;
  }
}

/**
 * Which nodes are in the worklist, as a bitmap indexed by node id (ids are small increasing
 * integers): unlike a Set of a million nodes it costs the garbage collector nothing to scan.
 */
class QueueMarks {
  private marks = new Uint8Array(1024);

  has(n: Node): boolean {
    return n.id < this.marks.length && this.marks[n.id] === 1;
  }

  add(n: Node): void {
    if (n.id >= this.marks.length) {
      const grown = new Uint8Array(Math.max(n.id + 1, this.marks.length * 2));
      grown.set(this.marks);
      this.marks = grown;
    }
    this.marks[n.id] = 1;
  }

  delete(n: Node): void {
    if (n.id < this.marks.length) this.marks[n.id] = 0;
  }
}

function capError(maxSteps: number, stats: Stats): Error {
  const top = Object.entries(stats.firings)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, n]) => `${name} ×${n}`)
    .join(", ");
  return new Error(`rewriting did not settle within ${maxSteps} steps (most firings: ${top || "none"})`);
}
