/** ONNX model files: `loadOnnx` reads one into a Graph, `saveOnnx` writes a Graph back. */
export { loadOnnx, decodeOnnx } from "./load.js";
export { saveOnnx, encodeOnnx, type SaveOptions } from "./save.js";
export { ModelFileError, opsetsOf, onnxOpset } from "./meta.js";
export { LoweringError } from "./lower.js";
