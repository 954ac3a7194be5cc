/**
 * Front-end limits and line terminators: deep nesting, long names and out-of-range numbers get
 * located diagnostics instead of a stack overflow, a slow "did you mean" or a silently rounded
 * value; LF, CRLF, CR, U+2028 and U+2029 end lines everywhere (lexer, spans, code frames); no
 * diagnostic sits at column 0.
 */
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { check } from "../../../src/compiler/compile.js";
import type { Diagnostic } from "../../../src/compiler/diagnostics.js";
import { MAX_NESTING } from "../../../src/compiler/limits.js";
import { renderDiagnostics, sourcesOf } from "../../../src/compiler/render.js";
import { closest, editDistanceWithin } from "../../../src/compiler/suggest.js";

const PATH = "rules/limits-test.rules";
const IMPORT = 'import "dialects/onnx.rules"\n';

function errors(source: string): Diagnostic[] {
  return check([{ path: PATH, source }]).diagnostics.filter((d) => d.severity === "error");
}

function at(d: Diagnostic): string {
  return `${d.span.start.line}:${d.span.start.column}`;
}

test("200 nested parentheses: a located 'nesting too deep', no stack overflow", () => {
  const source = `${IMPORT}rule R: Relu(x) where ${"(".repeat(200)}1${")".repeat(200)} > 0 => x\n`;
  const [first, ...rest] = errors(source);
  assert.ok(first);
  assert.match(first!.message, /^nesting too deep/);
  assert.is(at(first!), `2:${"rule R: Relu(x) where ".length + MAX_NESTING + 1}`);
  assert.equal(rest, [], "the rest of the file is not parsed, so nothing cascades");
});

test("thousands of unary operators, index chains or chained operators are limited too", () => {
  for (const expr of ["-".repeat(5000) + "1", "p" + "[0]".repeat(5000), Array.from({ length: 5000 }, () => "1").join(" + "), "[".repeat(100) + "]".repeat(100)]) {
    const found = errors(`${IMPORT}rule R: Relu(x) where ${expr} > 0 => x\n`);
    assert.match(found[0]?.message ?? "", /^nesting too deep/, expr.slice(0, 20));
    assert.is(found[0]!.span.start.line, 2);
  }
});

test("ordinary nesting is not limited", () => {
  const source = `${IMPORT}rule R: Relu(x) where ${"(".repeat(20)}rank(x)${")".repeat(20)} + ${Array.from({ length: 40 }, () => "1").join(" + ")} > 0 => x\n`;
  assert.equal(errors(source), []);
});

test("a 20,000-character op name: 'name too long', and no suggestion search", () => {
  const found = errors(`${IMPORT}rule R: ${"Reluu".repeat(4000)}(x) => x\n`);
  assert.match(found[0]!.message, /^name too long: 20000 characters/);
  assert.is(at(found[0]!), "2:9");
});

test("did you mean: banded distance agrees with the full one within the band", () => {
  const full = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
        d[i]![j] = best;
      }
    }
    return d[a.length]![b.length]!;
  };
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 12 }), fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 12 }), fc.nat(6), (a, b, k) => {
      const exact = full(a, b);
      const banded = editDistanceWithin(a, b, k);
      return exact <= k ? banded === exact : banded > k;
    }),
    { seed: 13, numRuns: 400 },
  );
  assert.is(closest("Reul", ["Relu", "Conv", "Resize"]), "Relu");
  assert.is(closest("conv", ["Relu", "Conv"]), "Conv");
  assert.is(closest("Xyzzy", ["Relu", "Conv"]), undefined);
  assert.is(closest("R".repeat(262_144), ["R".repeat(262_143)]), undefined, "no search for absurd names");
});

test("integer literals above 2^53 and numbers that overflow are diagnosed where written", () => {
  const found = errors(`${IMPORT}rule R: Transpose(x) { perm: [9007199254740993] } where dim(x, 0) == x[1e309] => x\n`);
  assert.equal(
    found.map((d) => [at(d), d.message]),
    [
      ["2:31", "integer 9007199254740993 is above 2^53 and cannot be represented exactly"],
      ["2:72", "number 1e309 is too large (it would be Infinity)"],
    ],
  );
});

const BAD = "rule R: Relu(x) => Nope(x)";

test("every line terminator ends a line: comments stop there, positions count it", () => {
  for (const nl of ["\n", "\r\n", "\r", "\u2028", "\u2029"]) {
    const source = `import "dialects/onnx.rules"${nl}// a comment${nl}${BAD}${nl}`;
    const found = errors(source);
    assert.equal(
      found.map((d) => [at(d), d.code]),
      [["3:20", "unknown-op"]],
      JSON.stringify(nl),
    );
    const rendered = renderDiagnostics(found, sourcesOf(check([{ path: PATH, source }]).sources));
    assert.ok(rendered.includes(`3 | ${BAD}\n  |                    ^^^^`), `${JSON.stringify(nl)}: ${rendered}`);
  }
});

test("a raw line terminator ends a string: unterminated string literal at the string", () => {
  for (const nl of ["\n", "\r", "\u2028", "\u2029"]) {
    const found = errors(`${IMPORT}rule R: Cast(x) { to: "a${nl}b" } => x\n`);
    assert.equal([at(found[0]!), found[0]!.message], ["2:23", "unterminated string literal"], JSON.stringify(nl));
  }
});

test("no diagnostic at column 0 for a missing type", () => {
  for (const source of ['extern pred p(conv: , x: int) from "./p.ts"\n', "dialect d {\n  op Foo(X) { a: }\n}\n"]) {
    const found = check([{ path: PATH, source }]).diagnostics;
    assert.ok(found.length > 0);
    for (const d of found) assert.ok(d.span.start.column >= 1 && d.span.start.line >= 1, `${at(d)} ${d.message}`);
    assert.ok(found.some((d) => /^expected a name but found/.test(d.message)), "the parser's own error names the place");
    assert.not.ok(found.some((d) => /unknown (parameter|attribute) type ''/.test(d.message)), "no cascade about an empty type");
  }
});

test.run();
