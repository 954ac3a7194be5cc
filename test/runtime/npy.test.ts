import { test } from "uvu";
import * as assert from "uvu/assert";
import { dump, parse } from "npyjs";
import { encodeNpy, parseNpy } from "../../src/runtime/npy.js";

// npyjs serves as an independent reader and writer of the format.

test(".npy files fusec writes read back in npyjs with their dtype, shape and values", () => {
  const cases = [
    { dtype: "float32", shape: [2, 3], data: new Float32Array([1.5, -2, 0, 3, 4, Infinity]), descr: "f4" },
    { dtype: "int64", shape: [3], data: new BigInt64Array([1n, -(2n ** 62n), 7n]), descr: "i8" },
    { dtype: "int32", shape: [], data: new Int32Array([-5]), descr: "i4" },
    { dtype: "bool", shape: [1, 2], data: new Uint8Array([1, 0]), descr: "b1" },
  ];
  for (const c of cases) {
    const bytes = encodeNpy(c);
    assert.is((bytes.length - c.data.byteLength) % 64, 0, "data starts 64-byte aligned");
    const back = parse(bytes.slice().buffer as ArrayBuffer);
    assert.is(back.dtype, c.descr);
    assert.equal(back.shape, c.shape);
    const text = (x: unknown) => (typeof x === "boolean" ? String(Number(x)) : String(x));
    assert.equal([...(back.data as unknown as Iterable<unknown>)].map(text), [...(c.data as unknown as Iterable<unknown>)].map(text));
    const ours = parseNpy(bytes);
    assert.equal([ours.dtype, ours.shape, ours.fortranOrder], [c.descr, c.shape, false]);
  }
});

test(".npy files npyjs writes parse to the same values, also from a Node Buffer slice", () => {
  const data = new Float64Array([0.25, -1e300, 3]);
  const written = new Uint8Array(dump(data, [3, 1]));
  const padded = Buffer.concat([Buffer.from("xyz"), Buffer.from(written)]).subarray(3);
  const r = parseNpy(padded);
  assert.equal([r.dtype, r.shape], ["f8", [3, 1]]);
  assert.equal([...r.data], [0.25, -1e300, 3]);
});

test("float16 widens to float32; bad magic, truncated data and big-endian data are errors", () => {
  const header = "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }";
  const head = new TextEncoder().encode(header.padEnd(117) + "\n");
  const bytes = new Uint8Array(10 + head.length + 6);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(bytes.buffer).setUint16(8, head.length, true);
  bytes.set(head, 10);
  new DataView(bytes.buffer).setUint16(10 + head.length, 0x3c00, true); // 1
  new DataView(bytes.buffer).setUint16(12 + head.length, 0xc000, true); // -2
  new DataView(bytes.buffer).setUint16(14 + head.length, 0x7c00, true); // inf
  assert.equal([...parseNpy(bytes).data], [1, -2, Infinity]);
  assert.throws(() => parseNpy(bytes.subarray(0, bytes.length - 1)), /truncated \.npy data/);
  assert.throws(() => parseNpy(new Uint8Array(20)), /not a \.npy file/);
  const big = bytes.slice();
  big[10 + header.indexOf("<")] = ">".charCodeAt(0);
  assert.throws(() => parseNpy(big), /big-endian/);
});

test.run();
