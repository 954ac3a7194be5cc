/**
 * A strict TypeScript consumer typechecks against the shipped declarations alone (no fusec
 * sources in the package), under node16 and bundler module resolution, including a pass the
 * installed CLI compiled to TypeScript and a `.rules` import typed by `fusec/rules`. Library
 * declarations are checked too (skipLibCheck off), except for the plugin's: unplugin's own
 * declarations import every bundler's types, so a plugin user's project checks with
 * skipLibCheck, as Vite's and esbuild's templates do.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { REPO, USER_RULES, installed } from "./installed.js";

const CONSUMER = `
/// <reference types="fusec/rules" />
import { loadGraph, loadPass, saveGraph, ModelFileError } from "fusec";
import { GraphBuilder, optimize, prepare, f32, type Session, type Tensor } from "fusec/runtime";
import { decodeOnnx, encodeOnnx } from "fusec/onnx";
import { compile } from "fusec/compiler";
import { pass as onnxPack } from "fusec/packs/onnx";
import { pass as tflitePack } from "fusec/packs/tflite";
import { pass as userPass } from "./ts-passes/fusions.js";
import { pass as bundled } from "./rules/fusions.rules";

export async function main(path: string): Promise<number> {
  const graph = loadGraph(path);
  optimize(graph, { passes: [userPass, onnxPack, tflitePack, bundled, await loadPass("onnx")] });
  const session: Session = prepare(graph, { validate: false });
  const feeds: Record<string, Tensor> = {};
  for (const name of session.inputNames) feeds[name] = f32([1], [0]);
  const outputs = session.run(feeds);
  const first: Tensor | undefined = outputs[session.outputNames[0] ?? ""];
  saveGraph(decodeOnnx(encodeOnnx(graph)), "out.onnx");
  const b = new GraphBuilder();
  b.output(b.op("Relu", [b.input("x", "float32", [2])]));
  const result = await compile(["x.rules"], { outDir: "out" });
  if (!(first instanceof Object)) throw new ModelFileError(path, "no output");
  return result.modules.length;
}
`;

const PLUGIN_CONSUMER = `
import { fusec, type FusecPluginOptions } from "fusec/plugin";
const options: FusecPluginOptions = { runtimeImport: "fusec/runtime" };
export const plugins = [fusec.esbuild(options), fusec.vite(), fusec.rollup()];
`;

/** Typechecks a consumer in `ts-app/`, an ES module package inside the test project. */
function typecheck(resolution: "node16" | "bundler", plugin = false): string {
  const app = installed();
  app.write("ts-app/package.json", `${JSON.stringify({ name: "ts-app", private: true, type: "module" })}\n`);
  app.write("ts-app/rules/fusions.rules", USER_RULES);
  app.run("npx", ["fusec", "compile", "ts-app/rules/fusions.rules", "-o", "ts-app/ts-passes"]);
  const consumer = `${plugin ? "plugin-" : ""}consumer.ts`;
  app.write(`ts-app/${consumer}`, plugin ? PLUGIN_CONSUMER : CONSUMER);
  const config = {
    compilerOptions: {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      noPropertyAccessFromIndexSignature: true,
      module: resolution === "node16" ? "node16" : "esnext",
      moduleResolution: resolution,
      target: "es2022",
      // DOM for URLSearchParams in the declarations of unplugin's dependencies.
      lib: ["es2023", "dom"],
      types: [],
      noEmit: true,
      skipLibCheck: plugin,
    },
    files: [consumer, "ts-passes/fusions.ts"],
  };
  const configFile = `tsconfig.${plugin ? "plugin." : ""}${resolution}.json`;
  app.write(`ts-app/${configFile}`, JSON.stringify(config, null, 2));
  const r = app.run(join(REPO, "node_modules/.bin/tsc"), ["-p", `ts-app/${configFile}`], { check: false });
  return `${r.stdout}${r.stderr}`.trim();
}

test("a strict consumer typechecks against the shipped declarations with node16 resolution", () => {
  assert.is(typecheck("node16"), "");
});

test("a strict consumer typechecks against the shipped declarations with bundler resolution", () => {
  assert.is(typecheck("bundler"), "");
});

test("a strict consumer of the bundler plugin typechecks (node16 and bundler resolution)", () => {
  assert.is(typecheck("node16", true), "");
  assert.is(typecheck("bundler", true), "");
});

test.run();
