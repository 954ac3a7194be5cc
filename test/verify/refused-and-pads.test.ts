/**
 * Verification's view of rules the rewriter always refuses, and its synthesized convolutions:
 * a rule whose result never has the root's shape is "never fired: result shape differs", with
 * the precondition it lacks; a synthesized Conv never has both auto_pad SAME_* or VALID and pads
 * (ONNX forbids it).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyzePacks } from "../../src/compiler/compile.js";
import { verifyRules } from "../../src/verify/rules.js";
import { RejectedDraw, synthesize } from "../../src/verify/synthesize.js";

test("a rule whose result the rewriter always refuses: never fired, result shape differs, the precondition named", async () => {
  const result = await verifyRules(["test/fixtures/verify/refused-shape.rules"], { seed: 1, candidates: 40 });
  const check = result.packs[0]!.rules.find((c) => c.rule === "AddKeepsLower")!;
  assert.is(check.verdict, "not-exercised");
  assert.match(check.reason ?? "", /^never fired: result shape differs on all \d+ graph\(s\) it matched \(result shape \[.*\] differs from/);
  assert.match(check.reason ?? "", /lacks the precondition that `y` has the shape of `Add\(x, y\)`/);
});

test("synthesized convolutions never carry both auto_pad SAME_*/VALID and explicit pads", () => {
  const { packs } = analyzePacks(["test/fixtures/verify/shapes.rules", "test/fixtures/verify/correct.rules"]);
  let convs = 0;
  let autoPadded = 0;
  for (const { program } of packs) {
    for (const rule of program.rules) {
      for (let seed = 0; seed < 60; seed++) {
        let graph;
        try {
          graph = synthesize(rule, program.ops, seed).graph;
        } catch (e) {
          if (e instanceof RejectedDraw) continue;
          throw e;
        }
        for (const n of graph.nodes) {
          if (n.op !== "Conv" && n.op !== "AveragePool" && n.op !== "MaxPool") continue;
          convs++;
          const autoPad = n.attrs["auto_pad"];
          const padded = autoPad?.type === "string" && autoPad.value !== "NOTSET";
          if (padded) autoPadded++;
          assert.ok(!(padded && n.attrs["pads"]), `${rule.name} seed ${seed}: ${n.op} with auto_pad ${padded ? autoPad.value : ""} and pads`);
        }
      }
    }
  }
  assert.ok(convs > 20 && autoPadded > 0, `convolutions drawn: ${convs}, with auto_pad: ${autoPadded}`);
});

test.run();
