/** Builds small ONNX models as bytes for tests, with onnx-proto (not the protobuf code under test). */
import { AttributeType, DataType, encodeModel, type IAttributeProto, type INodeProto, type ITensorProto } from "./onnx-proto.js";

export interface ModelSpec {
  opsets?: Record<string, number>;
  irVersion?: number;
  inputs: { name: string; elemType?: number; dims: (number | string)[] }[];
  outputs: { name: string; elemType?: number; dims?: (number | string)[] }[];
  nodes: INodeProto[];
  initializers?: ITensorProto[];
  valueInfo?: { name: string; elemType?: number; dims: (number | string)[] }[];
}

function valueInfo(v: { name: string; elemType?: number; dims?: (number | string)[] }) {
  const dim = v.dims?.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: v.elemType ?? DataType.FLOAT, ...(dim ? { shape: { dim } } : {}) } } };
}

export function buildModel(spec: ModelSpec): Uint8Array {
  return encodeModel({
    irVersion: spec.irVersion ?? 8,
    opsetImport: Object.entries(spec.opsets ?? { "": 13 }).map(([domain, version]) => ({ domain, version })),
    producerName: "fusec-test",
    graph: {
      name: "test",
      node: spec.nodes,
      initializer: spec.initializers ?? [],
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      valueInfo: (spec.valueInfo ?? []).map(valueInfo),
    },
  });
}

export function node(op: string, inputs: string[], outputs: string[], attribute: IAttributeProto[] = [], domain = ""): INodeProto {
  return { opType: op, domain, name: `${op}_${outputs[0]}`, input: inputs, output: outputs, attribute };
}

export function floats(name: string, dims: number[], values: number[]): ITensorProto {
  return { name, dataType: DataType.FLOAT, dims, floatData: values };
}

export const attr = {
  int: (name: string, i: number): IAttributeProto => ({ name, type: AttributeType.INT, i }),
  float: (name: string, f: number): IAttributeProto => ({ name, type: AttributeType.FLOAT, f }),
  ints: (name: string, ints: number[]): IAttributeProto => ({ name, type: AttributeType.INTS, ints }),
  floats: (name: string, floats: number[]): IAttributeProto => ({ name, type: AttributeType.FLOATS, floats }),
  string: (name: string, s: string): IAttributeProto => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) }),
  strings: (name: string, ss: string[]): IAttributeProto => ({ name, type: AttributeType.STRINGS, strings: ss.map((s) => new TextEncoder().encode(s)) }),
  tensor: (name: string, t: ITensorProto): IAttributeProto => ({ name, type: AttributeType.TENSOR, t }),
};

/** A 3×3 conv + bias, a Mul by a per-channel constant and a Relu: a typical fusion target. */
export function convMulRelu(): Uint8Array {
  const w = Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.sin(i) * 0.3);
  return buildModel({
    inputs: [{ name: "x", dims: ["N", 3, 8, 8] }],
    outputs: [{ name: "y", dims: ["N", 4, 8, 8] }],
    initializers: [
      floats("W", [4, 3, 3, 3], w),
      floats("B", [4], [0.1, -0.2, 0.3, 0]),
      floats("scale", [1, 4, 1, 1], [2, 0.5, -1, 3]),
    ],
    nodes: [
      node("Conv", ["x", "W", "B"], ["c"], [attr.ints("pads", [1, 1, 1, 1]), attr.ints("kernel_shape", [3, 3])]),
      node("Mul", ["c", "scale"], ["m"]),
      node("Relu", ["m"], ["y"]),
    ],
  });
}
