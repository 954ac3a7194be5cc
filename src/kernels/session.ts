/**
 * Prepared execution, in the manner of onnxruntime's InferenceSession: `prepare(graph)` plans
 * once, `session.run(feeds)` runs many times.
 *
 * The plan holds the execution order, each node's op definition (a node whose op has no kernel
 * fails here, at prepare time), and the values whose last reader each node is. After a node
 * runs, those values are dropped and their buffers go back to a pool that later kernels (and
 * later runs) allocate from; buffers shared by views, graph inputs, constants and graph outputs
 * are never recycled. If the graph is edited after `prepare`, the next `run` plans again, so a
 * session never runs a stale plan. Errors name the node and op:
 * `node "conv_3" (Conv): input X has rank 3, expected 4`.
 */
import type { Graph, Node, Value } from "../runtime/graph.js";
import { lookupOp, OpError, opKey, type OpDef, type ValueInfo } from "../runtime/registry.js";
import { allocData, DTYPES, numel, type DType, type Tensor, type TensorData } from "../runtime/tensor.js";
import { arenaRelease, arenaTake, inArena } from "./arena.js";
import { formatShape, withBufferSource, type BufferSource } from "./util.js";

export interface PrepareOptions {
  /**
   * Run each node's shape function on its actual inputs before its kernel, and check the
   * kernel's outputs against it (default true). Turning it off saves a little time per node.
   */
  validate?: boolean;
}

/** A prepared graph; `run` executes it on one set of inputs. */
export interface Session {
  /** The graph this session runs (not copied: edits to it are noticed by the next `run`). */
  readonly graph: Graph;
  /** The graph's input names, in order: the keys `run` expects in `feeds`. */
  readonly inputNames: readonly string[];
  /** The graph's output names, in order: the keys of what `run` returns. */
  readonly outputNames: readonly string[];
  /**
   * Runs the graph on `feeds` (a tensor for every graph input, by name) and returns every graph
   * output by name. The returned tensors belong to the caller (they are never reused). Throws
   * `ExecutionError` (naming the node and op) or `OpError` (for a missing or mismatched input).
   */
  run(feeds: Readonly<Record<string, Tensor>>): Record<string, Tensor>;
}

/** A failure while executing one node; the message names the node and its op. */
export class ExecutionError extends OpError {
  constructor(
    readonly nodeName: string,
    readonly op: string,
    readonly detail: string,
  ) {
    super(`node "${nodeName}" (${op}): ${detail}`);
    this.name = "ExecutionError";
  }
}

/**
 * Plans `graph` for execution: order, kernels, release lists and a buffer pool. Throws
 * `ExecutionError` when a node's op has no kernel.
 */
export function prepare(graph: Graph, options: PrepareOptions = {}): Session {
  const validate = options.validate ?? true;
  let plan = planFor(graph);
  return {
    graph,
    get inputNames() {
      return graph.inputs.map((v) => v.name);
    },
    get outputNames() {
      return graph.outputs.map((v) => v.name);
    },
    run(feeds) {
      const fingerprint = fingerprintOf(graph);
      if (fingerprint !== plan.fingerprint) plan = planFor(graph);
      return runPlan(graph, plan, feeds, validate);
    },
  };
}

interface Step {
  node: Node;
  def: OpDef;
  /** Values read for the last time by this node (or produced and never read). */
  release: Value[];
}

interface Plan {
  steps: Step[];
  /** The graph's node list and wiring when planned, to notice later edits. */
  fingerprint: string;
  pool: BufferPool;
}

function runPlan(graph: Graph, plan: Plan, inputs: Readonly<Record<string, Tensor>>, validate: boolean): Record<string, Tensor> {
  const live = new Map<Value, Tensor>();
  for (const c of graph.constants) live.set(c, c.constant!);
  for (const v of graph.inputs) live.set(v, checkedInput(v, inputs[v.name]));
  const pool = plan.pool;
  const keep = new Set<Value>(graph.outputs);
  try {
    withBufferSource(pool, () => {
      for (const step of plan.steps) {
        runStep(step, live, validate, pool);
        for (const v of step.release) {
          if (keep.has(v) || v.isConstant) continue;
          const t = live.get(v);
          live.delete(v);
          if (t && v.producer) pool.release(t.data);
        }
      }
    });
  } catch (e) {
    // Arena buffers still held go back (ordinary arrays are left to the garbage collector).
    for (const [v, t] of live) if (v.producer && inArena(t.data)) pool.release(t.data);
    throw e;
  }
  const result: Record<string, Tensor> = {};
  for (const v of graph.outputs) {
    const t = live.get(v);
    if (!t) throw new OpError(`graph output "${v.name}" was not computed`);
    if (inArena(t.data)) {
      // Outputs leave the arena: the caller owns a copy, the arena buffer is recycled.
      result[v.name] = { ...t, data: t.data.slice() };
      if (v.producer) pool.release(t.data);
      continue;
    }
    pool.disown(t.data);
    result[v.name] = t;
  }
  return result;
}

function runStep(step: Step, live: Map<Value, Tensor>, validate: boolean, pool: BufferPool): void {
  const { node, def } = step;
  const args = node.inputs.map((v) => {
    if (v === undefined) return undefined;
    const t = live.get(v);
    if (!t) throw new ExecutionError(node.name, opLabel(node), `input "${v.name}" has no value`);
    return t;
  });
  let outputs: Tensor[];
  try {
    const inferred = validate ? def.infer(args.map(runtimeInfo), node.attrs, node.outputs.length) : undefined;
    outputs = def.kernel(args, node.attrs, node.outputs.length);
    if (outputs.length < node.outputs.length) {
      throw new OpError(`kernel produced ${outputs.length} outputs, the node has ${node.outputs.length}`);
    }
    if (inferred) checkAgainstInferred(outputs, inferred);
  } catch (e) {
    if (e instanceof ExecutionError) throw e;
    throw new ExecutionError(node.name, opLabel(node), e instanceof Error ? e.message : String(e));
  }
  node.outputs.forEach((v, i) => {
    live.set(v, outputs[i]!);
    pool.retain(outputs[i]!.data);
  });
}

