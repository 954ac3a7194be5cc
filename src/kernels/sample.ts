/**
 * Sampling an image at computed positions: GridSample (2-D: NCHW input, [N, H_out, W_out, 2]
 * grid of (x, y) in [-1, 1]; nearest, bilinear or bicubic; zeros, border or reflection
 * padding; the opset 16 and opset 20 mode names) and CenterCropPad.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp } from "../runtime/registry.js";
import { FLOAT_DTYPES, numel, strides } from "../runtime/tensor.js";
import { roundHalfEven } from "./math.js";
import { writer } from "./nary.js";
import { attrInt, attrInts, attrString, checkDType, constNumbers, need, normAxis, outputUninit, outputZeros, tensorNumbers, unknownDim } from "./util.js";

type Mode = "nearest" | "linear" | "cubic";
type Padding = "zeros" | "border" | "reflection";

function gridMode(attrs: Attrs): Mode {
  const m = attrString(attrs, "mode", "linear");
  // Opset 16 names the modes bilinear and bicubic.
  const mode = m === "bilinear" ? "linear" : m === "bicubic" ? "cubic" : m;
  if (mode !== "nearest" && mode !== "linear" && mode !== "cubic") throw new OpError(`unknown mode "${m}" (expected nearest, linear/bilinear or cubic/bicubic)`);
  return mode;
}

function gridPadding(attrs: Attrs): Padding {
  const p = attrString(attrs, "padding_mode", "zeros");
  if (p !== "zeros" && p !== "border" && p !== "reflection") throw new OpError(`unknown padding_mode "${p}" (expected zeros, border or reflection)`);
  return p;
}

/** Reflects x into [lo, hi] as often as needed. */
function reflect(x: number, lo: number, hi: number): number {
  const range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    const d = lo - x;
    const n = Math.floor(d / range);
    const r = d - n * range;
    return n % 2 === 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const d = x - hi;
    const n = Math.floor(d / range);
    const r = d - n * range;
    return n % 2 === 0 ? hi - r : lo + r;
  }
  return x;
}

function cubicWeights(t: number): [number, number, number, number] {
  const a = -0.75;
  const w0 = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
  const w1 = ((a + 2) * t - (a + 3)) * t * t + 1;
  const w2 = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
  const w3 = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a;
  return [w0, w1, w2, w3];
}

registerOp({
  op: "GridSample",
  domain: "",
  infer: (inputs, attrs) => {
    gridMode(attrs);
    gridPadding(attrs);
    const x = need(inputs, 0, "X");
    const grid = need(inputs, 1, "grid");
    checkDType(x.dtype, FLOAT_DTYPES, "X");
    checkDType(grid.dtype, FLOAT_DTYPES, "grid");
    if (x.shape && x.shape.length !== 4) throw new OpError(`X has rank ${x.shape.length}; only 2-D sampling (rank 4) is supported`);
    if (grid.shape && (grid.shape.length !== 4 || (typeof grid.shape[3] === "number" && grid.shape[3] !== 2))) {
      throw new OpError(`grid must have shape [N, H_out, W_out, 2], got [${grid.shape.join(", ")}]`);
    }
    if (!x.shape || !grid.shape) return [{ dtype: x.dtype, shape: undefined }];
    return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, grid.shape[1]!, grid.shape[2]!] }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const grid = need(inputs, 1, "grid");
    if (x.shape.length !== 4) throw new OpError(`X has rank ${x.shape.length}; only 2-D sampling (rank 4) is supported`);
    const mode = gridMode(attrs);
    const padding = gridPadding(attrs);
    const align = attrInt(attrs, "align_corners", 0) !== 0;
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const [gn, ho, wo] = grid.shape as [number, number, number];
    if (gn !== n) throw new OpError(`grid batch ${gn} differs from X batch ${n}`);
    const out = outputUninit(x.dtype, [n, c, ho, wo]);
    const write = writer(x.dtype, out.data);
    const xd = x.data as ArrayLike<number>;
    const gd = grid.data as ArrayLike<number>;
    const [xMin, xMax] = align ? [0, w - 1] : [-0.5, w - 0.5];
    const [yMin, yMax] = align ? [0, h - 1] : [-0.5, h - 0.5];
    const denormalize = (v: number, size: number) => (align ? ((v + 1) / 2) * (size - 1) : ((v + 1) * size - 1) / 2);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const plane = (b * c + ch) * h * w;
        const pixel = (r: number, col: number): number => {
          if (padding === "zeros") return r >= 0 && r < h && col >= 0 && col < w ? xd[plane + r * w + col]! : 0;
          if (padding === "border") return xd[plane + Math.min(Math.max(r, 0), h - 1) * w + Math.min(Math.max(col, 0), w - 1)]!;
          const rr = Math.trunc(reflect(r, yMin, yMax));
          const cc = Math.trunc(reflect(col, xMin, xMax));
          return xd[plane + rr * w + cc]!;
        };
        for (let i = 0; i < ho * wo; i++) {
          const g = (b * ho * wo + i) * 2;
          let sx = denormalize(gd[g]!, w);
          let sy = denormalize(gd[g + 1]!, h);
          if (mode === "nearest") {
            sx = roundHalfEven(sx);
            sy = roundHalfEven(sy);
          }
          // Padding applies to each pixel read (pixel above), as onnxruntime does.
          let v: number;
          if (mode === "nearest") v = pixel(Math.trunc(sy), Math.trunc(sx));
          else if (mode === "linear") {
            const x1 = Math.floor(sx);
            const y1 = Math.floor(sy);
            const dx = sx - x1;
            const dy = sy - y1;
            v = (1 - dy) * ((1 - dx) * pixel(y1, x1) + dx * pixel(y1, x1 + 1)) + dy * ((1 - dx) * pixel(y1 + 1, x1) + dx * pixel(y1 + 1, x1 + 1));
          } else {
            const x0 = Math.floor(sx) - 1;
            const y0 = Math.floor(sy) - 1;
            const wx = cubicWeights(sx - x0 - 1);
            const wy = cubicWeights(sy - y0 - 1);
            v = 0;
            for (let r = 0; r < 4; r++) {
              let row = 0;
              for (let k = 0; k < 4; k++) row += wx[k]! * pixel(y0 + r, x0 + k);
              v += wy[r]! * row;
            }
          }
          write((b * c + ch) * ho * wo + i, v);
        }
      }
    }
    return [out];
  },
});

