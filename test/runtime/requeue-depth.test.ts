/**
 * The driver reaches a true fixpoint when a node changes late (after the worklist passed the
 * roots below it): rules whose pattern looks two or more levels down to the changed node are
 * tried again, so a second run of the same pass finds nothing to do.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as T from "../../src/runtime/consteval.js";
import { applyPasses } from "../../src/runtime/driver.js";
import type { Node } from "../../src/runtime/graph.js";
import { GraphBuilder } from "../../src/runtime/json.js";
import type { Pass, Rewriter, RuleInfo } from "../../src/runtime/pass.js";
import { opKey } from "../../src/runtime/registry.js";
import { f32 } from "../../src/runtime/tensor.js";
import { assertValid } from "../../src/runtime/verify.js";
import { iota, registerTestOps, ruleInfo } from "./helpers.js";

registerTestOps();

type RuleBody = (rw: Rewriter, root: Node) => boolean;

function passOf(rules: [RuleInfo, RuleBody][]): Pass {
  return {
    name: "late",
    rules: rules.map(([info]) => info),
    apply(rw, node) {
      for (let i = 0; i < rules.length; i++) {
        const [info, body] = rules[i]!;
        if (info.root !== opKey(node.domain, node.op) || !rw.begin(i)) continue;
        if (body(rw, node)) return true;
      }
      return false;
    },
  };
}

const pass = passOf([
  // Neg(v) => Tanh(v) once v has no other reader.
  [
    ruleInfo("NegToTanh", "test::Neg", 1),
    (rw, root) => (rw.hasOneUse(rw.input(root, 0)!) ? rw.replace(root, rw.create("Tanh", "test", [rw.input(root, 0)], {})) : rw.fail("v has other readers")),
  ],
  // Mul(Conv(x, W), C) => Conv(x, W·C@0): removes the Mul's read of the conv output.
  [
    ruleInfo("FoldMulIntoConv", "test::Mul", 2),
    (rw, root) => {
      const conv = rw.def(rw.input(root, 0), "Conv", "test");
      if (!conv) return rw.fail("operand 0 is not a Conv");
      const W = rw.constant(rw.input(conv, 1))!;
      const C = rw.constant(rw.input(root, 1))!;
      return rw.replace(root, rw.create("Conv", "test", [rw.input(conv, 0), rw.constantValue(T.mul(W, T.along(C, 0, W)))], {}));
    },
  ],
  // Mul(Relu(Tanh(v)), _) => Neg(v): looks two levels down.
  [
    ruleInfo("Deep", "test::Mul", 1),
    (rw, root) => {
      const relu = rw.def(rw.input(root, 0), "Relu", "test");
      const tanh = relu && rw.def(rw.input(relu, 0), "Tanh", "test");
      if (!tanh) return rw.fail("operand 0 is not Relu(Tanh(_))");
      return rw.replace(root, rw.create("Neg", "test", [rw.input(tanh, 0)], {}));
    },
  ],
]);

test("a rule two levels below a node that changed late still fires; a second run finds nothing", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [1, 3, 2, 2]);
  const v = b.node("Conv", [x, b.constant(iota([3, 3, 1, 1]), "W")], { domain: "test", name: "conv" })[0]!;
  // neg comes first in the worklist, while v still has two readers (neg and fold).
  const neg = b.node("Neg", [v], { domain: "test", name: "neg" })[0]!;
  const fold = b.node("Mul", [v, b.constant(f32([1, 3, 1, 1], [2, 1, 1]))], { domain: "test", name: "fold" })[0]!;
  const relu = b.node("Relu", [neg], { domain: "test", name: "relu" })[0]!;
  const deep = b.node("Mul", [relu, b.constant(f32([1, 1, 1, 1], [3]))], { domain: "test", name: "deep" })[0]!;
  b.output(fold);
  b.output(deep);
  const first = applyPasses(b.graph, pass);
  assert.is(first.firings["Deep"], 1, "Deep must fire in the first run");
  assertValid(b.graph);
  assert.equal(applyPasses(b.graph, pass).firings, {}, "the first run stopped before the fixpoint");
});

test.run();
