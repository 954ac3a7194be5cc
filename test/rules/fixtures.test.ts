/**
 * Rule-pack fixtures (test/fixtures/rules/<pack>/<case>.json): each case is a graph (fusec's
 * graph JSON), the firings the committed pack `generated/<pack>.ts` must make on it (exactly:
 * `{}` for a case where no rule may fire), and optionally the op sequence left. The runner
 * executes the graph before and after the pass on reproducible random inputs; the outputs must
 * agree within a max relative error of 1e-5, and the rewritten graph must verify.
 * A new case is a new file.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as nodePath from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyPasses, execute, graphFromJSON, loadPass, verify, type GraphJSON } from "../../src/index.js";
import { randomInputs, relativeError } from "../numeric.js";

interface RuleCase {
  /** What the case shows (positive: the rule fires; negative: why it must not). */
  about: string;
  graph: GraphJSON;
  /** Exact firing counts per rule (family members by their full name). */
  fired: Record<string, number>;
  /** The op sequence (topological order) after the pass, when the case pins it. */
  ops?: string[];
}

const root = nodePath.resolve("test/fixtures/rules");

for (const pack of readdirSync(root).sort()) {
  for (const file of readdirSync(nodePath.join(root, pack)).filter((f) => f.endsWith(".json")).sort()) {
    test(`${pack}/${file}`, async () => {
      const fixture = JSON.parse(readFileSync(nodePath.join(root, pack, file), "utf8")) as RuleCase;
      const graph = graphFromJSON(JSON.stringify(fixture.graph));
      const inputs = randomInputs(graph, 20240531);
      const before = execute(graph, inputs);

      const stats = applyPasses(graph, await loadPass(pack));
      assert.equal(verify(graph), [], "the rewritten graph verifies");
      assert.equal(stats.firings, fixture.fired, `rules fired (${fixture.about})`);
      if (fixture.ops) assert.equal(graph.topoOrder().map((n) => n.op), fixture.ops, "op sequence");

      const after = execute(graph, inputs);
      for (const [output, reference] of Object.entries(before)) {
        const error = relativeError(after[output]!, reference);
        assert.ok(error <= 1e-5, `output ${output}: relative error ${error}`);
      }
    });
  }
}

test.run();
