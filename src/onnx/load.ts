/**
 * ONNX → Graph. Decodes a ModelProto into fusec's graph IR: initializers and `Constant` nodes
 * become constants, graph inputs keep their declared shapes (symbolic dims as strings),
 * attributes keep their ONNX types, value_info shapes are kept, and ops fusec cannot compute
 * with (or attributes it cannot represent) pass through opaquely so that the model saves back
 * unchanged. Shapes are then inferred through the op registry (ops it lacks stay opaque); this
 * module imports the kernel library so the registry is always complete. Every problem with the
 * bytes is a `ModelFileError` naming their source. Bytes in: reading files is src/node/'s job.
 */
import "../kernels/index.js";
import { Graph, Value, type Attr, type Attrs, type Dim } from "../runtime/graph.js";
import { inferGraph } from "../runtime/infer.js";
import { allocData, dataFromBytes, DTYPES, halfBitsToFloat, isBigInt, storeNumber, tensor, type DType, type Tensor } from "../runtime/tensor.js";
import {
  AttributeType,
  dataTypeName,
  decodeModel,
  dtypeOfCode,
  encodeAttribute,
  longToBigInt,
  longToNumber,
  dimensionOf,
  tensorTypeOf,
  type AttributeProto,
  type GraphProto,
  type TensorProto as ITensorProto,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from "./proto.js";
import { ModelFileError, unnamedOutputs, type OnnxModelInfo } from "./meta.js";
import { capturedNames } from "../runtime/captures.js";
import { checkedElements, modelLimits, type ModelLimits } from "../runtime/limits.js";

/**
 * The versions of the default ONNX domain fusec reads: the onnx dialect (rules/dialects/onnx.rules)
 * declares the opset-13-and-later forms of its ops and the older forms back to opset 6 that
 * loading rewrites (Clip's attributes, Softmax's flattening, …); 28 is the newest the conformance
 * cases use.
 */
export const ONNX_OPSETS = { min: 6, max: 28 } as const;

/**
 * Decodes ONNX model bytes; `source` names the model in error messages. The model is validated:
 * opsets within `ONNX_OPSETS`, sizes (no negative dims, tensors and counts within `limits`),
 * `Constant` nodes without inputs, each graph output listed once, attribute names unique.
 */
export function decodeOnnx(bytes: Uint8Array, source = "<model>", limits: Partial<ModelLimits> = {}): Graph {
  if (bytes.length === 0) throw new ModelFileError(source, "file is empty");
  const bounds = modelLimits(limits);
  if (bytes.length > bounds.maxBytes) throw new ModelFileError(source, `${bytes.length} bytes, more than the limit of ${bounds.maxBytes} (raise it with --max-model-bytes)`);
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new ModelFileError(source, `not a valid ONNX model (${firstLine(e)})`);
  }
  if (!model.graph) throw new ModelFileError(source, "not a valid ONNX model (no graph)");
  if (model.opsetImport.length === 0 && (model.graph.node?.length ?? 0) > 0) {
    throw new ModelFileError(source, "not a valid ONNX model (no opset imports)");
  }
  model.opsetImport.forEach((o, i) => {
    if (normalDomain(o.domain) !== "") return;
    const version = longToNumber(o.version);
    if (version < ONNX_OPSETS.min || version > ONNX_OPSETS.max) {
      throw new ModelFileError(source, `opset_import[${i}]: opset ${version} of the default domain is not one fusec reads (${ONNX_OPSETS.min} to ${ONNX_OPSETS.max})`);
    }
  });
  const tensors = (model.graph.initializer?.length ?? 0) + (model.graph.node ?? []).filter((n) => n.opType === "Constant").length;
  if (tensors > bounds.maxTensors) throw new ModelFileError(source, `${tensors} tensors, more than the limit of ${bounds.maxTensors} (raise it with --max-tensors)`);
  try {
    return new ModelReader(source, model, bounds).read();
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(source, firstLine(e));
  }
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0]!;
}

class ModelReader {
  private readonly graph = new Graph();
  private readonly values = new Map<string, Value>();

