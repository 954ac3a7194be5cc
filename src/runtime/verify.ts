/**
 * The graph verifier: checks the IR invariants that every edit must preserve and returns the
 * problems found (empty when the graph is valid).
 *
 * - SSA: each value is produced by one node at most, never both produced and a constant, and
 *   value names are unique;
 * - the graph is acyclic;
 * - use lists are exact: every input slot appears once in its value's uses, and every use
 *   names a node of the graph whose slot holds that value;
 * - every graph output and node operand is a graph input, a constant or produced in the graph;
 * - stored dtypes and shapes agree with shape inference (re-inferred per node; ops unknown to the
 *   registry are opaque and skipped; a fact unknown on either side is not a disagreement, and
 *   a fresh unknown dim (`?17`) from inference agrees with any stored dim).
 */
import type { Dim, Graph, Node, Value } from "./graph.js";
import { inferNode, propagateConstants, shapesAgree, type KnownConstants } from "./infer.js";

/** Every problem found in `graph`, one sentence each. */
export function verify(graph: Graph): string[] {
  const problems: string[] = [];
  const inputs = new Set(graph.inputs);
  const values = collectValues(graph);
  checkNames(values, problems);
  checkDefinitions(graph, inputs, problems);
  checkUses(graph, values, problems);
  const order = checkAcyclic(graph, problems);
  if (order) checkTypes(order, problems);
  for (const c of graph.constants) {
    const t = c.constant;
    if (!t) problems.push(`constant set holds "${c.name}", which has no tensor`);
    else if (c.dtype !== t.dtype || !sameDims(c.shape, t.shape)) {
      problems.push(`constant "${c.name}" is declared ${describe(c.dtype, c.shape)} but holds ${describe(t.dtype, t.shape)}`);
    }
  }
  return problems;
}

/** Throws an Error listing every problem when `graph` is not valid; `context` prefixes it. */
export function assertValid(graph: Graph, context = "graph"): void {
  const problems = verify(graph);
  if (problems.length > 0) throw new Error(`${context} is invalid:\n  ${problems.join("\n  ")}`);
}

/** Graph inputs, constants, node operands and node outputs. */
function collectValues(graph: Graph): Set<Value> {
  const values = new Set<Value>([...graph.inputs, ...graph.constants]);
  for (const n of graph.nodes) {
    for (const v of n.inputs) if (v) values.add(v);
    for (const v of n.outputs) values.add(v);
  }
  for (const v of graph.outputs) values.add(v);
  return values;
}

function checkNames(values: Set<Value>, problems: string[]): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v.name)) problems.push(`two values are named "${v.name}"`);
    seen.add(v.name);
  }
}

function checkDefinitions(graph: Graph, inputs: Set<Value>, problems: string[]): void {
  const producedBy = new Map<Value, Node>();
  for (const n of graph.nodes) {
    for (const v of n.outputs) {
      const other = producedBy.get(v);
      if (other) problems.push(`value "${v.name}" is produced by both "${other.name}" and "${n.name}"`);
      producedBy.set(v, n);
      if (v.producer !== n) problems.push(`value "${v.name}" is an output of "${n.name}" but names another producer`);
      if (v.constant !== undefined || graph.constants.has(v)) problems.push(`value "${v.name}" is both a constant and produced by "${n.name}"`);
      if (inputs.has(v)) problems.push(`value "${v.name}" is both a graph input and produced by "${n.name}"`);
    }
  }
  const defined = (v: Value) => inputs.has(v) || graph.constants.has(v) || producedBy.has(v);
  for (const n of graph.nodes) {
    n.inputs.forEach((v, i) => {
      if (v && !defined(v)) problems.push(`input ${i} of node "${n.name}" reads "${v.name}", which is not in the graph`);
    });
  }
  for (const v of graph.outputs) {
    if (!defined(v)) problems.push(`graph output "${v.name}" is not an input, a constant or produced in the graph`);
  }
}

function checkUses(graph: Graph, values: Set<Value>, problems: string[]): void {
  for (const v of values) {
    const seen = new Set<string>();
    for (const { node, index } of v.uses) {
      const key = `${node.id}:${index}`;
      if (seen.has(key)) problems.push(`use list of "${v.name}" lists "${node.name}"[${index}] twice`);
      seen.add(key);
      if (!graph.nodes.has(node)) problems.push(`use list of "${v.name}" names "${node.name}", which is not in the graph`);
      else if (node.inputs[index] !== v) problems.push(`use list of "${v.name}" names "${node.name}"[${index}], which reads something else`);
    }
  }
  for (const n of graph.nodes) {
    n.inputs.forEach((v, index) => {
      if (v && !v.uses.some((u) => u.node === n && u.index === index)) {
        problems.push(`use list of "${v.name}" lacks "${n.name}"[${index}]`);
      }
    });
  }
}

/** A topological order from operands (not use lists), or undefined after reporting a cycle. */
function checkAcyclic(graph: Graph, problems: string[]): Node[] | undefined {
  const pending = new Map<Node, number>();
  const readers = new Map<Node, Node[]>();
  const ready: Node[] = [];
  for (const n of graph.nodes) {
    let deps = 0;
    for (const v of n.inputs) {
      const p = v?.producer;
      if (p && graph.nodes.has(p)) {
        deps++;
        const list = readers.get(p);
        if (list) list.push(n);
        else readers.set(p, [n]);
      }
    }
    pending.set(n, deps);
    if (deps === 0) ready.push(n);
  }
  for (let i = 0; i < ready.length; i++) {
    for (const r of readers.get(ready[i]!) ?? []) {
      const left = pending.get(r)! - 1;
      pending.set(r, left);
      if (left === 0) ready.push(r);
    }
  }
  if (ready.length === graph.nodes.size) return ready;
  const stuck = [...graph.nodes].filter((n) => pending.get(n)! > 0).slice(0, 5).map((n) => `"${n.name}"`);
  problems.push(`the graph has a cycle through ${stuck.join(", ")}`);
  return undefined;
}

function checkTypes(order: Node[], problems: string[]): void {
  const known: KnownConstants = new Map();
  for (const n of order) {
    let outs;
    try {
      outs = inferNode(n, known);
    } catch (e) {
      problems.push(`node "${n.name}" (${n.op}): shape inference fails: ${(e as Error).message}`);
      continue;
    }
    if (!outs) continue;
    n.outputs.forEach((v, i) => {
      const info = outs[i]!;
      const dtypeDiffers = info.dtype !== undefined && v.dtype !== undefined && info.dtype !== v.dtype;
      const shapeDiffers = !shapesAgree(v.shape, info.shape);
      if (dtypeDiffers || shapeDiffers) {
        problems.push(
          `output "${v.name}" of node "${n.name}" (${n.op}) is ${describe(v.dtype, v.shape)}, inference says ${describe(info.dtype, info.shape)}`,
        );
      }
    });
    propagateConstants(n, known);
  }
}

function sameDims(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function describe(dtype: string | undefined, shape: readonly Dim[] | undefined): string {
  return `${dtype ?? "?"}${shape ? `[${shape.join(", ")}]` : "[?]"}`;
}
