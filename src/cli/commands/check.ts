/**
 * `fusec check <rules…>`: runs every phase of `fusec compile` but code generation on each
 * pack and prints the diagnostics; exit 1 on errors, 0 when there are only warnings. Generates nothing.
 */
import type { Command } from "commander";
import { check, type CheckResult } from "../../compiler/compile.js";
import { hasErrors } from "../../compiler/diagnostics.js";
import { renderDiagnostics, sourcesOf } from "../../compiler/render.js";

export function register(program: Command): void {
  program
    .command("check")
    .description("check rules files and print their diagnostics")
    .argument("<rules...>", "rules files to check")
    .action((rules: string[]) => {
      let analysis: CheckResult;
      try {
        analysis = check(rules);
      } catch (e) {
        process.stderr.write(`fusec: internal error while checking: ${e instanceof Error ? e.message : String(e)}\n`);
        if (process.env.FUSEC_DEBUG) console.error(e);
        process.exitCode = 1;
        return;
      }
      const { diagnostics, sources } = analysis;
      if (diagnostics.length > 0) {
        process.stderr.write(renderDiagnostics(diagnostics, sourcesOf(sources), { color: process.stderr.isTTY }) + "\n");
      }
      const errors = diagnostics.filter((d) => d.severity === "error").length;
      const warnings = diagnostics.filter((d) => d.severity === "warning").length;
      process.stderr.write(`${rules.length} file${rules.length === 1 ? "" : "s"} checked: ${errors} error(s), ${warnings} warning(s)\n`);
      process.exitCode = hasErrors(diagnostics) ? 1 : 0;
    });
}
