/**
 * Common ops one at a time against onnxruntime-web: each case is a one-node model (input x,
 * weights and shape operands as initializers) run by fusec and by onnxruntime-web (wasm EP, 1
 * thread) in interleaved rounds, with the largest difference between the two outputs. Rows
 * where fusec takes more than 1.5× onnxruntime-web's time are marked "!!": the ops to look at
 * next. The real models' speed is bench/speed.ts; this covers the ops they do not use.
 *
 * `npm run bench:op-speed [-- name filter]`
 */
import { pathToFileURL } from "node:url";
import onnxProto from "onnx-proto";
import * as ortWeb from "onnxruntime-web";
import { decodeOnnx, execute, type Tensor } from "../src/index.js";
import { interleaved } from "./timing.js";

const { onnx } = onnxProto;

interface Attr {
  name: string;
  type: number;
  i?: number;
  ints?: number[];
  s?: Uint8Array;
}
const ints = (name: string, value: number[]): Attr => ({ name, type: 7, ints: value });
const int = (name: string, value: number): Attr => ({ name, type: 2, i: value });
const str = (name: string, value: string): Attr => ({ name, type: 3, s: new TextEncoder().encode(value) });

/** An initializer: float32 values drawn from [low, 1) (default low −1), or int64 values. */
type Operand = { shape: number[]; low?: number } | { int64: number[]; shape: number[] };

interface Case {
  name: string;
  op: string;
  x: number[];
  operands?: (Operand | "")[];
  attrs?: Attr[];
  opset?: number;
  outputs?: number;
  /** Output element type (ONNX code): float by default. */
  outputType?: number;
}

const f = (shape: number[], low?: number): Operand => ({ shape, low });
const i64 = (values: number[]): Operand => ({ int64: values, shape: [values.length] });

