import { test } from "uvu";
import * as assert from "uvu/assert";
import * as G from "../../src/runtime/guards.js";
import * as T from "../../src/runtime/consteval.js";
import { GraphBuilder } from "../../src/runtime/json.js";
import { RewriteAbort } from "../../src/runtime/pass.js";
import { GraphRewriter } from "../../src/runtime/rewriter.js";
import { verify } from "../../src/runtime/verify.js";
import { f32, toNumbers } from "../../src/runtime/tensor.js";
import { iota, registerTestOps, snapshot } from "./helpers.js";

registerTestOps();

/** y = Mul(C, Conv(x, W, b)) with C per output channel, as FoldMulIntoConv expects. */
function convMul(cShape = [1, 3, 1, 1]) {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [1, 2, 4, 4]);
  const W = b.constant(iota([3, 2, 1, 1]), "W");
  const bias = b.constant(f32([3], [1, 1, 1]), "bias");
  const conv = b.node("Conv", [x, W, bias], { domain: "test", name: "conv0", outputs: ["c"] })[0]!;
  const C = b.constant(f32(cShape, [2, 3, 4].slice(0, cShape.reduce((p, d) => p * d, 1))), "C");
  const y = b.node("Mul", [conv, C], { domain: "test", name: "mul_3", outputs: ["y"] })[0]!;
  b.output(y);
  return { graph: b.graph, root: y.producer! };
}

/** What generated code for FoldMulIntoConv does on a Mul root; `afterBuild` runs after staging. */
function foldMulIntoConv(rw: GraphRewriter, root: ReturnType<typeof convMul>["root"], afterBuild = () => {}): boolean {
  if (!rw.begin(0)) return false;
  const conv = rw.def(rw.input(root, 0), "Conv", "test");
  if (!conv) return rw.fail("operand 0 is not a Conv");
  const C = rw.constant(rw.input(root, 1));
  const W = rw.constant(rw.input(conv, 1));
  const b = rw.constant(rw.input(conv, 2));
  if (!C || !W || !b) return rw.fail("C, W, b must be constants");
  if (!rw.hasOneUse(rw.output(conv))) return rw.fail("hasOneUse(conv)");
  if (!G.channelwise(rw.shape(rw.input(root, 1)!), rw.shape(rw.output(conv)), 1)) return rw.fail("channelwise(C, conv, 1)");
  const W2 = rw.constantValue(T.mul(W, T.along(C, 0, W)));
  const staged = rw.create("Conv", "test", [rw.input(conv, 0), W2, rw.constantValue(T.mul(b, T.along(C, 0, b)))], rw.attrsOf(conv));
  afterBuild();
  return rw.replace(root, staged);
}

test("a committed rewrite folds the multiply into the convolution and keeps names", () => {
  const { graph, root } = convMul();
  const rw = new GraphRewriter(graph);
  rw.start();
  assert.ok(foldMulIntoConv(rw, root));
  assert.equal(verify(graph), []);
  assert.is(graph.nodes.size, 1);
  const conv = [...graph.nodes][0]!;
  assert.is(conv.name, "mul_3", "the new node takes the root's name");
  assert.is(graph.outputs[0]!.name, "y", "the graph output keeps its name");
  assert.is(graph.outputs[0]!.producer, conv);
  assert.equal(toNumbers(conv.inputs[1]!.constant!), [2, 4, 9, 12, 20, 24]);
  assert.equal(toNumbers(conv.inputs[2]!.constant!), [2, 3, 4]);
  assert.equal([...graph.constants].map((c) => c.name).sort(), ["mul_3_const", "mul_3_const_1"].sort());
  assert.equal(rw.lastCommit!.added, [conv]);
});

test("a fold that throws after staging leaves the graph exactly as it was", () => {
  const { graph, root } = convMul();
  const before = snapshot(graph);
  const rw = new GraphRewriter(graph);
  rw.start();
  assert.throws(
    () => foldMulIntoConv(rw, root, () => T.add(iota([2, 3]), iota([3]))),
    (e: unknown) => e instanceof RewriteAbort,
  );
  rw.dropStaged();
  assert.is(snapshot(graph), before);
  assert.is(rw.lastCommit, undefined);
});

test("a buggy rule throwing a plain Error mid-build changes nothing", () => {
  const { graph, root } = convMul();
  const before = snapshot(graph);
  const rw = new GraphRewriter(graph);
  rw.start();
  assert.throws(() =>
    foldMulIntoConv(rw, root, () => {
      throw new TypeError("bug in a rule");
    }),
  );
  assert.is(snapshot(graph), before);
});

