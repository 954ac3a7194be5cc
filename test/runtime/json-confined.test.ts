/**
 * A JSON graph's `{"file": …}` data is read only from regular files inside the graph's folder:
 * /dev/zero no longer hangs the loader, and ../../etc/passwd or a symbolic link out of the
 * folder is refused with a message naming the field.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { graphFromJSON } from "../../src/node/models.js";

const scratch = mkdtempSync(join(tmpdir(), "fusec-confined-"));
const modelDir = join(scratch, "model");
mkdirSync(modelDir);
writeFileSync(join(scratch, "outside.npy"), "not inside");
symlinkSync(join(scratch, "outside.npy"), join(modelDir, "link.npy"));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

function graphWith(file: string): string {
  return JSON.stringify({
    inputs: [{ name: "x", dtype: "float32", shape: [3] }],
    outputs: ["y"],
    constants: [{ name: "w", data: { file } }],
    nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }],
  });
}

for (const [file, reason] of [
  ["/dev/zero", /constants\[0\] \("w"\)\.data\.file: .*outside the model's folder/],
  ["../../../../../../etc/passwd", /outside the model's folder/],
  ["../outside.npy", /outside the model's folder/],
  ["link.npy", /outside the model's folder/],
  [".", /is not a regular file/],
] as const) {
  test(`data file ${file} is refused`, () => {
    assert.throws(() => graphFromJSON(graphWith(file), { baseDir: modelDir }), reason);
  });
}

test.run();
