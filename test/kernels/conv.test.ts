import { test } from "uvu";
import { selectGemmKernel } from "../../src/kernels/gemm.js";
import { assertClose, checkAgainstOrt, floats, int, ints, randomTensor, runOrt, runOurs, str } from "./oracle.js";

const X = randomTensor([2, 4, 9, 8], 1);

const convCases: [string, number[], Record<string, ReturnType<typeof ints>>][] = [
  ["3x3 pad 1", [6, 4, 3, 3], { pads: ints([1, 1, 1, 1]) }],
  ["strided 2", [6, 4, 3, 3], { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }],
  ["asymmetric pads", [5, 4, 3, 2], { pads: ints([0, 2, 1, 0]) }],
  ["dilations", [3, 4, 3, 3], { dilations: ints([2, 3]), pads: ints([2, 1, 2, 1]) }],
  ["1x1 pointwise", [7, 4, 1, 1], {}],
  ["1x1 strided", [7, 4, 1, 1], { strides: ints([2, 3]) }],
  ["groups 2", [6, 2, 3, 3], { group: int(2), pads: ints([1, 1, 1, 1]) }],
  ["depthwise", [4, 1, 3, 3], { group: int(4), pads: ints([1, 1, 1, 1]), strides: ints([2, 1]) }],
  ["depthwise multiplier 2", [8, 1, 3, 3], { group: int(4), dilations: ints([2, 2]) }],
  ["auto_pad SAME_UPPER", [3, 4, 4, 4], { auto_pad: str("SAME_UPPER") as never, strides: ints([2, 2]) }],
  ["auto_pad SAME_LOWER", [3, 4, 4, 4], { auto_pad: str("SAME_LOWER") as never, strides: ints([2, 2]) }],
  ["auto_pad VALID", [3, 4, 2, 5], { auto_pad: str("VALID") as never }],
];

for (const [name, wShape, attrs] of convCases) {
  test(`Conv ${name} matches onnxruntime`, async () => {
    const W = randomTensor(wShape, 2);
    const B = randomTensor([wShape[0]!], 3);
    await checkAgainstOrt({ op: "Conv", inputs: [X, W, B], attrs }, 1e-4, name);
    // Without bias, on a produced input (in the arena: padded copies made by the SIMD module).
    await checkAgainstOrt({ op: "Conv", inputs: [X, W], attrs, produced: true }, 1e-4, `${name} no bias`);
  });
}

test("Conv 1-D with stride, dilation and pads matches onnxruntime", async () => {
  const x = randomTensor([2, 3, 17], 4);
  const w = randomTensor([5, 3, 4], 5);
  await checkAgainstOrt({ op: "Conv", inputs: [x, w], attrs: { strides: ints([2]), dilations: ints([2]), pads: ints([3, 1]) } });
});

test("Conv with K larger than one GEMM depth block matches onnxruntime", async () => {
  const x = randomTensor([1, 40, 6, 6], 6);
  const w = randomTensor([70, 40, 3, 3], 7);
  await checkAgainstOrt({ op: "Conv", inputs: [x, w, randomTensor([70], 8)], attrs: { pads: ints([1, 1, 1, 1]) } }, 1e-4);
});

test("Conv with rows that straddle GEMM panels matches onnxruntime with both GEMM kernels", async () => {
  const x = randomTensor([1, 5, 13, 21], 18);
  const w = randomTensor([9, 5, 3, 3], 19);
  const b = randomTensor([9], 20);
  for (const kernel of ["wasm-simd", "js"] as const) {
    selectGemmKernel(kernel);
    try {
      await checkAgainstOrt({ op: "Conv", inputs: [x, w, b], attrs: { pads: ints([1, 2, 1, 0]) } }, 1e-4, `${kernel} pads`);
      await checkAgainstOrt({ op: "Conv", inputs: [x, w, b], attrs: { strides: ints([2, 2]), dilations: ints([1, 2]) } }, 1e-4, `${kernel} strided`);
      await checkAgainstOrt({ op: "Conv", inputs: [X, randomTensor([6, 2, 3, 3], 21)], attrs: { group: int(2), pads: ints([1, 1, 1, 1]) } }, 1e-4, `${kernel} groups`);
    } finally {
      selectGemmKernel("wasm-simd");
    }
  }
});

