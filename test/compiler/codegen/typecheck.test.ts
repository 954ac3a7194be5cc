/**
 * Generated modules type-check under the project's strict tsconfig and load under tsx: the
 * fixture test/fixtures/compiler/typecheck/rich.rules uses every construct codegen emits
 * (nested commutative ops, attribute captures and literals, list conditions, lets, extern
 * predicates, rule families, results in another domain, constant expressions, float attribute
 * literals).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as nodePath from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../../src/compiler/compile.js";
import type { Pass } from "../../../src/runtime/pass.js";

const fixture = nodePath.resolve("test/fixtures/compiler/typecheck/rich.rules");

test("a module using every construct type-checks with tsc and loads", async () => {
  mkdirSync("tmp", { recursive: true });
  // Inside the repository, so that `fusec/runtime` resolves through the package's exports.
  const dir = mkdtempSync(nodePath.resolve("tmp/typecheck-"));
  try {
    const result = await compile([fixture], { outDir: dir });
    assert.equal(result.diagnostics.filter((d) => d.severity === "error"), []);
    const module = nodePath.join(dir, result.modules[0]!.fileName);
    writeFileSync(module, result.modules[0]!.code);
    writeFileSync(
      nodePath.join(dir, "tsconfig.json"),
      JSON.stringify({ extends: nodePath.resolve("tsconfig.json"), include: [module] }),
    );
    try {
      execFileSync(nodePath.resolve("node_modules/.bin/tsc"), ["-p", nodePath.join(dir, "tsconfig.json")], { encoding: "utf8" });
    } catch (e) {
      assert.unreachable(`tsc failed:\n${(e as { stdout?: string }).stdout ?? String(e)}`);
    }
    const { pass } = (await import(pathToFileURL(module).href)) as { pass: Pass };
    assert.is(pass.name, "rich");
    assert.equal(
      pass.rules.map((r) => r.name),
      ["NestedCommutative", "CaptureAttrs", "ActOfConv[Relu,Relu]", "ActOfConv[Sigmoid,Sigmoid]", "ShapeExprs", "FloatAttrLiterals", "NegativeIndexAndNegatedAlong", "ListComparisons", "ConcatOfTwo"],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
