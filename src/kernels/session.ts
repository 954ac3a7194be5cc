/**
 * Prepared execution, in the manner of onnxruntime's InferenceSession: `prepare(graph)` plans
 * once, `session.run(feeds)` runs many times (execute.ts's one-shot `execute` is built on it).
 *
 * The plan holds the execution order, each node's op definition (a node whose op has no kernel
 * fails here, at prepare time), a slot per value (a run keeps its tensors in an array), and the
 * values whose last reader each node is. After a node runs, those values are dropped and their
 * buffers go back to a pool that later kernels (and later runs) allocate from; buffers shared
 * by views, graph inputs, constants and graph outputs are never recycled. If the graph is
 * edited after `prepare`, the next `run` plans again (the planned wiring is compared element by
 * element, without allocating), so a session never runs a stale plan. Errors name the node and
 * op: `node "conv_3" (Conv): input X has rank 3, expected 4`.
 */
import type { Graph, Node, Value } from "../runtime/graph.js";
import { lookupOp, OpError, opKey, type OpDef, type ValueInfo } from "../runtime/registry.js";
import { allocData, DTYPES, numel, type DType, type Tensor, type TensorData } from "../runtime/tensor.js";
import { arenaRelease, arenaTake, inArena, markImmutable } from "./arena.js";
import { acquireThreads, withThreads } from "./parallel.js";
import { formatShape, withBufferSource, type BufferSource } from "./util.js";

export interface PrepareOptions {
  /**
   * Run each node's shape function on its actual inputs before its kernel, and check the
   * kernel's outputs against it (default true). Turning it off saves a little time per node.
   */
  validate?: boolean;
  /**
   * Threads the heavy kernels (GEMM, convolutions, depthwise too) split their work over (default 1: no worker
   * threads). Results are the same bits as on one thread. With more than one, close the session
   * when done with it; where threads cannot be used (no SharedArrayBuffer, see parallel.ts) the
   * session runs on one thread and warns once, saying why.
   */
  threads?: number;
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
  /** Threads the session runs on (less than asked for when the platform cannot share memory). */
  readonly threads: number;
  /** Resolves once the session's worker threads are ready (runs before that do their share on the main thread). */
  ready(): Promise<void>;
  /** Stops the session's worker threads (if no other session uses them); later runs use one thread. */
  close(): void;
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

interface Step {
  node: Node;
  def: OpDef;
  /** The slot of each input (-1: absent) and of each output. */
  inputs: Int32Array;
  outputs: Int32Array;
  /**
   * Slots of values this node reads for the last time (or produces and nobody reads), produced
   * by nodes and not graph outputs: their buffers go back to the pool after the node.
   */
  release: Int32Array;
}

interface Plan {
  steps: Step[];
  /** Value slots of one run (every value the graph names). */
  slots: number;
  constants: { slot: number; value: Value }[];
  inputs: { slot: number; value: Value }[];
  outputs: { slot: number; value: Value }[];
  /** The graph's nodes, wiring, inputs, outputs and constants when planned, to notice later edits. */
  wiring: unknown[];
  pool: BufferPool;
}

/**
 * Plans `graph` for execution: order, kernels, value slots, release lists and a buffer pool.
 * Throws `ExecutionError` when an op has no kernel (naming every such op).
 */
export function prepare(graph: Graph, options: PrepareOptions = {}): Session {
  const validate = options.validate ?? true;
  let plan = planFor(graph);
  let lease = acquireThreads(options.threads ?? 1);
  if (lease.note) warnOnce(lease.note);
  return {
    graph,
    get inputNames() {
      return graph.inputs.map((v) => v.name);
    },
    get outputNames() {
      return graph.outputs.map((v) => v.name);
    },
    run(feeds) {
      if (!unchanged(plan, graph)) plan = planFor(graph);
      return lease.threads > 1 ? withThreads(lease.threads, () => runPlan(plan, feeds, validate)) : runPlan(plan, feeds, validate);
    },
    get threads() {
      return lease.threads;
    },
    ready: () => lease.ready(),
    close() {
      lease.release();
      lease = acquireThreads(1);
    },
  };
}

const warned = new Set<string>();

function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`fusec: ${message}`);
}

