/**
 * How the model commands (optimize, run, inspect) end on failure: one line on stderr and an exit
 * code — 2 for a model file that cannot be read or written, 1 for usage and rule errors — and
 * never a stack trace (set FUSEC_DEBUG=1 to see one).
 */
import { ModelFileError } from "../onnx/meta.js";

/** A mistake in the command line itself (a malformed option value). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Runs a command's action, turning any failure into a one-line message and an exit code. */
export async function runModelCommand(action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (e) {
    if (process.env.FUSEC_DEBUG) console.error(e);
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`fusec: ${message.split("\n").join("; ")}\n`);
    process.exitCode = e instanceof ModelFileError ? 2 : 1;
  }
}

/** Collects a repeatable option's values (`--pass a --pass b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Left-aligned text columns, right-aligned numbers: one string per row. */
export function table(rows: (string | number)[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, String(cell).length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (typeof cell === "number" ? String(cell).padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

/** Node count per op (`domain::Op` outside the standard domain), most frequent first. */
export function opHistogram(nodes: Iterable<{ op: string; domain: string }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of nodes) {
    const key = n.domain ? `${n.domain}::${n.op}` : n.op;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return new Map([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
