/**
 * What `--trace` says when a rule does not match: a family member's reasons name the loop
 * variables' values (`allClose(c, 2.0)`, not `allClose(c, k)`), and a commutative op whose two
 * operand orders fail alike reports the reason once.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import nodePath from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../../src/compiler/compile.js";
import { applyPasses, GraphBuilder, type Pass } from "../../../src/runtime/api.js";

mkdirSync("tmp", { recursive: true });
const scratch = mkdtempSync(nodePath.resolve("tmp/trace-"));
const source = `import "${nodePath.resolve("rules/dialects/onnx.rules")}"
for k in [1.0, 2.0] {
  rule DropScale:
    Mul(x, c: const)
    where allClose(c, k)
    => x
}
rule SquareOfRelu:
  Mul(r: Relu(x), r)
  => r
`;

async function load(): Promise<{ code: string; pass: Pass }> {
  const result = await compile([{ path: nodePath.join(scratch, "trace.rules"), source }], { outDir: scratch });
  assert.equal(result.diagnostics.filter((d) => d.severity === "error"), []);
  const code = result.modules[0]!.code;
  const file = nodePath.join(scratch, "trace.ts");
  writeFileSync(file, code);
  return { code, pass: ((await import(pathToFileURL(file).href)) as { pass: Pass }).pass };
}

test("a family member's failure reasons show the loop variables' values", async () => {
  const { code } = await load();
  assert.ok(code.includes('rw.fail("where allClose(c, 1.0)")'), "member k = 1.0");
  assert.ok(code.includes('rw.fail("where allClose(c, 2.0)")'), "member k = 2.0");
  assert.not.ok(code.includes(`rw.fail("where allClose(c, k)")`), "no loop variable left in a reason");
});

test("a commutative match failing alike in both orders is reported once", async () => {
  const { pass } = await load();
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2, 2]);
  const y = b.input("y", "float32", [2, 2]);
  b.output(b.op("Mul", [b.op("Sigmoid", [x]), b.op("Tanh", [y])]));
  const lines: string[] = [];
  applyPasses(b.graph, pass, { trace: (line) => lines.push(line) });
  const squares = lines.filter((l) => l.includes("SquareOfRelu failed"));
  assert.equal(squares.length, new Set(squares).size, squares.join("\n"));
  assert.ok(squares.length >= 1, lines.join("\n"));
});

test.after(() => rmSync(scratch, { recursive: true, force: true }));

test.run();
