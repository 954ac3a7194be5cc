/**
 * `fusec verify <rules…>`: checks every rule of a pack numerically from its pattern alone. The
 * pack is compiled and loaded; for each rule, graphs are synthesized from the rule's pattern
 * (synthesize.ts), seeded and deterministic, and the rule is applied to each ALONE (every other
 * rule disabled). Where it fires, the graph is executed before and after on the same random
 * inputs and the outputs compared. A rule is `ok` when it fired and never changed the outputs
 * beyond the tolerance, `changes-outputs` (with the smallest counterexample) when it did, and
 * `not-exercised` when no synthesized graph made it fire — which is not a pass.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as nodePath from "node:path";
import { pathToFileURL } from "node:url";
import type { Rule, RulesFile } from "../compiler/ast.js";
import { analyzePacks, compile, type SourceInput } from "../compiler/compile.js";
import { hasErrors, type Diagnostic } from "../compiler/diagnostics.js";
import type { OpTable } from "../compiler/program.js";
import { execute } from "../kernels/index.js";
import { applyPasses } from "../runtime/driver.js";
import type { Pass } from "../runtime/pass.js";
import type { Tensor } from "../runtime/tensor.js";
import { verify } from "../runtime/verify.js";
import { describeGraph } from "./describe.js";
import { RejectedDraw, synthesize, type Candidate } from "./synthesize.js";
import { outputError } from "./compare.js";

export interface VerifyRulesOptions {
  /** Seed of the first candidate of each rule (default 0). */
  seed?: number;
  /** Largest error allowed: max|after − before| / max(1, max|before|) (default 1e-4). */
  tolerance?: number;
  /** Candidate graphs drawn per rule at most (default 200). */
  candidates?: number;
  /** Stop drawing for a rule after this many firings (default 20). */
  firings?: number;
  /** Check only these rules (a family's name selects every member). */
  only?: readonly string[];
}

export type Verdict = "ok" | "changes-outputs" | "not-exercised";

export interface Counterexample {
  /** The synthesized graph, described (describe.ts). */
  before: string[];
  /** The graph after the rule fired, described (empty when the rewrite itself failed). */
  after: string[];
  error: number;
  /** What went wrong beyond a numeric difference (an invalid graph, an execution error). */
  problem?: string;
}

export interface RuleCheck {
  rule: string;
  /** `file.rules:line:col`. */
  location: string;
  /** Candidate graphs drawn. */
  tried: number;
  /** Candidates that built and executed. */
  built: number;
  /** Candidates where the rule fired. */
  fired: number;
  /** Largest error over the firings (0 when it never fired). */
  maxError: number;
  verdict: Verdict;
  /** The smallest failing candidate, for `changes-outputs`. */
  counterexample?: Counterexample;
}

export interface PackCheck {
  pack: string;
  /** The rules file, as given. */
  source: string;
  rules: RuleCheck[];
}

export interface RulesVerification {
  packs: PackCheck[];
  /** Diagnostics of compiling the packs; when any is an error, no pack was checked. */
  diagnostics: Diagnostic[];
  /** Every file read, for rendering the diagnostics. */
  sources: RulesFile[];
}

/** Compiles each rules file (a pack) and checks each of its rules on synthesized graphs. */
export async function verifyRules(inputs: readonly SourceInput[], options: VerifyRulesOptions = {}): Promise<RulesVerification> {
  const front = analyzePacks(inputs);
  const result: RulesVerification = { packs: [], diagnostics: front.diagnostics, sources: front.files };
  if (hasErrors(front.diagnostics)) return result;
  const passes = await compileAndLoad(inputs);
  if ("diagnostics" in passes) return { ...result, diagnostics: passes.diagnostics };
  front.packs.forEach(({ program, root }, i) => {
    const pass = passes.loaded[i]!;
    const byName = new Map(program.rules.map((r) => [r.name, r] as const));
    const selected = pass.rules.filter((r) => !options.only || options.only.some((name) => r.name === name || r.name.startsWith(`${name}[`)));
    const rules = selected.map((info) => checkRule(pass, byName.get(info.name)!, info.location, program.ops, options));
    result.packs.push({ pack: pass.name, source: root.path, rules });
  });
  return result;
}

/** The runtime module generated code imports: this installation's own, wherever the module is written. */
const RUNTIME_URL = new URL("../runtime/api.ts", import.meta.url).href;

