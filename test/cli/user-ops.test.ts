/**
 * A user's op end to end through the CLI (test/fixtures/compiler/run/user-op: QuickGelu (domain "test") declared
 * with `impl "./quickgelu.ts"`): the rule that builds it compiles and verifies, `optimize` with
 * the compiled pack fuses the graph and writes ONNX with the op in its own domain, `run --ops`
 * executes the saved model, and the outputs match the unfused graph's. A rule building an op
 * with no implementation is a `check` warning, and `verify` says why it was not exercised.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import nodePath from "node:path";
import { decodeModel } from "../../src/onnx/proto.js";

const fixture = "test/fixtures/compiler/run/user-op";
mkdirSync("tmp", { recursive: true });
const dir = mkdtempSync(nodePath.resolve("tmp/user-ops-"));

function fusec(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/fusec.js", ...args], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("a user op is built by a rule, verified, optimized into, saved in its domain and run", () => {
  const verified = fusec("verify", `${fixture}/rules.rules`);
  assert.is(verified.code, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /QuickGeluFromParts\s+\d+\s+20\s+\S+\s+ok/);

  assert.is(fusec("compile", `${fixture}/rules.rules`, "-o", dir).code, 0);
  const fused = nodePath.join(dir, "fused.onnx");
  const optimized = fusec("optimize", `${fixture}/graph.json`, "--pass", nodePath.join(dir, "rules.ts"), "-o", fused);
  assert.is(optimized.code, 0, optimized.stderr);
  const model = decodeModel(readFileSync(fused));
  const node = model.graph!.node!.find((n) => n.opType === "QuickGelu")!;
  assert.is(node.domain, "test");
  assert.ok(model.opsetImport!.some((o) => o.domain === "test"), "the op's domain is imported");
  assert.is(node.attribute!.find((a) => a.name === "alpha")!.f!.toFixed(3), "1.702");

  const without = fusec("run", fused, "--outputs", nodePath.join(dir, "a"));
  assert.ok(without.code !== 0, "an op nothing registered does not run");
  assert.match(without.stderr, /cannot execute.*test::QuickGelu/);
  const after = fusec("run", fused, "--ops", `${fixture}/rules.rules`, "--outputs", nodePath.join(dir, "after"));
  assert.is(after.code, 0, after.stderr);
  const before = fusec("run", `${fixture}/graph.json`, "--outputs", nodePath.join(dir, "before"));
  assert.is(before.code, 0, before.stderr);
  const a = readFileSync(nodePath.join(dir, "after", "y.npy"));
  const b = readFileSync(nodePath.join(dir, "before", "y.npy"));
  const floats = (buf: Buffer) => new Float32Array(buf.buffer.slice(buf.byteOffset + buf.length - 24 * 4, buf.byteOffset + buf.length));
  const fa = floats(a);
  const fb = floats(b);
  for (let i = 0; i < fb.length; i++) assert.ok(Math.abs(fa[i]! - fb[i]!) < 1e-5, `element ${i}: ${fa[i]} vs ${fb[i]}`);
});

test("a rule building an op without implementation: a check warning, and verify says why it is not exercised", () => {
  const rules = nodePath.join(dir, "noimpl.rules");
  writeFileSync(rules, `import "${nodePath.resolve("rules/dialects/onnx.rules")}"\ndialect mine {\n  op Swish(X)\n}\nrule SwishFromParts: Mul(x, Sigmoid(x)) => Swish(x)\n`);
  const checked = fusec("check", rules);
  assert.is(checked.code, 0);
  assert.match(checked.stderr, /warning\[missing-impl\]: rule 'SwishFromParts' builds Swish, which has no implementation/);
  const verified = fusec("verify", rules, "--candidates", "30");
  assert.match(verified.stdout, /SwishFromParts NOT EXERCISED: it builds Swish, which has no implementation \(declare the op with impl "module.ts"\), so every rewrite is refused; of 30 graph\(s\): \d+ built but the rule did not fire \(\d+× cannot build Swish: the op is not registered\)/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
