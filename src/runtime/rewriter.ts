/**
 * The transactional `Rewriter` that generated passes call (see pass.ts for the contract).
 *
 * Reading methods look at the graph. Building methods (`constantValue`, `create`) *stage* values
 * and nodes outside the graph; shapes of staged nodes come from the op registry. `replace`
 * checks the whole replacement first (root still in the graph, one value per root output, equal
 * dtype and shape, no cycle) and only then commits it: staged constants and the staged nodes the
 * replacement needs enter the graph in creation order, readers of the root's outputs are rewired,
 * and the root plus every node or constant that became dead because of it are erased. A check
 * that fails throws `RewriteAbort` before anything in the graph changed.
 *
 * Probing (`probing`, for the driver's benefit across roots): `replace` runs every check and
 * then commits nothing, keeping the checked rewrite in `probed`; `commitProbed` commits it later
 * as long as the graph has not changed in between.
 *
 * A result may give fewer values than the root has outputs (`Dropout(x) => x` replaces only the
 * data output): the root outputs past the given values must then have no reader and not be
 * graph outputs, else the rewrite aborts naming the output that is still read.
 *
 * Shapes: a fresh unknown dim (`?17`) in the replacement's inferred shape matches the root's
 * dim at that place (it cannot be proven different; `fusec verify` checks rules numerically),
 * and a staged replacement then takes the root output's shape.
 *
 * Names: the staged value replacing root output i takes that output's name (the old value leaves
 * the graph), and the staged node producing the first replacement takes the root's name, so names
 * stay stable across rewrites. When a graph output must be replaced by a value that already
 * exists, that value is renamed to the output's name if it is an internal node output; if it is a
 * graph input, a constant or another graph output, an `Identity` node carrying the output's name
 * is inserted instead.
 */
import type { Attr, Attrs, Dim, Graph, Node, Value } from "./graph.js";
import { Value as GraphValue } from "./graph.js";
import { inferOutputs, shapesAgree, valueInfo } from "./infer.js";
import { RewriteAbort, type Rewriter } from "./pass.js";
import type { DType, Tensor } from "./tensor.js";

/** What one committed rewrite changed, for the driver's worklist. */
export interface Commit {
  /** Nodes that entered the graph. */
  added: Node[];
  /** The values that now stand where the root's outputs were. */
  replacements: Value[];
  /** Inputs of erased nodes that are still in the graph (their use counts dropped). */
  touched: Value[];
  /** Nodes that left the graph: the root and the matched nodes nobody reads any more. */
  removed: Node[];
}

/** A failed candidate: the rule index in the pass and why it failed. */
export interface Failure {
  rule: number;
  reason: string;
}

const NONE: ReadonlySet<number> = new Set();

/** How many of the root's nearest ancestors the cycle check looks at before walking downstream. */
const NEAR_ANCESTORS = 256;

/** A replacement that `replace` checked: everything `commit` needs, nothing left to fail. */
export interface PlannedRewrite {
  rule: number;
  root: Node;
  values: Value[];
  needed: { constants: Value[]; nodes: StagedNode[] };
  /** Names the replacement's values take. */
  names: Map<Value, string>;
  /** Root outputs that are graph outputs and need an Identity carrying their name. */
  identityFor: Set<number>;
  /** Staged value → its producing staged node (undefined for staged constants). */
  staged: ReadonlyMap<Value, StagedNode | undefined>;
}

interface StagedNode {
  op: string;
  domain: string;
  inputs: (Value | undefined)[];
  attrs: Attrs;
  outputs: Value[];
}

export class GraphRewriter implements Rewriter {
  /** Rule index currently running (`begin`), -1 before the first. */
  currentRule = -1;
  /** Failures recorded since the last `start`. */
  readonly failures: Failure[] = [];
  /** Set by `replace`, cleared by `start`. */
  lastCommit: Commit | undefined;
  /** Number of `begin` calls that ran a rule. */
  attempts = 0;
  /**
   * When set, `replace` runs every check and then leaves the graph untouched, recording the
   * rule that would have fired in `probed` (the driver asks what would fire at a node).
   */
  probing = false;
  /** Set by a probing `replace`, cleared by `start`: the rule and whether it read `watched`. */
  probed: { rule: number; reachedWatched: boolean; plan: PlannedRewrite } | undefined;
  /** A node whose matching by the current rule (through `def`) `probed` reports. */
  watched: Node | undefined;
  private reachedWatched = false;