/** Compiles the packs into a scratch directory and imports each module's pass. */
async function compileAndLoad(inputs: readonly SourceInput[]): Promise<{ loaded: Pass[] } | { diagnostics: Diagnostic[] }> {
  const scratch = mkdtempSync(nodePath.join(tmpdir(), "fusec-verify-"));
  try {
    const compiled = await compile(inputs, { outDir: scratch, runtimeImport: RUNTIME_URL });
    if (hasErrors(compiled.diagnostics)) return { diagnostics: compiled.diagnostics };
    const loaded: Pass[] = [];
    for (const module of compiled.modules) {
      // `.mts`: an ES module wherever the scratch directory is (no package.json says "module" there).
      const file = nodePath.join(scratch, module.fileName.replace(/\.ts$/, ".mts"));
      writeFileSync(file, module.code);
      loaded.push(((await import(pathToFileURL(file).href)) as { pass: Pass }).pass);
    }
    return { loaded };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface Trial {
  seed: number;
  error: number;
  problem?: string;
  /** Nodes plus elements of inputs and constants: smaller counterexamples are shown first. */
  size: number;
}

function checkRule(pass: Pass, rule: Rule, location: string, ops: OpTable, options: VerifyRulesOptions): RuleCheck {
  const tolerance = options.tolerance ?? 1e-4;
  const budget = options.candidates ?? 200;
  const wanted = options.firings ?? 20;
  const others = pass.rules.filter((r) => r.name !== rule.name).map((r) => r.name);
  const check: RuleCheck = { rule: rule.name, location, tried: 0, built: 0, fired: 0, maxError: 0, verdict: "not-exercised" };
  let worst: Trial | undefined;
  for (let k = 0; k < budget && check.fired < wanted; k++) {
    const seed = (options.seed ?? 0) * 100003 + k;
    check.tried++;
    const trial = runTrial(pass, rule, ops, seed, others);
    if (trial === "rejected") continue;
    check.built++;
    if (trial === "not-fired") continue;
    check.fired++;
    check.maxError = Math.max(check.maxError, trial.error);
    const failed = trial.error > tolerance || trial.problem !== undefined;
    if (failed && (!worst || trial.size < worst.size)) worst = trial;
  }
  if (worst) {
    check.verdict = "changes-outputs";
    check.counterexample = counterexample(pass, rule, ops, worst, others);
  } else if (check.fired > 0) {
    check.verdict = "ok";
  }
  return check;
}

/** Builds candidate `seed`, runs it, applies the rule alone, runs it again. */
function runTrial(pass: Pass, rule: Rule, ops: OpTable, seed: number, others: readonly string[]): Trial | "rejected" | "not-fired" {
  const candidate = build(rule, ops, seed);
  if (!candidate) return "rejected";
  let before: Record<string, Tensor>;
  try {
    before = execute(candidate.graph, candidate.feeds);
  } catch {
    return "rejected";
  }
  const size = candidate.graph.nodes.size + [...candidate.graph.inputs, ...candidate.graph.constants].reduce((n, v) => n + (v.shape ?? []).reduce<number>((a, d) => a * Number(d), 1), 0);
  const outputNames = candidate.graph.outputs.map((v) => v.name);
  try {
    const stats = applyPasses(candidate.graph, pass, { disable: others });
    if (!stats.firings[rule.name]) return "not-fired";
  } catch (e) {
    return { seed, size, error: Infinity, problem: `the rewrite failed: ${(e as Error).message}` };
  }
  const problems = verify(candidate.graph);
  if (problems.length > 0) return { seed, size, error: Infinity, problem: `the rewritten graph is invalid: ${problems[0]}` };
  let after: Record<string, Tensor>;
  try {
    after = execute(candidate.graph, candidate.feeds);
  } catch (e) {
    return { seed, size, error: Infinity, problem: `the rewritten graph does not run: ${(e as Error).message}` };
  }
  const error = Math.max(0, ...outputNames.map((name, i) => outputError(before[name]!, after[candidate.graph.outputs[i]!.name])));
  return { seed, size, error };
}

function build(rule: Rule, ops: OpTable, seed: number): Candidate | undefined {
  try {
    return synthesize(rule, ops, seed);
  } catch (e) {
    if (e instanceof RejectedDraw) return undefined;
    throw e;
  }
}

/** Re-synthesizes the failing candidate (synthesis is deterministic) to describe it before and after. */
function counterexample(pass: Pass, rule: Rule, ops: OpTable, trial: Trial, others: readonly string[]): Counterexample {
  const candidate = build(rule, ops, trial.seed)!;
  const before = describeGraph(candidate.graph);
  let after: string[] = [];
  try {
    applyPasses(candidate.graph, pass, { disable: others });
    after = describeGraph(candidate.graph);
  } catch {
    // The failure is the rewrite itself; `problem` says so.
  }
  return { before, after, error: trial.error, ...(trial.problem ? { problem: trial.problem } : {}) };
}
