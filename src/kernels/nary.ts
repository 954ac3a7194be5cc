/**
 * Element-wise ops of any dtype and any number of broadcast operands, for the op families that
 * are not on the hot path of real models (comparisons, logic, Where, unary maths on every dtype,
 * Sum/Mean, Mod, BitShift, …). Values are read as JS numbers, or as BigInts for int64/uint64,
 * and written back through the dtype table's conversions; float16 results are rounded to half.
 *
 * Also: one registration per op as data (`defineElementwise`), with the shape function, dtype
 * checks and kernel derived from the row.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type OutputInfo, type ValueInfo } from "../runtime/registry.js";
import { isBigInt, numel, roundToHalf, type DType, type Tensor, type TensorData } from "../runtime/tensor.js";
import { broadcastShapes, checkDType, need, outputUninit } from "./util.js";
import { simdMap, type SimdMapKind } from "./vector.js";

/** A value as kernels of this family see it. */
export type Scalar = number | bigint;

/**
 * For each element of `outShape`, the flat index of the element of a `shape` operand broadcast
 * to it; undefined when the shapes are equal (the index is the output's own).
 */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array | undefined {
  if (shape.length === outShape.length && shape.every((d, i) => d === outShape[i])) return undefined;
  const rank = outShape.length;
  const n = numel(outShape);
  const index = new Int32Array(n);
  const inStrides = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const od = d + rank - shape.length;
    inStrides[od] = shape[d] === 1 ? 0 : acc;
    acc *= shape[d]!;
  }
  const pos = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    index[i] = src;
    for (let d = rank - 1; d >= 0; d--) {
      src += inStrides[d]!;
      if (++pos[d]! < outShape[d]!) break;
      src -= inStrides[d]! * outShape[d]!;
      pos[d] = 0;
    }
  }
  return index;
}

/** Reads element i of a tensor as a number or BigInt. */
export function reader(t: Tensor, outShape: readonly number[]): (i: number) => Scalar {
  const index = broadcastIndex(t.shape, outShape);
  const d = t.data as ArrayLike<Scalar>;
  return index ? (i) => d[index[i]!]! : (i) => d[i]!;
}

/** Writes a computed value into element i of `data` (dtype `dtype`), converting as needed. */
export function writer(dtype: DType, data: TensorData): (i: number, v: Scalar | boolean) => void {
  if (isBigInt(data)) return (i, v) => (data[i] = typeof v === "bigint" ? v : BigInt(Math.trunc(Number(v))));
  if (dtype === "bool") return (i, v) => (data[i] = v ? 1 : 0);
  if (dtype === "float16") return (i, v) => (data[i] = roundToHalf(Number(v)));
  return (i, v) => (data[i] = Number(v));
}

/** out[i] = f(inputs broadcast at i…); the output has dtype `dtype`. */
export function mapBroadcast(inputs: readonly Tensor[], dtype: DType, f: (args: Scalar[]) => Scalar | boolean, names?: readonly string[]): Tensor {
  const shape = broadcastShapes(
    inputs.map((t) => t.shape),
    names,
  ) as number[];
  const out = outputUninit(dtype, shape);
  const reads = inputs.map((t) => reader(t, shape));
  const write = writer(dtype, out.data);
  const args = new Array<Scalar>(inputs.length);
  const n = out.data.length;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < reads.length; k++) args[k] = reads[k]!(i);
    write(i, f(args));
  }
  return out;
}

// ── elementwise ops as data ───────────────────────────────────────────────────────────────

export interface ElementwiseDef {
  op: string;
  /** Operand names in slot order; a trailing "..." makes the op variadic. */
  inputs: readonly string[];
  /** Accepted dtypes of every operand… */
  dtypes: readonly DType[];
  /** …except these, by slot. */
  operandDTypes?: Readonly<Record<number, readonly DType[]>>;
  /** Operands that must share one dtype (default: all). */
  sameType?: readonly number[];
  /** Output dtype: fixed, or the first operand's (default). */
  output?: DType | ((inputs: readonly (DType | undefined)[]) => DType | undefined);
  /** Rewrites operand shapes before broadcasting (same element count), for ops with older broadcast rules. */
  align?: (shapes: readonly (readonly Dim[])[]) => (readonly Dim[])[];
  /** Checks attributes at shape-inference time (throws OpError). */
  checkAttrs?: (attrs: Attrs, dtypes: readonly (DType | undefined)[]) => void;
  /** Builds the element function from the attributes and the operand dtypes. */
  fn: (attrs: Attrs, dtypes: readonly DType[]) => (args: Scalar[]) => Scalar | boolean;
  /**
   * For a one-operand op: the same function on a number, run in a tight loop when the operand
   * and the result are arrays of plain numbers (not BigInt, bool or float16).
   */
  number?: (attrs: Attrs) => (x: number) => number;
  /** For a one-operand op: the SIMD module's version, exact on float32 (see simdMap). */
  simd?: SimdMapKind;
  /** For a two-operand op: the function on numbers, as `number` (broadcast by index tables). */
  number2?: (attrs: Attrs) => (x: number, y: number) => number;
}

