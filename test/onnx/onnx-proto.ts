/**
 * Tests' independent ONNX encoder and decoder: onnx-proto (protobufjs, ONNX 1.10's schema), a
 * different protobuf implementation from fusec's, so that tests build models and read saved
 * ones without going through the code under test.
 */
import onnxProto from "onnx-proto";
import { DTYPES, dtypeOfOnnx, type DType } from "../../src/runtime/tensor.js";

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.GraphProto;
export type IGraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.NodeProto;
export type TensorProto = onnxProto.onnx.TensorProto;
export type AttributeProto = onnxProto.onnx.AttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;
export type IAttributeProto = onnxProto.onnx.IAttributeProto;
export type INodeProto = onnxProto.onnx.INodeProto;
export type IModelProto = onnxProto.onnx.IModelProto;

export const DataType = onnx.TensorProto.DataType;
export const AttributeType = onnx.AttributeProto.AttributeType;

export function dtypeCode(dtype: DType): number {
  return DTYPES[dtype].onnx;
}

/** fusec's dtype for an ONNX element type, or undefined when fusec cannot compute with it. */
export function dtypeOfCode(code: number): DType | undefined {
  return dtypeOfOnnx(code);
}

/** The ONNX name of an element type code, for messages ("FLOAT16", "UINT8", …). */
export function dataTypeName(code: number): string {
  return DataType[code] ?? `data type ${code}`;
}

/** protobufjs decodes int64 fields as Long objects (or numbers when small enough). */
export type LongLike = number | { toNumber(): number; toString(): string };

export function longToNumber(v: LongLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : v.toNumber();
}

export function longToBigInt(v: LongLike): bigint {
  return typeof v === "number" ? BigInt(v) : BigInt(v.toString());
}

/**
 * A JS number as an int64 field value. Doubles at or beyond ±2^63 (INT64_MAX/MIN read back as
 * numbers) saturate instead of wrapping around, so sentinels like Slice's "to the end" survive.
 */
export function int64Field(v: number): number | string {
  if (v >= 2 ** 63) return "9223372036854775807";
  if (v <= -(2 ** 63)) return "-9223372036854775808";
  return v;
}

/** Decodes model bytes; protobuf errors propagate to the caller (which names the file). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export function encodeAttribute(attr: IAttributeProto): Uint8Array {
  return onnx.AttributeProto.encode(onnx.AttributeProto.create(attr)).finish();
}

export function decodeAttribute(bytes: Uint8Array): AttributeProto {
  return onnx.AttributeProto.decode(bytes);
}