  constructor(
    private readonly source: string,
    private readonly model: ModelProto,
    private readonly limits: ModelLimits,
  ) {}

  read(): Graph {
    const g = this.model.graph!;
    this.graph.meta = this.modelInfo(g);
    for (const init of g.initializer ?? []) this.readInitializer(init);
    if ((g.sparseInitializer?.length ?? 0) > 0) this.fail("sparse initializers are not supported");
    for (const input of g.input ?? []) {
      const name = input.name ?? "";
      if (this.values.has(name)) continue; // an initializer listed as input (IR < 4)
      const { dtype, shape } = this.typeOf(input, `graph input "${name}"`);
      if (dtype === undefined) {
        this.fail(`graph input "${name}" has unsupported element type ${dataTypeName(elemType(input))}`);
      }
      const v = this.graph.addInput(name, dtype, shape ?? []);
      if (!shape) v.shape = undefined;
      this.values.set(name, v);
    }
    const body = (g.node ?? []).filter((n) => !this.readConstantNode(n));
    // Output values first, so that a file whose nodes are not topologically sorted still loads.
    const outputsOf = new Map<NodeProto, Value[]>();
    for (const node of body) outputsOf.set(node, (node.output ?? []).map((name, i) => this.declareOutput(node, name, i)));
    for (const node of body) this.readNode(node, outputsOf.get(node)!);
    for (const info of g.valueInfo ?? []) this.applyValueInfo(info);
    const listed = new Set<string>();
    for (const out of g.output ?? []) {
      const v = this.values.get(out.name ?? "");
      if (!v) this.fail(`graph output "${out.name}" is not produced by any node`);
      if (listed.has(v.name)) this.fail(`graph output "${out.name}" is listed twice`);
      listed.add(v.name);
      this.graph.outputs.push(v);
      this.applyValueInfo(out);
    }
    try {
      inferGraph(this.graph);
      if (this.opset < 13 && this.spellOutOldSoftmax()) inferGraph(this.graph);
    } catch (e) {
      this.fail(`shape inference failed: ${firstLine(e)}`);
    }
    return this.graph;
  }

  private get opset(): number {
    return (this.graph.meta.opsets as Record<string, number>)[""] ?? 0;
  }

  /**
   * Before opset 13, Softmax, LogSoftmax and Hardmax flatten their input to 2-D at `axis`
   * (default 1) and normalize each row; from 13 on (fusec's kernels and rules) they work along
   * the one axis. Where the axis is the last one both agree and the node only gets an explicit
   * `axis`; anywhere else the node is spelled out as Flatten → op along the rows → Reshape back,
   * which means the same at every opset. Returns whether the graph changed.
   */
  private spellOutOldSoftmax(): boolean {
    const graph = this.graph;
    let changed = false;
    for (const node of [...graph.nodes]) {
      if (node.domain !== "" || !ROW_NORMALIZERS.has(node.op) || node.outputs.length !== 1) continue;
      const x = node.inputs[0];
      const axisAttr = node.attrs["axis"];
      const axis = axisAttr?.type === "int" ? axisAttr.value : 1;
      if (!x) continue;
      const rank = x.shape?.length;
      if (rank !== undefined && (axis === -1 || axis === rank - 1)) {
        node.attrs = { ...node.attrs, axis: { type: "int", value: -1 } };
        changed = true;
        continue;
      }
      const y = node.outputs[0]!;
      const rows = graph.newValue(`${node.name}_rows`);
      graph.addNode({ op: "Flatten", name: graph.freshName(`${node.name}_flatten`), inputs: [x], attrs: { axis: { type: "int", value: axis } }, outputs: [rows] });
      const shape = x.shape?.every((d) => typeof d === "number")
        ? graph.addConstant(tensor("int64", [x.shape.length], x.shape), `${node.name}_shape`)
        : graph.newValue(`${node.name}_shape`);
      if (!shape.isConstant) graph.addNode({ op: "Shape", name: graph.freshName(`${node.name}_shape`), inputs: [x], outputs: [shape] });
      const normalizedRows = graph.newValue(`${node.name}_out`);
      graph.setInput(node, 0, rows);
      node.attrs = { ...node.attrs, axis: { type: "int", value: -1 } };
      y.producer = undefined;
      node.outputs = [normalizedRows];
      normalizedRows.producer = node;
      graph.addNode({ op: "Reshape", name: graph.freshName(`${node.name}_reshape`), inputs: [normalizedRows, shape], outputs: [y] });
      changed = true;
    }
    return changed;
  }

