/**
 * Graph → ONNX. Writes the graph as a ModelProto: constants as initializers, nodes in
 * topological order (each first passed through lower.ts so that what is written runs on
 * onnxruntime's CPU provider at the model's opsets), graph inputs and outputs under their
 * original names, the loaded model's opset imports and metadata. Bytes out: writing files
 * (atomically) is src/node/'s job.
 */
import type { Attr, Attrs, Dim, Graph, Node, Value } from "../runtime/graph.js";
import { tensorBytes, type DType, type Tensor } from "../runtime/tensor.js";
import { lowerNode, type LoweringSink } from "./lower.js";
import { ModelFileError, opsetsOf, unnamedOutputs, type OnnxModelInfo } from "./meta.js";
import { capturesOf } from "../runtime/captures.js";
import {
  AttributeType,
  decodeAttribute,
  dtypeCode,
  encodeModel,
  int64Field,
  type IAttributeProto,
  type IModelProto,
  type INodeProto,
  type ITensorProto,
  type IValueInfoProto as ValueInfoProto,
} from "./proto.js";

export interface SaveOptions {
  /** Write value_info (dtype and shape) for every intermediate value whose type is known. */
  valueInfo?: boolean;
}

/** The graph as ONNX model bytes. */
export function encodeOnnx(graph: Graph, options: SaveOptions = {}): Uint8Array {
  return encodeModel(new ModelWriter(graph, options).write(), (graph.meta["onnx"] as OnnxModelInfo | undefined)?.unknownFields);
}

class ModelWriter implements LoweringSink {
  private readonly names = new Map<Value, string>();
  private readonly taken = new Set<string>();
  private readonly nodeNames = new Set<string>();
  /** Captured names written by an Identity, with the name of the value each copies. */
  private readonly captureIdentities = new Map<string, string>();
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly opsets: Record<string, number>;

  constructor(
    readonly graph: Graph,
    private readonly options: SaveOptions,
  ) {
    this.opsets = { ...opsetsOf(graph) };
  }

  write(): IModelProto {
    const g = this.graph;
    const order = g.topoOrder();
    const outputNames = this.reserveNames(order);
    for (const v of g.constants) {
      if (v.uses.length > 0 || g.outputs.includes(v)) this.initializers.push(tensorProto(this.nameOf(v), v.constant!));
    }
    for (const node of order) {
      if (!lowerNode(node, this)) this.emitNode(node);
    }
    // Graph outputs that are inputs, constants, or listed twice are written through an Identity.
    const outputs = g.outputs.map((v, i) => {
      const name = outputNames[i]!;
      if (this.nameOf(v) !== name) {
        this.nodes.push({ opType: "Identity", name: this.nodeName(`${name}_identity`), input: [this.nameOf(v)], output: [name] });
      }
      return valueInfo(name, v.dtype, v.shape);
    });
    const info = g.meta.onnx as OnnxModelInfo | undefined;
    // IR 4 is the first that lets initializers stay out of the graph inputs.
    const irVersion = info?.irVersion ? Math.max(info.irVersion, 4) : irVersionFor(this.opsets[""] ?? 0);
    const inputs = g.inputs.map((v) => valueInfo(this.nameOf(v), v.dtype, v.shape));
    const written = new Set(g.inputs.map((v) => this.nameOf(v)).concat(outputs.map((o) => o.name!)));
    const intermediate: ValueInfoProto[] = [];
    if (this.options.valueInfo) {
      for (const node of order) {
        for (const v of node.outputs) {
          const name = this.names.get(v);
          if (name && !written.has(name) && v.dtype) intermediate.push(valueInfo(name, v.dtype, v.shape));
        }
      }
    }
    return {
      irVersion: BigInt(irVersion),
      producerName: "fusec",
      producerVersion: "0.1.0",
      domain: info?.domain ?? "",
      modelVersion: BigInt(info?.modelVersion ?? 0),
      docString: info?.docString ?? "",
      metadataProps: info?.metadataProps ?? [],
      opsetImport: Object.entries(this.opsets).map(([domain, version]) => ({ domain, version: BigInt(version) })),
      graph: {
        name: info?.graphName || "fusec",
        node: this.nodes,
        initializer: this.initializers,
        input: inputs,
        output: outputs,
        valueInfo: intermediate,
      },
    };
  }

  /**
   * Chooses every value's name in the file. Graph outputs take the names the loaded model gave
   * them (a rewrite may have replaced the value behind an output); a value that happens to hold
   * such a name elsewhere is renamed.
   */
  private reserveNames(order: Node[]): string[] {
    const g = this.graph;
    const original = (g.meta.outputNames as string[] | undefined) ?? [];
    const wanted = g.outputs.map((v, i) => original[i] ?? v.name);
    for (const name of wanted) this.taken.add(name);
    for (const v of g.inputs) this.assign(v, v.name);
    g.outputs.forEach((v, i) => {
      if (!this.names.has(v) && !v.isConstant) this.assign(v, wanted[i]!);
    });
    // Names that subgraphs read from this graph go to the values they stand for, and stay reserved.
    const captures = order.flatMap((node) => capturesOf(node));
    for (const { value, name } of captures) if (!this.names.has(value) && !this.taken.has(name)) this.assign(value, name);
    for (const { name } of captures) this.taken.add(name);
    for (const v of g.constants) if (!this.names.has(v)) this.assign(v, this.available(v.name));
    for (const node of order) {
      for (const v of node.outputs) if (!this.names.has(v)) this.assign(v, this.available(v.name));
    }
    return wanted;
  }

