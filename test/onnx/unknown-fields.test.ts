/**
 * Fields of a newer ONNX than fusec's schema knows, on ModelProto and GraphProto, survive a load
 * and save. The model is encoded independently (onnx-proto), with the unknown fields appended as
 * raw protobuf.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fromBinary } from "@bufbuild/protobuf";
import { decodeOnnx } from "../../src/onnx/load.js";
import { encodeOnnx } from "../../src/onnx/save.js";
import { ModelProtoSchema } from "../../src/onnx/schema/onnx_pb.js";
import { convMulRelu } from "./build.js";
import { decodeModel, onnx } from "./onnx-proto.js";

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** A varint field and a length-delimited field that no ONNX version defines. */
const UNKNOWN = [...varint((901 << 3) | 0), ...varint(42), ...varint((902 << 3) | 2), ...varint(3), 0x61, 0x62, 0x63];

function withUnknownFields(model: Uint8Array): Uint8Array {
  const decoded = decodeModel(model);
  const graph = [...onnx.GraphProto.encode(decoded.graph!).finish(), ...UNKNOWN];
  decoded.graph = null;
  const rest = onnx.ModelProto.encode(decoded).finish();
  return Uint8Array.from([...rest, ...varint((7 << 3) | 2), ...varint(graph.length), ...graph, ...UNKNOWN]);
}

test("unknown ModelProto and GraphProto fields are written back as they were read", () => {
  const saved = encodeOnnx(decodeOnnx(withUnknownFields(convMulRelu())));
  const model = fromBinary(ModelProtoSchema, saved);
  const fields = (list: { no: number; data: Uint8Array }[] | undefined) => (list ?? []).map((f) => [f.no, [...f.data]]);
  assert.equal(fields(model.$unknown), [
    [901, [42]],
    [902, [3, 0x61, 0x62, 0x63]],
  ]);
  assert.equal(fields(model.graph?.$unknown), fields(model.$unknown));
  assert.is(model.graph?.node.length, decodeModel(convMulRelu()).graph!.node!.length);
});

test.run();
