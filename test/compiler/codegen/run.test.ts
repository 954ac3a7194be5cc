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
import { graphFromJSON } from "../../../src/node/models.js";
import type { Pass } from "../../../src/runtime/pass.js";
import { verify } from "../../../src/runtime/verify.js";
import { randomInputs, relativeError } from "../../numeric.js";

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
    const inputs = randomInputs(graph, 12345);
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

test.run();
