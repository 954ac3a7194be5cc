/**
 * The constant-folding phase: weights a model computes (ConstantOfShape, Reshape, Transpose,
 * Cast, Shape arithmetic) fold into constants before the rule packs run, so the fused graph
 * is the one plain initializers give; shape arithmetic on static shapes folds so that a Pad
 * joins its Conv; folding never grows the model with a large constant that a broadcasting reader
 * does not need; and outputs keep their names, dtypes and shapes.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeOnnx, encodeOnnx, execute, foldConstants, loadPass, optimize } from "../../src/index.js";
import { DataType, type ITensorProto } from "../onnx/onnx-proto.js";
import { attr, buildModel, floats, node } from "../onnx/build.js";
import { randomInput, runOrt, worstError } from "../onnx/ort.js";

const int64s = (name: string, values: number[], dims = [values.length]): ITensorProto => ({
  name,
  dataType: DataType.INT64,
  dims,
  rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer),
});
const fill = (v: number): ITensorProto => ({ name: "", dataType: DataType.FLOAT, dims: [1], floatData: [v] });
const pattern = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 0.2);
const C = 4;

/** Two conv-BN-relu stages with a residual Add, as initializers or as computed chains. */
function resnetBlock(computed: boolean): Uint8Array {
  const w1 = pattern(C * C * 9, 1);
  const w2 = pattern(C * C * 9, 2);
  const bnStage = (i: number, input: string, output: string) => [
    node("Conv", [input, `W${i}`, `B${i}`], [`conv${i}`], [attr.ints("pads", [1, 1, 1, 1])]),
    node("BatchNormalization", [`conv${i}`, `scale${i}`, `shift${i}`, `mean${i}`, `var${i}`], [output]),
  ];
  const initializers: ITensorProto[] = [];
  const chains = [];
  if (!computed) {
    initializers.push(
      floats("W1", [C, C, 3, 3], w1), floats("W2", [C, C, 3, 3], w2),
      floats("B1", [C], Array(C).fill(0.1)), floats("B2", [C], Array(C).fill(0.1)),
      floats("scale1", [C], Array(C).fill(1.5)), floats("scale2", [C], Array(C).fill(1.5)),
      floats("shift1", [C], Array(C).fill(0)), floats("shift2", [C], Array(C).fill(0)),
      floats("mean1", [C], [0, 1, 2, 3]), floats("mean2", [C], [0, 1, 2, 3]),
      floats("var1", [C], Array(C).fill(1)), floats("var2", [C], Array(C).fill(1)),
    );
  } else {
    // W: a flat list reshaped, and one transposed from [C, 3, 3, C]; the rest from shapes.
    const w2hwc = new Array<number>(C * C * 9);
    for (let o = 0; o < C; o++) for (let c = 0; c < C; c++) for (let k = 0; k < 9; k++) w2hwc[((o * 9) + k) * C + c] = w2[(o * C + c) * 9 + k]!;
    initializers.push(floats("w1flat", [C * C * 9], w1), int64s("w1shape", [C, C, 3, 3]), floats("w2ohwi", [C, 3, 3, C], w2hwc));
    initializers.push(int64s("one", [1]), int64s("two", [2]), int64s("zero", [0]), floats("fone", [], [1]), int64s("meanInts", [0, 1, 2, 3]));
    chains.push(
      node("Reshape", ["w1flat", "w1shape"], ["W1"]),
      node("Transpose", ["w2ohwi"], ["W2"], [attr.ints("perm", [0, 3, 1, 2])]),
      // [C] taken from x's static shape: Shape → Slice → ConstantOfShape.
      node("Shape", ["x"], ["xshape"]),
      node("Slice", ["xshape", "one", "two", "zero"], ["channels"]),
      node("ConstantOfShape", ["channels"], ["B1"], [attr.tensor("value", fill(0.1))]),
      node("ConstantOfShape", ["channels"], ["B2"], [attr.tensor("value", fill(0.1))]),
      node("ConstantOfShape", ["channels"], ["scale1"], [attr.tensor("value", fill(1.5))]),
      node("Identity", ["scale1"], ["scale2"]),
      node("ConstantOfShape", ["channels"], ["shift1"], [attr.tensor("value", fill(0))]),
      node("ConstantOfShape", ["channels"], ["shift2"], [attr.tensor("value", fill(0))]),
      node("Cast", ["meanInts"], ["mean1"], [attr.int("to", DataType.FLOAT)]),
      node("Identity", ["mean1"], ["mean2"]),
      node("ConstantOfShape", ["channels"], ["var1"], [attr.tensor("value", fill(1))]),
      node("Mul", ["var1", "fone"], ["var2"]),
    );
  }
  return buildModel({
    inputs: [{ name: "x", dims: [1, C, 6, 6] }],
    outputs: [{ name: "y", dims: [1, C, 6, 6] }],
    initializers,
    nodes: [
      ...chains,
      ...bnStage(1, "x", "bn1"),
      node("Relu", ["bn1"], ["r1"]),
      ...bnStage(2, "r1", "bn2"),
      node("Add", ["bn2", "x"], ["sum"]),
      node("Relu", ["sum"], ["y"]),
    ],
  });
}

