/**
 * A node nobody reads does not block rewrites: the driver removes dead code before matching,
 * so `hasOneUse` of a value whose only other reader is dead holds.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as T from "../../src/runtime/consteval.js";
import { applyPasses } from "../../src/runtime/driver.js";
import { GraphBuilder } from "../../src/runtime/json.js";
import type { Pass } from "../../src/runtime/pass.js";
import { assertValid } from "../../src/runtime/verify.js";
import { f32 } from "../../src/runtime/tensor.js";
import { iota, registerTestOps, ruleInfo } from "./helpers.js";

registerTestOps();

/** Mul(Conv(x, W), C) => Conv(x, W·C@0) when the Conv has one reader (as FoldMulIntoConv). */
const foldMulIntoConv: Pass = {
  name: "fold",
  rules: [ruleInfo("FoldMulIntoConv", "test::Mul", 1)],
  apply(rw, root) {
    if (!rw.begin(0)) return false;
    const conv = rw.def(rw.input(root, 0), "Conv", "test");
    if (!conv) return rw.fail("operand 0 is not a Conv");
    if (!rw.hasOneUse(rw.output(conv))) return rw.fail("hasOneUse(conv)");
    const C = rw.constant(rw.input(root, 1));
    const W = rw.constant(rw.input(conv, 1));
    if (!C || !W) return rw.fail("constants");
    const W2 = rw.constantValue(T.mul(W, T.along(C, 0, W)));
    return rw.replace(root, rw.create("Conv", "test", [rw.input(conv, 0), W2], rw.attrsOf(conv)));
  },
};

test("a dead second reader of the conv does not stop the fold", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [1, 2, 2, 2]);
  const conv = b.node("Conv", [x, b.constant(iota([3, 2, 1, 1]), "W")], { domain: "test", name: "conv" })[0]!;
  b.op("Tanh", [b.op("Relu", [conv], {}, "test")], {}, "test"); // read by nobody
  b.output(b.node("Mul", [conv, b.constant(f32([1, 3, 1, 1], [2, 1, 1]))], { domain: "test", name: "mul" })[0]!);
  const stats = applyPasses(b.graph, foldMulIntoConv);
  assert.equal(stats.firings, { FoldMulIntoConv: 1 });
  assert.equal([...b.graph.nodes].map((n) => n.op), ["Conv"]);
  assert.equal([stats.nodesBefore, stats.nodesAfter], [4, 1]);
  assertValid(b.graph);
});

test.run();
