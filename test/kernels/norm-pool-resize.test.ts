import { test } from "uvu";
import * as assert from "uvu/assert";
import { f32, i64 } from "../../src/runtime/tensor.js";
import { assertClose, checkAgainstOrt, float, int, ints, randomTensor, runOurs, str } from "./oracle.js";

test("BatchNormalization (inference) matches onnxruntime", async () => {
  const variance = randomTensor([4], 4);
  (variance.data as Float32Array).forEach((v, i, d) => (d[i] = Math.abs(v) + 0.1));
  await checkAgainstOrt({ op: "BatchNormalization", inputs: [randomTensor([2, 4, 3, 5], 1), randomTensor([4], 2), randomTensor([4], 3), randomTensor([4], 5), variance], attrs: { epsilon: float(1e-3) } });
  // Planes of 35 floats from a node (arena tensors): the SIMD per-row affine kernel, vectors and a tail.
  const params = [randomTensor([4], 2), randomTensor([4], 3), randomTensor([4], 5), variance];
  await checkAgainstOrt({ op: "BatchNormalization", inputs: [randomTensor([2, 4, 5, 7], 6), ...params], attrs: { epsilon: float(1e-3) }, produced: true }, 1e-4, "produced");
});

test("Softmax along each axis matches onnxruntime", async () => {
  for (const axis of [-1, 0, 1, 2]) await checkAgainstOrt({ op: "Softmax", inputs: [randomTensor([3, 4, 5], 6)], attrs: { axis: int(axis) } }, 1e-5, `axis ${axis}`);
  // Over channels of NCHW planes (columns of rows), large logits, in and out of the kernel memory.
  const logits = randomTensor([2, 21, 9, 10], 7);
  (logits.data as Float32Array).forEach((v, i, d) => (d[i] = v * 50 + (i % 5 === 0 ? 300 : 0)));
  for (const produced of [false, true]) await checkAgainstOrt({ op: "Softmax", inputs: [logits], attrs: { axis: int(1) }, produced }, 1e-6, `channels, produced ${produced}`);
});

test("Softmax over a wide last axis with large logits matches onnxruntime", async () => {
  const x = randomTensor([3, 2, 700], 20);
  (x.data as Float32Array).forEach((v, i, d) => (d[i] = v * 80 + (i % 3 === 0 ? 500 : 0)));
  await checkAgainstOrt({ op: "Softmax", inputs: [x] }, 1e-6);
  await checkAgainstOrt({ op: "Softmax", inputs: [randomTensor([4, 1], 21)] }, 1e-6, "rows of one");
});

test("ReduceMean with axes attribute (opset 17) and input (opset 18) matches onnxruntime", async () => {
  const x = randomTensor([2, 3, 4, 5], 7);
  await checkAgainstOrt({ op: "ReduceMean", inputs: [x], attrs: { axes: ints([2, 3]) } }, 1e-5);
  await checkAgainstOrt({ op: "ReduceMean", inputs: [x], attrs: { axes: ints([1]), keepdims: int(0) } }, 1e-5);
  await checkAgainstOrt({ op: "ReduceMean", inputs: [x] }, 1e-5);
  await checkAgainstOrt({ op: "ReduceMean", inputs: [x, i64([2], [-1, 0])], opset: 18 }, 1e-5);
});

const poolCases: [string, Record<string, ReturnType<typeof ints>>][] = [
  ["2x2 stride 2", { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }],
  ["3x3 pads", { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) }],
  ["asymmetric pads, stride", { kernel_shape: ints([3, 2]), pads: ints([0, 1, 2, 0]), strides: ints([2, 1]) }],
  ["ceil_mode", { kernel_shape: ints([3, 3]), strides: ints([2, 2]), ceil_mode: int(1) }],
  ["ceil_mode with pads", { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), ceil_mode: int(1) }],
  ["SAME_UPPER", { kernel_shape: ints([3, 3]), strides: ints([2, 2]), auto_pad: str("SAME_UPPER") as never }],
  ["5x4 window (no unrolled form), pads", { kernel_shape: ints([5, 4]), pads: ints([2, 1, 2, 2]) }],
  ["window as wide as the input", { kernel_shape: ints([9, 8]) }],
  ["1x1 stride 3", { kernel_shape: ints([1, 1]), strides: ints([3, 3]) }],
];

for (const [name, attrs] of poolCases) {
  test(`MaxPool and AveragePool ${name} match onnxruntime`, async () => {
    const x = randomTensor([2, 3, 9, 8], 8);
    await checkAgainstOrt({ op: "MaxPool", inputs: [x], attrs }, 1e-6, `MaxPool ${name}`);
    await checkAgainstOrt({ op: "AveragePool", inputs: [x], attrs }, 1e-6, `AveragePool ${name}`);
    await checkAgainstOrt({ op: "AveragePool", inputs: [x], attrs: { ...attrs, count_include_pad: int(1) } }, 1e-6, `AveragePool include pad ${name}`);
  });
}

test("MaxPool with dilations and 1-D pooling match onnxruntime", async () => {
  await checkAgainstOrt({ op: "MaxPool", inputs: [randomTensor([1, 2, 9, 9], 9)], attrs: { kernel_shape: ints([2, 2]), dilations: ints([2, 2]) } });
  const dilatedPadded = { kernel_shape: ints([3, 3]), dilations: ints([2, 2]), pads: ints([2, 2, 2, 2]), strides: ints([2, 1]) };
  await checkAgainstOrt({ op: "MaxPool", inputs: [randomTensor([1, 2, 9, 10], 9)], attrs: dilatedPadded });
  await checkAgainstOrt({ op: "AveragePool", inputs: [randomTensor([1, 2, 11], 10)], attrs: { kernel_shape: ints([3]), strides: ints([2]), pads: ints([1, 1]) } });
});

