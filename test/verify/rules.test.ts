/**
 * Rule verification from patterns alone (src/verify/rules.ts): correct rules are ok, wrong ones
 * (a forgotten bias scale, a Sub folded with the wrong sign, a fold that ignores the group
 * count) change outputs and come with a counterexample, and a rule no synthesized graph makes
 * fire is not exercised rather than ok.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { verifyRules, type RuleCheck } from "../../src/verify/rules.js";

const fixtures = "test/fixtures/verify";

async function checks(file: string, options = {}): Promise<Map<string, RuleCheck>> {
  const result = await verifyRules([file], options);
  assert.equal(result.diagnostics.filter((d) => d.severity === "error"), [], `${file} compiles`);
  return new Map(result.packs.flatMap((p) => p.rules).map((c) => [c.rule, c] as const));
}

test("correct rules are ok, having fired on synthesized graphs", async () => {
  const found = await checks(`${fixtures}/correct.rules`);
  for (const name of ["ReluTwice", "ChannelMulIntoUngroupedConv"]) {
    const check = found.get(name)!;
    assert.is(check.verdict, "ok", name);
    assert.is(check.fired, 20, `${name} fired as often as asked`);
    assert.ok(check.maxError <= 1e-4, `${name}: error ${check.maxError}`);
    assert.is(check.counterexample, undefined);
  }
});

for (const [file, rule] of [
  ["test/fixtures/cli/scale-forgets-bias.rules", "ScaleForgetsBias"],
  [`${fixtures}/sub-wrong-sign.rules`, "SubWithWrongSign"],
  [`${fixtures}/ignores-groups.rules`, "DepthwiseFoldIgnoringGroups"],
] as const) {
  test(`${rule} changes outputs, with a counterexample graph`, async () => {
    const check = (await checks(file)).get(rule)!;
    assert.is(check.verdict, "changes-outputs");
    assert.ok(check.maxError > 1e-2, `error ${check.maxError}`);
    const example = check.counterexample!;
    assert.ok(example.error > 1e-4);
    assert.ok(example.before.some((line) => line.includes("= Conv(")), example.before.join("\n"));
    assert.ok(example.after.some((line) => line.includes("= Conv(")), example.after.join("\n"));
    assert.ok(example.before.length > example.after.length, "the rewrite removed a node");
  });
}

test("a rule no synthesized graph makes fire is not exercised, not ok", async () => {
  const check = (await checks(`${fixtures}/never-fires.rules`, { candidates: 50 })).get("OnlyForThousandChannels")!;
  assert.is(check.verdict, "not-exercised");
  assert.is(check.tried, 50);
  assert.is(check.fired, 0);
});

test("the same seed draws the same graphs; --rule-style selection checks only the named rules", async () => {
  const first = await verifyRules([`${fixtures}/correct.rules`], { seed: 3, only: ["ChannelMulIntoUngroupedConv"], firings: 5 });
  const again = await verifyRules([`${fixtures}/correct.rules`], { seed: 3, only: ["ChannelMulIntoUngroupedConv"], firings: 5 });
  assert.equal(first.packs[0]!.rules.map((c) => c.rule), ["ChannelMulIntoUngroupedConv"]);
  assert.equal(first.packs[0]!.rules, again.packs[0]!.rules);
});

test("rules files with errors are not checked; their diagnostics are returned", async () => {
  const result = await verifyRules([`${fixtures}/missing.rules`]);
  assert.is(result.packs.length, 0);
  assert.ok(result.diagnostics.some((d) => d.severity === "error"));
});

test.run();
