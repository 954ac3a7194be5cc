/**
 * Shape and dtype inference over graph nodes, through the op registry's `infer` functions.
 *
 * Shape ops (Reshape, Expand, …) need the *values* of their shape operands; those are often
 * computed from constants (`Concat(Shape(x), …)`). `inferGraph` therefore also evaluates small
 * all-constant nodes with their kernels so that later nodes see those values (`ValueInfo.constant`).
 * Ops unknown to the registry are opaque: their outputs keep whatever dtype/shape they have.
 */
import type { Attrs, Dim, Graph, Node, Value } from "./graph.js";
import { lookupOp, type OutputInfo, type ValueInfo } from "./registry.js";
import type { Tensor } from "./tensor.js";

/** Values computed during inference from constants (small tensors only), keyed by value. */
export type KnownConstants = Map<Value, Tensor>;

/** Largest tensor (in elements) that inference evaluates to propagate constant values. */
const PROPAGATED_ELEMENTS = 4096;

/** Thrown when an op's shape function rejects a node; the message names the node. */
export class InferenceError extends Error {
  constructor(
    message: string,
    readonly node: Node | undefined,
  ) {
    super(message);
    this.name = "InferenceError";
  }
}

/**
 * Whether a dim is a fresh unknown size (`?17`): shape functions invent one for a size that
 * depends on data (a shape operand that is not constant), so two of them never compare equal,
 * even for the same value. Sizes derived from other symbolic sizes (a convolution's output
 * height from "H") are named after their derivation instead and compare exactly.
 */
export function isFreshDim(d: Dim): boolean {
  return typeof d === "string" && d.startsWith("?");
}

/**
 * Whether a shape `derived` by inference is consistent with a `stored` one: same rank and, per
 * dim, equal (symbolic names equal as strings), or the derived dim is a fresh unknown.
 * Undefined on either side (nothing known) agrees with anything.
 */
export function shapesAgree(stored: readonly Dim[] | undefined, derived: readonly Dim[] | undefined): boolean {
  if (stored === undefined || derived === undefined) return true;
  return stored.length === derived.length && stored.every((d, i) => d === derived[i] || isFreshDim(derived[i]!));
}

/** What inference knows about `v`: dtype, shape and, for constants, the value. */
export function valueInfo(v: Value, known?: KnownConstants): ValueInfo {
  const constant = v.constant ?? known?.get(v);
  return constant ? { dtype: v.dtype, shape: v.shape, constant } : { dtype: v.dtype, shape: v.shape };
}

/**
 * Output types of an op applied to `inputs`, or undefined when the op is unknown to the
 * registry. Throws (whatever the shape function throws) when the op rejects its inputs.
 */
export function inferOutputs(
  op: string,
  domain: string,
  inputs: readonly (ValueInfo | undefined)[],
  attrs: Attrs,
  outputCount: number,
): OutputInfo[] | undefined {
  const def = lookupOp(domain, op);
  if (!def) return undefined;
  const outs = def.infer([...inputs], attrs, outputCount);
  if (outs.length < outputCount) {
    throw new Error(`shape function of ${op} returned ${outs.length} outputs, expected ${outputCount}`);
  }
  return outs;
}

/** Output types of `node` as the registry infers them now (undefined for opaque ops). */
export function inferNode(node: Node, known?: KnownConstants): OutputInfo[] | undefined {
  return inferOutputs(
    node.op,
    node.domain,
    node.inputs.map((v) => (v ? valueInfo(v, known) : undefined)),
    node.attrs,
    node.outputs.length,
  );
}

/**
 * Evaluates `node` with its kernel when every present input is a (known) constant and small,
 * recording the outputs in `known`. Failures are ignored: the value simply stays unknown.
 */
export function propagateConstants(node: Node, known: KnownConstants): void {
  if (node.op === "Shape" && node.domain === "") {
    const shape = shapeValue(node);
    if (shape) known.set(node.outputs[0]!, shape);
    return;
  }
  const def = lookupOp(node.domain, node.op);
  if (!def) return;
  // An output shape inference already knows to be large is not computed (ConstantOfShape,
  // Expand or Range of a huge constant shape would allocate it all just to be dropped).
  for (const v of node.outputs) {
    const n = v.shape?.reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1);
    if (n !== undefined && n > PROPAGATED_ELEMENTS) return;
  }
  const inputs: (Tensor | undefined)[] = [];
  for (const v of node.inputs) {
    if (!v) {
      inputs.push(undefined);
      continue;
    }
    const t = v.constant ?? known.get(v);
    if (!t || t.data.length > PROPAGATED_ELEMENTS) return;
    inputs.push(t);
  }
  try {
    const outs = def.kernel(inputs, node.attrs, node.outputs.length);
    node.outputs.forEach((v, i) => {
      const t = outs[i];
      if (t && t.data.length <= PROPAGATED_ELEMENTS) known.set(v, t);
    });
  } catch {
    // Not evaluable (yet): later nodes just see an unknown value.
  }
}

/** The value of a `Shape` node (with its start/end attributes) when its input's shape is concrete. */
function shapeValue(node: Node): Tensor | undefined {
  const dims = node.inputs[0]?.shape;
  if (!dims || !dims.every((d): d is number => typeof d === "number")) return undefined;
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + dims.length : i, 0), dims.length);
  const start = node.attrs["start"]?.type === "int" ? clamp(node.attrs["start"].value) : 0;
  const end = node.attrs["end"]?.type === "int" ? clamp(node.attrs["end"].value) : dims.length;
  const picked = dims.slice(start, Math.max(start, end));
  return { dtype: "int64", shape: [picked.length], data: BigInt64Array.from(picked, (d) => BigInt(d)) };
}

/**
 * Infers dtype and shape of every node output in topological order and stores them on the
 * values. Inferred facts override stored ones; where inference knows nothing (opaque ops,
 * undefined results) the stored dtype/shape stay. Throws `InferenceError` naming the first node
 * whose shape function rejects its inputs.
 */
export function inferGraph(graph: Graph): void {
  const known: KnownConstants = new Map();
  for (const node of graph.topoOrder()) {
    let outs: OutputInfo[] | undefined;
    try {
      outs = inferNode(node, known);
    } catch (e) {
      throw new InferenceError(`node "${node.name}" (${node.op}): ${(e as Error).message}`, node);
    }
    if (!outs) continue;
    node.outputs.forEach((v, i) => {
      const info = outs[i]!;
      if (info.dtype !== undefined) v.dtype = info.dtype;
      if (info.shape !== undefined) v.shape = [...info.shape];
    });
    propagateConstants(node, known);
  }
}