  private modelInfo(g: GraphProto): Record<string, unknown> {
    const opsets: Record<string, number> = {};
    for (const o of this.model.opsetImport) opsets[normalDomain(o.domain)] = longToNumber(o.version);
    const info: OnnxModelInfo = {
      irVersion: longToNumber(this.model.irVersion),
      producerName: this.model.producerName,
      producerVersion: this.model.producerVersion,
      domain: this.model.domain,
      modelVersion: longToNumber(this.model.modelVersion),
      docString: this.model.docString,
      graphName: g.name ?? "",
      metadataProps: this.model.metadataProps.map((p) => ({ key: p.key ?? "", value: p.value ?? "" })),
      unknownFields: { model: this.model.$unknown ?? [], graph: g.$unknown ?? [] },
    };
    const outputNames = (g.output ?? []).map((o) => o.name ?? "");
    return { source: this.source, opsets, onnx: info, outputNames };
  }

  private fail(message: string): never {
    throw new ModelFileError(this.source, message);
  }

  private readInitializer(init: ITensorProto): void {
    const name = init.name ?? "";
    if (!name) this.fail("an initializer has no name");
    const t = this.tensorFor(init, `initializer "${name}"`);
    if (t) {
      this.values.set(name, this.graph.addConstant(t, name, true));
      return;
    }
    // Not computable by fusec: keep it as a Constant node holding the original tensor.
    const v = new Value(name, undefined, init.dims?.map(longToNumber));
    this.graph.claimName(name);
    this.graph.addNode({
      op: "Constant",
      name: this.graph.freshName(`${name}_constant`),
      inputs: [],
      attrs: { value: opaqueAttr({ name: "value", type: AttributeType.TENSOR, t: init }) },
      outputs: [v],
    });
    this.values.set(name, v);
  }

