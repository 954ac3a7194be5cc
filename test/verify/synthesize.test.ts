/**
 * Graphs synthesized from patterns (src/verify/synthesize.ts): repeated variables are one graph
 * input, literal leaves are filled constants, convolution filters agree with the group count,
 * batch-normalization variances are positive, constants a guard compares with a literal are
 * sometimes exactly that literal, and the same seed gives the same graph.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Rule } from "../../src/compiler/ast.js";
import { analyzePacks } from "../../src/compiler/compile.js";
import type { OpTable } from "../../src/compiler/program.js";
import type { Graph, Value } from "../../src/runtime/graph.js";
import { describeGraph } from "../../src/verify/describe.js";
import { RejectedDraw, synthesize, type Candidate } from "../../src/verify/synthesize.js";

const { packs } = analyzePacks(["test/fixtures/verify/shapes.rules"]);
const program = packs[0]!.program;
const ops: OpTable = program.ops;
const rule = (name: string): Rule => program.rules.find((r) => r.name === name)!;

/** The candidates among seeds 0..count-1 that build. */
function candidates(name: string, count: number): Candidate[] {
  const built: Candidate[] = [];
  for (let seed = 0; seed < count; seed++) {
    try {
      built.push(synthesize(rule(name), ops, seed));
    } catch (e) {
      if (!(e instanceof RejectedDraw)) throw e;
    }
  }
  return built;
}

const node = (graph: Graph, op: string) => [...graph.nodes].find((n) => n.op === op)!;
const shape = (v: Value | undefined) => v!.shape as number[];

test("a variable used twice is one graph input; a literal leaf is a filled constant", () => {
  for (const { graph, feeds } of candidates("SharedVariable", 20)) {
    assert.equal(graph.inputs.map((v) => v.name), ["x"]);
    assert.equal(Object.keys(feeds), ["x"]);
    const mul = node(graph, "Mul");
    const add = node(graph, "Add");
    assert.ok(mul.inputs.includes(graph.inputs[0]) && add.inputs.includes(graph.inputs[0]));
    const two = mul.inputs.find((v) => v?.isConstant)!;
    assert.ok([...two.constant!.data].every((x) => Number(x) === 2));
  }
});

test("convolution filters have the input channels of one group; biases one value per output channel", () => {
  const built = candidates("GroupedConv", 60);
  assert.ok(built.length >= 30, `${built.length} of 60 built`);
  const groups = new Set<number>();
  for (const { graph } of built) {
    const conv = node(graph, "Conv");
    const group = conv.attrs.group?.type === "int" ? conv.attrs.group.value : 1;
    groups.add(group);
    const [x, W, b] = conv.inputs;
    assert.is(shape(W)[1]! * group, shape(x)[1]);
    assert.is(shape(W)[0]! % group, 0);
    if (b) assert.equal(shape(b), [shape(W)[0]]);
  }
  assert.ok([...groups].some((g) => g > 1), "grouped convolutions are drawn");
});

test("batch-normalization statistics have one value per channel; the variance is positive", () => {
  for (const { graph } of candidates("Statistics", 20)) {
    const bn = node(graph, "BatchNormalization");
    const channels = shape(bn.inputs[0])[1];
    for (const v of bn.inputs.slice(1)) assert.equal(shape(v), [channels]);
    assert.ok([...bn.inputs[4]!.constant!.data].every((x) => Number(x) > 0));
  }
});

test("a constant a guard compares with a literal is sometimes exactly it", () => {
  const ones = candidates("ExactOne", 40).filter(({ graph }) => [...node(graph, "Mul").inputs.find((v) => v?.isConstant)!.constant!.data].every((x) => x === 1));
  assert.ok(ones.length > 5, `${ones.length} of 40 exact`);
});

test("the same seed synthesizes the same graph and inputs", () => {
  const a = synthesize(rule("GroupedConv"), ops, 7);
  const b = synthesize(rule("GroupedConv"), ops, 7);
  assert.equal(describeGraph(a.graph), describeGraph(b.graph));
  assert.equal(a.feeds, b.feeds);
});

test.run();
