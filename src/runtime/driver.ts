/**
 * The greedy rewrite driver: applies passes to a graph until no rule fires.
 *
 * A worklist starts with every node in topological order. After a rule fires, only the nodes
 * whose matches may have changed are queued again: the new nodes, the readers of the replacement
 * values, the producers of the new nodes' operands, and the readers and producers of values whose
 * use count dropped. The graph is never rescanned, so the cost is linear in its size.
 *
 * Nodes requeued by a firing are handled before the rest of the initial worklist.
 *
 * At a node, each pass tries the rules rooted at the node's op (by priority, then in source
 * order) and the first that succeeds fires. Across roots the bigger match wins: when a rule
 * rooted at a reader of the node, with a higher benefit (pattern size plus priority), would
 * match through the node, its rewrite is committed instead (see `AcrossRoots`).
 *
 * Termination: each firing gets a fingerprint (pass, rule, root op and attributes, operand and
 * output names; a replacement takes the name of the value it replaces, so a rewrite undone by
 * another rule reproduces the same fingerprint). A fingerprint seen three times in a phase stops
 * the driver with a `RewriteLoopError` naming the rules of the loop and their locations. A step
 * cap catches loops that build ever-new values, and says "rewrite loop" when firings dominate.
 * Dead code is removed first (a node nobody reads still counts as a use of its operands) and
 * at the end.
 */
import { dce } from "./dce.js";
import type { Graph, Node, Value } from "./graph.js";
import type { Pass, RuleInfo } from "./pass.js";
import { opKey } from "./registry.js";
import { GraphRewriter, type Commit, type PlannedRewrite } from "./rewriter.js";

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
 * At most this many readers are requeued per firing below the direct readers of the
 * replacement values, so that a value with a huge fan-out cannot make one firing cost a walk
 * over the whole graph.
 */
const REQUEUE_LIMIT = 1024;

/**
 * A value whose use count dropped has its readers requeued only when at most this many remain:
 * a rule can test `hasOneUse` or compare `useCount` with a small number, and requeueing all
 * 100k readers of a shared constant each time one of them goes away would make the driver
 * quadratic. (Conditions comparing a use count with a number above this are not re-examined
 * when the count drops; they still see the count when anything else requeues their root.)
 */
const TOUCHED_READERS_LIMIT = 8;

/** At most this many readers of a node are asked whether a bigger rule rooted there wants it. */
const READERS_ASKED = 64;

/** Occurrences of one rewrite fingerprint that make a loop. */
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

/**
 * Recognises rules that undo each other from the state: every firing's fingerprint (a hash of
 * the rewritten region: pass, rule, root op, attributes, operand and output names) is counted
 * over the whole phase, and a fingerprint seen `CYCLE_REPEATS` times means the same region was
 * rewritten by the same rule again and again. Requeued nodes are handled before the rest of the
 * worklist, so the firings of a loop follow each other and it is named after a few firings,
 * whatever the graph's size.
 */
class LoopDetector {
  private readonly seen = new Map<string, { count: number; last: number }>();
  /** Every firing of the phase: its rule and the region (root output names) it rewrote. */
  private readonly log: { rule: RuleInfo; region: string }[] = [];

  record(fingerprint: string, rule: RuleInfo, region: string, at: string): void {
    const index = this.log.length;
    this.log.push({ rule, region });
    const entry = this.seen.get(fingerprint);
    if (!entry) {
      this.seen.set(fingerprint, { count: 1, last: index });
      return;
    }
    const previous = entry.last;
    entry.count++;
    entry.last = index;
    if (entry.count >= CYCLE_REPEATS) this.fail(previous, index, region, at);
  }

  /** The rules fired between two occurrences of one fingerprint, in order, each once. */
  private fail(from: number, to: number, region: string, at: string): never {
    const loop: RuleInfo[] = [];
    const add = (r: RuleInfo) => loop.includes(r) || loop.push(r);
    // The firings at the same region first (the rules that undo each other), else all of them.
    for (let k = from; k <= to; k++) if (this.log[k]!.region === region) add(this.log[k]!.rule);
    if (loop.length < 2) for (let k = from; k <= to; k++) add(this.log[k]!.rule);
    const names = loop.map((r) => `${r.name} (${r.location})`).join(", ");
    const what = loop.length === 1 ? "a rule keeps rewriting its own result" : "rules undo each other";
    throw new RewriteLoopError(`rewrite loop: ${what} at ${at}: ${names}; disable one of them or add a condition`, loop);
  }

