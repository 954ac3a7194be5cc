/**
 * CommonJS consumers: on this Node (≥ 20.19, which loads ES modules through require()), the
 * package's entries are required like any other and work.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { installed } from "./installed.js";

test("require() of fusec/runtime, fusec/onnx and the shipped pack works from a CommonJS script", () => {
  const app = installed();
  app.write(
    "app.cjs",
    `const { GraphBuilder, optimize, prepare, f32 } = require("fusec/runtime");
const { encodeOnnx, decodeOnnx } = require("fusec/onnx");
const { pass } = require("fusec/packs/onnx");
const b = new GraphBuilder();
const x = b.input("x", "float32", [4]);
const y = b.op("Div", [b.op("Mul", [x, b.op("Clip", [b.op("Add", [x, b.constant(f32([], [3]))]), b.constant(f32([], [0])), b.constant(f32([], [6]))])]), b.constant(f32([], [6]))]);
const graph = decodeOnnx(encodeOnnx(b.output(y).graph));
optimize(graph, { passes: pass });
const s = prepare(graph);
console.log(JSON.stringify({ ops: [...graph.nodes].map((n) => n.op), y: Array.from(s.run({ x: f32([4], [-4, -1, 0, 2]) })[s.outputNames[0]].data) }));
`,
  );
  const r = JSON.parse(app.run("node", ["app.cjs"]).stdout) as { ops: string[]; y: number[] };
  assert.equal(r.ops, ["HardSwish"]);
  const expected = [-4, -1, 0, 2].map((v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6);
  r.y.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6));
});

test.run();
