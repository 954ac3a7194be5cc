/**
 * Values that If/Loop bodies read from the enclosing graph by name count as uses: dead-code
 * removal keeps them, the saved file lists their producers first, and when a rewrite puts a value
 * of another name in their place the saved model still provides the name the body reads.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeOnnx, encodeOnnx, graphFromJSON, graphToJSON, loadPass, optimize } from "../../src/index.js";
import { AttributeType, DataType, type IGraphProto } from "./onnx-proto.js";
import { buildModel, floats, node } from "./build.js";
import { randomInput, runOrt, worstError, type Feeds } from "./ort.js";

const valueInfo = (name: string) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }, { dimValue: 3 }] } } } });

/** y = If(c) then Relu(t) else Neg(t), where t = Mul(x, k) is read only inside the branches. */
function ifModel(k: number, ifFirst: boolean): Uint8Array {
  const branch = (op: string, out: string): IGraphProto => ({ name: op, node: [node(op, ["t"], [out])], output: [valueInfo(out)] });
  const mul = node("Mul", ["x", "k"], ["t"]);
  const ifNode = {
    opType: "If",
    name: "if",
    input: ["c"],
    output: ["y"],
    attribute: [
      { name: "then_branch", type: AttributeType.GRAPH, g: branch("Relu", "o1") },
      { name: "else_branch", type: AttributeType.GRAPH, g: branch("Neg", "o2") },
    ],
  };
  return buildModel({
    inputs: [{ name: "x", dims: [2, 3] }, { name: "c", elemType: DataType.BOOL, dims: [] }],
    outputs: [{ name: "y" }],
    initializers: [floats("k", [], [k])],
    nodes: ifFirst ? [ifNode, mul] : [mul, ifNode],
  });
}

const feeds = (cond: boolean): Feeds => ({ x: randomInput([2, 3], 1), c: { dtype: "bool", shape: [], data: Uint8Array.of(cond ? 1 : 0) } });

test("a value read only by an If branch survives optimization, and the saved model runs", async () => {
  const bytes = ifModel(2, false);
  const graph = decodeOnnx(bytes);
  optimize(graph, { passes: [await loadPass("onnx")] });
  assert.equal([...graph.nodes].map((n) => n.op).sort(), ["If", "Mul"]);
  for (const cond of [true, false]) assert.is(worstError(await runOrt(encodeOnnx(graph), feeds(cond)), await runOrt(bytes, feeds(cond))), 0);
});

test("a producer listed after the If that reads it is written before it", async () => {
  const bytes = ifModel(2, true);
  const graph = decodeOnnx(bytes);
  assert.is(worstError(await runOrt(encodeOnnx(graph), feeds(true)), await runOrt(bytes, feeds(true))), 0);
});

test("when a rewrite replaces the captured value (x·1 ⇒ x), the body still finds its name", async () => {
  const bytes = ifModel(1, false);
  const graph = decodeOnnx(bytes);
  const stats = optimize(graph, { passes: [await loadPass("onnx")] });
  assert.is(stats.firings["MulByOne"], 1);
  for (const cond of [true, false]) assert.is(worstError(await runOrt(encodeOnnx(graph), feeds(cond)), await runOrt(bytes, feeds(cond))), 0);
});

test("captures survive the JSON form: ONNX → JSON → ONNX still runs", async () => {
  const bytes = ifModel(2, false);
  const json = JSON.stringify(graphToJSON(decodeOnnx(bytes)));
  assert.match(json, /"captures":\["t"\]/);
  const graph = graphFromJSON(json);
  graph.meta = { opsets: { "": 13 } };
  assert.is(worstError(await runOrt(encodeOnnx(graph), feeds(false)), await runOrt(bytes, feeds(false))), 0);
});

test.run();
