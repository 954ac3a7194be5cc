/** TFLite model files: `decodeTflite` reads `.tflite` bytes into a Graph, `encodeTflite` writes one back. */
export { decodeTflite, TFLITE_SCHEMA_VERSION } from "./decode.js";
export { encodeTflite } from "./encode.js";
export { foldDequantize } from "./fold.js";
export { tfliteInfo, type TfliteInfo } from "./model.js";
