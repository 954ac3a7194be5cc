/**
 * Dialects are data: every op declared in rules/dialects/*.rules has a shape function and a
 * kernel in the runtime's registry, and the registry holds no op the dialects do not declare.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync } from "node:fs";
import { analyze } from "../src/compiler/analyze.js";
import { opKey, registeredOps } from "../src/runtime/registry.js";
import "../src/kernels/index.js";

const dialectFiles = readdirSync("rules/dialects")
  .filter((f) => f.endsWith(".rules"))
  .map((f) => `rules/dialects/${f}`);

test("the dialect files analyze cleanly", () => {
  const { diagnostics } = analyze(dialectFiles);
  assert.equal(diagnostics.filter((d) => d.severity !== "note"), []);
});

test("declared ops and registered ops are the same set", () => {
  const { program } = analyze(dialectFiles);
  const declared = new Set(program.ops.all().map((op) => opKey(op.domain, op.name)));
  // Other test files register throw-away ops in the "test" domain in this same process.
  const registered = new Set(registeredOps().filter((k) => !k.startsWith("test::")));
  const undeclared = [...registered].filter((k) => !declared.has(k)).sort();
  const unimplemented = [...declared].filter((k) => !registered.has(k)).sort();
  assert.equal(unimplemented, [], "declared in a dialect but without kernel/shape function");
  assert.equal(undeclared, [], "registered in the runtime but declared in no dialect");
});

test.run();
