/**
 * What a fusion report shows, gathered as plain data: the graph before and after, which original
 * nodes each node of the result stands for (provenance, chained through the driver's `onFire`),
 * per rule its firings, matched nodes and first failure, op histograms, the largest output
 * difference on random inputs and, optionally, time per op.
 */
import type { Graph, Node, Pass, RuleInfo, Tensor } from "../index.js";
import { execute, optimize } from "../index.js";
import { outputError } from "../verify/compare.js";
import { lookupOp } from "../runtime/registry.js";

/** One node of a drawn graph. `key` is unique within the report (`b12`, `a3`). */
export interface NodeView {
  key: string;
  name: string;
  /** `Conv`, or `domain::Op` outside the standard domain. */
  op: string;
  /** Names of the values read and written (absent optionals dropped; constants left out). */
  inputs: string[];
  outputs: string[];
  /** Short `name=value` attribute summary, for tooltips. */
  attrs: string;
}

export interface GraphView {
  nodes: NodeView[];
  inputs: string[];
  outputs: string[];
}

/** A node of the result built by rules, and the original nodes it replaced. */
export interface FusedNode {
  /** Key in the "after" graph. */
  key: string;
  /** Keys in the "before" graph. */
  origins: string[];
  /** Rules whose firings built it (a chain: the last one built it, earlier ones its parts). */
  rules: string[];
}

export interface Firing {
  rule: string;
  /** The root the rule matched. */
  root: string;
  /** Nodes the rewrite removed (as they were when it fired) and the nodes it added. */
  matched: { name: string; op: string }[];
  added: { name: string; op: string }[];
}

export interface RuleReport {
  name: string;
  location: string;
  root: string;
  match: string;
  result: string;
  fired: number;
  /** Distinct nodes this rule's firings removed. */
  matchedNodes: number;
  /** Candidates the rule was tried on and rejected. */
  failures: number;
  /**
   * Where the rule came closest to firing without firing: the first rejection by its `where`
   * condition or later (the whole pattern matched), else its first rejection of all.
   */
  firstFailure?: { node: string; reason: string };
}

export interface OutputCheck {
  /** Largest relative error over the outputs (`fusec verify`'s measure), when both runs worked. */
  maxError?: number;
  /** Why the outputs could not be compared. */
  problem?: string;
  /** The random input shapes used. */
  inputs: { name: string; shape: number[] }[];
}

export interface OpTime {
  op: string;
  ms: number;
  nodes: number;
}

export interface ReportData {
  model: string;
  passes: string[];
  before: GraphView;
  after: GraphView;
  fused: FusedNode[];
  /** Before-graph keys of nodes the rules replaced. */
  replaced: string[];
  /** Before-graph keys of nodes removed as dead code (nobody read them). */
  dead: string[];
  firings: Firing[];
  rules: RuleReport[];
  histogram: { op: string; before: number; after: number }[];
  check: OutputCheck;
  /** Per-op time before and after (present with `profile`). */
  profile?: { before: OpTime[]; after: OpTime[] };
}

export interface CollectOptions {
  model: string;
  passes: readonly Pass[];
  disable?: readonly string[];
  phased?: boolean;
  /** Random inputs for the output comparison (and the profile). */
  feeds?: () => Record<string, Tensor>;
  profile?: boolean;
}

