/**
 * fusec's programmatic API for Node (`import … from "fusec"`): everything in `fusec/runtime`
 * (graphs, passes, optimize, prepare/execute), `fusec/onnx` and the TFLite codec (bytes in,
 * bytes out), plus the
 * file system: load and save models by path, load compiled passes by name or path.
 * Browsers and bundles use `fusec/runtime`, `fusec/onnx` and `fusec/packs/*` instead.
 */
import "./node/threads.js";
export * from "./runtime/api.js";
export { decodeOnnx, encodeOnnx, ModelFileError, LoweringError, opsetsOf, onnxOpset, type SaveOptions } from "./onnx/index.js";
export { decodeTflite, encodeTflite, foldDequantize } from "./tflite/index.js";
export { loadOnnx, saveOnnx, loadGraph, saveGraph, graphFromJSON, defaultPack } from "./node/models.js";
export { writeAtomically } from "./node/files.js";
export { loadPass, PassLoadError } from "./node/pass.js";
