import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { graphToJSON, GraphJSONError } from "../../src/runtime/json.js";
import { graphFromJSON } from "../../src/node/models.js";
import { verify } from "../../src/runtime/verify.js";
import { toNumbers } from "../../src/runtime/tensor.js";
import { registerTestOps } from "./helpers.js";

registerTestOps();

const fixtures = fileURLToPath(new URL("../fixtures/runtime/", import.meta.url));
const convMul = () => JSON.parse(readFileSync(`${fixtures}conv-mul.json`, "utf8"));

function rejects(json: unknown, pattern: RegExp): void {
  assert.throws(() => graphFromJSON(json, { baseDir: fixtures }), (e: unknown) => e instanceof GraphJSONError && pattern.test((e as Error).message));
}

test("a JSON graph loads with .npy, inline and random constants, in any node order, and infers shapes", () => {
  const graph = graphFromJSON(convMul(), { baseDir: fixtures });
  assert.equal(verify(graph), []);
  const [y] = graph.outputs;
  assert.equal([y!.dtype, y!.shape], ["float32", ["batch", 3, 4, 4]]);
  const W = [...graph.constants].find((c) => c.name === "W")!;
  assert.equal([W.shape, toNumbers(W.constant!)], [[3, 2, 1, 1], [1, 2, 3, 4, 5, 6]]);
  const noise = toNumbers([...graph.constants].find((c) => c.name === "noise")!.constant!);
  assert.ok(noise.every((v) => v >= -1 && v < 1) && new Set(noise).size === 4);
  const again = toNumbers([...graphFromJSON(convMul(), { baseDir: fixtures }).constants].find((c) => c.name === "noise")!.constant!);
  assert.equal(again, noise, "random constants are reproducible");
});

test("graphToJSON round-trips: writing what was read gives the same JSON", () => {
  const first = graphToJSON(graphFromJSON(convMul(), { baseDir: fixtures }));
  assert.equal(first.nodes.map((n) => n.name), ["conv0", "mul_3"], "nodes come out in topological order");
  assert.equal(first.nodes[0]!.inputs, ["x", "W", ""]);
  assert.equal(first.nodes[0]!.attrs!["alpha"], { float: "NaN" });
  const text = JSON.stringify(first);
  assert.is(JSON.stringify(graphToJSON(graphFromJSON(text))), text);
});

test("int64 constants beyond 2^53 survive as decimal strings", () => {
  const json = {
    inputs: [],
    outputs: ["k"],
    constants: [{ name: "k", dtype: "int64", shape: [2], data: ["9223372036854775807", -1] }],
    nodes: [],
  };
  const out = graphToJSON(graphFromJSON(json));
  assert.equal(out.constants![0]!.data, ["9223372036854775807", -1]);
});

test("bad input is reported with the node and field it concerns", () => {
  const base = convMul();
  base.nodes[1].inputs[1] = "W2";
  rejects(base, /nodes\[1\] \("conv0"\)\.inputs\[1\]: unknown value "W2"/);
  const dup = convMul();
  dup.nodes[0].outputs[0] = "c";
  rejects(dup, /nodes\[1\] \("conv0"\)\.outputs\[0\]: the name "c" is already used/);
  const attr = convMul();
  attr.nodes[1].attrs.group = { int: 1.5 };
  rejects(attr, /nodes\[1\] \("conv0"\)\.attrs\.group\.int: expected an integer/);
  const kinds = convMul();
  kinds.nodes[1].attrs.group = { int: 1, float: 2 };
  rejects(kinds, /attrs\.group: expected exactly one of/);
  const count = convMul();
  count.constants[1].data = [1, 2];
  rejects(count, /constants\[1\] \("C"\)\.data: shape \[1, 3, 1, 1\] needs 3 elements, got 2/);
  const dtype = convMul();
  dtype.inputs[0].dtype = "complex64";
  rejects(dtype, /inputs\[0\]\.dtype: expected one of float32, uint8, int8, .*bool/);
  const file = convMul();
  file.constants[0].data = { file: "missing.npy" };
  rejects(file, /constants\[0\] \("W"\)\.data\.file: cannot read/);
  const shape = convMul();
  shape.constants[0].shape = [6];
  rejects(shape, /declared shape \[6\] but "w.npy" has \[3, 2, 1, 1\]/);
  const output = convMul();
  output.outputs = ["nope"];
  rejects(output, /outputs\[0\]: unknown value "nope"/);
  rejects("{ not json", /not valid JSON/);
  rejects({ inputs: [], outputs: [] }, /nodes: expected a list/);
});

test("shape inference failures and cycles name the problem", () => {
  const mismatch = convMul();
  mismatch.inputs[0].shape = [1, 5, 4, 4];
  rejects(mismatch, /shape inference failed at node "conv0" \(Conv\): .*5 channels/);
  const cycle = convMul();
  cycle.nodes[1].inputs[0] = "y";
  rejects(cycle, /the nodes form a cycle/);
});

test.run();
