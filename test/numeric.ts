/**
 * Numeric helpers shared by the tests that execute a graph before and after a rewrite:
 * reproducible random inputs and the relative error they compare with.
 */
import * as assert from "uvu/assert";
import type { Graph } from "../src/runtime/graph.js";
import { f32, type Tensor } from "../src/runtime/tensor.js";

/** Reproducible float32 inputs uniform in [-1, 1) for every graph input (concrete shapes only). */
export function randomInputs(graph: Graph, seed: number): Record<string, Tensor> {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 2 - 1;
  };
  const inputs: Record<string, Tensor> = {};
  for (const v of graph.inputs) {
    const shape = (v.shape ?? []).map((d) => {
      if (typeof d !== "number") throw new Error(`fixture input ${v.name} needs a concrete shape`);
      return d;
    });
    const t = f32(shape);
    for (let i = 0; i < t.data.length; i++) (t.data as Float32Array)[i] = next();
    inputs[v.name] = t;
  }
  return inputs;
}

/** max |actual − reference| / max |reference| (shapes must agree). */
export function relativeError(actual: Tensor, reference: Tensor): number {
  assert.equal(actual.shape, reference.shape, "output shape");
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.data.length; i++) {
    diff = Math.max(diff, Math.abs(Number(actual.data[i]) - Number(reference.data[i])));
    scale = Math.max(scale, Math.abs(Number(reference.data[i])));
  }
  return diff / Math.max(scale, Number.MIN_VALUE);
}
