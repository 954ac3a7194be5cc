/**
 * TFLite → Graph. Reads a `.tflite` FlatBuffer through the accessors generated from TFLite's
 * schema.fbs (src/tflite/schema) on the `flatbuffers` runtime, and builds fusec's graph of the
 * main subgraph: tensors become values (constants when their buffer holds data), builtin ops
 * become `tfl` ops with their options as attributes (src/tflite/ops.ts), anything else an
 * opaque node that saves back as it was read. Every problem with the file is a
 * `ModelFileError` naming the file: truncated or corrupt FlatBuffers (every read is bounds
 * checked), indices out of range, a cyclic graph, an unknown schema version.
 */
import * as flatbuffers from "flatbuffers";
import { Graph, type Attrs, type Dim, type Value } from "../runtime/graph.js";
import { inferGraph } from "../runtime/infer.js";
import { dataFromBytes, halfBitsToFloat, numel, type TensorData } from "../runtime/tensor.js";
import { ModelFileError } from "../onnx/meta.js";
import { BuiltinOperator, Model, TensorType, type OperatorT, type TensorT } from "./schema/schema_generated.js";
import { attrsFromOptions, CUSTOM_OPS, customAttrs, SPEC_BY_CODE } from "./ops.js";
import { DTYPE_OF_TYPE, elementBytes, type OperatorExtra, type SignatureInfo, type TfliteInfo } from "./model.js";

/** Integer tensors that carry quantized values in TFLite models. */
const QUANTIZED = new Set(["int8", "uint8", "int16"]);
/** The tfl ops fusec runs on quantized tensors; every other one refuses them at load. */
const RUNS_QUANTIZED = new Set(["Quantize", "Dequantize", "Reshape"]);

/** The schema version fusec reads and writes (TFLite's current one). */
export const TFLITE_SCHEMA_VERSION = 3;

/** A ByteBuffer whose every read is checked against the end of the data. */
class CheckedByteBuffer extends flatbuffers.ByteBuffer {
  private check(offset: number, size: number): void {
    if (!(offset >= 0 && offset + size <= this.capacity())) {
      throw new RangeError(`read of ${size} byte(s) at offset ${offset} is outside the ${this.capacity()}-byte file`);
    }
  }
  override readInt8(o: number): number { this.check(o, 1); return super.readInt8(o); }
  override readUint8(o: number): number { this.check(o, 1); return super.readUint8(o); }
  override readInt16(o: number): number { this.check(o, 2); return super.readInt16(o); }
  override readUint16(o: number): number { this.check(o, 2); return super.readUint16(o); }
  override readInt32(o: number): number { this.check(o, 4); return super.readInt32(o); }
  override readUint32(o: number): number { this.check(o, 4); return super.readUint32(o); }
  override readInt64(o: number): bigint { this.check(o, 8); return super.readInt64(o); }
  override readUint64(o: number): bigint { this.check(o, 8); return super.readUint64(o); }
  override readFloat32(o: number): number { this.check(o, 4); return super.readFloat32(o); }
  override readFloat64(o: number): number { this.check(o, 8); return super.readFloat64(o); }
  override __vector_len(o: number): number {
    const n = super.__vector_len(o);
    const start = this.__vector(o);
    if (n < 0 || start + n > this.capacity()) throw new RangeError(`vector of ${n} element(s) at offset ${start} runs past the end of the file`);
    return n;
  }
}

/** Decodes `.tflite` bytes; `source` names the model in error messages. */
export function decodeTflite(bytes: Uint8Array, source = "<model>"): Graph {
  if (bytes.length === 0) throw new ModelFileError(source, "file is empty");
  if (bytes.length < 8) throw new ModelFileError(source, `not a TFLite model (truncated: ${bytes.length} bytes)`);
  // An exact copy, so that views of vectors cannot reach past the file's own bytes.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  const bb = new CheckedByteBuffer(own);
  if (!Model.bufferHasIdentifier(bb)) {
    const id = new TextDecoder("latin1").decode(own.subarray(4, 8));
    throw new ModelFileError(source, `not a TFLite model (file identifier "${id.replace(/[^\x20-\x7e]/g, "?")}", expected "TFL3")`);
  }
  try {
    return new ModelReader(source, own, Model.getRootAsModel(bb)).read();
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    const message = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    if (e instanceof RangeError || e instanceof TypeError) throw new ModelFileError(source, `malformed FlatBuffer (${message})`);
    throw new ModelFileError(source, message);
  }
}

