/**
 * The MediaPipe .tflite models: each loads, saves, and loads back to the same graph (ops,
 * attributes, tensor types, constants); saving again gives the same bytes; what fusec keeps
 * opaque (custom ops, unknown builtins, sparse tensors, metadata) survives byte for byte;
 * constants that share data share one buffer. pose_landmark_heavy (28 MB) is left to
 * `npm run bench:tflite`, which loads, runs and saves every model.
 */
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import "../../src/kernels/index.js";
import { execute } from "../../src/kernels/index.js";
import type { Graph } from "../../src/runtime/graph.js";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { decodeTflite, encodeTflite, tfliteInfo } from "../../src/tflite/index.js";
import { imageInputs, MODELS, modelBytes, SPARSE_MODEL, unpackModel, withBuiltinTransposeConv, type ModelName } from "./helpers.js";
import { runInterpreter } from "./interpreter.js";

/** Ops with their attributes, and each value's dtype and shape, in execution order. */
function signature(g: Graph): string[] {
  return g.topoOrder().map((n) => {
    const io = [...n.inputs, ...n.outputs].map((v) => (v ? `${v.dtype}[${v.shape?.join(",")}]${v.constant ? "c" : ""}` : "-"));
    return `${n.domain}::${n.op} ${JSON.stringify(n.attrs, (_, x) => (x instanceof Uint8Array ? Array.from(x) : x))} ${io.join(" ")}`;
  });
}

/** Builtin code (older files fill only the deprecated byte field), custom code, version. */
const opcode = (c: { builtinCode: number; deprecatedBuiltinCode: number; customCode: unknown; version: number }) => `${Math.max(c.builtinCode, c.deprecatedBuiltinCode)} ${String(c.customCode)} v${c.version}`;

const names = (Object.keys(MODELS) as ModelName[]).filter((m) => m !== "pose_landmark_heavy");

for (const name of names) {
  test(`${name}: loads, saves, loads back to the same graph; saving again gives the same bytes`, () => {
    const original = modelBytes(name);
    const g = decodeTflite(original, name);
    const saved = encodeTflite(g, name);
    const back = decodeTflite(saved, `${name} (saved)`);
    assert.equal(signature(back), signature(g));
    const constants = (x: Graph) => [...x.constants].map((c) => `${c.constant!.dtype}[${c.constant!.shape}] ${Array.from(c.constant!.data.slice(0, 8), Number)}`).sort();
    assert.equal(constants(back), constants(g));
    assert.ok(encodeTflite(back).every((b, i) => b === saved[i]) && encodeTflite(back).length === saved.length, "a second save differs");
    // Nothing is stored twice: the saved file is about the size of the original.
    assert.ok(saved.length < original.length * 1.1, `saved ${saved.length} bytes from ${original.length}`);
    const m0 = unpackModel(original);
    const m1 = unpackModel(saved);
    assert.equal(m1.metadata.map((m) => m.name), m0.metadata.map((m) => m.name));
    m0.metadata.forEach((m, i) => assert.equal(m1.buffers[m1.metadata[i]!.buffer]!.data, m0.buffers[m.buffer]!.data, `metadata ${String(m.name)}`));
    assert.equal(m1.operatorCodes.map(opcode).sort(), m0.operatorCodes.map(opcode).sort());
  });

  test(`${name}: the saved file gives TFLite's interpreter the outputs of the original`, async () => {
    const original = modelBytes(name);
    const g = decodeTflite(original, name);
    const inputs = imageInputs(g);
    // TFLite's wasm build lacks MediaPipe's custom op: both files get the builtin in its place.
    const custom = [...g.nodes].some((n) => n.op === "Convolution2DTransposeBias");
    const saved = encodeTflite(g);
    const forTflite = (bytes: Uint8Array) => (custom ? encodeTflite(withBuiltinTransposeConv(decodeTflite(bytes))) : bytes);
    const before = await runInterpreter(forTflite(original), inputs);
    const after = await runInterpreter(forTflite(saved), inputs);
    assert.is(after.length, before.length);
    before.forEach((o, i) => assert.equal(Array.from(after[i]!.data), Array.from(o.data), `output ${o.name}`));
  });
}

function randomFeeds(g: Graph): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const v of g.inputs) {
    const shape = v.shape as number[];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37 + 1);
    feeds[v.name] = tensor("float32", shape, data);
  }
  return feeds;
}

test("selfie_segmentation: the custom op runs and keeps its custom options byte for byte", () => {
  const original = modelBytes("selfie_segmentation");
  const g = decodeTflite(original);
  const custom = [...g.nodes].find((n) => n.op === "Convolution2DTransposeBias")!;
  assert.is(custom.domain, "tfl");
  assert.equal(custom.attrs["padding"], { type: "string", value: "SAME" });
  const saved = encodeTflite(g);
  const options = (bytes: Uint8Array) => {
    const m = unpackModel(bytes);
    const code = m.operatorCodes.findIndex((c) => c.customCode === "Convolution2DTransposeBias");
    return m.subgraphs[0]!.operators.find((op) => op.opcodeIndex === code)!.customOptions;
  };
  assert.equal(options(saved), options(original));
  const feeds = randomFeeds(g);
  const a = execute(g, feeds);
  const back = decodeTflite(saved);
  const b = execute(back, Object.fromEntries(back.inputs.map((v, i) => [v.name, feeds[g.inputs[i]!.name]!])));
  const out = g.outputs[0]!;
  assert.equal(Array.from(b[back.outputs[0]!.name]!.data as Float32Array), Array.from(a[out.name]!.data as Float32Array));
  assert.equal(a[out.name]!.shape, [1, 256, 256, 1]);
});

test("face_detection_full_range_sparse: unknown builtins (DENSIFY) and sparse tensors stay opaque and save back unchanged", () => {
  const original = new Uint8Array(readFileSync(SPARSE_MODEL));
  const g = decodeTflite(original);
  const ops = new Set([...g.nodes].map((n) => `${n.domain}::${n.op}`));
  assert.ok(ops.has("tfl.builtin::DENSIFY"), [...ops].join(" "));
  assert.ok(ops.has("tfl.opaque::SparseTensor"));
  const m0 = unpackModel(original);
  const m1 = unpackModel(encodeTflite(g));
  const sparse = (m: typeof m0) => m.subgraphs[0]!.tensors.filter((t) => t.sparsity).map((t) => [String(t.name), m.buffers[t.buffer]!.data.length, JSON.stringify(t.sparsity)]);
  assert.equal(sparse(m1).sort(), sparse(m0).sort());
  assert.is(m1.subgraphs[0]!.operators.length, m0.subgraphs[0]!.operators.length);
});

test("constants that share data are stored in one buffer", () => {
  const g = decodeTflite(modelBytes("face_detection_short_range"));
  const info = tfliteInfo(g)!;
  const [a, b] = [...g.constants].filter((c) => c.constant!.dtype === "float16");
  // Make b read a's data: the saved model holds that data once.
  const before = encodeTflite(g).length;
  b!.constant = { ...a!.constant! };
  b!.shape = [...a!.constant!.shape];
  info.tensors.delete(b!);
  const after = encodeTflite(g);
  const m = unpackModel(after);
  const tensors = m.subgraphs[0]!.tensors;
  const ia = tensors.findIndex((t) => t.name === a!.name);
  const ib = tensors.findIndex((t) => t.name === b!.name);
  assert.is(tensors[ia]!.buffer, tensors[ib]!.buffer);
  assert.ok(after.length < before, `${after.length} ≥ ${before}`);
});

test.run();