/** dtypes whose arrays hold the numbers they mean (no BigInt, bool or half-float conversion). */
const PLAIN: ReadonlySet<DType> = new Set<DType>(["float32", "float64", "int8", "int16", "int32", "uint8", "uint16", "uint32"]);

function operandNames(def: ElementwiseDef, count: number): string[] {
  const last = def.inputs[def.inputs.length - 1]!;
  if (!last.endsWith("...")) return [...def.inputs];
  const base = last.slice(0, -3);
  return Array.from({ length: count }, (_, i) => (i < def.inputs.length - 1 ? def.inputs[i]! : `${base}_${i}`));
}

function outputDType(def: ElementwiseDef, dtypes: readonly (DType | undefined)[]): DType | undefined {
  if (typeof def.output === "string") return def.output;
  if (typeof def.output === "function") return def.output(dtypes);
  return dtypes[0];
}

export function defineElementwise(def: ElementwiseDef): void {
  const variadic = def.inputs[def.inputs.length - 1]!.endsWith("...");
  const arity = (count: number): number => (variadic ? Math.max(1, count) : def.inputs.length);
  const infer = (inputs: readonly (ValueInfo | undefined)[], attrs: Attrs): OutputInfo[] => {
    const names = operandNames(def, arity(inputs.length));
    const infos = names.map((name, i) => need(inputs, i, name));
    infos.forEach((info, i) => checkDType(info.dtype, def.operandDTypes?.[i] ?? def.dtypes, names[i]!));
    const same = def.sameType ?? infos.map((_, i) => i);
    const dtypes = same.map((i) => infos[i]?.dtype).filter((d): d is DType => d !== undefined);
    if (dtypes.some((d) => d !== dtypes[0])) {
      throw new OpError(`inputs ${same.map((i) => `${names[i]} (${infos[i]?.dtype})`).join(" and ")} must have one dtype`);
    }
    def.checkAttrs?.(
      attrs,
      infos.map((i) => i.dtype),
    );
    const shapes = infos.map((i) => i.shape);
    const shape = shapes.every((s) => s !== undefined) ? broadcastShapes(def.align ? def.align(shapes as Dim[][]) : (shapes as Dim[][]), names) : undefined;
    return [{ dtype: outputDType(def, infos.map((i) => i.dtype)), shape }];
  };
  registerOp({
    op: def.op,
    domain: "",
    infer,
    kernel: (inputs, attrs) => {
      const names = operandNames(def, arity(inputs.length));
      let ts = names.map((name, i) => need(inputs, i, name));
      if (def.align) {
        const shapes = def.align(ts.map((t) => t.shape)) as number[][];
        ts = ts.map((t, i) => ({ ...t, shape: shapes[i]! }));
      }
      const dtypes = ts.map((t) => t.dtype);
      const out = outputDType(def, dtypes)!;
      if (def.number && ts.length === 1 && PLAIN.has(dtypes[0]!) && PLAIN.has(out)) {
        const x = ts[0]!.data as Float32Array;
        const result = outputUninit(out, ts[0]!.shape);
        const o = result.data as Float32Array;
        if (def.simd && out === "float32" && dtypes[0] === "float32" && simdMap(def.simd, x, o, 0, x.length)) return [result];
        const f = def.number(attrs);
        for (let i = 0; i < x.length; i++) o[i] = f(x[i]!);
        return [result];
      }
      if (def.number2 && ts.length === 2 && PLAIN.has(dtypes[0]!) && PLAIN.has(dtypes[1]!) && PLAIN.has(out)) {
        const shape = broadcastShapes(ts.map((t) => t.shape), names) as number[];
        const result = outputUninit(out, shape);
        const o = result.data as Float32Array;
        const [x, y] = ts.map((t) => t.data as Float32Array) as [Float32Array, Float32Array];
        const [ix, iy] = ts.map((t) => broadcastIndex(t.shape, shape));
        const f = def.number2(attrs);
        if (!ix && !iy) for (let i = 0; i < o.length; i++) o[i] = f(x[i]!, y[i]!);
        else if (!ix) for (let i = 0; i < o.length; i++) o[i] = f(x[i]!, y[iy![i]!]!);
        else if (!iy) for (let i = 0; i < o.length; i++) o[i] = f(x[ix[i]!]!, y[i]!);
        else for (let i = 0; i < o.length; i++) o[i] = f(x[ix[i]!]!, y[iy[i]!]!);
        return [result];
      }
      return [mapBroadcast(ts, out, def.fn(attrs, dtypes), names)];
    },
  });
}
