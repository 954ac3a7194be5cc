/**
 * A rule rooted at an op that a bigger rule's pattern holds below its root does not silently
 * take that node: the driver lets a rule rooted at a reader go first only when its benefit is
 * higher, so when rule A (rooted at op P) can match the P node that rule B needs below its root,
 * and A's benefit is at least B's, A rewrites the node first and B no longer matches. A warning
 * at B names both rules with their locations and the priority that would let B win. Not reported
 * when A's result is again a P node (B can still match after A), or when A matches constants
 * only (a constant fold: it leaves a constant, which is what B's match would fold to as well).
 */
import type { OpPattern, Pattern, ResultExpr, Rule, Span } from "../ast.js";
import { benefit, innerOps, patternSize } from "../benefit.js";
import { warning, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";
import { PatternRelations } from "./overlap.js";

export function checkShadowedAcrossRoots(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const relations = new PatternRelations(program);
  const byRoot = new Map<unknown, Rule[]>();
  for (const rule of program.rules) {
    const root = program.ops.resolve(rule.pattern.op);
    if (root) byRoot.set(root, [...(byRoot.get(root) ?? []), rule]);
  }
  // One warning per pair of declarations (a family or a named pattern expands to many rules).
  const reported = new Set<string>();
  for (const big of program.rules) {
    for (const { pattern: inner } of innerOps(big.pattern)) {
      const op = program.ops.resolve(inner.op);
      for (const small of (op && byRoot.get(op)) || []) {
        const pair = `${declaration(small)}|${declaration(big)}`;
        if (small === big || reported.has(pair) || benefit(small) < benefit(big)) continue;
        if (constantOnly(small.pattern) || !coveredBy(small.pattern, inner, program) || !relations.overlaps(small.pattern, inner)) continue;
        if (stillFused(big, inner, small, byRoot, relations, program)) continue;
        reported.add(pair);
        const needed = benefit(small) - patternSize(big.pattern) + 1;
        diagnostics.push(
          warning(
            "shadowed-across-roots",
            `rule '${small.name}' at ${location(small.nameSpan)} shadows rule '${big.name}' at ${location(big.nameSpan)}: ` +
              `it rewrites the '${inner.op.name}' that '${big.name}' matches below its root first (benefit ${benefit(small)} ≥ ${benefit(big)}), ` +
              `and '${big.name}' then no longer matches; give '${big.name}' priority ${needed} or more to let it win, or make it match '${small.name}''s result`,
            big.nameSpan,
            [{ message: `rule '${small.name}' is here`, span: small.nameSpan }],
          ),
        );
      }
    }
  }
  return diagnostics;
}

function declaration(rule: Rule): string {
  return `${rule.span.file}:${rule.span.start.offset}`;
}

function location(span: Span): string {
  return `${span.file}:${span.start.line}:${span.start.column}`;
}

/**
 * Every op node `small` matches is one that `inner` matches too (an op pattern in `small` stands
 * where `inner` has an op pattern): the smaller rule's match lies inside the bigger one's. When it
 * reaches past `inner`'s leaves, the two rules compete for overlapping regions rather than one
 * holding the other (`Mul(C, Conv(…))` against `Conv(Mul(x, c), …)`), and either winning is fine.
 */
function coveredBy(small: OpPattern, inner: OpPattern, program: Program): boolean {
  const op = program.ops.resolve(small.op);
  if (!op || op !== program.ops.resolve(inner.op)) return false;
  const inOrder = (operands: readonly Pattern[]) =>
    operands.every((p, i) => {
      if (p.kind !== "OpPattern") return true;
      const other = inner.operands[i];
      return other?.kind === "OpPattern" && coveredBy(p, other, program);
    });
  if (inOrder(small.operands)) return true;
  const [a, b, ...rest] = small.operands;
  return op.commutative && a !== undefined && b !== undefined && inOrder([b, a, ...rest]);
}

/** Every leaf is a `const` variable or a literal: the rule folds constants. */
function constantOnly(pattern: OpPattern): boolean {
  const leafIsConstant = (p: Pattern): boolean => {
    switch (p.kind) {
      case "OpPattern":
        return p.operands.every(leafIsConstant);
      case "VarPattern":
        return p.constant;
      case "LiteralPattern":
        return true;
      case "WildcardPattern":
        return false;
    }
  };
  return leafIsConstant(pattern);
}

/**
 * After `small` rewrites the node, some rule rooted at `big`'s root op can still match there:
 * `big`'s pattern with `inner` replaced by `small`'s result (`Min(Max(x, 0), 6)` becomes
 * `Min(Relu(x), 6)`) overlaps that rule's pattern. `big` itself counts when the result is an op
 * (`Relu(Relu(x)) => Relu(x)` leaves a Relu for `Clip(Relu(x), …)`); when it is a plain value,
 * only another rule does. Then the region is still fused, by another route.
 */
function stillFused(big: Rule, inner: OpPattern, small: Rule, byRoot: ReadonlyMap<unknown, Rule[]>, relations: PatternRelations, program: Program): boolean {
  const after = replaced(big.pattern, inner, asPattern(small.result));
  const candidates = byRoot.get(program.ops.resolve(big.pattern.op)) ?? [];
  return candidates.some((rule) => (rule !== big || small.result.kind === "ResultOp") && relations.overlaps(rule.pattern, after));
}

/** What a result builds, as a pattern: its ops, any value where it computes one. */
function asPattern(result: ResultExpr): Pattern {
  if (result.kind !== "ResultOp") return { kind: "WildcardPattern", span: result.span };
  return { kind: "OpPattern", op: result.op, operands: result.operands.map(asPattern), attrs: [], span: result.span };
}

function replaced(pattern: OpPattern, target: OpPattern, replacement: Pattern): OpPattern {
  const operands = pattern.operands.map((p) => (p === target ? replacement : p.kind === "OpPattern" ? replaced(p, target, replacement) : p));
  return { ...pattern, operands };
}
