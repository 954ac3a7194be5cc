/** Loading: imports relative to the importer, in-memory sources, dependency order, missing files and cycles. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyze } from "../../../src/compiler/analyze.js";
import { loadRules } from "../../../src/compiler/load.js";

test("imports resolve relative to the importing file and load before it, once", () => {
  const result = loadRules([
    { path: "/virtual/pack/main.rules", source: `import "../dialects/d.rules"\nimport "extra.rules"` },
    { path: "/virtual/pack/extra.rules", source: `import "../dialects/d.rules"` },
    { path: "/virtual/dialects/d.rules", source: `dialect d { op A(x) }` },
  ]);
  assert.equal(result.diagnostics, []);
  assert.equal(result.files.map((f) => f.path), ["/virtual/dialects/d.rules", "/virtual/pack/extra.rules", "/virtual/pack/main.rules"]);
  assert.equal(result.roots.map((f) => f.path), ["/virtual/pack/main.rules", "/virtual/pack/extra.rules", "/virtual/dialects/d.rules"]);
});

test("a cycle through two files is reported at the import that closes it", () => {
  const result = loadRules([
    { path: "/v/a.rules", source: `import "b.rules"` },
    { path: "/v/b.rules", source: `\nimport "a.rules"` },
  ]);
  assert.equal(
    result.diagnostics.map((d) => [d.code, d.span.file, d.span.start.line, d.message]),
    [["import-cycle", "/v/b.rules", 2, "import cycle: /v/a.rules → /v/b.rules → /v/a.rules"]],
  );
});

test("a missing import and a missing root file are diagnostics, not exceptions", () => {
  const result = analyze([{ path: "/v/m.rules", source: `import "nope.rules"` }, "/v/absent.rules"]);
  assert.equal(
    result.diagnostics.map((d) => [d.code, d.span.file]),
    [
      ["file-not-found", "/v/absent.rules"],
      ["import-not-found", "/v/m.rules"],
    ],
  );
});

test("a directory given as a rules file or imported is named as a directory", () => {
  const result = loadRules(["test/fixtures/compiler/pass", { path: "/v/m.rules", source: `import "${process.cwd()}/rules/dialects"` }]);
  assert.equal(
    result.diagnostics.map((d) => [d.code, d.message]),
    [
      ["file-not-found", "'test/fixtures/compiler/pass' is a directory; name the .rules files to read"],
      ["import-not-found", `'${process.cwd()}/rules/dialects' is a directory; name the .rules files to import`],
    ],
  );
});

test("a byte order mark does not shift the columns of the first line; CRLF line ends count as one", () => {
  const { diagnostics } = analyze([{ path: "/v/bom.rules", source: "\uFEFFrule A: Relu(y) => z\r\nrule B: Relu(y) => z\r\n" }]);
  const unknownOps = diagnostics.filter((d) => d.code === "unknown-op");
  assert.equal(
    unknownOps.map((d) => [d.span.start.line, d.span.start.column]),
    [
      [1, 9],
      [2, 9],
    ],
  );
});

test("analyze resolves the program: ops, rules and scopes across files", () => {
  const { program, diagnostics } = analyze([
    { path: "/v/d.rules", source: `dialect d { commutative op Add(a, b)  op Neg(x) }` },
    { path: "/v/r.rules", source: `import "d.rules"\nrule R: Add(Neg(x), x) => x` },
  ]);
  assert.equal(diagnostics, []);
  assert.is(program.rules.length, 1);
  assert.equal(program.ops.all().map((o) => o.name), ["Add", "Neg"]);
  assert.ok(program.scopes.get(program.rules[0]!)!.bindings.has("x"));
});

test.run();
