/**
 * Stated limits on what a model may make fusec read and allocate, so that a corrupt or hostile
 * file is rejected with a message instead of exhausting memory. Every limit can be raised
 * (`--max-model-bytes`, `--max-tensors`, `--max-tensor-elements` on the command line, or the
 * `limits` option of the loaders).
 */
export interface ModelLimits {
  /** Largest model file, or data file a model refers to, in bytes. Default 4 GiB. */
  maxBytes: number;
  /** Most constants (initializers) in one model. Default 1 000 000. */
  maxTensors: number;
  /** Most elements in one tensor. Default 2^30 (4 GiB of float32). */
  maxElements: number;
}

export const DEFAULT_LIMITS: Readonly<ModelLimits> = Object.freeze({
  maxBytes: 4 * 1024 ** 3,
  maxTensors: 1_000_000,
  maxElements: 2 ** 30,
});

let processLimits: Partial<ModelLimits> = {};

/** Sets the limits every later load in this process starts from (the CLI's --max-… options). */
export function setModelLimits(limits: Partial<ModelLimits>): void {
  modelLimits(limits);
  processLimits = { ...limits };
}

/** `DEFAULT_LIMITS` with the given ones (or those set by `setModelLimits`) raised or lowered. */
export function modelLimits(given: Partial<ModelLimits> = {}): ModelLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ModelLimits)[]) {
    const v = given[key] ?? processLimits[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`limit ${key} must be a non-negative integer, got ${v}`);
    limits[key] = v;
  }
  return limits;
}

/** The element count of `shape`, or a message when a dim is invalid or the count exceeds the limit. */
export function checkedElements(shape: readonly number[], limits: ModelLimits): number | string {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) return `dim ${d} is not a size`;
    n *= d;
    if (n > limits.maxElements) {
      return `shape [${shape.join(", ")}] has more than ${limits.maxElements} elements (the limit; raise it with --max-tensor-elements)`;
    }
  }
  return n;
}