test("MaxPool propagates NaN from any window cell", () => {
  const x = randomTensor([1, 1, 4, 6], 12);
  (x.data as Float32Array)[7] = Number.NaN;
  const [out] = runOurs({ op: "MaxPool", inputs: [x], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } });
  assert.equal(Array.from(out!.data as Float32Array, (v) => Number.isNaN(v)), [true, false, false, false, false, false]);
});

test("GlobalAveragePool matches onnxruntime", async () => {
  await checkAgainstOrt({ op: "GlobalAveragePool", inputs: [randomTensor([2, 3, 5, 4], 11)] }, 1e-6);
});

test("tfl pools equal ONNX pools after transposing NHWC to NCHW", () => {
  const nhwc = randomTensor([1, 7, 6, 3], 12);
  const nchw = runOurs({ op: "Transpose", inputs: [nhwc], attrs: { perm: ints([0, 3, 1, 2]) } })[0]!;
  const cases: [string, string, Record<string, ReturnType<typeof int>>, Record<string, ReturnType<typeof int>>][] = [
    ["MaxPool2D", "MaxPool", { filter_height: int(3), filter_width: int(2), stride_h: int(2), stride_w: int(2), padding: str("SAME") as never }, { kernel_shape: ints([3, 2]), strides: ints([2, 2]), auto_pad: str("SAME_UPPER") as never }],
    ["AveragePool2D", "AveragePool", { filter_height: int(3), filter_width: int(3), padding: str("SAME") as never }, { kernel_shape: ints([3, 3]), auto_pad: str("SAME_UPPER") as never }],
    ["AveragePool2D", "AveragePool", { filter_height: int(2), filter_width: int(2), stride_h: int(2), stride_w: int(2) }, { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }],
  ];
  for (const [tflOp, onnxOp, tflAttrs, onnxAttrs] of cases) {
    const ours = runOurs({ op: tflOp, domain: "tfl", inputs: [nhwc], attrs: tflAttrs })[0]!;
    const reference = runOurs({ op: onnxOp, inputs: [nchw], attrs: onnxAttrs })[0]!;
    const back = runOurs({ op: "Transpose", inputs: [reference], attrs: { perm: ints([0, 2, 3, 1]) } })[0]!;
    assertClose(ours, back, 1e-6, tflOp);
  }
});

const resizeCases: [string, Record<string, ReturnType<typeof str>>][] = [
  ["nearest half_pixel round_prefer_floor", { mode: str("nearest") }],
  ["nearest asymmetric floor", { mode: str("nearest"), coordinate_transformation_mode: str("asymmetric"), nearest_mode: str("floor") }],
  ["nearest align_corners round_prefer_ceil", { mode: str("nearest"), coordinate_transformation_mode: str("align_corners"), nearest_mode: str("round_prefer_ceil") }],
  ["nearest tf_half_pixel_for_nn ceil", { mode: str("nearest"), coordinate_transformation_mode: str("tf_half_pixel_for_nn"), nearest_mode: str("ceil") }],
  ["linear half_pixel", { mode: str("linear") }],
  ["linear asymmetric", { mode: str("linear"), coordinate_transformation_mode: str("asymmetric") }],
  ["linear align_corners", { mode: str("linear"), coordinate_transformation_mode: str("align_corners") }],
  ["linear pytorch_half_pixel", { mode: str("linear"), coordinate_transformation_mode: str("pytorch_half_pixel") }],
];

for (const [name, attrs] of resizeCases) {
  test(`Resize ${name} matches onnxruntime (scales up, scales down, sizes)`, async () => {
    const x = randomTensor([1, 2, 5, 6], 13);
    await checkAgainstOrt({ op: "Resize", inputs: [x, undefined, f32([4], [1, 1, 2, 1.5])], attrs }, 1e-5, `${name} up`);
    await checkAgainstOrt({ op: "Resize", inputs: [x, undefined, f32([4], [1, 1, 0.6, 0.5])], attrs }, 1e-5, `${name} down`);
    await checkAgainstOrt({ op: "Resize", inputs: [x, undefined, undefined, i64([4], [1, 2, 7, 1])], attrs }, 1e-5, `${name} sizes`);
    // The image path's row reuse (integer upscale), width only, identity; and the per-axis path.
    await checkAgainstOrt({ op: "Resize", inputs: [x, undefined, f32([4], [1, 1, 2, 2])], attrs }, 1e-5, `${name} 2x`);
    await checkAgainstOrt({ op: "Resize", inputs: [x, undefined, f32([4], [1, 1, 1, 3])], attrs }, 1e-5, `${name} width only`);
    await checkAgainstOrt({ op: "Resize", inputs: [x, undefined, f32([4], [1, 1, 1, 1])], attrs }, 1e-5, `${name} identity`);
    await checkAgainstOrt({ op: "Resize", inputs: [x, undefined, f32([4], [1, 2, 1.5, 1])], attrs }, 1e-5, `${name} channels and height`);
    await checkAgainstOrt({ op: "Resize", inputs: [randomTensor([3, 4, 5], 14), undefined, f32([3], [1, 0.75, 1.6])], attrs }, 1e-5, `${name} rank 3`);
  });
}

test.run();
