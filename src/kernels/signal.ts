/**
 * Signal processing (opset 17+): the window functions HannWindow, HammingWindow and
 * BlackmanWindow, MelWeightMatrix, DFT and STFT.
 *
 * DFT (opsets 17 and 20): the discrete Fourier transform along one signal axis of a real
 * ([…, 1]) or complex ([…, 2]) input, forward or inverse (scaled by 1/N), optionally one-sided,
 * with the signal zero-padded or truncated to `dft_length`. Computed directly (O(N²) per
 * signal), in float64.
 *
 * The axis is the third input (opset 20) or the `axis` attribute (opset 17, default 1). The
 * kernel does not see the opset: an opset-20 node without its axis input gets 1, which is
 * opset 20's default of -2 for the usual rank-3 input [batch, N, 1|2].
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type ValueInfo } from "../runtime/registry.js";
import { dtypeOfOnnx, FLOAT_DTYPES, numel, type DType, type Tensor } from "../runtime/tensor.js";
import { writer } from "./nary.js";
import { attrInt, checkDType, constNumbers, need, outputUninit, tensorNumbers, unknownDim } from "./util.js";

/** The signal axis, in [0, rank − 2]. */
function signalAxis(raw: number, rank: number): number {
  const a = raw < 0 ? raw + rank : raw;
  if (a < 0 || a > rank - 2) throw new OpError(`axis ${raw} is out of range for an input of rank ${rank} (the last axis holds real/imaginary parts)`);
  return a;
}

function axisOf(axisInput: number | undefined, attrs: Attrs, rank: number): number {
  return signalAxis(axisInput ?? attrInt(attrs, "axis", 1), rank);
}

function outputLength(n: Dim, attrs: Attrs): Dim {
  if (attrInt(attrs, "onesided", 0) === 0) return n;
  return typeof n === "number" ? Math.floor(n / 2) + 1 : unknownDim();
}

function scalarOperand(info: ValueInfo | undefined): number | undefined | "unknown" {
  if (!info) return undefined;
  if (info.shape && numel(info.shape.filter((d): d is number => typeof d === "number")) === 0) return undefined;
  return constNumbers(info)?.[0] ?? "unknown";
}

registerOp({
  op: "DFT",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    checkDType(x.dtype, FLOAT_DTYPES, "input");
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    const rank = x.shape.length;
    const last = x.shape[rank - 1];
    if (typeof last === "number" && last !== 1 && last !== 2) throw new OpError(`the last axis of input must be 1 (real) or 2 (complex), got ${last}`);
    const axisValue = scalarOperand(inputs[2]);
    if (axisValue === "unknown") return [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1).map(() => unknownDim()), 2] }];
    const axis = axisOf(axisValue, attrs, rank);
    const length = scalarOperand(inputs[1]);
    if (isInverseOneSided(attrs)) {
      const size = x.shape[axis]!;
      const n = length === undefined ? (typeof size === "number" ? 2 * (size - 1) : unknownDim()) : length === "unknown" ? unknownDim() : length;
      return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? n : i === rank - 1 ? 1 : d)) }];
    }
    const n = length === undefined ? x.shape[axis]! : length === "unknown" ? unknownDim() : length;
    const shape = x.shape.map((d, i) => (i === axis ? outputLength(n, attrs) : i === rank - 1 ? 2 : d));
    return [{ dtype: x.dtype, shape }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "input");
    const rank = x.shape.length;
    const parts = x.shape[rank - 1]!;
    if (parts !== 1 && parts !== 2) throw new OpError(`the last axis of input must be 1 (real) or 2 (complex), got ${parts}`);
    const given = (t: Tensor | undefined) => (t && t.data.length > 0 ? tensorNumbers(t)[0]! : undefined);
    const axis = axisOf(given(inputs[2]), attrs, rank);
    if (isInverseOneSided(attrs)) return [inverseOneSided(x, axis, given(inputs[1]))];
    const size = x.shape[axis]!;
    const n = given(inputs[1]) ?? size;
    if (!(n > 0)) throw new OpError(`dft_length must be positive, got ${n}`);
    const inverse = attrInt(attrs, "inverse", 0) !== 0;
    const k = outputLength(n, attrs) as number;
    const shape = x.shape.map((d, i) => (i === axis ? k : i === rank - 1 ? 2 : d));
    const out = outputUninit(x.dtype, shape);
    const write = writer(x.dtype, out.data);
    const xd = x.data as ArrayLike<number>;
    const inner = numel(x.shape.slice(axis + 1, rank - 1));
    const outer = numel(x.shape.slice(0, axis));
    const sign = inverse ? 1 : -1;
    const scale = inverse ? 1 / n : 1;
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        for (let t = 0; t < n; t++) {
          const at = ((o * size + t) * inner + j) * parts;
          re[t] = t < size ? xd[at]! : 0;
          im[t] = t < size && parts === 2 ? xd[at + 1]! : 0;
        }
        for (let f = 0; f < k; f++) {
          let sr = 0;
          let si = 0;
          for (let t = 0; t < n; t++) {
            // (f·t mod n) keeps the angle small, so large transforms stay accurate.
            const angle = (sign * 2 * Math.PI * ((f * t) % n)) / n;
            const c = Math.cos(angle);
            const s = Math.sin(angle);
            sr += re[t]! * c - im[t]! * s;
            si += re[t]! * s + im[t]! * c;
          }
          const to = ((o * k + f) * inner + j) * 2;
          write(to, sr * scale);
          write(to + 1, si * scale);
        }
      }
    }
    return [out];
  },
});