class ModelReader {
  private readonly graph = new Graph();
  private readonly info: TfliteInfo;
  private buffers: (Uint8Array | undefined)[] = [];
  /** Constant data decoded per (buffer, dtype), so tensors sharing a buffer share it. */
  private readonly decoded = new Map<string, TensorData>();

  constructor(
    private readonly source: string,
    private readonly bytes: Uint8Array,
    private readonly model: Model,
  ) {
    this.info = {
      version: 0,
      description: null,
      subgraphName: null,
      metadata: [],
      metadataBuffers: [],
      signatures: [],
      otherSubgraphs: [],
      otherBuffers: new Map(),
      tensors: new WeakMap(),
      operators: new WeakMap(),
      bufferBytes: new WeakMap(),
    };
  }

  private fail(message: string): never {
    throw new ModelFileError(this.source, message);
  }

  read(): Graph {
    const m = this.model;
    const version = m.version();
    if (version !== TFLITE_SCHEMA_VERSION) this.fail(`unknown TFLite schema version ${version} (fusec reads version ${TFLITE_SCHEMA_VERSION})`);
    this.info.version = version;
    this.info.description = m.description();
    this.readBuffers();
    if (m.subgraphsLength() === 0) this.fail("the model has no subgraph");
    for (let i = 0; i < m.metadataLength(); i++) {
      const meta = m.metadata(i)!;
      this.info.metadata.push({ name: meta.name() ?? "", data: this.buffer(meta.buffer(), `metadata "${meta.name()}"`) });
    }
    for (let i = 0; i < m.metadataBufferLength(); i++) this.info.metadataBuffers.push(this.buffer(m.metadataBuffer(i)!, "metadata_buffer entry"));
    for (let s = 1; s < m.subgraphsLength(); s++) {
      const sub = m.subgraphs(s)!.unpack();
      for (const t of sub.tensors) if (t.buffer !== 0) this.info.otherBuffers.set(t.buffer, this.buffer(t.buffer, `tensor "${String(t.name)}" of subgraph ${s}`));
      this.info.otherSubgraphs.push(sub);
    }
    this.graph.meta = { source: this.source, format: "tflite", tflite: this.info };
    this.readMainSubgraph();
    return this.graph;
  }

  private readBuffers(): void {
    const m = this.model;
    const n = m.buffersLength();
    for (let i = 0; i < n; i++) {
      const b = m.buffers(i)!;
      const offset = b.offset();
      if (offset > 1n) {
        const size = Number(b.size());
        const start = Number(offset);
        if (start + size > this.bytes.length) this.fail(`buffer ${i} lies outside the file (offset ${start}, ${size} bytes)`);
        this.buffers.push(this.bytes.subarray(start, start + size));
        continue;
      }
      this.buffers.push(b.dataArray() ?? new Uint8Array(0));
    }
  }

  private buffer(index: number, what: string): Uint8Array {
    const b = this.buffers[index];
    if (b === undefined) this.fail(`${what} names buffer ${index}, but the model has ${this.buffers.length} buffers`);
    return b;
  }

