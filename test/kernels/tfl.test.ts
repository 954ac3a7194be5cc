import { test } from "uvu";
import type { Attr } from "../../src/runtime/graph.js";
import type { Tensor } from "../../src/runtime/tensor.js";
import { assertClose, int, ints, randomTensor, runOurs, str } from "./oracle.js";

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

const cases: TflConvCase[] = [
  { name: "VALID 3x3", input: [2, 7, 6, 3], kernel: [3, 3], out: 5, attrs: {}, onnx: {} },
  { name: "SAME stride 2", input: [1, 7, 6, 3], kernel: [3, 3], out: 4, attrs: { padding: str("SAME"), stride_h: int(2), stride_w: int(2) }, onnx: { auto_pad: str("SAME_UPPER"), strides: ints([2, 2]) } },
  { name: "SAME dilated", input: [1, 8, 8, 2], kernel: [3, 2], out: 3, attrs: { padding: str("SAME"), dilation_h_factor: int(2), dilation_w_factor: int(3) }, onnx: { pads: ints([2, 1, 2, 2]), dilations: ints([2, 3]) } },
  { name: "1x1 pointwise RELU6", input: [1, 5, 5, 4], kernel: [1, 1], out: 6, attrs: { fused_activation_function: str("RELU6") }, onnx: { activation: str("Clip"), activation_params: { type: "floats", value: [0, 6] } }, act: ["RELU6", "Clip"] },
  { name: "RELU", input: [1, 6, 6, 3], kernel: [3, 3], out: 4, attrs: { padding: str("SAME"), fused_activation_function: str("RELU") }, onnx: { auto_pad: str("SAME_UPPER"), activation: str("Relu") } },
];

for (const c of cases) {
  test(`tfl Conv2D ${c.name} equals ONNX Conv after transposing layouts`, () => {
    const x = randomTensor(c.input, 1);
    const filter = randomTensor([c.out, c.kernel[0], c.kernel[1], c.input[3]!], 2); // OHWI
    const bias = randomTensor([c.out], 3);
    const [ours] = runOurs({ op: "Conv2D", domain: "tfl", inputs: [x, filter, bias], attrs: c.attrs });
    const w = transpose(filter, [0, 3, 1, 2]); // OHWI → OIHW
    const [ref] = runOurs({ op: "FusedConv", domain: "com.microsoft", inputs: [transpose(x, toNchw), w, bias], attrs: c.onnx });
    assertClose(ours!, transpose(ref!, toNhwc), 1e-5, c.name);
  });
}

test("tfl DepthwiseConv2D (multiplier 1 and 2, SAME, strides, TANH) equals ONNX grouped Conv", () => {
  for (const mult of [1, 2]) {
    const x = randomTensor([1, 7, 8, 3], 4);
    const o = 3 * mult;
    const filter = randomTensor([1, 3, 3, o], 5);
    const bias = randomTensor([o], 6);
    const [ours] = runOurs({
      op: "DepthwiseConv2D",
      domain: "tfl",
      inputs: [x, filter, bias],
      attrs: { padding: str("SAME"), stride_h: int(2), depth_multiplier: int(mult), fused_activation_function: str("TANH") },
    });
    const w = transpose(filter, [3, 0, 1, 2]); // [1,KH,KW,O] → [O,1,KH,KW]
    const [ref] = runOurs({
      op: "FusedConv",
      domain: "com.microsoft",
      inputs: [transpose(x, toNchw), w, bias],
      attrs: { group: int(3), auto_pad: str("SAME_UPPER"), strides: ints([2, 1]), activation: str("Tanh") },
    });
    assertClose(ours!, transpose(ref!, toNhwc), 1e-5, `multiplier ${mult}`);
  }
});

test("tfl Reshape takes its shape from the second operand", () => {
  const x = randomTensor([2, 6], 7);
  const [y] = runOurs({ op: "Reshape", domain: "tfl", inputs: [x, { dtype: "int32", shape: [3], data: Int32Array.from([3, -1, 2]) }] });
  assertClose(y!, { ...x, shape: [3, 2, 2] }, 0);
});

test.run();
