/**
 * `fusec verify` executes a model before and after each rule and names a rule that changes the
 * outputs (exit 1); a correct rule passes (exit 0).
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

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
