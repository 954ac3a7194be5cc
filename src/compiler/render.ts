/**
 * Renders diagnostics as text: `file:line:col: error[code]: message`, then a code frame (the line,
 * a caret underline of the span), then each related location as a note with its own frame.
 * Colours (picocolors) are optional, for terminals.
 */
import pc from "picocolors";
import type { RulesFile, Span } from "./ast.js";
import type { Diagnostic, Severity } from "./diagnostics.js";
import { splitLines } from "./lines.js";

export interface RenderOptions {
  color?: boolean;
}

/** The source text of a file path, for code frames (undefined: no frame). */
export type SourceLookup = (file: string) => string | undefined;

/** A lookup over loaded files (e.g. `analyze(…).program.files`). */
export function sourcesOf(files: readonly RulesFile[]): SourceLookup {
  const byPath = new Map(files.map((f) => [f.path, f.source]));
  return (file) => byPath.get(file);
}

export function renderDiagnostic(diagnostic: Diagnostic, sourceOf: SourceLookup, options: RenderOptions = {}): string {
  const colors = pc.createColors(options.color ?? false);
  const paint: Record<Severity, (s: string) => string> = { error: colors.red, warning: colors.yellow, note: colors.cyan };
  const header = (severity: Severity, code: string | undefined, message: string, span: Span) => {
    const label = code ? `${severity}[${code}]` : severity;
    return `${colors.bold(location(span))}: ${colors.bold(paint[severity](label))}: ${message}`;
  };
  const lines = [header(diagnostic.severity, diagnostic.code, diagnostic.message, diagnostic.span)];
  lines.push(...codeFrame(diagnostic.span, sourceOf(diagnostic.span.file), paint[diagnostic.severity], colors.dim));
  for (const related of diagnostic.related) {
    lines.push(header("note", undefined, related.message, related.span));
    lines.push(...codeFrame(related.span, sourceOf(related.span.file), paint.note, colors.dim));
  }
  return lines.join("\n");
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[], sourceOf: SourceLookup, options: RenderOptions = {}): string {
  return diagnostics.map((d) => renderDiagnostic(d, sourceOf, options)).join("\n\n");
}

function location(span: Span): string {
  return `${span.file}:${span.start.line}:${span.start.column}`;
}

/** The span's first line with a gutter, and carets under the spanned part of it. */
function codeFrame(span: Span, source: string | undefined, mark: (s: string) => string, dim: (s: string) => string): string[] {
  if (source === undefined) return [];
  const lineText = splitLines(source)[span.start.line - 1];
  if (lineText === undefined) return [];
  const gutter = String(span.start.line);
  const pad = " ".repeat(gutter.length);
  const startColumn = span.start.column;
  const endColumn = span.end.line === span.start.line ? span.end.column : lineText.length + 1;
  const width = Math.max(1, endColumn - startColumn);
  // Tabs in the prefix stay tabs so the carets line up under the text.
  const prefix = lineText.slice(0, startColumn - 1).replace(/[^\t]/g, " ");
  return [`${dim(`${gutter} |`)} ${lineText}`, `${dim(`${pad} |`)} ${prefix}${mark("^".repeat(width))}`];
}
