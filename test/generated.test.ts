/**
 * The committed generated/ is exactly what `npm run gen` produces from rules/: regenerating
 * into a temporary directory with the same command gives byte-identical files, and generated/
 * holds nothing else. (Fails when someone edits rules without regenerating, or edits output.)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as nodePath from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const packs = ["rules/onnx.rules", "rules/tflite.rules"];

test("regenerating gives byte-identical files to the committed generated/", () => {
  const out = mkdtempSync(nodePath.join(tmpdir(), "fusec-gen-"));
  try {
    execFileSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "compile", ...packs, "-o", out], { stdio: "pipe" });
    const fresh = readdirSync(out).sort();
    assert.equal(readdirSync("generated").sort(), fresh, "generated/ holds exactly the packs' modules");
    for (const name of fresh) {
      const committed = readFileSync(nodePath.join("generated", name), "utf8");
      assert.ok(committed === readFileSync(nodePath.join(out, name), "utf8"), `generated/${name} is stale: run \`npm run gen\``);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
