/**
 * A rule's benefit, MLIR's `PatternBenefit` as DRR computes it: the number of op nodes its
 * pattern matches, plus the rule's `priority` (DRR's `addBenefit`). The driver lets a rule
 * rooted at a reader take a node away from a rule rooted at that node only when its benefit is
 * higher; the overlap check warns when the smaller rule would win instead.
 */
import type { OpPattern, OpRef, Rule } from "./ast.js";

export function benefit(rule: Rule): number {
  return patternSize(rule.pattern) + rule.priority;
}

/** The op nodes of a pattern, the root included. */
export function patternSize(pattern: OpPattern): number {
  let size = 1;
  for (const operand of pattern.operands) if (operand.kind === "OpPattern") size += patternSize(operand);
  return size;
}

/** An op pattern below a rule's root: `depth` 1 is an operand of the root, 2 an operand's operand. */
export interface InnerOp {
  pattern: OpPattern;
  depth: number;
}

/** Every op pattern below the root, outermost first, in operand order. */
export function innerOps(root: OpPattern): InnerOp[] {
  const found: InnerOp[] = [];
  const visit = (pattern: OpPattern, depth: number) => {
    for (const operand of pattern.operands) {
      if (operand.kind !== "OpPattern") continue;
      found.push({ pattern: operand, depth: depth + 1 });
      visit(operand, depth + 1);
    }
  };
  visit(root, 0);
  return found;
}

/** The distinct (op key, depth) pairs of a pattern's inner ops, for the generated rule table. */
export function innerOpKeys(root: OpPattern, key: (op: OpRef) => string | undefined): { op: string; depth: number }[] {
  const seen = new Set<string>();
  const keys: { op: string; depth: number }[] = [];
  for (const { pattern, depth } of innerOps(root)) {
    const op = key(pattern.op);
    if (op === undefined || seen.has(`${op}@${depth}`)) continue;
    seen.add(`${op}@${depth}`);
    keys.push({ op, depth });
  }
  return keys;
}
