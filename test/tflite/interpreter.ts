/**
 * The oracle: TFLite's own interpreter, as @tensorflow/tfjs-tflite ships it compiled to wasm
 * (tflite_web_api_cc_simd), run in Node through its Emscripten module and the interpreter
 * runner it exposes (TFLiteWebModelRunner: create from model bytes, fill inputs, Infer, read
 * outputs). No browser is needed: the module detects Node; only the .wasm is handed over as
 * bytes because Node's fetch cannot read files.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

interface TensorInfo {
  name: string;
  dataType: string;
  shape: string;
  data(): Float32Array | Int32Array | Uint8Array | Int8Array;
}
interface InfoVector {
  size(): number;
  get(i: number): TensorInfo;
}
interface Runner {
  GetInputs(): InfoVector;
  GetOutputs(): InfoVector;
  Infer(): boolean;
  delete(): void;
}
interface WasmModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(ptr: number, size: number, options: Record<string, unknown>): { ok(): boolean; value(): Runner; errorMessage?(): string };
  };
}

const dir = resolve("node_modules/@tensorflow/tfjs-tflite/wasm");
let loaded: Promise<WasmModule> | undefined;

function wasm(): Promise<WasmModule> {
  loaded ??= (() => {
    const factory = createRequire(import.meta.url)(join(dir, "tflite_web_api_cc_simd.js")) as (m: object) => Promise<WasmModule>;
    return factory({ locateFile: (f: string) => join(dir, f), wasmBinary: readFileSync(join(dir, "tflite_web_api_cc_simd.wasm")), print: () => {}, printErr: () => {} });
  })();
  return loaded;
}

export interface InterpreterOutput {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Runs `.tflite` bytes in TFLite's interpreter on float32 inputs (in the model's input order). */
export async function runInterpreter(model: Uint8Array, inputs: readonly Float32Array[]): Promise<InterpreterOutput[]> {
  const M = await wasm();
  const ptr = M._malloc(model.length);
  M.HEAPU8.set(model, ptr);
  // The runner keeps reading the model from this memory: it is not freed (tests load few models).
  const created = M.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, model.length, {
    numThreads: 1,
    enableWebNNDelegate: false,
    webNNDevicePreference: 0,
    webNNNumThreads: 1,
    enableProfiling: false,
    maxProfilingBufferEntries: 1024,
  });
  if (!created.ok()) throw new Error(`TFLite could not load the model${created.errorMessage ? `: ${created.errorMessage()}` : ""}`);
  const runner = created.value();
  try {
    const ins = runner.GetInputs();
    if (ins.size() !== inputs.length) throw new Error(`the model has ${ins.size()} inputs, got ${inputs.length}`);
    for (let i = 0; i < ins.size(); i++) {
      const info = ins.get(i);
      if (info.dataType !== "float32") throw new Error(`input ${info.name} is ${info.dataType}`);
      info.data().set(inputs[i]!);
    }
    if (!runner.Infer()) throw new Error("TFLite inference failed");
    const outs = runner.GetOutputs();
    const result: InterpreterOutput[] = [];
    for (let i = 0; i < outs.size(); i++) {
      const info = outs.get(i);
      result.push({ name: info.name, shape: info.shape.split(",").map(Number), data: Float32Array.from(info.data()) });
    }
    return result;
  } finally {
    runner.delete();
  }
}
