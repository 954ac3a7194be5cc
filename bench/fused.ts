/**
 * Fusion payoff: a small residual CNN (stem conv, then blocks of Conv→BN→Relu→Conv→BN→Add→Relu)
 * executed as written and as the fused graph (BatchNorm folded into the weights, bias, residual
 * and Relu in com.microsoft FusedConv), built by hand here. Checks that both compute the same
 * thing, then runs them in alternation (so that load from other processes hits both alike)
 * and prints the median latency of each and the ratio.
 */
import { pathToFileURL } from "node:url";
import { execute } from "../src/kernels/index.js";
import { Graph, type Attrs, type Value } from "../src/runtime/graph.js";
import { f32, type Tensor } from "../src/runtime/tensor.js";
import { interleaved } from "./timing.js";

const CHANNELS = 32;
const SIZE = 56;
const BLOCKS = 4;

let seed = 7;
function random(shape: number[], scale = 1, offset = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    data[i] = offset + scale * (seed / 2 ** 31 - 1);
  }
  return f32(shape, data);
}

interface ConvBn {
  weights: Tensor;
  bias: Tensor;
  bn: { scale: Tensor; shift: Tensor; mean: Tensor; variance: Tensor };
}

function convBn(inChannels: number): ConvBn {
  return {
    weights: random([CHANNELS, inChannels, 3, 3], Math.sqrt(2 / (9 * inChannels))),
    bias: random([CHANNELS], 0.1),
    bn: { scale: random([CHANNELS], 0.2, 1), shift: random([CHANNELS], 0.1), mean: random([CHANNELS], 0.1), variance: random([CHANNELS], 0.2, 1) },
  };
}

const EPS = 1e-5;
const PADS: Attrs = { pads: { type: "ints", value: [1, 1, 1, 1] } };

/** Weights and bias with the BatchNorm folded in: W·k, (b − mean)·k + shift, k = scale/√(var+ε). */
function folded(layer: ConvBn): { weights: Tensor; bias: Tensor } {
  const w = new Float32Array(layer.weights.data as Float32Array);
  const b = new Float32Array(CHANNELS);
  const per = w.length / CHANNELS;
  for (let o = 0; o < CHANNELS; o++) {
    const k = (layer.bn.scale.data as Float32Array)[o]! / Math.sqrt((layer.bn.variance.data as Float32Array)[o]! + EPS);
    for (let i = o * per; i < (o + 1) * per; i++) w[i] = w[i]! * k;
    b[o] = ((layer.bias.data as Float32Array)[o]! - (layer.bn.mean.data as Float32Array)[o]!) * k + (layer.bn.shift.data as Float32Array)[o]!;
  }
  return { weights: f32(layer.weights.shape, w), bias: f32([CHANNELS], b) };
}

function node(g: Graph, op: string, inputs: (Value | undefined)[], attrs: Attrs = {}, domain = ""): Value {
  const out = g.newValue(op);
  g.addNode({ op, domain, inputs, attrs, outputs: [out] });
  return out;
}

function newGraph(): { g: Graph; x: Value } {
  const g = new Graph();
  return { g, x: g.addInput("x", "float32", [1, 3, SIZE, SIZE]) };
}

function unfusedGraph(layers: ConvBn[]): Graph {
  const { g, x: input } = newGraph();
  const convBn = (x: Value, l: ConvBn): Value => {
    const y = node(g, "Conv", [x, g.addConstant(l.weights, "w"), g.addConstant(l.bias, "b")], PADS);
    const bn = [l.bn.scale, l.bn.shift, l.bn.mean, l.bn.variance].map((t) => g.addConstant(t, "bn"));
    return node(g, "BatchNormalization", [y, ...bn], { epsilon: { type: "float", value: EPS } });
  };
  let x = node(g, "Relu", [convBn(input, layers[0]!)]);
  for (let b = 0; b < BLOCKS; b++) {
    const h = node(g, "Relu", [convBn(x, layers[1 + 2 * b]!)]);
    const y = convBn(h, layers[2 + 2 * b]!);
    x = node(g, "Relu", [node(g, "Add", [y, x])]);
  }
  g.outputs = [x];
  return g;
}

function fusedGraph(layers: ConvBn[]): Graph {
  const { g, x: input } = newGraph();
  const fusedConv = (x: Value, l: ConvBn, residual?: Value): Value => {
    const f = folded(l);
    const inputs = [x, g.addConstant(f.weights, "w"), g.addConstant(f.bias, "b"), residual];
    return node(g, "FusedConv", inputs, { ...PADS, activation: { type: "string", value: "Relu" } }, "com.microsoft");
  };
  let x = fusedConv(input, layers[0]!);
  for (let b = 0; b < BLOCKS; b++) {
    const h = fusedConv(x, layers[1 + 2 * b]!);
    x = fusedConv(h, layers[2 + 2 * b]!, x);
  }
  g.outputs = [x];
  return g;
}


export async function main(): Promise<void> {
  const layers = [convBn(3), ...Array.from({ length: 2 * BLOCKS }, () => convBn(CHANNELS))];
  const plain = unfusedGraph(layers);
  const fused = fusedGraph(layers);
  const x = random([1, 3, SIZE, SIZE]);
  const a = execute(plain, { x })[plain.outputs[0]!.name]!;
  const b = execute(fused, { x })[fused.outputs[0]!.name]!;
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  const [tPlain, tFused] = (await interleaved([plain, fused].map((g) => () => execute(g, { x }, { validate: false })), 15, 21)).ms as [number, number];
  console.log(`residual CNN: 1x3x${SIZE}x${SIZE} input, ${CHANNELS} channels, stem + ${BLOCKS} blocks (${plain.nodes.size} nodes unfused, ${fused.nodes.size} fused), medians of 21 alternating runs`);
  console.log(`  unfused  ${tPlain.toFixed(2)} ms`);
  console.log(`  fused    ${tFused.toFixed(2)} ms`);
  console.log(`  ratio unfused/fused latency: ${(tPlain / tFused).toFixed(2)}x   max |difference| ${worst.toExponential(2)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
