/**
 * `fusec compile` and `fusec check` as a user runs them: exit codes (1 on errors, 0 with only
 * warnings), rendered diagnostics without stack traces, files written, and `--watch`
 * recompiling when an imported file changes.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as nodePath from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

mkdirSync("tmp", { recursive: true });
// Inside the repository so that the rules can import rules/dialects by a short relative path.
const dir = mkdtempSync(nodePath.resolve("tmp/cli-"));
const dialectImport = `import "${nodePath.relative(dir, "rules/dialects/onnx.rules")}"`;

function fusec(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function write(name: string, text: string): string {
  const path = nodePath.join(dir, name);
  writeFileSync(path, text);
  return path;
}

test("compile writes one module per pack and exits 0", () => {
  const rules = write("scale.rules", `${dialectImport}\nrule MulByOne:\n  Mul(x, one: const)\n  where allClose(one, 1.0) && broadcastsTo(one, x)\n  => x\n`);
  const run = fusec("compile", rules, "-o", nodePath.join(dir, "out"));
  assert.is(run.status, 0, run.stderr);
  assert.match(readFileSync(nodePath.join(dir, "out", "scale.ts"), "utf8"), /\/\/ rule MulByOne \(/);
});

test("errors are rendered with their location, nothing is written, exit 1, no stack trace", () => {
  const rules = write("bad.rules", `${dialectImport}\nrule Bad:\n  Mul(C, conv: Conv(x, W, b?))\n  => Conv(x, W * C@0, b) { ...conv }\n`);
  const run = fusec("compile", rules, "-o", nodePath.join(dir, "bad-out"));
  assert.is(run.status, 1);
  assert.match(run.stderr, /bad\.rules:4:\d+: error\[/);
  assert.not.match(run.stderr, /\n\s+at /);
  assert.not.ok(existsSync(nodePath.join(dir, "bad-out", "bad.ts")));
  const check = fusec("check", rules);
  assert.is(check.status, 1);
  assert.match(check.stderr, /bad\.rules:4:\d+: error\[/);
});

test("check exits 0 when there are only warnings", () => {
  const rules = write("warn.rules", `${dialectImport}\nrule Unused:\n  Relu(x: Relu(y))\n  => x\n`);
  const run = fusec("check", rules);
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stderr, /warning\[unused-binding\]/);
});

test("a missing file is one clear line, exit 1", () => {
  const run = fusec("compile", nodePath.join(dir, "missing.rules"), "-o", nodePath.join(dir, "out"));
  assert.is(run.status, 1);
  assert.match(run.stderr, /cannot read rules file/);
  assert.not.match(run.stderr, /\n\s+at /);
});

test("--watch recompiles when an imported rules file changes", async () => {
  const shared = write("shared.rules", `${dialectImport}\n`);
  const pack = write("pack.rules", `import "shared.rules"\nrule AddZero:\n  Add(x, zero: const)\n  where allClose(zero, 0.0) && broadcastsTo(zero, x)\n  => x\n`);
  const out = nodePath.join(dir, "watch-out", "pack.ts");
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "compile", pack, "-o", nodePath.dirname(out), "--watch"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await until(() => stderr.includes("watching"), () => `watch did not start: ${stderr}`);
    assert.ok(existsSync(out), "first compilation written");
    writeFileSync(shared, `${dialectImport}\nrule MulByOne:\n  Mul(x, one: const)\n  where allClose(one, 1.0) && broadcastsTo(one, x)\n  => x\n`);
    await until(() => readFileSync(out, "utf8").includes("// rule MulByOne"), () => `not recompiled: ${stderr}`);
  } finally {
    child.kill();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Polls `ready` (every 100 ms, for at most 60 s under a loaded machine). */
async function until(ready: () => boolean, failure: () => string): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 100) {
    if (ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.unreachable(failure());
}

test.run();