  /** The rules with the most firings, for the step-cap message. */
  top(): RuleInfo[] {
    const counts = new Map<RuleInfo, number>();
    for (const { rule } of this.log) counts.set(rule, (counts.get(rule) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1]).map(([r]) => r);
  }

  get firings(): number {
    return this.log.length;
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
  const report = reportTo(options, stats);
  const across = new AcrossRoots(entries, rw, report.listening);
  // The initial worklist, in topological order; nodes requeued by a firing go to `hot`, which
  // is drained (first in, first out) before the initial list goes on.
  const queue: Node[] = graph.topoOrder();
  let hot: Node[] = [];
  let hotHead = 0;
  const queued = new QueueMarks();
  for (const n of queue) queued.add(n);
  const push = (n: Node | undefined) => {
    if (n && !queued.has(n) && graph.nodes.has(n)) {
      queued.add(n);
      hot.push(n);
    }
  };
  /** Statistics, trace, `onFire`, loop detection and requeueing for the commit just made. */
  const fired = (p: number, node: Node, inputsBefore: readonly (Value | undefined)[]) => {
    const commit = rw.lastCommit!;
    const rule = entries[p]!.pass.rules[rw.currentRule]!;
    stats.firings[rule.name] = (stats.firings[rule.name] ?? 0) + 1;
    trace?.(`fired ${rule.name} at node "${node.name}" (${rule.location})`);
    options.onFire?.(rule, commit.removed, commit.added);
    loops.record(fingerprint(p, rw.currentRule, inputsBefore, node), rule, regionOf(node), `node "${node.name}"`);
    requeue(commit, push);
  };
  let steps = 0;
  for (let head = 0; ; ) {
    let node: Node;
    if (hotHead < hot.length) {
      node = hot[hotHead++]!;
      if (hotHead > 4096 && hotHead * 2 > hot.length) {
        hot = hot.slice(hotHead);
        hotHead = 0;
      }
    } else if (head < queue.length) node = queue[head++]!;
    else break;
    queued.delete(node);
    if (!graph.nodes.has(node)) continue;
    if (++steps > maxSteps) throw capError(maxSteps, stats, loops);
    const key = opKey(node.domain, node.op);
    if (across.contested(key)) {
      // A rule rooted at a reader may want this node: the biggest match wins.
      const chosen = across.choose(node, key, report);
      if (!chosen) continue;
      const root = chosen.plan.root;
      const inputsBefore = [...root.inputs];
      rw.commitProbed(chosen.plan);
      fired(chosen.entry, root, inputsBefore);
      if (root !== node) push(node);
      continue;
    }
    for (let p = 0; p < entries.length; p++) {
      const entry = entries[p]!;
      if (!entry.roots.has(key)) continue;
      const inputsBefore = [...node.inputs];
      if (!tryPass(entry, node, rw, report)) continue;
      fired(p, node, inputsBefore);
      break;
    }
  }
  stats.steps += steps;
}

/** Where a failed candidate and an aborted rule go. */
interface FailureSink {
  /** Whether failures are wanted at all (trace or `onFail`); when not, they are not collected. */
  readonly listening: boolean;
  failed(pass: Pass, rule: number, node: Node, reason: string): void;
  aborted(): void;
  /** A trace line. */
  note(line: string): void;
}

/** Failures reported as they happen: to trace, `onFail` and the statistics. */
function reportTo(options: DriverOptions, stats: Stats): FailureSink {
  const { trace, onFail } = options;
  return {
    listening: Boolean(trace || onFail),
    failed(pass, rule, node, reason) {
      trace?.(`  ${ruleLabel(pass, rule)} failed at "${node.name}": ${reason}`);
      const info = pass.rules[rule];
      if (info) onFail?.(info, node, reason);
    },
    aborted: () => void stats.aborted++,
    note: (line) => trace?.(line),
  };
}

/** Failures kept back until it is known whether the attempt they belong to counts. */
class DeferredFailures implements FailureSink {
  private readonly kept: ((to: FailureSink) => void)[] = [];

  constructor(readonly listening: boolean) {}

  failed(pass: Pass, rule: number, node: Node, reason: string): void {
    this.kept.push((to) => to.failed(pass, rule, node, reason));
  }

