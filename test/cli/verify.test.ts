/**
 * `fusec verify` on a model executes it before and after each rule and names a rule that changes
 * the outputs (exit 1); a correct rule passes (exit 0). On rules files it checks every rule on
 * graphs synthesized from its pattern: a table per pack, a counterexample per failing rule,
 * exit 1 when one changes outputs, NOT EXERCISED (never ok) when none fired.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import nodePath from "node:path";

const graph = "test/fixtures/compiler/run/fold-mul-into-conv/graph.json";
mkdirSync("tmp", { recursive: true });
const dir = mkdtempSync(nodePath.resolve("tmp/verify-"));

function fusec(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/fusec.js", ...args], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("a rule that forgets to scale the bias is named and fails verification", () => {
  assert.is(fusec("compile", "test/fixtures/cli/scale-forgets-bias.rules", "-o", dir).code, 0);
  const r = fusec("verify", graph, "--pass", nodePath.join(dir, "scale-forgets-bias.ts"));
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /ScaleForgetsBias\s+1\s+1\s+\S+\s+CHANGES OUTPUTS/);
  assert.match(r.stderr, /exceeded the tolerance/);
});

test("the correct rule passes verification", () => {
  assert.is(fusec("compile", "test/fixtures/cli/scale-right.rules", "-o", dir).code, 0);
  const r = fusec("verify", graph, "--pass", nodePath.join(dir, "scale-right.ts"));
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /ScaleConv\s+1\s+1\s+\S+\s+ok/);
  assert.match(r.stdout, /2 → 1 nodes/);
});

test("rules mode: a wrong rule is named with a counterexample, and the exit code is 1", () => {
  const r = fusec("verify", "test/fixtures/cli/scale-forgets-bias.rules", "test/fixtures/verify/sub-wrong-sign.rules");
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /ScaleForgetsBias\s+\d+\s+20\s+\S+\s+CHANGES OUTPUTS/);
  assert.match(r.stdout, /SubWithWrongSign\s+\d+\s+20\s+\S+\s+CHANGES OUTPUTS/);
  assert.match(r.stdout, /ScaleForgetsBias \(test\/fixtures\/cli\/scale-forgets-bias\.rules:5:1\) changes outputs: relative error/);
  assert.match(r.stdout, /\n {4}mul_out = Mul\(/);
  assert.match(r.stdout, /rewritten to\n {4}input x/);
  assert.match(r.stderr, /2 rule\(s\) change what the graph computes/);
});

test("rules mode: correct rules are ok (exit 0); an unsatisfiable one is NOT EXERCISED", () => {
  const r = fusec("verify", "test/fixtures/verify/correct.rules", "test/fixtures/verify/never-fires.rules", "--candidates", "60");
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /ReluTwice\s+\d+\s+20\s+\S+\s+ok/);
  assert.match(r.stdout, /OnlyForThousandChannels\s+60\s+0\s+-\s+NOT EXERCISED/);
  assert.match(r.stdout, /3 rule\(s\): 2 ok, 0 change outputs, 1 not exercised/);
  assert.match(r.stderr, /1 rule\(s\) not exercised/);
});

test("rules mode: --rule selects rules; bad input is a one-line error or diagnostics, exit 1", () => {
  const only = fusec("verify", "test/fixtures/verify/correct.rules", "--rule", "ReluTwice", "--firings", "3");
  assert.is(only.code, 0, only.stderr);
  // Tried counts the integer graphs Relu cannot run; fired stops at 3.
  assert.match(only.stdout, /ReluTwice\s+\d+\s+3\s/);
  assert.not.match(only.stdout, /ChannelMulIntoUngroupedConv/);
  const unknown = fusec("verify", "test/fixtures/verify/correct.rules", "--rule", "Nope");
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /^fusec: no rule named "Nope"/);
  const mixed = fusec("verify", "test/fixtures/verify/correct.rules", graph);
  assert.is(mixed.code, 1);
  assert.match(mixed.stderr, /verify takes rules files or one model/);
  const missing = fusec("verify", "test/fixtures/verify/missing.rules");
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /missing\.rules/);
  assert.not.match(missing.stderr, /\n\s+at /, "no stack trace");
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
