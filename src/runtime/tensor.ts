/**
 * Dense tensors: a dtype, a shape and a flat row-major buffer.
 *
 * Every dtype is one row of `DTYPES`: its ONNX element type code, the typed array that holds
 * its elements, and its numpy code. int64/uint64 use BigInt arrays, so that ONNX's INT64_MAX
 * sentinels survive a round trip. bool is a Uint8Array of 0/1. float16 is kept as float32
 * storage holding values that half precision represents exactly (Cast rounds into it); ONNX
 * and .npy files carry it as 16-bit halfs.
 */

export type DType =
  | "float32"
  | "float64"
  | "float16"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint64"
  | "uint32"
  | "uint16"
  | "uint8"
  | "bool";

export type TensorData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

type ArrayCtor = {
  new (n: number): TensorData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

export interface DTypeInfo {
  readonly name: DType;
  /** ONNX TensorProto.DataType code. */
  readonly onnx: number;
  /** The typed array holding the elements in memory. */
  readonly array: ArrayCtor;
  /** numpy's dtype code in .npy headers (without the byte-order mark). */
  readonly npy: string;
  /** Bytes per element in ONNX raw data and .npy files (float16: 2, though held as float32). */
  readonly bytes: number;
  readonly kind: "float" | "int" | "uint" | "bool";
}

const row = (name: DType, onnx: number, array: ArrayCtor, npy: string, kind: DTypeInfo["kind"], bytes = array.BYTES_PER_ELEMENT): DTypeInfo => ({
  name,
  onnx,
  array,
  npy,
  bytes,
  kind,
});

/** The dtypes fusec holds, one row each. */
export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  float32: row("float32", 1, Float32Array, "f4", "float"),
  uint8: row("uint8", 2, Uint8Array, "u1", "uint"),
  int8: row("int8", 3, Int8Array, "i1", "int"),
  uint16: row("uint16", 4, Uint16Array, "u2", "uint"),
  int16: row("int16", 5, Int16Array, "i2", "int"),
  int32: row("int32", 6, Int32Array, "i4", "int"),
  int64: row("int64", 7, BigInt64Array, "i8", "int"),
  bool: row("bool", 9, Uint8Array, "b1", "bool"),
  float16: row("float16", 10, Float32Array, "f2", "float", 2),
  float64: row("float64", 11, Float64Array, "f8", "float"),
  uint32: row("uint32", 12, Uint32Array, "u4", "uint"),
  uint64: row("uint64", 13, BigUint64Array, "u8", "uint"),
};

export const ALL_DTYPES: readonly DType[] = Object.keys(DTYPES) as DType[];
export const FLOAT_DTYPES: readonly DType[] = ALL_DTYPES.filter((d) => DTYPES[d].kind === "float");
export const INT_DTYPES: readonly DType[] = ALL_DTYPES.filter((d) => DTYPES[d].kind === "int" || DTYPES[d].kind === "uint");
/** Every dtype but bool: what arithmetic accepts. */
export const NUMERIC_DTYPES: readonly DType[] = ALL_DTYPES.filter((d) => d !== "bool");

export function isDType(name: unknown): name is DType {
  return typeof name === "string" && Object.prototype.hasOwnProperty.call(DTYPES, name);
}

/** The dtype of an ONNX element type code, or undefined when fusec does not hold it. */
export function dtypeOfOnnx(code: number): DType | undefined {
  return ALL_DTYPES.find((d) => DTYPES[d].onnx === code);
}

/** The dtype of a numpy code ("f4", "<i8", "|b1"), or undefined. */
export function dtypeOfNpy(code: string): DType | undefined {
  const c = code.replace(/^[<>|=]/, "");
  return ALL_DTYPES.find((d) => DTYPES[d].npy === c);
}

export function isFloat(dtype: DType): boolean {
  return DTYPES[dtype].kind === "float";
}

/** int64 and uint64 hold BigInts. */
export function isBigInt(data: TensorData): data is BigInt64Array | BigUint64Array {
  return data instanceof BigInt64Array || data instanceof BigUint64Array;
}

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocData(dtype: DType, n: number): TensorData {
  return new DTYPES[dtype].array(n);
}

/**
 * Stores a JS number into element i of a buffer of `dtype`, converting as ONNX's Cast does:
 * integers truncate toward zero (NaN and ±∞ become 0), bool is value ≠ 0, float16 rounds to
 * half precision; integer kinds wrap modulo their width.
 */
export function storeNumber(dtype: DType, data: TensorData, i: number, v: number): void {
  switch (DTYPES[dtype].kind) {
    case "float":
      data[i] = dtype === "float16" ? roundToHalf(v) : v;
      return;
    case "bool":
      data[i] = v !== 0 && v === v ? 1 : 0;
      return;
    default: {
      const t = Number.isFinite(v) ? Math.trunc(v) : 0;
      if (isBigInt(data)) data[i] = BigInt(t);
      else data[i] = t;
    }
  }
}