const convTransposeCases: [string, number[], Record<string, ReturnType<typeof ints>>][] = [
  ["plain", [4, 3, 3, 3], {}],
  ["stride 2, pads", [4, 3, 3, 3], { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }],
  ["output_padding", [4, 3, 3, 3], { strides: ints([2, 2]), pads: ints([1, 0, 1, 0]), output_padding: ints([1, 1]) }],
  ["groups", [4, 2, 2, 2], { group: int(2), strides: ints([2, 2]) }],
  ["dilations", [4, 3, 2, 3], { dilations: ints([2, 2]), strides: ints([1, 2]) }],
  ["2x2 stride 2 (upsampling)", [4, 3, 2, 2], { strides: ints([2, 2]) }],
];

for (const [name, wShape, attrs] of convTransposeCases) {
  test(`ConvTranspose ${name} matches onnxruntime`, async () => {
    // Two images, and one image whose per-plane bias the SIMD module adds.
    for (const batch of [2, 1]) {
      const x = randomTensor([batch, 4, 5, 6], 9);
      await checkAgainstOrt({ op: "ConvTranspose", inputs: [x, randomTensor(wShape, 10), randomTensor([wShape[1]! * ((attrs.group?.value as number) ?? 1)], 11)], attrs }, 1e-4, `${name} batch ${batch}`);
    }
  });
}

test("FusedConv without activation equals Conv plus Z (onnxruntime rejects an empty activation)", async () => {
  const W = randomTensor([6, 4, 3, 3], 12);
  const B = randomTensor([6], 13);
  const Z = randomTensor([2, 6, 9, 8], 14);
  const pads = ints([1, 1, 1, 1]);
  const [conv] = await runOrt({ op: "Conv", inputs: [X, W, B], attrs: { pads } });
  const expected = { ...conv!, data: (conv!.data as Float32Array).map((v, i) => v + (Z.data as Float32Array)[i]!) };
  const [actual] = runOurs({ op: "FusedConv", domain: "com.microsoft", inputs: [X, W, B, Z], attrs: { pads } });
  assertClose(actual!, expected);
});

const activations: [string, number[]][] = [
  ["Relu", []],
  ["Tanh", []],
  ["Sigmoid", []],
  ["LeakyRelu", [0.2]],
  ["Clip", [-0.5, 0.7]],
  ["HardSigmoid", [0.3, 0.4]],
  ["HardSwish", []],
];

for (const [activation, params] of activations) {
  test(`FusedConv activation "${activation}" with and without Z matches onnxruntime`, async () => {
    const W = randomTensor([6, 4, 3, 3], 12);
    const B = randomTensor([6], 13);
    const Z = randomTensor([2, 6, 9, 8], 14);
    const attrs = { pads: ints([1, 1, 1, 1]), activation: str(activation), activation_params: floats(params) };
    await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [X, W, B], attrs }, 1e-4, activation);
    await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [X, W, B, Z], attrs }, 1e-4, `${activation} + Z`);
  });
}

test("FusedConv with whole register tiles (epilogue applied in the GEMM kernel) and each activation, with and without Z, matches onnxruntime", async () => {
  // 8 output channels and 72 positions: full 4×8 tiles, finished as they are stored.
  for (const [wShape, pads] of [[[8, 4, 1, 1], [0, 0, 0, 0]], [[8, 4, 3, 3], [1, 1, 1, 1]]] as const) {
    const W = randomTensor([...wShape], 50);
    const B = randomTensor([8], 51);
    const Z = randomTensor([2, 8, 9, 8], 52);
    for (const [activation, params] of activations) {
      const attrs = { pads: ints([...pads]), activation: str(activation), activation_params: floats(params) };
      for (const produced of [false, true]) {
        const label = `${wShape.join("x")} ${activation}${produced ? " produced" : ""}`;
        await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [X, W, B], attrs, produced }, 1e-4, label);
        await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [X, W, B, Z], attrs, produced }, 1e-4, `${label} + Z`);
      }
    }
  }
});

