/**
 * The bundler plugin (`fusec/plugin`) as installed: a `.rules` import compiles during an esbuild
 * build and a Vite build; a broken rule fails the build with its file:line:col.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build as esbuild } from "esbuild";
import { build as viteBuild } from "vite";
import { USER_RULES, installed } from "./installed.js";

type Plugin = typeof import("../../src/plugin/index.js");

async function plugin(): Promise<Plugin["fusec"]> {
  const app = installed();
  const mod = (await import(pathToFileURL(join(app.project, "node_modules/fusec/dist/src/plugin/index.js")).href)) as Plugin;
  return mod.fusec;
}

const ENTRY = `import { pass, rules } from "./rules/fusions.rules";\nconsole.log(JSON.stringify({ name: pass.name, rules: rules.map((r) => r.name) }));\n`;
const BROKEN = `import "fusec/dialects/onnx"\n\nrule Broken:\n  Relu(Frobnicate(x))\n  => x\n`;

test("esbuild compiles a .rules import with the plugin, and the bundle runs", async () => {
  const app = installed();
  app.write("rules/fusions.rules", USER_RULES);
  app.write("main.mjs", ENTRY);
  const fusec = await plugin();
  await esbuild({ absWorkingDir: app.project, entryPoints: ["main.mjs"], bundle: true, platform: "node", format: "esm", outfile: "out/esbuild.mjs", plugins: [fusec.esbuild()], logLevel: "silent" });
  const r = JSON.parse(app.run("node", ["out/esbuild.mjs"]).stdout) as { name: string; rules: string[] };
  assert.equal(r, { name: "fusions", rules: ["PaddleHardSwish"] });
});

test("Vite compiles a .rules import with the plugin, and the bundle runs", async () => {
  const app = installed();
  app.write("rules/fusions.rules", USER_RULES);
  app.write("main.mjs", ENTRY);
  const fusec = await plugin();
  await viteBuild({
    root: app.project,
    configFile: false,
    logLevel: "silent",
    plugins: [fusec.vite()],
    build: { ssr: "main.mjs", outDir: "out/vite", emptyOutDir: true, rollupOptions: { output: { entryFileNames: "main.mjs" } } },
    ssr: { noExternal: true },
  });
  const r = JSON.parse(app.run("node", ["out/vite/main.mjs"]).stdout) as { name: string; rules: string[] };
  assert.equal(r, { name: "fusions", rules: ["PaddleHardSwish"] });
});

test("a broken rule fails the esbuild and the Vite build with its file:line:col", async () => {
  const app = installed();
  app.write("rules/broken.rules", BROKEN);
  app.write("broken.mjs", `import { pass } from "./rules/broken.rules";\nconsole.log(pass.name);\n`);
  const fusec = await plugin();
  const where = /broken\.rules:4:\d+: error: .*Frobnicate/;
  let esbuildError = "";
  try {
    await esbuild({ absWorkingDir: app.project, entryPoints: ["broken.mjs"], bundle: true, platform: "node", format: "esm", write: false, plugins: [fusec.esbuild()], logLevel: "silent" });
  } catch (e) {
    esbuildError = String((e as Error).message);
  }
  assert.match(esbuildError, where);
  let viteError = "";
  try {
    await viteBuild({ root: app.project, configFile: false, logLevel: "silent", plugins: [fusec.vite()], build: { ssr: "broken.mjs", write: false }, ssr: { noExternal: true } });
  } catch (e) {
    viteError = String((e as Error).message);
  }
  assert.match(viteError, where);
});

test.run();
