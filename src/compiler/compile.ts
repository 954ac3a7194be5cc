/**
 * The compiler pipeline (`fusec/compiler`): rules files → one TypeScript pass module per pack.
 * It reads as the list of phases, per pack (each input file): load + parse + resolve + check
 * (analyze), lower to match programs — that much is `check()` — then, when nothing failed,
 * generate and format the modules. Errors are returned as diagnostics; nothing here prints or
 * exits. Code generation (ts-morph, prettier) is loaded only when a module is generated.
 */
import * as nodePath from "node:path";
import type { RulesFile, Span } from "./ast.js";
import { analyze, type SourceInput } from "./analyze.js";
import { error, hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import type { AttrDecl, Literal, OpDecl } from "./ast.js";
import { lower, LoweringBug, type ExternImport, type LowerInput, type OpImplImport, type PassProgram } from "./lower.js";
import type { Program } from "./program.js";

export type { SourceInput } from "./analyze.js";

export interface CompileOptions {
  /** Directory the modules will be written to; extern predicate imports are relative to it. Default `generated`. */
  outDir?: string;
  /** Module specifier generated code imports the runtime from. Default `fusec/runtime`. */
  runtimeImport?: string;
  /** Rule locations in generated code are relative to this directory. Default: the working directory. */
  cwd?: string;
  /** Unsaved editor buffers by absolute path, read instead of the files (the language server's). */
  open?: ReadonlyMap<string, string>;
}

export interface GeneratedModule {
  /** The pack's name: its file name without `.rules` (`rules/onnx.rules` → `onnx`). */
  pack: string;
  /** `onnx.ts`, to be written into the output directory. */
  fileName: string;
  code: string;
}

export interface CompileResult {
  /** One per input file; empty when there are errors. */
  modules: GeneratedModule[];
  /** Every diagnostic, in source order. */
  diagnostics: Diagnostic[];
  /** Absolute paths of every file read (inputs and their imports), for watching. */
  files: string[];
}

/** Compiles each input rules file (a pack) into a module exporting its `Pass`. */
export async function compile(inputs: readonly SourceInput[], options: CompileOptions = {}): Promise<CompileResult> {
  const checked = check(inputs, options);
  const result: CompileResult = { modules: [], diagnostics: checked.diagnostics, files: checked.files };
  if (hasErrors(checked.diagnostics)) return result;
  const { generate } = await import("./codegen.js");
  for (const pass of checked.passes) {
    let code: string;
    try {
      code = await generate(pass, { runtimeImport: options.runtimeImport ?? "fusec/runtime" });
    } catch (e) {
      // Every text reaching generated code is escaped (escape.ts), so this is a compiler bug;
      // still, report it at the pack rather than as a stack trace.
      const root = checked.sources.find((f) => packName(f.path) === pass.pack);
      result.diagnostics.push(error("codegen", `internal error generating ${pass.pack}.ts: ${(e as Error).message.split("\n")[0]}`, fileStart(root?.path ?? pass.source)));
      result.modules = [];
      return result;
    }
    result.modules.push({ pack: pass.pack, fileName: `${pass.pack}.ts`, code });
  }
  return result;
}

export interface CheckResult {
  /** Every diagnostic of the front end (lowering reports none but an `internal` compiler bug), in source order. */
  diagnostics: Diagnostic[];
  /** Absolute paths of every file read (inputs and their imports). */
  files: string[];
  /** Every file read, parsed (for rendering diagnostics). */
  sources: RulesFile[];
  /** The lowered packs that analyzed without errors. */
  passes: PassProgram[];
  /** Each input's resolved program, errors or not (for editors: hover, definition). */
  programs: Program[];
}

/** Every phase but code generation: all the diagnostics `compile()` would report. */
export function check(inputs: readonly SourceInput[], options: CompileOptions = {}): CheckResult {
  const settings = { outDir: options.outDir ?? "generated", cwd: options.cwd ?? process.cwd() };
  const front = analyzePacks(inputs, options.open);
  const diagnostics = [...front.diagnostics];
  const passes: PassProgram[] = [];
  for (const { program, root } of front.packs) {
    // The checks refuse every rule lowering cannot lower; a rule that still fails is a compiler bug.
    try {
      passes.push(lower(packInput(program, root, settings)));
    } catch (e) {
      if (!(e instanceof LoweringBug)) throw e;
      diagnostics.push(error("internal", e.message, e.span));
    }
  }
  const files = front.files.map((f) => nodePath.resolve(f.path));
  return { diagnostics: sortDiagnostics(diagnostics), files, sources: front.files, passes, programs: front.programs };
}

export interface PacksAnalysis {
  /** The packs that analyzed without errors. */
  packs: { program: Program; root: RulesFile }[];
  /** Every diagnostic once (a file imported by several packs is reported once), in source order. */
  diagnostics: Diagnostic[];
  /** Every file read, once. */
  files: RulesFile[];
  /** Each input's resolved program, errors or not. */
  programs: Program[];
}

/** The front end, run per pack: each pack sees only the dialects and rules it imports. */
export function analyzePacks(inputs: readonly SourceInput[], open?: ReadonlyMap<string, string>): PacksAnalysis {
  const diagnostics: Diagnostic[] = [...duplicatePacks(inputs)];
  const files = new Map<string, RulesFile>();
  const packs: PacksAnalysis["packs"] = [];
  const programs: Program[] = [];
  for (const input of inputs) {
    const { program, diagnostics: found } = analyze([input], open);
    programs.push(program);
    for (const f of program.files) if (!files.has(nodePath.resolve(f.path))) files.set(nodePath.resolve(f.path), f);
    diagnostics.push(...found);
    const root = program.roots[0];
    if (root && !hasErrors(found)) packs.push({ program, root });
  }
  return { packs, diagnostics: sortDiagnostics(dedupe(diagnostics)), files: [...files.values()], programs };
}

/** The name of the pack compiled from `path`: its base name without `.rules`. */
export function packName(path: string): string {
  return nodePath.basename(path).replace(/\.rules$/, "");
}

// ── assembling a pack ────────────────────────────────────────────────────────────────────

/** What lowering needs for the pack rooted at `root`: its rules (its own and its imports', imports first), ops, externs. */
function packInput(program: Program, root: RulesFile, settings: { outDir: string; cwd: string }): LowerInput {
  const files = program.files;
  const sources = new Map(program.files.map((f) => [f.path, f.source]));
  const externs = new Map<string, ExternImport & { params: { type: string }[] }>();
  for (const file of files) {
    for (const e of file.externs) {
      if (externs.has(e.name)) continue;
      const target = nodePath.resolve(nodePath.dirname(file.path), e.from);
      externs.set(e.name, { name: e.name, specifier: importSpecifier(settings.outDir, target), params: e.params });
    }
  }
  const opImpls = program.ops
    .all()
    .filter((op): op is OpDecl & { impl: NonNullable<OpDecl["impl"]> } => op.impl !== undefined)
    .map((op): OpImplImport => ({
      op: op.name,
      domain: op.domain,
      specifier: importSpecifier(settings.outDir, nodePath.resolve(nodePath.dirname(op.span.file), op.impl.path)),
      defaults: Object.fromEntries(op.attrs.flatMap((a) => (a.default ? [[a.name, runtimeAttr(a, a.default)]] : [])).filter(([, v]) => v !== undefined)),
    }));
  return {
    pack: packName(root.path),
    source: displayPath(root.path, settings.cwd),
    rules: files.flatMap((f) => f.rules),
    resolveOp: (ref) => program.ops.resolve(ref),
    scope: (rule) => program.scopes.get(rule)!,
    externs,
    opImpls,
    location: (span) => `${displayPath(span.file, settings.cwd)}:${span.start.line}:${span.start.column}`,
    text: (span) => (sources.get(span.file) ?? "").slice(span.start.offset, span.end.offset),
  };
}

/** A declared default in the runtime's attribute form (`{ type: "float", value: 1.702 }`); tensors have none. */
function runtimeAttr(decl: AttrDecl, literal: Literal): OpImplImport["defaults"][string] | undefined {
  const plain = (l: Literal): number | string | (number | string)[] => (l.kind === "List" ? l.items.map((i) => plain(i) as number | string) : l.kind === "Bool" ? Number(l.value) : l.value);
  const value = plain(literal);
  const type = decl.type.kind === "enum" ? "string" : decl.type.kind;
  return type === "tensor" ? undefined : { type, value: value as number | string | number[] | string[] };
}

function duplicatePacks(inputs: readonly SourceInput[]): Diagnostic[] {
  const seen = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  for (const input of inputs) {
    const path = typeof input === "string" ? input : input.path;
    const pack = packName(path);
    const first = seen.get(pack);
    if (first !== undefined && nodePath.resolve(first) !== nodePath.resolve(path)) {
      diagnostics.push(
        error("duplicate-pack", `two packs would both be written to ${pack}.ts`, fileStart(path), [
          { message: `the other pack named ${pack}`, span: fileStart(first) },
        ]),
      );
    }
    seen.set(pack, path);
  }
  return diagnostics;
}

/** A file imported by several packs is analyzed once per pack: report its findings once. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${nodePath.resolve(d.span.file)}:${d.span.start.offset}:${d.code}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function fileStart(file: string): Span {
  const start = { offset: 0, line: 1, column: 1 };
  return { file, start, end: start };
}

/** `path` relative to `cwd` with forward slashes, for stable output on every platform. */
function displayPath(path: string, cwd: string): string {
  return toPosix(nodePath.relative(cwd, nodePath.resolve(path)));
}

/** An import specifier for `target` from a module in `outDir`. */
function importSpecifier(outDir: string, target: string): string {
  const relative = toPosix(nodePath.relative(nodePath.resolve(outDir), target));
  return relative.startsWith("../") ? relative : `./${relative}`;
}

function toPosix(path: string): string {
  return path.split(nodePath.sep).join("/");
}
