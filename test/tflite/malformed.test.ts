/**
 * Malformed .tflite files: every command that reads one prints a single line naming the file
 * and the problem, exits 2, and writes no output file.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeTflite } from "../../src/tflite/index.js";
import { ModelFileError } from "../../src/onnx/index.js";
import { convMulRelu } from "../onnx/build.js";
import { fusec, modelBytes, packModel, unpackModel } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "fusec-tflite-bad-"));
const good = modelBytes("face_detection_short_range");

function edited(edit: (m: ReturnType<typeof unpackModel>) => void): Uint8Array {
  const m = unpackModel(good);
  edit(m);
  return packModel(m);
}

const cases: [string, () => Uint8Array, RegExp][] = [
  ["truncated", () => good.slice(0, Math.floor(good.length / 2)), /malformed FlatBuffer|outside|past the end/],
  ["cut to a few bytes", () => good.slice(0, 6), /truncated/],
  [
    "bad root offset",
    () => {
      const b = good.slice();
      new DataView(b.buffer).setUint32(0, 0x7ffffff0, true);
      return b;
    },
    /malformed FlatBuffer/,
  ],
  [
    "bad table offset",
    () => {
      // The root table's vtable offset, pointed far outside the file.
      const b = good.slice();
      const view = new DataView(b.buffer);
      const root = view.getUint32(0, true);
      view.setInt32(root, -0x40000000, true);
      return b;
    },
    /malformed FlatBuffer/,
  ],
  [
    "buffer index out of range",
    () =>
      edited((m) => {
        const t = m.subgraphs[0]!.tensors.find((x) => x.buffer > 0)!;
        t.buffer = m.buffers.length + 7;
      }),
    /names buffer \d+, but the model has \d+ buffers/,
  ],
  [
    "tensor index out of range",
    () =>
      edited((m) => {
        m.subgraphs[0]!.operators[3]!.inputs[0] = 100000;
      }),
    /names tensor 100000/,
  ],
  [
    "cyclic graph",
    () =>
      edited((m) => {
        const ops = m.subgraphs[0]!.operators;
        const conv = ops.findIndex((op, i) => i > 0 && op.inputs.length >= 2);
        // An early operator reads the output of the last one, which depends on it.
        ops[conv]!.inputs[0] = ops[ops.length - 1]!.outputs[0]!;
      }),
    /cyclic/,
  ],
  ["unknown schema version", () => edited((m) => (m.version = 4)), /unknown TFLite schema version 4/],
  ["not a TFLite file", () => new TextEncoder().encode("hello, this is not a flatbuffer at all"), /not a TFLite model/],
];

for (const [name, make, message] of cases) {
  test(`${name}: decode throws a ModelFileError`, () => {
    try {
      decodeTflite(make(), "bad.tflite");
      assert.unreachable("decoded");
    } catch (e) {
      assert.instance(e, ModelFileError);
      assert.match((e as Error).message, message);
      assert.not.match((e as Error).message, /\n/);
    }
  });
}

test("every malformed file: optimize (and run, inspect on some) print one line, exit 2, leave no output", () => {
  cases.forEach(([name, make, message], k) => {
    const file = join(tmp, `${name.replace(/\W+/g, "-")}.tflite`);
    writeFileSync(file, make());
    const out = join(tmp, `out-${name.replace(/\W+/g, "-")}.tflite`);
    if (k % 2 === 1) return;
    const commands = [["optimize", file, "-o", out]];
    if (k === 0 || k === 4) commands.push(["run", file, "--outputs", join(tmp, "npy")], ["inspect", file]);
    for (const args of commands) {
      const r = fusec(...args);
      assert.is(r.code, 2, `${name} ${args[0]}: exit ${r.code} ${r.stderr}`);
      const lines = r.stderr.trimEnd().split("\n");
      assert.is(lines.length, 1, `${name} ${args[0]}: ${r.stderr}`);
      assert.match(lines[0]!, message);
      assert.ok(lines[0]!.startsWith(`fusec: ${file}: `), lines[0]);
    }
    assert.not.ok(existsSync(out), `${name}: ${out} was written`);
  });
  assert.not.ok(existsSync(join(tmp, "npy")) && readdirSync(join(tmp, "npy")).length > 0, "run wrote outputs");
});

test("a graph with ops TFLite has no operator for is not written as .tflite", () => {
  const model = join(tmp, "conv.onnx");
  writeFileSync(model, convMulRelu());
  const out = join(tmp, "from-onnx.tflite");
  const r = fusec("optimize", model, "-o", out);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /has no TFLite operator/);
  assert.not.ok(existsSync(out));
});

test.run();
