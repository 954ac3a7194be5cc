/**
 * Sampling an image at computed positions: GridSample (2-D: NCHW input, [N, H_out, W_out, 2]
 * grid of (x, y) in [-1, 1]; nearest, bilinear or bicubic; zeros, border or reflection
 * padding; the opset 16 and opset 20 mode names), RoiAlign (average or max of bilinear samples
 * per output bin), MaxRoiPool (the maximum over each bin of a region rounded to pixels), AffineGrid (the grids GridSample reads, from affine matrices) and
 * CenterCropPad.
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp } from "../runtime/registry.js";
import { FLOAT_DTYPES, numel, strides } from "../runtime/tensor.js";
import { roundHalfEven } from "./math.js";
import { writer } from "./nary.js";
import { attrFloat, attrInt, attrInts, attrString, checkDType, constNumbers, need, normAxis, outputUninit, outputZeros, tensorNumbers, unknownDim } from "./util.js";

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

// ── RoiAlign ──────────────────────────────────────────────────────────────────────────────

/** The four neighbours and weights of a bilinear sample at (y, x); all-zero outside the map. */
function bilinearSample(y: number, x: number, h: number, w: number): { at: number[]; weight: number[] } {
  if (y < -1 || y > h || x < -1 || x > w) return { at: [0, 0, 0, 0], weight: [0, 0, 0, 0] };
  y = Math.max(y, 0);
  x = Math.max(x, 0);
  let y0 = Math.trunc(y);
  let x0 = Math.trunc(x);
  let y1 = y0 + 1;
  let x1 = x0 + 1;
  if (y0 >= h - 1) {
    y0 = y1 = h - 1;
    y = y0;
  }
  if (x0 >= w - 1) {
    x0 = x1 = w - 1;
    x = x0;
  }
  const ly = y - y0;
  const lx = x - x0;
  return { at: [y0 * w + x0, y0 * w + x1, y1 * w + x0, y1 * w + x1], weight: [(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx] };
}

registerOp({
  op: "RoiAlign",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const rois = need(inputs, 1, "rois");
    checkDType(x.dtype, FLOAT_DTYPES, "X");
    checkDType(need(inputs, 2, "batch_indices").dtype, ["int64"], "batch_indices");
    roiMode(attrs);
    if (x.shape && x.shape.length !== 4) throw new OpError(`X has rank ${x.shape.length}, expected 4 (NCHW)`);
    return [{ dtype: x.dtype, shape: [rois.shape?.[0] ?? unknownDim(), x.shape?.[1] ?? unknownDim(), attrInt(attrs, "output_height", 1), attrInt(attrs, "output_width", 1)] }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const rois = need(inputs, 1, "rois");
    const batch = tensorNumbers(need(inputs, 2, "batch_indices"));
    const [n, c, h, w] = x.shape as [number, number, number, number];
    if (rois.shape.length !== 2 || rois.shape[1] !== 4) throw new OpError(`rois must have shape [num_rois, 4], got [${rois.shape.join(", ")}]`);
    const count = rois.shape[0]!;
    if (batch.length !== count) throw new OpError(`batch_indices has ${batch.length} entries for ${count} rois`);
    const oh = attrInt(attrs, "output_height", 1);
    const ow = attrInt(attrs, "output_width", 1);
    const ratio = attrInt(attrs, "sampling_ratio", 0);
    const scale = attrFloat(attrs, "spatial_scale", 1);
    const max = roiMode(attrs) === "max";
    // half_pixel (the opset 16 default) shifts by half a pixel; output_half_pixel (opset 10)
    // does not, and keeps every region at least one pixel wide.
    const halfPixel = attrString(attrs, "coordinate_transformation_mode", "half_pixel") === "half_pixel";
    const offset = halfPixel ? 0.5 : 0;
    const rd = rois.data as ArrayLike<number>;
    const xd = x.data as ArrayLike<number>;
    const out = outputUninit(x.dtype, [count, c, oh, ow]);
    const write = writer(x.dtype, out.data);
    for (let r = 0; r < count; r++) {
      const b = batch[r]!;
      if (b < 0 || b >= n) throw new OpError(`batch index ${b} is out of range for batch ${n}`);
      const [x1, y1, x2, y2] = [0, 1, 2, 3].map((k) => rd[r * 4 + k]! * scale - offset) as [number, number, number, number];
      let roiW = x2 - x1;
      let roiH = y2 - y1;
      if (!halfPixel) {
        roiW = Math.max(roiW, 1);
        roiH = Math.max(roiH, 1);
      }
      const binH = roiH / oh;
      const binW = roiW / ow;
      const gridH = ratio > 0 ? ratio : Math.ceil(roiH / oh);
      const gridW = ratio > 0 ? ratio : Math.ceil(roiW / ow);
      const samples = Math.max(gridH * gridW, 1);
      for (let ph = 0; ph < oh; ph++) {
        for (let pw = 0; pw < ow; pw++) {
          const points: { at: number[]; weight: number[] }[] = [];
          for (let iy = 0; iy < gridH; iy++) {
            const yy = y1 + ph * binH + ((iy + 0.5) * binH) / gridH;
            for (let ix = 0; ix < gridW; ix++) points.push(bilinearSample(yy, x1 + pw * binW + ((ix + 0.5) * binW) / gridW, h, w));
          }
          for (let ch = 0; ch < c; ch++) {
            const plane = (b * c + ch) * h * w;
            let v = max ? -Infinity : 0;
            for (const p of points) {
              if (max) {
                // onnxruntime's max mode: the largest weighted neighbour of each sample.
                for (let k = 0; k < 4; k++) v = Math.max(v, p.weight[k]! * xd[plane + p.at[k]!]!);
              } else for (let k = 0; k < 4; k++) v += p.weight[k]! * xd[plane + p.at[k]!]!;
            }
            write(((r * c + ch) * oh + ph) * ow + pw, max ? (points.length === 0 ? 0 : v) : v / samples);
          }
        }
      }
    }
    return [out];
  },
});

function roiMode(attrs: Attrs): "avg" | "max" {
  const m = attrString(attrs, "mode", "avg");
  if (m !== "avg" && m !== "max") throw new OpError(`mode must be avg or max, got "${m}"`);
  return m;
}

// ── MaxRoiPool ────────────────────────────────────────────────────────────────────────────

/** Rounds half away from zero, as C's round. */
function roundAway(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

registerOp({
  op: "MaxRoiPool",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const rois = need(inputs, 1, "rois");
    checkDType(x.dtype, FLOAT_DTYPES, "X");
    checkDType(rois.dtype, FLOAT_DTYPES, "rois");
    const pooled = attrInts(attrs, "pooled_shape");
    if (pooled.length !== 2) throw new OpError(`pooled_shape must have 2 entries, got ${pooled.length}`);
    if (x.shape && x.shape.length !== 4) throw new OpError(`X has rank ${x.shape.length}, expected 4 (NCHW)`);
    return [{ dtype: x.dtype, shape: [rois.shape?.[0] ?? unknownDim(), x.shape?.[1] ?? unknownDim(), pooled[0]!, pooled[1]!] }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "X");
    const rois = need(inputs, 1, "rois");
    const [ph, pw] = attrInts(attrs, "pooled_shape") as [number, number];
    const scale = attrFloat(attrs, "spatial_scale", 1);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    if (rois.shape.length !== 2 || rois.shape[1] !== 5) throw new OpError(`rois must have shape [num_rois, 5] (batch, x1, y1, x2, y2), got [${rois.shape.join(", ")}]`);
    const count = rois.shape[0]!;
    const rd = rois.data as ArrayLike<number>;
    const xd = x.data as ArrayLike<number>;
    const out = outputUninit(x.dtype, [count, c, ph, pw]);
    const write = writer(x.dtype, out.data);
    for (let r = 0; r < count; r++) {
      const b = rd[r * 5]!;
      if (!(b >= 0 && b < n)) throw new OpError(`roi ${r} names batch ${b}, out of range for batch ${n}`);
      const [x1, y1, x2, y2] = [1, 2, 3, 4].map((k) => roundAway(rd[r * 5 + k]! * scale)) as [number, number, number, number];
      const binH = Math.max(y2 - y1 + 1, 1) / ph;
      const binW = Math.max(x2 - x1 + 1, 1) / pw;
      for (let ch = 0; ch < c; ch++) {
        const plane = (b * c + ch) * h * w;
        for (let i = 0; i < ph; i++) {
          const hs = Math.min(Math.max(Math.floor(i * binH) + y1, 0), h);
          const he = Math.min(Math.max(Math.ceil((i + 1) * binH) + y1, 0), h);
          for (let j = 0; j < pw; j++) {
            const ws = Math.min(Math.max(Math.floor(j * binW) + x1, 0), w);
            const we = Math.min(Math.max(Math.ceil((j + 1) * binW) + x1, 0), w);
            let v = he <= hs || we <= ws ? 0 : -Infinity;
            for (let yy = hs; yy < he; yy++) for (let xx = ws; xx < we; xx++) v = Math.max(v, xd[plane + yy * w + xx]!);
            write(((r * c + ch) * ph + i) * pw + j, v);
          }
        }
      }
    }
    return [out];
  },
});

// ── AffineGrid ────────────────────────────────────────────────────────────────────────────

/** Normalised coordinates of the pixel centres (or corners) along an axis of length n. */
function baseCoordinates(n: number, align: boolean): number[] {
  if (align) return Array.from({ length: n }, (_, i) => (n === 1 ? -1 : -1 + (2 * i) / (n - 1)));
  return Array.from({ length: n }, (_, i) => (2 * i + 1) / n - 1);
}

registerOp({
  op: "AffineGrid",
  domain: "",
  infer: (inputs) => {
    const theta = need(inputs, 0, "theta");
    const size = need(inputs, 1, "size");
    checkDType(theta.dtype, FLOAT_DTYPES, "theta");
    checkDType(size.dtype, ["int64"], "size");
    const dims = constNumbers(size);
    if (!dims) return [{ dtype: theta.dtype, shape: undefined }];
    if (dims.length !== 4 && dims.length !== 5) throw new OpError(`size has ${dims.length} entries, expected 4 (N, C, H, W) or 5 (N, C, D, H, W)`);
    return [{ dtype: theta.dtype, shape: [dims[0]!, ...dims.slice(2), dims.length - 2] }];
  },
  kernel: (inputs, attrs) => {
    const theta = need(inputs, 0, "theta");
    const dims = tensorNumbers(need(inputs, 1, "size"));
    const spatial = dims.length - 2;
    if (spatial !== 2 && spatial !== 3) throw new OpError(`size has ${dims.length} entries, expected 4 or 5`);
    const n = dims[0]!;
    if (theta.shape.join() !== [n, spatial, spatial + 1].join()) throw new OpError(`theta must have shape [${n}, ${spatial}, ${spatial + 1}], got [${theta.shape.join(", ")}]`);
    const align = attrInt(attrs, "align_corners", 0) !== 0;
    // Axes in x, y(, z) order: the last spatial dim is x.
    const sizes = dims.slice(2).reverse();
    const coords = sizes.map((d) => baseCoordinates(d, align));
    const points = sizes.reduce((p, q) => p * q, 1);
    const out = outputUninit(theta.dtype, [n, ...dims.slice(2), spatial]);
    const write = writer(theta.dtype, out.data);
    const t = theta.data as ArrayLike<number>;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < points; i++) {
        // i runs over (z,) y, x with x fastest.
        const base: number[] = [];
        let rest = i;
        for (let a = 0; a < spatial; a++) {
          base.push(coords[a]![rest % sizes[a]!]!);
          rest = Math.floor(rest / sizes[a]!);
        }
        for (let r = 0; r < spatial; r++) {
          const row = (b * spatial + r) * (spatial + 1);
          let v = t[row + spatial]!;
          for (let k = 0; k < spatial; k++) v += t[row + k]! * base[k]!;
          write((b * points + i) * spatial + r, v);
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
