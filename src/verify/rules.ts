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
import type { Pattern, Rule, RulesFile } from "../compiler/ast.js";
import { analyzePacks, compile, type SourceInput } from "../compiler/compile.js";
import { hasErrors, type Diagnostic } from "../compiler/diagnostics.js";
import type { OpTable } from "../compiler/program.js";
import { execute } from "../kernels/index.js";
import { toJavaScript } from "../node/transpile.js";
import { applyPasses } from "../runtime/driver.js";
import { lookupOp } from "../runtime/registry.js";
import type { Pass } from "../runtime/pass.js";
import type { Tensor } from "../runtime/tensor.js";
import { verify } from "../runtime/verify.js";
import { describeGraph } from "./describe.js";
import { RejectedDraw, synthesize, type Candidate } from "./synthesize.js";
import { outputError, perturbInputs, roundingNoise } from "./compare.js";

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
  /** The input range the outputs differed on. */
  range?: string;
  /** Where the outputs differed most: the output element, the inputs there, both results. */
  at?: string;
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
  /** What the firings covered: input ranges, element types and input shapes. */
  covered: Coverage;
  /** For `not-exercised`: why no candidate made the rule fire. */
  reason?: string;
}

export interface Coverage {
  /** The input ranges every firing was executed on (`[-1, 1)`, `±1e3`, `boundaries {…}`, …). */
  ranges: string[];
  /** Element types of the graphs the rule fired on. */
  dtypes: string[];
  /** Distinct shapes of the graph inputs the rule fired on (`[1,2,4,4]`). */
  shapes: string[];
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

/** The runtime module generated code imports: this installation's own (sources or built), wherever the module is written. */
const RUNTIME_URL = new URL(`../runtime/api.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url).href;

/** Compiles the packs into a scratch directory and imports each module's pass. */
async function compileAndLoad(inputs: readonly SourceInput[]): Promise<{ loaded: Pass[] } | { diagnostics: Diagnostic[] }> {
  const scratch = mkdtempSync(nodePath.join(tmpdir(), "fusec-verify-"));
  try {
    const compiled = await compile(inputs, { outDir: scratch, runtimeImport: RUNTIME_URL });
    if (hasErrors(compiled.diagnostics)) return { diagnostics: compiled.diagnostics };
    const loaded: Pass[] = [];
    for (const module of compiled.modules) {
      // JavaScript in `.mjs`: an ES module wherever the scratch directory is, with no TypeScript loader.
      const js = await toJavaScript(module.fileName, module.code);
      const file = nodePath.join(scratch, js.fileName);
      writeFileSync(file, js.code);
      loaded.push(((await import(pathToFileURL(file).href)) as { pass: Pass }).pass);
    }
    return { loaded };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface Trial {
  seed: number;
  /** Drawn with the smallest sizes. */
  small?: boolean;
  error: number;
  problem?: string;
  /** The input range of the worst error. */
  range?: string;
  at?: string;
  /** Nodes plus elements of inputs and constants: smaller counterexamples are shown first. */
  size: number;
  /** What the firing covered. */
  ranges: string[];
  dtype: string;
  shapes: string[];
}

/** Why a candidate did not count: it could not be built or run, or the rule did not fire (with the trace's reason). */
type Miss = { kind: "rejected"; why: string } | { kind: "not-fired"; why: string };

function checkRule(pass: Pass, rule: Rule, location: string, ops: OpTable, options: VerifyRulesOptions): RuleCheck {
  const tolerance = options.tolerance ?? 1e-4;
  const budget = options.candidates ?? 200;
  const wanted = options.firings ?? 20;
  const others = pass.rules.filter((r) => r.name !== rule.name).map((r) => r.name);
  const covered = { ranges: new Set<string>(), dtypes: new Set<string>(), shapes: new Set<string>() };
  const check: RuleCheck = { rule: rule.name, location, tried: 0, built: 0, fired: 0, maxError: 0, verdict: "not-exercised", covered: { ranges: [], dtypes: [], shapes: [] } };
  const misses: Miss[] = [];
  let worst: Trial | undefined;
  for (let k = 0; k < budget && check.fired < wanted; k++) {
    const seed = (options.seed ?? 0) * 100003 + k;
    check.tried++;
    const trial = runTrial(pass, rule, ops, seed, others, tolerance);
    if ("kind" in trial) {
      misses.push(trial);
      if (trial.kind === "not-fired") check.built++;
      continue;
    }
    check.built++;
    check.fired++;
    check.maxError = Math.max(check.maxError, trial.error);
    trial.ranges.forEach((r) => covered.ranges.add(r.startsWith("boundaries") ? "boundaries" : r));
    covered.dtypes.add(trial.dtype);
    trial.shapes.forEach((sh) => covered.shapes.add(sh));
    const failed = trial.error > tolerance || trial.problem !== undefined;
    if (failed && (!worst || trial.size < worst.size)) worst = trial;
  }
  check.covered = { ranges: [...covered.ranges], dtypes: [...covered.dtypes], shapes: [...covered.shapes] };
  // Shrinking: graphs of the smallest sizes, in search of a smaller counterexample.
  for (let k = 0; worst && k < SHRINK_ATTEMPTS; k++) {
    const trial = runTrial(pass, rule, ops, -1 - k - (options.seed ?? 0) * 100003, others, tolerance, true);
    if ("kind" in trial) continue;
    if ((trial.error > tolerance || trial.problem !== undefined) && trial.size < worst.size) worst = trial;
  }
  if (worst) {
    check.verdict = "changes-outputs";
    check.counterexample = counterexample(pass, rule, ops, worst, others);
  } else if (check.fired > 0) {
    check.verdict = "ok";
  } else {
    const counted = refusedShapeReason(misses, pass.rules.find((r) => r.name === rule.name)) ?? notExercisedReason(misses);
    check.reason = [...missingPieces(rule, ops, misses), counted].join("; ");
  }
  return check;
}

/**
 * What the rule's own declarations lack, when that is why it never fired: an op it builds that
 * has no implementation, or an op of its pattern whose operands declare no roles and whose
 * graphs could not be built.
 */
function missingPieces(rule: Rule, ops: OpTable, misses: readonly Miss[]): string[] {
  const found: string[] = [];
  const unregistered = new Set(misses.flatMap((m) => /cannot build (\S+): the op is not registered/.exec(m.why)?.[1] ?? []));
  for (const op of unregistered) found.push(`it builds ${op}, which has no implementation (declare the op with impl "module.ts"), so every rewrite is refused`);
  const visit = (p: Pattern): void => {
    if (p.kind !== "OpPattern") return;
    const decl = ops.resolve(p.op);
    if (decl && !lookupOp(decl.domain, decl.name)) {
      found.push(`its pattern holds ${decl.domain ? `${decl.domain}::` : ""}${decl.name}, which has no implementation (declare the op with impl "module.ts"), so no graph holding it can be built and run`);
    }
    const bare = decl?.operands.slice(1).filter((o) => o.roles.length === 0) ?? [];
    if (decl && bare.length > 0 && misses.some((m) => m.kind === "rejected" && m.why.includes(`(${decl.name})`))) {
      const first = decl.operands[0]!.name;
      found.push(
        `${decl.name} declares no role for ${bare.map((o) => `'${o.name}'`).join(", ")}, so ${bare.length > 1 ? "they are" : "it is"} drawn shaped like '${first}'; ` +
          `give ${bare.length > 1 ? "them roles" : "it a role"} in its declaration (\`${bare[0]!.name}: broadcast\`, \`${bare[0]!.name}: channels(${first}, 1)\`, \`${bare[0]!.name}: axes(${first})\`, …; see "Operand roles" in grammar/README.md)`,
      );
    }
    p.operands.forEach(visit);
  };
  visit(rule.pattern);
  return [...new Set(found)];
}

