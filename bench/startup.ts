/**
 * Start-up and size benchmark of the package as users install it (not a test: it prints times).
 *
 *   npx tsx bench/startup.ts [--runs N] [--before <checkout of an older fusec>]
 *
 * Packs this repository and installs the tarball into a temporary project (as test/package
 * does), then reports the median wall time of `fusec --help`, `fusec inspect <PP-OCR cls>`,
 * `fusec check <one rule>` and `import "fusec/runtime"`; the tarball size, the installed size
 * of node_modules, and the minified (and gzipped) size of a browser bundle of the runtime, ONNX
 * decoding and the shipped ONNX pack. With --before, the same commands also run from that
 * checkout's bin/fusec.js (its own node_modules), for a before/after table.
 */
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { CLS_MODEL, cleanEnv, installed, sizeOf } from "../test/package/installed.js";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1] ?? 0) || 7;
const beforeIndex = args.indexOf("--before");
const before = beforeIndex >= 0 ? resolve(args[beforeIndex + 1]!) : undefined;

const RULE = `import "fusec/dialects/onnx"\n\nrule DropDoubleRelu:\n  Relu(r: Relu(x))\n  where hasOneUse(r)\n  => r\n`;

function median(command: string, argv: string[], cwd: string, env = cleanEnv()): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(command, argv, { cwd, env, encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (r.status !== 0) throw new Error(`${command} ${argv.join(" ")} failed:\n${r.stderr}`);
    times.push(seconds);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const app = installed();
const rule = app.write("one.rules", RULE);
const cli = join(app.project, "node_modules/fusec/bin/fusec.js");
const rows: [string, number, number | undefined][] = [];
const measure = (label: string, after: () => number, old?: () => number) => rows.push([label, after(), old?.()]);

const oldCli = before && join(before, "bin/fusec.js");
const oldRule = before && app.write("one-old.rules", RULE.replace("fusec/dialects/onnx", join(before, "rules/dialects/onnx.rules")));
measure("fusec --help", () => median("node", [cli, "--help"], app.project), oldCli ? () => median("node", [oldCli, "--help"], before!) : undefined);
measure("fusec inspect <cls>", () => median("node", [cli, "inspect", CLS_MODEL], app.project), oldCli ? () => median("node", [oldCli, "inspect", CLS_MODEL], before!) : undefined);
measure("fusec check <one rule>", () => median("node", [cli, "check", rule], app.project), oldCli ? () => median("node", [oldCli, "check", oldRule!], before!) : undefined);
measure(
  'import "fusec/runtime"',
  () => median("node", ["--input-type=module", "-e", 'import "fusec/runtime";'], app.project),
  before ? () => median("node", ["--import", "tsx", "--input-type=module", "-e", `import ${JSON.stringify(join(before, "src/runtime/api.ts"))};`], before) : undefined,
);
const baseline = median("node", ["-e", "0"], app.project);

const bundle = await build({
  stdin: { contents: 'export * from "fusec/runtime";\nexport { decodeOnnx, encodeOnnx } from "fusec/onnx";\nexport { pass } from "fusec/packs/onnx";\n', resolveDir: app.project, loader: "js" },
  bundle: true,
  minify: true,
  write: false,
  format: "esm",
  platform: "browser",
  logLevel: "silent",
});
const bundleBytes = bundle.outputFiles[0]!.contents;

const s = (x: number | undefined) => (x === undefined ? "-" : `${x.toFixed(2)} s`);
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
console.log(`median of ${runs} runs; \`node -e 0\` takes ${s(baseline)} here`);
console.log(`| command | ${before ? "before | " : ""}after |`);
console.log(`|---|${before ? "---|" : ""}---|`);
for (const [label, after, old] of rows) console.log(`| ${label} | ${before ? `${s(old)} | ` : ""}${s(after)} |`);
console.log(`tarball: ${mb(statSync(app.tarball).size)} (${app.files.length} files)`);
console.log(`installed node_modules: ${mb(sizeOf(join(app.project, "node_modules")))}`);
console.log(`browser bundle of runtime + ONNX decode/encode + ONNX pack: ${mb(bundleBytes.length)} minified, ${mb(gzipSync(bundleBytes).length)} gzipped`);
