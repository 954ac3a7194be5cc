/**
 * Test helpers around onnxruntime-node, the oracle: run model bytes or a file on given inputs,
 * make deterministic random inputs, and compare outputs with the tolerance the suite uses.
 */
import ort from "onnxruntime-node";
import type { Tensor } from "../../src/runtime/tensor.js";
import { fromOrtTensor, toOrtTensor } from "../kernels/oracle.js";

export type Feeds = Record<string, Tensor>;

/** Runs a model in onnxruntime (no graph optimizations unless asked) and returns every output. */
export async function runOrt(model: Uint8Array | string, feeds: Feeds, level: "disabled" | "extended" = "disabled"): Promise<Feeds> {
  const session = await ort.InferenceSession.create(model as Uint8Array, { graphOptimizationLevel: level, logSeverityLevel: 3 });
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
  const results = await session.run(ortFeeds);
  const out: Feeds = {};
  for (const name of session.outputNames) {
    out[name] = fromOrtTensor(results[name]!);
  }
  await session.release();
  return out;
}

/** Uniform values in [-1, 1) from a fixed-seed generator. */
export function randomInput(shape: number[], seed: number): Tensor {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    data[i] = (s / 0x100000000) * 2 - 1;
  }
  return { dtype: "float32", shape, data };
}

/** Largest |a-b| / max(1, |b|) over all elements; throws on a shape mismatch. */
export function relativeError(actual: Tensor, reference: Tensor): number {
  if (actual.shape.join("x") !== reference.shape.join("x")) {
    throw new Error(`shape [${actual.shape}] differs from reference [${reference.shape}]`);
  }
  let worst = 0;
  for (let i = 0; i < reference.data.length; i++) {
    const r = Number(reference.data[i]);
    const a = Number(actual.data[i]);
    const err = Number.isNaN(a) !== Number.isNaN(r) ? Infinity : Math.abs(a - r) / Math.max(1, Math.abs(r));
    if (err > worst) worst = err;
  }
  return worst;
}

/** The worst relative error over all outputs of two result sets with the same names. */
export function worstError(actual: Feeds, reference: Feeds): number {
  let worst = 0;
  for (const [name, ref] of Object.entries(reference)) {
    const a = actual[name];
    if (!a) throw new Error(`output "${name}" is missing`);
    worst = Math.max(worst, relativeError(a, ref));
  }
  return worst;
}

/** True when every element of every output is bit-identical. */
export function identical(actual: Feeds, reference: Feeds): boolean {
  return Object.entries(reference).every(([name, ref]) => {
    const a = actual[name];
    return a !== undefined && a.shape.join() === ref.shape.join() && ref.data.every((x, i) => Object.is(x, a.data[i]));
  });
}
