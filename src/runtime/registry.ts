/**
 * The op registry: for every op the runtime knows (every op declared in rules/dialects), a
 * shape/dtype function and a kernel. Op families register themselves from src/kernels/*.ts;
 * src/kernels/index.ts imports them all.
 */
import type { Attrs, Dim } from "./graph.js";
import type { DType, Tensor } from "./tensor.js";

/** What shape inference knows about an input: its type, and its value when constant. */
export interface ValueInfo {
  dtype: DType | undefined;
  shape: Dim[] | undefined;
  /** Present for constants (and values folded from them), so shape ops can be inferred. */
  constant?: Tensor;
}

export interface OutputInfo {
  dtype: DType | undefined;
  shape: Dim[] | undefined;
}

/** Thrown by shape functions and kernels for bad input; the message names the problem. */
export class OpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OpError";
  }
}

export interface OpDef {
  op: string;
  /** ONNX domain; "" for the standard set. */
  domain: string;
  /** Infers output types from input types; `undefined` inputs are absent optionals. */
  infer(inputs: (ValueInfo | undefined)[], attrs: Attrs, outputCount: number): OutputInfo[];
  /** Computes outputs; `undefined` inputs are absent optionals. */
  kernel(inputs: (Tensor | undefined)[], attrs: Attrs, outputCount: number): Tensor[];
}

const ops = new Map<string, OpDef>();

export function opKey(domain: string, op: string): string {
  return domain === "" || domain === "ai.onnx" ? op : `${domain}::${op}`;
}

export function registerOp(def: OpDef): void {
  ops.set(opKey(def.domain, def.op), def);
}

export function lookupOp(domain: string, op: string): OpDef | undefined {
  return ops.get(opKey(domain, op));
}

export function registeredOps(): string[] {
  return [...ops.keys()].sort();
}
