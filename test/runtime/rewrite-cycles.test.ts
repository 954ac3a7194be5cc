/**
 * `replace` refuses a result built from values computed from the root itself: rewiring the
 * root's readers would close a cycle. Such values are not reachable by matching (patterns look
 * upstream) but a rule may reach them through graph outputs or a hand-written matcher. It also
 * refuses staged nodes reading a value staged by an earlier rule (dropped by `begin`).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GraphBuilder } from "../../src/runtime/json.js";
import { GraphRewriter } from "../../src/runtime/rewriter.js";
import { verify } from "../../src/runtime/verify.js";
import { registerTestOps, snapshot } from "./helpers.js";

registerTestOps();

/** x → Relu (root) → Tanh → Neg, with Neg's output the graph output. */
function chain() {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const r = b.node("Relu", [x], { domain: "test", name: "relu" })[0]!;
  const t = b.node("Tanh", [r], { domain: "test", name: "tanh" })[0]!;
  const n = b.node("Neg", [t], { domain: "test", name: "neg" })[0]!;
  b.output(n);
  return { graph: b.graph, x, root: r.producer!, t, n };
}

test("a result that is a value computed from the root is refused and nothing changes", () => {
  const { graph, root, n } = chain();
  const rw = new GraphRewriter(graph);
  rw.start();
  rw.begin(0);
  const before = snapshot(graph);
  assert.throws(() => rw.replace(root, [n]), /computed from "relu" \(a cycle\)/);
  assert.is(snapshot(graph), before);
  assert.equal(verify(graph), []);
});

test("a staged node reading a value computed from the root is refused and nothing changes", () => {
  const { graph, root, t } = chain();
  const rw = new GraphRewriter(graph);
  rw.start();
  rw.begin(0);
  const staged = rw.create("Neg", "test", [t], {});
  const before = snapshot(graph);
  assert.throws(() => rw.replace(root, staged), /computed from "relu" \(a cycle\)/);
  assert.is(snapshot(graph), before);
});

test("operands upstream of the root, near or far, are accepted", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const far = b.node("Tanh", [x], { domain: "test", name: "far" })[0]!;
  let v = far;
  for (let i = 0; i < 600; i++) v = b.node("Neg", [v], { domain: "test", name: `neg${i}` })[0]!;
  const root = b.node("Relu", [v], { domain: "test", name: "root" })[0]!;
  b.output(root);
  const rw = new GraphRewriter(b.graph);
  rw.start();
  rw.begin(0);
  assert.ok(rw.replace(root.producer!, rw.create("Relu", "test", [far], {})));
  assert.equal(verify(b.graph), []);
  assert.is(b.graph.outputs[0]!.producer!.inputs[0], far);
});

test("a staged node reading a value staged before the last begin is refused and nothing changes", () => {
  const { graph, root, x } = chain();
  const rw = new GraphRewriter(graph);
  rw.start();
  rw.begin(0);
  const [stale] = rw.create("Neg", "test", [x], {});
  rw.begin(1);
  const before = snapshot(graph);
  assert.throws(() => rw.replace(root, rw.create("Tanh", "test", [stale], {})), /reads "\(staged\)", which is not in the graph/);
  assert.is(snapshot(graph), before);
});

test.run();