/** What a shape function sees at run time: small tensors also as constants (shape operands). */
function runtimeInfo(t: Tensor | undefined): ValueInfo | undefined {
  if (!t) return undefined;
  return { dtype: t.dtype, shape: [...t.shape], constant: t.data.length <= 64 ? t : undefined };
}

function checkAgainstInferred(outputs: Tensor[], inferred: { dtype: DType | undefined; shape: (number | string)[] | undefined }[]): void {
  inferred.forEach((info, i) => {
    const t = outputs[i];
    if (!t) return;
    if (info.dtype && info.dtype !== t.dtype) throw new OpError(`output ${i} has dtype ${t.dtype}, shape inference said ${info.dtype}`);
    const s = info.shape;
    if (s && (s.length !== t.shape.length || s.some((d, k) => typeof d === "number" && d !== t.shape[k]))) {
      throw new OpError(`output ${i} has shape ${formatShape(t.shape)}, shape inference said ${formatShape(s)}`);
    }
  });
}

function opLabel(node: Node): string {
  return opKey(node.domain, node.op);
}

function checkedInput(v: Value, t: Tensor | undefined): Tensor {
  if (!t) throw new OpError(`missing graph input "${v.name}"`);
  if (v.dtype && t.dtype !== v.dtype) throw new OpError(`graph input "${v.name}" has dtype ${t.dtype}, expected ${v.dtype}`);
  if (t.data.length !== numel(t.shape)) throw new OpError(`graph input "${v.name}" has ${t.data.length} elements for shape ${formatShape(t.shape)}`);
  const s = v.shape;
  if (s && (s.length !== t.shape.length || s.some((d, i) => typeof d === "number" && d !== t.shape[i]))) {
    throw new OpError(`graph input "${v.name}" has shape ${formatShape(t.shape)}, expected ${formatShape(s)}`);
  }
  return t;
}

// ── the plan ──────────────────────────────────────────────────────────────────────────────

function fingerprintOf(graph: Graph): string {
  const ids = new Map<Value, number>();
  const id = (v: Value | undefined): string => {
    if (!v) return "-";
    if (!ids.has(v)) ids.set(v, ids.size);
    return String(ids.get(v));
  };
  const parts: string[] = [];
  for (const n of graph.nodes) parts.push(`${n.id}:${n.inputs.map(id).join(",")}>${n.outputs.map(id).join(",")}`);
  parts.push(`out:${graph.outputs.map(id).join(",")}`);
  return parts.join(";");
}

function planFor(graph: Graph): Plan {
  const fingerprint = fingerprintOf(graph);
  const order = graph.topoOrder();
  const missing = order.find((n) => !lookupOp(n.domain, n.op));
  if (missing) throw new ExecutionError(missing.name, opLabel(missing), `no kernel is registered for op ${opLabel(missing)}`);
  const lastUse = new Map<Value, number>();
  order.forEach((node, i) => {
    for (const v of node.inputs) if (v) lastUse.set(v, i);
    for (const v of node.outputs) if (!lastUse.has(v)) lastUse.set(v, i);
  });
  const steps: Step[] = order.map((node) => ({ node, def: lookupOp(node.domain, node.op)!, release: [] }));
  for (const [v, i] of lastUse) if (!v.isConstant) steps[i]!.release.push(v);
  return { steps, fingerprint, pool: new BufferPool() };
}

// ── the buffer pool ───────────────────────────────────────────────────────────────────────

/**
 * Recycles kernel output buffers. A buffer is counted once per live value that holds it (views
 * share buffers); when the count drops to zero and the pool allocated it, it is reused.
 */
class BufferPool implements BufferSource {
  private readonly free = new Map<string, TensorData[]>();
  private readonly owned = new WeakSet<TensorData>();
  private readonly refs = new Map<TensorData, number>();

  take(dtype: DType, n: number): TensorData {
    if (dtype === "float32") {
      const buf = arenaTake(n);
      if (buf) {
        this.owned.add(buf);
        return buf;
      }
    }
    const list = this.free.get(`${DTYPES[dtype].array.name}:${n}`);
    const reused = list?.pop();
    if (reused) return reused;
    const buf = allocData(dtype, n);
    this.owned.add(buf);
    return buf;
  }

  retain(buf: TensorData): void {
    this.refs.set(buf, (this.refs.get(buf) ?? 0) + 1);
  }

  release(buf: TensorData): void {
    const left = (this.refs.get(buf) ?? 1) - 1;
    if (left > 0) {
      this.refs.set(buf, left);
      return;
    }
    this.refs.delete(buf);
    if (buf instanceof Float32Array && inArena(buf)) {
      // Only buffers take() handed out go back (a view into one is not a buffer of its own).
      if (this.owned.delete(buf)) arenaRelease(buf);
      return;
    }
    if (!this.owned.has(buf)) return;
    // Keyed by array type: dtypes that share one (bool and uint8) share buffers.
    const key = `${buf.constructor.name}:${buf.length}`;
    const list = this.free.get(key);
    if (list) list.push(buf);
    else this.free.set(key, [buf]);
  }

  /** Hands a buffer to the caller (a graph output): never recycled again. */
  disown(buf: TensorData): void {
    this.owned.delete(buf);
    this.refs.delete(buf);
  }
}
