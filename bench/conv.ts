/**
 * Convolution throughput: a 1×32×112×112 input, 64 3×3 filters, stride 1, pad 1, through our
 * im2col + blocked GEMM (WebAssembly SIMD kernel, and the JavaScript fallback for comparison)
 * and through onnxruntime-node on one thread. The contenders run in alternation, round after
 * round, so that load from other processes hits them alike; prints the median GFLOP/s of each
 * after a warm-up long enough for V8 to optimize the packing and epilogue code, and the ratio.
 */
import { pathToFileURL } from "node:url";
import onnxProto from "onnx-proto";
import ort from "onnxruntime-node";
import { selectGemmKernel } from "../src/kernels/gemm.js";
import { execute } from "../src/kernels/index.js";
import { Graph } from "../src/runtime/graph.js";
import { f32, type Tensor } from "../src/runtime/tensor.js";
import { interleaved } from "./timing.js";

const { onnx } = onnxProto;

const N = 1, C = 32, H = 112, W = 112, O = 64, K = 3;
const FLOPS = 2 * N * O * H * W * C * K * K;

function random(shape: number[], seed: number): Tensor {
  let s = seed;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return f32(shape, data);
}


function convModel(weights: Tensor, bias: Tensor): Uint8Array {
  const tensorProto = (name: string, t: Tensor) => ({
    name,
    dims: [...t.shape],
    dataType: 1,
    rawData: new Uint8Array(t.data.buffer.slice(0)),
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "conv",
      node: [{ opType: "Conv", input: ["x", "w", "b"], output: ["y"], attribute: [{ name: "pads", type: 7, ints: [1, 1, 1, 1] }] }],
      initializer: [tensorProto("w", weights), tensorProto("b", bias)],
      input: [{ name: "x", type: { tensorType: { elemType: 1, shape: { dim: [N, C, H, W].map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: "y", type: { tensorType: { elemType: 1 } } }],
    },
  }).finish();
}

export async function main(): Promise<void> {
  const x = random([N, C, H, W], 1);
  const weights = random([O, C, K, K], 2);
  const bias = random([O], 3);

  const g = new Graph();
  const xv = g.addInput("x", "float32", [N, C, H, W]);
  const y = g.newValue("y");
  g.addNode({ op: "Conv", inputs: [xv, g.addConstant(weights, "w"), g.addConstant(bias, "b")], attrs: { pads: { type: "ints", value: [1, 1, 1, 1] } }, outputs: [y] });
  g.outputs = [y];
  const session = await ort.InferenceSession.create(convModel(weights, bias), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const feed = { x: new ort.Tensor("float32", x.data as Float32Array, [N, C, H, W]) };
  const ours = () => execute(g, { x }, { validate: false });
  const oursJs = () => {
    selectGemmKernel("js");
    try {
      return execute(g, { x }, { validate: false });
    } finally {
      selectGemmKernel("wasm-simd");
    }
  };
  const [simd, js, theirs] = (await interleaved([ours, oursJs, () => session.run(feed)], 20, 21)).ms;

  const gflops = (ms: number) => FLOPS / (ms * 1e6);
  const line = (label: string, ms: number) => `  ${label.padEnd(28)} ${ms.toFixed(2).padStart(7)} ms  ${gflops(ms).toFixed(2).padStart(6)} GFLOP/s`;
  console.log(`conv 1x${C}x${H}x${W}, ${O} ${K}x${K} filters, stride 1, pad 1 (${(FLOPS / 1e9).toFixed(3)} GFLOP), medians of 21 alternating runs`);
  console.log(line("fusec (wasm SIMD kernel)", simd!));
  console.log(line("fusec (JavaScript kernel)", js!));
  console.log(line("onnxruntime-node (1 thread)", theirs!));
  console.log(`  ratio fusec/onnxruntime throughput: ${(theirs! / simd!).toFixed(3)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
