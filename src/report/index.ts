/**
 * `fusec report`: a model optimized by rule packs, shown as one self-contained HTML page
 * (collect.ts gathers the data, graphs.ts lays the graphs out with Graphviz, page.ts writes
 * the page).
 */
import type { Graph } from "../index.js";
import { collect, type CollectOptions, type ReportData } from "./collect.js";
import { drawGraph } from "./graphs.js";
import { renderPage } from "./page.js";

export type { ReportData } from "./collect.js";

export interface ReportOptions extends CollectOptions {
  /** Graphs with more nodes than this collapse the regions no rule touched (default 400). */
  collapseAbove?: number;
}

/** Optimizes `graph` in place and returns the report page and the data it shows. */
export async function buildReport(graph: Graph, options: ReportOptions): Promise<{ html: string; data: ReportData }> {
  const data = collect(graph, options);
  const collapseAbove = options.collapseAbove ?? 400;
  const before = await drawGraph(data.before, { prefix: "b", changed: new Set(data.replaced), removed: new Set(data.dead), collapseAbove });
  const after = await drawGraph(data.after, { prefix: "a", changed: new Set(data.fused.map((f) => f.key)), collapseAbove });
  return { html: renderPage(data, before, after), data };
}
