/**
 * The converter-style fusions of rules/tflite.rules on graphs that still have them: real models
 * are un-fused (every fused activation split out into its own op, every constant bias of a
 * convolution or FullyConnected split out into an Add), and the pack must fuse them back to the
 * op count and histogram the pack gives the model itself, with the same outputs. Weights are
 * float16 behind Dequantize in these models; they are folded first (`--fold-dequantize`) so that
 * filters and biases are the constants the rules fold into.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import "../../src/kernels/index.js";
import type { Graph } from "../../src/runtime/graph.js";
import { decodeTflite, foldDequantize } from "../../src/tflite/index.js";
import { loadPass, optimize } from "../../src/index.js";
import { imageInputs, modelBytes, runFusec, scaledError, type ModelName } from "./helpers.js";

const ACTIVATION_OPS: Record<string, string> = { RELU: "Relu", RELU6: "Relu6", RELU_N1_TO_1: "ReluN1To1", TANH: "Tanh" };
const WITH_BIAS = new Set(["Conv2D", "DepthwiseConv2D", "FullyConnected"]);

/** Splits fused activations and constant biases back out; returns how many ops it added. */
function unfuse(g: Graph): number {
  let added = 0;
  for (const node of g.topoOrder()) {
    if (node.domain !== "tfl") continue;
    const act = node.attrs["fused_activation_function"];
    const bias = WITH_BIAS.has(node.op) ? node.inputs[2] : undefined;
    const activation = act?.type === "string" && act.value !== "NONE" ? ACTIVATION_OPS[act.value] : undefined;
    if (!activation && !bias?.constant) continue;
    const y = node.outputs[0]!;
    // y's readers move to a placeholder, the split-out steps chain from y, and the readers
    // then read the last step.
    const readers = g.newValue(`${y.name}_readers`, y.dtype, y.shape);
    g.replaceAllUses(y, readers);
    let last = y;
    const step = (spec: Omit<Parameters<Graph["addNode"]>[0], "outputs">): void => {
      const out = g.newValue(`${y.name}_step`, y.dtype, y.shape);
      g.addNode({ ...spec, outputs: [out] });
      last = out;
      added++;
    };
    if (bias?.constant) {
      g.setInput(node, 2, undefined);
      step({ op: "Add", domain: "tfl", inputs: [last, bias], attrs: { fused_activation_function: { type: "string", value: "NONE" } } });
    }
    if (activation) {
      node.attrs = { ...node.attrs, fused_activation_function: { type: "string", value: "NONE" } };
      step({ op: activation, domain: "tfl", inputs: [last], attrs: {} });
    }
    g.replaceAllUses(readers, last);
  }
  return added;
}

function histogram(g: Graph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of g.nodes) h[n.op] = (h[n.op] ?? 0) + 1;
  return h;
}

const pack = await loadPass("tflite");
const models: ModelName[] = ["face_detection_short_range", "hand_landmark_lite", "selfie_segmentation"];

for (const name of models) {
  test(`${name}: un-fused activations and biases are fused back by the tflite pack, outputs unchanged`, () => {
    const load = () => {
      const g = decodeTflite(modelBytes(name), name);
      foldDequantize(g);
      return g;
    };
    const original = load();
    const opsBefore = original.nodes.size;
    const inputs = imageInputs(original);
    const reference = runFusec(original, inputs);
    const packed = load();
    optimize(packed, { passes: pack });

    const g = load();
    const added = unfuse(g);
    assert.ok(added > 10, `${name}: only ${added} ops split out`);
    assert.is(g.nodes.size, opsBefore + added);
    const stats = optimize(g, { passes: pack });
    assert.is(g.nodes.size, packed.nodes.size, `${name}: ${opsBefore} ops → un-fused ${opsBefore + added} → packed ${g.nodes.size}, the model packed: ${packed.nodes.size}`);
    assert.ok(g.nodes.size <= opsBefore);
    assert.equal(histogram(g), histogram(packed));
    assert.ok(Object.values(stats.firings).reduce((a, b) => a + b, 0) >= added);
    runFusec(g, inputs).forEach((t, i) => {
      const err = scaledError(t.data as Float32Array, reference[i]!.data as Float32Array);
      assert.ok(err <= 1e-4, `${name} output ${i}: error ${err}`);
    });
  });
}

test.run();
