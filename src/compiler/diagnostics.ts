/**
 * Diagnostics are values: every phase returns them; only the CLI renders them (render.ts) and
 * turns them into an exit code.
 */
import type { Span } from "./ast.js";

export type Severity = "error" | "warning" | "note";

export interface Related {
  message: string;
  span: Span;
}

export interface Diagnostic {
  severity: Severity;
  /** Stable identifier of the check or phase, e.g. "unknown-op", "syntax". */
  code: string;
  message: string;
  span: Span;
  related: Related[];
}

export function error(code: string, message: string, span: Span, related: Related[] = []): Diagnostic {
  return { severity: "error", code, message, span, related };
}

export function warning(code: string, message: string, span: Span, related: Related[] = []): Diagnostic {
  return { severity: "warning", code, message, span, related };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Source order (file, then offset) so that output is deterministic. */
export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return diags.sort(
    (a, b) => a.span.file.localeCompare(b.span.file) || a.span.start.offset - b.span.start.offset || a.code.localeCompare(b.code),
  );
}