  aborted(): void {
    this.kept.push((to) => to.aborted());
  }

  note(line: string): void {
    this.kept.push((to) => to.note(line));
  }

  flush(to: FailureSink): void {
    for (const f of this.kept) f(to);
  }
}

/** What a probe found: the rule that would fire at a node, its checked rewrite, and the failures before it. */
interface Probed {
  /** Index of the pass in the phase. */
  entry: number;
  rule: RuleInfo;
  benefit: number;
  /** The rule's match went through the watched node. */
  reached: boolean;
  plan: PlannedRewrite;
  failures: DeferredFailures;
}

/**
 * Benefit across roots (MLIR's benefit, applied to rules rooted at different ops). Before a
 * rule fires at a node, the readers of the node up to the depth at which bigger patterns contain
 * its op are asked, without changing the graph, which rule would fire there; when one of them
 * has a higher benefit and its match goes through the node (its pattern matched the node below
 * its root), that rewrite is committed instead, and the node is visited again afterwards. The
 * question is repeated from the reader, so the biggest match of a chain wins; each step raises
 * the benefit, so it ends. Every rewrite is checked whole before anything is committed, and the
 * chosen one is committed as checked (nothing is matched twice). Only ops that some rule
 * contains below its root with a benefit above the smallest of the rules rooted at that op are
 * handled here (`contested`); every other node is handled as if this did not exist.
 */
class AcrossRoots {
  /** Op key → the largest benefit and depth of the rules containing it below their root. */
  private readonly inner = new Map<string, { benefit: number; depth: number; roots: Set<string> }>();
  /** Op key → the smallest benefit of a rule rooted at it. */
  private readonly smallestAtRoot = new Map<string, number>();
  /** Per pass: root op key → its rule indices in the order the pass tries them. */
  private readonly order: Map<string, number[]>[];

  constructor(
    private readonly entries: readonly PassEntry[],
    private readonly rw: GraphRewriter,
    /** Whether failures are collected (to report those of the chosen rewrite). */
    private readonly listening: boolean,
  ) {
    this.order = entries.map(({ pass, disabled }) => {
      const byRoot = new Map<string, number[]>();
      pass.rules.forEach((rule, index) => {
        if (disabled.has(index)) return;
        byRoot.set(rule.root, [...(byRoot.get(rule.root) ?? []), index]);
        const b = benefitOf(rule);
        this.smallestAtRoot.set(rule.root, Math.min(b, this.smallestAtRoot.get(rule.root) ?? Infinity));
        for (const { op, depth } of rule.inner ?? []) {
          const entry = this.inner.get(op) ?? { benefit: -Infinity, depth: 0, roots: new Set<string>() };
          entry.benefit = Math.max(entry.benefit, b);
          entry.depth = Math.max(entry.depth, depth);
          entry.roots.add(rule.root);
          this.inner.set(op, entry);
        }
      });
      // Generated passes try a root's rules by priority, then in source order.
      for (const indices of byRoot.values()) indices.sort((a, b) => pass.rules[b]!.priority - pass.rules[a]!.priority || a - b);
      return byRoot;
    });
  }

  /** Some rule rooted elsewhere contains this op with a higher benefit than a rule rooted at it. */
  contested(key: string): boolean {
    const smallest = this.smallestAtRoot.get(key);
    const inner = this.inner.get(key);
    return smallest !== undefined && inner !== undefined && inner.benefit > smallest;
  }

  /**
   * The rewrite to commit for `node`: the one that would fire at it, or one at a reader that
   * takes it over; undefined when nothing would fire at `node`. The failures before the rule
   * found at `node`, and before each rule that took over, are reported.
   */
  choose(node: Node, key: string, report: FailureSink): Probed | undefined {
    const failures = new DeferredFailures(this.listening);
    const own = this.probe(node, key, undefined, failures);
    failures.flush(report);
    if (!own) return undefined;
    let best = own;
    for (let at = node; ; at = best.plan.root) {
      const bigger = this.biggerAtReaders(at, best.benefit);
      if (!bigger) return best;
      report.note(`  ${best.rule.name} at "${at.name}" (benefit ${best.benefit}) gives way to ${bigger.rule.name} at "${bigger.plan.root.name}" (benefit ${bigger.benefit})`);
      bigger.failures.flush(report);
      best = bigger;
    }
  }

