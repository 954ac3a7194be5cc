/**
 * Dense tensors: a dtype, a shape and a flat row-major buffer.
 *
 * float32 carries data; int64 (as BigInt64Array, so that ONNX's INT64_MAX sentinels survive a
 * round trip), int32 and bool carry the shape arithmetic that ONNX models do.
 */

export type DType = "float32" | "int64" | "int32" | "bool";

export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

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
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "int32":
      return new Int32Array(n);
    case "bool":
      return new Uint8Array(n);
  }
}

export function tensor(dtype: DType, shape: readonly number[], data?: TensorData | ArrayLike<number>): Tensor {
  const n = numel(shape);
  let buf: TensorData;
  if (data === undefined) buf = allocData(dtype, n);
  else if (isTyped(data, dtype)) buf = data;
  else {
    buf = allocData(dtype, n);
    const src = data as ArrayLike<number>;
    if (buf instanceof BigInt64Array) for (let i = 0; i < n; i++) buf[i] = BigInt(Math.trunc(Number(src[i])));
    else for (let i = 0; i < n; i++) (buf as Float32Array)[i] = Number(src[i]);
  }
  if (buf.length !== n) {
    throw new RangeError(`tensor of shape [${shape.join(", ")}] needs ${n} elements, got ${buf.length}`);
  }
  return { dtype, shape: [...shape], data: buf };
}

function isTyped(data: unknown, dtype: DType): data is TensorData {
  switch (dtype) {
    case "float32":
      return data instanceof Float32Array;
    case "int64":
      return data instanceof BigInt64Array;
    case "int32":
      return data instanceof Int32Array;
    case "bool":
      return data instanceof Uint8Array;
  }
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
