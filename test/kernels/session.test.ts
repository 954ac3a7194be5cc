import { test } from "uvu";
import * as assert from "uvu/assert";
import { ExecutionError, GraphBuilder, OpError, f32, prepare, toNumbers } from "../../src/runtime/api.js";

function addMul() {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [3]);
  const y = b.input("y", "float32", [3]);
  const s = b.op("Add", [x, y]);
  const out = b.op("Mul", [s, b.constant(f32([1], [2]))]);
  b.graph.outputs.push(out);
  return { graph: b.graph, out };
}

test("a session names its inputs and outputs and runs many times with fresh outputs", () => {
  const { graph } = addMul();
  const session = prepare(graph);
  assert.equal(session.inputNames, ["x", "y"]);
  assert.equal(session.outputNames, [graph.outputs[0]!.name]);
  const name = session.outputNames[0]!;
  const first = session.run({ x: f32([3], [1, 2, 3]), y: f32([3], [1, 1, 1]) });
  const second = session.run({ x: f32([3], [0, 0, 0]), y: f32([3], [5, 6, 7]) });
  assert.equal(toNumbers(first[name]!), [4, 6, 8]);
  assert.equal(toNumbers(second[name]!), [10, 12, 14]);
  assert.ok(first[name]!.data !== second[name]!.data, "outputs of different runs share a buffer");
});

test("a session notices edits to its graph and plans again", () => {
  const { graph, out } = addMul();
  const session = prepare(graph);
  const relu = graph.addNode({ op: "Relu", domain: "", name: "relu", inputs: [out], attrs: {}, outputs: [graph.newValue("r", "float32", [3])] });
  graph.outputs[0] = relu.outputs[0]!;
  const r = session.run({ x: f32([3], [-5, 0, 1]), y: f32([3], [1, 1, 1]) });
  assert.equal(session.outputNames, ["r"]);
  assert.equal(toNumbers(r["r"]!), [0, 2, 4]);
});

test("prepare rejects an op without a kernel, naming the node; run rejects missing and mismatched inputs", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const [y] = b.node("Frobnicate", [x], { domain: "com.example", name: "frob" });
  b.output(y!);
  assert.throws(() => prepare(b.graph), (e: unknown) => e instanceof ExecutionError && /node "frob" \(com\.example::Frobnicate\): no kernel/.test((e as Error).message));
  const session = prepare(addMul().graph);
  assert.throws(() => session.run({ x: f32([3], [1, 2, 3]) }), (e: unknown) => e instanceof OpError && /missing graph input "y"/.test((e as Error).message));
  assert.throws(() => session.run({ x: f32([2], [1, 2]), y: f32([3], [1, 2, 3]) }), /graph input "x" has shape \[2\], expected \[3\]/);
});

test.run();
