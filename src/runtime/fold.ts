/**
 * Constant folding, a phase of its own: every node whose inputs are all known is computed with
 * the executor's own kernels (the op registry's), and its outputs become constants that keep
 * their names, dtypes and shapes. `Shape` and `Size` of a value whose shape is static count as
 * known. The optimizer runs it before the rule packs (so rules see `const` operands where a model
 * computes its weights) and again after them (rules leave arithmetic on constants behind).
 *
 * Growth guard. Folding may turn a few bytes (a ConstantOfShape's shape, an Expand's scalar) into
 * a large tensor. Like onnxruntime, which caps the size of folded outputs, the phase refuses what
 * would bloat the model for nothing: nodes are first evaluated tentatively (a chain folds as a
 * whole), and then a result that is larger than its inputs and than `SMALL_ELEMENTS` is written
 * into the model only if some reader needs it as data — a reader that is not a broadcasting
 * elementwise op, which would compute the same from the small operand. Nothing above
 * `MAX_ELEMENTS` is ever evaluated.
 */
import { dce } from "./dce.js";
import type { Graph, Node, Value } from "./graph.js";
import { inferGraph } from "./infer.js";
import { lookupOp } from "./registry.js";
import { numel, type Tensor } from "./tensor.js";

export interface FoldStats {
  /** Values replaced by constants. */
  folded: number;
  /** Nodes removed (folded nodes and the dead code they left). */
  nodesRemoved: number;
  /** Bytes of constant data before and after. */
  bytesBefore: number;
  bytesAfter: number;
}

export interface FoldOptions {
  /** A grown result up to this many elements is always written (shape arithmetic). */
  smallElements?: number;
  /** Results above this many elements are never computed. */
  maxElements?: number;
}

const SMALL_ELEMENTS = 4096;
const MAX_ELEMENTS = 1 << 24;

/** Ops that read every operand with numpy broadcasting: a small operand serves them as well as its expansion. */
const BROADCASTING_OPS = new Set([
  "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "Where", "PRelu", "BitShift",
  "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "And", "Or", "Xor",
]);

/**
 * Ops not folded: their result only widens stored weights (TFLite's Dequantize of float16/int8
 * constants), so folding makes the model bigger and changes nothing else. `fusec optimize
 * --fold-dequantize` folds them on request (src/tflite/fold.ts).
 */
const WIDENING = new Set(["tfl::Dequantize"]);

/** Ops never folded: their result is not a function of their inputs. */
const NONDETERMINISTIC = new Set(["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"]);

function bytesOf(t: Tensor): number {
  return t.data.byteLength;
}

function constantBytes(graph: Graph): number {
  let total = 0;
  for (const c of graph.constants) total += bytesOf(c.constant!);
  return total;
}

/** The value of Shape/Size on a statically shaped input, or undefined. */
function staticShapeOp(node: Node): Tensor | undefined {
  if (node.domain !== "" || (node.op !== "Shape" && node.op !== "Size")) return undefined;
  const dims = node.inputs[0]?.shape;
  if (!dims || !dims.every((d): d is number => typeof d === "number")) return undefined;
  if (node.op === "Size") return { dtype: "int64", shape: [], data: BigInt64Array.of(BigInt(numel(dims))) };
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + dims.length : i, 0), dims.length);
  const start = node.attrs["start"]?.type === "int" ? clamp(node.attrs["start"].value) : 0;
  const end = node.attrs["end"]?.type === "int" ? clamp(node.attrs["end"].value) : dims.length;
  const picked = dims.slice(start, Math.max(start, end));
  return { dtype: "int64", shape: [picked.length], data: BigInt64Array.from(picked, (d) => BigInt(d)) };
}

/** Whether a computed output may stand for `v`: same dtype, and the same dims where `v`'s are known. */
function fits(v: Value, t: Tensor): boolean {
  if (v.dtype !== undefined && v.dtype !== t.dtype) return false;
  if (!v.shape) return true;
  return v.shape.length === t.shape.length && v.shape.every((d, i) => typeof d !== "number" || d === t.shape[i]);
}

