/**
 * The shape and data-movement ops move every dtype, and arithmetic computes in each: every op
 * below runs on float64, uint8, int8, int16, uint16, uint32, uint64, float16 and bool tensors
 * (where onnxruntime's CPU provider has that type) with onnxruntime's results.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DTYPES, tensor, type DType, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt, int, ints, type OneNode } from "./oracle.js";

/**
 * Compares with onnxruntime when its CPU provider has a kernel for this op and dtype; returns
 * whether it did (a combination onnxruntime rejects is not compared, and not counted).
 */
async function compareWhereOrtRuns(spec: OneNode, label: string): Promise<boolean> {
  try {
    await checkAgainstOrt(spec, 0, label);
    return true;
  } catch (e) {
    if (/Could not find an implementation|is invalid|Type Error/.test((e as Error).message)) return false;
    throw e;
  }
}

const MOVERS: DType[] = ["float64", "uint8", "int8", "int16", "uint16", "uint32", "uint64", "float16", "bool"];

function sample(dtype: DType, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => (dtype === "bool" ? i % 3 === 0 ? 1 : 0 : DTYPES[dtype].kind === "uint" ? (i * 7) % 13 : ((i * 7) % 13) - 6));
  return tensor(dtype, shape, values);
}

const i64 = (v: number[]) => tensor("int64", [v.length], v);

function movers(x: Tensor): OneNode[] {
  return [
    { op: "Transpose", inputs: [x], attrs: { perm: ints([1, 0, 2]) } },
    { op: "Reshape", inputs: [x, i64([3, -1])] },
    { op: "Concat", inputs: [x, x], attrs: { axis: int(1) } },
    { op: "Slice", inputs: [x, i64([1]), i64([3]), i64([1])] },
    { op: "Gather", inputs: [x, i64([2, 0])], attrs: { axis: int(1) } },
    { op: "Split", inputs: [x, i64([1, 2])], attrs: { axis: int(1) }, outputs: 2 },
    { op: "Unsqueeze", inputs: [x, i64([0])] },
    { op: "Flatten", inputs: [x] },
    { op: "Identity", inputs: [x] },
    { op: "Expand", inputs: [x, i64([2, 2, 3, 2])] },
    { op: "Tile", inputs: [x, i64([1, 2, 1])] },
    { op: "Where", inputs: [sample("bool", [2, 3, 2]), x, x] },
    { op: "Pad", inputs: [x, i64([0, 1, 0, 0, 0, 1])] },
  ];
}

test("data movement keeps values and dtype for every dtype", async () => {
  let compared = 0;
  for (const dtype of MOVERS) {
    const x = sample(dtype, [2, 3, 2]);
    for (const spec of movers(x)) {
      if (await compareWhereOrtRuns({ ...spec, opset: 18, outputDTypes: Array(spec.outputs ?? 1).fill(dtype) }, `${spec.op} ${dtype}`)) compared++;
    }
  }
  assert.ok(compared >= 100, `only ${compared} op/dtype pairs compared`);
});

test("arithmetic and reductions on the integer and float64 dtypes match onnxruntime", async () => {
  let compared = 0;
  for (const dtype of ["float64", "uint8", "int8", "int32", "uint32", "int64", "uint64"] as DType[]) {
    const a = sample(dtype, [2, 3]);
    const b = tensor(dtype, [3], [1, 2, 3]);
    for (const op of ["Add", "Sub", "Mul", "Div", "Max", "Min"]) {
      if (await compareWhereOrtRuns({ op, inputs: [a, b], opset: 14 }, `${op} ${dtype}`)) compared++;
    }
    for (const [ra, rb] of [[2, 2], [3, 2], [1, 2], [2, 1]]) {
      const left = sample(dtype, [2, 3, 4].slice(3 - ra!));
      const right = sample(dtype, rb === 1 ? [4] : [4, 2]);
      if (await compareWhereOrtRuns({ op: "MatMul", inputs: [left, right], opset: 13 }, `MatMul ${dtype} ${ra}x${rb}`)) compared++;
    }
    for (const op of ["ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"]) {
      if (await compareWhereOrtRuns({ op, inputs: [a, i64([1])], opset: 18 }, `${op} ${dtype}`)) compared++;
    }
  }
  assert.ok(compared >= 50, `only ${compared} op/dtype pairs compared`);
});

test.run();
