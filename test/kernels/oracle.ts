/**
 * Test-only oracle: encodes a one-node ONNX model in memory with onnx-proto, runs it with
 * onnxruntime-node, runs the same node through our executor, and compares the outputs.
 */
import onnxProto from "onnx-proto";
import ort from "onnxruntime-node";
import * as assert from "uvu/assert";
import { execute } from "../../src/kernels/index.js";
import { Graph, type Attr, type Attrs } from "../../src/runtime/graph.js";
import { DTYPES, floatToHalfBits, halfBitsToFloat, tensorBytes, type DType, type Tensor } from "../../src/runtime/tensor.js";

const { onnx } = onnxProto;
type ITensorProto = Parameters<typeof onnx.TensorProto.encode>[0];
type IAttributeProto = Parameters<typeof onnx.AttributeProto.encode>[0];
type IModelProto = Parameters<typeof onnx.ModelProto.encode>[0];


function encodeTensor(name: string, t: Tensor): ITensorProto {
  return { name, dims: [...t.shape], dataType: DTYPES[t.dtype].onnx, rawData: tensorBytes(t) };
}

function encodeAttr(name: string, a: Attr): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case "int":
      return { name, type: T.INT, i: a.value };
    case "float":
      return { name, type: T.FLOAT, f: a.value };
    case "string":
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case "ints":
      return { name, type: T.INTS, ints: a.value };
    case "floats":
      return { name, type: T.FLOATS, floats: a.value };
    case "strings":
      return { name, type: T.STRINGS, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case "tensor":
      return { name, type: T.TENSOR, t: encodeTensor("", a.value) };
    default:
      throw new Error(`cannot encode attribute ${name}`);
  }
}

export interface OneNode {
  op: string;
  domain?: string;
  /** Inputs in slot order; `undefined` is an absent optional input. */
  inputs: (Tensor | undefined)[];
  attrs?: Attrs;
  outputs?: number;
  /** Output dtypes for the model's declaration (default: the first input's). */
  outputDTypes?: DType[];
  opset?: number;
  /**
   * Ours only: float32 inputs reach the node through an Add of 0 (same values), so that kernels
   * see them as tensors a node produced (in the tensor arena) rather than as graph inputs.
   */
  produced?: boolean;
  /** Ours only: every input after the first is a graph constant (weights), not a graph input. */
  weights?: boolean;
}

/** Runs one node with onnxruntime-node. */
export async function runOrt(spec: OneNode): Promise<Tensor[]> {
  const names = spec.inputs.map((t, i) => (t ? `in${i}` : ""));
  const outNames = Array.from({ length: spec.outputs ?? 1 }, (_, i) => `out${i}`);
  const model: IModelProto = {
    irVersion: 8,
    opsetImport: [
      { domain: "", version: spec.opset ?? 17 },
      { domain: "com.microsoft", version: 1 },
    ],
    graph: {
      name: "oracle",
      node: [{ opType: spec.op, domain: spec.domain ?? "", input: names, output: outNames, attribute: Object.entries(spec.attrs ?? {}).map(([n, a]) => encodeAttr(n, a)) }],
      input: spec.inputs.flatMap((t, i) =>
        t ? [{ name: `in${i}`, type: { tensorType: { elemType: DTYPES[t.dtype].onnx, shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } } }] : [],
      ),
      output: outNames.map((name, i) => ({
        name,
        type: { tensorType: { elemType: DTYPES[spec.outputDTypes?.[i] ?? spec.inputs[0]?.dtype ?? "float32"].onnx } },
      })),
    },
  };
  const bytes = onnx.ModelProto.encode(model).finish();
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  spec.inputs.forEach((t, i) => {
    if (t) feeds[`in${i}`] = toOrtTensor(t);
  });
  const result = await session.run(feeds);
  return outNames.map((n) => {
    const r = result[n]!;
    return fromOrtTensor(r);
  });
}

/** onnxruntime's tensor for ours: the same type names; float16 travels as 16-bit halfs. */
export function toOrtTensor(t: Tensor): ort.Tensor {
  if (t.dtype === "float16") return new ort.Tensor("float16", Uint16Array.from(t.data as Float32Array, floatToHalfBits), [...t.shape]);
  return new ort.Tensor(t.dtype, t.data as Float32Array, [...t.shape]);
}

export function fromOrtTensor(r: ort.Tensor): Tensor {
  const dtype = r.type as DType;
  if (dtype === "float16") return { dtype, shape: [...r.dims], data: Float32Array.from(r.data as Uint16Array, halfBitsToFloat) };
  return { dtype, shape: [...r.dims], data: r.data as Float32Array };
}

/** Runs one node with our executor (inputs as graph inputs). */
export function runOurs(spec: OneNode): Tensor[] {
  const g = new Graph();
  const feeds: Record<string, Tensor> = {};
  const values = spec.inputs.map((t, i) => {
    if (!t) return undefined;
    if (spec.weights && i > 0) return g.addConstant(t, `w${i}`);
    feeds[`in${i}`] = t;
    const input = g.addInput(`in${i}`, t.dtype, [...t.shape]);
    if (!spec.produced || t.dtype !== "float32") return input;
    const zero = g.addConstant({ dtype: "float32", shape: [], data: new Float32Array(1) }, "zero");
    const copy = g.newValue(`copy${i}`);
    g.addNode({ op: "Add", domain: "", name: `copy${i}`, inputs: [input, zero], attrs: {}, outputs: [copy] });
    return copy;
  });
  const outs = Array.from({ length: spec.outputs ?? 1 }, (_, i) => g.newValue(`out${i}`));
  g.addNode({ op: spec.op, domain: spec.domain ?? "", name: "node", inputs: values, attrs: spec.attrs ?? {}, outputs: outs });
  g.outputs = outs;
  const result = execute(g, feeds);
  return outs.map((v) => result[v.name]!);
}

export function assertClose(actual: Tensor, expected: Tensor, tol = 1e-4, label = ""): void {
  assert.equal([...actual.shape], [...expected.shape], `${label} shape`);
  assert.is(actual.dtype, expected.dtype, `${label} dtype`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const e = Number(expected.data[i]);
    const a = Number(actual.data[i]);
    const err = a === e || (Number.isNaN(a) && Number.isNaN(e)) ? 0 : Math.abs(a - e) / Math.max(1, Math.abs(e));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${label} differs at ${at}: got ${Number(actual.data[at])}, expected ${Number(expected.data[at])} (error ${worst})`);
}

/** Runs `spec` on both and compares every output. */
export async function checkAgainstOrt(spec: OneNode, tol = 1e-4, label = spec.op): Promise<void> {
  const expected = await runOrt(spec);
  const actual = runOurs(spec);
  expected.forEach((e, i) => assertClose(actual[i]!, e, tol, `${label} output ${i}`));
}

/** Deterministic pseudo-random floats in [-1, 1). */
export function randomTensor(shape: number[], seed = 1): Tensor {
  let s = seed * 2654435761 >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { dtype: "float32", shape, data };
}

export const ints = (value: number[]): Attr => ({ type: "ints", value });
export const int = (value: number): Attr => ({ type: "int", value });
export const float = (value: number): Attr => ({ type: "float", value });
export const str = (value: string): Attr => ({ type: "string", value });
export const floats = (value: number[]): Attr => ({ type: "floats", value });
