import { test } from "uvu";
import * as assert from "uvu/assert";
import { dump, parse } from "npyjs";
import { encodeNpy, parseNpy } from "../../src/runtime/npy.js";
import { dataFromBytes, numel, tensor, type DType } from "../../src/runtime/tensor.js";

// npyjs serves as an independent reader and writer of the format.

const text = (x: unknown) => (typeof x === "boolean" ? String(Number(x)) : String(x));

test(".npy files fusec writes read back in npyjs with their dtype, shape and values", () => {
  const cases: { dtype: DType; shape: number[]; values: number[] | bigint[]; descr: string }[] = [
    { dtype: "float32", shape: [2, 3], values: [1.5, -2, 0, 3, 4, Infinity], descr: "f4" },
    { dtype: "int64", shape: [3], values: [1n, -(2n ** 62n), 7n], descr: "i8" },
    { dtype: "int32", shape: [], values: [-5], descr: "i4" },
    { dtype: "bool", shape: [1, 2], values: [1, 0], descr: "b1" },
    { dtype: "uint8", shape: [2], values: [255, 3], descr: "u1" },
    { dtype: "float64", shape: [1], values: [1e300], descr: "f8" },
  ];
  for (const c of cases) {
    const bytes = encodeNpy(tensor(c.dtype, c.shape, c.values as ArrayLike<number>));
    const back = parse(bytes.slice().buffer as ArrayBuffer);
    assert.is(back.dtype, c.descr);
    assert.equal(back.shape, c.shape);
    assert.equal([...(back.data as unknown as Iterable<unknown>)].map(text), c.values.map(text));
    const ours = parseNpy(bytes);
    assert.equal([ours.dtype, ours.shape, ours.fortranOrder], [c.dtype, c.shape, false]);
    assert.equal([...dataFromBytes(c.dtype, ours.data, numel(c.shape))].map(text), c.values.map(text));
  }
});

test(".npy files npyjs writes parse to the same values, also from a Node Buffer slice", () => {
  const written = new Uint8Array(dump(new Float64Array([0.25, -1e300, 3]), [3, 1]));
  const inPool = Buffer.concat([Buffer.from("xyz"), Buffer.from(written)]).subarray(3);
  const r = parseNpy(inPool);
  assert.equal([r.dtype, r.shape], ["float64", [3, 1]]);
  assert.equal([...dataFromBytes("float64", r.data, 3)], [0.25, -1e300, 3]);
});

test("float16 reads as halfs; bad magic, truncated data and big-endian data are errors", () => {
  const header = "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }";
  const head = new TextEncoder().encode(header.padEnd(117) + "\n");
  const bytes = new Uint8Array(10 + head.length + 6);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  const view = new DataView(bytes.buffer);
  view.setUint16(8, head.length, true);
  bytes.set(head, 10);
  [0x3c00, 0xc000, 0x7c00].forEach((h, i) => view.setUint16(10 + head.length + 2 * i, h, true)); // 1, -2, ∞
  const r = parseNpy(bytes);
  assert.is(r.dtype, "float16");
  assert.equal([...dataFromBytes("float16", r.data, 3)], [1, -2, Infinity]);
  assert.equal([...encodeNpy(tensor("float16", [3], [1, -2, Infinity])).subarray(-6)], [...bytes.subarray(-6)]);
  assert.throws(() => parseNpy(bytes.subarray(0, bytes.length - 1)), /truncated \.npy data/);
  assert.throws(() => parseNpy(new Uint8Array(20)), /not a \.npy file/);
  const big = bytes.slice();
  big[10 + header.indexOf("<")] = ">".charCodeAt(0);
  assert.throws(() => parseNpy(big), /big-endian/);
});

test(".npy headers pad the data to a 64-byte boundary", () => {
  for (const shape of [[1], [7, 3], [2, 3, 4, 5]]) {
    const bytes = encodeNpy(tensor("float32", shape));
    assert.is((bytes.length - numel(shape) * 4) % 64, 0);
  }
});

test.run();