const CASES: Case[] = [
  { name: "Conv 3x3 s2 64→128 @56", op: "Conv", x: [1, 64, 56, 56], operands: [f([128, 64, 3, 3]), f([128])], attrs: [ints("pads", [1, 1, 1, 1]), ints("strides", [2, 2])] },
  { name: "Conv 7x7 s2 3→64 @224", op: "Conv", x: [1, 3, 224, 224], operands: [f([64, 3, 7, 7])], attrs: [ints("pads", [3, 3, 3, 3]), ints("strides", [2, 2])] },
  { name: "Conv grouped g32 128 @28", op: "Conv", x: [1, 128, 28, 28], operands: [f([128, 4, 3, 3])], attrs: [ints("pads", [1, 1, 1, 1]), int("group", 32)] },
  { name: "Conv 1-D k3 256 @500", op: "Conv", x: [1, 256, 500], operands: [f([256, 256, 3])], attrs: [ints("pads", [1, 1])] },
  { name: "ConvTranspose 4x4 s2 64 @28", op: "ConvTranspose", x: [1, 64, 28, 28], operands: [f([64, 32, 4, 4])], attrs: [ints("pads", [1, 1, 1, 1]), ints("strides", [2, 2])] },
  { name: "MatMul 12x128x64 · 12x64x128", op: "MatMul", x: [12, 128, 64], operands: [f([12, 64, 128])] },
  { name: "Gemm head 1x1280 · 1000x1280ᵀ", op: "Gemm", x: [1, 1280], operands: [f([1000, 1280]), f([1000])], attrs: [int("transB", 1)] },
  { name: "Softmax [12,128,128]", op: "Softmax", x: [12, 128, 128] },
  { name: "Softmax axis 1 [1,21,64,64]", op: "Softmax", x: [1, 21, 64, 64], attrs: [int("axis", 1)] },
  { name: "LogSoftmax [128,1000]", op: "LogSoftmax", x: [128, 1000] },
  { name: "LayerNormalization [1,128,768]", op: "LayerNormalization", x: [1, 128, 768], operands: [f([768]), f([768])] },
  { name: "InstanceNormalization [1,64,56,56]", op: "InstanceNormalization", x: [1, 64, 56, 56], operands: [f([64]), f([64])] },
  { name: "Add [1,64,56,56] + [1,64,1,1]", op: "Add", x: [1, 64, 56, 56], operands: [f([1, 64, 1, 1])] },
  { name: "Max [1,64,56,56] × 2", op: "Max", x: [1, 64, 56, 56], operands: [f([1, 64, 56, 56])] },
  { name: "PRelu [1,64,56,56] by [64,1,1]", op: "PRelu", x: [1, 64, 56, 56], operands: [f([64, 1, 1])] },
  { name: "Sigmoid [1,128,3072]", op: "Sigmoid", x: [1, 128, 3072] },
  { name: "Tanh [1,128,3072]", op: "Tanh", x: [1, 128, 3072] },
  { name: "Exp [1,128,3072]", op: "Exp", x: [1, 128, 3072] },
  { name: "Erf [1,128,3072]", op: "Erf", x: [1, 128, 3072] },
  { name: "Gelu [1,128,3072]", op: "Gelu", x: [1, 128, 3072], opset: 20 },
  { name: "Elu [1,64,56,56]", op: "Elu", x: [1, 64, 56, 56] },
  { name: "Neg [1,64,56,56]", op: "Neg", x: [1, 64, 56, 56] },
  { name: "Sqrt [1,128,768]", op: "Sqrt", x: [1, 128, 768] },
  { name: "Log [1,64,56,56]", op: "Log", x: [1, 64, 56, 56] },
  { name: "MaxPool 3x3 s2 [1,64,112,112]", op: "MaxPool", x: [1, 64, 112, 112], attrs: [ints("kernel_shape", [3, 3]), ints("strides", [2, 2]), ints("pads", [1, 1, 1, 1])] },
  { name: "AveragePool 3x3 [1,64,56,56]", op: "AveragePool", x: [1, 64, 56, 56], attrs: [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1])] },
  { name: "ReduceMean last [1,128,768]", op: "ReduceMean", x: [1, 128, 768], operands: [i64([-1])], opset: 18 },
  { name: "ReduceSum axis 1 [1,64,56,56]", op: "ReduceSum", x: [1, 64, 56, 56], operands: [i64([1])] },
  { name: "ArgMax [128,1000]", op: "ArgMax", x: [128, 1000], attrs: [int("axis", -1)], outputType: 7 },
  { name: "Transpose [1,128,12,64] heads", op: "Transpose", x: [1, 128, 12, 64], attrs: [ints("perm", [0, 2, 1, 3])] },
  { name: "Transpose NCHW→NHWC [1,64,112,112]", op: "Transpose", x: [1, 64, 112, 112], attrs: [ints("perm", [0, 2, 3, 1])] },
  { name: "Slice channels [1,64,56,56]", op: "Slice", x: [1, 64, 56, 56], operands: [i64([0]), i64([32]), i64([1])] },
  { name: "Concat channels [1,64,56,56] × 2", op: "Concat", x: [1, 64, 56, 56], operands: [f([1, 64, 56, 56])], attrs: [int("axis", 1)] },
  { name: "Pad by 1 [1,64,56,56]", op: "Pad", x: [1, 64, 56, 56], operands: [i64([0, 0, 1, 1, 0, 0, 1, 1])] },
  { name: "Expand [1,64,1,1] → [1,64,56,56]", op: "Expand", x: [1, 64, 1, 1], operands: [i64([1, 64, 56, 56])] },
  { name: "Tile [1,64,28,28] by 2×2", op: "Tile", x: [1, 64, 28, 28], operands: [i64([1, 1, 2, 2])] },
  { name: "DepthToSpace 2 [1,64,56,56]", op: "DepthToSpace", x: [1, 64, 56, 56], attrs: [int("blocksize", 2)] },
  { name: "Resize nearest 2× [1,64,56,56]", op: "Resize", x: [1, 64, 56, 56], operands: ["", f([4], 2)], attrs: [str("mode", "nearest")] },
  { name: "Resize linear 2× [1,64,56,56]", op: "Resize", x: [1, 64, 56, 56], operands: ["", f([4], 2)], attrs: [str("mode", "linear")] },
];

