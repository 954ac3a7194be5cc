/** Shared by the TFLite tests: the MediaPipe models the dev dependencies ship, and a CLI runner. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as flatbuffers from "flatbuffers";
import "../../src/kernels/index.js";
import { execute } from "../../src/kernels/index.js";
import type { Graph } from "../../src/runtime/graph.js";
import { tensor, type Tensor } from "../../src/runtime/tensor.js";
import { Model, ModelT } from "../../src/tflite/schema/schema_generated.js";

export const MODELS = {
  face_detection_short_range: "node_modules/@mediapipe/face_detection/face_detection_short_range.tflite",
  face_detection_full_range: "node_modules/@mediapipe/face_detection/face_detection_full_range.tflite",
  selfie_segmentation: "node_modules/@mediapipe/selfie_segmentation/selfie_segmentation.tflite",
  selfie_segmentation_landscape: "node_modules/@mediapipe/selfie_segmentation/selfie_segmentation_landscape.tflite",
  hand_landmark_lite: "node_modules/@mediapipe/hands/hand_landmark_lite.tflite",
  hand_landmark_full: "node_modules/@mediapipe/hands/hand_landmark_full.tflite",
  pose_landmark_lite: "node_modules/@mediapipe/pose/pose_landmark_lite.tflite",
  pose_landmark_full: "node_modules/@mediapipe/pose/pose_landmark_full.tflite",
  pose_landmark_heavy: "node_modules/@mediapipe/pose/pose_landmark_heavy.tflite",
} as const;

/** Not among the models the issue lists; it has sparse tensors and DENSIFY ops. */
export const SPARSE_MODEL = "node_modules/@mediapipe/face_detection/face_detection_full_range_sparse.tflite";

export type ModelName = keyof typeof MODELS;

export function modelBytes(name: ModelName): Uint8Array {
  return new Uint8Array(readFileSync(MODELS[name]));
}

/** The whole model in flatc's object API, to build edited (e.g. malformed) copies. */
export function unpackModel(bytes: Uint8Array): ModelT {
  return Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes)).unpack();
}

export function packModel(model: ModelT): Uint8Array {
  const b = new flatbuffers.Builder(1024);
  Model.finishModelBuffer(b, model.pack(b));
  return b.asUint8Array().slice();
}

export function fusec(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/fusec.js", ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Smooth deterministic inputs in [0, 1), as an image would be. */
export function imageInputs(g: Graph): Float32Array[] {
  return g.inputs.map((v) => {
    const shape = v.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    return Float32Array.from({ length: n }, (_, i) => 0.5 + 0.5 * Math.sin(i * 0.011) * Math.cos(i * 0.0007));
  });
}

export function runFusec(g: Graph, inputs: Float32Array[]): Tensor[] {
  const feeds = Object.fromEntries(g.inputs.map((v, i) => [v.name, tensor("float32", v.shape as number[], inputs[i])]));
  const out = execute(g, feeds);
  return g.outputs.map((v) => out[v.name]!);
}

/** max|a − b| / max(1, max|b|); lengths must agree. */
export function scaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`${a.length} values against ${b.length}`);
  let err = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}


/** The model with every Convolution2DTransposeBias replaced by the builtin TransposeConv. */
export function withBuiltinTransposeConv(g: Graph): Graph {
  for (const node of [...g.nodes]) {
    if (node.op !== "Convolution2DTransposeBias") continue;
    const [x, f, b] = node.inputs;
    const y = node.outputs[0]!;
    const shape = g.addConstant(tensor("int32", [4], y.shape as number[]), `${y.name}_shape`);
    const { padding, stride_h, stride_w } = node.attrs;
    const z = g.newValue(`${y.name}_transpose_conv`, y.dtype, y.shape);
    g.addNode({ op: "TransposeConv", domain: "tfl", inputs: [shape, f, x, b], attrs: { padding: padding!, stride_h: stride_h!, stride_w: stride_w! }, outputs: [z] });
    g.replaceAllUses(y, z);
    g.removeNode(node);
  }
  return g;
}
