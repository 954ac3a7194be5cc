/**
 * The language server's view of `.rules` files: the open documents (unsaved text wins over the
 * file on disk, for the document and for everything it imports) and, per document, the last
 * analysis — the diagnostics `fusec check` would print (the same `check()`) and the resolved
 * program that hover, definition and completion read.
 */
import * as nodePath from "node:path";
import type { RulesFile } from "../compiler/ast.js";
import { check } from "../compiler/compile.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import type { Program } from "../compiler/program.js";

export interface Analysis {
  /** Absolute path of the analyzed document. */
  path: string;
  /** Text it was analyzed from. */
  text: string;
  diagnostics: Diagnostic[];
  program: Program;
  /** The document's own parsed file (undefined when it could not be read). */
  file: RulesFile | undefined;
}

export class Workspace {
  /** Open documents by absolute path: their unsaved text. */
  private readonly open = new Map<string, string>();
  private readonly analyses = new Map<string, Analysis>();

  setText(path: string, text: string): void {
    this.open.set(nodePath.resolve(path), text);
    // An edit can change the diagnostics of every document importing this one.
    this.analyses.clear();
  }

  close(path: string): void {
    this.open.delete(nodePath.resolve(path));
    this.analyses.clear();
  }

  openPaths(): string[] {
    return [...this.open.keys()];
  }

  /** The analysis of `path` with the current texts (cached until the next edit). */
  analysis(path: string): Analysis {
    const key = nodePath.resolve(path);
    const cached = this.analyses.get(key);
    if (cached) return cached;
    const text = this.open.get(key);
    const options = { open: this.open, cwd: nodePath.dirname(key) };
    const { diagnostics, programs } = check([key], options);
    const program = programs[0]!;
    const result: Analysis = { path: key, text: text ?? program.roots[0]?.source ?? "", diagnostics, program, file: program.roots[0] };
    this.analyses.set(key, result);
    return result;
  }
}
