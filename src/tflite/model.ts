/**
 * What a TFLite model holds beyond fusec's graph IR, kept on `graph.meta.tflite` so that a
 * saved model keeps it: schema version, description, metadata buffers, signatures, opcode
 * versions, per-tensor details (original name, quantization, shape signature, …) and per-op
 * details (the original options table, custom options, …), and subgraphs other than the main
 * one (bodies of WHILE/IF/CALL ops, kept as they were read).
 */
import type { Graph, Node, Value } from "../runtime/graph.js";
import type { DType } from "../runtime/tensor.js";
import { TensorType, type QuantizationParametersT, type SparsityParametersT, type SubGraphT, type VariantSubTypeT } from "./schema/schema_generated.js";

export interface TensorExtra {
  name: string;
  type: TensorType;
  quantization: QuantizationParametersT | null;
  shapeSignature: number[];
  isVariable: boolean;
  sparsity: SparsityParametersT | null;
  hasRank: boolean;
  variantTensors: VariantSubTypeT[];
}

export interface OperatorExtra {
  /** Builtin code (or CUSTOM) and custom code, and the opcode version read. */
  code: number;
  customCode: string | null;
  version: number;
  /** The unpacked options object, to keep fields fusec has no attribute for. */
  builtinOptions: Record<string, unknown> | null;
  builtinOptionsType: number;
  builtinOptions2: Record<string, unknown> | null;
  builtinOptions2Type: number;
  customOptions: Uint8Array;
  customOptionsFormat: number;
  mutatingVariableInputs: boolean[];
  intermediates: number[];
  /** The attributes the node was read with, to tell whether a rewrite changed them. */
  attrsRead: string;
}

export interface SignatureEntry {
  name: string;
  /** Position among the graph's inputs or outputs (signatures of subgraph 0 name those). */
  position: number;
}

export interface SignatureInfo {
  key: string;
  subgraphIndex: number;
  inputs: SignatureEntry[];
  outputs: SignatureEntry[];
  /** Signatures of other subgraphs keep their raw tensor indices. */
  rawInputs?: { name: string; tensorIndex: number }[];
  rawOutputs?: { name: string; tensorIndex: number }[];
}

export interface TfliteInfo {
  version: number;
  description: string | null;
  subgraphName: string | null;
  metadata: { name: string; data: Uint8Array }[];
  /** Deprecated metadata_buffer entries, as the data of the buffers they named. */
  metadataBuffers: Uint8Array[];
  signatures: SignatureInfo[];
  /** Subgraphs after the first, and the data of every buffer index they use. */
  otherSubgraphs: SubGraphT[];
  otherBuffers: Map<number, Uint8Array>;
  tensors: WeakMap<Value, TensorExtra>;
  operators: WeakMap<Node, OperatorExtra>;
  /** The file's bytes of each constant's data as read, written back while the data is unchanged. */
  bufferBytes: WeakMap<object, Uint8Array>;
}

export function tfliteInfo(graph: Graph): TfliteInfo | undefined {
  return graph.meta["tflite"] as TfliteInfo | undefined;
}

/** TFLite tensor types fusec holds as a dtype (others load as opaque). */
export const DTYPE_OF_TYPE: Partial<Record<TensorType, DType>> = {
  [TensorType.FLOAT32]: "float32",
  [TensorType.FLOAT16]: "float16",
  [TensorType.FLOAT64]: "float64",
  [TensorType.INT32]: "int32",
  [TensorType.INT64]: "int64",
  [TensorType.INT16]: "int16",
  [TensorType.INT8]: "int8",
  [TensorType.UINT8]: "uint8",
  [TensorType.UINT16]: "uint16",
  [TensorType.UINT32]: "uint32",
  [TensorType.UINT64]: "uint64",
  [TensorType.BOOL]: "bool",
};

export function typeOfDtype(dtype: DType | undefined): TensorType {
  for (const [type, d] of Object.entries(DTYPE_OF_TYPE)) if (d === dtype) return Number(type) as TensorType;
  return TensorType.FLOAT32;
}

/** Bytes per element of a tensor type in a buffer (0: not a fixed-size type). */
export function elementBytes(type: TensorType): number {
  switch (type) {
    case TensorType.FLOAT32:
    case TensorType.INT32:
    case TensorType.UINT32:
      return 4;
    case TensorType.FLOAT16:
    case TensorType.INT16:
    case TensorType.UINT16:
    case TensorType.BFLOAT16:
      return 2;
    case TensorType.INT64:
    case TensorType.UINT64:
    case TensorType.FLOAT64:
    case TensorType.COMPLEX64:
      return 8;
    case TensorType.COMPLEX128:
      return 16;
    case TensorType.INT8:
    case TensorType.UINT8:
    case TensorType.BOOL:
      return 1;
    default:
      return 0;
  }
}
