/**
 * Recurrent layers: ONNX RNN, GRU and LSTM (opsets 7–22): forward, reverse and bidirectional,
 * per-direction activation lists with their alpha/beta (consumed in order, onnxruntime's
 * defaults when absent), clip, per-batch sequence_lens, initial states, LSTM peepholes and
 * input_forget, GRU linear_before_reset, and both layouts. The input projection of every step
 * is one GEMM per direction; each step's recurrence is one more (two for GRU's reset gate).
 */
import type { Attrs, Dim } from "../runtime/graph.js";
import { OpError, registerOp, type OutputInfo, type ValueInfo } from "../runtime/registry.js";
import type { Tensor } from "../runtime/tensor.js";
import { sgemm } from "./gemm.js";
import { attrFloat, attrFloats, attrInt, attrString, checkDimsAgree, checkDType, checkRank, formatShape, hasAttr, need, outputZeros } from "./util.js";

type Cell = "RNN" | "GRU" | "LSTM";

/** Gates per cell, in ONNX's weight order: RNN (i), GRU (z, r, h), LSTM (i, o, f, c). */
const GATES: Record<Cell, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTIVATIONS: Record<Cell, string[]> = { RNN: ["Tanh"], GRU: ["Sigmoid", "Tanh"], LSTM: ["Sigmoid", "Tanh", "Tanh"] };

type Fn = (x: number) => number;

/** Which activations take alpha and beta, and onnxruntime's values when the lists run out. */
const ACTIVATIONS: Record<string, { alpha?: number; beta?: number; make: (a: number, b: number) => Fn }> = {
  relu: { make: () => (x) => (x > 0 ? x : 0) },
  tanh: { make: () => Math.tanh },
  sigmoid: { make: () => (x) => 1 / (1 + Math.exp(-x)) },
  affine: { alpha: 0, beta: 0, make: (a, b) => (x) => a * x + b },
  leakyrelu: { alpha: 0.01, make: (a) => (x) => (x >= 0 ? x : a * x) },
  thresholdedrelu: { alpha: 0, make: (a) => (x) => (x >= a ? x : 0) },
  scaledtanh: { alpha: 0, beta: 0, make: (a, b) => (x) => a * Math.tanh(b * x) },
  hardsigmoid: { alpha: 0.2, beta: 0.5, make: (a, b) => (x) => Math.min(Math.max(a * x + b, 0), 1) },
  elu: { alpha: 1, make: (a) => (x) => (x >= 0 ? x : a * (Math.exp(x) - 1)) },
  softsign: { make: () => (x) => x / (1 + Math.abs(x)) },
  softplus: { make: () => (x) => Math.log1p(Math.exp(x)) },
};

function directionCount(attrs: Attrs): number {
  const direction = attrString(attrs, "direction", "forward");
  if (!["forward", "reverse", "bidirectional"].includes(direction)) throw new OpError(`unknown direction "${direction}"`);
  return direction === "bidirectional" ? 2 : 1;
}

/** The activation functions of each direction (f, g, h as the cell uses them). */
function activations(cell: Cell, attrs: Attrs, directions: number): Fn[][] {
  const perDirection = DEFAULT_ACTIVATIONS[cell].length;
  const given = attrs.activations;
  if (given && given.type !== "strings") throw new OpError(`attribute "activations" must be a list of strings, got ${given.type}`);
  let names = given ? given.value : [];
  if (names.length === 0) names = Array.from({ length: directions }, () => DEFAULT_ACTIVATIONS[cell]).flat();
  if (names.length === perDirection && directions === 2) names = [...names, ...names];
  if (names.length !== perDirection * directions) {
    throw new OpError(`activations has ${names.length} entries, expected ${perDirection * directions}`);
  }
  const alphas = attrFloats(attrs, "activation_alpha", []);
  const betas = attrFloats(attrs, "activation_beta", []);
  let ai = 0;
  let bi = 0;
  const fns = names.map((name) => {
    const entry = ACTIVATIONS[name.toLowerCase()];
    if (!entry) throw new OpError(`unknown activation "${name}"`);
    const a = entry.alpha === undefined ? 0 : ai < alphas.length ? alphas[ai++]! : entry.alpha;
    const b = entry.beta === undefined ? 0 : bi < betas.length ? betas[bi++]! : entry.beta;
    return entry.make(a, b);
  });
  return Array.from({ length: directions }, (_, d) => fns.slice(d * perDirection, (d + 1) * perDirection));
}

