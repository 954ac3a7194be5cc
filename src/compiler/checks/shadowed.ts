/**
 * No rule is shadowed by an earlier rule on the same root op at the same priority: one whose
 * pattern matches everything the later one does and that has no condition. A member of a rule
 * (a named pattern's alternative) that an earlier member shadows is an error too.
 */
import { error, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";
import { forEachCompetingPair, shadows } from "./overlap.js";

export function checkShadowed(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  forEachCompetingPair(program, (root, earlier, later, patterns) => {
    if (!shadows(earlier, later, patterns)) return;
    diagnostics.push(
      error("shadowed", `rule '${later.name}' never fires: the earlier rule '${earlier.name}' matches every '${root.name}' it matches, at the same priority, without a condition`, later.nameSpan, [
        { message: `rule '${earlier.name}' is here`, span: earlier.nameSpan },
      ]),
    );
  });
  return diagnostics;
}