/** Evaluates `node` when its inputs are known; undefined when it cannot or should not be. */
function evaluate(node: Node, known: Map<Value, Tensor>, maxElements: number): Tensor[] | undefined {
  if (NONDETERMINISTIC.has(node.op) || WIDENING.has(`${node.domain}::${node.op}`) || node.outputs.length === 0) return undefined;
  if (Object.values(node.attrs).some((a) => a.type === "opaque")) return undefined;
  const shaped = staticShapeOp(node);
  if (shaped) return [shaped];
  const def = lookupOp(node.domain, node.op);
  if (!def) return undefined;
  const inputs: (Tensor | undefined)[] = [];
  for (const v of node.inputs) {
    if (!v) {
      inputs.push(undefined);
      continue;
    }
    const t = v.constant ?? known.get(v);
    if (!t) return undefined;
    inputs.push(t);
  }
  for (const v of node.outputs) {
    if (v.shape?.every((d): d is number => typeof d === "number") && numel(v.shape) > maxElements) return undefined;
  }
  let outs: Tensor[];
  try {
    outs = def.kernel(inputs, node.attrs, node.outputs.length);
  } catch {
    return undefined; // not computable here: the node stays and the executor reports it
  }
  if (outs.length < node.outputs.length) return undefined;
  for (let i = 0; i < node.outputs.length; i++) {
    const t = outs[i]!;
    if (t.data.length > maxElements || !fits(node.outputs[i]!, t)) return undefined;
    // A kernel may return a view of an input (Reshape): constants never share buffers.
    if (inputs.some((x) => x && x.data.buffer === t.data.buffer)) outs[i] = { ...t, shape: [...t.shape], data: t.data.slice() };
  }
  return outs;
}

/**
 * Folds every node whose inputs are known into constants, in place; returns what it did.
 * The graph computes the same afterwards; only values that something still reads are kept.
 */
export function foldConstants(graph: Graph, options: FoldOptions = {}): FoldStats {
  const small = options.smallElements ?? SMALL_ELEMENTS;
  const maxElements = options.maxElements ?? MAX_ELEMENTS;
  const nodesBefore = graph.nodes.size;
  const bytesBefore = constantBytes(graph);
  // 1. Tentative evaluation in topological order: a chain is known end to end.
  const known = new Map<Value, Tensor>();
  const evaluated = new Set<Node>();
  for (const node of graph.topoOrder()) {
    const outs = evaluate(node, known, maxElements);
    if (!outs) continue;
    evaluated.add(node);
    node.outputs.forEach((v, i) => known.set(v, outs[i]!));
  }
  // 2. Write the results that something outside the folded part reads, unless they only bloat.
  const graphOutputs = new Set(graph.outputs);
  const inputElements = (node: Node) => node.inputs.reduce((n, v) => n + (v ? (v.constant ?? known.get(v))?.data.length ?? 0 : 0), 0);
  const needsData = (v: Value) => graphOutputs.has(v) || v.uses.some((u) => !evaluated.has(u.node) && !(u.node.domain === "" && BROADCASTING_OPS.has(u.node.op)));
  let folded = 0;
  for (const node of evaluated) {
    const frontier = node.outputs.filter((v) => graphOutputs.has(v) || v.uses.some((u) => !evaluated.has(u.node)));
    if (frontier.length === 0) continue;
    const limit = Math.max(small, inputElements(node));
    if (frontier.some((v) => known.get(v)!.data.length > limit && !needsData(v))) continue;
    for (const v of node.outputs) materialize(graph, v, known.get(v)!);
    detach(graph, node);
    folded += frontier.length;
  }
  dce(graph);
  if (folded > 0) {
    try {
      inferGraph(graph);
    } catch {
      // Shapes stay as stored; the graph is as valid as before.
    }
  }
  return { folded, nodesRemoved: nodesBefore - graph.nodes.size, bytesBefore, bytesAfter: constantBytes(graph) };
}

/** Turns `v` into a constant holding `t` (same name, readers and graph-output slots). */
function materialize(graph: Graph, v: Value, t: Tensor): void {
  v.producer = undefined;
  v.constant = t;
  v.dtype = t.dtype;
  v.shape = [...t.shape];
  graph.constants.add(v);
}

/** Removes a node whose outputs became constants: its input uses go, its outputs stay. */
function detach(graph: Graph, node: Node): void {
  node.outputs = [];
  graph.removeNode(node);
}