  /** The tensor as fusec computes with it, or undefined when fusec does not hold its element type. */
  private tensorFor(t: ITensorProto, what: string): Tensor | undefined {
    if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
      this.fail(`${what} uses external data, which is not supported (embed the weights in the model)`);
    }
    const shape = (t.dims ?? []).map(longToNumber);
    const n = checkedElements(shape, this.limits);
    if (typeof n === "string") this.fail(`${what}: ${n}`);
    const dtype = dtypeOfCode(t.dataType ?? 0);
    return dtype ? tensor(dtype, shape, this.elements(t, dtype, n, what)) : undefined;
  }

  private elements(t: ITensorProto, dtype: DType, n: number, what: string): Tensor["data"] {
    const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
    if (raw) {
      const need = n * DTYPES[dtype].bytes;
      if (raw.length !== need) this.fail(`${what} holds ${raw.length} bytes, its shape needs ${need}`);
      return dataFromBytes(dtype, raw, n);
    }
    // The typed field ONNX stores each element type in when there is no raw_data.
    const field: ArrayLike<number | bigint> =
      dtype === "float32"
        ? (t.floatData ?? [])
        : dtype === "float64"
          ? (t.doubleData ?? [])
          : dtype === "int64"
            ? (t.int64Data ?? [])
            : dtype === "uint64" || dtype === "uint32"
              ? (t.uint64Data ?? [])
              : (t.int32Data ?? []);
    if (field.length !== n) this.fail(`${what} holds ${field.length} elements, its shape needs ${n}`);
    const out = allocData(dtype, n);
    for (let i = 0; i < n; i++) {
      const v = field[i]!;
      if (isBigInt(out)) out[i] = longToBigInt(v);
      else if (dtype === "float16") out[i] = halfBitsToFloat(longToNumber(v));
      else storeNumber(dtype, out, i, longToNumber(v));
    }
    return out;
  }

  /** Turns a `Constant` node into a graph constant; false when it must stay a node. */
  private readConstantNode(node: NodeProto): boolean {
    if (node.opType !== "Constant" || (node.domain ?? "") !== "") return false;
    if ((node.input ?? []).some((i) => i !== "")) this.fail(`Constant node "${node.name || node.output?.[0] || "?"}" has inputs; a Constant takes none`);
    if (node.output?.length !== 1) return false;
    const name = node.output[0]!;
    const a = node.attribute?.[0];
    if (!name || node.attribute?.length !== 1 || !a) return false;
    const what = `Constant "${name}"`;
    let t: Tensor | undefined;
    switch (a.name) {
      case "value":
        t = a.t ? this.tensorFor({ ...a.t, name }, what) : undefined;
        break;
      case "value_float":
        t = tensor("float32", [], [a.f ?? 0]);
        break;
      case "value_floats":
        t = tensor("float32", [a.floats?.length ?? 0], a.floats ?? []);
        break;
      case "value_int":
        t = tensor("int64", [], BigInt64Array.of(longToBigInt(a.i ?? 0)));
        break;
      case "value_ints":
        t = tensor("int64", [a.ints?.length ?? 0], BigInt64Array.from((a.ints ?? []).map(longToBigInt)));
        break;
    }
    if (!t) return false;
    this.values.set(name, this.graph.addConstant(t, name, true));
    return true;
  }

  private declareOutput(node: NodeProto, name: string, index: number): Value {
    if (!name) {
      const v = this.graph.newValue(`${node.name || node.opType}_unused${index}`);
      unnamedOutputs.add(v);
      return v;
    }
    if (this.values.has(name)) this.fail(`value "${name}" is produced twice`);
    this.graph.claimName(name);
    const v = new Value(name, undefined, undefined);
    this.values.set(name, v);
    return v;
  }

  private readNode(node: NodeProto, outputs: Value[]): void {
    const op = node.opType ?? "";
    const name = node.name || this.graph.freshName(op || "node");
    if (!op) this.fail(`node "${name}" has no op type`);
    const inputs = (node.input ?? []).map((input) => {
      if (!input) return undefined;
      const v = this.values.get(input);
      if (!v) this.fail(`node "${name}" (${op}) reads "${input}", which nothing defines`);
      return v;
    });
    const attrs: Attrs = {};
    for (const a of node.attribute ?? []) {
      const key = a.name ?? "";
      if (Object.hasOwn(attrs, key)) this.fail(`node "${name}" (${op}) has two attributes named "${key}"`);
      if (key === "" || key === "__proto__") this.fail(`node "${name}" (${op}) has an attribute named "${key}", which is not a name`);
      attrs[key] = this.readAttr(a, `attribute "${key}" of node "${name}"`);
    }
    const captured = [...subgraphCaptures(node)];
    for (const outer of captured) {
      const v = this.values.get(outer);
      if (!v) this.fail(`a subgraph of node "${name}" (${op}) reads "${outer}", which nothing defines`);
      inputs.push(v);
    }
    const added = this.graph.addNode({ op, domain: normalDomain(node.domain), name, inputs, attrs, outputs });
    if (captured.length > 0) capturedNames.set(added, captured);
  }

  private readAttr(a: AttributeProto, what: string): Attr {
    const type = a.type || inferAttrType(a);
    switch (type) {
      case AttributeType.INT:
        return { type: "int", value: longToNumber(a.i) };
      case AttributeType.FLOAT:
        return { type: "float", value: a.f ?? 0 };
      case AttributeType.STRING:
        return { type: "string", value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
      case AttributeType.INTS:
        return { type: "ints", value: (a.ints ?? []).map(longToNumber) };
      case AttributeType.FLOATS:
        return { type: "floats", value: [...(a.floats ?? [])] };
      case AttributeType.STRINGS:
        return { type: "strings", value: (a.strings ?? []).map((s) => new TextDecoder().decode(s)) };
      case AttributeType.TENSOR: {
        const t = a.t && this.tensorFor(a.t, what);
        return t ? { type: "tensor", value: t } : opaqueAttr(a);
      }
      default:
        return opaqueAttr(a);
    }
  }

  private typeOf(info: ValueInfoProto, what: string): { dtype: DType | undefined; shape: Dim[] | undefined } {
    const tt = tensorTypeOf(info);
    if (!tt) return { dtype: undefined, shape: undefined };
    const dtype = dtypeOfCode(tt.elemType ?? 0);
    if (!tt.shape) return { dtype, shape: undefined };
    const shape = tt.shape.dim.map((d, i): Dim => {
      const size = dimensionOf(d);
      if (typeof size === "string" && size !== "") return size;
      // Some exporters write -1 for a dynamic size: that is an unknown dim, like a missing one.
      // Any other negative size is not a size at all.
      if (typeof size === "number" && size >= 0) return size;
      if (typeof size === "number" && size !== -1) this.fail(`${what}: dim ${i} is ${size}, not a size`);
      return this.graph.freshName(`${info.name ?? what}_dim${i}`);
    });
    return { dtype, shape };
  }

  /** Fills in a value's type from value_info (shape inference may refine it later). */
  private applyValueInfo(info: ValueInfoProto): void {
    const v = this.values.get(info.name ?? "");
    if (!v || v.isConstant) return;
    const { dtype, shape } = this.typeOf(info, `value "${info.name}"`);
    if (v.dtype === undefined && dtype) v.dtype = dtype;
    if (v.shape === undefined && shape) v.shape = shape;
  }
}

