/**
 * Run fixtures (test/fixtures/compiler/run/<case>/): `rules.rules` is compiled in memory, the
 * module is imported, its pass is applied to `graph.json`; the result must verify, have the
 * op sequence, node count and firings of `expected.json`, and compute the same outputs as
 * the original graph on random inputs (max |after − before| ≤ 1e-5 · max |before|).
 * A new case is a new folder.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as nodePath from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execute } from "../../../src/kernels/index.js";
import { compile } from "../../../src/compiler/compile.js";
import { applyPasses } from "../../../src/runtime/driver.js";
import type { Graph } from "../../../src/runtime/graph.js";
import { graphFromJSON } from "../../../src/runtime/json.js";
import type { Pass } from "../../../src/runtime/pass.js";
import { f32, type Tensor } from "../../../src/runtime/tensor.js";
import { verify } from "../../../src/runtime/verify.js";

interface Expected {
  ops: string[];
  nodes: number;
  fired: Record<string, number>;
}

const fixtures = nodePath.resolve("test/fixtures/compiler/run");
// Inside the repository, so that the generated `import … from "fusec/runtime"` resolves.
mkdirSync("tmp", { recursive: true });
const scratch = mkdtempSync(nodePath.resolve("tmp/run-fixtures-"));

for (const name of readdirSync(fixtures).sort()) {
  const dir = nodePath.join(fixtures, name);
  test(name, async () => {
    const pass = await compilePass(dir, name);
    const expected = JSON.parse(readFileSync(nodePath.join(dir, "expected.json"), "utf8")) as Expected;
    const graph = graphFromJSON(readFileSync(nodePath.join(dir, "graph.json"), "utf8"), { baseDir: dir });
    const inputs = randomInputs(graph);
    const before = execute(graph, inputs);

    const stats = applyPasses(graph, pass);
    assert.equal(verify(graph), [], "the rewritten graph verifies");
    assert.equal(stats.firings, expected.fired, "rules fired");
    assert.equal(
      graph.topoOrder().map((n) => n.op),
      expected.ops,
      "op sequence",
    );
    assert.is(graph.nodes.size, expected.nodes, "node count");

    const after = execute(graph, inputs);
    for (const [output, reference] of Object.entries(before)) {
      const error = relativeError(after[output]!, reference);
      assert.ok(error <= 1e-5, `output ${output}: relative error ${error}`);
    }
  });
}

test.after(() => rmSync(scratch, { recursive: true, force: true }));

async function compilePass(dir: string, name: string): Promise<Pass> {
  const result = await compile([nodePath.join(dir, "rules.rules")], { outDir: scratch });
  assert.equal(result.diagnostics.filter((d) => d.severity === "error"), [], "rules compile without errors");
  const file = nodePath.join(scratch, `${name}.ts`);
  writeFileSync(file, result.modules[0]!.code);
  const module = (await import(pathToFileURL(file).href)) as { pass: Pass };
  return module.pass;
}

/** Reproducible inputs uniform in [-1, 1). */
function randomInputs(graph: Graph): Record<string, Tensor> {
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648) * 2 - 1;
  };
  const inputs: Record<string, Tensor> = {};
  for (const v of graph.inputs) {
    const shape = (v.shape ?? []).map((d) => {
      if (typeof d !== "number") throw new Error(`fixture input ${v.name} needs a concrete shape`);
      return d;
    });
    const t = f32(shape);
    for (let i = 0; i < t.data.length; i++) (t.data as Float32Array)[i] = next();
    inputs[v.name] = t;
  }
  return inputs;
}

function relativeError(actual: Tensor, reference: Tensor): number {
  assert.equal(actual.shape, reference.shape, "output shape");
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.data.length; i++) {
    diff = Math.max(diff, Math.abs(Number(actual.data[i]) - Number(reference.data[i])));
    scale = Math.max(scale, Math.abs(Number(reference.data[i])));
  }
  return diff / Math.max(scale, Number.MIN_VALUE);
}

test.run();