test("a replacement of another shape or dtype is refused before anything changes", () => {
  const { graph, root } = convMul();
  const before = snapshot(graph);
  const rw = new GraphRewriter(graph);
  rw.start();
  rw.begin(0);
  const x = graph.inputs[0]!;
  const [wrongShape] = rw.create("Relu", "test", [x], {});
  assert.throws(() => rw.replace(root, [wrongShape!]), /shape \[1, 2, 4, 4\] differs from "y" \[1, 3, 4, 4\]/);
  const [i] = rw.create("Relu", "test", [rw.constantValue({ dtype: "int32", shape: [1, 3, 4, 4], data: new Int32Array(48) })], {});
  assert.throws(() => rw.replace(root, [i!]), /dtype int32 differs/);
  assert.throws(() => rw.replace(root, []), /1 outputs, the result gives 0/);
  assert.throws(() => rw.create("Nope", "test", [x], {}), /not registered/);
  assert.throws(() => rw.create("Conv", "test", [x, rw.constantValue(iota([3, 5, 1, 1]))], {}), /cannot build test::Conv: .*2 channels/);
  assert.is(snapshot(graph), before);
});

test("a fresh unknown dim (?N) in the result stands for the root's dim; a different known dim does not", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", ["n", 4]);
  const y = b.node("Relu", [x], { domain: "test", outputs: ["y"] })[0]!;
  b.output(b.op("Tanh", [y], {}, "test"));
  const rw = new GraphRewriter(b.graph);
  rw.start();
  rw.begin(0);
  const [fresh] = rw.create("Neg", "test", [x], {});
  fresh!.shape = ["?12", 4];
  rw.replace(y.producer!, [fresh!]);
  assert.equal(fresh!.shape, ["n", 4], "the replacement adopts the root's shape");
  assert.equal(verify(b.graph), []);
  rw.begin(0);
  const [other] = rw.create("Neg", "test", [x], {});
  other!.shape = ["m", 4];
  assert.throws(() => rw.replace(fresh!.producer!, [other!]), /shape \[m, 4\] differs/);
});

test("a result that reads the value it replaces is refused (it would make a cycle)", () => {
  const { graph, root } = convMul();
  const rw = new GraphRewriter(graph);
  rw.start();
  rw.begin(0);
  const [r] = rw.create("Relu", "test", [rw.output(root)], {});
  const before = snapshot(graph);
  assert.throws(() => rw.replace(root, [r!]), /reads "y"/);
  assert.is(snapshot(graph), before);
});

test("matched nodes still read elsewhere survive; dead ones and their constants go", () => {
  const { graph, root } = convMul();
  const conv = root.inputs[0]!;
  const extra = graph.addNode({ op: "Relu", domain: "test", name: "other", inputs: [conv], outputs: [graph.newValue("z", "float32", [1, 3, 4, 4])] });
  graph.outputs.push(extra.outputs[0]!);
  const rw = new GraphRewriter(graph);
  rw.start();
  rw.begin(0);
  const [r] = rw.create("Relu", "test", [conv], {});
  rw.replace(root, [r!]);
  assert.equal(verify(graph), []);
  assert.ok(graph.nodes.has(conv.producer!), "conv is still read by other");
  assert.not.ok([...graph.constants].some((c) => c.name === "C"), "C became dead and was removed");
  assert.ok([...graph.constants].some((c) => c.name === "W"));
  assert.equal(rw.lastCommit!.touched, [conv]);
});

test("replacing a graph output by a graph input inserts an Identity carrying the output's name", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const y = b.node("Relu", [x], { domain: "test", outputs: ["y"] })[0]!;
  b.output(y);
  const graph = b.graph;
  const rw = new GraphRewriter(graph);
  rw.start();
  rw.begin(0);
  rw.replace(y.producer!, [x]);
  assert.equal(verify(graph), []);
  const [identity] = [...graph.nodes];
  assert.is(identity!.op, "Identity");
  assert.is(graph.outputs[0]!.name, "y");
  assert.is(graph.outputs[0]!.producer, identity);
});

test("replacing a graph output by an internal value renames that value", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const t = b.node("Tanh", [x], { domain: "test", outputs: ["t"] })[0]!;
  const y = b.node("Relu", [t], { domain: "test", outputs: ["y"] })[0]!;
  b.output(y);
  const graph = b.graph;
  const rw = new GraphRewriter(graph);
  rw.start();
  rw.begin(0);
  rw.replace(y.producer!, [t]);
  assert.equal(verify(graph), []);
  assert.is(graph.nodes.size, 1);
  assert.is(graph.outputs[0], t);
  assert.is(t.name, "y");
});