/**
 * A rule that matched every time but whose result the rewriter refused for its shape can never
 * fire: say so first, and name the precondition it lacks.
 */
function refusedShapeReason(misses: readonly Miss[], info: { match: string; result: string } | undefined): string | undefined {
  // Graphs where the pattern or the condition did not hold were not matched; these were.
  const refused = misses.filter((m) => m.kind === "not-fired" && /^result shape .* differs/.test(m.why));
  if (refused.length === 0) return undefined;
  const result = info ? `\`${info.result}\`` : "its result";
  const match = info ? `\`${info.match}\`` : "the matched root";
  return (
    `never fired: result shape differs on all ${refused.length} graph(s) it matched (${refused[0]!.why}); ` +
    `the rewriter refuses a result whose shape is not the root's, so the rule lacks the precondition that ${result} has the shape of ${match} ` +
    `(add a \`where\` condition comparing their shapes, e.g. with shape(…) or rank(…))`
  );
}

/** The commonest reasons candidates were rejected or did not fire, counted. */
function notExercisedReason(misses: readonly Miss[]): string {
  const summarize = (kind: Miss["kind"]): string | undefined => {
    const counts = new Map<string, number>();
    for (const m of misses) if (m.kind === kind) counts.set(m.why, (counts.get(m.why) ?? 0) + 1);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (total === 0) return undefined;
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2);
    const what = kind === "rejected" ? "could not be built or run" : "built but the rule did not fire";
    return `${total} ${what} (${top.map(([why, n]) => `${n}× ${why}`).join("; ")})`;
  };
  const parts = [summarize("not-fired"), summarize("rejected")].filter((p) => p !== undefined);
  return parts.length > 0 ? `of ${misses.length} graph(s): ${parts.join("; ")}` : "no graph was drawn";
}

