/**
 * The committed TFLite schema accessors are exactly what scripts/gen-tflite-schema.sh makes
 * from the committed schema.fbs. Needs flatc 2.0.8 (scripts/install-flatc.sh, which CI runs);
 * without it the check is skipped with a message, except under CI where it fails.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as nodePath from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

function flatcVersion(): string | undefined {
  try {
    return execFileSync("flatc", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

test("src/tflite/schema/schema_generated.ts is what flatc makes of schema.fbs", () => {
  const version = flatcVersion();
  if (version !== "flatc version 2.0.8") {
    const why = `flatc 2.0.8 is not installed (${version ?? "no flatc on PATH"}): run scripts/install-flatc.sh`;
    if (process.env.CI) assert.unreachable(why);
    console.log(`skipped the TFLite schema freshness check: ${why}`);
    return;
  }
  const out = mkdtempSync(nodePath.join(tmpdir(), "fusec-tflite-schema-"));
  try {
    execFileSync("bash", ["scripts/gen-tflite-schema.sh", out], { stdio: "pipe" });
    const fresh = readFileSync(nodePath.join(out, "schema_generated.ts"), "utf8");
    const committed = readFileSync("src/tflite/schema/schema_generated.ts", "utf8");
    assert.ok(committed === fresh, "schema_generated.ts is stale: run scripts/gen-tflite-schema.sh");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