test("multi-output roots: each output is replaced by the value at its index", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [4, 2]);
  const [lo, hi] = b.node("Split", [x], { domain: "test", name: "split", outputs: ["lo", "hi"] });
  const r = b.node("Relu", [lo!], { domain: "test", outputs: ["r"] })[0]!;
  b.output(r, hi!);
  const graph = b.graph;
  const rw = new GraphRewriter(graph);
  rw.start();
  rw.begin(0);
  const neg = rw.create("Neg", "test", [x], {})[0]!;
  const [a, c] = rw.create("Split", "test", [neg], {}, 2);
  const [na] = rw.create("Neg", "test", [a!], {});
  rw.create("Tanh", "test", [x], {}); // staged but unused: must not enter the graph
  rw.replace(lo!.producer!, [na!, c!]);
  assert.equal(verify(graph), []);
  assert.equal([...graph.nodes].map((n) => n.op).sort(), ["Neg", "Neg", "Relu", "Split"]);
  assert.is(graph.outputs[1]!.name, "hi");
  assert.is(graph.outputs[1], c);
});

test("multi-output roots: a result may replace only the leading outputs when the rest are unread", () => {
  const build = (readHi: boolean) => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [4, 2]);
    const [lo, hi] = b.node("Split", [x], { domain: "test", name: "split", outputs: ["lo", "hi"] });
    const r = b.node("Relu", [lo!], { domain: "test", outputs: ["r"] })[0]!;
    if (readHi) b.output(r, hi!);
    else b.output(r);
    return { graph: b.graph, x, split: lo!.producer! };
  };
  const unread = build(false);
  const rw = new GraphRewriter(unread.graph);
  rw.start();
  rw.begin(0);
  const [half] = rw.create("Split", "test", [unread.x], {}, 2);
  const [neg] = rw.create("Neg", "test", [half!], {});
  rw.replace(unread.split, [neg!]);
  assert.equal(verify(unread.graph), []);
  assert.equal([...unread.graph.nodes].map((n) => n.op).sort(), ["Neg", "Relu", "Split"]);
  assert.ok(!unread.graph.nodes.has(unread.split), "the matched split is erased");

  const read = build(true);
  const before = snapshot(read.graph);
  const rw2 = new GraphRewriter(read.graph);
  rw2.start();
  rw2.begin(0);
  const [half2] = rw2.create("Split", "test", [read.x], {}, 2);
  const [neg2] = rw2.create("Neg", "test", [half2!], {});
  assert.throws(() => rw2.replace(read.split, [neg2!]), /output "hi" of "split" is read/);
  assert.equal(snapshot(read.graph), before, "the graph is untouched");
  assert.throws(() => rw2.replace(read.split, []), /2 outputs, the result gives 0/);
});

test("attribute readers return declared defaults and refuse a wrong attribute type", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const y = b.node("Relu", [x], { domain: "test", attrs: { alpha: { type: "float", value: 0.5 }, k: { type: "int", value: 3 } } })[0]!;
  const rw = new GraphRewriter(b.graph);
  const n = y.producer!;
  assert.is(rw.attrFloat(n, "alpha"), 0.5);
  assert.is(rw.attrFloat(n, "k"), 3);
  assert.is(rw.attrInt(n, "missing", 7), 7);
  assert.equal(rw.attrInts(n, "pads", [0, 0]), [0, 0]);
  assert.throws(() => rw.attrInt(n, "alpha"), /is float, expected int/);
  const copy = rw.attrsOf(n);
  copy["k"] = { type: "int", value: 4 };
  assert.is(rw.attrInt(n, "k"), 3, "attrsOf returns a copy");
});

test("begin reports disabled rules, fail records reasons, use counts include graph outputs", () => {
  const { graph, root } = convMul();
  const rw = new GraphRewriter(graph);
  rw.start(new Set([1]));
  assert.ok(rw.begin(0));
  assert.not.ok(rw.begin(1));
  assert.is(rw.fail("why not"), false);
  assert.equal(rw.failures, [{ rule: 1, reason: "why not" }]);
  assert.is(rw.useCount(rw.output(root)), 1);
  assert.not.ok(rw.hasOneUse(rw.output(root)));
  assert.ok(rw.hasOneUse(root.inputs[0]!));
  assert.is(rw.def(root.inputs[0], "Conv"), undefined, "domain must match");
  assert.ok(rw.def(root.inputs[0], "Conv", "test"));
});

test.run();
