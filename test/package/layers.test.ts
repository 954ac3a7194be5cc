/**
 * Layering: the runtime, kernels, ONNX bytes and shipped packs import no Node built-in (a
 * browser bundle needs no stubs), and `fusec/runtime` alone registers every kernel.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { builtinModules } from "node:module";
import { build } from "esbuild";

const PLATFORM_NEUTRAL = ["src/runtime/api.ts", "src/onnx/index.ts", "generated/onnx.ts", "generated/tflite.ts"];
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

test("the runtime, kernels, ONNX bytes and shipped packs bundle for the browser without a Node built-in", async () => {
  const result = await build({
    entryPoints: PLATFORM_NEUTRAL,
    bundle: true,
    write: false,
    outdir: "out",
    format: "esm",
    platform: "browser",
    conditions: ["fusec-source"],
    metafile: true,
    logLevel: "silent",
  });
  const imported = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
  assert.equal(imported.filter((p) => BUILTINS.has(p)), []);
  const text = result.outputFiles.map((f) => f.text).join("\n");
  assert.not.match(text, /\b(require\(|process\.cwd|Buffer\.from)/);
});

/** Runs an ES module script in a fresh Node process (this repo's sources through tsx). */
function runScript(source: string): string {
  const r = spawnSync(process.execPath, ["--conditions=fusec-source", "--import", "tsx", "--input-type=module", "-e", source], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test("importing fusec/runtime alone registers every kernel and shape function a full import does", () => {
  const alone = JSON.parse(runScript(`import { registeredOps } from "fusec/runtime"; console.log(JSON.stringify(registeredOps()));`)) as string[];
  const everything = `import "./src/index.ts"; import "./src/verify/rules.ts"; import { registeredOps } from "fusec/runtime";`;
  const full = JSON.parse(runScript(`${everything} console.log(JSON.stringify(registeredOps()));`)) as string[];
  assert.ok(alone.length > 50, `only ${alone.length} ops registered`);
  assert.equal(alone, full);
});

test("a shipped pack with fusec/runtime alone optimizes and runs a graph whose rules build new ops", () => {
  const out = runScript(`
    import { GraphBuilder, optimize, prepare, f32, toNumbers } from "fusec/runtime";
    import { pass } from "./generated/onnx.ts";
    function graph() {
      const b = new GraphBuilder();
      const x = b.input("x", "float32", [1, 2, 3, 3]);
      const w = b.constant(f32([2, 2, 1, 1], [1, 2, 3, 4]));
      const c = b.op("Conv", [x, w], { kernel_shape: { type: "ints", value: [1, 1] } });
      const m = b.op("Mul", [c, b.constant(f32([1, 2, 1, 1], [0.5, -2]))]);
      const y = b.op("Add", [m, b.constant(f32([1, 2, 1, 1], [1, 1]))]);
      return b.output(y).graph;
    }
    const x = f32([1, 2, 3, 3], Array.from({ length: 18 }, (_, i) => i / 7 - 1));
    const before = prepare(graph()).run({ x });
    const g = graph();
    const stats = optimize(g, { passes: pass });
    const session = prepare(g);
    const after = session.run({ x });
    console.log(JSON.stringify({ ops: [...g.nodes].map((n) => n.op), firings: stats.firings,
      before: toNumbers(before[session.outputNames[0]]), after: toNumbers(after[session.outputNames[0]]) }));
  `);
  const r = JSON.parse(out) as { ops: string[]; before: number[]; after: number[] };
  assert.equal(r.ops, ["Conv"]);
  assert.equal(r.after.length, 18);
  r.after.forEach((v, i) => assert.ok(Math.abs(v - r.before[i]!) < 1e-5, `element ${i}: ${v} vs ${r.before[i]}`));
});

test.run();