// ── CenterCropPad ─────────────────────────────────────────────────────────────────────────

function cropAxes(attrs: Attrs, rank: number): number[] {
  const axes = attrInts(attrs, "axes", []);
  return axes.length === 0 ? Array.from({ length: rank }, (_, i) => i) : axes.map((a) => normAxis(a, rank, "axes entry"));
}

registerOp({
  op: "CenterCropPad",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "input_data");
    const s = need(inputs, 1, "shape");
    checkDType(s.dtype, ["int32", "int64"], "shape");
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    const axes = cropAxes(attrs, x.shape.length);
    const target = constNumbers(s);
    if (target && target.length !== axes.length) throw new OpError(`shape has ${target.length} entries for ${axes.length} axes`);
    const shape: Dim[] = [...x.shape];
    axes.forEach((a, i) => (shape[a] = target ? target[i]! : unknownDim()));
    return [{ dtype: x.dtype, shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input_data");
    const target = tensorNumbers(need(inputs, 1, "shape"));
    const axes = cropAxes(attrs, x.shape.length);
    if (target.length !== axes.length) throw new OpError(`shape has ${target.length} entries for ${axes.length} axes`);
    const shape = [...x.shape];
    axes.forEach((a, i) => (shape[a] = target[i]!));
    // Per axis, output index o reads input index o + offset (negative offset: padding before).
    const offset = x.shape.map((d, a) => (d >= shape[a]! ? Math.floor((d - shape[a]!) / 2) : -Math.floor((shape[a]! - d) / 2)));
    const out = outputZeros(x.dtype, shape);
    const xs = strides(x.shape);
    const src = x.data as ArrayLike<number | bigint>;
    const dst = out.data as unknown as (number | bigint)[];
    const rank = shape.length;
    const pos = new Array<number>(rank).fill(0);
    for (let i = 0; i < numel(shape); i++) {
      let at = 0;
      let inside = true;
      for (let a = 0; a < rank; a++) {
        const from = pos[a]! + offset[a]!;
        if (from < 0 || from >= x.shape[a]!) inside = false;
        at += from * xs[a]!;
      }
      if (inside) dst[i] = src[at]!;
      for (let a = rank - 1; a >= 0; a--) {
        if (++pos[a]! < shape[a]!) break;
        pos[a] = 0;
      }
    }
    return [out];
  },
});
