/**
 * The packed package in a fresh project: a plain Node ESM script (no loader) imports the
 * runtime, the shipped ONNX pack and a pass the installed CLI compiled from a rules file that
 * imports the dialect by package name; it optimizes, executes and saves a real model.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLASSIFY, CLS_MODEL, USER_RULES, installed } from "./installed.js";

test("the tarball ships built JavaScript, declarations, the dialects and a LICENSE, and no sources or tests", () => {
  const { files } = installed();
  for (const required of ["LICENSE", "README.md", "bin/fusec.js", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/runtime/api.js", "dist/generated/onnx.js", "rules/dialects/onnx.rules"]) {
    assert.ok(files.includes(required), `missing ${required}`);
  }
  const stray = files.filter((f) => /^(src|test|bench|stubs|generated|scripts)\//.test(f) || f.endsWith(".test.js") || /\.ts$/.test(f.replace(/\.d\.ts$/, "")));
  assert.equal(stray, []);
});

test("installing needs no build step and every installed package supports this Node", () => {
  const { installLog, project } = installed();
  assert.not.match(installLog, /EBADENGINE/);
  const installedPackages = readFileSync(join(project, "package-lock.json"), "utf8");
  for (const devOnly of ["node_modules/tsx", "node_modules/onnx-proto", "node_modules/npyjs", "node_modules/protobufjs"]) {
    assert.not.ok(installedPackages.includes(`"${devOnly}"`), `${devOnly} is installed`);
  }
});

test("a plain Node script runs a pass compiled by the installed CLI with the shipped pack, and saves a model that runs the same", () => {
  const app = installed();
  app.write("rules/fusions.rules", USER_RULES);
  const compiled = app.run("npx", ["fusec", "compile", "rules/fusions.rules", "-o", "passes", "--js"]);
  assert.match(compiled.stdout, /fusions\.mjs/);
  assert.ok(existsSync(join(app.project, "passes/fusions.d.mts")));
  assert.match(readFileSync(join(app.project, "passes/fusions.mjs"), "utf8"), /npx fusec compile rules\/fusions\.rules -o <this folder>/);
  app.write("classify.mjs", CLASSIFY("./passes/fusions.mjs"));
  app.write(
    "app.mjs",
    `import { readFileSync } from "node:fs";
import { loadGraph, saveGraph, prepare } from "fusec";
import { classify, input } from "./classify.mjs";
const r = classify(readFileSync(${JSON.stringify(CLS_MODEL)}));
saveGraph(r.graph, "fused.onnx");
const saved = prepare(loadGraph("fused.onnx"));
const again = Array.from(saved.run({ x: input([1, 3, 48, 192]) })[saved.outputNames[0]].data);
console.log(JSON.stringify({ ...r, graph: undefined, again }));
`,
  );
  const out = app.run("node", ["app.mjs"]);
  const r = JSON.parse(out.stdout) as { nodesBefore: number; nodesAfter: number; userFirings: number; before: number[]; after: number[]; again: number[] };
  assert.is(r.nodesBefore, 221);
  assert.ok(r.nodesAfter < 120, `${r.nodesAfter} nodes after optimizing`);
  assert.ok(r.userFirings > 0, "the user's rule never fired");
  assert.is(r.after.length, 2);
  r.after.forEach((v, i) => assert.ok(Math.abs(v - r.before[i]!) < 1e-4, `output ${i}: ${v} fused, ${r.before[i]} unfused`));
  // Saving lowers fused ops to the model's opset (9: HardSwish is written as x·HardSigmoid(x)).
  r.again.forEach((v, i) => assert.ok(Math.abs(v - r.after[i]!) < 1e-5, `output ${i}: ${v} saved, ${r.after[i]} fused`));
});

test("the installed CLI loads a TypeScript pass from a folder whose package type is CommonJS, and names a missing one", () => {
  const app = installed();
  app.write("rules/fusions.rules", USER_RULES);
  app.run("npx", ["fusec", "compile", "rules/fusions.rules", "-o", "ts-passes"]);
  const optimized = app.run("npx", ["fusec", "optimize", CLS_MODEL, "-o", "cli-fused.onnx", "--pass", "ts-passes/fusions.ts", "--pass", "onnx"]);
  assert.ok(existsSync(join(app.project, "cli-fused.onnx")), optimized.stderr);
  const missing = app.run("npx", ["fusec", "optimize", CLS_MODEL, "-o", "never.onnx", "--pass", "ts-passes/nothing.ts"], { check: false });
  assert.is(missing.status, 1);
  assert.match(missing.stderr, /cannot load pass "ts-passes\/nothing\.ts": no such file/);
  assert.not.ok(existsSync(join(app.project, "never.onnx")));
});

test("the installed CLI writes an HTML report (its client script and styles ship with it)", () => {
  const app = installed();
  app.run("npx", ["fusec", "report", CLS_MODEL, "-o", "report.html"]);
  const html = readFileSync(join(app.project, "report.html"), "utf8");
  assert.match(html, /<svg/);
  assert.match(html, /<style>[^<]{200,}/);
});

test("the installed CLI checks and numerically verifies a rules file that imports the dialect by package name", () => {
  const app = installed();
  app.write("rules/fusions.rules", USER_RULES);
  const checked = app.run("npx", ["fusec", "check", "rules/fusions.rules"]);
  assert.is(checked.status, 0, checked.stderr);
  const verified = app.run("npx", ["fusec", "verify", "rules/fusions.rules"]);
  assert.match(verified.stdout, /PaddleHardSwish.*ok/);
});

test("the installed CLI finds fusec's own dialects in the package: a rule building an op without implementation is warned about", () => {
  const app = installed();
  app.write("rules/noimpl.rules", `import "fusec/dialects/onnx"\ndialect mine {\n  op Swish(X)\n}\nrule SwishFromParts: Mul(x, Sigmoid(x)) => Swish(x)\nrule ReluTwice: Relu(Relu(x)) => Relu(x)\n`);
  const checked = app.run("npx", ["fusec", "check", "rules/noimpl.rules"]);
  assert.is(checked.status, 0, checked.stderr);
  assert.match(checked.stderr, /warning\[missing-impl\]: rule 'SwishFromParts' builds Swish/);
  assert.not.match(checked.stderr, /ReluTwice/);
});

test.run();
