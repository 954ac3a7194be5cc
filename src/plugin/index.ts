/**
 * fusec's bundler plugin (`fusec/plugin`, built on unplugin): `import { pass } from "./x.rules"`
 * compiles the rules file during the build, into the same module `fusec compile` writes (as
 * JavaScript). Diagnostics become build errors at their `file:line:col`; warnings are reported
 * as warnings. Every file the rules import is watched, so dev servers rebuild on edits.
 *
 *     import { fusec } from "fusec/plugin";
 *     esbuild.build({ plugins: [fusec.esbuild()] });   // or plugins: [fusec.vite()] in Vite
 *
 * TypeScript projects declare `.rules` modules with `/// <reference types="fusec/rules" />`.
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { createUnplugin, type UnpluginInstance } from "unplugin";
import type { Diagnostic } from "../compiler/diagnostics.js";

export interface FusecPluginOptions {
  /** Module the compiled passes import the runtime from (default `fusec/runtime`). */
  runtimeImport?: string;
}

/** A rules file that does not compile; the message lists each error at `file:line:col`. */
export class RulesBuildError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map((d) => `${d.span.file}:${d.span.start.line}:${d.span.start.column}: ${d.severity}: ${d.message}`).join("\n"));
    this.name = "RulesBuildError";
  }
}

export const fusec: UnpluginInstance<FusecPluginOptions | undefined, false> = createUnplugin((options: FusecPluginOptions | undefined) => ({
  name: "fusec",
  enforce: "pre",
  loadInclude: (id) => /\.rules$/.test(id),
  async load(id) {
    const [{ compile }, { hasErrors }, { toJavaScript }] = await Promise.all([
      import("../compiler/compile.js"),
      import("../compiler/diagnostics.js"),
      import("../node/transpile.js"),
    ]);
    const result = await compile([{ path: id, source: readFileSync(id, "utf8") }], {
      outDir: dirname(id),
      runtimeImport: options?.runtimeImport ?? "fusec/runtime",
    });
    for (const file of result.files) if (file !== id) this.addWatchFile(file);
    if (hasErrors(result.diagnostics)) throw new RulesBuildError(result.diagnostics.filter((d) => d.severity === "error"));
    for (const d of result.diagnostics) this.warn(`${d.span.file}:${d.span.start.line}:${d.span.start.column}: ${d.message}`);
    const module = result.modules[0];
    if (!module) throw new Error(`${id}: compiling produced no module`);
    return { code: (await toJavaScript(module.fileName, module.code)).code };
  },
}));

export default fusec;
