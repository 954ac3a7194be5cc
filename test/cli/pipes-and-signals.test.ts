/**
 * The command line under a closed pipe and Ctrl-C: `fusec optimize … --trace | head -1` ends
 * quietly (no EPIPE stack trace), SIGINT exits 130, and neither leaves a partial output file.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const dir = mkdtempSync(join(tmpdir(), "fusec-pipes-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A chain of `n` Relu → Identity pairs: optimize --trace prints a line per firing. */
function chain(n: number): string {
  const nodes = [];
  let v = "x";
  for (let i = 0; i < n; i++) {
    nodes.push({ op: "Relu", inputs: [v], outputs: [`r${i}`] }, { op: "Identity", inputs: [`r${i}`], outputs: [`i${i}`] });
    v = `i${i}`;
  }
  return JSON.stringify({ inputs: [{ name: "x", dtype: "float32", shape: [1, 4] }], outputs: [v], nodes });
}

const model = join(dir, "chain.json");
writeFileSync(model, chain(3000));

function leftovers(): string[] {
  return readdirSync(dir).filter((f) => f !== "chain.json");
}

test("a closed stdout ends the command quietly, with no partial output file", async () => {
  const out = join(dir, "piped.json");
  const child = spawn(process.execPath, ["bin/fusec.js", "optimize", model, "-o", out, "--trace"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  // Read the first chunk, then close the pipe like `head -1`.
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  assert.is(code, 0, stderr);
  assert.not.match(stderr, /EPIPE|Error|at /);
  // The pipe may close before or after the model is written: never a temporary or partial file.
  assert.equal(leftovers().filter((f) => f.includes("piped") && f !== "piped.json"), [], "no temporary file");
  if (existsSync(out)) assert.ok(JSON.parse(readFileSync(out, "utf8")).nodes.length > 0, "a whole model");
});

test("SIGINT exits 130 and leaves no partial output", async () => {
  const out = join(dir, "interrupted.json");
  const child = spawn(process.execPath, ["bin/fusec.js", "optimize", model, "-o", out, "--trace"], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.resume();
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  child.kill("SIGINT");
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  // Either interrupted (130) or finished just before the signal arrived (0, a whole file).
  assert.ok(code === 130 || (code === 0 && existsSync(out)), `exit ${code}`);
  assert.equal(leftovers().filter((f) => f.includes("interrupted") && f !== "interrupted.json"), [], "no temporary file");
});

test.run();