/** Ops that move elements: an output element is not computed from the inputs at its own index. */
const RESHUFFLING = new Set(["Transpose", "Reshape", "Flatten", "Conv", "ConvTranspose", "FusedConv", "MatMul", "Gemm", "FusedGemm", "MaxPool", "AveragePool", "Softmax", "Pad", "ReduceMean", "LayerNormalization", "BatchNormalization", "Conv2D", "DepthwiseConv2D", "FullyConnected"]);

/** Candidates of the smallest sizes drawn once a rule failed, to show the smallest failing graph. */
const SHRINK_ATTEMPTS = 40;

/** Builds candidate `seed`, runs it on every input range, applies the rule alone, runs it again. */
function runTrial(pass: Pass, rule: Rule, ops: OpTable, seed: number, others: readonly string[], tolerance: number, small = false): Trial | Miss {
  let candidate: Candidate;
  try {
    candidate = synthesize(rule, ops, seed, { small });
  } catch (e) {
    if (e instanceof RejectedDraw) return { kind: "rejected", why: firstLine(e.message) };
    throw e;
  }
  const integer = candidate.elementType !== "float32";
  const before: Record<string, Tensor>[] = [];
  // The original graph on inputs moved by one rounding step: how much float32 rounding alone moves its outputs.
  const perturbed: Record<string, Tensor>[] = [];
  try {
    for (const [i, set] of candidate.inputSets.entries()) {
      before.push(execute(candidate.graph, set.feeds));
      if (!integer) perturbed.push(execute(candidate.graph, perturbInputs(set.feeds, seed * 7 + i)));
    }
  } catch (e) {
    return { kind: "rejected", why: `the synthesized graph does not run: ${firstLine((e as Error).message)}` };
  }
  const size = candidate.graph.nodes.size + [...candidate.graph.inputs, ...candidate.graph.constants].reduce((n, v) => n + (v.shape ?? []).reduce<number>((a, d) => a * Number(d), 1), 0);
  const outputNames = candidate.graph.outputs.map((v) => v.name);
  const shapes = candidate.graph.inputs.map((v) => `[${(v.shape ?? []).join(",")}]`);
  const covered = { ranges: candidate.inputSets.map((s) => s.range), dtype: candidate.elementType, shapes };
  const elementwise = [...candidate.graph.nodes].every((n) => !RESHUFFLING.has(n.op) && n.outputs.every((o) => (o.shape ?? []).join() === (n.outputs[0]!.shape ?? []).join()) && n.inputs.every((v) => !v || v.constant || (v.shape ?? []).join() === (n.outputs[0]!.shape ?? []).join()));
  const failures: string[] = [];
  try {
    const stats = applyPasses(candidate.graph, pass, { disable: others, trace: (line) => failures.push(line) });
    if (!stats.firings[rule.name]) return { kind: "not-fired", why: failedCondition(failures, rule.name) };
  } catch (e) {
    return { seed, small, size, error: Infinity, problem: `the rewrite failed: ${(e as Error).message}`, ...covered };
  }
  const problems = verify(candidate.graph);
  if (problems.length > 0) return { seed, small, size, error: Infinity, problem: `the rewritten graph is invalid: ${problems[0]}`, ...covered };
  let worst: Trial = { seed, small, size, error: 0, ...covered };
  for (const [i, set] of candidate.inputSets.entries()) {
    let after: Record<string, Tensor>;
    try {
      after = execute(candidate.graph, set.feeds);
    } catch (e) {
      // An integer graph the rewritten ops have no integer kernel for is not a counterexample.
      if (integer) return { kind: "rejected", why: `the rewritten integer graph does not run: ${firstLine((e as Error).message)}` };
      return { seed, small, size, error: Infinity, problem: `the rewritten graph does not run: ${(e as Error).message}`, ...covered };
    }
    for (const [k, name] of outputNames.entries()) {
      const noise = integer ? 0 : roundingNoise(before[i]![name]!, perturbed[i]![name]);
      const error = outputError(before[i]![name]!, after[candidate.graph.outputs[k]!.name], noise);
      if (error > worst.error) worst = { ...worst, error, range: set.range };
      if (error > tolerance) return { ...worst, range: set.range, at: whereWorst(before[i]![name]!, after[candidate.graph.outputs[k]!.name], set.feeds, name, elementwise) };
    }
  }
  return worst;
}