  private disabled: ReadonlySet<number> = NONE;
  private skipped: ReadonlySet<number> = NONE;
  private readonly stagedConstants: Value[] = [];
  private readonly stagedNodes: StagedNode[] = [];
  /** Staged value → its producing staged node (undefined for staged constants). */
  private readonly staged = new Map<Value, StagedNode | undefined>();

  constructor(readonly graph: Graph) {}

  /**
   * Prepares one pass application: rules whose index is in `disabled` or `skipped` report
   * themselves disabled from `begin`.
   */
  start(disabled: ReadonlySet<number> = NONE, skipped: ReadonlySet<number> = NONE): void {
    this.disabled = disabled;
    this.skipped = skipped;
    this.currentRule = -1;
    this.failures.length = 0;
    this.lastCommit = undefined;
    this.probed = undefined;
    this.dropStaged();
  }

  /** Forgets staged values and nodes (after a rule threw, or before the next rule). */
  dropStaged(): void {
    if (this.staged.size === 0 && this.stagedNodes.length === 0) return;
    this.stagedConstants.length = 0;
    this.stagedNodes.length = 0;
    this.staged.clear();
  }

  // ── rule bookkeeping ─────────────────────────────────────────────────────────────────────

  begin(index: number): boolean {
    this.dropStaged();
    this.currentRule = index;
    this.reachedWatched = false;
    if (this.disabled.has(index) || this.skipped.has(index)) return false;
    this.attempts++;
    return true;
  }

