/**
 * Data movement and generated tensors of any dtype: Tile, Expand, DepthToSpace, SpaceToDepth,
 * Col2Im, Trilu, EyeLike, Range and Size. Shape functions give exact shapes when the shape operands
 * are constant, and fresh unknown dims otherwise.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp } from "../runtime/registry.js";
import { dtypeOfOnnx, numel, strides, type DType, type Tensor, NUMERIC_DTYPES, ALL_DTYPES } from "../runtime/tensor.js";
import { writer } from "./nary.js";
import { gatherStrided } from "./shape.js";
import { attrInt, attrInts, attrString, broadcastShapes, checkDType, constNumbers, formatShape, listOr, mapDim, need, outputUninit, outputZeros, tensorNumbers, unknownDim } from "./util.js";

type Cell = number | bigint;

function unknownShape(rank: number): Dim[] {
  return Array.from({ length: rank }, () => unknownDim());
}

// ── Tile / Expand ─────────────────────────────────────────────────────────────────────────

registerOp({
  op: "Tile",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "input");
    const r = need(inputs, 1, "repeats");
    checkDType(r.dtype, ["int64"], "repeats");
    const repeats = constNumbers(r);
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    if (repeats && repeats.length !== x.shape.length) throw new OpError(`repeats has ${repeats.length} entries, the input has rank ${x.shape.length}`);
    return [{ dtype: x.dtype, shape: repeats ? x.shape.map((d, i) => mapDim(d, (n) => n * repeats[i]!, "tile", repeats[i])) : unknownShape(x.shape.length) }];
  },
  kernel: (inputs) => {
    const x = need(inputs, 0, "input");
    const repeats = tensorNumbers(need(inputs, 1, "repeats"));
    if (repeats.length !== x.shape.length) throw new OpError(`repeats has ${repeats.length} entries, the input has rank ${x.shape.length}`);
    if (repeats.some((r) => r < 0)) throw new OpError(`repeats [${repeats.join(", ")}] has a negative entry`);
    const shape = x.shape.map((d, i) => d * repeats[i]!);
    const out = outputUninit(x.dtype, shape);
    repeatBlocks(x.data, x.shape, out.data, shape);
    return [out];
  },
});

registerOp({
  op: "Expand",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "input");
    const s = need(inputs, 1, "shape");
    checkDType(s.dtype, ["int64"], "shape");
    const target = constNumbers(s);
    if (!target) {
      const len = s.shape?.[0];
      return [{ dtype: x.dtype, shape: typeof len === "number" && x.shape ? unknownShape(Math.max(len, x.shape.length)) : undefined }];
    }
    return [{ dtype: x.dtype, shape: x.shape ? broadcastShapes([x.shape, target], ["input", "shape"]) : undefined }];
  },
  kernel: (inputs) => {
    const x = need(inputs, 0, "input");
    const shape = broadcastShapes([x.shape, tensorNumbers(need(inputs, 1, "shape"))], ["input", "shape"]) as number[];
    const out = outputUninit(x.dtype, shape);
    repeatBlocks(x.data, [...new Array<number>(shape.length - x.shape.length).fill(1), ...x.shape], out.data, shape);
    return [out];
  },
});

/** What repeatBlocks needs of a typed array (every dtype's array has it). */
interface Copyable {
  length: number;
  [i: number]: Cell;
  set(from: ArrayLike<Cell>, at: number): void;
  subarray(start: number, end: number): ArrayLike<Cell>;
  copyWithin(target: number, start: number, end: number): unknown;
}

/**
 * dst (shape `outShape`) from src (shape `inShape`, same rank) repeated along every axis where
 * the output is longer: the input's size divides the output's (Tile), or is 1 (Expand). Written
 * block by block: along each axis the first period is written (rows by one native copy), and
 * the rest doubles by copyWithin from what is already written, so the work is native copies,
 * not an index per element.
 */