  /**
   * The rewrite at a reader of `node` (within the depth at which rules contain its op) by a rule
   * whose benefit is above `benefit` and whose match goes through `node`: the highest benefit
   * wins, then the nearest reader in use order.
   */
  private biggerAtReaders(node: Node, benefit: number): Probed | undefined {
    const key = opKey(node.domain, node.op);
    const inner = this.inner.get(key);
    if (!inner || inner.benefit <= benefit) return undefined;
    let best: Probed | undefined;
    const seen = new Set<Node>([node]);
    let frontier: readonly Value[] = node.outputs;
    for (let depth = 1; depth <= inner.depth && frontier.length > 0; depth++) {
      const next: Value[] = [];
      for (const v of frontier) {
        for (const { node: reader } of v.uses) {
          if (seen.has(reader) || seen.size > READERS_ASKED) continue;
          seen.add(reader);
          next.push(...reader.outputs);
          const readerKey = opKey(reader.domain, reader.op);
          if (!inner.roots.has(readerKey)) continue;
          const floor = Math.max(benefit, best?.benefit ?? -Infinity);
          const skips = this.skipsFor(readerKey, key, depth, floor);
          if (!skips) continue;
          const found = this.probe(reader, readerKey, node, new DeferredFailures(this.listening), skips);
          if (found && found.reached && found.benefit > floor) best = found;
        }
      }
      frontier = next;
    }
    return best;
  }

  /**
   * Which rules a probe at a `root` op need not try, per pass: those the pass would try after
   * every rule that contains `inner` at `depth` or deeper with a benefit above `floor` (if one
   * of those fires first, no such rule could), and all of a pass after the last one holding
   * such a rule. Undefined when no rule qualifies.
   */
  private skipsFor(root: string, inner: string, depth: number, floor: number): (ReadonlySet<number> | "all")[] | undefined {
    const skips: (ReadonlySet<number> | "all")[] = [];
    let any = false;
    for (let p = this.entries.length - 1; p >= 0; p--) {
      const indices = this.order[p]!.get(root) ?? [];
      const rules = this.entries[p]!.pass.rules;
      let last = -1;
      indices.forEach((i, position) => {
        const rule = rules[i]!;
        if (benefitOf(rule) > floor && rule.inner?.some((o) => o.op === inner && o.depth >= depth)) last = position;
      });
      if (last >= 0) any = true;
      skips[p] = !any ? "all" : new Set(indices.slice(last + 1));
    }
    return any ? skips : undefined;
  }

