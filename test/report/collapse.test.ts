/**
 * Large graphs collapse the regions no rule touched: a 1,200-node chain with one fused node in
 * the middle is drawn as that node, its neighbours and two region boxes holding the rest.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { GraphView } from "../../src/report/collect.js";
import { drawGraph, toDot } from "../../src/report/graphs.js";

function chain(length: number): GraphView {
  const nodes = Array.from({ length }, (_, i) => ({
    key: `a${i}`,
    name: `n${i}`,
    op: i % 2 ? "Relu" : "Add",
    inputs: [i === 0 ? "x" : `v${i - 1}`],
    outputs: [`v${i}`],
    attrs: "",
  }));
  return { nodes, inputs: ["x"], outputs: [`v${length - 1}`] };
}

test("a large graph collapses unchanged regions around a change, a small one draws every node", async () => {
  const view = chain(1200);
  const drawn = await drawGraph(view, { prefix: "a", changed: new Set(["a600"]), collapseAbove: 400 });
  const sizes = Object.values(drawn.groups).map((g) => g.length).sort((a, b) => a - b);
  assert.equal(sizes, [598, 599]);
  const kept = (drawn.svg.match(/class="node op/g) ?? []).length;
  assert.is(kept, 3, "the fused node and its two neighbours");
  assert.match(drawn.svg, /599 unchanged nodes/);
  assert.match(drawn.svg, /id="a600"/);

  const small = toDot(chain(50), { prefix: "a", changed: new Set(["a10"]), collapseAbove: 400 });
  assert.equal(small.groups, {});
  assert.is((small.dot.match(/class="op/g) ?? []).length, 50);
});

test.run();