/** Optimizes `graph` in place and gathers everything the report shows. */
export function collect(graph: Graph, options: CollectOptions): ReportData {
  const beforeKeys = new Map<Node, string>();
  const before = viewOf(graph, (n, i) => {
    const key = `b${i}`;
    beforeKeys.set(n, key);
    return key;
  });
  let feeds: Record<string, Tensor> | undefined;
  let reference: Record<string, Tensor> | undefined;
  const check: OutputCheck = { inputs: [] };
  try {
    feeds = options.feeds?.();
    if (feeds) {
      check.inputs = Object.entries(feeds).map(([name, t]) => ({ name, shape: [...t.shape] }));
      reference = execute(graph, feeds);
    }
  } catch (e) {
    check.problem = `the original model did not run: ${message(e)}`;
  }
  const profileBefore = options.profile && feeds && reference ? profileOps(graph, feeds) : undefined;

  // Provenance: every node a firing adds stands for the original nodes of those it removed.
  const origins = new Map<Node, Set<string>>();
  const builtBy = new Map<Node, string[]>();
  const firings: Firing[] = [];
  /** Before-graph keys of every original node a firing removed (directly or through a fused node). */
  const removedByRules = new Set<string>();
  type Failure = { node: string; reason: string };
  const perRule = new Map<string, { removed: Set<string>; failures: number; first?: Failure; closest?: Failure }>();
  const ruleEntry = (rule: RuleInfo) => {
    let entry = perRule.get(rule.name);
    if (!entry) perRule.set(rule.name, (entry = { removed: new Set(), failures: 0 }));
    return entry;
  };
  const stats = optimize(graph, {
    passes: options.passes,
    ...(options.disable ? { disable: options.disable } : {}),
    ...(options.phased ? { phased: true } : {}),
    onFire(rule, removed, added) {
      const from = new Set<string>();
      const chain = new Set<string>();
      for (const r of removed) {
        for (const key of origins.get(r) ?? [beforeKeys.get(r)]) if (key) from.add(key);
        for (const name of builtBy.get(r) ?? []) chain.add(name);
      }
      chain.add(rule.name);
      for (const key of from) removedByRules.add(key);
      for (const a of added) {
        origins.set(a, from);
        builtBy.set(a, [...chain]);
      }
      const entry = ruleEntry(rule);
      for (const r of removed) entry.removed.add(`${r.id}`);
      const root = removed[0];
      firings.push({
        rule: rule.name,
        root: root?.name ?? "",
        matched: removed.map((n) => ({ name: n.name, op: opLabel(n) })),
        added: added.map((n) => ({ name: n.name, op: opLabel(n) })),
      });
    },
    onFail(rule, root, reason) {
      const entry = ruleEntry(rule);
      entry.failures++;
      entry.first ??= { node: root.name, reason };
      // Generated matchers test the pattern first; a failed condition, or a throw while
      // building the result, means the whole pattern matched.
      if (!PATTERN_FAILURE.test(reason)) entry.closest ??= { node: root.name, reason };
    },
  });

  const fused: FusedNode[] = [];
  const after = viewOf(graph, (n, i) => {
    const key = `a${i}`;
    const from = origins.get(n);
    if (from) fused.push({ key, origins: [...from].sort(byKey), rules: builtBy.get(n) ?? [] });
    return key;
  });
  const replaced: string[] = [];
  const dead: string[] = [];
  for (const [node, key] of beforeKeys) {
    if (graph.nodes.has(node)) continue;
    if (removedByRules.has(key)) replaced.push(key);
    else dead.push(key);
  }

  if (reference && feeds) {
    try {
      const outputs = execute(graph, feeds);
      check.maxError = Math.max(0, ...Object.entries(reference).map(([name, t]) => outputError(t, outputs[name])));
    } catch (e) {
      check.problem = `the fused model did not run: ${message(e)}`;
    }
  }
  const profileAfter = profileBefore && check.maxError !== undefined ? profileOps(graph, feeds!) : undefined;

  const rules: RuleReport[] = options.passes.flatMap((pass) =>
    pass.rules.map((r) => {
      const entry = perRule.get(r.name);
      return {
        name: r.name,
        location: r.location,
        root: r.root,
        match: r.match,
        result: r.result,
        fired: stats.firings[r.name] ?? 0,
        matchedNodes: entry?.removed.size ?? 0,
        failures: entry?.failures ?? 0,
        ...(entry?.closest || entry?.first ? { firstFailure: (entry.closest ?? entry.first)! } : {}),
      };
    }),
  );
  const count = (view: GraphView) => {
    const m = new Map<string, number>();
    for (const n of view.nodes) m.set(n.op, (m.get(n.op) ?? 0) + 1);
    return m;
  };
  const hb = count(before);
  const ha = count(after);
  const histogram = [...new Set([...hb.keys(), ...ha.keys()])]
    .map((op) => ({ op, before: hb.get(op) ?? 0, after: ha.get(op) ?? 0 }))
    .sort((x, y) => y.before + y.after - (x.before + x.after) || x.op.localeCompare(y.op));

  return {
    model: options.model,
    passes: options.passes.map((p) => p.name),
    before,
    after,
    fused,
    replaced,
    dead,
    firings,
    rules,
    histogram,
    check,
    ...(profileBefore && profileAfter ? { profile: { before: profileBefore, after: profileAfter } } : {}),
  };
}

