/**
 * Graph → TFLite. Writes the graph as the main subgraph of a `.tflite` FlatBuffer through the
 * generated schema accessors: `tfl` ops become builtin operators with their options tables,
 * opaque nodes are written back as they were read, and whatever the model held besides the
 * graph (metadata, signatures, other subgraphs, tensor quantization) is kept. Constant data is
 * stored once per tensor buffer: constants that share data share one buffer.
 */
import * as flatbuffers from "flatbuffers";
import type { Graph, Node, Value } from "../runtime/graph.js";
import { tensorBytes, type Tensor, type TensorData } from "../runtime/tensor.js";
import { ModelFileError } from "../onnx/meta.js";
import * as S from "./schema/schema_generated.js";
import { BuiltinOperator, BuiltinOptions, Model, OperatorCodeT, OperatorT, SignatureDefT, SubGraphT, TensorMapT, TensorT, MetadataT, type TensorType } from "./schema/schema_generated.js";
import { customOptions, optionsFromAttrs, SPEC_BY_OP } from "./ops.js";
import { DTYPE_OF_TYPE, tfliteInfo, typeOfDtype, type OperatorExtra, type TfliteInfo } from "./model.js";
import { TFLITE_SCHEMA_VERSION } from "./decode.js";

/** Encodes a graph as `.tflite` bytes; `target` names the file in error messages. */
export function encodeTflite(graph: Graph, target = "<model>"): Uint8Array {
  try {
    return new ModelWriter(graph).write();
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(target, `cannot write TFLite: ${(e as Error).message.split("\n")[0]}`);
  }
}

class ModelWriter {
  private readonly info: TfliteInfo | undefined;
  private readonly tensors: TensorT[] = [];
  private readonly tensorIndex = new Map<Value, number>();
  private readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  private readonly bufferOfData = new Map<TensorData | Uint8Array, number>();
  private readonly opcodes: OperatorCodeT[] = [];
  private readonly opcodeIndex = new Map<string, number>();
  /** Opaque constant nodes: their output is a tensor with a buffer, not an operator. */
  private readonly opaqueConstants = new Map<Value, Node>();

  constructor(private readonly graph: Graph) {
    this.info = tfliteInfo(graph);
  }

  write(): Uint8Array {
    const graph = this.graph;
    const order = graph.topoOrder();
    for (const n of order) if (n.domain === "tfl.opaque") this.opaqueConstants.set(n.outputs[0]!, n);
    const inputs = graph.inputs.map((v) => this.tensor(v));
    const operators: OperatorT[] = [];
    for (const node of order) {
      if (this.opaqueConstants.has(node.outputs[0]!)) continue;
      operators.push(this.operator(node));
    }
    const outputs = graph.outputs.map((v) => this.tensor(v));
    const main = new SubGraphT(this.tensors, inputs, outputs, operators, this.info?.subgraphName ?? "main");
    const others = (this.info?.otherSubgraphs ?? []).map((s) => this.otherSubgraph(s));
    const metadata = (this.info?.metadata ?? []).map((m) => new MetadataT(m.name, this.buffer(m.data)));
    const metadataBuffer = (this.info?.metadataBuffers ?? []).map((b) => this.buffer(b));
    const signatures = (this.info?.signatures ?? []).map((s) => {
      const map = (entries: { name: string; position: number }[], list: number[]) => entries.flatMap((e) => (list[e.position] === undefined ? [] : [new TensorMapT(e.name, list[e.position]!)]));
      if (s.subgraphIndex === 0) return new SignatureDefT(map(s.inputs, inputs), map(s.outputs, outputs), s.key, s.subgraphIndex);
      const raw = (entries: { name: string; tensorIndex: number }[] = []) => entries.map((e) => new TensorMapT(e.name, e.tensorIndex));
      return new SignatureDefT(raw(s.rawInputs), raw(s.rawOutputs), s.key, s.subgraphIndex);
    });
    return this.pack([main, ...others], metadata, metadataBuffer, signatures);
  }