  private readMainSubgraph(): void {
    const sub = this.model.subgraphs(0)!;
    this.info.subgraphName = sub.name();
    const tensors: TensorT[] = [];
    for (let i = 0; i < sub.tensorsLength(); i++) tensors.push(sub.tensors(i)!.unpack());
    const operators: OperatorT[] = [];
    for (let i = 0; i < sub.operatorsLength(); i++) operators.push(sub.operators(i)!.unpack());
    const inputs = Array.from(sub.inputsArray() ?? []);
    const outputs = Array.from(sub.outputsArray() ?? []);
    const tensorAt = (index: number, what: string): TensorT => {
      const t = tensors[index];
      if (!t) this.fail(`${what} names tensor ${index}, but the subgraph has ${tensors.length} tensors`);
      return t;
    };

    const values = new Map<number, Value>();
    const producers = new Map<number, number>();
    operators.forEach((op, k) => {
      for (const o of op.outputs) {
        tensorAt(o, `operator ${k}`);
        if (producers.has(o)) this.fail(`tensor ${o} ("${String(tensors[o]!.name)}") is written by operators ${producers.get(o)} and ${k}`);
        producers.set(o, k);
      }
    });
    for (const i of inputs) {
      const t = tensorAt(i, "the subgraph's inputs");
      if (values.has(i)) continue;
      const dtype = DTYPE_OF_TYPE[t.type];
      if (!dtype) this.fail(`input tensor "${String(t.name)}" has type ${TensorType[t.type] ?? t.type}, which fusec does not hold`);
      const v = this.graph.newValue(this.baseName(t, i), dtype, this.dims(t, i));
      this.graph.inputs.push(v);
      this.remember(v, t);
      values.set(i, v);
    }
    const valueOf = (index: number, reader: string): Value => {
      const known = values.get(index);
      if (known) return known;
      const t = tensorAt(index, reader);
      let v: Value;
      if (producers.has(index)) {
        v = this.graph.newValue(this.baseName(t, index), DTYPE_OF_TYPE[t.type], this.dims(t, index));
      } else {
        v = this.constant(t, index, reader);
      }
      this.remember(v, t);
      values.set(index, v);
      return v;
    };

    const opcodes = this.model.operatorCodesLength();
    operators.forEach((op, k) => {
      if (op.opcodeIndex >= opcodes) this.fail(`operator ${k} names operator code ${op.opcodeIndex}, but the model has ${opcodes}`);
      const outs = op.outputs.map((o) => valueOf(o, `operator ${k}`));
      const ins = op.inputs.map((i) => (i < 0 ? undefined : valueOf(i, `operator ${k}`)));
      this.readOperator(op, k, ins, outs);
    });
    for (const o of outputs) this.graph.outputs.push(valueOf(o, "the subgraph's outputs"));
    try {
      this.graph.topoOrder();
    } catch {
      this.fail("the graph is cyclic: some operator reads a tensor that depends on its own output");
    }
    this.readSignatures(tensors.length, inputs, outputs);
    try {
      inferGraph(this.graph);
    } catch (e) {
      this.fail(`shape inference failed: ${(e as Error).message.split("\n")[0]}`);
    }
  }

