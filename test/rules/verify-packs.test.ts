/**
 * Every rule of the standard packs is checked numerically from its pattern alone (`fusec verify
 * rules/onnx.rules rules/tflite.rules`): each one fires on synthesized graphs and none changes
 * what a graph computes. A new rule the synthesizer cannot exercise fails here until it can.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { verifyRules } from "../../src/verify/rules.js";

for (const pack of ["rules/onnx.rules", "rules/tflite.rules"]) {
  test(`${pack}: every rule fires on synthesized graphs and preserves their outputs`, async () => {
    const result = await verifyRules([pack], { seed: 1 });
    assert.equal(result.diagnostics.filter((d) => d.severity === "error"), [], `${pack} compiles`);
    const checks = result.packs.flatMap((p) => p.rules);
    assert.ok(checks.length > 0, "the pack has rules");
    const failures = checks
      .filter((c) => c.verdict !== "ok")
      .map((c) => `${c.rule} (${c.location}): ${c.verdict}, fired ${c.fired} of ${c.tried}, max error ${c.maxError}`);
    assert.equal(failures, []);
  });
}

test.run();
