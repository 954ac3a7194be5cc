/**
 * Worker threads in a browser: the runtime and the kernel worker entry (parallel-web-worker.ts)
 * bundled by esbuild for the browser, served next to each other by a local server, in headless
 * Chromium. A cross-origin isolated page (COOP/COEP headers) runs a two-thread session on module
 * Web Workers with the same bits as one thread; a page without those headers falls back to one
 * thread and warns why.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build, type BuildOptions } from "esbuild";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { withChromium } from "../helpers/chromium.js";

const PAGE = `
import { GraphBuilder, prepare } from "./src/runtime/api.ts";
import { workerChunks } from "./src/kernels/parallel.ts";

globalThis.runThreads = async () => {
  const random = (n, seed) => {
    const data = new Float32Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; data[i] = s / 2 ** 31 - 1; }
    return data;
  };
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [1, 16, 40, 44]);
  const w = b.constant({ dtype: "float32", shape: [48, 16, 3, 3], data: random(48 * 16 * 9, 2) });
  b.output(b.op("Conv", [x, w], { pads: { type: "ints", value: [1, 1, 1, 1] } }));
  const feeds = { x: { dtype: "float32", shape: [1, 16, 40, 44], data: random(16 * 40 * 44, 1) } };
  const one = prepare(b.graph);
  const two = prepare(b.graph, { threads: 2 });
  await two.ready();
  const expected = Object.values(one.run(feeds))[0].data;
  let same = true;
  for (let round = 0; round < 5; round++) {
    const actual = Object.values(two.run(feeds))[0].data;
    same &&= actual.length === expected.length && actual.every((v, i) => Object.is(v, expected[i]));
  }
  const taken = workerChunks().reduce((a, c) => a + c, 0);
  const threads = two.threads;
  two.close();
  return { isolated: globalThis.crossOriginIsolated, threads, same, taken };
};
`;

async function bundles(): Promise<Map<string, string>> {
  const common: BuildOptions & { write: false } = { bundle: true, write: false, format: "esm", platform: "browser", conditions: ["fusec-source"], logLevel: "silent" };
  const page = await build({ ...common, stdin: { contents: PAGE, resolveDir: process.cwd(), loader: "js" } });
  const worker = await build({ ...common, entryPoints: ["src/kernels/parallel-web-worker.ts"] });
  // The runtime starts its workers from "./parallel-web-worker.js" next to its own module.
  return new Map([
    ["/", "<!doctype html><title>fusec threads</title>"],
    ["/page.js", page.outputFiles[0]!.text],
    ["/parallel-web-worker.js", worker.outputFiles[0]!.text],
  ]);
}

async function serve(files: Map<string, string>, isolated: boolean): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const body = files.get(req.url ?? "");
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { "content-type": req.url === "/" ? "text/html" : "text/javascript" };
    if (isolated) Object.assign(headers, { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test("Chromium: two threads on Web Workers in an isolated page, one thread with a warning otherwise", async () => {
  const files = await bundles();
  await withChromium(async (chromium) => {
    for (const isolated of [true, false]) {
      const { server, origin } = await serve(files, isolated);
      try {
        const page = await chromium.newPage();
        const errors: string[] = [];
        const warnings: string[] = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        page.on("console", (m) => m.type() === "warn" && warnings.push(m.text()));
        await page.goto(`${origin}/`);
        await page.addScriptTag({ url: "/page.js", type: "module" });
        await page.waitForFunction("typeof globalThis.runThreads === 'function'", { timeout: 60_000 });
        const r = (await page.evaluate("globalThis.runThreads()")) as { isolated: boolean; threads: number; same: boolean; taken: number };
        assert.equal(errors, [], `page errors (isolated=${isolated})`);
        assert.is(r.isolated, isolated);
        assert.ok(r.same, `isolated=${isolated}: outputs differ from one thread's`);
        if (isolated) {
          assert.is(r.threads, 2);
          assert.ok(r.taken > 0, "the Web Worker never took a chunk");
        } else {
          assert.is(r.threads, 1);
          assert.ok(warnings.some((w) => /running on 1 thread instead of 2: SharedArrayBuffer is unavailable/.test(w)), warnings.join("\n"));
        }
        await page.close();
      } finally {
        server.close();
      }
    }
  });
});

test.run();
