/** Broken input never throws: every prefix of real rule files, and token-level damage, yields diagnostics. */
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyze } from "../../../src/compiler/analyze.js";

const sample = readFileSync("test/fixtures/compiler/pass/onnx-folds.rules", "utf8").replace(/^import .*$/m, "");
const dialect = readFileSync("rules/dialects/onnx.rules", "utf8");

function analyzeText(source: string) {
  return analyze([
    { path: "/v/onnx.rules", source: dialect },
    { path: "/v/r.rules", source: `import "onnx.rules"\n${source}` },
  ]);
}

test("every prefix of a rules file analyzes without throwing, with in-range spans", () => {
  for (let end = 0; end <= sample.length; end += 23) {
    const { diagnostics } = analyzeText(sample.slice(0, end));
    for (const d of diagnostics) {
      assert.ok(d.span.start.offset >= 0 && d.span.end.offset >= d.span.start.offset, `bad span for ${d.message}`);
      assert.ok(d.span.start.line >= 1 && d.span.start.column >= 1);
    }
  }
});

test("deleting any one token's worth of text reports errors instead of throwing", () => {
  const cuts = [...sample.matchAll(/[(){}\[\],:]|=>/g)].map((m) => m.index!).filter((_, i) => i % 4 === 0);
  for (const at of cuts) {
    const damaged = sample.slice(0, at) + sample.slice(at + 1);
    const { diagnostics } = analyzeText(damaged);
    assert.ok(Array.isArray(diagnostics));
  }
});

test("incomplete constructs each give a syntax error", () => {
  const broken = [
    "rule A: Relu(x) where => x",
    "rule A: Relu(x) => ",
    "rule A: Relu(x) let => x",
    "rule A: Relu(x) { k: } => x",
    "rule A: Relu(x) => Conv(x) { ...",
    "for (a, in [(Relu, 1)] { rule R: a(x) => x }",
    "dialect d { op A(x) { k: int = } }",
    "extern pred p(a: ) from",
  ];
  for (const source of broken) {
    const { diagnostics } = analyzeText(source);
    assert.ok(diagnostics.some((d) => d.code === "syntax"), source);
  }
});

test.run();