  private pack(subgraphs: SubGraphT[], metadata: MetadataT[], metadataBuffer: number[], signatures: SignatureDefT[]): Uint8Array {
    const dataBytes = this.buffers.reduce((n, b) => n + b.length + 32, 0);
    const b = new flatbuffers.Builder(dataBytes + 1024 * 1024);
    // Buffers first (the largest part; at the end of the file, 16-byte aligned as the schema asks).
    const bufferOffsets = this.buffers.map((data) => {
      let vec = 0;
      if (data.length > 0) {
        b.prep(16, data.length);
        vec = b.createByteVector(data);
      }
      S.Buffer.startBuffer(b);
      if (vec) S.Buffer.addData(b, vec);
      return S.Buffer.endBuffer(b);
    });
    const buffers = Model.createBuffersVector(b, bufferOffsets);
    const opcodes = Model.createOperatorCodesVector(b, b.createObjectOffsetList(this.opcodes));
    const subs = Model.createSubgraphsVector(b, b.createObjectOffsetList(subgraphs));
    const description = this.info?.description != null ? b.createString(this.info.description) : 0;
    const metaBuf = metadataBuffer.length ? Model.createMetadataBufferVector(b, metadataBuffer) : 0;
    const meta = metadata.length ? Model.createMetadataVector(b, b.createObjectOffsetList(metadata)) : 0;
    const sigs = signatures.length ? Model.createSignatureDefsVector(b, b.createObjectOffsetList(signatures)) : 0;
    Model.startModel(b);
    Model.addVersion(b, TFLITE_SCHEMA_VERSION);
    Model.addOperatorCodes(b, opcodes);
    Model.addSubgraphs(b, subs);
    if (description) Model.addDescription(b, description);
    Model.addBuffers(b, buffers);
    if (metaBuf) Model.addMetadataBuffer(b, metaBuf);
    if (meta) Model.addMetadata(b, meta);
    if (sigs) Model.addSignatureDefs(b, sigs);
    Model.finishModelBuffer(b, Model.endModel(b));
    return b.asUint8Array().slice();
  }

  private buffer(data: Uint8Array | TensorData, bytes?: () => Uint8Array): number {
    const known = this.bufferOfData.get(data);
    if (known !== undefined) return known;
    const index = this.buffers.length;
    this.buffers.push(bytes ? bytes() : (data as Uint8Array));
    this.bufferOfData.set(data, index);
    return index;
  }

  private tensor(v: Value): number {
    const known = this.tensorIndex.get(v);
    if (known !== undefined) return known;
    const extra = this.info?.tensors.get(v);
    const t = new TensorT();
    t.name = extra?.name || v.name;
    const opaque = this.opaqueConstants.get(v);
    if (opaque) {
      const a = opaque.attrs["value"];
      if (a?.type !== "opaque") throw new Error(`opaque constant "${opaque.name}" has lost its data`);
      t.type = a.onnxType as TensorType;
      t.buffer = a.value.length ? this.buffer(a.value) : 0;
    } else {
      t.type = extra && DTYPE_OF_TYPE[extra.type] === v.dtype ? extra.type : typeOfDtype(v.dtype);
      if (v.dtype && DTYPE_OF_TYPE[t.type] !== v.dtype) throw new Error(`value "${v.name}" has dtype ${v.dtype}, which TFLite files cannot hold`);
      const c: Tensor | undefined = v.constant;
      if (c) t.buffer = this.buffer(c.data, () => this.info?.bufferBytes.get(c.data) ?? tensorBytes(c));
    }
    const shape = v.constant ? [...v.constant.shape] : v.shape;
    if (shape) {
      t.shape = shape.map((d) => (typeof d === "number" ? d : 1));
      t.hasRank = true;
      if (shape.some((d) => typeof d !== "number")) t.shapeSignature = shape.map((d) => (typeof d === "number" ? d : -1));
      else if (extra && extra.shapeSignature.length === shape.length) t.shapeSignature = [...extra.shapeSignature];
    }
    if (extra && extra.type === t.type) {
      t.quantization = extra.quantization;
      t.isVariable = extra.isVariable;
      t.sparsity = extra.sparsity;
      t.hasRank = extra.hasRank || t.hasRank;
      t.variantTensors = extra.variantTensors;
    }
    const index = this.tensors.length;
    this.tensors.push(t);
    this.tensorIndex.set(v, index);
    return index;
  }