  private assign(v: Value, name: string): void {
    this.names.set(v, name);
    this.taken.add(name);
  }

  private available(name: string): string {
    return this.taken.has(name) ? this.fresh(name) : name;
  }

  /**
   * Makes `capture.name` hold `capture.value` where `node`'s subgraph reads it: a rewrite may
   * have put a value of another name there, which an Identity then renames.
   */
  private provideCapture(node: Node, capture: { value: Value; name: string }): void {
    const held = this.nameOf(capture.value);
    if (held === capture.name || this.captureIdentities.get(capture.name) === held) return;
    const holder = [...this.names].find(([v, n]) => n === capture.name && v !== capture.value);
    if (holder || this.captureIdentities.has(capture.name)) {
      throw new ModelFileError(String(this.graph.meta.source ?? "<model>"), `cannot write node "${node.name}": its subgraph reads "${capture.name}", a name another value now holds`);
    }
    this.captureIdentities.set(capture.name, held);
    this.nodes.push({ opType: "Identity", name: this.nodeName(`${capture.name}_identity`), input: [held], output: [capture.name] });
  }

  // ── LoweringSink ────────────────────────────────────────────────────────────────────────
  get opset(): Readonly<Record<string, number>> {
    return this.opsets;
  }

  nameOf(v: Value | undefined): string {
    if (!v) return "";
    const name = this.names.get(v);
    if (name === undefined) throw new Error(`value "${v.name}" is read but not produced by any node of the graph`);
    if (unnamedOutputs.has(v) && v.uses.length === 0 && !this.graph.outputs.includes(v)) return "";
    return name;
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  constant(t: Tensor, base: string): string {
    const name = this.fresh(base);
    this.initializers.push(tensorProto(name, t));
    return name;
  }

  emit(op: string, domain: string, inputs: string[], outputs: string[], attrs: Attrs, name?: string): void {
    if (domain !== "" && !(domain in this.opsets)) this.opsets[domain] = 1;
    const attribute = Object.entries(attrs).map(([key, a]) => attributeProto(key, a));
    this.nodes.push({ opType: op, domain, name: this.nodeName(name ?? op), input: inputs, output: outputs, attribute });
  }

  /**
   * `base`, or a variant of it, unique among the file's node names (onnxruntime rejects a model
   * with two nodes of one name; rewrites and loaded files may both bring such names).
   */
  private nodeName(base: string): string {
    let name = base;
    for (let i = 1; this.nodeNames.has(name); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    return name;
  }

  private emitNode(node: Node): void {
    const { op, domain, outputs, attrs, name } = node;
    const captures = capturesOf(node);
    for (const capture of captures) this.provideCapture(node, capture);
    const inputs = node.inputs.slice(0, node.inputs.length - captures.length);
    // Trailing absent optional inputs are dropped; inner ones stay as "".
    const names = inputs.map((v) => this.nameOf(v));
    while (names.length > 0 && names[names.length - 1] === "") names.pop();
    this.emit(op, domain, names, outputs.map((v) => this.nameOf(v)), attrs, name);
  }
}

/** The IR version that goes with an ONNX opset (for graphs not loaded from a file). */
function irVersionFor(opset: number): number {
  return opset <= 12 ? 7 : opset <= 15 ? 8 : opset <= 20 ? 9 : 10;
}

function valueInfo(name: string, dtype: DType | undefined, shape: Dim[] | undefined): ValueInfoProto {
  if (!dtype) return { name };
  const dim = shape?.map((d) => ({ value: typeof d === "number" ? { case: "dimValue" as const, value: BigInt(d) } : { case: "dimParam" as const, value: d } }));
  const tensorType = { elemType: dtypeCode(dtype), ...(dim ? { shape: { dim } } : {}) };
  return { name, type: { value: { case: "tensorType", value: tensorType } } };
}

export function tensorProto(name: string, t: Tensor): ITensorProto {
  return {
    name,
    dataType: dtypeCode(t.dtype),
    dims: t.shape.map(BigInt),
    rawData: tensorBytes(t),
  };
}

function attributeProto(name: string, a: Attr): IAttributeProto {
  switch (a.type) {
    case "int":
      return { name, type: AttributeType.INT, i: int64Field(a.value) };
    case "float":
      return { name, type: AttributeType.FLOAT, f: a.value };
    case "string":
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) };
    case "ints":
      return { name, type: AttributeType.INTS, ints: a.value.map(int64Field) };
    case "floats":
      return { name, type: AttributeType.FLOATS, floats: a.value };
    case "strings":
      return { name, type: AttributeType.STRINGS, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case "tensor":
      return { name, type: AttributeType.TENSOR, t: tensorProto("", a.value) };
    case "opaque": {
      const proto = decodeAttribute(a.value);
      proto.name = name;
      return proto;
    }
  }
}