/**
 * An inverse one-sided DFT (as onnxruntime runs it, an inverse real FFT): the input holds the
 * first L bins of a Hermitian spectrum; the result is the real signal of length N = 2(L − 1)
 * (or dft_length), with a last axis of 1.
 */
function isInverseOneSided(attrs: Attrs): boolean {
  return attrInt(attrs, "inverse", 0) !== 0 && attrInt(attrs, "onesided", 0) !== 0;
}

function inverseOneSided(x: Tensor, axis: number, length: number | undefined): Tensor {
  const rank = x.shape.length;
  const parts = x.shape[rank - 1]!;
  const bins = x.shape[axis]!;
  const n = length ?? 2 * (bins - 1);
  if (!(n > 0)) throw new OpError(`the output length ${n} must be positive`);
  const shape = x.shape.map((d, i) => (i === axis ? n : i === rank - 1 ? 1 : d));
  const out = outputUninit(x.dtype, shape);
  const write = writer(x.dtype, out.data);
  const xd = x.data as ArrayLike<number>;
  const inner = numel(x.shape.slice(axis + 1, rank - 1));
  const outer = numel(x.shape.slice(0, axis));
  // The full spectrum: X[k] for k < L, conj(X[n − k]) above.
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const bin = (k: number): [number, number] => {
        if (k >= bins) return [0, 0];
        const at = ((o * bins + k) * inner + j) * parts;
        return [xd[at]!, parts === 2 ? xd[at + 1]! : 0];
      };
      for (let k = 0; k < n; k++) {
        if (k < bins) [re[k], im[k]] = bin(k);
        else {
          const [r, i] = bin(n - k);
          re[k] = r;
          im[k] = -i;
        }
      }
      for (let t = 0; t < n; t++) {
        let sum = 0;
        for (let k = 0; k < n; k++) {
          const angle = (2 * Math.PI * ((k * t) % n)) / n;
          sum += re[k]! * Math.cos(angle) - im[k]! * Math.sin(angle);
        }
        write((o * n + t) * inner + j, sum / n);
      }
    }
  }
  return out;
}

// ── window functions ──────────────────────────────────────────────────────────────────────

