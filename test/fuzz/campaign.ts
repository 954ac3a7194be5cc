/**
 * A fuzzing campaign: inputs for each target drawn from the generators with a seed, run one by
 * one in a worker with a time limit, until a count or a deadline. `npm test` runs a small fixed
 * budget (fuzz.test.ts); `npm run fuzz` a long one (run.ts).
 */
import fc from "fast-check";
import { jsonInput, onnxInput, rulesInput } from "./generators.js";
import { FuzzPool, type Finding } from "./pool.js";
import type { Target } from "./targets.js";

export interface CampaignOptions {
  seed: number;
  /** Stop after this many inputs per target (default: no limit). */
  perTarget?: number;
  /** Stop at this time (ms since the epoch; default: no limit). */
  deadline?: number;
  /** Time limit per input in ms. */
  timeLimitMs: number;
  targets?: readonly Target[];
  /** Called after each batch with the counts so far. */
  progress?: (counts: Record<Target, number>, findings: number) => void;
  /** Called for each finding as it is found. */
  onFinding?: (finding: Finding) => void;
}

const ARBITRARIES: Record<Target, fc.Arbitrary<string | Uint8Array>> = { rules: rulesInput, onnx: onnxInput, json: jsonInput };
const BATCH = 20;

export interface CampaignResult {
  counts: Record<Target, number>;
  /** Rules inputs that checked clean and were compiled; models that loaded. */
  accepted: Record<Target, number>;
  findings: Finding[];
}

export async function campaign(options: CampaignOptions): Promise<CampaignResult> {
  const targets = options.targets ?? (["rules", "onnx", "json"] as const);
  const counts: Record<Target, number> = { rules: 0, onnx: 0, json: 0 };
  const accepted: Record<Target, number> = { rules: 0, onnx: 0, json: 0 };
  const findings: Finding[] = [];
  const pool = new FuzzPool(options.timeLimitMs);
  const more = () => options.deadline === undefined || Date.now() < options.deadline;
  try {
    for (let batch = 0; more(); batch++) {
      let ran = false;
      for (const target of targets) {
        if (options.perTarget !== undefined && counts[target] >= options.perTarget) continue;
        const n = Math.min(BATCH, (options.perTarget ?? Infinity) - counts[target]);
        const inputs = fc.sample(ARBITRARIES[target], { seed: options.seed + batch * 7919 + targets.indexOf(target), numRuns: n });
        for (const input of inputs) {
          if (!more()) break;
          const outcome = await pool.run(target, input);
          counts[target]++;
          if (outcome.ok && outcome.clean !== false) accepted[target]++;
          ran = true;
          if (!outcome.ok) {
            const finding = { target, input, detail: outcome.detail ?? "failed" };
            findings.push(finding);
            options.onFinding?.(finding);
          }
        }
      }
      options.progress?.(counts, findings.length);
      if (!ran) break;
    }
  } finally {
    await pool.close();
  }
  return { counts, accepted, findings };
}
