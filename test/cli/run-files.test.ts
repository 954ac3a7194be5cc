/**
 * `fusec run` file handling: a uint8 .npy fed to a bool input holds booleans (0/1) afterwards,
 * and outputs whose names map to the same file name get distinct files.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, parse } from "npyjs";

const tmp = mkdtempSync(join(tmpdir(), "fusec-run-"));

function fusec(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/fusec.js", ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function readNpy(file: string): number[] {
  const bytes = readFileSync(file);
  return Array.from(parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).data as unknown as ArrayLike<number>, Number);
}

test("a uint8 .npy given to a bool input becomes 0/1, as numpy's astype(bool)", () => {
  const model = join(tmp, "bool.json");
  const cast = { op: "Cast", inputs: ["m"], outputs: ["f"], attrs: { to: { int: 1 } } };
  writeFileSync(model, JSON.stringify({ inputs: [{ name: "m", dtype: "bool", shape: [3] }], outputs: ["f"], nodes: [cast] }));
  const input = join(tmp, "m.npy");
  writeFileSync(input, new Uint8Array(dump(Uint8Array.from([255, 0, 7]), [3])));
  const out = join(tmp, "bool-out");
  const r = fusec("run", model, "--input", `m=${input}`, "--outputs", out);
  assert.is(r.code, 0, r.stderr);
  assert.equal(readNpy(join(out, "f.npy")), [1, 0, 1]);
});

test("outputs named a/b and a_b are written to two files", () => {
  const model = join(tmp, "names.json");
  writeFileSync(
    model,
    JSON.stringify({
      inputs: [{ name: "x", dtype: "float32", shape: [2] }],
      outputs: ["a/b", "a_b"],
      constants: [{ name: "two", dtype: "float32", shape: [], data: [2] }],
      nodes: [
        { op: "Relu", inputs: ["x"], outputs: ["a/b"] },
        { op: "Mul", inputs: ["x", "two"], outputs: ["a_b"] },
      ],
    }),
  );
  const input = join(tmp, "x.npy");
  writeFileSync(input, new Uint8Array(dump(Float32Array.from([-1, 3]), [2])));
  const out = join(tmp, "names-out");
  const r = fusec("run", model, "--input", `x=${input}`, "--outputs", out);
  assert.is(r.code, 0, r.stderr);
  assert.equal(readdirSync(out).sort(), ["a_b.npy", "a_b_1.npy"]);
  assert.equal(readNpy(join(out, "a_b.npy")), [0, 3]);
  assert.equal(readNpy(join(out, "a_b_1.npy")), [-2, 6]);
});

test.run();
