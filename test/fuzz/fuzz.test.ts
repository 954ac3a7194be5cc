/**
 * A small fixed fuzzing budget inside `npm test` (the long campaign is `npm run fuzz`): rules
 * files from the grammar and mutated packs, mutated ONNX bytes and JSON graphs, each run in a
 * worker with a time limit. No input may crash, hang, give an unlocated diagnostic, or check
 * clean and then fail to compile to inert, parseable TypeScript.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { campaign } from "./campaign.js";

test("a fixed-seed fuzzing budget finds nothing", async () => {
  const { counts, accepted, findings } = await campaign({ seed: 20261129, perTarget: 60, timeLimitMs: 30_000 });
  assert.equal(counts, { rules: 60, onnx: 60, json: 60 });
  assert.ok(accepted.rules > 0 && accepted.onnx > 0 && accepted.json > 0, `some inputs are accepted: ${JSON.stringify(accepted)}`);
  assert.equal(findings.map((f) => `${f.target}: ${f.detail.split("\n")[0]}`), []);
});

test.run();
