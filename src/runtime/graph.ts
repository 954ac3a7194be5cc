/**
 * The graph IR: nodes, SSA values with exact use lists, constants, named graph inputs/outputs.
 *
 * Every edit goes through the Graph methods below so that use lists stay exact; `verify()`
 * (verify.ts) checks that they do.
 */
import type { DType, Tensor } from "./tensor.js";

/** A dimension: a size, or a symbolic name (e.g. "batch") when unknown at load time. */
export type Dim = number | string;

/** Attributes are tagged with their ONNX type so that a saved model keeps int vs float. */
export type Attr =
  | { type: "int"; value: number }
  | { type: "float"; value: number }
  | { type: "string"; value: string }
  | { type: "ints"; value: number[] }
  | { type: "floats"; value: number[] }
  | { type: "strings"; value: string[] }
  | { type: "tensor"; value: Tensor }
  /** Opaque attribute (e.g. a subgraph) kept as its encoded protobuf bytes. */
  | { type: "opaque"; value: Uint8Array; onnxType: number };

export type Attrs = Record<string, Attr>;

export interface Use {
  node: Node;
  /** Input slot of `node` that reads the value. */
  index: number;
}

export class Value {
  /** Uses by nodes (graph outputs are tracked separately in `graph.outputs`). */
  readonly uses: Use[] = [];
  producer: Node | undefined = undefined;
  /** Set for constants (initializers); a constant has no producer. */
  constant: Tensor | undefined = undefined;
  constructor(
    public name: string,
    public dtype: DType | undefined,
    public shape: Dim[] | undefined,
  ) {}

  get isConstant(): boolean {
    return this.constant !== undefined;
  }
}

let nextNodeId = 1;

export class Node {
  readonly id = nextNodeId++;
  /**
   * Where each input slot's use sits in its value's `uses` (parallel to `inputs`), so that
   * removing a use is O(1) even for a value read by a million nodes.
   */
  readonly usePos: number[] = [];
  /** Input slots; `undefined` is an absent optional operand (ONNX's empty name). */
  inputs: (Value | undefined)[] = [];
  outputs: Value[] = [];
  constructor(
    public op: string,
    public domain: string,
    public name: string,
    public attrs: Attrs,
  ) {}
}

export interface NewNode {
  op: string;
  domain?: string;
  name?: string;
  inputs: (Value | undefined)[];
  attrs?: Attrs;
  /** Output values to attach (created by the caller, not yet produced by any node). */
  outputs: Value[];
}

export class Graph {
  /** Insertion-ordered; `topoOrder()` gives an execution order. */
  readonly nodes = new Set<Node>();
  inputs: Value[] = [];
  outputs: Value[] = [];
  /** Constants (initializers) by value. */
  readonly constants = new Set<Value>();
  /** Model-level metadata carried through load/save (opset imports etc.). */
  meta: Record<string, unknown> = {};
  private names = new Set<string>();
  private counter = 0;

  /** A value name not used yet in this graph, derived from `base`. */
  freshName(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  /** Reserves a name that came from outside (a loaded model); throws on duplicates. */
  claimName(name: string): void {
    if (this.names.has(name)) throw new Error(`duplicate value name "${name}"`);
    this.names.add(name);
  }

  newValue(base: string, dtype?: DType, shape?: Dim[]): Value {
    return new Value(this.freshName(base), dtype, shape);
  }

  addInput(name: string, dtype: DType, shape: Dim[]): Value {
    this.claimName(name);
    const v = new Value(name, dtype, shape);
    this.inputs.push(v);
    return v;
  }

  addConstant(t: Tensor, base = "const", exactName = false): Value {
    const name = exactName ? (this.claimName(base), base) : this.freshName(base);
    const v = new Value(name, t.dtype, [...t.shape]);
    v.constant = t;
    this.constants.add(v);
    return v;
  }

  addNode(spec: NewNode): Node {
    const node = new Node(spec.op, spec.domain ?? "", spec.name ?? this.freshName(spec.op), spec.attrs ?? {});
    node.inputs = [...spec.inputs];
    node.inputs.forEach((v, index) => v && addUse(v, node, index));
    for (const out of spec.outputs) {
      if (out.producer) throw new Error(`value "${out.name}" already has a producer`);
      out.producer = node;
    }
    node.outputs = [...spec.outputs];
    this.nodes.add(node);
    return node;
  }

  setInput(node: Node, index: number, value: Value | undefined): void {
    const old = node.inputs[index];
    if (old) removeUse(old, node, index);
    node.inputs[index] = value;
    if (value) addUse(value, node, index);
  }

  /** Points every reader of `from` (nodes and graph outputs) at `to`. */
  replaceAllUses(from: Value, to: Value): void {
    if (from === to) return;
    for (const { node, index } of [...from.uses]) this.setInput(node, index, to);
    this.outputs = this.outputs.map((o) => (o === from ? to : o));
  }

  /** Removes a node; its outputs must be unused (unless `force`, used by dead-code removal). */
  removeNode(node: Node): void {
    for (const out of node.outputs) {
      if (out.uses.length > 0 || this.outputs.includes(out)) {
        throw new Error(`cannot remove node "${node.name}": output "${out.name}" is still used`);
      }
      out.producer = undefined;
    }
    node.inputs.forEach((v, index) => v && removeUse(v, node, index));
    node.inputs = [];
    this.nodes.delete(node);
  }

  /** Drops a constant that nothing reads any more. */
  removeConstant(v: Value): void {
    if (v.uses.length > 0 || this.outputs.includes(v)) return;
    this.constants.delete(v);
  }

  /** Nodes in an order where every producer precedes its users (Kahn's algorithm, stable). */
  topoOrder(): Node[] {
    const pending = new Map<Node, number>();
    const ready: Node[] = [];
    for (const n of this.nodes) {
      let deps = 0;
      for (const v of n.inputs) if (v?.producer && this.nodes.has(v.producer)) deps++;
      pending.set(n, deps);
      if (deps === 0) ready.push(n);
    }
    const order: Node[] = [];
    for (let i = 0; i < ready.length; i++) {
      const n = ready[i]!;
      order.push(n);
      for (const out of n.outputs) {
        for (const u of out.uses) {
          const left = pending.get(u.node)! - 1;
          pending.set(u.node, left);
          if (left === 0) ready.push(u.node);
        }
      }
    }
    if (order.length !== this.nodes.size) throw new Error("graph has a cycle");
    return order;
  }
}

function addUse(v: Value, node: Node, index: number): void {
  node.usePos[index] = v.uses.length;
  v.uses.push({ node, index });
}

/** Removes the use of `v` by slot `index` of `node` in O(1): the last use moves into its place. */
function removeUse(v: Value, node: Node, index: number): void {
  const i = node.usePos[index]!;
  const use = v.uses[i];
  if (!use || use.node !== node || use.index !== index) throw new Error(`use list of "${v.name}" lacks ${node.name}[${index}]`);
  const last = v.uses.pop()!;
  if (i < v.uses.length) {
    v.uses[i] = last;
    last.node.usePos[last.index] = i;
  }
}
