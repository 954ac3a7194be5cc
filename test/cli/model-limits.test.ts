/**
 * `fusec` refuses invalid or over-limit models with one line naming the file, exit 2 and no
 * output file; the --max-… options raise (or lower) the stated limits.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildModel, convMulRelu, node } from "../onnx/build.js";

const tmp = mkdtempSync(join(tmpdir(), "fusec-limits-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const model = join(tmp, "conv.onnx");
writeFileSync(model, convMulRelu());
const future = join(tmp, "future.onnx");
writeFileSync(future, buildModel({ opsets: { "": 99 }, inputs: [{ name: "x", dims: [4] }], outputs: [{ name: "y", dims: [4] }], nodes: [node("Relu", ["x"], ["y"])] }));

function fusec(...args: string[]): { code: number; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/fusec.js", ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, stderr: r.stderr };
}

test("an opset fusec does not read: one line, exit 2, no output file", () => {
  const out = join(tmp, "future-out.onnx");
  const r = fusec("optimize", future, "-o", out);
  assert.is(r.code, 2);
  assert.match(r.stderr, /future\.onnx: opset_import\[0\]: opset 99 of the default domain is not one fusec reads \(6 to 28\)/);
  assert.is(r.stderr.trim().split("\n").length, 1);
  assert.not.ok(existsSync(out));
});

test("--max-model-bytes, --max-tensors and --max-tensor-elements set the limits", () => {
  assert.match(fusec("inspect", model, "--max-model-bytes", "10").stderr, /bytes, more than the limit of 10 \(raise it with --max-model-bytes\)/);
  assert.match(fusec("inspect", model, "--max-tensors", "0").stderr, /tensors, more than the limit of 0 \(raise it with --max-tensors\)/);
  const few = fusec("inspect", model, "--max-tensor-elements", "1");
  assert.is(few.code, 2);
  assert.match(few.stderr, /has more than 1 elements \(the limit; raise it with --max-tensor-elements\)/);
  assert.is(fusec("inspect", model, "--max-tensor-elements", "100000000").code, 0);
  assert.match(fusec("inspect", model, "--max-tensors", "lots").stderr, /--max-tensors needs a whole number, got "lots"/);
});

test.run();
