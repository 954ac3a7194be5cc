/**
 * fusec against TFLite's own interpreter (test/tflite/interpreter.ts): on
 * face_detection_short_range, hand_landmark_lite and selfie_segmentation, fusec's executor on
 * the loaded model agrees with TFLite on the original file, and TFLite gives the same outputs
 * on the file fusec saves after optimizing it with the tflite pack (max error ≤ 1e-4, scaled by
 * max(1, max|reference|)). The other models are compared by `npm run bench:tflite`.
 *
 * TFLite's wasm build lacks MediaPipe's custom op Convolution2DTransposeBias, so for
 * selfie_segmentation TFLite runs a copy whose custom op is replaced by the builtin
 * TRANSPOSE_CONV with the same filter, bias, strides and SAME padding (what the custom op
 * computes), while fusec runs the original with its own kernel of the custom op.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import "../../src/kernels/index.js";
import { decodeTflite, encodeTflite } from "../../src/tflite/index.js";
import { loadPass, optimize } from "../../src/index.js";
import { runInterpreter } from "./interpreter.js";
import { imageInputs, modelBytes, runFusec, scaledError, withBuiltinTransposeConv, type ModelName } from "./helpers.js";

const TOLERANCE = 1e-4;

const cases: ModelName[] = ["face_detection_short_range", "hand_landmark_lite", "selfie_segmentation"];
const pack = await loadPass("tflite");

for (const name of cases) {
  test(`${name}: fusec agrees with TFLite's interpreter, before and after the tflite pack`, async () => {
    const bytes = modelBytes(name);
    const g = decodeTflite(bytes, name);
    const inputs = imageInputs(g);
    const ours = runFusec(g, inputs);
    const custom = [...g.nodes].some((n) => n.op === "Convolution2DTransposeBias");
    const forTflite = custom ? encodeTflite(withBuiltinTransposeConv(decodeTflite(bytes))) : bytes;
    const reference = await runInterpreter(forTflite, inputs);
    ours.forEach((t, i) => {
      assert.equal([...t.shape], reference[i]!.shape);
      const err = scaledError(t.data as Float32Array, reference[i]!.data);
      assert.ok(err <= TOLERANCE, `${name} output ${i}: fusec vs TFLite error ${err}`);
    });

    const optimized = decodeTflite(bytes, name);
    const stats = optimize(optimized, { passes: pack });
    const saved = encodeTflite(custom ? withBuiltinTransposeConv(optimized) : optimized);
    const after = await runInterpreter(saved, inputs);
    after.forEach((o, i) => {
      const err = scaledError(o.data, reference[i]!.data);
      assert.ok(err <= TOLERANCE, `${name} output ${i}: optimized (${stats.nodesBefore} → ${stats.nodesAfter} nodes) vs original in TFLite: error ${err}`);
    });
  });
}

test.run();
