/**
 * Benefit across roots in the driver: a rule rooted at a reader takes a node away from the rule
 * rooted at it when its benefit is higher and its match goes through the node, and only then.
 * The rewrite chosen is committed whole (a bigger rule whose result fails late leaves the graph
 * to the smaller one), trace says who gave way, failures are reported once, and rules that undo
 * each other across roots are still named as a loop. Every rewritten graph computes what the
 * original did.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import nodePath from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../src/compiler/compile.js";
import { execute } from "../../src/kernels/index.js";
import { applyPasses, assertValid, GraphBuilder, RewriteLoopError, scalarF32, type Graph, type Pass, type Value } from "../../src/runtime/api.js";
import { randomInputs, relativeError } from "../numeric.js";

mkdirSync("tmp", { recursive: true });
const scratch = mkdtempSync(nodePath.resolve("tmp/benefit-"));
let counter = 0;

async function passOf(rules: string): Promise<Pass> {
  const name = `benefit${counter++}`;
  const source = `import "${nodePath.resolve("rules/dialects/onnx.rules")}"\n${rules}`;
  const result = await compile([{ path: nodePath.join(scratch, `${name}.rules`), source }], { outDir: scratch });
  assert.equal(result.diagnostics.filter((d) => d.severity === "error"), []);
  const file = nodePath.join(scratch, `${name}.ts`);
  writeFileSync(file, result.modules[0]!.code);
  return ((await import(pathToFileURL(file).href)) as { pass: Pass }).pass;
}

const SMALL = `rule MaxZeroIsRelu:
  Max(x, 0.0)
  => Relu(x)
`;
const BIG = `rule MinMaxIsRelu6:
  Min(Max(x, 0.0), 6.0)
  => Clip(x, zeros([]), ones([]) * 6.0)
`;

/** x·8 → Max(·, 0) → Min(·, bound) → output, and `extra` more readers (Tanh) of the Max. */
function graphWith(bound: number, extraReaders = 0): Graph {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2, 8]);
  const scaled = b.op("Mul", [x, b.constant(scalarF32(8), "eight")]);
  const max = b.op("Max", [scaled, b.constant(scalarF32(0), "zero")]);
  const outputs: Value[] = [b.op("Min", [max, b.constant(scalarF32(bound), "bound")])];
  for (let i = 0; i < extraReaders; i++) outputs.push(b.op("Tanh", [max]));
  b.output(...outputs);
  return b.graph;
}

/** Applies `pass`, checks the result is valid and computes what the original did; returns the op sequence. */
function rewrite(graph: Graph, pass: Pass, options: Parameters<typeof applyPasses>[2] = {}): { ops: string[]; firings: Record<string, number> } {
  const inputs = randomInputs(graph, 7);
  const before = execute(graph, inputs);
  const stats = applyPasses(graph, pass, options);
  assertValid(graph);
  const after = execute(graph, inputs);
  for (const [name, reference] of Object.entries(before)) assert.ok(relativeError(after[name]!, reference) <= 1e-6, `output ${name}`);
  return { ops: graph.topoOrder().map((n) => n.op), firings: stats.firings };
}

test("the bigger rule at the reader wins, whichever rule is written first, and trace says so", async () => {
  for (const rules of [SMALL + BIG, BIG + SMALL]) {
    const lines: string[] = [];
    const { ops, firings } = rewrite(graphWith(6), await passOf(rules), { trace: (l) => lines.push(l) });
    assert.equal(ops, ["Mul", "Clip"]);
    assert.equal(firings, { MinMaxIsRelu6: 1 });
    assert.ok(
      lines.some((l) => /MaxZeroIsRelu at "[^"]+" \(benefit 1\) gives way to MinMaxIsRelu6 at "[^"]+" \(benefit 2\)/.test(l)),
      lines.join("\n"),
    );
  }
});

