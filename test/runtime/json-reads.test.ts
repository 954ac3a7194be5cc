/**
 * JSON graphs read only what they may: `{"file": …}` data sizes are checked against the declared
 * dtype and shape and the byte limit before reading (in Node by src/node; confinement to the
 * graph's folder is json-confined.test.ts), tensor counts and elements are within stated limits,
 * and prototype keys, bad base64 and a byte order mark are handled with messages that name the field.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { graphFromJSON } from "../../src/node/models.js";
import { graphFromJSON as graphFromBytes, GraphJSONError } from "../../src/runtime/json.js";
import { toNumbers } from "../../src/runtime/tensor.js";
import { registerTestOps } from "./helpers.js";

registerTestOps();

const scratch = mkdtempSync(join(tmpdir(), "fusec-json-reads-"));
const modelDir = join(scratch, "model");
mkdirSync(modelDir);
test.after(() => rmSync(scratch, { recursive: true, force: true }));

/** A float32 .npy file (format 1.0). */
function npy(shape: number[], values: number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const bytes = new Uint8Array(10 + header.length + values.length * 4);
  bytes.set([0x93, ...Buffer.from("NUMPY"), 1, 0, header.length & 0xff, header.length >> 8]);
  bytes.set(Buffer.from(header, "latin1"), 10);
  new Float32Array(bytes.buffer, 10 + header.length, values.length).set(values);
  return bytes;
}

writeFileSync(join(modelDir, "w.npy"), npy([3], [1, 2, 3]));

function graphWith(data: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    inputs: [{ name: "x", dtype: "float32", shape: [3] }],
    outputs: ["y"],
    constants: [{ name: "w", ...extra, data }],
    nodes: [{ op: "Mul", domain: "test", inputs: ["x", "w"], outputs: ["y"] }],
  });
}

function fails<O>(json: string, pattern: RegExp, options: O = { baseDir: modelDir } as O, load: (json: string, options: O) => unknown = graphFromJSON as never): void {
  try {
    load(json, options);
    assert.unreachable(`expected ${pattern}`);
  } catch (e) {
    assert.instance(e, GraphJSONError);
    assert.match((e as Error).message, pattern);
  }
}

test("a data file inside the graph's folder is read", () => {
  const g = graphFromJSON(graphWith({ file: "w.npy" }), { baseDir: modelDir });
  assert.equal(toNumbers([...g.constants][0]!.constant!), [1, 2, 3]);
});

test("bytes-in: the readFile option gets the size check and is refused a wrong size", () => {
  const seen: number[] = [];
  const readFile = (_file: string, checkSize?: (bytes: number) => string | undefined) => {
    const bytes = npy([3], [1, 2, 3]);
    const wrong = checkSize?.(bytes.length);
    seen.push(bytes.length);
    if (wrong) throw new Error(wrong);
    return bytes;
  };
  assert.is(graphFromBytes(graphWith({ file: "w.npy" }, { dtype: "float32", shape: [3] }), { readFile }).constants.size, 1);
  fails(graphWith({ file: "w.npy" }, { dtype: "float32", shape: [40] }), /constants\[0\] \("w"\)\.data\.file: .*"w\.npy" has \d+ bytes, but the declared float32 shape \[40\] needs 160 plus a header/, { readFile }, graphFromBytes);
  assert.is(seen.length, 2);
});

test("the file's size is checked against the declared shape and the byte limit before reading", () => {
  fails(graphWith({ file: "w.npy" }, { dtype: "float32", shape: [1000] }), /"w\.npy" has \d+ bytes, but the declared float32 shape \[1000\] needs 4000 plus a header/);
  // A file that claims a huge declared shape is refused from its size, not read: /dev/zero-sized
  // claims never reach the reader.
  fails(graphWith({ file: "w.npy" }, { dtype: "float32", shape: [30000, 30000] }), /needs 3600000000 plus a header/);
  fails(graphWith({ file: "w.npy" }), /w\.npy" has \d+ bytes, more than the limit of 50 \(raise it with --max-model-bytes\)/, { baseDir: modelDir, limits: { maxBytes: 50 } });
});

test("tensor element and count limits are stated and can be raised", () => {
  const huge = graphWith({ random: 1 }, { dtype: "float32", shape: [100000, 100000] });
  fails(huge, /constants\[0\] \("w"\)\.shape: shape \[100000, 100000\] has more than 1073741824 elements \(the limit; raise it with --max-tensor-elements\)/);
  const listed = graphWith([1, 2, 3], { dtype: "float32", shape: [3] });
  fails(listed, /has more than 2 elements/, { baseDir: modelDir, limits: { maxElements: 2 } });
  fails(listed, /constants: 1 tensors, more than the limit of 0/, { baseDir: modelDir, limits: { maxTensors: 0 } });
  assert.is(graphFromJSON(listed, { baseDir: modelDir, limits: { maxElements: 3 } }).constants.size, 1);
});

test("prototype keys as attribute names, invalid base64 and a byte order mark", () => {
  const withAttrs = (attrs: string) =>
    `{"inputs": [{"name": "x", "dtype": "float32", "shape": [3]}], "outputs": ["y"], "nodes": [{"op": "Relu", "domain": "test", "inputs": ["x"], "outputs": ["y"], "attrs": ${attrs}}]}`;
  fails(withAttrs(`{"__proto__": {"int": 1}}`), /nodes\[0\] \("Relu"\)\.attrs: "__proto__" cannot name an attribute/);
  fails(withAttrs(`{"g": {"opaque": "!!!not base64", "onnxType": 5}}`), /nodes\[0\] \("Relu"\)\.attrs\.g\.opaque: not valid base64/);
  fails(withAttrs(`{"g": {"opaque": "QUJD=", "onnxType": 5}}`), /attrs\.g\.opaque: not valid base64/);
  const g = graphFromJSON(`\uFEFF${withAttrs(`{"g": {"opaque": "QUJD", "onnxType": 5}}`)}`, { baseDir: modelDir });
  assert.equal([...g.nodes][0]!.attrs["g"], { type: "opaque", value: new Uint8Array([65, 66, 67]), onnxType: 5 });
});

test.run();
