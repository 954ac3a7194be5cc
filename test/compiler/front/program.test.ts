/** The resolved program: op lookup (qualification, ambiguity, suggestions) and per-rule scopes. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyze } from "../../../src/compiler/analyze.js";
import type { Span } from "../../../src/compiler/ast.js";

const span: Span = { file: "x", start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

const dialects = `
dialect a { op Relu(x)  op Conv(x, w, b?) { group: int = 1  pads: int[] = [] } }
dialect b { op Relu(x)  op Gelu(x) }`;

test("op lookup: unique, qualified, ambiguous, unknown with suggestion, unknown dialect", () => {
  const { program } = analyze([{ path: "/v/d.rules", source: dialects }]);
  const ops = program.ops;
  assert.is(ops.resolve({ name: "Conv", span })?.dialect, "a");
  assert.is(ops.resolve({ dialect: "b", name: "Relu", span })?.dialect, "b");
  const ambiguous = ops.lookup({ name: "Relu", span });
  assert.ok(ambiguous.kind === "ambiguous" && ambiguous.candidates.length === 2);
  assert.equal(ops.lookup({ name: "Gleu", span }), { kind: "unknown", name: "Gleu", suggestion: "Gelu" });
  assert.equal(ops.lookup({ dialect: "c", name: "Relu", span }).kind, "unknown-dialect");
});

test("scopes say what each name is", () => {
  const source = `${dialects}
rule R: a.Relu(c: Conv(x, W: const, b?: const) { group: g, pads: p })
  where g == 1 && len(p) == 4
  let s = W * 2
  => Conv(x, s, b ?? s) { ...c }`;
  const { program, diagnostics } = analyze([{ path: "/v/r.rules", source }]);
  assert.equal(diagnostics.map((d) => d.message), []);
  const scope = program.scopes.get(program.rules[0]!)!;
  const kinds = Object.fromEntries([...scope.bindings.values()].map((b) => [b.name, b.kind]));
  assert.equal(kinds, { c: "node", g: "attr", p: "attr", x: "value", W: "const", b: "const", s: "let" });
  const p = scope.bindings.get("p")!;
  assert.ok(p.kind === "attr" && p.type?.kind === "ints");
  const b = scope.bindings.get("b")!;
  assert.ok(b.kind === "const" && b.optional);
  assert.is(scope.unresolved.length, 0);
});

test.run();