/** `src` converted element by element into a new buffer of `dtype` (ONNX Cast semantics). */
export function convertData(src: TensorData, dtype: DType): TensorData {
  const out = allocData(dtype, src.length);
  convertInto(src, dtype, out);
  return out;
}

export function convertInto(src: TensorData, dtype: DType, out: TensorData): void {
  const n = src.length;
  if (isBigInt(src) && isBigInt(out)) {
    const wrap = out instanceof BigInt64Array ? (x: bigint) => BigInt.asIntN(64, x) : (x: bigint) => BigInt.asUintN(64, x);
    for (let i = 0; i < n; i++) out[i] = wrap(src[i] as bigint);
    return;
  }
  if (isBigInt(src) && DTYPES[dtype].kind !== "float" && DTYPES[dtype].kind !== "bool") {
    // Wrap through BigInt so that narrowing keeps the low bits exactly.
    const bits = DTYPES[dtype].bytes * 8;
    const signed = DTYPES[dtype].kind === "int";
    for (let i = 0; i < n; i++) {
      const x = src[i] as bigint;
      out[i] = Number(signed ? BigInt.asIntN(bits, x) : BigInt.asUintN(bits, x));
    }
    return;
  }
  for (let i = 0; i < n; i++) storeNumber(dtype, out, i, Number(src[i]));
}

const halfScratch = new Float32Array(1);
const halfBits = new Uint32Array(halfScratch.buffer);

/** IEEE float32 → nearest float16 bits (round to nearest even). */
export function floatToHalfBits(v: number): number {
  halfScratch[0] = v;
  const x = halfBits[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** float16 bits → the number they encode. */
export function halfBitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function roundToHalf(v: number): number {
  return halfBitsToFloat(floatToHalfBits(v));
}

/**
 * The bytes of a tensor as ONNX raw data and .npy files lay them out (little-endian; float16
 * as 16-bit halfs).
 */
export function tensorBytes(t: Tensor): Uint8Array {
  if (t.dtype === "float16") {
    const bits = Uint16Array.from(t.data as Float32Array, floatToHalfBits);
    return new Uint8Array(bits.buffer);
  }
  const d = t.data;
  return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

/** A tensor's elements from little-endian bytes (the inverse of `tensorBytes`). */
export function dataFromBytes(dtype: DType, bytes: Uint8Array, n: number): TensorData {
  const info = DTYPES[dtype];
  if (bytes.length !== n * info.bytes) throw new RangeError(`${n} ${dtype} elements need ${n * info.bytes} bytes, got ${bytes.length}`);
  const copy = new Uint8Array(bytes); // aligned
  if (dtype === "float16") return Float32Array.from(new Uint16Array(copy.buffer, 0, n), halfBitsToFloat);
  if (dtype === "bool") return copy.map((b) => (b ? 1 : 0));
  return new info.array(copy.buffer, 0, n);
}

export function tensor(dtype: DType, shape: readonly number[], data?: TensorData | ArrayLike<number>): Tensor {
  const n = numel(shape);
  let buf: TensorData;
  if (data === undefined) buf = allocData(dtype, n);
  else if (isTyped(data, dtype)) buf = data;
  else {
    const src = data as ArrayLike<number | bigint>;
    buf = allocData(dtype, src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      if (typeof v === "bigint" && isBigInt(buf)) buf[i] = v;
      else storeNumber(dtype, buf, i, Number(v));
    }
  }
  if (buf.length !== n) {
    throw new RangeError(`tensor of shape [${shape.join(", ")}] needs ${n} elements, got ${buf.length}`);
  }
  return { dtype, shape: [...shape], data: buf };
}

function isTyped(data: unknown, dtype: DType): data is TensorData {
  return data instanceof DTYPES[dtype].array;
}

export function f32(shape: readonly number[], data?: ArrayLike<number>): Tensor {
  return tensor("float32", shape, data);
}

export function i64(shape: readonly number[], data?: ArrayLike<number>): Tensor {
  return tensor("int64", shape, data);
}

export function scalarF32(v: number): Tensor {
  return f32([], [v]);
}

/** Element i as a JS number, whatever the dtype (int64 values beyond 2^53 lose precision). */
export function at(t: Tensor, i: number): number {
  return Number(t.data[i]);
}

/** All elements as JS numbers (for shape tensors and small constants). */
export function toNumbers(t: Tensor): number[] {
  const out = new Array<number>(t.data.length);
  for (let i = 0; i < t.data.length; i++) out[i] = Number(t.data[i]);
  return out;
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function cloneTensor(t: Tensor): Tensor {
  return { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() as TensorData };
}