function repeatBlocks(srcData: unknown, inShape: readonly number[], dstData: unknown, outShape: readonly number[]): void {
  const src = srcData as Copyable;
  const dst = dstData as Copyable;
  const rank = outShape.length;
  if (dst.length === 0) return;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  const inStrides = strides(inShape);
  const outStrides = strides(outShape);
  const write = (d: number, from: number, to: number): void => {
    const period = inShape[d]!;
    const stride = outStrides[d]!;
    if (d === rank - 1) dst.set(src.subarray(from, from + period), to);
    else for (let p = 0; p < period; p++) write(d + 1, from + p * inStrides[d]!, to + p * stride);
    // The first period written: double it until the axis is full.
    for (let done = period; done < outShape[d]!; ) {
      const k = Math.min(done, outShape[d]! - done);
      dst.copyWithin(to + done * stride, to, to + k * stride);
      done += k;
    }
  };
  write(0, 0, 0);
}

// ── DepthToSpace / SpaceToDepth ───────────────────────────────────────────────────────────

/** x viewed as `view`, its axes permuted by `perm`, as a new tensor of shape `shape`. */
function permuted(x: Tensor, view: readonly number[], perm: readonly number[], shape: readonly number[]): Tensor {
  const vs = strides(view);
  const out = gatherStrided(x, perm.map((p) => view[p]!), 0, perm.map((p) => vs[p]!));
  return { ...out, shape: [...shape] };
}

function blockSize(attrs: Attrs): number {
  const b = attrInt(attrs, "blocksize");
  if (b <= 0) throw new OpError(`blocksize must be positive, got ${b}`);
  return b;
}

function rank4(shape: readonly Dim[] | undefined, name: string): void {
  if (shape && shape.length !== 4) throw new OpError(`input ${name} has rank ${shape.length}, expected 4`);
}

function depthToSpaceShape(shape: readonly Dim[], b: number): Dim[] {
  const c = shape[1]!;
  if (typeof c === "number" && c % (b * b) !== 0) throw new OpError(`channels ${c} are not divisible by blocksize² = ${b * b}`);
  return [shape[0]!, mapDim(c, (n) => n / (b * b), "d2s", b), mapDim(shape[2]!, (n) => n * b, "mul", b), mapDim(shape[3]!, (n) => n * b, "mul", b)];
}

registerOp({
  op: "DepthToSpace",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    rank4(x.shape, "input");
    const mode = attrString(attrs, "mode", "DCR");
    if (mode !== "DCR" && mode !== "CRD") throw new OpError(`mode must be DCR or CRD, got "${mode}"`);
    return [{ dtype: x.dtype, shape: x.shape ? depthToSpaceShape(x.shape, blockSize(attrs)) : undefined }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    rank4(x.shape, "input");
    const b = blockSize(attrs);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const shape = depthToSpaceShape(x.shape, b) as number[];
    const c2 = c / (b * b);
    if (attrString(attrs, "mode", "DCR") === "DCR") return [permuted(x, [n, b, b, c2, h, w], [0, 3, 4, 1, 5, 2], shape)];
    return [permuted(x, [n, c2, b, b, h, w], [0, 1, 4, 2, 5, 3], shape)];
  },
});

registerOp({
  op: "SpaceToDepth",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    rank4(x.shape, "input");
    const b = blockSize(attrs);
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    const [n, c, h, w] = x.shape as [Dim, Dim, Dim, Dim];
    for (const d of [h, w]) if (typeof d === "number" && d % b !== 0) throw new OpError(`spatial size ${d} is not divisible by blocksize ${b}`);
    return [{ dtype: x.dtype, shape: [n, mapDim(c, (v) => v * b * b, "s2d", b), mapDim(h, (v) => v / b, "div", b), mapDim(w, (v) => v / b, "div", b)] }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    rank4(x.shape, "input");
    const b = blockSize(attrs);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    if (h % b !== 0 || w % b !== 0) throw new OpError(`spatial size ${formatShape([h, w])} is not divisible by blocksize ${b}`);
    return [permuted(x, [n, c, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4], [n, c * b * b, h / b, w / b])];
  },
});

