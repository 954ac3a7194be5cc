/**
 * Verification cannot be fooled: every planted wrong rule (each one detail away from a correct
 * rule: a bound, a constant, an axis, an operand order, a forgotten ε or bias) is caught with a
 * counterexample, and every shipped rule verifies without a false alarm. A user's op declared
 * with operand roles is exercised like a built-in one; without roles or an implementation the
 * rule is NOT EXERCISED, and the report says why.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "../../src/runtime/tensor.js";
import { outputError, ROUNDING_FACTOR } from "../../src/verify/compare.js";
import { verifyRules, type RuleCheck } from "../../src/verify/rules.js";

const PLANTED = [
  "test/fixtures/verify/planted.rules",
  "test/fixtures/verify/planted-more.rules",
  "test/fixtures/verify/planted-subtle.rules",
  "test/fixtures/verify/planted-tflite.rules",
  "test/fixtures/verify/sub-wrong-sign.rules",
  "test/fixtures/verify/ignores-groups.rules",
  "test/fixtures/cli/scale-forgets-bias.rules",
];

async function checks(files: readonly string[], options = {}): Promise<RuleCheck[]> {
  const result = await verifyRules(files, options);
  assert.equal(result.diagnostics.filter((d) => d.severity === "error"), [], `${files.join(" ")} compile`);
  return result.packs.flatMap((p) => p.rules);
}

test("every planted wrong rule changes outputs, with a counterexample", async () => {
  const found = await checks(PLANTED);
  const missed = found.filter((c) => c.verdict !== "changes-outputs").map((c) => `${c.rule} (${c.location}): ${c.verdict} ${c.reason ?? `max error ${c.maxError}`}`);
  assert.equal(missed, []);
  assert.ok(found.length >= 30, `${found.length} planted rules`);
  for (const c of found) {
    const example = c.counterexample!;
    assert.ok(example.before.length > 0 && (example.error > 1e-4 || example.problem !== undefined), c.rule);
  }
});

test("every shipped rule verifies: no false alarm, none left unexercised", async () => {
  const found = await checks(["rules/onnx.rules", "rules/tflite.rules"], { firings: 4 });
  const flagged = found.filter((c) => c.verdict !== "ok").map((c) => `${c.rule}: ${c.verdict} ${c.reason ?? c.maxError}`);
  assert.equal(flagged, []);
  assert.ok(found.length > 100, `${found.length} rules`);
});

test("a cap at 995 taken for Relu is caught on ±1e3 inputs: large inputs are held to the same tolerance", async () => {
  const [check] = await checks(["test/fixtures/verify/planted-subtle.rules"], { only: ["CapAt995AsRelu"] });
  assert.is(check!.verdict, "changes-outputs");
  assert.match(check!.counterexample!.range ?? "", /±1e3|boundaries/);
});

test("the rounding allowance: what the original graph's own rounding explains is not a difference", () => {
  const reference = tensor("float32", [2], [0.8748, 6]);
  const rewritten = tensor("float32", [2], [0.8744, 6]);
  // Without noise 4e-4 counts in full; with the graph moving by 1e-4 under one rounding step it is rounding.
  assert.ok(outputError(reference, rewritten) > 1e-4);
  assert.is(outputError(reference, rewritten, 1e-4), 0);
  // The allowance is bounded: a large noise excuses at most 1e-3 of the magnitude.
  assert.ok(outputError(reference, tensor("float32", [2], [0.8, 6]), 1) > 1e-2);
  assert.is(ROUNDING_FACTOR, 8);
});

test("where the original graph overflows, a rewrite that computes the value is no change; overflowing where it did not is", async () => {
  const found = await checks(["test/fixtures/verify/overflow.rules"], { firings: 8 });
  assert.equal(found.map((c) => `${c.rule}: ${c.verdict}`), ["SoftmaxFromParts: ok"]);
  assert.is(outputError(tensor("float32", [2], [NaN, 1]), tensor("float32", [2], [0.5, 1])), 0);
  assert.is(outputError(tensor("float32", [2], [0.5, 1]), tensor("float32", [2], [Infinity, 1])), Infinity);
});

test("ops whose operands are axes, indices, starts or repeats are exercised through their declared roles", async () => {
  const found = await checks(["test/fixtures/verify/index-operands.rules"], { firings: 5 });
  assert.equal(found.filter((c) => c.verdict !== "ok").map((c) => `${c.rule}: ${c.verdict} ${c.reason ?? ""}`), []);
  assert.is(found.length, 5);
});

test("a user's op with operand roles is exercised like a built-in one; without roles or an implementation, NOT EXERCISED says why", async () => {
  const found = new Map((await checks(["test/fixtures/verify/user-op/roles.rules"])).map((c) => [c.rule, c] as const));
  assert.is(found.get("ScaleAsMul")!.verdict, "ok");
  assert.is(found.get("ScaleAsMulWrongAxis")!.verdict, "changes-outputs");
  const undeclared = found.get("UndeclaredScaleAsMul")!;
  assert.is(undeclared.verdict, "not-exercised");
  assert.match(undeclared.reason!, /ScaleChannelsUndeclared declares no role for 's', so it is drawn shaped like 'X'/);
  assert.match(found.get("BuildsUnimplemented")!.reason!, /^it builds test::Unimplemented, which has no implementation/);
  assert.match(found.get("MatchesUnimplemented")!.reason!, /^its pattern holds test::Unimplemented, which has no implementation/);
});

test.run();
