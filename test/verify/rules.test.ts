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

test("a rule no synthesized graph makes fire is not exercised, not ok, and says why", async () => {
  const check = (await checks(`${fixtures}/never-fires.rules`, { candidates: 50 })).get("OnlyForThousandChannels")!;
  assert.is(check.verdict, "not-exercised");
  assert.is(check.tried, 50);
  assert.is(check.fired, 0);
  assert.match(check.reason ?? "", /of 50 graph\(s\): \d+ built but the rule did not fire \(\d+× where .*dim\(x, 1\) == 1000/);
});

// Wrong only beyond [-1, 1), only at a boundary, or only along one axis: each is caught, with
// the smallest failing graph and the element that differs.
test("Clip(x, 0, 6) rewritten as Relu is caught on inputs beyond 6", async () => {
  const check = (await checks(`${fixtures}/planted.rules`)).get("ClipAsRelu")!;
  assert.is(check.verdict, "changes-outputs");
  const example = check.counterexample!;
  assert.is.not(example.range, "[-1, 1)");
  assert.match(example.at ?? "", /clip_out\[[\d,]*\] = 6, rewritten (\d+(\.\d+)?), where x\[[\d,]*\] = \1$/);
  assert.equal(example.after.filter((l) => l.includes("= Relu(")).length, 1);
});

test("HardSwish with +3 changed to +2 is caught", async () => {
  const check = (await checks(`${fixtures}/planted.rules`)).get("HardSwishOffByOne")!;
  assert.is(check.verdict, "changes-outputs");
  assert.ok(check.counterexample!.before.some((l) => l.includes("= Add(")));
  assert.ok(check.counterexample!.after.some((l) => l.includes("= HardSwish(x)")));
});

test("a per-channel scale folded along the filter's input axis is caught, on a small graph", async () => {
  const check = (await checks(`${fixtures}/planted.rules`)).get("ScaleAlongWrongAxis")!;
  assert.is(check.verdict, "changes-outputs");
  const input = check.counterexample!.before.find((l) => l.startsWith("input x"))!;
  const elements = input.match(/\[([\d,]+)\]/)![1]!.split(",").reduce((a, d) => a * Number(d), 1);
  assert.ok(elements <= 2 * 2 * 4 * 4, input);
});

test("the report states the ranges, element types and shapes every firing covered", async () => {
  const check = (await checks(`${fixtures}/correct.rules`)).get("ReluTwice")!;
  for (const range of ["[-1, 1)", "[-10, 10)", "±1e3", "negative", "positive", "boundaries"]) assert.ok(check.covered.ranges.includes(range), range);
  assert.ok(check.covered.dtypes.includes("float32"));
  assert.ok(check.covered.shapes.length > 1, check.covered.shapes.join(" "));
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