test("a ResNet-style block whose weights are computed optimizes to the graph initializers give", async () => {
  const pass = await loadPass("onnx");
  const plain = decodeOnnx(resnetBlock(false));
  const computedBytes = resnetBlock(true);
  const computed = decodeOnnx(computedBytes);
  assert.ok(computed.nodes.size > plain.nodes.size + 10);
  optimize(plain, { passes: [pass] });
  const stats = optimize(computed, { passes: [pass] });
  assert.ok((stats.folding?.folded ?? 0) >= 10, `folded ${stats.folding?.folded}`);
  assert.equal([...computed.nodes].map((n) => n.op).sort(), [...plain.nodes].map((n) => n.op).sort());
  assert.is(computed.nodes.size, 2);
  const x = randomInput([1, C, 6, 6], 5);
  const expected = await runOrt(computedBytes, { x });
  assert.ok(worstError(execute(computed, { x }), expected) < 1e-4);
  assert.ok(worstError(await runOrt(encodeOnnx(computed), { x }), expected) < 1e-4);
});

test("pads computed from Shape → Slice → Concat fold, and the Pad joins the Conv", async () => {
  const bytes = buildModel({
    inputs: [{ name: "x", dims: [1, 3, 8, 8] }],
    outputs: [{ name: "y", dims: [1, 2, 8, 8] }],
    initializers: [
      floats("W", [2, 3, 3, 3], pattern(54, 3)),
      int64s("two", [2]), int64s("four", [4]), int64s("zero", [0]), int64s("seven", [7, 7]), int64s("nc", [0, 0]),
    ],
    nodes: [
      node("Shape", ["x"], ["s"]),
      node("Slice", ["s", "two", "four", "zero"], ["hw"]),
      node("Sub", ["hw", "seven"], ["ones"]),
      node("Concat", ["nc", "ones", "nc", "ones"], ["pads"], [attr.int("axis", 0)]),
      node("Pad", ["x", "pads"], ["padded"]),
      node("Conv", ["padded", "W"], ["y"]),
    ],
  });
  const graph = decodeOnnx(bytes);
  optimize(graph, { passes: [await loadPass("onnx")] });
  const ops = [...graph.nodes].map((n) => n.op);
  assert.equal(ops, ["Conv"]);
  const conv = [...graph.nodes][0]!;
  assert.equal(conv.attrs["pads"], { type: "ints", value: [1, 1, 1, 1] });
  const x = randomInput([1, 3, 8, 8], 6);
  assert.ok(worstError(execute(graph, { x }), await runOrt(bytes, { x })) < 1e-5);
});

test("a ConstantOfShape to a large constant feeding a broadcasting Add is not folded; one feeding a MatMul is", () => {
  const make = (reader: string) =>
    decodeOnnx(
      buildModel({
        inputs: [{ name: "x", dims: [256, 256] }],
        outputs: [{ name: "y", dims: [256, 256] }],
        initializers: [int64s("shape", [256, 256])],
        nodes: [node("ConstantOfShape", ["shape"], ["big"], [attr.tensor("value", fill(0.5))]), node(reader, ["x", "big"], ["y"])],
      }),
    );
  const add = make("Add");
  const addStats = foldConstants(add);
  assert.is(addStats.folded, 0);
  assert.equal([...add.nodes].map((n) => n.op).sort(), ["Add", "ConstantOfShape"]);
  const matmul = make("MatMul");
  const mmStats = foldConstants(matmul);
  assert.is(mmStats.folded, 1);
  assert.equal([...matmul.nodes].map((n) => n.op), ["MatMul"]);
  assert.ok(mmStats.bytesAfter - mmStats.bytesBefore >= 256 * 256 * 4 - 64);
});

test("folded values keep their names, dtypes and shapes; graph outputs stay outputs", () => {
  const graph = decodeOnnx(
    buildModel({
      inputs: [{ name: "x", dims: [2, 3] }],
      outputs: [{ name: "shape_out", elemType: DataType.INT64, dims: [2] }, { name: "y", dims: [2, 3] }],
      initializers: [floats("a", [3], [1, 2, 3])],
      nodes: [node("Shape", ["x"], ["shape_out"]), node("Relu", ["a"], ["ra"]), node("Add", ["x", "ra"], ["y"])],
    }),
  );
  const stats = foldConstants(graph);
  const out = graph.outputs.find((v) => v.name === "shape_out")!;
  assert.ok(out.isConstant);
  assert.is(out.dtype, "int64");
  assert.equal(out.shape, [2]);
  assert.equal(Array.from(out.constant!.data as BigInt64Array, Number), [2, 3]);
  assert.ok(stats.folded >= 1);
  const results = execute(graph, { x: { dtype: "float32", shape: [2, 3], data: new Float32Array(6) } });
  assert.equal(Object.keys(results).sort(), ["shape_out", "y"]);
});

test.run();
