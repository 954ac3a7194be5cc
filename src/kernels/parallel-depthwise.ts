/**
 * Depthwise convolution over threads (parallel.ts): one image's input channels are split into
 * chunks, and each thread runs the ordinary depthwise kernel (depthwise.ts) on its chunk as a
 * convolution of its own — the channels' planes, filters, biases and residual planes are
 * contiguous — so every plane is computed as on one thread. A chunk's output is a view into the
 * output tensor, which the kernel writes through its staging plane (a view has no slack to spill
 * into, so no thread writes past its own planes).
 */
import type { ConvCall } from "./conv.js";
import { depthwiseNchw } from "./depthwise.js";
import { simdBuffer } from "./gemm.js";
import { beginStaging, memoryFloats, parallelThreads, readActivation, runTask, worthSplitting, writeActivation } from "./parallel.js";
import { registerTask } from "./parallel-thread.js";
import type { Axis } from "./window.js";

const DEPTHWISE_TASK = 2;
/** Convolutions below this many multiply-adds stay on one thread. */
const MIN_MACS = 1 << 18;
const CHUNKS_PER_THREAD = 3;

// The int32 arguments: five operands (pointer, length), then the problem.
const X = 0, W = 2, BIAS = 4, Z = 6, OUT = 8, CHANNELS = 10, MULTIPLIER = 11, WIDTH = 12, ACTIVATION = 13, AXES = 14;
const AXIS_FIELDS = ["size", "kernel", "stride", "dilation", "padBegin", "padEnd", "out"] as const;

/** Runs one image's depthwise convolution over the session's threads when worth it; false: nothing done. */
export function parallelDepthwise(call: ConvCall): boolean {
  const threads = parallelThreads();
  const { x, w, bias, z, out, problem: p, act } = call;
  const ohw = p.axes.reduce((n, a) => n * a.out, 1);
  const kk = p.axes.reduce((n, a) => n * a.kernel, 1);
  if (p.n !== 1 || p.c < 2 || !worthSplitting(p.o * ohw * kk, MIN_MACS)) return false;
  const buffer = simdBuffer();
  if (!buffer || out.buffer !== buffer) return false;
  const staging = beginStaging();
  const ptrs = [x, w, bias, z, out].map((a) => (a ? staging.place(a) : -1));
  if ([x, w, bias, z, out].some((a, i) => a !== undefined && ptrs[i]! < 0)) return false;
  const width = Math.ceil(p.c / Math.min(p.c, threads * CHUNKS_PER_THREAD));
  runTask(DEPTHWISE_TASK, Math.ceil(p.c / width), (args, floats) => {
    [x, w, bias, z, out].forEach((a, i) => {
      args[2 * i] = ptrs[i]!;
      args[2 * i + 1] = a?.length ?? 0;
    });
    args[CHANNELS] = p.c;
    args[MULTIPLIER] = p.o / p.c;
    args[WIDTH] = width;
    writeActivation(args, ACTIVATION, floats, act);
    p.axes.forEach((axis, i) => AXIS_FIELDS.forEach((f, j) => (args[AXES + i * AXIS_FIELDS.length + j] = axis[f])));
  });
  return true;
}

interface DepthwiseTask {
  call: ConvCall;
  width: number;
  inPlane: number;
  outPlane: number;
  kk: number;
}

registerTask<DepthwiseTask>(DEPTHWISE_TASK, {
  decode(args, floats) {
    const view = (at: number) => (args[at]! < 0 ? undefined : memoryFloats(args[at]!, args[at + 1]!));
    const axes = [0, 1, 2].map((i) => Object.fromEntries(AXIS_FIELDS.map((f, j) => [f, args[AXES + i * AXIS_FIELDS.length + j]!])) as unknown as Axis) as [Axis, Axis, Axis];
    const c = args[CHANNELS]!;
    const call: ConvCall = {
      x: view(X)!,
      w: view(W)!,
      bias: view(BIAS),
      z: view(Z),
      out: view(OUT)!,
      problem: { n: 1, c, o: c * args[MULTIPLIER]!, group: c, axes },
      act: readActivation(args, ACTIVATION, floats)!,
    };
    const plane = (pick: (a: Axis) => number) => axes.reduce((n, a) => n * pick(a), 1);
    return { call, width: args[WIDTH]!, inPlane: plane((a) => a.size), outPlane: plane((a) => a.out), kk: plane((a) => a.kernel) };
  },
  run({ call, width, inPlane, outPlane, kk }, chunk) {
    const p = call.problem;
    const mult = p.o / p.c;
    const c0 = chunk * width;
    const c1 = Math.min(p.c, c0 + width);
    const o0 = c0 * mult;
    const o1 = c1 * mult;
    depthwiseNchw({
      x: call.x.subarray(c0 * inPlane, c1 * inPlane),
      w: call.w.subarray(o0 * kk, o1 * kk),
      bias: call.bias?.subarray(o0, o1),
      z: call.z?.subarray(o0 * outPlane, o1 * outPlane),
      out: call.out.subarray(o0 * outPlane, o1 * outPlane),
      problem: { ...p, c: c1 - c0, o: o1 - o0, group: c1 - c0 },
      act: call.act,
    });
  },
});
