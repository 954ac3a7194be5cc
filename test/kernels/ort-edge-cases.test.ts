/**
 * Edge cases where fusec's kernels once disagreed with onnxruntime: ConvTranspose padding when
 * the output size is given (output_shape, SAME_UPPER/SAME_LOWER, odd or negative total padding)
 * and the opset-10 form of Resize (X, scales), which samples "asymmetric" with floor/ceil nearest.
 */
import { test } from "uvu";
import { f32 } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, ints, randomTensor, str } from "./oracle.js";

const convTransposeCases: [string, number, Record<string, ReturnType<typeof ints>>][] = [
  ["output_shape with odd total padding", 3, { output_shape: ints([6, 6]), strides: ints([2, 2]) }],
  ["output_shape with odd total padding, SAME_UPPER", 3, { output_shape: ints([6, 6]), strides: ints([2, 2]), auto_pad: str("SAME_UPPER") }],
  ["output_shape with odd total padding, SAME_LOWER", 3, { output_shape: ints([6, 6]), strides: ints([2, 2]), auto_pad: str("SAME_LOWER") }],
  ["output_shape larger than the full output", 3, { output_shape: ints([7, 8]), strides: ints([2, 2]) }],
  ["SAME_UPPER with odd total padding", 2, { auto_pad: str("SAME_UPPER") }],
  ["SAME_LOWER with odd total padding", 2, { auto_pad: str("SAME_LOWER") }],
  ["SAME_UPPER where in·stride exceeds the full output", 1, { strides: ints([3, 3]), auto_pad: str("SAME_UPPER") }],
];

for (const [label, k, attrs] of convTransposeCases) {
  test(`ConvTranspose: ${label}`, async () => {
    await checkAgainstOrt({ op: "ConvTranspose", inputs: [randomTensor([1, 2, 3, 3], 1), randomTensor([2, 2, k, k], 2), randomTensor([2], 3)], attrs }, 1e-4, label);
  });
}

const ramp = f32([1, 2, 3, 10], Array.from({ length: 60 }, (_, i) => (i * 7) % 11));
for (const scale of [0.6, 0.35, 1.7, 2.5]) {
  for (const mode of ["nearest", "linear"]) {
    test(`Resize-10 (X, scales) ${mode} at scale ${scale} samples like onnxruntime`, async () => {
      await checkAgainstOrt({ op: "Resize", inputs: [ramp, f32([4], [1, 1, scale, scale])], attrs: { mode: str(mode) }, opset: 10 }, 1e-5);
    });
  }
}

test.run();
