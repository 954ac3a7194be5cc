/**
 * Fixture runner: every `test/fixtures/compiler/pass/*.rules` analyzes and lowers without
 * errors or warnings (lowering cannot fail on what the checks accept); every `fail/*.rules` produces exactly the error and warning diagnostics its leading
 * `// expect: error[code] line:col message-substring` comments list. A new case is a new file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyze } from "../../../src/compiler/analyze.js";
import { check } from "../../../src/compiler/compile.js";
import type { Diagnostic } from "../../../src/compiler/diagnostics.js";
import { renderDiagnostics, sourcesOf } from "../../../src/compiler/render.js";

const root = "test/fixtures/compiler";

interface Expectation {
  severity: string;
  code: string;
  line: number;
  column: number;
  message: string;
}

function expectations(source: string): Expectation[] {
  const found: Expectation[] = [];
  for (const line of source.split("\n")) {
    const match = /^\/\/ expect: (error|warning)\[([\w-]+)\] (\d+):(\d+) (.*)$/.exec(line.trim());
    if (match) found.push({ severity: match[1]!, code: match[2]!, line: Number(match[3]), column: Number(match[4]), message: match[5]! });
  }
  return found;
}

function matches(d: Diagnostic, e: Expectation): boolean {
  return d.severity === e.severity && d.code === e.code && d.span.start.line === e.line && d.span.start.column === e.column && d.message.includes(e.message);
}

function describe(d: Diagnostic): string {
  return `${d.severity}[${d.code}] ${d.span.start.line}:${d.span.start.column} ${d.message}`;
}

for (const name of readdirSync(join(root, "pass")).filter((f) => f.endsWith(".rules")).sort()) {
  test(`pass/${name}`, () => {
    const { program, diagnostics } = analyze([join(root, "pass", name)]);
    const reported = diagnostics.filter((d) => d.severity !== "note");
    assert.is(reported.length, 0, `unexpected diagnostics:\n${renderDiagnostics(reported, sourcesOf(program.files))}`);
    assert.ok(program.roots.length === 1);
    const lowered = check([join(root, "pass", name)]);
    assert.equal(lowered.diagnostics.filter((d) => d.severity !== "note").map(describe), []);
    assert.is(lowered.passes.length, 1);
  });
}

for (const name of readdirSync(join(root, "fail")).filter((f) => f.endsWith(".rules")).sort()) {
  test(`fail/${name}`, () => {
    const path = join(root, "fail", name);
    const expected = expectations(readFileSync(path, "utf8"));
    assert.ok(expected.length > 0, `${path} has no '// expect:' lines`);
    const { diagnostics } = analyze([path]);
    const reported = diagnostics.filter((d) => d.severity !== "note");
    const unexpected = reported.filter((d) => !expected.some((e) => matches(d, e)));
    const missing = expected.filter((e) => !reported.some((d) => matches(d, e)));
    const report = [
      ...unexpected.map((d) => `unexpected: ${describe(d)}`),
      ...missing.map((e) => `missing: ${e.severity}[${e.code}] ${e.line}:${e.column} ${e.message}`),
    ].join("\n");
    assert.is(report, "", report);
    assert.is(reported.length, expected.length, `expected ${expected.length} diagnostics, got:\n${reported.map(describe).join("\n")}`);
  });
}

test.run();
