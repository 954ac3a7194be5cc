import { test } from "uvu";
import * as assert from "uvu/assert";
import { Value } from "../../src/runtime/graph.js";
import { GraphBuilder } from "../../src/runtime/json.js";
import { registerOp } from "../../src/runtime/registry.js";
import { assertValid, verify } from "../../src/runtime/verify.js";
import { f32 } from "../../src/runtime/tensor.js";
import { iota, registerTestOps } from "./helpers.js";

registerTestOps();
let fresh = 0;
registerOp({ op: "Fresh", domain: "test", infer: ([x]) => [{ dtype: x!.dtype, shape: [`?${++fresh}`] }], kernel: () => [] });

function small() {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", ["n", 2, 2, 2]);
  const conv = b.node("Conv", [x, b.constant(iota([3, 2, 1, 1]), "W")], { domain: "test", name: "conv", outputs: ["c"] })[0]!;
  const y = b.node("Relu", [conv], { domain: "test", name: "relu", outputs: ["y"] })[0]!;
  b.output(y);
  return { graph: b.graph, x, conv, y };
}

const has = (problems: string[], pattern: RegExp) => assert.ok(problems.some((p) => pattern.test(p)), problems.join("\n"));

test("a well-formed graph with symbolic dims has no problems", () => {
  const { graph } = small();
  assert.equal(verify(graph), []);
  assertValid(graph);
});

test("a use list missing a reader or naming a wrong slot is reported", () => {
  const { graph, conv } = small();
  conv.uses.length = 0;
  has(verify(graph), /use list of "c" lacks "relu"\[0\]/);
  const again = small();
  again.conv.uses.push({ node: again.y.producer!, index: 0 });
  has(verify(again.graph), /lists "relu"\[0\] twice/);
  const third = small();
  third.x.uses.push({ node: third.y.producer!, index: 0 });
  has(verify(third.graph), /use list of "x" names "relu"\[0\], which reads something else/);
});

test("operands and outputs that are not in the graph are reported", () => {
  const { graph, y } = small();
  const stray = new Value("stray", "float32", [1]);
  graph.setInput(y.producer!, 0, stray);
  has(verify(graph), /input 0 of node "relu" reads "stray", which is not in the graph/);
  graph.outputs.push(new Value("ghost", "float32", [1]));
  has(verify(graph), /graph output "ghost"/);
});

test("a value that is both constant and produced, or produced twice, breaks SSA", () => {
  const { graph, conv } = small();
  conv.constant = f32([1], [1]);
  has(verify(graph), /"c" is both a constant and produced by "conv"/);
  const again = small();
  again.y.producer!.outputs.push(again.conv);
  has(verify(again.graph), /"c" is produced by both "conv" and "relu"/);
});

test("a cycle is reported with the nodes on it", () => {
  const { graph, conv, y } = small();
  graph.setInput(conv.producer!, 0, y);
  has(verify(graph), /cycle through "conv", "relu"/);
});

test("a stored shape or dtype that shape inference contradicts is reported", () => {
  const { graph, conv, y } = small();
  conv.shape = ["n", 4, 2, 2];
  has(verify(graph), /output "c" of node "conv" \(Conv\) is float32\[n, 4, 2, 2\], inference says float32\[n, 3, 2, 2\]/);
  y.dtype = "int32";
  has(verify(graph), /output "y" .* is int32/);
  assert.throws(() => assertValid(graph, "after pass x"), /after pass x is invalid:\n {2}output "c"/);
});

test("a fresh unknown dim from inference agrees with any stored dim", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const [z] = b.node("Fresh", [x], { domain: "test" });
  z!.shape = ["h"];
  b.output(z!);
  assert.equal(verify(b.graph), []);
  z!.shape = ["h", 1];
  has(verify(b.graph), /is float32\[h, 1\], inference says float32\[\?/);
});

test("ops unknown to the registry are opaque and skipped", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const [z] = b.node("Mystery", [x], { domain: "vendor" });
  z!.shape = [99];
  b.output(z!);
  assert.equal(verify(b.graph), []);
});

test.run();