/**
 * Names that the subgraphs of `node` (If branches, Loop and Scan bodies, nested at any depth)
 * read from enclosing graphs: used there but defined neither in the subgraph nor above it inside.
 */
function subgraphCaptures(node: NodeProto): Set<string> {
  const captured = new Set<string>();
  for (const a of node.attribute ?? []) {
    for (const sub of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) {
      for (const name of outerReads(sub)) captured.add(name);
    }
  }
  return captured;
}

function outerReads(g: GraphProto): Set<string> {
  const local = new Set<string>([
    ...(g.input ?? []).map((v) => v.name ?? ""),
    ...(g.initializer ?? []).map((t) => t.name ?? ""),
    ...(g.sparseInitializer ?? []).map((t) => t.values?.name ?? ""),
    ...(g.node ?? []).flatMap((n) => n.output ?? []),
  ]);
  const reads = new Set<string>();
  for (const n of g.node ?? []) {
    for (const name of [...(n.input ?? []), ...subgraphCaptures(n)]) if (name && !local.has(name)) reads.add(name);
  }
  return reads;
}

/** Ops whose `axis` meant "flatten to 2-D there" before opset 13. */
const ROW_NORMALIZERS = new Set(["Softmax", "LogSoftmax", "Hardmax"]);

function opaqueAttr(a: AttributeProto | { name: string; type: number; t: ITensorProto }): Attr {
  return { type: "opaque", value: encodeAttribute(a), onnxType: a.type ?? 0 };
}

/** Old models may leave `type` unset; recover it from the field that holds the value. */
function inferAttrType(a: AttributeProto): number {
  if (a.g) return AttributeType.GRAPH;
  if (a.t) return AttributeType.TENSOR;
  if (a.s && a.s.length > 0) return AttributeType.STRING;
  if ((a.floats?.length ?? 0) > 0) return AttributeType.FLOATS;
  if ((a.ints?.length ?? 0) > 0) return AttributeType.INTS;
  if ((a.strings?.length ?? 0) > 0) return AttributeType.STRINGS;
  if (a.f) return AttributeType.FLOAT;
  return AttributeType.INT;
}

function normalDomain(domain: string | null | undefined): string {
  return domain === "ai.onnx" || !domain ? "" : domain;
}

function elemType(info: ValueInfoProto): number {
  return tensorTypeOf(info)?.elemType ?? 0;
}
