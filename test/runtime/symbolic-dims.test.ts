/**
 * Symbolic dims through shape inference and rewrites: a size derived from a symbolic size is
 * named after its derivation, so re-inferring the same op gives the same name, and a rewrite that
 * would change such a size (a different stride over an unknown height) is refused.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import "../../src/kernels/index.js";
import { applyPasses } from "../../src/runtime/driver.js";
import type { Attrs, Node } from "../../src/runtime/graph.js";
import { GraphBuilder } from "../../src/runtime/json.js";
import { A, type Pass, type Rewriter } from "../../src/runtime/pass.js";
import { lookupOp } from "../../src/runtime/registry.js";
import { f32 } from "../../src/runtime/tensor.js";
import { assertValid } from "../../src/runtime/verify.js";
import { ruleInfo, snapshot } from "./helpers.js";

const conv = lookupOp("", "Conv")!;
const x = { dtype: "float32" as const, shape: ["N", 3, "H", "W"] };
const w = { dtype: "float32" as const, shape: [8, 3, 3, 3] };
const outShape = (attrs: Attrs) => conv.infer([x, w], attrs, 1)[0]!.shape!;

test("the same convolution over an unknown height infers the same dims twice", () => {
  const attrs: Attrs = { pads: A.ints([1, 1, 1, 1]) };
  const first = outShape(attrs);
  assert.equal(first.slice(0, 2), ["N", 8]);
  assert.type(first[2], "string");
  assert.equal(outShape(attrs), first);
});

test("a different stride gives a different derived dim", () => {
  const one = outShape({ pads: A.ints([1, 1, 1, 1]) });
  const two = outShape({ pads: A.ints([1, 1, 1, 1]), strides: A.ints([2, 2]) });
  assert.is.not(one[2], two[2]);
  assert.is.not(one[3], two[3]);
});

/** Rebuilds a Conv that has no `strides` attribute with the given strides (so it fires once). */
function restride(strides: number[]): Pass {
  const rules = [ruleInfo("Restride", "Conv", 1)];
  return {
    name: "restride",
    rules,
    apply(rw: Rewriter, node: Node): boolean {
      if (node.op !== "Conv" || rw.attr(node, "strides") || !rw.begin(0)) return false;
      const [out] = rw.create("Conv", "", [rw.input(node, 0), rw.input(node, 1)], { ...rw.attrsOf(node), strides: A.ints(strides) });
      return rw.replace(node, [out!]);
    },
  };
}

function dynamicGraph() {
  const b = new GraphBuilder();
  const input = b.input("x", "float32", ["N", 3, "H", "W"]);
  const weights = b.constant(f32([8, 3, 3, 3]), "w");
  const y = b.op("Conv", [input, weights], { pads: A.ints([1, 1, 1, 1]) });
  return b.output(y).graph;
}

test("a rewrite that changes a derived dim over unknown sizes does not fire", () => {
  const graph = dynamicGraph();
  const before = snapshot(graph);
  const stats = applyPasses(graph, restride([2, 2]));
  assert.is(stats.firings["Restride"] ?? 0, 0);
  assert.is(snapshot(graph), before);
});

test("a rewrite that keeps the derived dims fires", () => {
  const graph = dynamicGraph();
  const stats = applyPasses(graph, restride([1, 1]));
  assert.is(stats.firings["Restride"], 1);
  assertValid(graph);
});

test.run();
