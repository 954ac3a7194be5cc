/**
 * How verification compares a rewritten graph's outputs with the original's: the largest
 * absolute difference relative to the reference's magnitude (at least 1, so values near zero
 * are compared absolutely), less what float32 rounding alone explains.
 *
 * The rounding allowance is measured, not guessed from the inputs' magnitude: the original
 * graph is run a second time on its float inputs moved by one rounding step (each element
 * times 1 ± 2⁻²³), and a difference up to ROUNDING_FACTOR times the largest change that causes
 * is rounding. A sum of large terms that cancels (±1e3 inputs through a Conv whose result a
 * fused Relu6 clamps to [0, 6]) moves as much under that perturbation as under a reordered
 * float32 sum; a wrong constant moves the result far more than one rounding step does.
 */
import { tensor, type Tensor } from "../runtime/tensor.js";

/** How many times the perturbation's effect a rewrite may differ by (a sum rounded in another order, a constant folded in float32). */
export const ROUNDING_FACTOR = 8;

/**
 * The rounding allowance is capped at this fraction of the reference's magnitude: an op with
 * a jump (Round, Sign, a comparison) moved across it by the perturbation excuses no more.
 */
const MAX_ROUNDING = 1e-3;

/**
 * (max|a − b| − allowance) / max(1, max|reference|), with allowance = ROUNDING_FACTOR × `noise`
 * (the reference's own change under input rounding, see `roundingNoise`), at most 1e-3 of the
 * magnitude, over the elements the reference holds finite; Infinity when the shapes differ, the
 * output is missing or the rewrite is not finite where the reference is.
 */
export function outputError(reference: Tensor, actual: Tensor | undefined, noise = 0): number {
  if (!actual || reference.shape.join() !== actual.shape.join()) return Infinity;
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < reference.data.length; i++) {
    const r = Number(reference.data[i]);
    const a = Number(actual.data[i]);
    // Equal values agree; where the original overflowed (±∞ or NaN in float32: exp(1000)/Σ)
    // it computed nothing to keep, and a rewrite that computes the value (a fused Softmax) is
    // not a change. A rewrite that overflows where the original did not is.
    if (r === a || !Number.isFinite(r)) continue;
    if (!Number.isFinite(a)) return Infinity;
    const d = Math.abs(r - a);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
    scale = Math.max(scale, Math.abs(r));
  }
  const allowance = Math.min(ROUNDING_FACTOR * noise, MAX_ROUNDING * scale);
  return Math.max(0, worst - allowance) / scale;
}

/** The largest finite change between the reference and the same graph run on rounding-perturbed inputs. */
export function roundingNoise(reference: Tensor, perturbed: Tensor | undefined): number {
  if (!perturbed || perturbed.shape.join() !== reference.shape.join()) return 0;
  let noise = 0;
  for (let i = 0; i < reference.data.length; i++) {
    const d = Math.abs(Number(reference.data[i]) - Number(perturbed.data[i]));
    if (Number.isFinite(d)) noise = Math.max(noise, d);
  }
  return noise;
}

/** The float32 inputs moved by one rounding step, each element up or down at random (seeded); other inputs as they are. */
export function perturbInputs(feeds: Record<string, Tensor>, seed: number): Record<string, Tensor> {
  let state = (seed * 0x2545f491) >>> 0 || 1;
  const up = (): boolean => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state & 1) === 1;
  };
  const step = 2 ** -23;
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    out[name] = t.dtype === "float32" ? tensor("float32", t.shape, Array.from(t.data as Float32Array, (v) => v * (up() ? 1 + step : 1 - step))) : t;
  }
  return out;
}
