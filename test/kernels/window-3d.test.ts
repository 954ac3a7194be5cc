/**
 * 1-D, 2-D and 3-D window ops against onnxruntime: Conv and ConvTranspose on rank-5 inputs,
 * MaxPool's Indices output (both storage orders), LpPool and the global pools.
 */
import { test } from "uvu";
import { checkAgainstOrt, int, ints, randomTensor } from "./oracle.js";

test("3-D Conv (pads, strides, dilations, groups) matches onnxruntime", async () => {
  const x = randomTensor([2, 4, 5, 6, 7], 31);
  await checkAgainstOrt({ op: "Conv", inputs: [x, randomTensor([3, 4, 3, 2, 3], 32), randomTensor([3], 33)], attrs: { pads: ints([1, 0, 1, 1, 1, 0]), strides: ints([2, 1, 2]) } });
  await checkAgainstOrt({ op: "Conv", inputs: [x, randomTensor([6, 2, 2, 3, 2], 34)], attrs: { group: int(2), dilations: ints([2, 1, 3]) } });
  await checkAgainstOrt({ op: "Conv", inputs: [x, randomTensor([8, 1, 3, 3, 3], 35)], attrs: { group: int(4), pads: ints([1, 1, 1, 1, 1, 1]) } }, 1e-4, "3-D depthwise");
  await checkAgainstOrt({ op: "Conv", inputs: [x, randomTensor([5, 4, 1, 1, 1], 36)], attrs: {} }, 1e-4, "3-D pointwise");
});

test("1-D and 3-D ConvTranspose match onnxruntime", async () => {
  await checkAgainstOrt({ op: "ConvTranspose", inputs: [randomTensor([1, 3, 9], 41), randomTensor([3, 2, 4], 42), randomTensor([2], 43)], attrs: { strides: ints([2]), pads: ints([1, 2]) } });
  await checkAgainstOrt({
    op: "ConvTranspose",
    inputs: [randomTensor([2, 4, 3, 4, 5], 44), randomTensor([4, 3, 2, 3, 2], 45), randomTensor([6], 46)],
    attrs: { group: int(2), strides: ints([2, 1, 2]), dilations: ints([1, 2, 1]), output_padding: ints([1, 0, 1]), pads: ints([0, 1, 1, 1, 0, 0]) },
  });
});

test("3-D MaxPool, AveragePool and LpPool match onnxruntime", async () => {
  const x = randomTensor([2, 3, 6, 7, 8], 51);
  const win = { kernel_shape: ints([3, 2, 3]), strides: ints([2, 2, 1]), pads: ints([1, 0, 1, 1, 1, 0]) };
  await checkAgainstOrt({ op: "MaxPool", inputs: [x], attrs: { ...win, dilations: ints([1, 2, 1]) } });
  await checkAgainstOrt({ op: "MaxPool", inputs: [x], attrs: { ...win, ceil_mode: int(1) } });
  await checkAgainstOrt({ op: "AveragePool", inputs: [x], attrs: win });
  await checkAgainstOrt({ op: "AveragePool", inputs: [x], attrs: { ...win, count_include_pad: int(1), ceil_mode: int(1) } });
  await checkAgainstOrt({ op: "LpPool", inputs: [x], attrs: { ...win, p: int(3) } }, 1e-4);
  await checkAgainstOrt({ op: "LpPool", inputs: [randomTensor([1, 2, 7, 6], 52)], attrs: { kernel_shape: ints([2, 3]), pads: ints([1, 1, 0, 1]) } });
});

test("MaxPool's Indices output matches onnxruntime in both storage orders, for 1-D, 2-D and 3-D", async () => {
  const cases = [
    [randomTensor([2, 3, 11], 61), { kernel_shape: ints([3]), strides: ints([2]), pads: ints([1, 1]) }],
    [randomTensor([2, 3, 7, 6], 62), { kernel_shape: ints([3, 2]), strides: ints([2, 1]), pads: ints([1, 0, 1, 1]), dilations: ints([1, 2]) }],
    [randomTensor([1, 2, 4, 5, 6], 63), { kernel_shape: ints([2, 2, 3]), strides: ints([2, 2, 2]), pads: ints([0, 1, 1, 1, 0, 0]) }],
  ] as const;
  for (const [x, attrs] of cases) {
    for (const order of [0, 1]) {
      await checkAgainstOrt({ op: "MaxPool", inputs: [x], attrs: { ...attrs, storage_order: int(order) }, outputs: 2, outputDTypes: ["float32", "int64"] }, 0, `MaxPool rank ${x.shape.length} order ${order}`);
    }
  }
});

test("GlobalMaxPool, GlobalLpPool and GlobalAveragePool over 1-D to 3-D match onnxruntime", async () => {
  for (const shape of [[2, 3, 5], [2, 3, 4, 5], [1, 2, 3, 4, 5]]) {
    const x = randomTensor(shape, shape.length);
    await checkAgainstOrt({ op: "GlobalMaxPool", inputs: [x] });
    await checkAgainstOrt({ op: "GlobalAveragePool", inputs: [x] });
    await checkAgainstOrt({ op: "GlobalLpPool", inputs: [x], attrs: { p: int(3) } }, 1e-4);
    await checkAgainstOrt({ op: "GlobalLpPool", inputs: [x] }, 1e-4);
  }
});

test.run();