  /**
   * The first rule of the phase that would fire at `node` (passes in order, each in its rule
   * order, leaving out `skips`), with its checked rewrite, found without changing the graph;
   * the failures before it go to `failures`.
   */
  private probe(
    node: Node,
    key: string,
    watched: Node | undefined,
    failures: DeferredFailures,
    skips?: readonly (ReadonlySet<number> | "all")[],
  ): Probed | undefined {
    const rw = this.rw;
    rw.probing = true;
    rw.watched = watched;
    try {
      for (let p = 0; p < this.entries.length; p++) {
        const entry = this.entries[p]!;
        const skip = skips?.[p];
        if (!entry.roots.has(key) || skip === "all") continue;
        if (!tryPass(entry, node, rw, failures, skip)) continue;
        const { rule, reachedWatched, plan } = rw.probed!;
        const info = entry.pass.rules[rule]!;
        return { entry: p, rule: info, benefit: benefitOf(info), reached: reachedWatched, plan, failures };
      }
      return undefined;
    } finally {
      rw.probing = false;
      rw.watched = undefined;
    }
  }
}

/** A rule's benefit; hand-written passes without one weigh by priority. */
function benefitOf(rule: RuleInfo): number {
  return rule.benefit ?? rule.priority;
}

/**
 * Runs one pass on `node`. A rule that throws is recorded as failed and the pass is tried again
 * with that rule skipped, so lower-priority rules still get their turn. Returns true when a rule
 * fired (its commit is `rw.lastCommit`), or, when the rewriter is probing, would fire
 * (`rw.probed`).
 */
function tryPass(entry: PassEntry, node: Node, rw: GraphRewriter, failures: FailureSink, skip?: ReadonlySet<number>): boolean {
  const { pass, disabled } = entry;
  let threwIn: Set<number> | undefined;
  for (;;) {
    rw.start(disabled, threwIn && skip ? new Set([...threwIn, ...skip]) : (threwIn ?? skip));
    let error: unknown;
    let claimed = false;
    try {
      claimed = pass.apply(rw, node);
    } catch (e) {
      error = e;
    }
    if (failures.listening) for (const f of rw.failures) failures.failed(pass, f.rule, node, f.reason);
    if (rw.lastCommit || rw.probed) return true;
    rw.dropStaged();
    if (error === undefined) {
      if (claimed) failures.note(`  ${pass.name} claimed a rewrite at "${node.name}" but committed none`);
      return false;
    }
    failures.aborted();
    const reason = error instanceof Error ? error.message : String(error);
    failures.failed(pass, rw.currentRule, node, reason);
    if (rw.currentRule < 0 || threwIn?.has(rw.currentRule)) return false;
    (threwIn ??= new Set()).add(rw.currentRule);
  }
}

function ruleLabel(pass: Pass, index: number): string {
  return pass.rules[index]?.name ?? `${pass.name} (before any rule)`;
}

/**
 * The rewritten region: the root's op, attributes, operand and output names (a replacement
 * takes the name of the value it replaces, so a rewrite undone and redone gives the same one).
 */
function fingerprint(pass: number, rule: number, inputs: readonly (Value | undefined)[], root: Node): string {
  let s = `${pass}:${rule}:${root.domain}:${root.op}(`;
  for (const v of inputs) s += `${v ? v.name : ""},`;
  s += ")->";
  s += regionOf(root);
  s += attrsKey(root);
  return s;
}

function regionOf(root: Node): string {
  let s = "";
  for (const v of root.outputs) s += `${v.name},`;
  return s;
}

/** The attributes, small ones spelled out, tensors by identity-free shape and size. */
function attrsKey(node: Node): string {
  let s = "";
  for (const [k, a] of Object.entries(node.attrs)) {
    if (a.type === "tensor") s += `|${k}:t${a.value.shape.join("x")}`;
    else if (a.type === "opaque") s += `|${k}:o${a.value.length}`;
    else s += `|${k}:${JSON.stringify(a.value)}`;
  }
  return s;
}

/**
 * Queues the nodes whose matches a commit may have changed: the new nodes, the producers of
 * their operands and of values whose use count dropped, the readers of a value whose use count
 * dropped to `TOUCHED_READERS_LIMIT` or fewer, and every reader within `PATTERN_DEPTH` levels
 * below the replacement values (a pattern rooted there may look down to the changed node), up
 * to `REQUEUE_LIMIT` nodes below the direct readers. The work per firing is bounded by the
 * size of the rewritten region and the fan-out of the values it replaced, never by the fan-out
 * of a value it only read, so the driver stays linear in nodes + edges.
 */
function requeue(commit: Commit, push: (n: Node | undefined) => void): void {
  for (const n of commit.added) push(n);
  for (const n of commit.added) for (const v of n.inputs) push(v?.producer);
  const level: Value[] = [...commit.replacements];
  for (const v of commit.touched) {
    push(v.producer);
    if (v.uses.length <= TOUCHED_READERS_LIMIT) level.push(v);
  }
  const seen = new Set<Node>();
  let frontier = level;
  for (let depth = 0; depth < PATTERN_DEPTH && frontier.length > 0; depth++) {
    const next: Value[] = [];
    for (const v of frontier) {
      for (const { node } of v.uses) {
        if (seen.has(node) || (depth > 0 && seen.size >= REQUEUE_LIMIT)) continue;
        seen.add(node);
        push(node);
        for (const out of node.outputs) next.push(out);
      }
    }
    frontier = next;
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

/**
 * The step cap was reached. Firings that outnumber the steps' share of real progress mean rules
 * that keep building new values (a loop the fingerprints cannot see): the message says so and
 * names the rules that fired most, with their locations.
 */
function capError(maxSteps: number, stats: Stats, loops: LoopDetector): Error {
  const top = loops.top().slice(0, 5);
  const named = top.map((r) => `${r.name} ×${stats.firings[r.name] ?? 0} (${r.location})`).join(", ");
  if (top.length > 0 && loops.firings * 4 >= maxSteps) {
    return new RewriteLoopError(
      `rewrite loop: rewriting did not settle within ${maxSteps} steps; rules keep firing on values they create: ${named}; disable one of them or add a condition`,
      top,
    );
  }
  return new Error(`rewriting did not settle within ${maxSteps} steps (most firings: ${named || "none"})`);
}
