/**
 * The kernel library: importing this module registers a shape function and a kernel for every
 * op family with the op registry, and exposes the executor.
 */
import "./contrib.js";
import "./conv.js";
import "./conv-transpose.js";
import "./einsum.js";
import "./elementwise.js";
import "./gather-scatter.js";
import "./gemm.js";
import "./legacy.js";
import "./math.js";
import "./movement.js";
import "./norm.js";
import "./normalization.js";
import "./pool.js";
import "./quantize.js";
import "./reduce.js";
import "./resize.js";
import "./rnn.js";
import "./sample.js";
import "./select.js";
import "./shape.js";
import "./signal.js";
import "./tfl-conv.js";
import "./tfl-ops.js";

export { execute, ExecutionError, type ExecuteOptions } from "./execute.js";
export { prepare, type PrepareOptions, type Session } from "./session.js";