test("FusedConv over a 1x1 image (matrix-vector product) with each activation, odd channel counts and a deep K matches onnxruntime", async () => {
  for (const [c, o] of [[7, 13], [50, 200], [1100, 9]] as const) {
    const x = randomTensor([1, c, 1, 1], 60 + c);
    const W = randomTensor([o, c, 1, 1], 61);
    const B = randomTensor([o], 62);
    const Z = randomTensor([1, o, 1, 1], 63);
    await checkAgainstOrt({ op: "Conv", inputs: [x, W], attrs: {} }, 1e-4, `${c}→${o} no bias`);
    for (const [activation, params] of activations) {
      const attrs = { activation: str(activation), activation_params: floats(params) };
      for (const produced of [false, true]) {
        const label = `${c}→${o} ${activation}${produced ? " produced" : ""}`;
        await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [x, W, B], attrs, produced }, 1e-4, label);
        await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [x, W, B, Z], attrs, produced }, 1e-4, `${label} + Z`);
      }
    }
  }
});

test("FusedConv depthwise 3x3 strides 1 and 2 with each activation matches onnxruntime", async () => {
  const x = randomTensor([1, 5, 10, 13], 70);
  const w = randomTensor([5, 1, 3, 3], 71);
  const b = randomTensor([5], 72);
  for (const stride of [1, 2]) {
    for (const [activation, params] of activations) {
      const attrs = { group: int(5), strides: ints([stride, stride]), pads: ints([1, 1, 1, 1]), activation: str(activation), activation_params: floats(params) };
      await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [x, w, b], attrs }, 1e-4, `stride ${stride} ${activation}`);
    }
  }
});

test("FusedConv depthwise on produced tensors (the module's channel loop) with and without Z and each activation matches onnxruntime", async () => {
  const cases: [number, number[], number[]][] = [
    [3, [1, 1], [1, 1, 1, 1]],
    [3, [2, 2], [0, 0, 1, 1]],
    [5, [1, 1], [2, 2, 2, 2]],
    [5, [2, 2], [1, 2, 2, 1]],
    [3, [2, 1], [1, 1, 1, 1]],
  ];
  for (const [k, strides, pads] of cases) {
    for (const [height, width] of [[6, 16], [5, 7], [2, 9]] as const) {
      const x = randomTensor([2, 3, height, width], 80 + k);
      const w = randomTensor([3, 1, k, k], 81);
      const b = randomTensor([3], 82);
      const oh = Math.floor((height + pads[0]! + pads[2]! - k) / strides[0]!) + 1;
      const ow = Math.floor((width + pads[1]! + pads[3]! - k) / strides[1]!) + 1;
      const z = randomTensor([2, 3, oh, ow], 83);
      // Every activation on one size; the module's own (HardSwish) and a JavaScript one (Tanh) on the others.
      for (const [activation, params] of height === 6 ? activations : activations.filter(([a]) => a === "HardSwish" || a === "Tanh")) {
        const attrs = { group: int(3), strides: ints(strides), pads: ints(pads), activation: str(activation), activation_params: floats(params) };
        const label = `${k}x${k} strides ${strides} ${height}x${width} ${activation}`;
        await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [x, w, b], attrs, produced: true }, 1e-4, label);
        await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [x, w, b, z], attrs, produced: true }, 1e-4, `${label} + Z`);
      }
    }
  }
});

test("FusedConv depthwise with Z matches onnxruntime", async () => {
  const W = randomTensor([4, 1, 3, 3], 15);
  const Z = randomTensor([2, 4, 9, 8], 16);
  await checkAgainstOrt({
    op: "FusedConv",
    domain: "com.microsoft",
    inputs: [X, W, randomTensor([4], 17), Z],
    attrs: { group: int(4), pads: ints([1, 1, 1, 1]), activation: str("Relu") },
  });
});