/** Generalised cosine windows: Σ_k (−1)^k a_k cos(2πkn/N'), N' = size (periodic) or size − 1. */
const WINDOWS: Record<string, readonly number[]> = {
  HannWindow: [0.5, 0.5],
  HammingWindow: [25 / 46, 21 / 46],
  BlackmanWindow: [0.42, 0.5, 0.08],
};

function windowDtype(attrs: Attrs): DType {
  const code = attrInt(attrs, "output_datatype", 1);
  const d = dtypeOfOnnx(code);
  if (!d || d === "bool") throw new OpError(`output_datatype ${code} is not a numeric type fusec holds`);
  return d;
}

for (const [op, coefficients] of Object.entries(WINDOWS)) {
  registerOp({
    op,
    domain: "",
    infer: (inputs, attrs) => {
      checkDType(need(inputs, 0, "size").dtype, ["int32", "int64"], "size");
      const size = constNumbers(inputs[0]!)?.[0];
      return [{ dtype: windowDtype(attrs), shape: [size ?? unknownDim()] }];
    },
    kernel: (inputs, attrs) => {
      const size = tensorNumbers(need(inputs, 0, "size"))[0]!;
      if (!(size >= 0)) throw new OpError(`size must not be negative, got ${size}`);
      const dtype = windowDtype(attrs);
      const denominator = attrInt(attrs, "periodic", 1) !== 0 ? size : size - 1;
      const out = outputUninit(dtype, [size]);
      const write = writer(dtype, out.data);
      for (let n = 0; n < size; n++) {
        let v = 0;
        coefficients.forEach((a, k) => (v += (k % 2 === 0 ? a : -a) * Math.cos((2 * Math.PI * k * n) / denominator)));
        write(n, v);
      }
      return [out];
    },
  });
}

// ── STFT ──────────────────────────────────────────────────────────────────────────────────

/**
 * STFT: frames of `frame_length` samples every `frame_step`, each multiplied by the window
 * and transformed; one-sided (the default) keeps the first ⌊L/2⌋ + 1 bins.
 */
registerOp({
  op: "STFT",
  domain: "",
  infer: (inputs, attrs) => {
    const x = need(inputs, 0, "signal");
    checkDType(x.dtype, FLOAT_DTYPES, "signal");
    checkDType(need(inputs, 1, "frame_step").dtype, ["int32", "int64"], "frame_step");
    const step = constNumbers(inputs[1]!)?.[0];
    const length = inputs[3] ? constNumbers(inputs[3])?.[0] : inputs[2]?.shape?.[0];
    if (!x.shape || x.shape.length !== 3) return [{ dtype: x.dtype, shape: [unknownDim(), unknownDim(), unknownDim(), 2] }];
    const n = x.shape[1];
    const frames = typeof n === "number" && typeof length === "number" && step !== undefined ? Math.floor((n - length) / step) + 1 : unknownDim();
    const bins = typeof length === "number" ? (attrInt(attrs, "onesided", 1) !== 0 ? Math.floor(length / 2) + 1 : length) : unknownDim();
    return [{ dtype: x.dtype, shape: [x.shape[0]!, frames, bins, 2] }];
  },
  kernel: (inputs, attrs) => {
    const x = need(inputs, 0, "signal");
    if (x.shape.length !== 3 || (x.shape[2] !== 1 && x.shape[2] !== 2)) throw new OpError(`signal must have shape [batch, length, 1 or 2], got [${x.shape.join(", ")}]`);
    const step = tensorNumbers(need(inputs, 1, "frame_step"))[0]!;
    const window = inputs[2] && inputs[2].data.length > 0 ? tensorNumbers(inputs[2]) : undefined;
    const length = inputs[3] && inputs[3].data.length > 0 ? tensorNumbers(inputs[3])[0]! : window?.length;
    if (length === undefined) throw new OpError("STFT needs a window or a frame_length");
    if (window && window.length !== length) throw new OpError(`window has ${window.length} samples, frame_length is ${length}`);
    if (!(step > 0)) throw new OpError(`frame_step must be positive, got ${step}`);
    const [batch, n, parts] = x.shape as [number, number, number];
    if (length > n) throw new OpError(`frame_length ${length} exceeds the signal length ${n}`);
    const frames = Math.floor((n - length) / step) + 1;
    const bins = attrInt(attrs, "onesided", 1) !== 0 ? Math.floor(length / 2) + 1 : length;
    const out = outputUninit(x.dtype, [batch, frames, bins, 2]);
    const write = writer(x.dtype, out.data);
    const xd = x.data as ArrayLike<number>;
    for (let b = 0; b < batch; b++) {
      for (let f = 0; f < frames; f++) {
        for (let k = 0; k < bins; k++) {
          let re = 0;
          let im = 0;
          for (let t = 0; t < length; t++) {
            const at = (b * n + f * step + t) * parts;
            const wt = window ? window[t]! : 1;
            const xr = xd[at]! * wt;
            const xi = parts === 2 ? xd[at + 1]! * wt : 0;
            const angle = (-2 * Math.PI * ((k * t) % length)) / length;
            re += xr * Math.cos(angle) - xi * Math.sin(angle);
            im += xr * Math.sin(angle) + xi * Math.cos(angle);
          }
          const to = ((b * frames + f) * bins + k) * 2;
          write(to, re);
          write(to + 1, im);
        }
      }
    }
    return [out];
  },
});