/**
 * The reason the rule's own matcher gave (from the driver's trace), without the node name: a
 * failed `where` (the match got furthest there) before a structural mismatch.
 */
function failedCondition(trace: readonly string[], rule: string): string {
  const reasons = trace.filter((l) => l.trimStart().startsWith(`${rule} failed at`)).map((l) => l.replace(/^.*? failed at "[^"]*": /, ""));
  if (reasons.length === 0) return "no node had the pattern's root op";
  return reasons.find((r) => r.startsWith("where")) ?? reasons[reasons.length - 1]!;
}

function firstLine(text: string): string {
  return text.split("\n")[0]!;
}

/** `mul_out[0,3] = 7.12 (rewritten: 6), where x[0,3] = 7.12`: the element that differs most. */
function whereWorst(reference: Tensor, actual: Tensor | undefined, feeds: Record<string, Tensor>, name: string, elementwise: boolean): string | undefined {
  if (!actual || actual.shape.join() !== reference.shape.join()) return undefined;
  let index = -1;
  let largest = -1;
  for (let i = 0; i < reference.data.length; i++) {
    const d = Math.abs(Number(reference.data[i]) - Number(actual.data[i]));
    const score = Number.isNaN(d) ? Infinity : d;
    if (score > largest) [largest, index] = [score, i];
  }
  if (index < 0) return undefined;
  const at = (t: Tensor) => `[${unravel(index, t.shape).join(",")}]`;
  // Inputs at the same index are shown only for elementwise graphs, where they are the element's inputs.
  const inputs = Object.entries(feeds)
    .filter(([, t]) => elementwise && t.shape.join() === reference.shape.join())
    .map(([input, t]) => `${input}${at(t)} = ${show(t.data[index]!)}`);
  return `${name}${at(reference)} = ${show(reference.data[index]!)}, rewritten ${show(actual.data[index]!)}${inputs.length > 0 ? `, where ${inputs.join(", ")}` : ""}`;
}

function unravel(index: number, shape: readonly number[]): number[] {
  const out: number[] = [];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    out.unshift(index % shape[axis]!);
    index = Math.floor(index / shape[axis]!);
  }
  return out;
}

function show(v: number | bigint): string {
  const n = Number(v);
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

function build(rule: Rule, ops: OpTable, seed: number, small = false): Candidate | undefined {
  try {
    return synthesize(rule, ops, seed, { small });
  } catch (e) {
    if (e instanceof RejectedDraw) return undefined;
    throw e;
  }
}

/** Re-synthesizes the failing candidate (synthesis is deterministic) to describe it before and after. */
function counterexample(pass: Pass, rule: Rule, ops: OpTable, trial: Trial, others: readonly string[]): Counterexample {
  const candidate = build(rule, ops, trial.seed, trial.small)!;
  const before = describeGraph(candidate.graph);
  let after: string[] = [];
  try {
    applyPasses(candidate.graph, pass, { disable: others });
    after = describeGraph(candidate.graph);
  } catch {
    // The failure is the rewrite itself; `problem` says so.
  }
  return {
    before,
    after,
    error: trial.error,
    ...(trial.range ? { range: trial.range } : {}),
    ...(trial.at ? { at: trial.at } : {}),
    ...(trial.problem ? { problem: trial.problem } : {}),
  };
}