  private readOperator(op: OperatorT, index: number, ins: (Value | undefined)[], outs: Value[]): void {
    const code = this.model.operatorCodes(op.opcodeIndex)!;
    const builtin = Math.max(code.builtinCode(), code.deprecatedBuiltinCode()) as BuiltinOperator;
    const customCode = code.customCode();
    const customOptions = op.largeCustomOptionsSize > 0n ? this.largeCustomOptions(op, index) : Uint8Array.from(op.customOptions);
    const extra: OperatorExtra = {
      code: builtin,
      customCode,
      version: code.version(),
      builtinOptions: op.builtinOptions as Record<string, unknown> | null,
      builtinOptionsType: op.builtinOptionsType,
      builtinOptions2: op.builtinOptions2 as Record<string, unknown> | null,
      builtinOptions2Type: op.builtinOptions2Type,
      customOptions,
      customOptionsFormat: op.customOptionsFormat,
      mutatingVariableInputs: op.mutatingVariableInputs,
      intermediates: op.intermediates,
      attrsRead: "",
    };
    let opName: string;
    let domain: string;
    let attrs: Attrs;
    const spec = SPEC_BY_CODE.get(builtin);
    if (builtin === BuiltinOperator.CUSTOM) {
      const known = customCode && CUSTOM_OPS.has(customCode) ? customAttrs(customCode, customOptions) : undefined;
      opName = customCode ?? "CUSTOM";
      domain = known ? "tfl" : "tfl.custom";
      attrs = known ?? {};
    } else if (spec) {
      opName = spec.op;
      domain = "tfl";
      attrs = attrsFromOptions(spec, op.builtinOptionsType === spec.options ? extra.builtinOptions : null);
      if (spec.op === "Reshape" && ins.length === 1) ins = [ins[0], this.reshapeTarget(op, outs[0]!)];
      if (spec.op === "Dequantize") Object.assign(attrs, this.quantAttrs(ins[0]));
      if (spec.op === "Quantize") Object.assign(attrs, this.quantAttrs(outs[0]), { dtype: { type: "string", value: outs[0]?.dtype ?? "int8" } });
    } else {
      opName = BuiltinOperator[builtin] ?? `BUILTIN_${builtin}`;
      domain = "tfl.builtin";
      attrs = {};
    }
    if (domain === "tfl" && !RUNS_QUANTIZED.has(opName)) {
      const q = [...ins, ...outs].find((v) => v?.dtype && QUANTIZED.has(v.dtype));
      if (q) this.fail(`operator ${index} (${opName}) reads or writes the ${q.dtype} tensor "${q.name}": quantized models are refused, fusec runs ${opName} on float32 only (Quantize, Dequantize and Reshape run on int8/uint8/int16)`);
    }
    extra.attrsRead = JSON.stringify(attrs);
    const name = outs[0]?.name ?? `${opName}_${index}`;
    const node = this.graph.addNode({ op: opName, domain, name: this.graph.freshName(name), inputs: ins, attrs, outputs: outs });
    this.info.operators.set(node, extra);
  }

  private largeCustomOptions(op: OperatorT, index: number): Uint8Array {
    const start = Number(op.largeCustomOptionsOffset);
    const size = Number(op.largeCustomOptionsSize);
    if (start + size > this.bytes.length) this.fail(`custom options of operator ${index} lie outside the file`);
    return this.bytes.slice(start, start + size);
  }

  /** A one-input RESHAPE reads its target from options (or the output's shape): made an operand. */
  private reshapeTarget(op: OperatorT, out: Value): Value {
    const options = op.builtinOptions as { newShape?: number[] } | null;
    const target = options?.newShape?.length ? options.newShape : (out.shape ?? []).map((d) => (typeof d === "number" ? d : -1));
    return this.graph.addConstant({ dtype: "int32", shape: [target.length], data: Int32Array.from(target) }, `${out.name}_shape`);
  }

  /** scale / zero_point / quantized_dimension of a tensor's quantization, as attributes. */
  private quantAttrs(v: Value | undefined): Attrs {
    const q = v ? this.info.tensors.get(v)?.quantization : undefined;
    if (!q || q.scale.length === 0) return {};
    return {
      scale: { type: "floats", value: [...q.scale] },
      zero_point: { type: "ints", value: q.zeroPoint.map(Number) },
      quantized_dimension: { type: "int", value: q.quantizedDimension },
    };
  }

  private readSignatures(tensorCount: number, inputs: number[], outputs: number[]): void {
    const m = this.model;
    for (let i = 0; i < m.signatureDefsLength(); i++) {
      const s = m.signatureDefs(i)!.unpack();
      const info: SignatureInfo = { key: String(s.signatureKey ?? ""), subgraphIndex: s.subgraphIndex, inputs: [], outputs: [] };
      if (s.subgraphIndex === 0) {
        const entries = (maps: typeof s.inputs, list: number[], what: string) =>
          maps.map((t) => {
            if (t.tensorIndex >= tensorCount) this.fail(`signature "${info.key}" names tensor ${t.tensorIndex}, but the subgraph has ${tensorCount} tensors`);
            const position = list.indexOf(t.tensorIndex);
            if (position < 0) this.fail(`signature "${info.key}" names tensor ${t.tensorIndex} as an ${what}, but it is not one of the subgraph's ${what}s`);
            return { name: String(t.name ?? ""), position };
          });
        info.inputs = entries(s.inputs, inputs, "input");
        info.outputs = entries(s.outputs, outputs, "output");
      } else {
        info.rawInputs = s.inputs.map((t) => ({ name: String(t.name ?? ""), tensorIndex: t.tensorIndex }));
        info.rawOutputs = s.outputs.map((t) => ({ name: String(t.name ?? ""), tensorIndex: t.tensorIndex }));
      }
      this.info.signatures.push(info);
    }
  }

