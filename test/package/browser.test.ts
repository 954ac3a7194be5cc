/**
 * A browser bundle of the installed runtime, ONNX decoding, the shipped pack and a user's pass:
 * esbuild (platform browser) bundles it with no Node built-in and no stubs, and headless
 * Chromium runs the PP-OCR classifier with it, with the outputs Node computes.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { build } from "esbuild";
import { withChromium } from "../helpers/chromium.js";
import { CLASSIFY, CLS_MODEL, USER_RULES, installed } from "./installed.js";

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

async function bundle(): Promise<string> {
  const app = installed();
  app.write("rules/fusions.rules", USER_RULES);
  app.run("npx", ["fusec", "compile", "rules/fusions.rules", "-o", "passes", "--js"]);
  app.write("classify.mjs", CLASSIFY("./passes/fusions.mjs"));
  app.write("page.mjs", `import { classify } from "./classify.mjs";\nglobalThis.classify = classify;\n`);
  const result = await build({
    absWorkingDir: app.project,
    entryPoints: ["page.mjs"],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    metafile: true,
    logLevel: "silent",
  });
  const imported = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
  assert.equal(imported.filter((p) => BUILTINS.has(p)), [], "Node built-ins in the bundle");
  return result.outputFiles[0]!.text;
}

test("the bundle has no Node built-in and runs the classifier in Chromium with Node's outputs", async () => {
  const code = await bundle();
  const app = installed();
  app.write("node-run.mjs", `import { readFileSync } from "node:fs";\nimport { classify } from "./classify.mjs";\nconst r = classify(readFileSync(${JSON.stringify(CLS_MODEL)}));\nconsole.log(JSON.stringify({ before: r.before, after: r.after, nodesAfter: r.nodesAfter }));\n`);
  const node = JSON.parse(app.run("node", ["node-run.mjs"]).stdout) as { before: number[]; after: number[]; nodesAfter: number };
  const model = readFileSync(CLS_MODEL).toString("base64");
  const browser = await withChromium(async (chromium) => {
    const page = await chromium.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.setContent("<!doctype html><title>fusec</title>");
    await page.addScriptTag({ content: code, type: "module" });
    await page.waitForFunction("typeof globalThis.classify === 'function'", { timeout: 60_000 });
    const r = await page.evaluate((b64: string) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const out = (globalThis as unknown as { classify(b: Uint8Array): { before: number[]; after: number[]; nodesAfter: number } }).classify(bytes);
      return { before: out.before, after: out.after, nodesAfter: out.nodesAfter, agent: (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent };
    }, model);
    assert.equal(errors, []);
    return r;
  });
  assert.match(browser.agent, /HeadlessChrome|Chrome/);
  assert.is(browser.nodesAfter, node.nodesAfter);
  assert.equal(browser.after.length, 2);
  browser.after.forEach((v, i) => assert.ok(Math.abs(v - node.after[i]!) <= 1e-6, `output ${i}: ${v} in Chromium, ${node.after[i]} in Node`));
  browser.before.forEach((v, i) => assert.ok(Math.abs(v - node.before[i]!) <= 1e-6));
});

test.run();
