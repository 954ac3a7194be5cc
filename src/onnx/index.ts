/**
 * ONNX models as bytes (`fusec/onnx`, platform-neutral): `decodeOnnx` turns ModelProto bytes
 * into a Graph, `encodeOnnx` turns a Graph back into bytes. Files: `loadOnnx`/`saveOnnx` in `fusec`.
 */
export { decodeOnnx } from "./load.js";
export { encodeOnnx, type SaveOptions } from "./save.js";
export { ModelFileError, opsetsOf, onnxOpset } from "./meta.js";
export { LoweringError } from "./lower.js";
