/**
 * `npm run conformance`: runs ONNX's backend test data and onnxruntime-web's operator tests
 * through fusec (each model as loaded and after optimize), prints a table per op (pass / wrong /
 * cannot run) and the totals per suite, and checks the results against the committed list of
 * expected failures (test/conformance/expected-failures.json): a failing case that is not listed,
 * or a listed case that passes, makes the exit code 1.
 *
 *   --suite <onnx-backend|ort-web-ops>  one suite only
 *   --ort                 also run each case with onnxruntime-node, the same way, and count the
 *                         cases it passes that fusec does not
 *   --failures            print every failing case with its message
 *   --update-expected     drop listed cases that pass now (the list only shrinks)
 *   --add-new             with --update-expected: also list new failures, with their messages as
 *                         reasons (for cases that cannot pass: check each reason by hand)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { loadPass } from "../../src/index.js";
import { checkExpected, runCase, tally, tallyByOp, type CaseResult, type ExpectedFailures } from "./runner.js";
import { allCases, CONTRIB_IN_SCOPE, IN_SCOPE_DTYPES, type ConformanceCase, type SuiteName } from "./suites.js";

export const EXPECTED_FILE = new URL("./expected-failures.json", import.meta.url).pathname;

export function readExpected(): ExpectedFailures {
  return JSON.parse(readFileSync(EXPECTED_FILE, "utf8")) as ExpectedFailures;
}

function table(rows: (string | number)[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]!) : String(cell).padStart(widths[i]!))).join("  "));
}

/** The ai.onnx cases with an in-scope dtype (the issue's 453), and the contrib cases fusec must pass. */
function isCountedOrtWeb(c: { ops: string[]; dtypes: string[] }): "ai.onnx" | "contrib" | undefined {
  const op = c.ops[0]!;
  if (!op.includes("::")) return c.dtypes.every((d) => IN_SCOPE_DTYPES.has(d)) ? "ai.onnx" : undefined;
  return CONTRIB_IN_SCOPE.has(op.split("::")[1]!) && op.startsWith("com.microsoft::") ? "contrib" : undefined;
}

async function ortNodeOutcome(c: ConformanceCase): Promise<"pass" | "fail"> {
  const ortModule = await import("onnxruntime-node");
  const ort = (ortModule.default ?? ortModule) as typeof ortModule.default;
  const { halfBitsToFloat, floatToHalfBits } = await import("../../src/runtime/tensor.js");
  if (typeof c.model === "string") return "fail";
  try {
    const session = await ort.InferenceSession.create(c.model, { logSeverityLevel: 4 });
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [name, t] of Object.entries(c.feeds)) {
      const data = t.dtype === "float16" ? Uint16Array.from(t.data as Float32Array, floatToHalfBits) : t.data;
      feeds[name] = new ort.Tensor(t.dtype, data as Float32Array, [...t.shape]);
    }
    const out = await session.run(feeds);
    const names = session.outputNames;
    for (let i = 0; i < c.expected.length; i++) {
      const e = c.expected[i];
      if (!e) continue;
      const r = out[names[i]!]!;
      const data = r.type === "float16" ? Float32Array.from(r.data as Uint16Array, halfBitsToFloat) : r.data;
      if (c.compare({ dtype: r.type as never, shape: [...r.dims], data: data as Float32Array }, e)) return "fail";
    }
    return "pass";
  } catch (e) {
    if (process.env.CONFORMANCE_DEBUG) process.stderr.write(`onnxruntime-node: ${c.id}: ${String(e).split("\n")[0]}\n`);
    return "fail";
  }
}

/** A listed failure's reason: out of scope, the missing kernel, or what went wrong; and whether onnxruntime-node fails it too. */
function reasonFor(r: CaseResult, ort: "pass" | "fail" | undefined): string {
  if (r.outOfScope) return r.outOfScope;
  const missing = /no kernel is registered for op (\S+)/.exec(r.message ?? "");
  const why = missing ? `no kernel for ${missing[1]}` : `${r.outcome}: ${(r.message ?? "").replace(`${r.id}: `, "")}`;
  return ort === "fail" ? `${why} (onnxruntime-node fails it too)` : why;
}

