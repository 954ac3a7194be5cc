import { test } from "uvu";
import type { Attr } from "../../src/runtime/graph.js";
import type { Tensor } from "../../src/runtime/tensor.js";
import { selectGemmKernel } from "../../src/kernels/gemm.js";
import { assertClose, floats, int, ints, randomTensor, runOrt, runOurs, str } from "./oracle.js";

function transpose(t: Tensor, perm: number[]): Tensor {
  return runOurs({ op: "Transpose", inputs: [t], attrs: { perm: ints(perm) } })[0]!;
}

const toNchw = [0, 3, 1, 2];
const toNhwc = [0, 2, 3, 1];

interface TflConvCase {
  name: string;
  input: number[];
  kernel: [number, number];
  out: number;
  attrs: Record<string, Attr>;
  onnx: Record<string, Attr>;
  act?: [string, string];
}

const relu6 = { activation: str("Clip"), activation_params: floats([0, 6]) };

const cases: TflConvCase[] = [
  { name: "VALID 3x3", input: [2, 7, 6, 3], kernel: [3, 3], out: 5, attrs: {}, onnx: {} },
  { name: "SAME stride 2", input: [1, 7, 6, 3], kernel: [3, 3], out: 4, attrs: { padding: str("SAME"), stride_h: int(2), stride_w: int(2) }, onnx: { auto_pad: str("SAME_UPPER"), strides: ints([2, 2]) } },
  { name: "SAME dilated", input: [1, 8, 8, 2], kernel: [3, 2], out: 3, attrs: { padding: str("SAME"), dilation_h_factor: int(2), dilation_w_factor: int(3) }, onnx: { pads: ints([2, 1, 2, 2]), dilations: ints([2, 3]) } },
  { name: "1x1 pointwise RELU6", input: [1, 5, 5, 4], kernel: [1, 1], out: 6, attrs: { fused_activation_function: str("RELU6") }, onnx: { activation: str("Clip"), activation_params: { type: "floats", value: [0, 6] } }, act: ["RELU6", "Clip"] },
  { name: "RELU", input: [1, 6, 6, 3], kernel: [3, 3], out: 4, attrs: { padding: str("SAME"), fused_activation_function: str("RELU") }, onnx: { auto_pad: str("SAME_UPPER"), activation: str("Relu") } },
  { name: "5x5 SAME stride 2 RELU6, batch 2", input: [2, 13, 11, 5], kernel: [5, 5], out: 9, attrs: { padding: str("SAME"), stride_h: int(2), stride_w: int(2), fused_activation_function: str("RELU6") }, onnx: { auto_pad: str("SAME_UPPER"), strides: ints([2, 2]), ...relu6 } },
  { name: "1x1 strided", input: [1, 9, 7, 6], kernel: [1, 1], out: 5, attrs: { stride_h: int(2), stride_w: int(3) }, onnx: { strides: ints([2, 3]) } },
  { name: "1x1 TANH, batch 3", input: [3, 4, 5, 7], kernel: [1, 1], out: 10, attrs: { fused_activation_function: str("TANH") }, onnx: { activation: str("Tanh") } },
];

for (const c of cases) {
  test(`tfl Conv2D ${c.name} equals onnxruntime's FusedConv after transposing layouts`, async () => {
    const x = randomTensor(c.input, 1);
    const filter = randomTensor([c.out, c.kernel[0], c.kernel[1], c.input[3]!], 2); // OHWI
    const bias = randomTensor([c.out], 3);
    const w = transpose(filter, [0, 3, 1, 2]); // OHWI → OIHW
    // onnxruntime's FusedConv needs an activation: without one, the reference is a plain Conv.
    const [ref] = await runOrt({ op: c.onnx.activation ? "FusedConv" : "Conv", domain: c.onnx.activation ? "com.microsoft" : "", inputs: [transpose(x, toNchw), w, bias], attrs: c.onnx });
    const expected = transpose(ref!, toNhwc);
    for (const kernel of ["wasm-simd", "js"] as const) {
      selectGemmKernel(kernel);
      try {
        const [ours] = runOurs({ op: "Conv2D", domain: "tfl", inputs: [x, filter, bias], attrs: c.attrs });
        assertClose(ours!, expected, 1e-4, `${c.name} ${kernel}`);
      } finally {
        selectGemmKernel("wasm-simd");
      }
    }
  });
}