// ── shapes ────────────────────────────────────────────────────────────────────────────────

function rnnInfer(cell: Cell, inputs: readonly (ValueInfo | undefined)[], attrs: Attrs, outputCount: number): OutputInfo[] {
  const x = need(inputs, 0, "X");
  const w = need(inputs, 1, "W");
  const r = need(inputs, 2, "R");
  for (const [i, name] of [[0, "X"], [1, "W"], [2, "R"], [3, "B"], [5, "initial_h"], [6, "initial_c"], [7, "P"]] as const) {
    checkDType(inputs[i]?.dtype, ["float32"], name);
  }
  checkDType(inputs[4]?.dtype, ["int32"], "sequence_lens");
  const directions = directionCount(attrs);
  activations(cell, attrs, directions);
  const layout = attrInt(attrs, "layout", 0);
  if (layout !== 0 && layout !== 1) throw new OpError(`layout must be 0 or 1, got ${layout}`);
  if (cell === "GRU" || cell === "LSTM") attrInt(attrs, cell === "GRU" ? "linear_before_reset" : "input_forget", 0);
  const gates = GATES[cell];
  let hidden: Dim = hasAttr(attrs, "hidden_size") ? attrInt(attrs, "hidden_size") : (r.shape?.[2] ?? "hidden");
  if (r.shape) {
    checkRank(r.shape, 3, "R");
    checkDimsAgree(r.shape[0]!, directions, "R's first dim differs from the number of directions");
    checkDimsAgree(r.shape[2]!, hidden, "R's last dim differs from hidden_size");
    if (typeof r.shape[1] === "number" && typeof hidden === "number" && r.shape[1] !== gates * hidden) {
      throw new OpError(`R ${formatShape(r.shape)} does not hold ${gates} gates of hidden_size ${hidden}`);
    }
  }
  if (typeof hidden === "string" && w.shape && typeof w.shape[1] === "number") hidden = w.shape[1] / gates;
  if (w.shape) {
    checkRank(w.shape, 3, "W");
    checkDimsAgree(w.shape[0]!, directions, "W's first dim differs from the number of directions");
    if (x.shape) checkDimsAgree(w.shape[2]!, x.shape[2]!, "W's input size differs from X's");
  }
  if (!x.shape) return Array.from({ length: outputCount }, () => ({ dtype: "float32" as const, shape: undefined }));
  checkRank(x.shape, 3, "X");
  const [seq, batch] = layout === 0 ? [x.shape[0]!, x.shape[1]!] : [x.shape[1]!, x.shape[0]!];
  const y = layout === 0 ? [seq, directions, batch, hidden] : [batch, seq, directions, hidden];
  const state = layout === 0 ? [directions, batch, hidden] : [batch, directions, hidden];
  const shapes = [y, state, state].slice(0, Math.max(1, outputCount));
  if (shapes.length > (cell === "LSTM" ? 3 : 2)) throw new OpError(`${cell} has at most ${cell === "LSTM" ? 3 : 2} outputs`);
  return shapes.map((shape) => ({ dtype: "float32" as const, shape }));
}

// ── kernel ────────────────────────────────────────────────────────────────────────────────

/** The problem's sizes and per-direction weights, read once. */
interface Recurrence {
  cell: Cell;
  seq: number;
  batch: number;
  input: number;
  hidden: number;
  directions: number;
  /** Steps each batch entry runs (sequence_lens, or seq). */
  lengths: Int32Array;
  clip: number;
  fns: Fn[][];
  linearBeforeReset: boolean;
  inputForget: boolean;
}

/** [A, B, C] in layout 1 ([B, A, C]) as layout 0, or the data as it is. */
function toLayout0(data: Float32Array, a: number, b: number, c: number, layout: number): Float32Array {
  if (layout === 0) return data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out.set(data.subarray((j * a + i) * c, (j * a + i + 1) * c), (i * b + j) * c);
  return out;
}

