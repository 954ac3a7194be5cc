import { test } from "uvu";
import * as assert from "uvu/assert";
import * as T from "../../src/runtime/consteval.js";
import { applyPasses, RewriteLoopError } from "../../src/runtime/driver.js";
import type { Node, Value } from "../../src/runtime/graph.js";
import { GraphBuilder } from "../../src/runtime/json.js";
import type { Pass, Rewriter, RuleInfo } from "../../src/runtime/pass.js";
import { opKey } from "../../src/runtime/registry.js";
import { assertValid } from "../../src/runtime/verify.js";
import { f32, toNumbers } from "../../src/runtime/tensor.js";
import { iota, registerTestOps, ruleInfo } from "./helpers.js";

registerTestOps();

type RuleBody = (rw: Rewriter, root: Node) => boolean;

/** A pass laid out like generated code: per rule, `begin`, match, build, `replace`. */
function passOf(name: string, rules: [RuleInfo, RuleBody][]): Pass {
  return {
    name,
    rules: rules.map(([info]) => info),
    apply(rw, node) {
      const key = opKey(node.domain, node.op);
      for (let i = 0; i < rules.length; i++) {
        const [info, body] = rules[i]!;
        if (info.root !== key || !rw.begin(i)) continue;
        if (body(rw, node)) return true;
      }
      return false;
    },
  };
}

/** `op(x) => other(x)` on test ops. */
function swap(to: string): RuleBody {
  return (rw, root) => rw.replace(root, rw.create(to, "test", [rw.input(root, 0)], {}));
}

const foldMulIntoConv: RuleBody = (rw, root) => {
  const conv = rw.def(rw.input(root, 0), "Conv", "test");
  if (!conv) return rw.fail("operand 0 is not a Conv");
  if (!rw.hasOneUse(rw.output(conv))) return rw.fail("hasOneUse(conv)");
  const C = rw.constant(rw.input(root, 1));
  const W = rw.constant(rw.input(conv, 1));
  if (!C || !W) return rw.fail("isConst(C) && isConst(W)");
  const W2 = rw.constantValue(T.mul(W, T.along(C, 0, W)));
  return rw.replace(root, rw.create("Conv", "test", [rw.input(conv, 0), W2], rw.attrsOf(conv)));
};

const convPass = passOf("conv", [[ruleInfo("FoldMulIntoConv", "test::Mul", 12), foldMulIntoConv]]);

/** x → Conv → Mul(·, C1) → Mul(·, C2) [→ Relu …] */
function convChain(muls: number, shared = false) {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [1, 2, 2, 2]);
  let v: Value = b.node("Conv", [x, b.constant(iota([3, 2, 1, 1]), "W")], { domain: "test", name: "conv" })[0]!;
  const extra = shared ? b.op("Relu", [v], {}, "test") : undefined;
  for (let i = 0; i < muls; i++) {
    v = b.node("Mul", [v, b.constant(f32([1, 3, 1, 1], [2, 1, 1]))], { domain: "test", name: `mul_${i}` })[0]!;
  }
  b.output(v);
  if (extra) b.output(extra);
  return b.graph;
}

test("the driver folds a chain of multiplies to a fixpoint and reports statistics", () => {
  const graph = convChain(3);
  const stats = applyPasses(graph, [convPass]);
  assertValid(graph);
  assert.is(graph.nodes.size, 1);
  assert.equal(stats.firings, { FoldMulIntoConv: 3 });
  assert.is(stats.nodesBefore, 4);
  assert.is(stats.nodesAfter, 1);
  assert.ok(stats.attempts >= 3);
  const [conv] = [...graph.nodes];
  assert.equal(toNumbers(conv!.inputs[1]!.constant!), [8, 16, 3, 4, 5, 6]);
});

test("trace mode prints firings and failures with rule names, nodes and locations", () => {
  const graph = convChain(2, true);
  const lines: string[] = [];
  applyPasses(graph, convPass, { trace: (l) => lines.push(l) });
  assert.ok(lines.includes(`  FoldMulIntoConv failed at "mul_0": hasOneUse(conv)`), lines.join("\n"));
  assert.ok(lines.includes(`  FoldMulIntoConv failed at "mul_1": operand 0 is not a Conv`), lines.join("\n"));
  assert.equal(lines.filter((l) => l.startsWith("fired")), [], "conv has two readers: nothing fires");
  const single = convChain(1);
  const fired: string[] = [];
  applyPasses(single, convPass, { trace: (l) => fired.push(l) });
  assert.equal(fired, [`fired FoldMulIntoConv at node "mul_0" (test.rules:12:1)`]);
});

test("onFire reports each firing's removed and added nodes; onFail each failed candidate", () => {
  const graph = convChain(2);
  const firings: { rule: string; removed: string[]; added: string[] }[] = [];
  applyPasses(graph, convPass, {
    onFire: (rule, removed, added) =>
      firings.push({ rule: rule.name, removed: removed.map((n) => n.name).sort(), added: added.map((n) => n.name) }),
  });
  assert.equal(firings, [
    { rule: "FoldMulIntoConv", removed: ["conv", "mul_0"], added: ["mul_0"] },
    { rule: "FoldMulIntoConv", removed: ["mul_0", "mul_1"], added: ["mul_1"] },
  ]);
  const failures: string[] = [];
  applyPasses(convChain(2, true), convPass, { onFail: (rule, root, reason) => failures.push(`${rule.name}@${root.name}: ${reason}`) });
  assert.equal(failures, ["FoldMulIntoConv@mul_0: hasOneUse(conv)", "FoldMulIntoConv@mul_1: operand 0 is not a Conv"]);
});

