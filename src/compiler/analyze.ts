/**
 * The front end's entry point: load the rules files and their imports, parse them, expand rule
 * families and named patterns, resolve the program, run the semantic checks — in that order. Semantic checks run only when every file
 * parsed cleanly, so that a syntax error is not echoed by follow-on errors.
 */
import { runChecks } from "./checks/index.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { expand } from "./expand.js";
import { loadRules, type SourceInput } from "./load.js";
import { buildProgram, type Program } from "./program.js";

export type { SourceInput } from "./load.js";

/** Errors after which semantic checks would mostly echo them (half-parsed rules, missing ops). */
const stopsChecks = new Set(["syntax", "import-not-found", "import-cycle", "file-not-found"]);

export interface AnalysisResult {
  program: Program;
  /** Every diagnostic, in source order; the program is usable for codegen only without errors. */
  diagnostics: Diagnostic[];
}

/** `open`: unsaved editor buffers by absolute path, read instead of the files (see `loadRules`). */
export function analyze(inputs: readonly SourceInput[], open?: ReadonlyMap<string, string>): AnalysisResult {
  const loaded = loadRules(inputs, open);
  const expanded = expand(loaded.files);
  const program = buildProgram(loaded.files, loaded.roots);
  const found = [...loaded.diagnostics, ...expanded];
  const syntaxFailed = hasErrors(found.filter((d) => stopsChecks.has(d.code)));
  const diagnostics = syntaxFailed ? found : [...found, ...runChecks(program)];
  return { program, diagnostics: sortDiagnostics(diagnostics) };
}
