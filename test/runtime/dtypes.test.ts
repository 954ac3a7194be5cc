/**
 * Every dtype of the dtype table survives ONNX save/load (initializers and graph inputs), the
 * JSON graph form and .npy files through `fusec run`, and Cast between dtypes agrees with
 * onnxruntime (wrapping, truncation, float16 rounding).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, parse } from "npyjs";
import { execute } from "../../src/kernels/index.js";
import { decodeOnnx } from "../../src/onnx/load.js";
import { encodeOnnx } from "../../src/onnx/save.js";
import { Graph } from "../../src/runtime/graph.js";
import { graphFromJSON, graphToJSON } from "../../src/runtime/json.js";
import { ALL_DTYPES, DTYPES, floatToHalfBits, halfBitsToFloat, tensor, type DType, type Tensor } from "../../src/runtime/tensor.js";
import { checkAgainstOrt } from "../kernels/oracle.js";

/** Values every dtype holds exactly (bool: 0/1). */
function sample(dtype: DType): Tensor {
  const values = dtype === "bool" ? [1, 0, 1, 1, 0, 1] : DTYPES[dtype].kind === "uint" ? [0, 1, 2, 7, 100, 127] : [-3, 0, 1.5, -128, 100, 127];
  return tensor(dtype, [2, 3], DTYPES[dtype].kind === "float" ? values : values.map(Math.trunc));
}

/** A graph `y = Identity(x)`, `z = Identity(c)` with c a constant of `dtype`. */
function identityGraph(dtype: DType): Graph {
  const g = new Graph();
  const x = g.addInput("x", dtype, [2, 3]);
  const c = g.addConstant(sample(dtype), "c", true);
  const y = g.newValue("y");
  const z = g.newValue("z");
  g.addNode({ op: "Identity", domain: "", name: "id_x", inputs: [x], attrs: {}, outputs: [y] });
  g.addNode({ op: "Identity", domain: "", name: "id_c", inputs: [c], attrs: {}, outputs: [z] });
  g.outputs = [y, z];
  return g;
}

function sameTensor(a: Tensor, b: Tensor, label: string): void {
  assert.is(a.dtype, b.dtype, `${label} dtype`);
  assert.equal([...a.shape], [...b.shape], `${label} shape`);
  assert.equal(Array.from(a.data as ArrayLike<number>), Array.from(b.data as ArrayLike<number>), `${label} data`);
  assert.is(a.data.constructor, DTYPES[a.dtype].array, `${label} array type`);
}

test("every dtype round-trips through ONNX bytes and the JSON form, and runs", () => {
  for (const dtype of ALL_DTYPES) {
    const viaOnnx = decodeOnnx(encodeOnnx(identityGraph(dtype)));
    const viaJson = graphFromJSON(JSON.parse(JSON.stringify(graphToJSON(identityGraph(dtype)))));
    for (const [how, g] of [["onnx", viaOnnx], ["json", viaJson]] as const) {
      assert.is(g.inputs[0]!.dtype, dtype, `${dtype} via ${how}: input dtype`);
      const out = execute(g, { x: sample(dtype) });
      sameTensor(out["y"]!, sample(dtype), `${dtype} via ${how}: y`);
      sameTensor(out["z"]!, sample(dtype), `${dtype} via ${how}: z`);
    }
  }
});

test("float16 converts to and from half bits exactly, rounding to nearest even", () => {
  assert.is(floatToHalfBits(1), 0x3c00);
  assert.is(floatToHalfBits(-2), 0xc000);
  assert.is(floatToHalfBits(65504), 0x7bff);
  assert.is(floatToHalfBits(70000), 0x7c00);
  assert.is(floatToHalfBits(2 ** -24), 0x0001);
  assert.is(floatToHalfBits(1 + 2 ** -11), 0x3c00); // a tie rounds to even
  assert.is(floatToHalfBits(1 + 3 * 2 ** -11), 0x3c02);
  assert.ok(Number.isNaN(halfBitsToFloat(floatToHalfBits(Number.NaN))));
  for (let h = 0; h < 0x7c00; h += 37) assert.is(floatToHalfBits(halfBitsToFloat(h)), h);
});

