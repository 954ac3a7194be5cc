/**
 * What a TFLite file holds besides the main graph survives load and save: signatures (their
 * tensor indices renumbered to the saved tensors), other subgraphs with the buffers they use,
 * unknown dims (shape_signature −1, loaded as symbolic dims), the model description.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeTflite, encodeTflite } from "../../src/tflite/index.js";
import { SignatureDefT, SubGraphT, TensorMapT, TensorT } from "../../src/tflite/schema/schema_generated.js";
import { modelBytes, packModel, unpackModel } from "./helpers.js";

const base = modelBytes("face_detection_short_range");

test("signatures keep their names and point at the same tensors after a save", () => {
  const m = unpackModel(base);
  const sub = m.subgraphs[0]!;
  m.signatureDefs = [
    new SignatureDefT(
      [new TensorMapT("image", sub.inputs[0]!)],
      [new TensorMapT("boxes", sub.outputs[0]!), new TensorMapT("scores", sub.outputs[1]!)],
      "serving_default",
      0,
    ),
  ];
  const saved = unpackModel(encodeTflite(decodeTflite(packModel(m))));
  const sig = saved.signatureDefs[0]!;
  assert.is(sig.signatureKey, "serving_default");
  const tensors = saved.subgraphs[0]!.tensors;
  const named = (maps: TensorMapT[]) => maps.map((t) => [t.name, tensors[t.tensorIndex]!.name]);
  assert.equal(named(sig.inputs), [["image", sub.tensors[sub.inputs[0]!]!.name]]);
  assert.equal(named(sig.outputs), [
    ["boxes", sub.tensors[sub.outputs[0]!]!.name],
    ["scores", sub.tensors[sub.outputs[1]!]!.name],
  ]);
});

test("a signature naming a tensor that is not an input is a load error", () => {
  const m = unpackModel(base);
  m.signatureDefs = [new SignatureDefT([new TensorMapT("x", 5)], [], "bad", 0)];
  assert.throws(() => decodeTflite(packModel(m), "sig.tflite"), /sig\.tflite: signature "bad" names tensor 5 as an input/);
});

test("other subgraphs are kept with their buffers, renumbered", () => {
  const m = unpackModel(base);
  // A second subgraph (as a WHILE body would be): one constant tensor with its own buffer.
  const data = [1, 2, 3, 4, 5, 6, 7, 8];
  m.buffers.push(Object.assign(Object.create(Object.getPrototypeOf(m.buffers[0]!)), { data, offset: 0n, size: 0n }));
  const t = new TensorT([2], 0, m.buffers.length - 1, "body_const");
  m.subgraphs.push(new SubGraphT([t], [], [0], [], "body"));
  m.description = "a model with two subgraphs";
  const saved = unpackModel(encodeTflite(decodeTflite(packModel(m))));
  assert.is(saved.subgraphs.length, 2);
  assert.is(saved.subgraphs[1]!.name, "body");
  const kept = saved.subgraphs[1]!.tensors[0]!;
  assert.is(kept.name, "body_const");
  assert.equal(saved.buffers[kept.buffer]!.data, data);
  assert.is(saved.description, "a model with two subgraphs");
});

test("unknown dims (shape_signature −1) load as symbolic dims and save back", () => {
  const m = unpackModel(base);
  const sub = m.subgraphs[0]!;
  sub.tensors[sub.inputs[0]!]!.shapeSignature = [-1, 128, 128, 3];
  const g = decodeTflite(packModel(m));
  assert.equal(g.inputs[0]!.shape, ["batch", 128, 128, 3]);
  const saved = unpackModel(encodeTflite(g));
  const input = saved.subgraphs[0]!.tensors[saved.subgraphs[0]!.inputs[0]!]!;
  assert.equal(input.shapeSignature, [-1, 128, 128, 3]);
  assert.equal(input.shape, [1, 128, 128, 3]);
});

test.run();