/**
 * Reasons a generated matcher gives when the pattern itself does not match: an operand
 * (`x: not a Conv`, `W: operand absent`) or an attribute (`Clip has no min`, `AveragePool.ceil_mode is not 0`).
 */
const PATTERN_FAILURE = /^([\w.]+: (not |operand absent)|\w+(\.\w+)? (has no |is not |operand ))/;

/** The graph's nodes in execution order, with keys from `keyOf`. */
function viewOf(graph: Graph, keyOf: (n: Node, index: number) => string): GraphView {
  const nodes = graph.topoOrder().map((n, i) => ({
    key: keyOf(n, i),
    name: n.name,
    op: opLabel(n),
    inputs: n.inputs.flatMap((v) => (v && !v.isConstant ? [v.name] : [])),
    outputs: n.outputs.map((v) => v.name),
    attrs: attrSummary(n),
  }));
  return { nodes, inputs: graph.inputs.map((v) => v.name), outputs: graph.outputs.map((v) => v.name) };
}

/**
 * Time per op over one run: each node's kernel is called in execution order and timed alone
 * (shape checks and buffer reuse left out, so the numbers compare kernels, not the executor).
 */
function profileOps(graph: Graph, feeds: Record<string, Tensor>): OpTime[] {
  const live = new Map<unknown, Tensor>();
  for (const c of graph.constants) live.set(c, c.constant!);
  for (const v of graph.inputs) live.set(v, feeds[v.name]!);
  const times = new Map<string, OpTime>();
  for (const node of graph.topoOrder()) {
    const def = lookupOp(node.domain, node.op);
    if (!def) throw new Error(`no kernel for ${opLabel(node)}`);
    const args = node.inputs.map((v) => (v ? live.get(v) : undefined));
    const start = performance.now();
    const outputs = def.kernel(args, node.attrs, node.outputs.length);
    const ms = performance.now() - start;
    node.outputs.forEach((v, i) => live.set(v, outputs[i]!));
    const op = opLabel(node);
    const entry = times.get(op) ?? { op, ms: 0, nodes: 0 };
    entry.ms += ms;
    entry.nodes++;
    times.set(op, entry);
  }
  return [...times.values()].sort((a, b) => b.ms - a.ms);
}

function opLabel(n: Node): string {
  return n.domain ? `${n.domain}::${n.op}` : n.op;
}

function attrSummary(n: Node): string {
  const parts: string[] = [];
  for (const [name, a] of Object.entries(n.attrs)) {
    let text: string;
    if (a.type === "tensor") text = `tensor[${a.value.shape.join(",")}]`;
    else if (a.type === "opaque") text = "(subgraph)";
    else if (Array.isArray(a.value)) text = `[${a.value.join(",")}]`;
    else text = String(a.value);
    parts.push(`${name}=${text.length > 40 ? `${text.slice(0, 40)}…` : text}`);
  }
  return parts.join(" ");
}

function byKey(a: string, b: string): number {
  return Number(a.slice(1)) - Number(b.slice(1));
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}