async function main(argv: string[]): Promise<number> {
  const flag = (name: string) => argv.includes(name);
  const suiteArg = argv.includes("--suite") ? (argv[argv.indexOf("--suite") + 1] as SuiteName) : undefined;
  const pass = await loadPass("onnx");
  const cases = allCases().filter((c) => !suiteArg || c.suite === suiteArg);
  const results: CaseResult[] = cases.map((c) => runCase(c, pass));
  const ortOutcomes = new Map<string, "pass" | "fail">();
  if (flag("--ort")) for (const c of cases) ortOutcomes.set(c.id, await ortNodeOutcome(c));

  const out = (line = "") => process.stdout.write(`${line}\n`);
  for (const suite of ["onnx-backend", "ort-web-ops"] as const) {
    const rs = results.filter((r) => r.suite === suite);
    if (rs.length === 0) continue;
    out(`\n${suite}`);
    const rows: (string | number)[][] = [["op", "pass", "wrong", "cannot run"]];
    for (const [op, t] of tallyByOp(rs)) rows.push([op, t.pass, t.wrong, t.cannot]);
    const all = tally(rs);
    rows.push(["total cases", all.pass, all.wrong, all.cannot]);
    for (const line of table(rows)) out(`  ${line}`);
    const inScope = tally(rs.filter((r) => !r.outOfScope));
    out(`  in scope: ${inScope.pass} pass, ${inScope.wrong} wrong, ${inScope.cannot} cannot run (of ${rs.filter((r) => !r.outOfScope).length}); out of scope: ${rs.filter((r) => r.outOfScope).length}`);
    if (suite === "ort-web-ops") {
      const byId = new Map(cases.map((c) => [c.id, c]));
      for (const group of ["ai.onnx", "contrib"] as const) {
        const counted = rs.filter((r) => isCountedOrtWeb(byId.get(r.id)!) === group);
        const t = tally(counted);
        const label = group === "ai.onnx" ? "ai.onnx cases with float32/int32/int64/bool data" : "com.microsoft ops fusec emits or fuses into";
        out(`  ${label}: ${t.pass} pass, ${t.wrong} wrong, ${t.cannot} cannot run (of ${counted.length})`);
        if (ortOutcomes.size > 0) {
          const ortPass = counted.filter((r) => ortOutcomes.get(r.id) === "pass");
          const gap = ortPass.filter((r) => r.outcome !== "pass");
          out(`    onnxruntime-node passes ${ortPass.length}; fusec fails ${gap.length} of those${gap.length ? `: ${gap.map((r) => r.id).join("; ")}` : ""}`);
        }
      }
    }
  }
  const grand = tally(results);
  out(`\nall suites: ${grand.pass} pass, ${grand.wrong} wrong, ${grand.cannot} cannot run (of ${results.length})`);

  if (flag("--failures")) {
    out("\nfailures");
    for (const r of results.filter((x) => x.outcome !== "pass")) out(`  ${r.outcome}  ${r.id}: ${r.outOfScope ?? r.message}`);
  }

  const expected = suiteArg ? Object.fromEntries(Object.entries(readExpected()).filter(([id]) => id.startsWith(`${suiteArg}/`))) : readExpected();
  const check = checkExpected(results, expected);
  if (flag("--update-expected")) {
    const next = { ...readExpected() };
    for (const id of check.nowPassing) delete next[id];
    for (const id of check.unknown) delete next[id];
    if (flag("--add-new")) {
      for (const r of check.newFailures) next[r.id] = reasonFor(r, ortOutcomes.get(r.id));
    }
    const sorted = Object.fromEntries(Object.entries(next).sort((a, b) => a[0].localeCompare(b[0])));
    writeFileSync(EXPECTED_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
    out(`\nexpected failures: ${Object.keys(sorted).length} listed (removed ${check.nowPassing.length + check.unknown.length})`);
    return 0;
  }
  let ok = true;
  if (check.newFailures.length > 0) {
    ok = false;
    out(`\n${check.newFailures.length} case(s) fail that the expected-failures list does not name:`);
    for (const r of check.newFailures) out(`  ${r.id}: ${r.outcome}: ${r.message}`);
  }
  if (check.nowPassing.length > 0 || check.unknown.length > 0) {
    ok = false;
    out(`\n${check.nowPassing.length + check.unknown.length} listed case(s) pass now or no longer exist; remove them (npm run conformance -- --update-expected):`);
    for (const id of [...check.nowPassing, ...check.unknown]) out(`  ${id}`);
  }
  out(ok ? `\nexpected failures: ${Object.keys(expected).length} listed, all still failing; no other case fails` : "");
  return ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`conformance: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  });
}
