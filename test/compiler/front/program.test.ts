/** The resolved program: op lookup (qualification, ambiguity, suggestions), per-rule scopes and expression types. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyze } from "../../../src/compiler/analyze.js";
import type { Expr, Span } from "../../../src/compiler/ast.js";
import { forEachExpr } from "../../../src/compiler/program.js";

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

test("every expression of a rule is typed once, by the front end", () => {
  const source = `${dialects}
rule R: a.Relu(c: Conv(x, W: const, b?: const) { group: g, pads: p })
  where g / 2 > 0 && all(p == 0) && p == [0, 0] && len(p) - g >= 0
  let s = W * 2
  let k = W
  => Conv(x, s + -k@0, b ?? zeros([dim(W, 0)])) { ...c, group: g * 2 }`;
  const { program, diagnostics } = analyze([{ path: "/v/t.rules", source }]);
  assert.equal(diagnostics.map((d) => d.message), []);
  const rule = program.rules[0]!;
  const scope = program.scopes.get(rule)!;
  const text = (e: Expr) => source.slice(e.span.start.offset, e.span.end.offset);
  const types = new Map<string, string>();
  forEachExpr(rule, (e) => {
    assert.ok(scope.types.has(e), `no type for ${text(e)}`);
    types.set(text(e), scope.types.get(e)!);
  });
  assert.is(types.get("g / 2"), "float");
  assert.is(types.get("p == 0"), "bools");
  assert.is(types.get("all(p == 0)"), "bool");
  assert.is(types.get("p == [0, 0]"), "bool");
  assert.is(types.get("len(p) - g"), "int");
  assert.is(types.get("W * 2"), "tensor");
  assert.is(types.get("k"), "const");
  assert.is(types.get("s + -k@0"), "tensor");
  assert.is(types.get("b ?? zeros([dim(W, 0)])"), "tensor");
  assert.is(types.get("g * 2"), "int");
});

test.run();
