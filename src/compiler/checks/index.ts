/**
 * Runs every semantic check over a resolved program. Each check lives in its own file and states
 * its invariant in its opening comment; adding a check is adding a file and a line here.
 */
import type { Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";

/** A semantic check: reads the program, returns what it found wrong. */
export type Check = (program: Program) => Diagnostic[];

const checks: Check[] = [];

export function runChecks(program: Program): Diagnostic[] {
  return checks.flatMap((check) => check(program));
}
