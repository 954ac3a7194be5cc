/**
 * The conformance suites against the committed expected failures: every case of ONNX's backend
 * data and onnxruntime-web's operator tests (each run as loaded and after optimize) passes unless
 * test/conformance/expected-failures.json lists it with a reason, and every listed case still
 * fails — the list may only shrink (`npm run conformance -- --update-expected` drops the ones
 * that pass). The same runner as `npm run conformance`.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadPass } from "../../src/index.js";
import { readExpected } from "./main.js";
import { checkExpected, runCase, type CaseResult } from "./runner.js";
import { allCases } from "./suites.js";

test("every case passes or is listed as an expected failure with its reason, and every listed case still fails", async () => {
  const pass = await loadPass("onnx");
  const cases = allCases();
  assert.ok(cases.filter((c) => c.suite === "onnx-backend").length >= 140);
  assert.ok(cases.filter((c) => c.suite === "ort-web-ops").length >= 600);
  const expected = readExpected();
  for (const [id, reason] of Object.entries(expected)) assert.ok(reason.trim().length > 0, `${id} has no reason`);
  const { newFailures, nowPassing, unknown } = checkExpected(cases.map((c) => runCase(c, pass)), expected);
  assert.equal(newFailures.map((r) => `${r.id}: ${r.outcome}: ${r.message}`), [], "cases that fail but are not listed");
  assert.equal([...nowPassing, ...unknown], [], "listed cases that pass now (run npm run conformance -- --update-expected)");
});

test("the list check flags an unlisted failure, a listed pass and a listed id that names no case", () => {
  const result = (id: string, outcome: CaseResult["outcome"]): CaseResult => ({ suite: "onnx-backend", id, ops: ["Abs"], outcome, loaded: outcome, optimized: outcome });
  const check = checkExpected([result("a", "cannot run"), result("b", "pass"), result("c", "wrong")], { b: "listed", c: "listed", gone: "listed" });
  assert.equal(check.newFailures.map((r) => r.id), ["a"]);
  assert.equal(check.nowPassing, ["b"]);
  assert.equal(check.unknown, ["gone"]);
});

test.run();