  private opcode(code: number, customCode: string | null, version: number): number {
    const key = `${code}:${customCode ?? ""}:${version}`;
    const known = this.opcodeIndex.get(key);
    if (known !== undefined) return known;
    const index = this.opcodes.length;
    this.opcodes.push(new OperatorCodeT(Math.min(code, BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES), customCode, version, code));
    this.opcodeIndex.set(key, index);
    return index;
  }

  private operator(node: Node): OperatorT {
    const extra: OperatorExtra | undefined = this.info?.operators.get(node);
    const op = new OperatorT();
    op.inputs = node.inputs.map((v) => (v ? this.tensor(v) : -1));
    op.outputs = node.outputs.map((v) => this.tensor(v));
    const spec = node.domain === "tfl" ? SPEC_BY_OP.get(node.op) : undefined;
    if (spec) {
      op.opcodeIndex = this.opcode(spec.code, null, extra?.code === spec.code ? extra.version : minimumVersion(node));
      if (spec.options !== BuiltinOptions.NONE) {
        const kept = extra?.builtinOptionsType === spec.options ? extra.builtinOptions : null;
        const options = kept ? Object.assign(Object.create(Object.getPrototypeOf(kept) as object) as Record<string, unknown>, kept) : freshOptions(spec.options);
        optionsFromAttrs(spec, node.attrs, options);
        op.builtinOptionsType = spec.options;
        op.builtinOptions = options as unknown as OperatorT["builtinOptions"];
      }
      if (extra) this.keepOperatorDetails(op, extra);
      return op;
    }
    if (node.domain === "tfl" && node.op === "Convolution2DTransposeBias") {
      op.opcodeIndex = this.opcode(BuiltinOperator.CUSTOM, node.op, extra?.version ?? 1);
      const same = extra && extra.attrsRead === JSON.stringify(node.attrs);
      op.customOptions = Array.from(same ? extra.customOptions : customOptions(node.op, node.attrs));
      if (extra) op.customOptionsFormat = extra.customOptionsFormat;
      return op;
    }
    if ((node.domain === "tfl.builtin" || node.domain === "tfl.custom") && extra) {
      op.opcodeIndex = this.opcode(extra.code, extra.customCode, extra.version);
      op.builtinOptionsType = extra.builtinOptionsType;
      op.builtinOptions = extra.builtinOptions as unknown as OperatorT["builtinOptions"];
      op.builtinOptions2Type = extra.builtinOptions2Type;
      op.builtinOptions2 = extra.builtinOptions2 as unknown as OperatorT["builtinOptions2"];
      op.customOptions = Array.from(extra.customOptions);
      this.keepOperatorDetails(op, extra);
      return op;
    }
    const what = node.domain ? `${node.domain}::${node.op}` : node.op;
    throw new Error(`node "${node.name}" is a ${what}, which has no TFLite operator`);
  }

  private keepOperatorDetails(op: OperatorT, extra: OperatorExtra): void {
    op.customOptionsFormat = extra.customOptionsFormat;
    if (extra.mutatingVariableInputs.length === op.inputs.length) op.mutatingVariableInputs = extra.mutatingVariableInputs;
  }

  /** Another subgraph as it was read, its buffer indices renumbered to this file's buffers. */
  private otherSubgraph(s: SubGraphT): SubGraphT {
    const tensors = s.tensors.map((t) => {
      const copy = Object.assign(new TensorT(), t);
      if (t.buffer !== 0) copy.buffer = this.buffer(this.info!.otherBuffers.get(t.buffer)!);
      return copy;
    });
    return new SubGraphT(tensors, s.inputs, s.outputs, s.operators, s.name);
  }
}

/** The lowest opcode version of a new node that reads all it uses (TFLite's op versioning). */
function minimumVersion(node: Node): number {
  if (node.op === "TransposeConv" && node.inputs[3]) return 3;
  if (node.op === "FullyConnected" && node.attrs["keep_num_dims"]?.value) return 5;
  return 1;
}

/** A default options object of a builtin options table (e.g. Conv2DOptionsT). */
function freshOptions(type: BuiltinOptions): Record<string, unknown> {
  const ctor = (S as unknown as Record<string, new () => Record<string, unknown>>)[`${BuiltinOptions[type]}T`];
  if (!ctor) throw new Error(`no options table ${BuiltinOptions[type]}`);
  return new ctor();
}
