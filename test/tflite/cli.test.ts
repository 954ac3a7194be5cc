/**
 * The model commands on .tflite files: inspect lists tfl ops; optimize applies the tflite pack by
 * default and keeps float16 weights behind Dequantize unless --fold-dequantize; run writes the
 * outputs; verify checks the pack on the model.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeTflite } from "../../src/tflite/index.js";
import { fusec, MODELS } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "fusec-tflite-cli-"));
const model = MODELS.face_detection_short_range;

function ops(path: string): Map<string, number> {
  const h = new Map<string, number>();
  for (const n of decodeTflite(new Uint8Array(readFileSync(path))).nodes) h.set(n.op, (h.get(n.op) ?? 0) + 1);
  return h;
}

test("inspect lists the tfl ops of a .tflite model", () => {
  const r = fusec("inspect", model);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /input\s+float32\[1, 128, 128, 3\]/);
  assert.match(r.stdout, /tfl::Conv2D\s+21/);
  assert.match(r.stdout, /tfl::Dequantize\s+74/);
});

test("optimize applies the tflite pack by default; float16 weights stay behind Dequantize", () => {
  const out = join(tmp, "fused.tflite");
  const r = fusec("optimize", model, "-o", out);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /164 → 147 nodes, 17 rewrite\(s\)/);
  const h = ops(out);
  assert.is(h.get("Relu"), undefined);
  assert.is(h.get("Dequantize"), 74);
  assert.ok(statSync(out).size < statSync(model).size * 1.1);
});

test("optimize --fold-dequantize writes float32 weights", () => {
  const out = join(tmp, "float.tflite");
  const r = fusec("optimize", model, "-o", out, "--fold-dequantize");
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /164 → 73 nodes, 17 rewrite\(s\), 74 Dequantize folded/);
  assert.is(ops(out).get("Dequantize"), undefined);
  assert.ok(statSync(out).size > statSync(model).size * 1.5);
});

test("run writes every output of a .tflite model", () => {
  const dir = join(tmp, "outputs");
  const r = fusec("run", model, "--outputs", dir);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /regressors\s+float32\[1, 896, 16\]/);
  assert.ok(existsSync(join(dir, "regressors.npy")) && existsSync(join(dir, "classificators.npy")));
});

test("verify checks the tflite pack on a .tflite model", () => {
  const r = fusec("verify", model);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /FuseActivationIntoBinary\[Add,Relu,RELU\]\s+16\s+16\s+\S+\s+ok/);
});

test.run();