  private constant(t: TensorT, index: number, reader: string): Value {
    const data = t.buffer === 0 ? new Uint8Array(0) : this.buffer(t.buffer, `tensor "${String(t.name)}"`);
    const shape = t.shape;
    const dtype = DTYPE_OF_TYPE[t.type];
    if (data.length === 0 && numel(shape) !== 0) {
      if (t.isVariable) this.fail(`tensor "${String(t.name)}" is a variable; fusec does not run stateful models`);
      this.fail(`${reader} reads tensor ${index} ("${String(t.name)}"), which no operator writes and which is neither an input nor a constant`);
    }
    if (!dtype || t.sparsity) {
      // Not a type fusec computes with (or a sparse tensor): an opaque node that saves it back.
      const v = this.graph.newValue(this.baseName(t, index), dtype, shape);
      const op = t.sparsity ? "SparseTensor" : `${TensorType[t.type] ?? `TYPE_${t.type}`}Tensor`;
      const node = this.graph.addNode({ op, domain: "tfl.opaque", name: this.graph.freshName(`${v.name}_data`), inputs: [], attrs: { value: { type: "opaque", value: data, onnxType: t.type } }, outputs: [v] });
      this.info.operators.set(node, opaqueConstantExtra());
      return v;
    }
    const need = numel(shape) * elementBytes(t.type);
    if (data.length !== need) this.fail(`tensor "${String(t.name)}" of shape [${shape.join(", ")}] needs ${need} bytes, its buffer ${t.buffer} holds ${data.length}`);
    const key = `${t.buffer}:${dtype}`;
    let values = this.decoded.get(key);
    if (!values) {
      values = dtype === "float16" ? halfsToFloats(data) : dataFromBytes(dtype, data, numel(shape));
      this.decoded.set(key, values);
      this.info.bufferBytes.set(values, data);
    }
    return this.graph.addConstant({ dtype, shape: [...shape], data: values }, this.baseName(t, index));
  }

  private remember(v: Value, t: TensorT): void {
    this.info.tensors.set(v, {
      name: String(t.name ?? ""),
      type: t.type,
      quantization: t.quantization,
      shapeSignature: t.shapeSignature,
      isVariable: t.isVariable,
      sparsity: t.sparsity,
      hasRank: t.hasRank,
      variantTensors: t.variantTensors,
    });
  }

  private baseName(t: TensorT, index: number): string {
    const name = t.name ? String(t.name) : "";
    return name || `tensor_${index}`;
  }

  /** The tensor's dims: unknown ones (-1 in shape_signature) become symbolic names. */
  private dims(t: TensorT, index: number): Dim[] {
    const sig = t.shapeSignature;
    if (sig.length !== t.shape.length || !sig.includes(-1)) return [...t.shape];
    return sig.map((d, i) => (d === -1 ? (i === 0 ? "batch" : `${this.baseName(t, index)}_d${i}`) : d));
  }
}

let halfTable: Float32Array | undefined;

/** float16 data as float32 values, through a table of all 65536 halfs (weights are megabytes). */
function halfsToFloats(bytes: Uint8Array): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBitsToFloat(h);
  }
  const out = new Float32Array(bytes.length >> 1);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) out[i] = halfTable[bytes[j]! | (bytes[j + 1]! << 8)]!;
  return out;
}

function opaqueConstantExtra(): OperatorExtra {
  return {
    code: -1,
    customCode: null,
    version: 1,
    builtinOptions: null,
    builtinOptionsType: 0,
    builtinOptions2: null,
    builtinOptions2Type: 0,
    customOptions: new Uint8Array(0),
    customOptionsFormat: 0,
    mutatingVariableInputs: [],
    intermediates: [],
    attrsRead: "",
  };
}
