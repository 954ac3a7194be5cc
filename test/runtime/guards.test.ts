import { test } from "uvu";
import * as assert from "uvu/assert";
import * as G from "../../src/runtime/guards.js";
import { RewriteAbort } from "../../src/runtime/pass.js";
import { f32 } from "../../src/runtime/tensor.js";

function aborts(f: () => unknown): void {
  assert.throws(f, (e: unknown) => e instanceof RewriteAbort && /unknown shape/.test((e as Error).message));
}

test("rank, dim, numel and shapeOf read concrete shapes", () => {
  assert.is(G.rank([1, "n", 3]), 3);
  assert.is(G.dim([1, 2, 3], -1), 3);
  assert.is(G.numel([2, 3, 4]), 24);
  assert.equal(G.shapeOf([2, 3]), [2, 3]);
});

test("facts the graph lacks abort the rule", () => {
  aborts(() => G.rank(undefined));
  aborts(() => G.dim([1, "n"], 1));
  aborts(() => G.numel([1, "n"]));
  aborts(() => G.broadcastable(["n"], [3]));
  assert.throws(() => G.dim([1, 2], 5), /out of range/);
});

test("broadcastable follows numpy, symbolic dims equal by name", () => {
  assert.ok(G.broadcastable([4, 1, 3], [5, 1]));
  assert.ok(G.broadcastable(["n", 3], ["n", 1]));
  assert.not.ok(G.broadcastable([2, 3], [4, 3]));
});

test("broadcastsTo never grows the target", () => {
  assert.ok(G.broadcastsTo([3, 1, 1], [1, 3, 8, 8]));
  assert.ok(G.broadcastsTo([1], ["n", 3]));
  assert.not.ok(G.broadcastsTo([2, 3], [3]));
  assert.not.ok(G.broadcastsTo([1, 4], [4, 1]));
});

test("channelwise truth table against NCHW [1, C, H, W] on axis 1", () => {
  const nchw = [1, 4, 8, 8];
  const cases: [number[], boolean][] = [
    [[4, 1, 1], true],
    [[1, 4, 1, 1], true],
    [[], true],
    [[1], true],
    [[1, 1, 1, 1], true],
    [[4], false], // right-aligned, [C] lands on W, not on C
    [[4, 1], false],
    [[1, 4, 8, 8], false],
    [[2, 1, 1], false],
    [[1, 1, 1, 1, 1], false],
  ];
  for (const [c, expected] of cases) assert.is(G.channelwise(c, nchw, 1), expected, `[${c}]`);
  assert.ok(G.channelwise([8], nchw, 3), "[W] is channelwise on the last axis");
  assert.ok(G.channelwise([8], nchw, -1));
  assert.ok(G.channelwise([1], [1, 1, 8, 8], 1), "[C] with C == 1");
  assert.ok(G.channelwise([4, 1, 1], ["batch", 4, "h", "w"], 1), "symbolic dims elsewhere are fine");
});

test("isScalar means one element at any rank", () => {
  assert.ok(G.isScalar([]));
  assert.ok(G.isScalar([1, 1]));
  assert.not.ok(G.isScalar([2]));
  assert.not.ok(G.isScalar(["n", 2]));
  aborts(() => G.isScalar(["n"]));
});

test("allClose compares every element; undefined and empty are false", () => {
  assert.ok(G.allClose(f32([2], [1, 1 + 1e-7]), 1));
  assert.not.ok(G.allClose(f32([2], [1, 1.1]), 1));
  assert.ok(G.allClose(f32([2], [1, 1.1]), 1, 0.2));
  assert.not.ok(G.allClose(undefined, 1));
  assert.not.ok(G.allClose(f32([0]), 1));
});

test("equalLists and allEqual", () => {
  assert.ok(G.equalLists([1, 2], [1, 2]));
  assert.not.ok(G.equalLists([1, 2], [1, 2, 3]));
  assert.ok(G.allEqual([1, 1], 1));
  assert.not.ok(G.allEqual([1, 0], 1));
});

test.run();
