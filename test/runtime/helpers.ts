/**
 * Test-only ops (domain "test") and helpers shared by the runtime tests: the ops let the
 * runtime be tested without the real kernels; `snapshot` captures a graph exactly (JSON form
 * plus insertion order and use lists) to prove that a failed rewrite changed nothing.
 */
import type { Graph } from "../../src/runtime/graph.js";
import { graphToJSON } from "../../src/runtime/json.js";
import type { RuleInfo } from "../../src/runtime/pass.js";
import { OpError, registerOp, type ValueInfo } from "../../src/runtime/registry.js";
import type { Dim } from "../../src/runtime/graph.js";
import { f32, type Tensor } from "../../src/runtime/tensor.js";

const sameShape = (inputs: (ValueInfo | undefined)[]) => [{ dtype: inputs[0]!.dtype, shape: inputs[0]!.shape }];

function unary(op: string, f: (x: number) => number): void {
  registerOp({
    op,
    domain: "test",
    infer: sameShape,
    kernel: ([x]) => [f32(x!.shape, Array.from(x!.data as Float32Array, f))],
  });
}

/** Elementwise numpy broadcast of two shapes (sizes only, for the test ops). */
function broadcast(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let k = n; k >= 1; k--) {
    const da = a[a.length - k] ?? 1;
    const db = b[b.length - k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new OpError(`cannot broadcast [${a}] and [${b}]`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

let registered = false;

/**
 * Registers test::Relu, test::Tanh, test::Neg (unary), test::Mul (broadcasting), test::Conv
 * (1×1 convolution: x [N,C,H,W], w [O,C,1,1], optional b [O]) and test::Split (two halves
 * along axis 0).
 */
export function registerTestOps(): void {
  if (registered) return;
  registered = true;
  unary("Relu", (x) => Math.max(0, x));
  unary("Tanh", Math.tanh);
  unary("Neg", (x) => -x);
  registerOp({
    op: "Mul",
    domain: "test",
    infer: ([a, b]) => [{ dtype: a!.dtype, shape: a!.shape && b!.shape ? broadcast(a!.shape, b!.shape) : undefined }],
    kernel: ([a, b]) => {
      const shape = broadcast(a!.shape, b!.shape) as number[];
      if (b!.data.length !== 1 && a!.data.length !== b!.data.length) throw new OpError("test::Mul kernel: equal shapes or a scalar only");
      const bv = (i: number) => Number(b!.data[b!.data.length === 1 ? 0 : i]);
      return [f32(shape, Array.from(a!.data as Float32Array, (x, i) => x * bv(i)))];
    },
  });
  registerOp({
    op: "Conv",
    domain: "test",
    infer: ([x, w, b]) => {
      const xs = x!.shape;
      const ws = w!.shape;
      if (!xs || !ws) return [{ dtype: x!.dtype, shape: undefined }];
      if (xs.length !== 4 || ws.length !== 4) throw new OpError("test::Conv needs rank-4 input and filter");
      if (xs[1] !== ws[1]) throw new OpError(`test::Conv: input has ${xs[1]} channels, filter expects ${ws[1]}`);
      if (b && b.shape && (b.shape.length !== 1 || b.shape[0] !== ws[0])) throw new OpError("test::Conv: bias must be [O]");
      return [{ dtype: x!.dtype, shape: [xs[0]!, ws[0]!, xs[2]!, xs[3]!] }];
    },
    kernel: ([x, w, b]) => {
      const [n, c, h, wd] = x!.shape as [number, number, number, number];
      const o = w!.shape[0]!;
      const out = new Float32Array(n * o * h * wd);
      for (let ni = 0; ni < n; ni++)
        for (let oi = 0; oi < o; oi++)
          for (let p = 0; p < h * wd; p++) {
            let acc = b ? Number(b.data[oi]) : 0;
            for (let ci = 0; ci < c; ci++) acc += Number(w!.data[oi * c + ci]) * Number(x!.data[(ni * c + ci) * h * wd + p]);
            out[(ni * o + oi) * h * wd + p] = acc;
          }
      return [f32([n, o, h, wd], out)];
    },
  });
  registerOp({
    op: "Split",
    domain: "test",
    infer: ([x]) => {
      const s = x!.shape;
      if (!s || typeof s[0] !== "number") return [{ dtype: x!.dtype, shape: undefined }, { dtype: x!.dtype, shape: undefined }];
      const half = [s[0] / 2, ...s.slice(1)];
      return [{ dtype: x!.dtype, shape: half }, { dtype: x!.dtype, shape: [...half] }];
    },
    kernel: ([x]) => {
      const half = x!.data.length / 2;
      const shape = [x!.shape[0]! / 2, ...x!.shape.slice(1)];
      return [f32(shape, (x!.data as Float32Array).slice(0, half)), f32(shape, (x!.data as Float32Array).slice(half))];
    },
  });
}

/** Rule metadata as generated code would declare it. */
export function ruleInfo(name: string, root: string, line: number, priority = 0): RuleInfo {
  return { name, priority, root, location: `test.rules:${line}:1`, match: "", result: "" };
}

/** Everything observable about a graph: JSON form, node insertion order, use lists, names. */
export function snapshot(graph: Graph): string {
  const uses: Record<string, string[]> = {};
  const values = new Set([...graph.inputs, ...graph.constants, ...[...graph.nodes].flatMap((n) => n.outputs)]);
  for (const v of values) uses[v.name] = v.uses.map((u) => `${u.node.name}[${u.index}]`);
  return JSON.stringify({
    json: graphToJSON(graph),
    order: [...graph.nodes].map((n) => n.name),
    constants: [...graph.constants].map((c) => c.name),
    uses,
    shapes: [...values].map((v) => `${v.name}:${v.dtype}[${v.shape?.join(",")}]`),
  });
}

/** A float32 tensor of `shape` holding 1, 2, 3, … */
export function iota(shape: number[]): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return f32(shape, Array.from({ length: n }, (_, i) => i + 1));
}
