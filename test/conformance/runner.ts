/**
 * Runs a conformance case twice, as loaded and after `fusec optimize` (constant folding and the
 * ONNX rule pack), and grades each run: pass, wrong (ran, but an output differs from the
 * reference) or cannot run (the model does not load, optimize or execute). A case passes only
 * when both runs pass. Also tallies results per op, and checks them against the committed list
 * of expected failures.
 */
import { decodeOnnx, execute, optimize, type Pass } from "../../src/index.js";
import type { Tensor } from "../../src/runtime/tensor.js";
import type { ConformanceCase, SuiteName } from "./suites.js";

export type Outcome = "pass" | "wrong" | "cannot run";

export interface CaseResult {
  suite: SuiteName;
  id: string;
  ops: string[];
  outcome: Outcome;
  loaded: Outcome;
  optimized: Outcome;
  /** What went wrong (the first failing run's message). */
  message?: string;
  outOfScope?: string;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0]!;
}

function runOnce(c: ConformanceCase, pass: Pass | undefined): { outcome: Outcome; message?: string } {
  if (typeof c.model === "string") return { outcome: "cannot run", message: c.model };
  let results: Record<string, Tensor>;
  let outputNames: string[];
  try {
    const graph = decodeOnnx(c.model, c.id);
    outputNames = graph.outputs.map((v) => v.name);
    if (pass) optimize(graph, { passes: [pass] });
    results = execute(graph, c.feeds);
  } catch (e) {
    return { outcome: "cannot run", message: `${pass ? "optimized: " : ""}${firstLine(e)}` };
  }
  for (let i = 0; i < c.expected.length; i++) {
    const expected = c.expected[i];
    if (!expected) continue;
    const actual = results[outputNames[i]!];
    const problem = actual ? c.compare(actual, expected) : "missing";
    if (problem) return { outcome: "wrong", message: `${pass ? "optimized: " : ""}output ${i}: ${problem}` };
  }
  return { outcome: "pass" };
}

export function runCase(c: ConformanceCase, pass: Pass): CaseResult {
  const loaded = runOnce(c, undefined);
  const optimized = runOnce(c, pass);
  const outcome: Outcome = loaded.outcome === "pass" ? optimized.outcome : loaded.outcome;
  const message = loaded.message ?? optimized.message;
  return {
    suite: c.suite,
    id: c.id,
    ops: c.ops,
    outcome,
    loaded: loaded.outcome,
    optimized: optimized.outcome,
    ...(message ? { message } : {}),
    ...(c.outOfScope ? { outOfScope: c.outOfScope } : {}),
  };
}

export interface Tally {
  pass: number;
  wrong: number;
  cannot: number;
}

export function tally(results: readonly CaseResult[]): Tally {
  const t: Tally = { pass: 0, wrong: 0, cannot: 0 };
  for (const r of results) {
    if (r.outcome === "pass") t.pass++;
    else if (r.outcome === "wrong") t.wrong++;
    else t.cannot++;
  }
  return t;
}

/** Results per op (a case with several ops counts for each). */
export function tallyByOp(results: readonly CaseResult[]): Map<string, Tally> {
  const byOp = new Map<string, CaseResult[]>();
  for (const r of results) for (const op of r.ops) byOp.set(op, [...(byOp.get(op) ?? []), r]);
  return new Map([...byOp.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([op, rs]) => [op, tally(rs)]));
}

/** The committed expected failures: case id → reason. */
export type ExpectedFailures = Record<string, string>;

export interface ListCheck {
  /** Cases that fail but are not listed. */
  newFailures: CaseResult[];
  /** Listed cases that pass now (the list must shrink). */
  nowPassing: string[];
  /** Listed ids that name no case. */
  unknown: string[];
}

export function checkExpected(results: readonly CaseResult[], expected: ExpectedFailures): ListCheck {
  const ids = new Set(results.map((r) => r.id));
  return {
    newFailures: results.filter((r) => r.outcome !== "pass" && !(r.id in expected)),
    nowPassing: results.filter((r) => r.outcome === "pass" && r.id in expected).map((r) => r.id),
    unknown: Object.keys(expected).filter((id) => !ids.has(id)),
  };
}