function runPlan(plan: Plan, inputs: Readonly<Record<string, Tensor>>, validate: boolean): Record<string, Tensor> {
  const live = new Array<Tensor | undefined>(plan.slots);
  for (const { slot, value } of plan.constants) live[slot] = value.constant!;
  // Float inputs are copied into the tensor arena (when it has room), where the SIMD kernels read them in place.
  const staged: Float32Array[] = [];
  for (const { slot, value } of plan.inputs) {
    const t = checkedInput(value, inputs[value.name]);
    const copy = t.dtype === "float32" && !inArena(t.data) ? arenaTake(t.data.length) : undefined;
    if (copy) {
      copy.set(t.data as Float32Array);
      staged.push(copy);
      live[slot] = { ...t, data: copy };
    } else live[slot] = t;
  }
  const pool = plan.pool;
  try {
    withBufferSource(pool, () => {
      for (const step of plan.steps) {
        runStep(step, live, validate, pool);
        const release = step.release;
        for (let i = 0; i < release.length; i++) {
          const slot = release[i]!;
          const t = live[slot];
          live[slot] = undefined;
          if (t) pool.release(t.data);
        }
      }
    });
  } catch (e) {
    // Arena buffers still held go back (ordinary arrays are left to the garbage collector).
    for (const step of plan.steps) {
      for (const slot of step.outputs) {
        const t = live[slot];
        live[slot] = undefined;
        if (t && inArena(t.data)) pool.release(t.data);
      }
    }
    for (const copy of staged) arenaRelease(copy);
    throw e;
  }
  const result: Record<string, Tensor> = {};
  for (const { slot, value: v } of plan.outputs) {
    const t = live[slot];
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
  for (const copy of staged) arenaRelease(copy);
  return result;
}

function runStep(step: Step, live: (Tensor | undefined)[], validate: boolean, pool: BufferPool): void {
  const { node, def } = step;
  const count = step.inputs.length;
  const args = new Array<Tensor | undefined>(count);
  for (let i = 0; i < count; i++) {
    const slot = step.inputs[i]!;
    if (slot < 0) continue;
    const t = live[slot];
    if (!t) throw new ExecutionError(node.name, opLabel(node), `input "${node.inputs[i]!.name}" has no value`);
    args[i] = t;
  }
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
  for (let i = 0; i < step.outputs.length; i++) {
    live[step.outputs[i]!] = outputs[i]!;
    pool.retain(outputs[i]!.data);
  }
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

/** An op of the graph that fusec cannot execute, and the nodes that use it. */
export interface MissingKernel {
  op: string;
  nodes: string[];
}

/**
 * The ops of `graph` without a kernel, in order of first use: checked before any work so that
 * a run names every op it cannot execute at once, up front.
 */
export function missingKernels(graph: Graph): MissingKernel[] {
  const byOp = new Map<string, string[]>();
  for (const node of graph.topoOrder()) {
    if (lookupOp(node.domain, node.op)) continue;
    const op = opLabel(node);
    byOp.set(op, [...(byOp.get(op) ?? []), node.name]);
  }
  return [...byOp].map(([op, nodes]) => ({ op, nodes }));
}

// ── the plan ──────────────────────────────────────────────────────────────────────────────

/** Everything a plan depends on, in a fixed order: compared element by element on each run. */
function wiringOf(graph: Graph): unknown[] {
  const wiring: unknown[] = [];
  for (const n of graph.nodes) wiring.push(n, n.inputs.length, ...n.inputs, n.outputs.length, ...n.outputs);
  wiring.push(graph.inputs.length, ...graph.inputs, graph.outputs.length, ...graph.outputs, graph.constants.size, ...graph.constants);
  return wiring;
}

/** Whether the graph is wired as when `plan` was made (no allocation: this runs on every call). */
function unchanged(plan: Plan, graph: Graph): boolean {
  const w = plan.wiring;
  let i = 0;
  for (const n of graph.nodes) {
    if (w[i++] !== n || w[i++] !== n.inputs.length) return false;
    for (const v of n.inputs) if (w[i++] !== v) return false;
    if (w[i++] !== n.outputs.length) return false;
    for (const v of n.outputs) if (w[i++] !== v) return false;
  }
  if (w[i++] !== graph.inputs.length) return false;
  for (const v of graph.inputs) if (w[i++] !== v) return false;
  if (w[i++] !== graph.outputs.length) return false;
  for (const v of graph.outputs) if (w[i++] !== v) return false;
  if (w[i++] !== graph.constants.size) return false;
  for (const v of graph.constants) if (w[i++] !== v) return false;
  return i === w.length;
}

function planFor(graph: Graph): Plan {
  const order = graph.topoOrder();
  const missing = missingKernels(graph);
  if (missing.length > 0) {
    const first = missing[0]!;
    const others = missing.length > 1 ? ` (nor for ${missing.slice(1).map((m) => m.op).join(", ")})` : "";
    throw new ExecutionError(first.nodes[0]!, first.op, `no kernel is registered for op ${first.op}${others}`);
  }
  const slots = new Map<Value, number>();
  const slotOf = (v: Value): number => {
    let slot = slots.get(v);
    if (slot === undefined) slots.set(v, (slot = slots.size));
    return slot;
  };
  const constants = [...graph.constants].map((value) => ({ slot: slotOf(value), value }));
  for (const c of graph.constants) if (c.constant) markImmutable(c.constant.data);
  const inputs = graph.inputs.map((value) => ({ slot: slotOf(value), value }));
  const lastUse = new Map<Value, number>();
  order.forEach((node, i) => {
    for (const v of node.inputs) if (v) lastUse.set(v, i);
    for (const v of node.outputs) if (!lastUse.has(v)) lastUse.set(v, i);
  });
  const keep = new Set(graph.outputs);
  const release = order.map((): number[] => []);
  for (const [v, i] of lastUse) if (!v.isConstant && v.producer && !keep.has(v)) release[i]!.push(slotOf(v));
  const steps: Step[] = order.map((node, i) => ({
    node,
    def: lookupOp(node.domain, node.op)!,
    inputs: Int32Array.from(node.inputs, (v) => (v ? slotOf(v) : -1)),
    outputs: Int32Array.from(node.outputs, slotOf),
    release: Int32Array.from(release[i]!),
  }));
  const outputs = graph.outputs.map((value) => ({ slot: slotOf(value), value }));
  return { steps, slots: slots.size, constants, inputs, outputs, wiring: wiringOf(graph), pool: new BufferPool() };
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
