/**
 * fusec's public runtime API (`import … from "fusec/runtime"`). Generated passes import only
 * this module; applications use it to build, rewrite and execute graphs. Platform-neutral (no
 * Node built-ins), and self-contained: importing it registers every kernel and shape function.
 */
import "../kernels/index.js";
export type { Attr, Attrs, Dim, Use } from "./graph.js";
export { Graph, Node, Value } from "./graph.js";
export type { DType, Tensor, TensorData } from "./tensor.js";
export { tensor, f32, i64, scalarF32, numel, toNumbers } from "./tensor.js";
export type { Pass, RuleInfo, Rewriter } from "./pass.js";
export { A, RewriteAbort } from "./pass.js";
/** Tensor arithmetic for rule results, evaluated when a rule fires (throws RewriteAbort). */
export * as T from "./consteval.js";
/** Shape and value predicates for rule conditions. */
export * as G from "./guards.js";
/** Applying passes: the greedy driver, its options and statistics. */
export { applyPasses, RewriteLoopError } from "./driver.js";
export type { DriverOptions, Stats } from "./driver.js";
/** The graph verifier and dead-code elimination. */
export { verify, assertValid } from "./verify.js";
export { dce } from "./dce.js";
/** Ops: a shape function and a kernel per op, for a user's own ops (`impl` in a dialect). */
export { registerOp, registerOpImpl, registeredOps, OpError } from "./registry.js";
export type { OpDef, OpImpl, ValueInfo, OutputInfo } from "./registry.js";
/** Shape inference over a graph through the op registry. */
export { inferGraph, InferenceError } from "./infer.js";
/** The JSON graph form and a builder for graphs in code. */
export { graphFromJSON, graphToJSON, GraphJSONError, GraphBuilder } from "./json.js";
export type { GraphJSON, NodeJSON, ValueJSON, ConstantJSON, AttrJSON, GraphFromJSONOptions } from "./json.js";
/** Optimizing (passes to a fixpoint, then verification) and executing graphs. */
export { optimize, InvalidGraphError, type OptimizeOptions, type OptimizeStats } from "./optimize.js";
export { foldConstants, type FoldStats, type FoldOptions } from "./fold.js";
export { execute, prepare, ExecutionError, type ExecuteOptions, type PrepareOptions, type Session } from "../kernels/index.js";
