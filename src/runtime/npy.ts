/**
 * NumPy `.npy` files (format versions 1–3), bytes in: the header's dtype, shape and order, and
 * the elements as a typed array. Little-endian (or byte-order-free) numeric dtypes only; float16
 * elements are widened to float32. Platform-neutral: reading the file is the caller's business.
 */

export interface NpyArray {
  /** The NumPy type code without byte order: "f4", "f8", "f2", "i8", "i4", "b1", … */
  dtype: string;
  shape: number[];
  fortranOrder: boolean;
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Parses `.npy` bytes; throws an Error whose message says what is wrong with them. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error("not a .npy file (bad magic bytes)");
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wide = major >= 2;
  const headerLength = wide ? view.getUint32(8, true) : view.getUint16(8, true);
  const headerStart = wide ? 12 : 10;
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new Error("truncated .npy header");
  const header = new TextDecoder(major >= 3 ? "utf-8" : "latin1").decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`malformed .npy header ${JSON.stringify(header.trim())}`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`malformed .npy shape (${shapeText})`);
  const order = descr[0]!;
  const dtype = descr.slice(1);
  if (order === ">" && !dtype.endsWith("1")) throw new Error(`big-endian .npy data ("${descr}") is not supported`);
  const count = shape.reduce((a, b) => a * b, 1);
  const width = ELEMENT_WIDTH[dtype];
  if (width === undefined) return { dtype, shape, fortranOrder: fortran === "True", data: new Uint8Array(0) };
  if (dataStart + count * width > bytes.length) throw new Error(`truncated .npy data (${count} elements of ${descr} expected)`);
  // Copy (also out of a Node Buffer's shared pool): the data offset need not be aligned for a view.
  const raw = new Uint8Array(count * width);
  raw.set(bytes.subarray(dataStart, dataStart + count * width));
  return { dtype, shape, fortranOrder: fortran === "True", data: elements(dtype, raw.buffer, count) };
}

const ELEMENT_WIDTH: Record<string, number> = { f8: 8, f4: 4, f2: 2, i8: 8, i4: 4, b1: 1, u1: 1 };

function elements(dtype: string, raw: ArrayBuffer, count: number): NpyArray["data"] {
  switch (dtype) {
    case "f8":
      return new Float64Array(raw, 0, count);
    case "f4":
      return new Float32Array(raw, 0, count);
    case "f2": {
      const halves = new Uint16Array(raw, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]!);
      return out;
    }
    case "i8":
      return new BigInt64Array(raw, 0, count);
    case "i4":
      return new Int32Array(raw, 0, count);
    default:
      return new Uint8Array(raw, 0, count);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** NumPy type strings of fusec dtypes (and of the ones tensor.ts may add). */
const DESCR: Record<string, string> = {
  float32: "<f4",
  float64: "<f8",
  float16: "<f2",
  int64: "<i8",
  int32: "<i4",
  int16: "<i2",
  int8: "|i1",
  uint8: "|u1",
  uint16: "<u2",
  uint32: "<u4",
  uint64: "<u8",
  bool: "|b1",
};

/**
 * A `.npy` (version 1.0) file holding a tensor, C order, its elements as stored in `data`; the
 * header is padded so that the data starts 64-byte aligned.
 */
export function encodeNpy(t: { dtype: string; shape: readonly number[]; data: ArrayBufferView }): Uint8Array {
  const descr = DESCR[t.dtype];
  if (!descr) throw new Error(`cannot write ${t.dtype} as .npy`);
  const shape = t.shape;
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const head = new TextEncoder().encode(header);
  const body = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(10 + head.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, head.length, true);
  out.set(head, 10);
  out.set(body, 10 + head.length);
  return out;
}