// ── Col2Im ───────────────────────────────────────────────────────────────────────────────

/** Col2Im (opset 18): sums the columns of [N, C·∏block, L] back into [N, C, …image_shape]. */
registerOp({
  op: "Col2Im",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "input");
    checkDType(x.dtype, NUMERIC_DTYPES, "input");
    checkDType(need(inputs, 1, "image_shape").dtype, ["int64"], "image_shape");
    checkDType(need(inputs, 2, "block_shape").dtype, ["int64"], "block_shape");
    const image = constNumbers(inputs[1]);
    const block = constNumbers(inputs[2]);
    if (!x.shape || !image || !block) return [{ dtype: x.dtype, shape: undefined }];
    const c = x.shape[1]!;
    const per = block.reduce((p, q) => p * q, 1);
    if (typeof c === "number" && c % per !== 0) throw new OpError(`input has ${c} rows, not a multiple of the block size ${per}`);
    return [{ dtype: x.dtype, shape: [x.shape[0]!, mapDim(c, (v) => v / per, "col2im", per), ...image] }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const image = tensorNumbers(need(inputs, 1, "image_shape"));
    const block = tensorNumbers(need(inputs, 2, "block_shape"));
    const r = image.length;
    if (block.length !== r) throw new OpError(`block_shape has ${block.length} entries, image_shape ${r}`);
    const dilations = listOr(attrInts(attrs, "dilations", []), image.map(() => 1));
    const strides2 = listOr(attrInts(attrs, "strides", []), image.map(() => 1));
    const pads = listOr(attrInts(attrs, "pads", []), [...image, ...image].map(() => 0));
    const [n, rows, cols] = x.shape as [number, number, number];
    const per = block.reduce((p, q) => p * q, 1);
    if (x.shape.length !== 3 || rows % per !== 0) throw new OpError(`input must be [N, C·${per}, L], got ${formatShape(x.shape)}`);
    const c = rows / per;
    const blocksAlong = image.map((d, i) => Math.floor((d + pads[i]! + pads[i + r]! - (dilations[i]! * (block[i]! - 1) + 1)) / strides2[i]!) + 1);
    if (blocksAlong.reduce((p, q) => p * q, 1) !== cols) throw new OpError(`input has ${cols} columns, the image and block shapes give ${blocksAlong.join("×")}`);
    const out = outputZeros(x.dtype, [n, c, ...image]);
    const od = out.data as unknown as number[];
    const xd = x.data as ArrayLike<number>;
    const imageStrides = strides(image);
    const imageSize = numel(image);
    const k = new Array<number>(r);
    const l = new Array<number>(r);
    for (let b = 0; b < n; b++) {
      for (let row = 0; row < rows; row++) {
        const ch = Math.floor(row / per);
        let rest = row % per;
        for (let d = r - 1; d >= 0; d--) {
          k[d] = rest % block[d]!;
          rest = Math.floor(rest / block[d]!);
        }
        for (let col = 0; col < cols; col++) {
          let restCol = col;
          for (let d = r - 1; d >= 0; d--) {
            l[d] = restCol % blocksAlong[d]!;
            restCol = Math.floor(restCol / blocksAlong[d]!);
          }
          let at = 0;
          let inside = true;
          for (let d = 0; d < r; d++) {
            const p = l[d]! * strides2[d]! - pads[d]! + k[d]! * dilations[d]!;
            if (p < 0 || p >= image[d]!) inside = false;
            at += p * imageStrides[d]!;
          }
          if (inside) od[(b * c + ch) * imageSize + at] += xd[(b * rows + row) * cols + col]!;
        }
      }
    }
    return [out];
  },
});

// ── Trilu / EyeLike ───────────────────────────────────────────────────────────────────────

