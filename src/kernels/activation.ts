/**
 * Activation functions as data, so that convolution, GEMM and the tfl ops can apply them inside
 * their output loops: parsing from com.microsoft FusedConv/FusedGemm and tfl
 * `fused_activation_function` attributes, and applying one in place over a buffer range.
 */
import type { Attrs } from "../runtime/graph.js";
import { OpError } from "../runtime/registry.js";
import { attrFloat, attrFloats, attrString } from "./util.js";
import { simdActivation } from "./vector.js";

export type ActivationKind =
  | "none"
  | "relu"
  | "clip"
  | "leaky_relu"
  | "sigmoid"
  | "tanh"
  | "hard_sigmoid"
  | "hard_swish";

/** An activation; `a`, `b` are its parameters (clip: min, max; leaky: alpha; hard sigmoid: alpha, beta). */
export interface Activation {
  kind: ActivationKind;
  a: number;
  b: number;
}

export const NO_ACTIVATION: Activation = { kind: "none", a: 0, b: 0 };

/** com.microsoft FusedConv: `activation` + `activation_params`. */
export function fusedConvActivation(attrs: Attrs): Activation {
  const name = attrString(attrs, "activation", "");
  const params = attrFloats(attrs, "activation_params", []);
  return msActivation(name, (i, fallback) => params[i] ?? fallback, "activation_params");
}

/** com.microsoft FusedGemm: `activation` + `activation_alpha`/`activation_beta`. */
export function fusedGemmActivation(attrs: Attrs): Activation {
  const name = attrString(attrs, "activation", "");
  const alpha = attrFloat(attrs, "activation_alpha", Number.NaN);
  const beta = attrFloat(attrs, "activation_beta", Number.NaN);
  return msActivation(name, (i, fallback) => {
    const v = i === 0 ? alpha : beta;
    return Number.isNaN(v) ? fallback : v;
  }, "activation_alpha/activation_beta");
}

function msActivation(name: string, param: (i: number, fallback: number) => number, paramsAttr: string): Activation {
  switch (name) {
    case "":
      return NO_ACTIVATION;
    case "Relu":
      return { kind: "relu", a: 0, b: 0 };
    case "Tanh":
      return { kind: "tanh", a: 0, b: 0 };
    case "Sigmoid":
      return { kind: "sigmoid", a: 0, b: 0 };
    case "HardSwish":
      return { kind: "hard_swish", a: 0, b: 0 };
    case "LeakyRelu":
      return { kind: "leaky_relu", a: param(0, 0.01), b: 0 };
    case "HardSigmoid":
      return { kind: "hard_sigmoid", a: param(0, 0.2), b: param(1, 0.5) };
    case "Clip": {
      const lo = param(0, Number.NaN);
      const hi = param(1, Number.NaN);
      if (Number.isNaN(lo) || Number.isNaN(hi)) throw new OpError(`activation Clip needs [min, max] in ${paramsAttr}`);
      return { kind: "clip", a: lo, b: hi };
    }
    default:
      throw new OpError(`unknown activation "${name}"`);
  }
}

/** tfl `fused_activation_function`. */
export function tflActivation(attrs: Attrs): Activation {
  const name = attrString(attrs, "fused_activation_function", "NONE");
  switch (name) {
    case "NONE":
      return NO_ACTIVATION;
    case "RELU":
      return { kind: "relu", a: 0, b: 0 };
    case "RELU6":
      return { kind: "clip", a: 0, b: 6 };
    case "RELU_N1_TO_1":
      return { kind: "clip", a: -1, b: 1 };
    case "TANH":
      return { kind: "tanh", a: 0, b: 0 };
    default:
      throw new OpError(`unknown fused_activation_function "${name}"`);
  }
}

/** Applies `act` in place to `data[start, end)`. */
export function applyActivation(act: Activation, data: Float32Array, start: number, end: number): void {
  if (act.kind !== "none") mapActivation(act, data, data, start, end);
}

/**
 * dst[i] = act(src[i]) for i in [start, end): one pass, one tight loop per kind (src and dst may
 * be the same buffer). Relu maps NaN to 0, like the SIMD epilogue.
 */
export function mapActivation(act: Activation, src: Float32Array, dst: Float32Array, start: number, end: number): void {
  if (simdActivation(act, src, dst, start, end)) return;
  const { a, b } = act;
  switch (act.kind) {
    case "none":
      if (src !== dst) dst.set(src.subarray(start, end), start);
      return;
    case "relu":
      for (let i = start; i < end; i++) {
        const v = src[i]!;
        dst[i] = v > 0 ? v : 0;
      }
      return;
    case "clip":
      for (let i = start; i < end; i++) {
        // min(max(v, lo), hi), as ONNX defines it: with lo > hi every value becomes hi.
        const v = src[i]! < a ? a : src[i]!;
        dst[i] = v > b ? b : v;
      }
      return;
    case "leaky_relu":
      for (let i = start; i < end; i++) {
        const v = src[i]!;
        dst[i] = v < 0 ? v * a : v;
      }
      return;
    case "sigmoid":
      for (let i = start; i < end; i++) dst[i] = 1 / (1 + Math.exp(-src[i]!));
      return;
    case "tanh":
      for (let i = start; i < end; i++) dst[i] = Math.tanh(src[i]!);
      return;
    case "hard_sigmoid":
      for (let i = start; i < end; i++) {
        const v = a * src[i]! + b;
        dst[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
      return;
    case "hard_swish":
      for (let i = start; i < end; i++) {
        const x = src[i]!;
        const v = x / 6 + 0.5;
        dst[i] = x * (v < 0 ? 0 : v > 1 ? 1 : v);
      }
      return;
  }
}