test("Cast between dtypes agrees with onnxruntime", async () => {
  const x = tensor("float64", [8], [-300.75, -129, -1.5, 0, 0.5, 127.9, 255, 70000.3]);
  const targets: DType[] = ["float32", "float16", "int64", "int32", "int16", "int8", "uint8", "uint16", "uint32", "uint64", "bool"];
  for (const to of targets) {
    // onnxruntime casts out-of-range floats to narrow ints as C++ does (undefined there): keep them in range.
    const input = DTYPES[to].kind === "uint" ? tensor("float64", [4], [0, 0.5, 127.9, 255]) : DTYPES[to].kind === "int" ? tensor("float64", [4], [-128, -1.5, 0, 127.9]) : x;
    await checkAgainstOrt({ op: "Cast", inputs: [input], attrs: { to: { type: "int", value: DTYPES[to].onnx } }, outputDTypes: [to] }, 0, `Cast float64→${to}`);
  }
  const wide = tensor("int64", [5], [-1, 255, 256, 65537, -129]);
  for (const to of ["int8", "uint8", "int16", "uint16", "int32", "uint32", "float64"] as DType[]) {
    await checkAgainstOrt({ op: "Cast", inputs: [wide], attrs: { to: { type: "int", value: DTYPES[to].onnx } }, outputDTypes: [to] }, 0, `Cast int64→${to}`);
  }
  await checkAgainstOrt({ op: "Cast", inputs: [tensor("uint8", [3], [0, 200, 255])], attrs: { to: { type: "int", value: DTYPES.float32.onnx } }, outputDTypes: ["float32"] }, 0);
});

test("Add, Mul and Max compute in float64, uint8 and int8 as onnxruntime does", async () => {
  const pairs: [DType, number[], number[]][] = [
    ["float64", [0.1, 1e300, -2.5, 3], [0.2, 1e300, 4, -1e-300]],
    ["uint8", [200, 3, 0, 255], [100, 250, 0, 1]],
    ["int8", [100, -100, 5, -128], [100, -100, -7, 1]],
    ["uint32", [4000000000, 3, 7, 1], [4000000000, 5, 2, 0]],
  ];
  for (const [dtype, a, b] of pairs) {
    for (const op of ["Add", "Mul", "Max", "Sub"]) {
      await checkAgainstOrt({ op, inputs: [tensor(dtype, [4], a), tensor(dtype, [4], b)] }, 0, `${op} ${dtype}`);
    }
  }
});

test("fusec run reads and writes .npy of every dtype", () => {
  const tmp = mkdtempSync(join(tmpdir(), "fusec-dtypes-"));
  const dtypes: DType[] = ["float64", "uint8", "int8", "int16", "uint16", "uint32", "uint64", "float16"];
  const model = join(tmp, "identities.json");
  const inputs = dtypes.map((dtype) => ({ name: dtype, dtype, shape: [3] }));
  const nodes = dtypes.map((dtype) => ({ op: "Identity", inputs: [dtype], outputs: [`${dtype}_out`] }));
  writeFileSync(model, JSON.stringify({ inputs, outputs: nodes.map((n) => n.outputs[0]), nodes }));
  const args = dtypes.flatMap((dtype) => {
    const x = tensor(dtype, [3], [1, 2, 100]);
    const data = dtype === "float16" ? Uint16Array.from(x.data as Float32Array, floatToHalfBits) : x.data;
    const file = join(tmp, `${dtype}.npy`);
    writeFileSync(file, new Uint8Array(dump(data as Float32Array, [3], { dtype: DTYPES[dtype].npy as "f4" })));
    return ["--input", `${dtype}=${file}`];
  });
  const out = join(tmp, "out");
  const r = spawnSync(process.execPath, ["bin/fusec.js", "run", model, ...args, "--outputs", out], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  for (const dtype of dtypes) {
    const bytes = readFileSync(join(out, `${dtype}_out.npy`));
    const back = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    assert.is(back.dtype, DTYPES[dtype].npy, dtype);
    assert.equal(Array.from(back.data as unknown as ArrayLike<number>, Number), [1, 2, 100], dtype);
  }
});

test.run();
