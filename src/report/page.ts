/**
 * The report page: one HTML file with everything inline (the laid-out SVG graphs, the data as
 * JSON, svg-pan-zoom for pan and zoom, the page's own script and style), so it opens offline.
 * Tables are rendered here; the script (client.js) adds selection, links between the graphs,
 * search and pan/zoom.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ReportData, RuleReport } from "./collect.js";
import type { DrawnGraph } from "./graphs.js";

const require = createRequire(import.meta.url);

function asset(name: string): string {
  return readFileSync(new URL(`./${name}`, import.meta.url), "utf8");
}

export function renderPage(data: ReportData, before: DrawnGraph, after: DrawnGraph): string {
  const fired = data.firings.length;
  const title = `fusec report: ${baseName(data.model)}`;
  const clientData = {
    before: data.before.nodes.map((n) => ({ key: n.key, name: n.name, op: n.op, attrs: n.attrs })),
    after: data.after.nodes.map((n) => ({ key: n.key, name: n.name, op: n.op, attrs: n.attrs })),
    fused: data.fused,
    groups: { ...before.groups, ...after.groups },
  };
  const panZoom = readFileSync(require.resolve("svg-pan-zoom/dist/svg-pan-zoom.min.js"), "utf8");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${asset("style.css")}</style>
</head>
<body>
<header>
  <h1>${esc(title)}</h1>
  <p class="summary">
    <span id="node-counts"><b>${data.before.nodes.length}</b> → <b>${data.after.nodes.length}</b> nodes</span> ·
    <span id="firing-count"><b>${fired}</b> rewrite(s)</span> ·
    <span>pack(s): ${esc(data.passes.join(", "))}</span> ·
    <span id="max-error">${outputSummary(data)}</span>
  </p>
  <p class="model">${esc(data.model)}</p>
</header>
<nav class="toolbar">
  <input id="search" type="search" placeholder="Search nodes by name (Enter: next match)" autocomplete="off">
  <span id="search-status"></span>
  <span class="legend"><i class="sw changed-b"></i> replaced <i class="sw changed-a"></i> fused <i class="sw removed"></i> folded or unread <i class="sw group"></i> unchanged region <i class="sw hl"></i> selected</span>
</nav>
<main>
  <section class="graphs">
    <figure class="pane" id="before"><figcaption>Before · ${data.before.nodes.length} nodes</figcaption>${before.svg}</figure>
    <figure class="pane" id="after"><figcaption>After · ${data.after.nodes.length} nodes</figcaption>${after.svg}</figure>
  </section>
  <aside id="details"><p class="hint">Click a node to see what it replaced or what replaced it. Drag to pan, scroll to zoom.</p></aside>
</main>
<section id="rules-section">
  <h2>Rules</h2>
  ${rulesTable(data)}
</section>
<section id="fused-section">
  <h2>Fused nodes</h2>
  ${fusedTable(data)}
</section>
<section class="columns">
  <div>
    <h2>Op histogram</h2>
    ${histogramTable(data)}
  </div>
  <div>
    <h2>Outputs</h2>
    ${outputSection(data)}
    ${data.profile ? `<h2>Time per op</h2>${profileChart(data.profile)}` : ""}
  </div>
</section>
<script type="application/json" id="report-data">${json(clientData)}</script>
<script>${panZoom}</script>
<script>${asset("client.js")}</script>
</body>
</html>
`;
}

function rulesTable(data: ReportData): string {
  const replaced = new Set(data.replaced);
  const originals = new Map(data.before.nodes.filter((n) => replaced.has(n.key)).map((n) => [n.name, n.key]));
  const nodeRef = (n: { name: string; op: string }) => {
    const key = originals.get(n.name);
    const label = `${esc(n.name)} <small>${esc(n.op)}</small>`;
    return key ? `<a href="#${key}" data-key="${key}">${label}</a>` : label;
  };
  const firingsOf = new Map<string, ReportData["firings"]>();
  for (const f of data.firings) firingsOf.set(f.rule, [...(firingsOf.get(f.rule) ?? []), f]);
  const matched = (r: RuleReport) => {
    const list = firingsOf.get(r.name) ?? [];
    if (list.length === 0) return `${r.matchedNodes}`;
    const items = list.map((f) => `<li>${f.matched.map(nodeRef).join(", ")}</li>`);
    return `<details><summary>${r.matchedNodes}</summary><ul class="matched">${items.join("")}</ul></details>`;
  };
  const shown = [...data.rules].sort((a, b) => b.fired - a.fired || b.failures - a.failures || a.name.localeCompare(b.name));
  const rows = shown.map((r) => {
    const failure = r.firstFailure
      ? `<span class="reason">${esc(r.firstFailure.reason)}</span> <span class="at">at ${esc(r.firstFailure.node)}${r.failures > 1 ? ` (and ${r.failures - 1} more)` : ""}</span>`
      : "";
    return `<tr data-rule="${esc(r.name)}" data-fired="${r.fired}" class="${r.fired > 0 ? "fired" : r.failures > 0 ? "close" : "idle"}">
<td class="name">${esc(r.name)}</td><td class="num">${r.fired}</td><td class="matched-cell">${matched(r)}</td>
<td class="loc">${esc(r.location)}</td>
<td class="rule-text"><code>${esc(r.match)}</code><br>⇒ <code>${esc(r.result)}</code></td>
<td class="failure">${failure}</td></tr>`;
  });
  return `<table id="rules"><thead><tr><th>rule</th><th>fired</th><th>nodes matched</th><th>file:line</th><th>rule</th><th>first failure (came close, did not fire)</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table>`;
}

function fusedTable(data: ReportData): string {
  if (data.fused.length === 0) return `<p>No node was built by a rule.</p>`;
  const before = new Map(data.before.nodes.map((n) => [n.key, n]));
  const after = new Map(data.after.nodes.map((n) => [n.key, n]));
  const rows = data.fused.map((f) => {
    const n = after.get(f.key)!;
    const links = f.origins.map((k) => `<a class="origin" href="#${k}" data-key="${k}">${esc(before.get(k)?.name ?? k)} <small>${esc(before.get(k)?.op ?? "")}</small></a>`);
    return `<tr data-fused="${f.key}"><td><a class="fused-link" href="#${f.key}" data-key="${f.key}">${esc(n.name)}</a></td><td>${esc(n.op)}</td><td>${esc(f.rules.join(" → "))}</td><td class="origins">${links.join(" ")}</td></tr>`;
  });
  return `<table id="fused"><thead><tr><th>fused node</th><th>op</th><th>built by</th><th>replaces</th></tr></thead><tbody>${rows.join("\n")}</tbody></table>`;
}

function histogramTable(data: ReportData): string {
  const max = Math.max(1, ...data.histogram.map((h) => Math.max(h.before, h.after)));
  const bar = (n: number, cls: string) => `<span class="bar ${cls}" style="width:${((100 * n) / max).toFixed(1)}%"></span>`;
  const rows = data.histogram.map(
    (h) => `<tr data-op="${esc(h.op)}"><td>${esc(h.op)}</td><td class="num">${h.before}</td><td class="num">${h.after}</td><td class="bars">${bar(h.before, "before")}${bar(h.after, "after")}</td></tr>`,
  );
  const total = (k: "before" | "after") => data.histogram.reduce((a, h) => a + h[k], 0);
  rows.push(`<tr class="total"><td>total</td><td class="num">${total("before")}</td><td class="num">${total("after")}</td><td></td></tr>`);
  return `<table id="histogram"><thead><tr><th>op</th><th>before</th><th>after</th><th></th></tr></thead><tbody>${rows.join("\n")}</tbody></table>`;
}

function outputSummary(data: ReportData): string {
  const e = data.check.maxError;
  return e === undefined ? "outputs not compared" : `max output difference <b>${e.toExponential(2)}</b>`;
}

function outputSection(data: ReportData): string {
  const { check } = data;
  const inputs = check.inputs.map((i) => `<code>${esc(i.name)}[${i.shape.join(", ")}]</code>`).join(", ");
  if (check.maxError === undefined) return `<p class="problem">Outputs not compared: ${esc(check.problem ?? "no inputs")}.</p>`;
  return `<p>Largest difference between the original and the fused model on random inputs (${inputs}): <b id="output-error">${check.maxError.toExponential(3)}</b>
(max |a − b| / max(1, max |reference|), as <code>fusec verify</code> measures it).</p>`;
}

function profileChart(profile: NonNullable<ReportData["profile"]>): string {
  const ops = [...new Set([...profile.before.map((t) => t.op), ...profile.after.map((t) => t.op)])];
  const ms = (list: typeof profile.before, op: string) => list.find((t) => t.op === op)?.ms ?? 0;
  ops.sort((a, b) => Math.max(ms(profile.before, b), ms(profile.after, b)) - Math.max(ms(profile.before, a), ms(profile.after, a)));
  const max = Math.max(1e-9, ...ops.map((op) => Math.max(ms(profile.before, op), ms(profile.after, op))));
  const sum = (list: typeof profile.before) => list.reduce((a, t) => a + t.ms, 0);
  const rows = ops.map((op) => {
    const b = ms(profile.before, op);
    const a = ms(profile.after, op);
    return `<tr data-op="${esc(op)}"><td>${esc(op)}</td><td class="num">${b.toFixed(2)}</td><td class="num">${a.toFixed(2)}</td>
<td class="bars"><span class="bar before" style="width:${((100 * b) / max).toFixed(1)}%"></span><span class="bar after" style="width:${((100 * a) / max).toFixed(1)}%"></span></td></tr>`;
  });
  rows.push(`<tr class="total"><td>total</td><td class="num">${sum(profile.before).toFixed(2)}</td><td class="num">${sum(profile.after).toFixed(2)}</td><td></td></tr>`);
  return `<table id="profile"><thead><tr><th>op</th><th>before (ms)</th><th>after (ms)</th><th></th></tr></thead><tbody>${rows.join("\n")}</tbody></table>`;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** JSON that is safe inside a `<script>` element. */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}
