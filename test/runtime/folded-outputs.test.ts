/**
 * A graph output folded to a constant keeps its name: the constant that replaces it takes the
 * output's name, so execute's results and the JSON form still say "y".
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execute, graphFromJSON, graphToJSON, loadPass, optimize } from "../../src/index.js";
import { f32, toNumbers } from "../../src/runtime/tensor.js";

const graphJSON = {
  inputs: [{ name: "x", dtype: "float32", shape: [3] }],
  outputs: ["y", "z", "w"],
  constants: [
    { name: "a", dtype: "float32", shape: [3], data: [1, 2, 3] },
    { name: "b", dtype: "float32", shape: [3], data: [4, 5, 6] },
  ],
  nodes: [
    { op: "Add", name: "add", inputs: ["a", "b"], outputs: ["y"] },
    { op: "Mul", name: "mul", inputs: ["y", "a"], outputs: ["z"] },
    { op: "Add", name: "shift", inputs: ["x", "y"], outputs: ["w"] },
  ],
};

test("outputs folded to constants keep their names in results and in JSON", async () => {
  const graph = graphFromJSON(JSON.stringify(graphJSON));
  // The rule pack's folding rules, without the folding phase (which would fold these first).
  const stats = optimize(graph, { passes: [await loadPass("onnx")], fold: false });
  assert.equal(stats.firings, { FoldConstantAdd: 1, FoldConstantMul: 1 });
  assert.equal(graphToJSON(graph).outputs, ["y", "z", "w"]);
  const results = execute(graph, { x: f32([3], [1, 1, 1]) });
  assert.equal(Object.keys(results).sort(), ["w", "y", "z"]);
  assert.equal(toNumbers(results["y"]!), [5, 7, 9]);
  assert.equal(toNumbers(results["z"]!), [5, 14, 27]);
  assert.equal(toNumbers(results["w"]!), [6, 8, 10]);
});

test.run();
