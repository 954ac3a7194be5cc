import { test } from "uvu";
import * as assert from "uvu/assert";
import { execute, ExecutionError } from "../../src/kernels/index.js";
import { Graph, type Value } from "../../src/runtime/graph.js";
import { f32, i64 } from "../../src/runtime/tensor.js";
import { assertClose, randomTensor, runOurs } from "./oracle.js";

function convGraph(xShape: number[]): Graph {
  const g = new Graph();
  const x = g.addInput("x", "float32", xShape);
  const w = g.addConstant(randomTensor([4, 3, 3, 3], 1), "w");
  const y = g.newValue("y");
  g.addNode({ op: "Conv", name: "conv_3", inputs: [x, w], outputs: [y] });
  g.outputs = [y];
  return g;
}

function throwsMessage(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    assert.instance(e, ExecutionError);
    return (e as Error).message;
  }
  throw new Error("expected an error");
}

test("a rank mismatch names the node, the op and the input", () => {
  const g = convGraph([3, 8, 8]);
  const message = throwsMessage(() => execute(g, { x: randomTensor([3, 8, 8], 2) }));
  assert.is(message, 'node "conv_3" (Conv): input X has rank 3, expected 4');
});

test("a channel mismatch, a missing input and a wrong dtype give clear node-naming errors", () => {
  const g = convGraph([1, 5, 8, 8]);
  assert.match(throwsMessage(() => execute(g, { x: randomTensor([1, 5, 8, 8], 2) })), /^node "conv_3" \(Conv\): input X has 5 channels but W \[4, 3, 3, 3\]/);

  const missing = new Graph();
  const a = missing.addInput("a", "float32", [2]);
  const out = missing.newValue("out");
  missing.addNode({ op: "Add", name: "add_1", inputs: [a, undefined], outputs: [out] });
  missing.outputs = [out];
  assert.is(throwsMessage(() => execute(missing, { a: f32([2], [1, 2]) })), 'node "add_1" (Add): missing required input B');

  const mixed = new Graph();
  const p = mixed.addInput("p", "float32", [2]);
  const q = mixed.addInput("q", "int64", [2]);
  const r = mixed.newValue("r");
  mixed.addNode({ op: "Mul", name: "mul_7", inputs: [p, q], outputs: [r] });
  mixed.outputs = [r];
  assert.is(throwsMessage(() => execute(mixed, { p: f32([2], [1, 2]), q: i64([2], [1, 2]) })), 'node "mul_7" (Mul): inputs A (float32) and B (int64) have different dtypes');

  const bad = new Graph();
  const u = bad.addInput("u", "float32", [2, 3]);
  const v = bad.addInput("v", "float32", [4, 3]);
  const s = bad.newValue("s");
  bad.addNode({ op: "Add", name: "add_2", inputs: [u, v], outputs: [s] });
  bad.outputs = [s];
  assert.is(throwsMessage(() => execute(bad, { u: randomTensor([2, 3]), v: randomTensor([4, 3]) })), 'node "add_2" (Add): inputs A [2, 3] and B [4, 3] cannot be broadcast');
});

test("an op without a kernel is reported before anything runs", () => {
  const g = new Graph();
  const x = g.addInput("x", "float32", [2]);
  const y = g.newValue("y");
  const z = g.newValue("z");
  g.addNode({ op: "Relu", name: "first", inputs: [x], outputs: [y] });
  g.addNode({ op: "FancyOp", domain: "acme", name: "fancy_1", inputs: [y], outputs: [z] });
  g.outputs = [z];
  assert.is(throwsMessage(() => execute(g, { x: f32([2], [1, 2]) })), 'node "fancy_1" (acme::FancyOp): no kernel is registered for op acme::FancyOp');
});

test("graph inputs are checked against their declared shapes", () => {
  const g = convGraph([1, 3, 8, 8]);
  assert.throws(() => execute(g, {}), /missing graph input "x"/);
  assert.throws(() => execute(g, { x: randomTensor([1, 3, 8, 9]) }), /graph input "x" has shape \[1, 3, 8, 9\], expected \[1, 3, 8, 8\]/);
});

test("intermediates are recycled without corrupting views, outputs or repeated runs", () => {
  // x → Relu → a → Reshape (view of a) → b; a → Sigmoid → c; b and c are outputs; then more nodes reuse freed buffers.
  const g = new Graph();
  const x = g.addInput("x", "float32", [2, 8]);
  const shape = g.addConstant(i64([1], [16]), "shape");
  const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((n) => g.newValue(n)) as [Value, Value, Value, Value, Value];
  g.addNode({ op: "Relu", inputs: [x], outputs: [a] });
  g.addNode({ op: "Reshape", inputs: [a, shape], outputs: [b] });
  g.addNode({ op: "Sigmoid", inputs: [a], outputs: [c] });
  g.addNode({ op: "Tanh", inputs: [c], outputs: [d] });
  g.addNode({ op: "Exp", inputs: [d], outputs: [e] });
  g.outputs = [b, e];
  const input = randomTensor([2, 8], 3);
  const relu = runOurs({ op: "Relu", inputs: [input] })[0]!;
  const expectedE = runOurs({ op: "Exp", inputs: [runOurs({ op: "Tanh", inputs: [runOurs({ op: "Sigmoid", inputs: [relu] })[0]!] })[0]!] })[0]!;
  const first = execute(g, { x: input });
  const second = execute(g, { x: randomTensor([2, 8], 4) });
  assert.equal(Array.from(first.b!.data as Float32Array), Array.from(relu.data as Float32Array));
  // Sigmoid and Tanh on arena tensors are SIMD approximations (absolute error ≤ 3e-7).
  assertClose(first.e!, expectedE, 1e-6, "e");
  assert.is.not(first.e!.data, second.e!.data);
});

test.run();
