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

/**
 * An op's implementation: its shape function and its kernel. Register one with `registerOp`
 * (from `fusec/runtime`); a dialect names the module that exports them with `impl`:
 *
 * ```ts
 * // quickgelu.ts, for `op QuickGelu(X) { alpha: float = 1.702 } domain "com.microsoft" impl "./quickgelu.ts"`
 * import { OpError, tensor, type OpImpl } from "fusec/runtime";
 * export const shape: OpImpl["shape"] = ([x]) => {
 *   if (x?.dtype !== "float32") throw new OpError("QuickGelu: X must be float32");
 *   return [{ dtype: "float32", shape: x.shape }];
 * };
 * export const kernel: OpImpl["kernel"] = ([x], attrs) => {
 *   const alpha = attrs.alpha?.type === "float" ? attrs.alpha.value : 1.702;
 *   return [tensor("float32", x!.shape, x!.data.map((v) => Number(v) / (1 + Math.exp(-alpha * Number(v)))))];
 * };
 * ```
 */
export interface OpImpl {
  /** Output dtypes and shapes from the inputs' (`undefined` for absent optionals); throws OpError on bad input. */
  shape(inputs: (ValueInfo | undefined)[], attrs: Attrs, outputCount: number): OutputInfo[];
  /** The outputs; throws OpError on bad input. */
  kernel(inputs: (Tensor | undefined)[], attrs: Attrs, outputCount: number): Tensor[];
}

export interface OpDef {
  op: string;
  /** ONNX domain; "" for the standard set. */
  domain: string;
  /** Attribute values a node that leaves them out gets (the declaration's defaults). */
  defaults?: Attrs;
  /** Infers output types from input types; `undefined` inputs are absent optionals. */
  infer(inputs: (ValueInfo | undefined)[], attrs: Attrs, outputCount: number): OutputInfo[];
  /** Computes outputs; `undefined` inputs are absent optionals. */
  kernel(inputs: (Tensor | undefined)[], attrs: Attrs, outputCount: number): Tensor[];
}

const ops = new Map<string, OpDef>();

export function opKey(domain: string, op: string): string {
  return domain === "" || domain === "ai.onnx" ? op : `${domain}::${op}`;
}

/** Makes `def` the shape function and kernel of its op (replacing any earlier registration). */
export function registerOp(def: OpDef): void {
  const name = opKey(def.domain, def.op);
  for (const part of ["infer", "kernel"] as const) {
    if (typeof def[part] !== "function") throw new TypeError(`registerOp(${name}): ${part} is not a function`);
  }
  const defaults = def.defaults;
  if (!defaults || Object.keys(defaults).length === 0) {
    ops.set(name, def);
    return;
  }
  ops.set(name, {
    ...def,
    infer: (inputs, attrs, n) => def.infer(inputs, { ...defaults, ...attrs }, n),
    kernel: (inputs, attrs, n) => def.kernel(inputs, { ...defaults, ...attrs }, n),
  });
}

/** Registers an `impl` module's exports (`shape`, `kernel`) as op `op` of `domain`. */
export function registerOpImpl(op: string, domain: string, impl: Partial<OpImpl>, defaults: Attrs = {}): void {
  const name = opKey(domain, op);
  for (const part of ["shape", "kernel"] as const) {
    if (typeof impl[part] !== "function") throw new TypeError(`the implementation of ${name} exports no '${part}' function`);
  }
  registerOp({ op, domain, defaults, infer: impl.shape!, kernel: impl.kernel! });
}

export function lookupOp(domain: string, op: string): OpDef | undefined {
  return ops.get(opKey(domain, op));
}

export function registeredOps(): string[] {
  return [...ops.keys()].sort();
}