/** [name, input NHWC, kernel, multiplier, tfl attrs, the same as FusedConv attrs] */
const depthwiseCases: [string, number[], number, number, Record<string, Attr>, Record<string, Attr>][] = [
  ["3x3 SAME stride 2,1 TANH", [1, 7, 8, 3], 3, 1, { padding: str("SAME"), stride_h: int(2), fused_activation_function: str("TANH") }, { auto_pad: str("SAME_UPPER"), strides: ints([2, 1]), activation: str("Tanh") }],
  ["3x3 SAME stride 2,1 TANH multiplier 2", [1, 7, 8, 3], 3, 2, { padding: str("SAME"), stride_h: int(2), fused_activation_function: str("TANH") }, { auto_pad: str("SAME_UPPER"), strides: ints([2, 1]), activation: str("Tanh") }],
  ["3x3 SAME RELU6", [2, 12, 13, 6], 3, 1, { padding: str("SAME"), fused_activation_function: str("RELU6") }, { auto_pad: str("SAME_UPPER"), ...relu6 }],
  ["3x3 VALID stride 2 RELU", [1, 16, 16, 8], 3, 1, { stride_h: int(2), stride_w: int(2), fused_activation_function: str("RELU") }, { strides: ints([2, 2]), activation: str("Relu") }],
  ["5x5 SAME stride 2 RELU", [1, 15, 18, 4], 5, 1, { padding: str("SAME"), stride_h: int(2), stride_w: int(2), fused_activation_function: str("RELU") }, { auto_pad: str("SAME_UPPER"), strides: ints([2, 2]), activation: str("Relu") }],
  ["3x3 dilated RELU", [1, 10, 9, 3], 3, 1, { padding: str("SAME"), dilation_h_factor: int(2), dilation_w_factor: int(2), fused_activation_function: str("RELU") }, { pads: ints([2, 2, 2, 2]), dilations: ints([2, 2]), activation: str("Relu") }],
];

for (const [name, input, k, mult, attrs, onnxAttrs] of depthwiseCases) {
  test(`tfl DepthwiseConv2D ${name} equals onnxruntime's grouped FusedConv`, async () => {
    const x = randomTensor(input, 4);
    const c = input[3]!;
    const o = c * mult;
    const filter = randomTensor([1, k, k, o], 5);
    const bias = randomTensor([o], 6);
    const w = transpose(filter, [3, 0, 1, 2]); // [1,KH,KW,O] → [O,1,KH,KW]
    const [ref] = await runOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [transpose(x, toNchw), w, bias], attrs: { group: int(c), ...onnxAttrs } });
    for (const kernel of ["wasm-simd", "js"] as const) {
      selectGemmKernel(kernel);
      try {
        const [ours] = runOurs({ op: "DepthwiseConv2D", domain: "tfl", inputs: [x, filter, bias], attrs: { ...attrs, depth_multiplier: int(mult) } });
        assertClose(ours!, transpose(ref!, toNhwc), 1e-4, `${name} ${kernel}`);
      } finally {
        selectGemmKernel("wasm-simd");
      }
    }
  });
}

test("tfl Reshape takes its shape from the second operand", () => {
  const x = randomTensor([2, 6], 7);
  const [y] = runOurs({ op: "Reshape", domain: "tfl", inputs: [x, { dtype: "int32", shape: [3], data: Int32Array.from([3, -1, 2]) }] });
  assertClose(y!, { ...x, shape: [3, 2, 2] }, 0);
});

test.run();
