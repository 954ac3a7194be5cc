import { test } from "uvu";
import * as assert from "uvu/assert";
import { Graph, type Attrs } from "../../src/runtime/graph.js";
import { f32, tensor, type Tensor } from "../../src/runtime/tensor.js";
import { encodeOnnx } from "../../src/onnx/save.js";
import { decodeModel } from "./onnx-proto.js";
import { randomInput, relativeError, runOrt } from "./ort.js";

/** A one-node graph `op(x, ...constants)` with a declared output type, at the given opsets. */
function oneNode(
  opsets: Record<string, number>,
  op: string,
  domain: string,
  xShape: number[],
  constants: (Tensor | undefined)[],
  attrs: Attrs,
  outShape: number[],
  extraInput?: number[],
): Graph {
  const g = new Graph();
  g.meta = { opsets };
  const x = g.addInput("x", "float32", xShape);
  const z = extraInput ? g.addInput("z", "float32", extraInput) : undefined;
  const inputs = [x, ...constants.map((t, i) => (t ? g.addConstant(t, `c${i}`) : undefined))];
  if (z) inputs.push(z);
  const y = g.newValue("y", "float32", outShape);
  g.addNode({ op, domain, inputs, attrs, outputs: [y] });
  g.outputs = [y];
  return g;
}

function ops(g: Graph): string[] {
  return decodeModel(encodeOnnx(g)).graph!.node!.map((n) => n.opType!);
}

const weights = (shape: number[], seed: number) => randomInput(shape, seed);
const convAttrs: Attrs = { pads: { type: "ints", value: [1, 1, 1, 1] } };

test("FusedConv with HardSwish and a sum input becomes Conv + Add + HardSwish, equal to ORT's own ops", async () => {
  const W = weights([4, 3, 3, 3], 2);
  const B = weights([4], 3);
  const attrs: Attrs = { ...convAttrs, activation: { type: "string", value: "HardSwish" } };
  const fused = oneNode({ "": 13, "com.microsoft": 1 }, "FusedConv", "com.microsoft", [1, 3, 6, 6], [W, B], attrs, [1, 4, 6, 6], [1, 4, 6, 6]);
  assert.equal(ops(fused), ["Conv", "Add", "HardSigmoid", "Mul"]);
  const reference = new Graph();
  reference.meta = { opsets: { "": 14 } };
  const x = reference.addInput("x", "float32", [1, 3, 6, 6]);
  const z = reference.addInput("z", "float32", [1, 4, 6, 6]);
  const c = reference.newValue("c");
  const s = reference.newValue("s");
  const y = reference.newValue("y", "float32", [1, 4, 6, 6]);
  reference.addNode({ op: "Conv", inputs: [x, reference.addConstant(W), reference.addConstant(B)], attrs: convAttrs, outputs: [c] });
  reference.addNode({ op: "Add", inputs: [c, z], outputs: [s] });
  reference.addNode({ op: "HardSwish", inputs: [s], outputs: [y] });
  reference.outputs = [y];
  const feeds = { x: randomInput([1, 3, 6, 6], 4), z: randomInput([1, 4, 6, 6], 5) };
  const got = await runOrt(encodeOnnx(fused), feeds);
  const want = await runOrt(encodeOnnx(reference), feeds);
  assert.ok(relativeError(got["y"]!, want["y"]!) < 1e-5);
});

test("FusedConv with an activation ORT knows stays fused, with its parameters filled in", async () => {
  const attrs: Attrs = { ...convAttrs, activation: { type: "string", value: "LeakyRelu" } };
  const g = oneNode({ "": 13 }, "FusedConv", "com.microsoft", [1, 3, 5, 5], [weights([2, 3, 3, 3], 6)], attrs, [1, 2, 5, 5]);
  const model = decodeModel(encodeOnnx(g));
  assert.equal(model.graph!.node!.map((n) => n.opType), ["FusedConv"]);
  assert.ok(model.opsetImport.some((o) => o.domain === "com.microsoft" && Number(o.version) === 1));
  const out = await runOrt(encodeOnnx(g), { x: randomInput([1, 3, 5, 5], 1) });
  assert.equal(out["y"]!.shape, [1, 2, 5, 5]);
});

