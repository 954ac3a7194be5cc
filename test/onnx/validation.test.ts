/**
 * Malformed ONNX models are rejected with a message naming the place, not accepted silently:
 * opsets outside what fusec reads, negative dims, Constant nodes with inputs, duplicate graph
 * outputs, duplicate or prototype attribute names, tensors whose dims are negative or too large.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeOnnx, ModelFileError } from "../../src/onnx/index.js";
import { onnx, type IAttributeProto, type IModelProto } from "./onnx-proto.js";

const FLOAT = 1;

function valueInfo(name: string, dims: number[]) {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

/** Relu(x) → y at opset 17, with `edit` applied to the model before encoding. */
function model(edit: (m: IModelProto) => void = () => {}): Uint8Array {
  const m: IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "g",
      input: [valueInfo("x", [1, 4])],
      output: [valueInfo("y", [1, 4])],
      node: [{ opType: "Relu", name: "relu", input: ["x"], output: ["y"] }],
    },
  };
  edit(m);
  return onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();
}

function rejects(bytes: Uint8Array, pattern: RegExp, limits = {}): void {
  try {
    decodeOnnx(bytes, "m.onnx", limits);
    assert.unreachable(`expected ${pattern}`);
  } catch (e) {
    assert.instance(e, ModelFileError);
    assert.match((e as Error).message, pattern);
    assert.not.match((e as Error).message, /Invalid typed array length|undefined/);
  }
}

test("a well-formed model loads", () => {
  assert.is(decodeOnnx(model(), "m.onnx").nodes.size, 1);
});

test("opsets outside 6 to 28 of the default domain are rejected", () => {
  rejects(model((m) => (m.opsetImport = [{ domain: "", version: 1 }])), /m\.onnx: opset_import\[0\]: opset 1 of the default domain is not one fusec reads \(6 to 28\)/);
  rejects(model((m) => (m.opsetImport = [{ domain: "", version: 99 }])), /opset 99 of the default domain/);
});

test("a negative input dim is an error naming the input (-1, the exporters' unknown size, stays symbolic)", () => {
  rejects(model((m) => (m.graph!.input = [valueInfo("x", [1, -4])])), /graph input "x": dim 1 is -4, not a size/);
  const g = decodeOnnx(model((m) => (m.graph!.input = [valueInfo("x", [-1, 4])])), "m.onnx");
  assert.type(g.inputs[0]!.shape![0], "string");
});

test("a Constant node with inputs is rejected instead of losing them", () => {
  rejects(
    model((m) => {
      m.graph!.node = [
        { opType: "Constant", name: "c", input: ["x"], output: ["k"], attribute: [{ name: "value_float", type: 1, f: 2 }] },
        { opType: "Add", name: "add", input: ["x", "k"], output: ["y"] },
      ];
    }),
    /Constant node "c" has inputs; a Constant takes none/,
  );
});

test("a graph output listed twice is rejected", () => {
  rejects(model((m) => m.graph!.output!.push(valueInfo("y", [1, 4]))), /graph output "y" is listed twice/);
});

test("attribute names: duplicates and __proto__ are rejected with the node", () => {
  const withAttrs = (attrs: IAttributeProto[]) =>
    model((m) => (m.graph!.node = [{ opType: "LeakyRelu", name: "lr", input: ["x"], output: ["y"], attribute: attrs }]));
  rejects(withAttrs([{ name: "alpha", type: 1, f: 0.1 }, { name: "alpha", type: 1, f: 0.2 }]), /node "lr" \(LeakyRelu\) has two attributes named "alpha"/);
  rejects(withAttrs([{ name: "__proto__", type: 1, f: 0.1 }]), /node "lr" \(LeakyRelu\) has an attribute named "__proto__"/);
});

test("initializers with negative or huge dims are rejected before anything is allocated", () => {
  const withInit = (dims: number[], floats: number[]) =>
    model((m) => {
      m.graph!.initializer = [{ name: "w", dataType: FLOAT, dims, floatData: floats }];
      m.graph!.node = [{ opType: "Add", name: "add", input: ["x", "w"], output: ["y"] }];
    });
  rejects(withInit([-2, -2], [1, 2, 3, 4]), /initializer "w": dim -2 is not a size/);
  rejects(withInit([100000, 100000], [1]), /initializer "w": shape \[100000, 100000\] has more than 1073741824 elements/);
  rejects(withInit([4], [1, 2, 3, 4]), /1 tensors, more than the limit of 0 \(raise it with --max-tensors\)/, { maxTensors: 0 });
});

test.run();
