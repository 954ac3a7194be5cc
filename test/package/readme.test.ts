/**
 * README's "Use fusec in your project" block, pasted into a shell at the repository root. The
 * one line that packs the repository uses the tarball the other package tests share (packing
 * again would build dist/ a second time); the demo folder is a fresh temporary one.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, cleanEnv, installed } from "./installed.js";

const PACK = `"$PWD/$(npm pack --ignore-scripts=false --silent | tail -1)"`;

function readmeBlock(): string {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Use fusec in your project"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("README has no sh block under \"Use fusec in your project\"");
  return block;
}

test("README's block for using fusec in a project runs as pasted", () => {
  const block = readmeBlock();
  assert.ok(block.includes(PACK), "the block no longer packs the repository as this test expects");
  assert.ok(block.includes("/tmp/fusec-demo"));
  const demo = mkdtempSync(join(tmpdir(), "fusec-demo-"));
  const script = block.replace(PACK, JSON.stringify(installed().tarball)).replaceAll("/tmp/fusec-demo", demo);
  const r = spawnSync("bash", ["-euo", "pipefail", "-c", script], { cwd: REPO, env: cleanEnv(), encoding: "utf8", maxBuffer: 64 << 20 });
  assert.is(r.status, 0, `exit ${r.status}:\n${r.stderr}`);
  assert.match(r.stdout, /221 -> \d+ nodes; \d+ HardSwish; scores/, r.stdout);
  assert.match(r.stdout, /hardswish 1 rule/);
  assert.ok(existsSync(join(demo, "cls.fused.onnx")));
  assert.ok(existsSync(join(demo, "passes/hardswish.d.mts")));
});

test.run();