test("two rules that undo each other stop with an error naming both and their locations", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [4]);
  b.output(b.op("Tanh", [b.op("Relu", [x], {}, "test")], {}, "test"));
  const graph = b.graph;
  const pass = passOf("swaps", [
    [ruleInfo("ReluToTanh", "test::Relu", 3), swap("Tanh")],
    [ruleInfo("TanhToRelu", "test::Tanh", 7), swap("Relu")],
  ]);
  try {
    applyPasses(graph, [pass]);
    assert.unreachable("the loop must be detected");
  } catch (e) {
    assert.instance(e, RewriteLoopError);
    const message = (e as Error).message;
    assert.match(message, /ReluToTanh \(test\.rules:3:1\)/);
    assert.match(message, /TanhToRelu \(test\.rules:7:1\)/);
    assert.equal((e as RewriteLoopError).rules.map((r) => r.name).sort(), ["ReluToTanh", "TanhToRelu"]);
  }
  assertValid(graph);
});

test("disable turns a rule (or a whole family) off; an unknown name lists the known rules", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [4]);
  b.output(b.op("Tanh", [b.op("Relu", [x], {}, "test")], {}, "test"));
  const pass = passOf("swaps", [
    [ruleInfo("ReluToTanh", "test::Relu", 3), swap("Tanh")],
    [ruleInfo("Swap[Tanh]", "test::Tanh", 7), swap("Relu")],
  ]);
  const stats = applyPasses(b.graph, [pass], { disable: ["Swap"] });
  assert.equal(stats.firings, { ReluToTanh: 1 });
  assert.equal([...b.graph.nodes].map((n) => n.op), ["Tanh", "Tanh"]);
  assert.throws(() => applyPasses(b.graph, [pass], { disable: ["Nope"] }), /unknown rule "Nope".*known rules: ReluToTanh, Swap\[Tanh\]/);
});

test("a rule that throws does not fire, and the next rule on the same root gets its turn", () => {
  const graph = convChain(1);
  const pass = passOf("p", [
    [ruleInfo("Broken", "test::Mul", 1, 10), () => { throw new TypeError("bug"); }],
    [ruleInfo("Aborts", "test::Mul", 2, 5), (rw) => { rw.constantValue(T.add(iota([2]), iota([3]))); return true; }],
    [ruleInfo("FoldMulIntoConv", "test::Mul", 3), foldMulIntoConv],
  ]);
  const lines: string[] = [];
  const stats = applyPasses(graph, pass, { trace: (l) => lines.push(l) });
  assert.equal(stats.firings, { FoldMulIntoConv: 1 });
  assert.is(stats.aborted, 2);
  assert.ok(lines.includes(`  Broken failed at "mul_0": bug`), lines.join("\n"));
  assert.ok(lines.some((l) => l.startsWith(`  Aborts failed at "mul_0": add of shapes [2] and [3]`)), lines.join("\n"));
  assertValid(graph);
});

test("phases run in order, each to its own fixpoint", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [4]);
  b.output(b.op("Relu", [x], {}, "test"));
  const toTanh = passOf("first", [[ruleInfo("ReluToTanh", "test::Relu", 1), swap("Tanh")]]);
  const toNeg = passOf("second", [[ruleInfo("TanhToNeg", "test::Tanh", 2), swap("Neg")]]);
  const stats = applyPasses(b.graph, [toNeg, toTanh], { phased: true });
  assert.equal([...b.graph.nodes].map((n) => n.op), ["Tanh"], "the Tanh appears after TanhToNeg's phase");
  const again = applyPasses(b.graph, [], { phases: [[toNeg]] });
  assert.equal([...b.graph.nodes].map((n) => n.op), ["Neg"]);
  assert.equal([stats.firings, again.firings], [{ ReluToTanh: 1 }, { TanhToNeg: 1 }]);
});

test("a rule that keeps building new values hits the iteration cap", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [4]);
  b.output(b.op("Relu", [x], {}, "test"));
  const grow = passOf("grow", [
    [ruleInfo("Grow", "test::Relu", 1), (rw, root) => rw.replace(root, rw.create("Relu", "test", rw.create("Neg", "test", [rw.input(root, 0)], {}), {}))],
  ]);
  assert.throws(() => applyPasses(b.graph, grow, { maxIterations: 40 }), /did not settle within 40 steps.*Grow/);
});

test("dead nodes are removed at the end", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [4]);
  b.op("Neg", [b.op("Tanh", [x], {}, "test")], {}, "test");
  b.output(b.op("Relu", [x], {}, "test"));
  const stats = applyPasses(b.graph, []);
  assert.equal([stats.nodesBefore, stats.nodesAfter], [3, 1]);
  assertValid(b.graph);
});

test.run();