registerOp({
  op: "Trilu",
  domain: "",
  infer: (inputs) => {
    const x = need(inputs, 0, "input");
    if (x.shape && x.shape.length < 2) throw new OpError(`input has rank ${x.shape.length}, expected at least 2`);
    if (inputs[1]) checkDType(inputs[1].dtype, ["int64"], "k");
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    if (x.shape.length < 2) throw new OpError(`input has rank ${x.shape.length}, expected at least 2`);
    const k = inputs[1] ? tensorNumbers(inputs[1])[0]! : 0;
    const upper = attrInt(attrs, "upper", 1) !== 0;
    const rows = x.shape[x.shape.length - 2]!;
    const cols = x.shape[x.shape.length - 1]!;
    const out = outputUninit(x.dtype, x.shape);
    const src = x.data as ArrayLike<Cell>;
    const dst = out.data as unknown as Cell[];
    const zero = typeof src[0] === "bigint" ? 0n : 0;
    for (let i = 0; i < dst.length; i++) {
      const c = i % cols;
      const r = Math.floor(i / cols) % rows;
      const keep = upper ? c - r >= k : c - r <= k;
      dst[i] = keep ? src[i]! : zero;
    }
    return [out];
  },
});

function eyeDtype(attrs: Attrs, input: DType | undefined): DType | undefined {
  const code = attrInt(attrs, "dtype", 0);
  if (code === 0) return input; // UNDEFINED: not given
  const d = dtypeOfOnnx(code);
  if (!d) throw new OpError(`dtype ${code} is not one fusec holds`);
  return d;
}

registerOp({
  op: "EyeLike",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    if (x.shape && x.shape.length !== 2) throw new OpError(`input has rank ${x.shape.length}, expected 2`);
    return [{ dtype: eyeDtype(attrs, x.dtype), shape: x.shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    if (x.shape.length !== 2) throw new OpError(`input has rank ${x.shape.length}, expected 2`);
    const dtype = eyeDtype(attrs, x.dtype)!;
    const k = attrInt(attrs, "k", 0);
    const [rows, cols] = x.shape as [number, number];
    const out = outputUninit(dtype, x.shape);
    const write = writer(dtype, out.data);
    for (let i = 0; i < rows * cols; i++) write(i, i % cols === Math.floor(i / cols) + k ? 1 : 0);
    return [out];
  },
});

// ── Range / Size ──────────────────────────────────────────────────────────────────────────

function rangeCount(start: number, limit: number, delta: number): number {
  if (delta === 0) throw new OpError("delta must not be 0");
  return Math.max(Math.ceil((limit - start) / delta), 0);
}

registerOp({
  op: "Range",
  domain: "",
  infer: (inputs) => {
    const names = ["start", "limit", "delta"];
    const infos = names.map((n, i) => need(inputs, i, n));
    infos.forEach((info, i) => checkDType(info.dtype, NUMERIC_DTYPES, names[i]!));
    const values = infos.map((i) => constNumbers(i)?.[0]);
    const n = values.every((v) => v !== undefined) ? rangeCount(values[0]!, values[1]!, values[2]!) : unknownDim();
    return [{ dtype: infos[0]!.dtype, shape: [n] }];
  },
  kernel: (inputs) => {
    const start = need(inputs, 0, "start");
    const [s, l, d] = [start, need(inputs, 1, "limit"), need(inputs, 2, "delta")].map((t) => tensorNumbers(t)[0]!) as [number, number, number];
    const n = rangeCount(s, l, d);
    const out = outputUninit(start.dtype, [n]);
    const write = writer(start.dtype, out.data);
    for (let i = 0; i < n; i++) write(i, s + i * d);
    return [out];
  },
});

registerOp({
  op: "Size",
  domain: "",
  infer: (inputs) => {
    checkDType(need(inputs, 0, "data").dtype, ALL_DTYPES, "data");
    return [{ dtype: "int64", shape: [] }];
  },
  kernel: (inputs) => {
    const out = outputUninit("int64", []);
    (out.data as BigInt64Array)[0] = BigInt(numel(need(inputs, 0, "data").shape));
    return [out];
  },
});
