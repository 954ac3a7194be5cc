/**
 * The driver at scale, measured in work rather than time: the uses of a shared value read per
 * firing stay bounded (the driver is linear in nodes + edges at any fan-out), and rules that undo
 * each other on a large graph are named after a handful of firings.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as T from "../../src/runtime/consteval.js";
import { applyPasses, RewriteLoopError } from "../../src/runtime/driver.js";
import { Graph, type Node, type Use, type Value } from "../../src/runtime/graph.js";
import type { Pass, Rewriter, RuleInfo } from "../../src/runtime/pass.js";
import { f32 } from "../../src/runtime/tensor.js";
import { registerTestOps, ruleInfo } from "./helpers.js";

registerTestOps();

function onePass(info: RuleInfo, body: (rw: Rewriter, root: Node) => boolean): Pass {
  return { name: "p", rules: [info], apply: (rw, node) => node.op === info.root.split("::")[1] && rw.begin(0) && body(rw, node) };
}

const foldMulMul = onePass(ruleInfo("FoldMulMul", "test::Mul", 2), (rw, root) => {
  const inner = rw.def(rw.input(root, 0), "Mul", "test");
  if (!inner || !rw.hasOneUse(rw.output(inner))) return rw.fail("no inner Mul with one use");
  const c1 = rw.constant(rw.input(inner, 1));
  const c2 = rw.constant(rw.input(root, 1));
  if (!c1 || !c2) return rw.fail("not constants");
  return rw.replace(root, rw.create("Mul", "test", [rw.input(inner, 0), rw.constantValue(T.mul(c1, c2))], {}));
});

/** `n` Muls in a chain, every one reading the same constant; `reads` counts use-list element reads. */
function sharedChain(n: number): { graph: Graph; reads: () => number } {
  const g = new Graph();
  let v: Value = g.addInput("x", "float32", [4]);
  const c = g.addConstant(f32([1], [1]), "c");
  let reads = 0;
  const uses = new Proxy(c.uses, {
    get(target, key, receiver) {
      if (typeof key === "string" && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  }) as Use[];
  Object.defineProperty(c, "uses", { value: uses });
  for (let i = 0; i < n; i++) {
    const out = g.newValue("v", "float32", [4]);
    g.addNode({ op: "Mul", domain: "test", inputs: [v, c], outputs: [out] });
    v = out;
  }
  g.outputs = [v];
  return { graph: g, reads: () => reads };
}

test("folding a chain whose nodes share one constant reads that constant's uses a bounded number of times per node", () => {
  const work: number[] = [];
  for (const n of [500, 4000]) {
    const { graph, reads } = sharedChain(n);
    const before = reads();
    const stats = applyPasses(graph, [foldMulMul]);
    assert.equal(graph.nodes.size, 1, "the whole chain folds into one Mul");
    assert.ok(stats.steps <= 3 * n, `steps ${stats.steps} stay linear`);
    work.push((reads() - before) / n);
  }
  // Quadratic requeueing read all 4000 uses for each of the 4000 firings; linear work reads a
  // few per node, whatever the chain's length.
  assert.ok(work[1]! < 20, `use reads per node at 4000 nodes: ${work[1]}`);
  assert.ok(work[1]! <= work[0]! * 1.5 + 2, `use reads per node grow with the size: ${work.join(" → ")}`);
});

/** A chain of `n` Relus; the two rules turn Relu into Tanh and back. */
function loopGraph(n: number): Graph {
  const g = new Graph();
  let v: Value = g.addInput("x", "float32", [4]);
  for (let i = 0; i < n; i++) {
    const out = g.newValue("v", "float32", [4]);
    g.addNode({ op: "Relu", domain: "test", inputs: [v], outputs: [out] });
    v = out;
  }
  g.outputs = [v];
  return g;
}

test("two rules undoing each other on a 20k-node graph are named after a few firings, with both locations", () => {
  const swaps: Pass = {
    name: "swaps",
    rules: [ruleInfo("ReluToTanh", "test::Relu", 3), ruleInfo("TanhToRelu", "test::Tanh", 7)],
    apply(rw, node) {
      const [i, to] = node.op === "Relu" ? [0, "Tanh"] : [1, "Relu"];
      return rw.begin(i) && rw.replace(node, rw.create(to, "test", [rw.input(node, 0)], {}));
    },
  };
  let firings = 0;
  try {
    applyPasses(loopGraph(20_000), [swaps], { trace: (line) => void (line.startsWith("fired") && firings++) });
    assert.unreachable("the loop must be detected");
  } catch (e) {
    assert.instance(e, RewriteLoopError);
    assert.match((e as Error).message, /rewrite loop: rules undo each other at node "[^"]+": ReluToTanh \(test\.rules:3:1\), TanhToRelu \(test\.rules:7:1\)/);
  }
  assert.ok(firings <= 8, `the loop took ${firings} firings to see`);
});

test("a rule rewriting its own result forever is reported as a loop", () => {
  const again = onePass(ruleInfo("Again", "test::Relu", 5), (rw, root) => rw.replace(root, rw.create("Relu", "test", [rw.input(root, 0)], {})));
  assert.throws(() => applyPasses(loopGraph(1000), [again]), /rewrite loop: a rule keeps rewriting its own result .*Again \(test\.rules:5:1\)/);
});

test("the step cap says loop when rules keep building new values, and names them with locations", () => {
  const grow = onePass(ruleInfo("Grow", "test::Relu", 9), (rw, root) =>
    rw.replace(root, rw.create("Relu", "test", rw.create("Neg", "test", [rw.input(root, 0)], {}), {})),
  );
  try {
    applyPasses(loopGraph(3), [grow], { maxIterations: 200 });
    assert.unreachable("the cap must stop it");
  } catch (e) {
    assert.instance(e, RewriteLoopError);
    assert.match((e as Error).message, /rewrite loop: rewriting did not settle within 200 steps.*Grow ×\d+ \(test\.rules:9:1\)/);
  }
});

test.run();