/** Reproducible values in [low, 1). */
function values(n: number, seed: number, low = -1): Float32Array {
  const data = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = low + (s / 2 ** 32) * (1 - low);
  }
  return data;
}

function modelOf(c: Case): Uint8Array {
  const initializer: object[] = [];
  const input = ["x"];
  (c.operands ?? []).forEach((operand, i) => {
    if (operand === "") return void input.push("");
    const name = `w${i}`;
    input.push(name);
    if ("int64" in operand) initializer.push({ name, dims: operand.shape, dataType: 7, rawData: new Uint8Array(BigInt64Array.from(operand.int64, BigInt).buffer) });
    // Resize's scales: 1 on N and C, the value on the rest.
    else if (c.op === "Resize") initializer.push({ name, dims: operand.shape, dataType: 1, rawData: new Uint8Array(new Float32Array([1, 1, operand.low!, operand.low!]).buffer) });
    else initializer.push({ name, dims: operand.shape, dataType: 1, rawData: new Uint8Array(values(operand.shape.reduce((a, b) => a * b, 1), 3 + i, operand.low).buffer) });
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: c.opset ?? 17 }],
    graph: {
      name: c.name,
      node: [{ opType: c.op, input, output: ["y"], attribute: c.attrs ?? [] }],
      initializer,
      input: [{ name: "x", type: { tensorType: { elemType: 1, shape: { dim: c.x.map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: "y", type: { tensorType: { elemType: c.outputType ?? 1 } } }],
    },
  }).finish();
}

export async function main(args: readonly string[] = []): Promise<void> {
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.proxy = false;
  ortWeb.env.logLevel = "error";
  const filter = args.find((a) => !a.startsWith("--"))?.toLowerCase();
  console.log(`${"op (one-node model)".padEnd(40)}${"fusec µs".padStart(10)}${"ort-web µs".padStart(12)}${"fusec/web".padStart(11)}${"max err".padStart(10)}`);
  for (const c of CASES) {
    if (filter && !c.name.toLowerCase().includes(filter)) continue;
    const bytes = modelOf(c);
    const graph = decodeOnnx(bytes);
    const x: Tensor = { dtype: "float32", shape: c.x, data: values(c.x.reduce((a, b) => a * b, 1), 7) };
    const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all", intraOpNumThreads: 1 });
    const feeds = { x: new ortWeb.Tensor("float32", x.data as Float32Array, c.x) };
    const ours = execute(graph, { x }).y!.data;
    const theirs = (await web.run(feeds)).y!.data as ArrayLike<number | bigint>;
    let err = 0;
    for (let i = 0; i < theirs.length; i++) {
      const e = Number(theirs[i]);
      const d = Math.abs(Number(ours[i]) - e) / Math.max(1, Math.abs(e));
      if (!(d <= err)) err = Number.isNaN(d) && Number.isNaN(Number(ours[i])) ? err : d;
    }
    const t = await interleaved([() => execute(graph, { x }, { validate: false }), () => web.run(feeds)], 5, 21, 600);
    const ratio = t.ms[0]! / t.ms[1]!;
    console.log(`${(ratio > 1.5 ? "!! " : "   ") + c.name.padEnd(37)}${(t.ms[0]! * 1000).toFixed(0).padStart(10)}${(t.ms[1]! * 1000).toFixed(0).padStart(12)}${ratio.toFixed(2).padStart(11)}${err.toExponential(1).padStart(10)}`);
    await web.release();
  }
  console.log("interleaved rounds (≥ 5 and ≥ 0.6 s warm-up, median of 21); ort-web: wasm EP, 1 thread, opt all; !!: fusec over 1.5× ort-web");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main(process.argv.slice(2));
  process.exit(0);
}