function rnnKernel(cell: Cell, inputs: readonly (Tensor | undefined)[], attrs: Attrs, outputCount: number): Tensor[] {
  const xT = need(inputs, 0, "X");
  const w = need(inputs, 1, "W").data as Float32Array;
  const r = need(inputs, 2, "R");
  const layout = attrInt(attrs, "layout", 0);
  const directions = directionCount(attrs);
  const gates = GATES[cell];
  const hidden = hasAttr(attrs, "hidden_size") ? attrInt(attrs, "hidden_size") : r.shape[2]!;
  const [seq, batch, input] = layout === 0 ? (xT.shape as [number, number, number]) : [xT.shape[1]!, xT.shape[0]!, xT.shape[2]!];
  const lengths = new Int32Array(batch).fill(seq);
  if (inputs[4]) {
    const given = inputs[4].data as Int32Array;
    if (given.length !== batch) throw new OpError(`sequence_lens has ${given.length} entries, expected ${batch}`);
    given.forEach((v, b) => {
      if (v < 0 || v > seq) throw new OpError(`sequence_lens[${b}] = ${v} is outside [0, ${seq}]`);
      lengths[b] = v;
    });
  }
  const p: Recurrence = {
    cell, seq, batch, input, hidden, directions, lengths,
    clip: hasAttr(attrs, "clip") ? attrFloat(attrs, "clip") : Infinity,
    fns: activations(cell, attrs, directions),
    linearBeforeReset: attrInt(attrs, "linear_before_reset", 0) !== 0,
    inputForget: attrInt(attrs, "input_forget", 0) !== 0,
  };
  const x = toLayout0(xT.data as Float32Array, seq, batch, input, layout);
  const initialH = inputs[5] ? toLayout0(inputs[5].data as Float32Array, directions, batch, hidden, layout) : undefined;
  const initialC = inputs[6] ? toLayout0(inputs[6].data as Float32Array, directions, batch, hidden, layout) : undefined;
  const y = new Float32Array(seq * directions * batch * hidden);
  const yh = new Float32Array(directions * batch * hidden);
  const yc = new Float32Array(directions * batch * hidden);
  const g = gates * hidden;
  for (let d = 0; d < directions; d++) {
    const bias = inputs[3] ? (inputs[3].data as Float32Array).subarray(d * 2 * g, (d + 1) * 2 * g) : undefined;
    const h = initialH ? initialH.slice(d * batch * hidden, (d + 1) * batch * hidden) : new Float32Array(batch * hidden);
    const c = initialC ? initialC.slice(d * batch * hidden, (d + 1) * batch * hidden) : new Float32Array(batch * hidden);
    const peephole = inputs[7] ? (inputs[7].data as Float32Array).subarray(d * 3 * hidden, (d + 1) * 3 * hidden) : undefined;
    runDirection(p, d, d === 1 || attrString(attrs, "direction", "forward") === "reverse", {
      x, w: w.subarray(d * g * input, (d + 1) * g * input), r: (r.data as Float32Array).subarray(d * g * hidden, (d + 1) * g * hidden),
      bias, peephole, h, c, y,
    });
    yh.set(h, d * batch * hidden);
    yc.set(c, d * batch * hidden);
  }
  const outs: Tensor[] = [];
  const shapeY = layout === 0 ? [seq, directions, batch, hidden] : [batch, seq, directions, hidden];
  const shapeState = layout === 0 ? [directions, batch, hidden] : [batch, directions, hidden];
  const emit = (data: Float32Array, shape: number[], back: () => Float32Array) => {
    const t = outputZeros("float32", shape);
    (t.data as Float32Array).set(layout === 0 ? data : back());
    outs.push(t);
  };
  emit(y, shapeY, () => toLayout0(y, batch, seq * directions, hidden, 1));
  if (outputCount > 1) emit(yh, shapeState, () => toLayout0(yh, batch, directions, hidden, 1));
  if (outputCount > 2) emit(yc, shapeState, () => toLayout0(yc, batch, directions, hidden, 1));
  return outs;
}

/** One direction's weights and state; h and c are updated in place to the final state. */
interface DirectionData {
  x: Float32Array;
  w: Float32Array;
  r: Float32Array;
  bias?: Float32Array;
  peephole?: Float32Array;
  h: Float32Array;
  c: Float32Array;
  y: Float32Array;
}

