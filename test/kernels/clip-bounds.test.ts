/**
 * Clip is min(max(x, lo), hi) as ONNX defines it (onnxruntime agrees): when lo > hi every value
 * becomes hi, in the Clip kernel and in FusedConv's clip activation alike. `fusec verify` found
 * the scalar path returning lo for values below lo.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import "../../src/kernels/index.js";
import { A } from "../../src/runtime/pass.js";
import { lookupOp } from "../../src/runtime/registry.js";
import { f32, scalarF32, toNumbers } from "../../src/runtime/tensor.js";

test("Clip with lo > hi gives hi everywhere", () => {
  const clip = lookupOp("", "Clip")!;
  const [y] = clip.kernel([f32([4], [-1, 0.3, 0.4, 1]), scalarF32(0.5), scalarF32(0.25)], {}, 1);
  assert.equal(toNumbers(y!), [0.25, 0.25, 0.25, 0.25]);
});

test("FusedConv's clip activation with lo > hi gives hi everywhere", () => {
  const fused = lookupOp("com.microsoft", "FusedConv")!;
  const x = f32([1, 1, 2, 2], [-1, 0.3, 0.4, 1]);
  const w = f32([1, 1, 1, 1], [1]);
  const attrs = { activation: A.string("Clip"), activation_params: A.floats([0.5, 0.25]) };
  const [y] = fused.kernel([x, w, undefined, undefined], attrs, 1);
  assert.equal(toNumbers(y!), [0.25, 0.25, 0.25, 0.25]);
});

test.run();