test("in a chain of readers the biggest match wins, two levels above the node", async () => {
  // Benefits 1 (Max), 2 (Min over Max) and 3 (Mul over both): the Mul's rule takes all three.
  const scaled = `rule ScaledRelu6:
  Mul(Min(Max(x, 0.0), 6.0), c: const)
  where isScalar(c) && item(c) > 0.0
  => Clip(Mul(x, c), zeros([]), c * 6.0)
`;
  for (const rules of [SMALL + BIG + scaled, scaled + BIG + SMALL]) {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [2, 8]);
    const max = b.op("Max", [b.op("Mul", [x, b.constant(scalarF32(8), "eight")]), b.constant(scalarF32(0), "zero")]);
    b.output(b.op("Mul", [b.op("Min", [max, b.constant(scalarF32(6), "six")]), b.constant(scalarF32(0.5), "half")]));
    const graph = b.graph;
    const lines: string[] = [];
    const { ops, firings } = rewrite(graph, await passOf(rules), { trace: (l) => lines.push(l) });
    assert.equal(firings, { ScaledRelu6: 1 });
    assert.equal(ops, ["Mul", "Mul", "Clip"]);
    assert.ok(lines.some((l) => /MaxZeroIsRelu at "[^"]+" \(benefit 1\) gives way to ScaledRelu6 at "[^"]+" \(benefit 3\)/.test(l)), lines.join("\n"));
  }
});

test("when the bigger pattern does not match, the smaller rule fires as before", async () => {
  const { ops, firings } = rewrite(graphWith(7), await passOf(SMALL + BIG));
  assert.equal(ops, ["Mul", "Relu", "Min"]);
  assert.equal(firings, { MaxZeroIsRelu: 1 });
});

test("a node the bigger match reads but other nodes also read is still rewritten for them", async () => {
  const { ops, firings } = rewrite(graphWith(6, 1), await passOf(SMALL + BIG));
  assert.equal(firings, { MinMaxIsRelu6: 1, MaxZeroIsRelu: 1 });
  assert.equal(ops.sort(), ["Clip", "Mul", "Relu", "Tanh"]);
});

test("a bigger rule whose result fails late leaves the node to the smaller rule, the graph untouched by it", async () => {
  // Transpose makes the result [8, 2] where the Min is [2, 8]: the rewrite is refused whole.
  const badBig = `rule MinMaxTransposed:
  Min(Max(x, 0.0), 6.0)
  => Transpose(Clip(x, zeros([]), ones([]) * 6.0))
`;
  const lines: string[] = [];
  const { ops, firings } = rewrite(graphWith(6), await passOf(SMALL + badBig), { trace: (l) => lines.push(l) });
  assert.equal(firings, { MaxZeroIsRelu: 1 });
  assert.equal(ops, ["Mul", "Relu", "Min"]);
  assert.not.ok(lines.some((l) => l.includes("gives way")), lines.join("\n"));
});

test("failures at a node are reported once, also when a reader takes the node over", async () => {
  const pass = await passOf(`rule MaxOfSelf priority 1:
  Max(x, x)
  => x
${SMALL}${BIG}`);
  const failures: string[] = [];
  rewrite(graphWith(6), pass, { onFail: (rule, root, reason) => failures.push(`${rule.name}@${root.name}: ${reason}`) });
  assert.ok(failures.length > 0);
  assert.equal(failures.length, new Set(failures).size, failures.join("\n"));
});

test("a higher priority on the smaller rule makes it win across roots", async () => {
  const { ops, firings } = rewrite(graphWith(6), await passOf(SMALL.replace("MaxZeroIsRelu:", "MaxZeroIsRelu priority 5:") + BIG));
  assert.equal(firings, { MaxZeroIsRelu: 1 });
  assert.equal(ops, ["Mul", "Relu", "Min"]);
});

test("rules that undo each other across roots are still named as a loop", async () => {
  const pass = await passOf(`rule SpellOutRelu:
  Relu(x)
  => Max(x, 0.0)

rule ReluUnderMin:
  Min(Max(x, 0.0), 6.0)
  => Min(Relu(x), 6.0)
`);
  try {
    applyPasses(graphWith(6), pass);
    assert.unreachable("the loop must be detected");
  } catch (e) {
    assert.instance(e, RewriteLoopError);
    assert.equal((e as RewriteLoopError).rules.map((r) => r.name).sort(), ["ReluUnderMin", "SpellOutRelu"]);
  }
});

test.after(() => rmSync(scratch, { recursive: true, force: true }));

test.run();