function runDirection(p: Recurrence, d: number, reverse: boolean, data: DirectionData): void {
  const { cell, seq, batch, input, hidden, lengths, clip } = p;
  const { x, w, r, bias, peephole, h, c, y } = data;
  const g = GATES[cell] * hidden;
  const [f, gFn, hFn] = p.fns[d]! as [Fn, Fn?, Fn?];
  // Input projections of every step: xw[t·batch + b] = x[t, b] · Wᵀ.
  const xw = new Float32Array(seq * batch * g);
  sgemm(seq * batch, g, input, { data: x, offset: 0, rowStride: input, colStride: 1 }, { data: w, offset: 0, rowStride: 1, colStride: input }, xw, 0, g, false);
  const hr = new Float32Array(batch * g);
  const gate = new Float32Array(g);
  const resetH = new Float32Array(batch * hidden);
  const resetHr = new Float32Array(batch * hidden);
  const wb = (k: number) => (bias ? bias[k]! : 0);
  const rb = (k: number) => (bias ? bias[g + k]! : 0);
  const clipped = (v: number) => (v > clip ? clip : v < -clip ? -clip : v);
  const maxLength = Math.max(0, ...lengths);
  for (let step = 0; step < maxLength; step++) {
    // H·Rᵀ for every batch entry at once.
    sgemm(batch, g, hidden, { data: h, offset: 0, rowStride: hidden, colStride: 1 }, { data: r, offset: 0, rowStride: 1, colStride: hidden }, hr, 0, g, false);
    if (cell === "GRU" && !p.linearBeforeReset) {
      // The h gate reads (r ⊙ H)·Rhᵀ, so the reset gate comes first.
      for (let b = 0; b < batch; b++) {
        if (step >= lengths[b]!) continue;
        const t = reverse ? lengths[b]! - 1 - step : step;
        const row = (t * batch + b) * g;
        for (let k = 0; k < hidden; k++) {
          const rk = hidden + k;
          resetH[b * hidden + k] = f(clipped(xw[row + rk]! + hr[b * g + rk]! + wb(rk) + rb(rk))) * h[b * hidden + k]!;
        }
      }
      sgemm(batch, hidden, hidden, { data: resetH, offset: 0, rowStride: hidden, colStride: 1 }, { data: r, offset: 2 * hidden * hidden, rowStride: 1, colStride: hidden }, resetHr, 0, hidden, false);
    }
    for (let b = 0; b < batch; b++) {
      if (step >= lengths[b]!) continue;
      const t = reverse ? lengths[b]! - 1 - step : step;
      const row = (t * batch + b) * g;
      const hb = b * hidden;
      for (let k = 0; k < g; k++) gate[k] = xw[row + k]! + hr[b * g + k]! + wb(k) + rb(k);
      if (cell === "RNN") {
        for (let k = 0; k < hidden; k++) h[hb + k] = f(clipped(gate[k]!));
      } else if (cell === "GRU") {
        for (let k = 0; k < hidden; k++) {
          const z = f(clipped(gate[k]!));
          const hk = 2 * hidden + k;
          const pre = p.linearBeforeReset
            ? xw[row + hk]! + wb(hk) + f(clipped(gate[hidden + k]!)) * (hr[b * g + hk]! + rb(hk))
            : xw[row + hk]! + wb(hk) + resetHr[hb + k]! + rb(hk);
          h[hb + k] = (1 - z) * gFn!(clipped(pre)) + z * h[hb + k]!;
        }
      } else {
        for (let k = 0; k < hidden; k++) {
          const cPrev = c[hb + k]!;
          const i = f(clipped(gate[k]! + (peephole ? peephole[k]! * cPrev : 0)));
          const forget = p.inputForget ? 1 - i : f(clipped(gate[2 * hidden + k]! + (peephole ? peephole[2 * hidden + k]! * cPrev : 0)));
          const cell = gFn!(clipped(gate[3 * hidden + k]!));
          const cNew = forget * cPrev + i * cell;
          const o = f(clipped(gate[hidden + k]! + (peephole ? peephole[hidden + k]! * cNew : 0)));
          c[hb + k] = cNew;
          h[hb + k] = o * hFn!(cNew);
        }
      }
      y.set(h.subarray(hb, hb + hidden), ((t * p.directions + d) * batch + b) * hidden);
    }
  }
}

for (const cell of ["RNN", "GRU", "LSTM"] as const) {
  registerOp({
    op: cell,
    domain: "",
    infer: (inputs, attrs, outputCount) => rnnInfer(cell, inputs, attrs, outputCount),
    kernel: (inputs, attrs, outputCount) => rnnKernel(cell, inputs, attrs, outputCount),
  });
}
