import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "npyjs";
import { buildModel, convMulRelu, node } from "../onnx/build.js";
import { randomInput, relativeError, runOrt } from "../onnx/ort.js";

const tmp = mkdtempSync(join(tmpdir(), "fusec-cli-"));
const model = join(tmp, "conv.onnx");
writeFileSync(model, convMulRelu());
const unknownOp = join(tmp, "frob.onnx");
writeFileSync(
  unknownOp,
  buildModel({
    opsets: { "": 13, "com.example": 1 },
    inputs: [{ name: "x", dims: [4] }],
    outputs: [{ name: "y", dims: [4] }],
    valueInfo: [{ name: "f", dims: [4] }],
    nodes: [node("Frobnicate", ["x"], ["f"], [], "com.example"), node("Relu", ["f"], ["y"])],
  }),
);
const emptyPass = "test/fixtures/onnx/empty-pass.ts";

function fusec(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/fusec.js", ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test("inspect prints opsets, inputs, outputs, parameters and the op histogram", () => {
  const r = fusec("inspect", model);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /opsets: ai\.onnx 13/);
  assert.match(r.stdout, /x\s+float32\[N, 3, 8, 8\]/);
  assert.match(r.stdout, /parameters: 116 in 3 constants/);
  assert.match(r.stdout, /Conv\s+1/);
  assert.match(r.stdout, /cannot run: none/);
});

test("run writes each output as .npy, matching onnxruntime on the same inputs", async () => {
  const x = randomInput([2, 3, 8, 8], 5);
  const xFile = join(tmp, "x.npy");
  const { dump } = await import("npyjs");
  writeFileSync(xFile, new Uint8Array(dump(x.data as Float32Array, [2, 3, 8, 8])));
  const out = join(tmp, "out");
  const r = fusec("run", model, "--input", `x=${xFile}`, "--outputs", out);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /y\s+float32\[2, 4, 8, 8\]/);
  const bytes = readFileSync(join(out, "y.npy"));
  const y = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const reference = (await runOrt(convMulRelu(), { x }))["y"]!;
  assert.ok(relativeError({ dtype: "float32", shape: y.shape, data: y.data as Float32Array }, reference) < 1e-5);

  const random = fusec("run", model, "--dim", "N=3", "--seed", "4", "--outputs", out);
  assert.is(random.code, 0, random.stderr);
  assert.match(random.stdout, /float32\[3, 4, 8, 8\]/);
});

test("optimize keeps an unknown op opaque; run names it in a one-line error, inspect lists it", () => {
  const out = join(tmp, "frob-opt.onnx");
  const r = fusec("optimize", unknownOp, "-o", out, "--pass", emptyPass, "--stats");
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /com\.example::Frobnicate\s+1\s+1/);
  assert.match(r.stdout, /constant folding: 0 value\(s\) folded; constant data 0 → 0 bytes \(\+0\)/);
  assert.ok(existsSync(out));
  const run = fusec("run", out);
  assert.is(run.code, 2);
  assert.match(run.stderr, /^fusec: .*frob-opt\.onnx: fusec cannot execute op com\.example::Frobnicate \(node "Frobnicate_f"\)\n$/);
  const inspect = fusec("inspect", out);
  assert.is(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /cannot run: 1 op without a kernel\n\s+com\.example::Frobnicate\s+1 node\n$/);
});

test("bad model files: one line, exit 2, no output file", () => {
  const corrupt = join(tmp, "corrupt.onnx");
  writeFileSync(corrupt, "definitely not protobuf\n");
  const truncated = join(tmp, "truncated.onnx");
  writeFileSync(truncated, convMulRelu().subarray(0, 100));
  const empty = join(tmp, "empty.onnx");
  writeFileSync(empty, "");
  for (const bad of [corrupt, truncated, empty]) {
    const out = join(tmp, "never.onnx");
    const r = fusec("optimize", bad, "-o", out, "--pass", emptyPass);
    assert.is(r.code, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^fusec: ${bad.replace(/[.]/g, "\\.")}: [^\\n]+\\n$`));
    assert.not.ok(existsSync(out));
  }
  const usage = fusec("run", model, "--input", "nonsense");
  assert.is(usage.code, 1);
  assert.match(usage.stderr, /--input expects NAME=VALUE/);
  const badPass = fusec("optimize", model, "-o", join(tmp, "x.onnx"), "--pass", "no/such/pack.ts");
  assert.is(badPass.code, 1);
  assert.match(badPass.stderr, /cannot load pass "no\/such\/pack\.ts": no such file/);
});

test.run();