  fail(reason: string): false {
    // Both orders of a commutative op can fail for the same reason: say it once.
    if (!this.failures.some((f) => f.rule === this.currentRule && f.reason === reason)) this.failures.push({ rule: this.currentRule, reason });
    return false;
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────

  def(v: Value | undefined, op: string, domain = ""): Node | undefined {
    const p = v?.producer;
    if (!p || p.op !== op || !sameDomain(p.domain, domain) || !this.graph.nodes.has(p)) return undefined;
    if (p === this.watched) this.reachedWatched = true;
    return p;
  }

  input(node: Node, i: number): Value | undefined {
    return node.inputs[i];
  }

  inputCount(node: Node): number {
    return node.inputs.length;
  }

  output(node: Node, i = 0): Value {
    const v = node.outputs[i];
    if (!v) throw new RewriteAbort(`node "${node.name}" has no output ${i}`);
    return v;
  }

  attr(node: Node, name: string): Attr | undefined {
    return node.attrs[name];
  }

  attrInt(node: Node, name: string, fallback: number): number;
  attrInt(node: Node, name: string, fallback?: number): number | undefined;
  attrInt(node: Node, name: string, fallback?: number): number | undefined {
    const a = node.attrs[name];
    if (a === undefined) return fallback;
    if (a.type === "int") return a.value;
    return badAttr(node, name, a, "int");
  }

  attrFloat(node: Node, name: string, fallback: number): number;
  attrFloat(node: Node, name: string, fallback?: number): number | undefined;
  attrFloat(node: Node, name: string, fallback?: number): number | undefined {
    const a = node.attrs[name];
    if (a === undefined) return fallback;
    if (a.type === "float" || a.type === "int") return a.value;
    return badAttr(node, name, a, "float");
  }

  attrString(node: Node, name: string, fallback: string): string;
  attrString(node: Node, name: string, fallback?: string): string | undefined;
  attrString(node: Node, name: string, fallback?: string): string | undefined {
    const a = node.attrs[name];
    if (a === undefined) return fallback;
    if (a.type === "string") return a.value;
    return badAttr(node, name, a, "string");
  }

  attrInts(node: Node, name: string, fallback: number[]): number[];
  attrInts(node: Node, name: string, fallback?: number[]): number[] | undefined;
  attrInts(node: Node, name: string, fallback?: number[]): number[] | undefined {
    const a = node.attrs[name];
    if (a === undefined) return fallback === undefined ? undefined : [...fallback];
    if (a.type === "ints") return [...a.value];
    return badAttr(node, name, a, "ints");
  }

  attrFloats(node: Node, name: string, fallback: number[]): number[];
  attrFloats(node: Node, name: string, fallback?: number[]): number[] | undefined;
  attrFloats(node: Node, name: string, fallback?: number[]): number[] | undefined {
    const a = node.attrs[name];
    if (a === undefined) return fallback === undefined ? undefined : [...fallback];
    if (a.type === "floats" || a.type === "ints") return [...a.value];
    return badAttr(node, name, a, "floats");
  }

  constant(v: Value | undefined): Tensor | undefined {
    return v?.constant;
  }

  useCount(v: Value): number {
    let n = v.uses.length;
    for (const o of this.graph.outputs) if (o === v) n++;
    return n;
  }

  hasOneUse(v: Value): boolean {
    return v.uses.length === 1 && !this.graph.outputs.includes(v);
  }

  shape(v: Value): Dim[] | undefined {
    return v.shape;
  }

  dtype(v: Value): DType | undefined {
    return v.dtype;
  }

  // ── building (staged) ────────────────────────────────────────────────────────────────────

  constantValue(t: Tensor): Value {
    const v = new GraphValue("(staged constant)", t.dtype, [...t.shape]);
    v.constant = t;
    this.stagedConstants.push(v);
    this.staged.set(v, undefined);
    return v;
  }

  create(op: string, domain: string, inputs: (Value | undefined)[], attrs: Attrs, outputCount = 1): [Value, ...Value[]] {
    if (!(outputCount >= 1)) throw new RewriteAbort(`${op}: a node needs at least one output (asked for ${outputCount})`);
    for (const v of inputs) {
      if (v && !this.staged.has(v) && v.producer && !this.graph.nodes.has(v.producer)) {
        throw new RewriteAbort(`${op}: operand "${v.name}" is no longer in the graph`);
      }
    }
    let infos;
    try {
      infos = inferOutputs(op, domain, inputs.map((v) => (v ? valueInfo(v) : undefined)), attrs, outputCount);
    } catch (e) {
      throw new RewriteAbort(`cannot build ${qualified(op, domain)}: ${(e as Error).message}`);
    }
    if (!infos) throw new RewriteAbort(`cannot build ${qualified(op, domain)}: the op is not registered`);
    const node: StagedNode = { op, domain, inputs: [...inputs], attrs: { ...attrs }, outputs: [] };
    for (let i = 0; i < outputCount; i++) {
      const info = infos[i]!;
      const v = new GraphValue("(staged)", info.dtype, info.shape ? [...info.shape] : undefined);
      node.outputs.push(v);
      this.staged.set(v, node);
    }
    this.stagedNodes.push(node);
    return [node.outputs[0]!, ...node.outputs.slice(1)];
  }

  attrsOf(node: Node): Attrs {
    const copy: Attrs = {};
    for (const [k, a] of Object.entries(node.attrs)) copy[k] = copyAttr(a);
    return copy;
  }

  // ── commit ───────────────────────────────────────────────────────────────────────────────

  replace(root: Node, values: Value[]): boolean {
    const graph = this.graph;
    // Every check first: nothing below may throw once the graph starts changing.
    if (!graph.nodes.has(root)) throw new RewriteAbort(`node "${root.name}" is not in the graph`);
    if (values.length === 0 || values.length > root.outputs.length) {
      throw new RewriteAbort(`"${root.name}" has ${root.outputs.length} outputs, the result gives ${values.length}`);
    }
    // Outputs past the result's values are dropped with the root: nothing may read them.
    for (const dropped of root.outputs.slice(values.length)) {
      if (dropped.uses.length > 0 || graph.outputs.includes(dropped)) {
        throw new RewriteAbort(`output "${dropped.name}" of "${root.name}" is read, and the result does not replace it`);
      }
    }
    const rootOutputs = root.outputs;
    values.forEach((v, i) => {
      const old = root.outputs[i]!;
      if (rootOutputs.includes(v)) throw new RewriteAbort(`the result of "${root.name}" is its own output "${v.name}"`);
      if (!this.staged.has(v) && !this.inGraph(v)) throw new RewriteAbort(`replacement "${v.name}" is not in the graph`);
      if (v.dtype !== old.dtype) {
        throw new RewriteAbort(`result dtype ${v.dtype ?? "unknown"} differs from "${old.name}" (${old.dtype ?? "unknown"})`);
      }
      if (!sameShapeUpToFreshDims(v, old)) {
        throw new RewriteAbort(`result shape ${fmtShape(v.shape)} differs from "${old.name}" ${fmtShape(old.shape)}`);
      }
    });
    const needed = this.neededStaged(values);
    for (const n of needed.nodes) {
      for (const v of n.inputs) {
        if (v && rootOutputs.includes(v)) throw new RewriteAbort(`the result reads "${v.name}", the value it replaces`);
        if (v && !this.staged.has(v) && !this.inGraph(v)) {
          throw new RewriteAbort(`${qualified(n.op, n.domain)} reads "${v.name}", which is not in the graph (staged by an earlier rule?)`);
        }
      }
    }
    const downstream = this.readFromDownstream(root, values, needed.nodes);
    if (downstream) throw new RewriteAbort(`the result uses "${downstream.name}", which is computed from "${root.name}" (a cycle)`);
    const graphOutputs = graph.outputs;
    const identityFor = new Set<number>();
    const names = new Map<Value, string>();
    values.forEach((v, i) => {
      const old = root.outputs[i]!;
      if (this.staged.has(v) && !names.has(v)) names.set(v, old.name);
      else if (graphOutputs.includes(old) && !names.has(v)) {
        if (this.staged.has(v) || !v.producer || graphOutputs.includes(v)) identityFor.add(i);
        else names.set(v, old.name);
      } else if (graphOutputs.includes(old)) identityFor.add(i);
    });
    if (identityFor.size > 0 && root.op === "Identity" && root.domain === "") {
      throw new RewriteAbort(`graph output "${root.outputs[0]!.name}" would need another Identity`);
    }

    const plan: PlannedRewrite = { rule: this.currentRule, root, values, needed, names, identityFor, staged: this.staged };
    if (this.probing) {
      this.probed = { rule: this.currentRule, reachedWatched: this.reachedWatched, plan: { ...plan, staged: new Map(this.staged) } };
      this.dropStaged();
      return true;
    }
    this.commit(plan);
    return true;
  }

  /**
   * Commits a rewrite that a probing `replace` checked, while the graph has not changed since
   * (the driver asked other nodes in between, which changes nothing). Sets `lastCommit`.
   */
  commitProbed(plan: PlannedRewrite): void {
    if (!this.graph.nodes.has(plan.root)) throw new Error(`internal: the probed root "${plan.root.name}" left the graph`);
    this.currentRule = plan.rule;
    this.commit(plan);
  }

  private commit({ root, values, needed, names, identityFor, staged }: PlannedRewrite): void {
    const graph = this.graph;
    values.forEach((v, i) => {
      const oldShape = root.outputs[i]!.shape;
      if (staged.has(v) && oldShape) v.shape = [...oldShape];
    });
    const added: Node[] = [];
    for (const c of needed.constants) {
      c.name = names.get(c) ?? graph.freshName(`${root.name}_const`);
      graph.constants.add(c);
    }
    const firstProducer = staged.get(values[0]!);
    for (const n of needed.nodes) {
      const name = n === firstProducer ? root.name : graph.freshName(n.op);
      n.outputs.forEach((v, i) => {
        v.name = names.get(v) ?? graph.freshName(n.outputs.length === 1 ? `${name}_out` : `${name}_out${i}`);
      });
      added.push(graph.addNode({ op: n.op, domain: n.domain, name, inputs: n.inputs, attrs: n.attrs, outputs: n.outputs }));
    }
    for (const [v, name] of names) if (!staged.has(v)) v.name = name;
    values.forEach((v, i) => {
      const old = root.outputs[i]!;
      if (!identityFor.has(i)) return graph.replaceAllUses(old, v);
      for (const { node, index } of [...old.uses]) graph.setInput(node, index, v);
      const named = new GraphValue(old.name, v.dtype, v.shape ? [...v.shape] : undefined);
      added.push(graph.addNode({ op: "Identity", name: graph.freshName("Identity"), inputs: [v], outputs: [named] }));
      graph.outputs = graph.outputs.map((o) => (o === old ? named : o));
    });
    const { touched, removed } = eraseDead(graph, root);
    this.lastCommit = { added, replacements: [...values], touched, removed };
    this.dropStaged();
  }

  /** The staged constants and nodes that the replacement values depend on, in creation order. */
  private neededStaged(values: readonly Value[]): { constants: Value[]; nodes: StagedNode[] } {
    const neededNodes = new Set<StagedNode>();
    const neededConstants = new Set<Value>();
    const stack = values.filter((v) => this.staged.has(v));
    while (stack.length > 0) {
      const v = stack.pop()!;
      const producer = this.staged.get(v);
      if (!producer) {
        neededConstants.add(v);
        continue;
      }
      if (neededNodes.has(producer)) continue;
      neededNodes.add(producer);
      for (const input of producer.inputs) if (input && this.staged.has(input)) stack.push(input);
    }
    return {
      constants: this.stagedConstants.filter((c) => neededConstants.has(c)),
      nodes: this.stagedNodes.filter((n) => neededNodes.has(n)),
    };
  }

  /**
   * An existing value the replacement uses (directly or as an operand of a staged node) that is
   * computed from the root, so that rewiring the root's readers would close a cycle; undefined
   * when there is none. Operands found among the root's nearest ancestors (where a matched
   * pattern's operands are) are cleared cheaply; only the rest cost a walk over the root's
   * descendants.
   */
  private readFromDownstream(root: Node, values: readonly Value[], nodes: readonly StagedNode[]): Value | undefined {
    const suspects = new Set<Value>();
    const consider = (v: Value | undefined) => {
      if (v && !this.staged.has(v) && v.producer && this.graph.nodes.has(v.producer)) suspects.add(v);
    };
    values.forEach(consider);
    for (const n of nodes) n.inputs.forEach(consider);
    if (suspects.size === 0) return undefined;
    const seen = new Set<Node>([root]);
    const frontier: Node[] = [root];
    for (let i = 0; i < frontier.length && seen.size <= NEAR_ANCESTORS && suspects.size > 0; i++) {
      for (const v of frontier[i]!.inputs) {
        if (!v) continue;
        suspects.delete(v);
        if (v.producer && !seen.has(v.producer)) {
          seen.add(v.producer);
          frontier.push(v.producer);
        }
      }
    }
    if (suspects.size === 0) return undefined;
    const visited = new Set<Node>();
    const stack = [...root.outputs];
    while (stack.length > 0) {
      for (const { node } of stack.pop()!.uses) {
        if (visited.has(node)) continue;
        visited.add(node);
        for (const out of node.outputs) {
          if (suspects.has(out)) return out;
          stack.push(out);
        }
      }
    }
    return undefined;
  }

  private inGraph(v: Value): boolean {
    if (v.producer) return this.graph.nodes.has(v.producer);
    if (v.constant) return this.graph.constants.has(v);
    return this.graph.inputs.includes(v);
  }
}

/**
 * Removes `start` if dead, then every producer or constant that became dead because of it.
 * Returns the removed nodes and those of their inputs that are still in the graph.
 */
function eraseDead(graph: Graph, start: Node): { touched: Value[]; removed: Node[] } {
  const outputs = graph.outputs;
  const touched: Value[] = [];
  const removed: Node[] = [];
  const isDead = (n: Node) => n.outputs.every((o) => o.uses.length === 0 && !outputs.includes(o));
  const stack = [start];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!graph.nodes.has(node) || !isDead(node)) continue;
    const inputs = node.inputs.filter((v): v is Value => v !== undefined);
    graph.removeNode(node);
    removed.push(node);
    for (const v of inputs) {
      if (v.uses.length > 0 || outputs.includes(v)) touched.push(v);
      else if (v.producer) stack.push(v.producer);
      else if (v.constant) graph.removeConstant(v);
    }
  }
  return { touched, removed };
}

