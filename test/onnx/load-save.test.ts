import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeOnnx } from "../../src/onnx/load.js";
import { loadOnnx, saveOnnx } from "../../src/node/models.js";
import { encodeOnnx } from "../../src/onnx/save.js";
import { ModelFileError } from "../../src/onnx/meta.js";
import { AttributeType, DataType, decodeModel } from "./onnx-proto.js";
import { attr, buildModel, convMulRelu, floats, node } from "./build.js";
import { identical, randomInput, runOrt } from "./ort.js";

const tmp = mkdtempSync(join(tmpdir(), "fusec-onnx-"));

function fileError(fn: () => unknown): ModelFileError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ModelFileError) return e;
    throw e;
  }
  throw new Error("expected a ModelFileError");
}

test("loads nodes, constants, typed attributes and symbolic input shapes", () => {
  const g = decodeOnnx(convMulRelu(), "conv.onnx");
  assert.equal([...g.nodes].map((n) => n.op), ["Conv", "Mul", "Relu"]);
  assert.equal(g.constants.size, 3);
  assert.equal(g.inputs[0]!.shape, ["N", 3, 8, 8]);
  assert.equal(g.inputs[0]!.dtype, "float32");
  const conv = [...g.nodes][0]!;
  assert.equal(conv.attrs["pads"], { type: "ints", value: [1, 1, 1, 1] });
  assert.equal(g.meta["opsets"], { "": 13 });
  assert.equal(g.outputs.map((v) => v.name), ["y"]);
});

test("load then save reproduces onnxruntime's outputs exactly", async () => {
  const original = convMulRelu();
  const saved = encodeOnnx(decodeOnnx(original));
  const feeds = { x: randomInput([2, 3, 8, 8], 7) };
  assert.ok(identical(await runOrt(saved, feeds), await runOrt(original, feeds)));
});

test("Constant nodes of every encoding become constants", () => {
  const bytes = buildModel({
    inputs: [{ name: "x", dims: [2] }],
    outputs: [{ name: "y", dims: [2] }],
    nodes: [
      node("Constant", [], ["a"], [attr.tensor("value", floats("", [2], [1.5, 2.5]))]),
      node("Constant", [], ["b"], [attr.float("value_float", 0.25)]),
      node("Constant", [], ["c"], [attr.ints("value_ints", [3, -1])]),
      node("Constant", [], ["d"], [attr.tensor("value", { dataType: DataType.INT64, dims: [2], int64Data: [5, 6] })]),
      node("Constant", [], ["e"], [attr.tensor("value", { dataType: DataType.INT32, dims: [1], rawData: new Uint8Array([7, 0, 0, 0]) })]),
      node("Add", ["x", "a"], ["s"]),
      node("Mul", ["s", "b"], ["y"]),
    ],
  });
  const g = decodeOnnx(bytes);
  const byName = new Map([...g.constants].map((v) => [v.name, v.constant!]));
  assert.equal([...byName.get("a")!.data], [1.5, 2.5]);
  assert.equal(byName.get("b")!.shape, []);
  assert.equal([...byName.get("c")!.data], [3n, -1n]);
  assert.equal([...byName.get("d")!.data], [5n, 6n]);
  assert.equal(byName.get("e")!.dtype, "int32");
  assert.equal([...byName.get("e")!.data], [7]);
  assert.equal(g.nodes.size, 2);
});

test("float16 constants load as float16 and round-trip as halfs", async () => {
  const half = { dataType: DataType.FLOAT16, dims: [2], int32Data: [0x3c00, 0xc000] }; // 1, -2
  const bytes = buildModel({
    inputs: [{ name: "x", dims: [2] }],
    outputs: [{ name: "y", dims: [2] }, { name: "z", elemType: DataType.FLOAT16, dims: [2] }],
    initializers: [{ name: "h", ...half }, { name: "k", ...half }],
    nodes: [
      node("Cast", ["h"], ["hf"], [attr.int("to", DataType.FLOAT)]),
      node("Add", ["x", "hf"], ["y"]),
      node("Identity", ["k"], ["z"]),
    ],
  });
  const g = decodeOnnx(bytes);
  for (const name of ["h", "k"]) {
    const c = [...g.constants].find((v) => v.name === name)!;
    assert.equal(c.constant!.dtype, "float16");
    assert.equal([...c.constant!.data], [1, -2]);
  }
  const feeds = { x: randomInput([2], 3) };
  assert.ok(identical(await runOrt(encodeOnnx(g), feeds), await runOrt(bytes, feeds)));
});

test("attributes of every type, subgraphs included, survive a round trip and still run", async () => {
  const branch = (value: number) => ({
    name: "branch",
    node: [node("Constant", [], [`out${value}`], [attr.tensor("value", floats("", [1], [value]))])],
    output: [{ name: `out${value}`, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } }],
  });
  const bytes = buildModel({
    inputs: [{ name: "cond", elemType: DataType.BOOL, dims: [] }],
    outputs: [{ name: "y", dims: [1] }],
    nodes: [
      {
        opType: "If",
        name: "choose",
        input: ["cond"],
        output: ["y"],
        attribute: [
          { name: "then_branch", type: AttributeType.GRAPH, g: branch(1) },
          { name: "else_branch", type: AttributeType.GRAPH, g: branch(2) },
        ],
      },
    ],
  });
  const g = decodeOnnx(bytes);
  assert.is([...g.nodes][0]!.attrs["then_branch"]!.type, "opaque");
  const saved = encodeOnnx(g);
  const feeds = { cond: { dtype: "bool" as const, shape: [], data: new Uint8Array([0]) } };
  assert.equal([...(await runOrt(saved, feeds))["y"]!.data], [2]);

  const custom = buildModel({
    opsets: { "": 13, "com.example": 1 },
    inputs: [{ name: "x", dims: [4] }],
    outputs: [{ name: "y", dims: [4] }],
    nodes: [
      node(
        "Frobnicate",
        ["x"],
        ["y"],
        [
          attr.int("i", "9223372036854775807" as unknown as number),
          attr.float("f", 0.5),
          attr.string("s", "héllo"),
          attr.ints("is", [1, -2]),
          attr.floats("fs", [0.25]),
          attr.strings("ss", ["a", "b"]),
          attr.tensor("t", floats("", [1], [3])),
        ],
        "com.example",
      ),
    ],
  });
  const frob = [...decodeOnnx(custom).nodes][0]!;
  const again = [...decodeOnnx(encodeOnnx(decodeOnnx(custom))).nodes][0]!;
  assert.equal(again.attrs, frob.attrs);
  assert.equal(again.domain, "com.example");
  assert.equal(frob.attrs["s"], { type: "string", value: "héllo" });
  assert.equal(decodeModel(encodeOnnx(decodeOnnx(custom))).graph!.node![0]!.attribute![0]!.i!.toString(), "9223372036854775807");
});