test("FusedGemm with Clip becomes Gemm + Clip; HardSwish and Gelu below their opsets become formulas", async () => {
  const gemm = oneNode({ "": 13 }, "FusedGemm", "com.microsoft", [2, 3], [weights([3, 4], 7), weights([4], 8)], {
    activation: { type: "string", value: "Clip" },
    activation_alpha: { type: "float", value: -0.1 },
    activation_beta: { type: "float", value: 0.2 },
  }, [2, 4]);
  assert.equal(ops(gemm), ["Gemm", "Clip"]);
  const out = await runOrt(encodeOnnx(gemm), { x: randomInput([2, 3], 9) });
  assert.ok([...out["y"]!.data].every((v) => (v as number) >= -0.1 - 1e-7 && (v as number) <= 0.2 + 1e-7));

  const x = randomInput([64], 10);
  const hardSwish = oneNode({ "": 13 }, "HardSwish", "", [64], [], {}, [64]);
  assert.equal(ops(hardSwish), ["HardSigmoid", "Mul"]);
  const hs = (await runOrt(encodeOnnx(hardSwish), { x }))["y"]!;
  const gelu = oneNode({ "": 13 }, "Gelu", "", [64], [], {}, [64]);
  const ge = (await runOrt(encodeOnnx(gelu), { x }))["y"]!;
  const geluTanh = oneNode({ "": 13 }, "Gelu", "", [64], [], { approximate: { type: "string", value: "tanh" } }, [64]);
  const gt = (await runOrt(encodeOnnx(geluTanh), { x }))["y"]!;
  for (let i = 0; i < 64; i++) {
    const v = x.data[i] as number;
    assert.ok(Math.abs((hs.data[i] as number) - v * Math.min(Math.max(v / 6 + 0.5, 0), 1)) < 1e-6);
    const erfGelu = 0.5 * v * (1 + erf(v / Math.SQRT2));
    assert.ok(Math.abs((ge.data[i] as number) - erfGelu) < 1e-5);
    assert.ok(Math.abs((gt.data[i] as number) - erfGelu) < 1e-3);
  }
});

test("Clip and axes take the form of the model's opset", async () => {
  const clip9 = oneNode({ "": 9 }, "Clip", "", [8], [f32([], [0]), f32([], [0.5])], {}, [8]);
  const model = decodeModel(encodeOnnx(clip9));
  assert.equal(model.graph!.node![0]!.input, ["x"]);
  const out = await runOrt(encodeOnnx(clip9), { x: randomInput([8], 2) });
  assert.ok([...out["y"]!.data].every((v) => (v as number) >= 0 && (v as number) <= 0.5));

  const squeeze13 = oneNode({ "": 13 }, "Squeeze", "", [1, 8], [], { axes: { type: "ints", value: [0] } }, [8]);
  assert.equal((await runOrt(encodeOnnx(squeeze13), { x: randomInput([1, 8], 2) }))["y"]!.shape, [8]);
  const int64 = (v: number[]) => tensor("int64", [v.length], BigInt64Array.from(v, BigInt));
  const mean11 = oneNode({ "": 11 }, "ReduceMean", "", [2, 8], [int64([1])], {}, [2, 1]);
  assert.equal((await runOrt(encodeOnnx(mean11), { x: randomInput([2, 8], 2) }))["y"]!.shape, [2, 1]);
});

/** Direct NHWC convolution: filter [O,KH,KW,I/groups], SAME_UPPER or VALID padding. */
function naiveConvNHWC(x: Tensor, w: Tensor, b: Tensor, stride: number, same: boolean, groups: number): Tensor {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const [o, kh, kw, ig] = w.shape as [number, number, number, number];
  const oh = same ? Math.ceil(h / stride) : Math.floor((h - kh) / stride) + 1;
  const ow = same ? Math.ceil(wd / stride) : Math.floor((wd - kw) / stride) + 1;
  const padTop = same ? Math.floor(Math.max((oh - 1) * stride + kh - h, 0) / 2) : 0;
  const padLeft = same ? Math.floor(Math.max((ow - 1) * stride + kw - wd, 0) / 2) : 0;
  const out = new Float32Array(n * oh * ow * o);
  const X = x.data as Float32Array;
  const W = w.data as Float32Array;
  const perGroup = o / groups;
  for (let b0 = 0; b0 < n; b0++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++)
        for (let oc = 0; oc < o; oc++) {
          let acc = (b.data as Float32Array)[oc]!;
          const g = Math.floor(oc / perGroup);
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const yy = y * stride + i - padTop;
              const xx = xo * stride + j - padLeft;
              if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
              for (let ic = 0; ic < ig; ic++) acc += X[((b0 * h + yy) * wd + xx) * c + g * ig + ic]! * W[((oc * kh + i) * kw + j) * ig + ic]!;
            }
          out[((b0 * oh + y) * ow + xo) * o + oc] = Math.min(Math.max(acc, 0), 6);
        }
  return f32([n, oh, ow, o], out);
}

