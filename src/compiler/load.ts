/**
 * Loads rules files and, transitively, the files they import (paths relative to the importing
 * file, or package exports such as `fusec/dialects/onnx`, resolved from the importing file). Each file is parsed once; missing files and import cycles become diagnostics at the
 * `import` that caused them. Files come back in dependency order: imports before importers.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import * as nodePath from "node:path";
import type { RulesFile, Span } from "./ast.js";
import { error, type Diagnostic } from "./diagnostics.js";
import { parseRules } from "./parse.js";

/** A file to analyze: a path to read, or a path with its text already in hand. */
/** Largest rules file read (a pack of thousands of rules is well under 1 MB). */
export const MAX_RULES_FILE_BYTES = 16 * 1024 * 1024;

export type SourceInput = string | { path: string; source: string };

export interface LoadResult {
  /** Every loaded file, imports before the files importing them. */
  files: RulesFile[];
  /** The files named by the inputs, in input order. */
  roots: RulesFile[];
  diagnostics: Diagnostic[];
}

/**
 * `open`: texts to use instead of reading files (an editor's unsaved buffers), by absolute path;
 * unlike inputs given with their text, they are checked like files on disk.
 */
export function loadRules(inputs: readonly SourceInput[], open: ReadonlyMap<string, string> = new Map()): LoadResult {
  const given = new Map<string, string>();
  for (const input of inputs) if (typeof input !== "string") given.set(nodePath.resolve(input.path), input.source);
  const loader = new Loader(given, open);
  const roots: RulesFile[] = [];
  for (const input of inputs) {
    const path = typeof input === "string" ? input : input.path;
    const file = loader.load(path, undefined);
    if (file) roots.push(file);
  }
  return { files: loader.files, roots, diagnostics: loader.diagnostics };
}

class Loader {
  readonly files: RulesFile[] = [];
  readonly diagnostics: Diagnostic[] = [];
  private readonly loaded = new Map<string, RulesFile>();
  /** Absolute paths of the files being loaded, outermost first (to detect cycles). */
  private readonly stack: { key: string; path: string }[] = [];

  constructor(
    private readonly given: Map<string, string>,
    private readonly open: ReadonlyMap<string, string>,
  ) {}

  /** Loads `path` (and its imports); `importSpan` is the import that asked for it, if any. */
  load(path: string, importSpan: Span | undefined): RulesFile | undefined {
    const key = nodePath.resolve(path);
    const cycleStart = this.stack.findIndex((entry) => entry.key === key);
    if (cycleStart >= 0 && importSpan) {
      const chain = [...this.stack.slice(cycleStart).map((entry) => entry.path), path].join(" → ");
      this.diagnostics.push(error("import-cycle", `import cycle: ${chain}`, importSpan));
      return undefined;
    }
    const known = this.loaded.get(key);
    if (known) return known;
    const source = this.read(key);
    if (source === undefined) {
      const span = importSpan ?? { file: path, start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };
      const directory = isDirectory(key);
      const message = directory
        ? `'${path}' is a directory; name the .rules files to ${importSpan ? "import" : "read"}`
        : notRegular(key)
          ? `'${path}' is not a regular file of at most ${MAX_RULES_FILE_BYTES} bytes`
          : importSpan
          ? `cannot find imported file '${path}'`
          : `cannot read rules file '${path}'`;
      this.diagnostics.push(error(importSpan ? "import-not-found" : "file-not-found", message, span));
      return undefined;
    }
    // A UTF-8 byte order mark is not text: columns on the first line count from after it.
    const { file, diagnostics } = parseRules(path, source.replace(/^\uFEFF/, ""));
    this.loaded.set(key, file);
    this.diagnostics.push(...diagnostics);
    if (!this.given.has(key)) this.diagnostics.push(...missingExternModules(file));
    this.stack.push({ key, path });
    for (const imported of file.imports) {
      this.load(resolveImport(path, imported.path), imported.span);
    }
    this.stack.pop();
    this.files.push(file);
    return file;
  }

  private read(key: string): string | undefined {
    const given = this.given.get(key) ?? this.open.get(key);
    if (given !== undefined) return given;
    try {
      // Only a regular file of sane size: an import of /dev/zero or a FIFO must not hang.
      const stat = statSync(key);
      if (!stat.isFile() || stat.size > MAX_RULES_FILE_BYTES) return undefined;
      return readFileSync(key, "utf8");
    } catch {
      return undefined;
    }
  }
}

/** Extern predicates whose module does not exist next to the rules file declaring them. */
function missingExternModules(file: RulesFile): Diagnostic[] {
  return file.externs
    .filter((e) => !existsSync(nodePath.resolve(nodePath.dirname(file.path), e.from)))
    .map((e) => error("extern-not-found", `cannot find '${e.from}', the module of extern predicate '${e.name}' (relative to this rules file)`, e.span));
}

function notRegular(path: string): boolean {
  try {
    const stat = statSync(path);
    return !stat.isFile() || stat.size > MAX_RULES_FILE_BYTES;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where an import points: relative to the importing file when that file exists (or the path
 * starts with `.` or `/`); otherwise a package export resolved from the importing file's folder,
 * as Node resolves it (`import "fusec/dialects/onnx"` finds the installed fusec's dialect).
 */
function resolveImport(importer: string, target: string): string {
  const relative = joinRelative(importer, target);
  if (/^\.{0,2}\//.test(target) || nodePath.isAbsolute(target) || existsSync(relative)) return relative;
  try {
    return createRequire(nodePath.resolve(importer)).resolve(target);
  } catch {
    return relative;
  }
}

/** `target` relative to the directory of `importer`, kept relative when `importer` is. */
function joinRelative(importer: string, target: string): string {
  if (nodePath.isAbsolute(target)) return target;
  return nodePath.normalize(nodePath.join(nodePath.dirname(importer), target));
}