test("an op fusec does not know is kept opaque, with its type from value_info", () => {
  const bytes = buildModel({
    opsets: { "": 13, "com.example": 1 },
    inputs: [{ name: "x", dims: [4] }],
    outputs: [{ name: "y", dims: [4] }],
    valueInfo: [{ name: "f", dims: [4] }],
    nodes: [node("Frobnicate", ["x"], ["f"], [], "com.example"), node("Relu", ["f"], ["y"])],
  });
  const g = decodeOnnx(bytes);
  const f = [...g.nodes][0]!.outputs[0]!;
  assert.is(f.dtype, "float32");
  assert.equal(f.shape, [4]);
  const saved = decodeModel(encodeOnnx(g));
  assert.equal(saved.graph!.node!.map((n) => n.opType), ["Frobnicate", "Relu"]);
  assert.ok(saved.opsetImport.some((o) => o.domain === "com.example"));
});

test("missing dims get fresh symbols; graph outputs keep their names after the value behind them changes", async () => {
  const bytes = buildModel({
    inputs: [{ name: "x", dims: [2, "W"] }],
    outputs: [{ name: "y", dims: [2, "W"] }],
    nodes: [node("Relu", ["x"], ["y"])],
  });
  const g = decodeOnnx(bytes);
  assert.equal(g.inputs[0]!.shape, [2, "W"]);
  // Replace the output's producer, as a rewrite would: the new value has another name.
  const relu = [...g.nodes][0]!;
  const replacement = g.newValue("y_new", "float32", [2, "W"]);
  g.addNode({ op: "Sigmoid", inputs: [g.inputs[0]!], outputs: [replacement] });
  g.replaceAllUses(relu.outputs[0]!, replacement);
  g.removeNode(relu);
  const saved = encodeOnnx(g);
  const out = await runOrt(saved, { x: randomInput([2, 3], 1) });
  assert.equal(Object.keys(out), ["y"]);
  assert.ok(Math.abs((out["y"]!.data[0] as number) - 1 / (1 + Math.exp(-(randomInput([2, 3], 1).data[0] as number)))) < 1e-6);
});

test("bad files give one-line errors naming the file", () => {
  const empty = join(tmp, "empty.onnx");
  writeFileSync(empty, new Uint8Array());
  assert.match(fileError(() => loadOnnx(empty)).message, /empty\.onnx: file is empty/);

  const corrupt = join(tmp, "corrupt.onnx");
  writeFileSync(corrupt, new TextEncoder().encode("this is not a protobuf model at all\n"));
  assert.match(fileError(() => loadOnnx(corrupt)).message, /corrupt\.onnx: not a valid ONNX model/);

  const model = convMulRelu();
  const truncated = join(tmp, "truncated.onnx");
  writeFileSync(truncated, model.subarray(0, Math.floor(model.length / 2)));
  const err = fileError(() => loadOnnx(truncated));
  assert.match(err.message, /truncated\.onnx: /);
  assert.not.match(err.message, /\n/);

  assert.match(fileError(() => loadOnnx(join(tmp, "missing.onnx"))).message, /missing\.onnx: cannot read file \(ENOENT\)/);

  const external = buildModel({
    inputs: [{ name: "x", dims: [1] }],
    outputs: [{ name: "y", dims: [1] }],
    initializers: [{ name: "w", dataType: DataType.FLOAT, dims: [1], dataLocation: 1, externalData: [{ key: "location", value: "w.bin" }] }],
    nodes: [node("Add", ["x", "w"], ["y"])],
  });
  assert.match(fileError(() => decodeOnnx(external, "ext.onnx")).message, /ext\.onnx: initializer "w" uses external data/);

  const dangling = buildModel({
    inputs: [{ name: "x", dims: [1] }],
    outputs: [{ name: "y", dims: [1] }],
    nodes: [node("Add", ["x", "nowhere"], ["y"])],
  });
  assert.match(fileError(() => decodeOnnx(dangling, "d.onnx")).message, /reads "nowhere", which nothing defines/);
});

test("a failed save leaves no file behind", () => {
  const g = decodeOnnx(convMulRelu());
  const target = join(tmp, "no-such-dir", "out.onnx");
  assert.match(fileError(() => saveOnnx(g, target)).message, /cannot write file/);
  assert.not.ok(existsSync(target));
  const ok = join(tmp, "out.onnx");
  saveOnnx(g, ok);
  assert.equal(readdirSync(tmp).filter((f) => f.includes(".tmp")), []);
  assert.is(loadOnnx(ok).nodes.size, 3);
});

test.run();