function sameDomain(a: string, b: string): boolean {
  return a === b || ((a === "" || a === "ai.onnx") && (b === "" || b === "ai.onnx"));
}

function qualified(op: string, domain: string): string {
  return domain === "" ? op : `${domain}::${op}`;
}

/**
 * The replacement has the root output's shape: both unknown, or equal dim by dim, where a fresh
 * unknown dim (`?17`, which inference invents for sizes derived from unknown ones) on the
 * replacement's side stands for the root's dim. Staged values then adopt the root's shape.
 */
function sameShapeUpToFreshDims(v: Value, old: Value): boolean {
  if (v.shape === undefined || old.shape === undefined) return v.shape === old.shape;
  return shapesAgree(old.shape, v.shape);
}

function fmtShape(s: readonly Dim[] | undefined): string {
  return s ? `[${s.join(", ")}]` : "(unknown)";
}

function badAttr(node: Node, name: string, a: Attr, expected: string): never {
  throw new RewriteAbort(`attribute "${name}" of node "${node.name}" is ${a.type}, expected ${expected}`);
}

function copyAttr(a: Attr): Attr {
  switch (a.type) {
    case "ints":
    case "floats":
      return { type: a.type, value: [...a.value] };
    case "strings":
      return { type: a.type, value: [...a.value] };
    default:
      return { ...a };
  }
}