/** Depthwise cases for the SIMD plane kernels (and their JavaScript fallback): [name, C, multiplier, kernel, attrs]. */
const depthwiseCases: [string, number, number, number, Record<string, ReturnType<typeof ints>>][] = [
  ["3x3 stride 1 pad 1", 5, 1, 3, { pads: ints([1, 1, 1, 1]) }],
  ["3x3 stride 2 pads 0,0,1,1", 5, 1, 3, { strides: ints([2, 2]), pads: ints([0, 0, 1, 1]) }],
  ["3x3 stride 2 pad 1", 5, 1, 3, { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }],
  ["3x3 no padding", 3, 1, 3, {}],
  ["5x5 stride 1 pad 2", 4, 1, 5, { pads: ints([2, 2, 2, 2]) }],
  ["5x5 stride 2 pad 2", 4, 1, 5, { strides: ints([2, 2]), pads: ints([2, 2, 2, 2]) }],
  ["5x5 stride 2 pads 1,2,2,1", 4, 1, 5, { strides: ints([2, 2]), pads: ints([1, 2, 2, 1]) }],
  ["3x3 multiplier 2", 3, 2, 3, { pads: ints([1, 1, 1, 1]) }],
  ["3x3 strides 2,1", 4, 1, 3, { strides: ints([2, 1]), pads: ints([1, 1, 1, 1]) }],
  ["5x5 strides 1,2", 4, 1, 5, { strides: ints([1, 2]), pads: ints([2, 2, 2, 2]) }],
  ["5x5 strides 3,1", 4, 1, 5, { strides: ints([3, 1]), pads: ints([2, 2, 2, 2]) }],
  ["3x3 SAME_UPPER stride 2", 3, 1, 3, { auto_pad: str("SAME_UPPER") as never, strides: ints([2, 2]) }],
];

for (const [name, channels, mult, k, attrs] of depthwiseCases) {
  test(`Conv depthwise ${name} matches onnxruntime with and without SIMD`, async () => {
    // Widths that are and are not multiples of the vector width.
    for (const [height, width] of [[11, 13], [8, 16], [5, 7]] as const) {
      const x = randomTensor([2, channels, height, width], 30 + k);
      const w = randomTensor([channels * mult, 1, k, k], 31);
      const b = randomTensor([channels * mult], 32);
      for (const kernel of ["wasm-simd", "js"] as const) {
        selectGemmKernel(kernel);
        try {
          const label = `${name} ${height}x${width} ${kernel}`;
          await checkAgainstOrt({ op: "Conv", inputs: [x, w, b], attrs: { ...attrs, group: int(channels) } }, 1e-4, label);
          await checkAgainstOrt({ op: "Conv", inputs: [x, w], attrs: { ...attrs, group: int(channels) } }, 1e-4, `${label} no bias`);
        } finally {
          selectGemmKernel("wasm-simd");
        }
      }
    }
  });
}

test("FusedConv depthwise 5x5 stride 2 with Z and each activation matches onnxruntime with and without SIMD", async () => {
  const x = randomTensor([1, 6, 15, 18], 40);
  const w = randomTensor([6, 1, 5, 5], 41);
  const b = randomTensor([6], 42);
  const z = randomTensor([1, 6, 8, 9], 43);
  for (const [activation, params] of activations) {
    for (const kernel of ["wasm-simd", "js"] as const) {
      selectGemmKernel(kernel);
      try {
        const attrs = { group: int(6), strides: ints([2, 2]), pads: ints([2, 2, 2, 2]), activation: str(activation), activation_params: floats(params) };
        await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [x, w, b], attrs }, 1e-4, `${activation} ${kernel}`);
        await checkAgainstOrt({ op: "FusedConv", domain: "com.microsoft", inputs: [x, w, b, z], attrs }, 1e-4, `${activation} + Z ${kernel}`);
      } finally {
        selectGemmKernel("wasm-simd");
      }
    }
  }
});

test.run();
