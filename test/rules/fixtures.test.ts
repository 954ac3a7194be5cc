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
import { applyPasses, execute, graphFromJSON, loadPass, verify, f32, type Graph, type GraphJSON, type Tensor } from "../../src/index.js";

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
      const inputs = randomInputs(graph);
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

/** Reproducible float32 inputs uniform in [-1, 1). */
function randomInputs(graph: Graph): Record<string, Tensor> {
  let seed = 20240531;
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

/** max |actual − reference| / max |reference|. */
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
