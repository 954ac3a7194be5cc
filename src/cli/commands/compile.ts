/**
 * `fusec compile <rules…> -o <dir> [--watch] [--js]`: compiles each rules file (a pack) into
 * `<dir>/<pack>.ts` (with `--js`: `<pack>.mjs` and `<pack>.d.mts`), prints diagnostics to stderr and exits 1 on errors. With `--watch` it
 * stays running and recompiles whenever an input or a file it imports changes.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as nodePath from "node:path";
import type { Command } from "commander";
import type { CompileResult } from "../../compiler/compile.js";
import { hasErrors } from "../../compiler/diagnostics.js";
import { renderDiagnostics, type SourceLookup } from "../../compiler/render.js";

interface CompileFlags {
  out: string;
  watch?: boolean;
  js?: boolean;
}

export function register(program: Command): void {
  program
    .command("compile")
    .description("compile rule packs into TypeScript rewrite passes (one <pack>.ts per rules file)")
    .argument("<rules...>", "rules files, one pack each")
    .requiredOption("-o, --out <dir>", "directory to write the generated modules to")
    .option("-w, --watch", "recompile when an input or an imported file changes")
    .option("--js", "write JavaScript (<pack>.mjs, an ES module) and declarations (<pack>.d.mts) instead of TypeScript")
    .action(async (rules: string[], flags: CompileFlags) => {
      const ok = await compileOnce(rules, flags.out, flags.js);
      if (flags.watch) await watchAndRecompile(rules, flags.out, ok.files, flags.js);
      else process.exitCode = ok.failed ? 1 : 0;
    });
}

/** One compilation: diagnostics to stderr, modules written only when there are no errors. */
async function compileOnce(rules: string[], outDir: string, js = false): Promise<{ failed: boolean; files: string[] }> {
  let result: CompileResult;
  let files: { fileName: string; code: string }[];
  try {
    const { compile } = await import("../../compiler/compile.js");
    result = await compile(rules, { outDir });
    files = js ? await javaScriptFiles(result) : result.modules;
  } catch (e) {
    process.stderr.write(`fusec: internal error while compiling: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.FUSEC_DEBUG) console.error(e);
    return { failed: true, files: rules.map((r) => nodePath.resolve(r)) };
  }
  if (result.diagnostics.length > 0) {
    process.stderr.write(renderDiagnostics(result.diagnostics, readSource, { color: process.stderr.isTTY }) + "\n");
  }
  if (hasErrors(result.diagnostics)) return { failed: true, files: [...result.files, ...rules.map((r) => nodePath.resolve(r))] };
  mkdirSync(outDir, { recursive: true });
  for (const module of files) {
    const path = nodePath.join(outDir, module.fileName);
    // Rewrite only what changed, so that watchers downstream see real changes only.
    if (readIfExists(path) !== module.code) writeFileSync(path, module.code);
    process.stdout.write(`${path}\n`);
  }
  return { failed: false, files: result.files };
}

/** Each generated module as `.mjs` and `.d.mts`. */
async function javaScriptFiles(result: CompileResult): Promise<{ fileName: string; code: string }[]> {
  const { toJavaScript } = await import("../../node/transpile.js");
  const files: { fileName: string; code: string }[] = [];
  for (const module of result.modules) {
    const js = await toJavaScript(module.fileName, module.code);
    files.push({ fileName: js.fileName, code: js.code }, { fileName: js.declarationFileName, code: js.declarations });
  }
  return files;
}

/** Recompiles on every change of a watched file; the set follows the imports of the last run. */
async function watchAndRecompile(rules: string[], outDir: string, initial: string[], js = false): Promise<void> {
  const { watch } = await import("chokidar");
  let watched = new Set(initial);
  const watcher = watch([...watched], { ignoreInitial: true });
  let pending: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const rerun = (): void => {
    running = running.then(async () => {
      process.stderr.write(`fusec: recompiling…\n`);
      const { files } = await compileOnce(rules, outDir, js);
      const next = new Set([...files, ...rules.map((r) => nodePath.resolve(r))]);
      watcher.unwatch([...watched].filter((f) => !next.has(f)));
      watcher.add([...next].filter((f) => !watched.has(f)));
      watched = next;
    });
  };
  watcher.on("all", () => {
    clearTimeout(pending);
    pending = setTimeout(rerun, 50);
  });
  await new Promise<void>((resolve) => watcher.on("ready", () => resolve()));
  process.stderr.write(`fusec: watching ${watched.size} file${watched.size === 1 ? "" : "s"} (Ctrl-C to stop)\n`);
}

/** Diagnostics point into files on disk (the inputs and their imports). */
const readSource: SourceLookup = (file) => readIfExists(file);

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
