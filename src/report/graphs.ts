/**
 * Draws a report's graphs: each graph becomes Graphviz DOT and is laid out by Graphviz itself
 * (compiled to WebAssembly, `@hpcc-js/wasm-graphviz`) at report time, so the page embeds finished
 * SVG and needs no layout code. Every node keeps its report key as its SVG id; the page's script
 * finds nodes by it.
 *
 * Large graphs stay readable: above a node budget, the unchanged nodes more than one edge away
 * from a change are merged, per connected region, into one box that says how many nodes (and
 * which ops) it holds.
 */
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import type { GraphView, NodeView } from "./collect.js";

export interface DrawnGraph {
  svg: string;
  /** Collapsed regions: box id → the node keys it holds. */
  groups: Record<string, string[]>;
}

export interface DrawOptions {
  /** `b` (before) or `a` (after): prefix of the ids of input, output and region boxes. */
  prefix: string;
  /** Node keys drawn as changed (replaced originals, or fused nodes). */
  changed: ReadonlySet<string>;
  /** Node keys drawn as removed without a rule (folded into constants, or read by nobody). */
  removed?: ReadonlySet<string>;
  /** Graphs with more nodes than this collapse unchanged regions. */
  collapseAbove: number;
}

let graphviz: Promise<Graphviz> | undefined;

/** Lays out `view` with Graphviz's `dot` and returns the SVG. */
export async function drawGraph(view: GraphView, options: DrawOptions): Promise<DrawnGraph> {
  const { dot, groups } = toDot(view, options);
  const gv = await (graphviz ??= Graphviz.load());
  const svg = gv.dot(dot, "svg");
  return { svg: svg.slice(svg.indexOf("<svg")), groups };
}

/** The DOT text of `view`, with unchanged regions collapsed when the graph is large. */
export function toDot(view: GraphView, options: DrawOptions): { dot: string; groups: Record<string, string[]> } {
  const { prefix, changed } = options;
  const producer = new Map<string, string>();
  for (const n of view.nodes) for (const out of n.outputs) producer.set(out, n.key);
  view.inputs.forEach((name, i) => producer.set(name, `${prefix}in${i}`));

  const boxOf = new Map<string, string>();
  const groups: Record<string, string[]> = {};
  if (view.nodes.length > options.collapseAbove) collapse(view, options, producer, boxOf, groups);

  const lines = [
    "digraph G {",
    '  graph [rankdir=TB, nodesep=0.2, ranksep=0.3, bgcolor="transparent", fontname="Helvetica"];',
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#9aa0a6", fontname="Helvetica", fontsize=10, height=0.3, margin="0.08,0.03"];',
    '  edge [color="#9aa0a6", arrowsize=0.5];',
  ];
  view.inputs.forEach((name, i) => lines.push(`  ${q(`${prefix}in${i}`)} [id=${q(`${prefix}in${i}`)}, class="io", shape=ellipse, fillcolor="#eef3fb", label=${q(name)}];`));
  view.outputs.forEach((name, i) => lines.push(`  ${q(`${prefix}out${i}`)} [id=${q(`${prefix}out${i}`)}, class="io", shape=ellipse, fillcolor="#eef3fb", label=${q(name)}];`));
  for (const n of view.nodes) {
    if (boxOf.has(n.key)) continue;
    const cls = changed.has(n.key) ? "op changed" : options.removed?.has(n.key) ? "op removed" : "op";
    lines.push(`  ${q(n.key)} [id=${q(n.key)}, class=${q(cls)}, label=${q(`${n.op}\n${shorten(n.name)}`)}];`);
  }
  const byKey = new Map(view.nodes.map((n) => [n.key, n]));
  for (const [id, members] of Object.entries(groups)) {
    const label = `${members.length} unchanged nodes\n${topOps(members.map((k) => byKey.get(k)!))}`;
    lines.push(`  ${q(id)} [id=${q(id)}, class="group", shape=box3d, style="filled", fillcolor="#f1f3f4", label=${q(label)}];`);
  }
  const at = (key: string) => boxOf.get(key) ?? key;
  const edges = new Set<string>();
  const edge = (from: string | undefined, to: string) => {
    if (from === undefined || from === to) return;
    const e = `  ${q(from)} -> ${q(to)};`;
    if (!edges.has(e)) {
      edges.add(e);
      lines.push(e);
    }
  };
  for (const n of view.nodes) for (const input of n.inputs) edge(at(producer.get(input) ?? ""), at(n.key));
  view.outputs.forEach((name, i) => edge(producer.has(name) ? at(producer.get(name)!) : undefined, `${prefix}out${i}`));
  lines.push("}");
  return { dot: lines.join("\n"), groups };
}

/**
 * Merges the nodes that are neither changed nor next to a change into their connected regions
 * (edges between two such nodes join them); each region becomes one box.
 */
function collapse(view: GraphView, options: DrawOptions, producer: Map<string, string>, boxOf: Map<string, string>, groups: Record<string, string[]>): void {
  const { changed, prefix } = options;
  /** Changed and removed nodes, drawn with their neighbours. */
  const core = new Set<string>([...changed, ...(options.removed ?? [])]);
  const keep = new Set<string>(core);
  const readers = new Map<string, string[]>();
  for (const n of view.nodes) {
    for (const input of n.inputs) {
      const from = producer.get(input);
      if (!from) continue;
      if (core.has(n.key)) keep.add(from);
      if (core.has(from)) keep.add(n.key);
      const list = readers.get(from);
      if (list) list.push(n.key);
      else readers.set(from, [n.key]);
    }
  }
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(k, root);
    return root;
  };
  for (const n of view.nodes) if (!keep.has(n.key)) parent.set(n.key, n.key);
  for (const [from, to] of readers) {
    if (!parent.has(from)) continue;
    for (const t of to) if (parent.has(t)) parent.set(find(t), find(from));
  }
  const members = new Map<string, string[]>();
  for (const n of view.nodes) {
    if (keep.has(n.key)) continue;
    const root = find(n.key);
    const list = members.get(root);
    if (list) list.push(n.key);
    else members.set(root, [n.key]);
  }
  let index = 0;
  for (const keys of members.values()) {
    if (keys.length < 2) continue;
    const id = `${prefix}group${index++}`;
    groups[id] = keys;
    for (const k of keys) boxOf.set(k, id);
  }
}

function topOps(nodes: NodeView[]): string {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, 3).map(([op, c]) => `${op}×${c}`);
  return sorted.length > 3 ? `${shown.join(", ")}, …` : shown.join(", ");
}

function shorten(name: string): string {
  return name.length > 28 ? `${name.slice(0, 13)}…${name.slice(-13)}` : name;
}

/** A DOT string literal. */
function q(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}
