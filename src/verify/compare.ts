/**
 * How verification compares a rewritten graph's outputs with the original's: the largest
 * absolute difference relative to the reference's magnitude (at least 1, so values near zero
 * are compared absolutely).
 */
import type { Tensor } from "../runtime/tensor.js";

/** max|a − b| / max(1, max|reference|); Infinity when the shapes differ, the output is missing or only one side is infinite or NaN. */
export function outputError(reference: Tensor, actual: Tensor | undefined): number {
  if (!actual || reference.shape.join() !== actual.shape.join()) return Infinity;
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < reference.data.length; i++) {
    const r = Number(reference.data[i]);
    const a = Number(actual.data[i]);
    // Equal values (the same infinity included) and NaN against NaN agree.
    if (r === a || (Number.isNaN(r) && Number.isNaN(a))) continue;
    if (!Number.isFinite(r) || !Number.isFinite(a)) return Infinity;
    const d = Math.abs(r - a);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
    scale = Math.max(scale, Math.abs(r));
  }
  return worst / scale;
}