test("tfl Conv2D and DepthwiseConv2D (NHWC, SAME, stride 2, RELU6) run in ORT as NCHW ops", async () => {
  const x = randomInput([1, 7, 7, 3], 11);
  const attrs: Attrs = {
    padding: { type: "string", value: "SAME" },
    stride_h: { type: "int", value: 2 },
    stride_w: { type: "int", value: 2 },
    fused_activation_function: { type: "string", value: "RELU6" },
  };
  const w = weights([4, 3, 3, 3], 12);
  const b = weights([4], 13);
  const conv = oneNode({ "": 13 }, "Conv2D", "tfl", [1, 7, 7, 3], [w, b], attrs, [1, 4, 4, 4]);
  const got = (await runOrt(encodeOnnx(conv), { x }))["y"]!;
  assert.ok(relativeError(got, naiveConvNHWC(x, w, b, 2, true, 1)) < 1e-5);

  const dw = weights([1, 3, 3, 6], 14); // depth multiplier 2
  const db = weights([6], 15);
  const depthwise = oneNode({ "": 13 }, "DepthwiseConv2D", "tfl", [1, 7, 7, 3], [dw, db], { ...attrs, depth_multiplier: { type: "int", value: 2 } }, [1, 4, 4, 6]);
  const gotDw = (await runOrt(encodeOnnx(depthwise), { x }))["y"]!;
  // As a grouped conv: filter [O, KH, KW, 1].
  const asGrouped = f32([6, 3, 3, 1], (await import("../../src/runtime/consteval.js")).transpose(dw, [3, 1, 2, 0]).data as Float32Array);
  assert.ok(relativeError(gotDw, naiveConvNHWC(x, asGrouped, db, 2, true, 3)) < 1e-5);
});

test("tfl FullyConnected, AveragePool2D and Reshape run in ORT", async () => {
  const x = randomInput([2, 3, 4], 16);
  const w = weights([5, 4], 17);
  const b = weights([5], 18);
  const fc = oneNode({ "": 13 }, "FullyConnected", "tfl", [2, 3, 4], [w, b], {}, [6, 5]);
  const got = (await runOrt(encodeOnnx(fc), { x }))["y"]!;
  assert.equal(got.shape, [6, 5]);
  const X = x.data as Float32Array;
  const W = w.data as Float32Array;
  for (let m = 0; m < 6; m++)
    for (let o = 0; o < 5; o++) {
      let acc = (b.data as Float32Array)[o]!;
      for (let i = 0; i < 4; i++) acc += X[m * 4 + i]! * W[o * 4 + i]!;
      assert.ok(Math.abs((got.data[m * 5 + o] as number) - acc) < 1e-5);
    }

  const img = randomInput([1, 3, 3, 2], 19);
  const pool = oneNode({ "": 13 }, "AveragePool2D", "tfl", [1, 3, 3, 2], [], {
    padding: { type: "string", value: "SAME" },
    filter_height: { type: "int", value: 2 },
    filter_width: { type: "int", value: 2 },
  }, [1, 3, 3, 2]);
  const pooled = (await runOrt(encodeOnnx(pool), { x: img }))["y"]!;
  // The bottom-right cell averages only itself (valid cells only).
  assert.ok(Math.abs((pooled.data[8 * 2 + 1] as number) - (img.data[8 * 2 + 1] as number)) < 1e-6);

  const reshape = oneNode({ "": 13 }, "Reshape", "tfl", [2, 3, 4], [tensor("int32", [2], [-1, 12])], {}, [2, 12]);
  assert.equal((await runOrt(encodeOnnx(reshape), { x }))["y"]!.shape, [2, 12]);
});

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse for 1e-5; integrate the series instead.
  let sum = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

test("LayerNormalization before opset 17 is spelled out in standard ops and computes what opset 17's does", async () => {
  const scale = weights([3, 4], 21);
  const bias = weights([4], 22);
  const ln = (opset: number, withBias: boolean) =>
    oneNode({ "": opset }, "LayerNormalization", "", [2, 5, 3, 4], withBias ? [scale, bias] : [scale], { axis: { type: "int", value: -2 }, epsilon: { type: "float", value: 1e-3 } }, [2, 5, 3, 4]);
  assert.equal(ops(ln(9, true)), ["ReduceMean", "Sub", "Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Add"]);
  assert.equal(ops(ln(13, false)), ["ReduceMean", "Sub", "Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul"]);
  assert.equal(ops(ln(17, true)), ["LayerNormalization"]);
  const feeds = { x: randomInput([2, 5, 3, 4], 23) };
  for (const withBias of [true, false]) {
    const want = await runOrt(encodeOnnx(ln(17, withBias)), feeds);
    for (const opset of [9, 13]) {
      const got = await runOrt(encodeOnnx(ln(opset, withBias)), feeds);
      assert.ok(relativeError(got["y"]!, want["y"]!) < 1e-5, `opset ${opset}, bias ${withBias}`);
    }
  }
});

test.run();
