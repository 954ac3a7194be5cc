/**
 * Saved models have unique node names (onnxruntime refuses a model with two nodes of one name),
 * even when a rewrite named new nodes after ops that loaded nodes already use as names.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execute } from "../../src/kernels/index.js";
import { decodeOnnx } from "../../src/onnx/load.js";
import { encodeOnnx } from "../../src/onnx/save.js";
import { decodeModel } from "./onnx-proto.js";
import { GraphRewriter } from "../../src/runtime/rewriter.js";
import { buildModel, node } from "./build.js";
import { randomInput, runOrt, worstError } from "./ort.js";

test("nodes a rewrite names after their op do not clash with loaded node names in the saved file", async () => {
  // Loaded nodes named "Sigmoid" (a Relu) and "Relu" (a Sigmoid, the root).
  const bytes = buildModel({
    inputs: [{ name: "x", dims: [2, 3] }],
    outputs: [{ name: "z" }],
    nodes: [{ ...node("Relu", ["x"], ["y"]), name: "Sigmoid" }, { ...node("Sigmoid", ["y"], ["z"]), name: "Relu" }],
  });
  const graph = decodeOnnx(bytes);
  const root = [...graph.nodes].find((n) => n.op === "Sigmoid")!;
  const rw = new GraphRewriter(graph);
  rw.start();
  rw.begin(0);
  const [a] = rw.create("Sigmoid", "", [root.inputs[0]], {});
  const [b] = rw.create("Relu", "", [a], {});
  assert.ok(rw.replace(root, rw.create("Sigmoid", "", [b], {})));

  const saved = encodeOnnx(graph);
  const names = decodeModel(saved).graph!.node!.map((n) => n.name);
  assert.is(new Set(names).size, names.length, `duplicate node names in ${names.join(", ")}`);
  const x = randomInput([2, 3], 3);
  assert.ok(worstError(await runOrt(saved, { x }), execute(graph, { x })) < 1e-6);
});

test.run();