// ── MelWeightMatrix ───────────────────────────────────────────────────────────────────────

/**
 * MelWeightMatrix: [⌊dft_length/2⌋ + 1, num_mel_bins] triangular filters, spaced evenly on the
 * mel scale between the edge frequencies, as the ONNX reference computes them (the mel range
 * is divided into num_mel_bins + 2 steps; bin edges truncate to spectrogram indices).
 */
registerOp({
  op: "MelWeightMatrix",
  domain: "",
  infer: (inputs, attrs) => {
    const names = ["num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz", "upper_edge_hertz"];
    names.forEach((n, i) => need(inputs, i, n));
    const mel = constNumbers(inputs[0]!)?.[0];
    const dft = constNumbers(inputs[1]!)?.[0];
    return [{ dtype: windowDtype(attrs), shape: [dft === undefined ? unknownDim() : Math.floor(dft / 2) + 1, mel ?? unknownDim()] }];
  },
  kernel: (inputs, attrs) => {
    const [mels, dft, rate, lower, upper] = ["num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz", "upper_edge_hertz"].map((n, i) => tensorNumbers(need(inputs, i, n))[0]!) as [number, number, number, number, number];
    if (!(mels > 0 && dft > 0 && rate > 0)) throw new OpError("num_mel_bins, dft_length and sample_rate must be positive");
    const bins = Math.floor(dft / 2) + 1;
    const toMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
    const low = toMel(lower);
    const step = (toMel(upper) - low) / (mels + 2);
    const edges = Array.from({ length: mels + 2 }, (_, i) => {
      const hz = 700 * (10 ** ((i * step + low) / 2595) - 1);
      return Math.trunc(Math.floor(((dft + 1) * hz) / rate));
    });
    const dtype = windowDtype(attrs);
    const out = outputUninit(dtype, [bins, mels]);
    const weights = new Float64Array(bins * mels);
    const set = (j: number, i: number, v: number) => {
      if (j < 0 || j >= bins) throw new OpError(`a mel filter edge (${j}) falls outside the ${bins} spectrogram bins; check the edge frequencies`);
      weights[j * mels + i] = v;
    };
    for (let i = 0; i < mels; i++) {
      const [left, centre, right] = [edges[i]!, edges[i + 1]!, edges[i + 2]!];
      if (centre === left) set(centre, i, 1);
      else for (let j = left; j <= centre; j++) set(j, i, (j - left) / (centre - left));
      if (right > centre) for (let j = centre; j < right; j++) set(j, i, (right - j) / (right - centre));
    }
    const write = writer(dtype, out.data);
    weights.forEach((v, i) => write(i, v));
    return [out];
  },
});
