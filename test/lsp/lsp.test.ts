/**
 * `fusec lsp` driven over stdio with real LSP messages (vscode-jsonrpc as the client): an
 * unsaved edit that makes the README tour's step-5 mistakes gets exactly the diagnostics
 * `fusec check` prints for that file, at the same positions; hover and definition on an op land
 * on its dialect declaration; built-ins, rule names, family variables, completion and symbols.
 * The response times on rules/onnx.rules are printed (never asserted).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";

const DIALECT = resolve("rules/dialects/onnx.rules");
const PACK = resolve("rules/onnx.rules");
const FIXTURE = resolve("test/fixtures/lsp/pack.rules");
const tmp = mkdtempSync(join(tmpdir(), "fusec-lsp-"));

/** README step 1's rule, importing the dialect by absolute path (the file lives in a temporary directory). */
const SCALE = `import "${DIALECT}"

/// y = conv(x, W, b) · C, C per output channel  ⇒  conv(x, W·C, b·C).
rule FoldScaleIntoConv:
  Mul(conv: Conv(x, W: const, b?: const), C: const)
  where hasOneUse(conv) && channelwise(C, conv, 1)
  => Conv(x, W * C@0, (b ?? zeros([dim(W, 0)])) * C@0) { ...conv }
`;
/** README step 5: `sed -e 's/Conv(x, W: const/Convv(x, W: const/' -e 's/dim(W, 0)/dim(K, 0)/'`. */
const BROKEN = SCALE.replace("Conv(x, W: const", "Convv(x, W: const").replace("dim(W, 0)", "dim(K, 0)");

interface Position {
  line: number;
  character: number;
}

/** The 0-based position of the `nth` occurrence of `needle` in `text`, plus `delta` characters. */
function positionOf(text: string, needle: string, delta = 0, nth = 0): Position {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`"${needle}" not found`);
  return positionAt(text, at + delta);
}

function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: before.length - before.lastIndexOf("\n") - 1 };
}

/** `file:line:col: severity[code]: message` lines of `fusec check`, notes attached to the diagnostic above. */
function checkOutput(path: string): { line: number; column: number; code: string; message: string; related: { line: number; message: string }[] }[] {
  const r = spawnSync(process.execPath, ["bin/fusec.js", "check", path], { encoding: "utf8" });
  const found: ReturnType<typeof checkOutput> = [];
  for (const line of r.stderr.split("\n")) {
    const main = /^(.+?):(\d+):(\d+): (?:error|warning)\[([\w-]+)\]: (.*)$/.exec(line);
    if (main) found.push({ line: Number(main[2]), column: Number(main[3]), code: main[4]!, message: main[5]!, related: [] });
    const note = /^(.+?):(\d+):(\d+): note: (.*)$/.exec(line);
    if (note) found.at(-1)?.related.push({ line: Number(note[2]), message: note[4]! });
  }
  return found;
}

class Client {
  readonly diagnostics = new Map<string, { version?: number; diagnostics: any[] }>();
  private readonly waiters: (() => void)[] = [];
  private constructor(
    readonly rpc: MessageConnection,
    private readonly child: ReturnType<typeof spawn>,
  ) {}

  static async start(): Promise<Client> {
    const child = spawn(process.execPath, ["bin/fusec.js", "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
    const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new Client(rpc, child);
    rpc.onNotification("textDocument/publishDiagnostics", (p: { uri: string; version?: number; diagnostics: any[] }) => {
      client.diagnostics.set(p.uri, p);
      for (const w of client.waiters.splice(0)) w();
    });
    rpc.listen();
    const init = await rpc.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(process.cwd()).href, capabilities: {} });
    assert.ok((init as any).capabilities.hoverProvider);
    await rpc.sendNotification("initialized", {});
    return client;
  }

  /** Resolves with the next diagnostics published for `uri`. */
  nextDiagnostics(uri: string): Promise<any[]> {
    const before = this.diagnostics.get(uri);
    return (async () => {
      for (;;) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        const got = this.diagnostics.get(uri);
        if (got !== before) return got!.diagnostics;
      }
    })();
  }

  /** Resolves with the diagnostics of `uri` once they are published for `version`. */
  async diagnosticsFor(uri: string, version: number): Promise<any[]> {
    for (;;) {
      const got = this.diagnostics.get(uri);
      if (got && got.version === version) return got.diagnostics;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  request<T = any>(method: string, uri: string, position?: Position): Promise<T> {
    return this.rpc.sendRequest(method, { textDocument: { uri }, ...(position ? { position } : {}) }) as Promise<T>;
  }

  async stop(): Promise<void> {
    await this.rpc.sendRequest("shutdown");
    await this.rpc.sendNotification("exit");
    await new Promise((resolve) => this.child.once("exit", resolve));
    this.rpc.dispose();
  }
}

test("diagnostics as you type match fusec check: codes, positions, messages and related locations", async () => {
  const path = join(tmp, "broken.rules");
  writeFileSync(path, BROKEN);
  const expected = checkOutput(path);
  assert.ok(expected.length >= 2, JSON.stringify(expected));
  assert.ok(expected.some((d) => d.code === "unknown-op") && expected.some((d) => d.message.includes("K")), JSON.stringify(expected));

  // The file on disk is the broken one; the editor opens the tour's correct text and then types
  // the mistakes, unsaved.
  writeFileSync(join(tmp, "scale.rules"), SCALE);
  const uri = pathToFileURL(join(tmp, "scale.rules")).href;
  const client = await Client.start();
  try {
    await client.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "fusec-rules", version: 1, text: SCALE } });
    assert.equal(await client.diagnosticsFor(uri, 1), []);
    const at = positionOf(SCALE, "Conv(x, W: const", 4);
    await client.rpc.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: at, end: at }, text: "v" }],
    });
    await client.rpc.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: 3 },
      contentChanges: [{ text: BROKEN }],
    });
    const got = await client.diagnosticsFor(uri, 3);
    assert.equal(
      got.map((d) => ({
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        code: d.code,
        message: d.message,
        related: (d.relatedInformation ?? []).map((r: any) => ({ line: r.location.range.start.line + 1, message: r.message })),
      })),
      expected,
    );
  } finally {
    await client.stop();
  }
});

test("related locations come with the diagnostics, as fusec check prints them as notes", async () => {
  const text = `import "${DIALECT}"\n\nrule DropRelu:\n  Relu(x) => x\n\nrule DropRelu:\n  Relu(y) => y\n`;
  const path = join(tmp, "dup.rules");
  writeFileSync(path, text);
  const expected = checkOutput(path);
  assert.ok(expected.every((d) => d.related.length === 1) && expected.length === 2, JSON.stringify(expected));
  const client = await Client.start();
  const uri = pathToFileURL(path).href;
  try {
    await client.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "fusec-rules", version: 1, text } });
    const got = await client.diagnosticsFor(uri, 1);
    assert.equal(
      got.map((d) => ({
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        code: d.code,
        message: d.message,
        related: (d.relatedInformation ?? []).map((r: any) => ({ line: r.location.range.start.line + 1, message: r.message })),
      })),
      expected,
    );
    assert.ok(got.every((d) => d.relatedInformation[0].location.uri === uri));
  } finally {
    await client.stop();
  }
});

test("hover and definition on an op land on its dialect declaration; built-ins, rules, family variables", async () => {
  const client = await Client.start();
  const uri = pathToFileURL(FIXTURE).href;
  const text = readFileSync(FIXTURE, "utf8");
  const dialect = readFileSync(DIALECT, "utf8");
  try {
    await client.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "fusec-rules", version: 1, text } });
    assert.equal(await client.diagnosticsFor(uri, 1), []);

    const convAt = positionOf(text, "conv: Conv(", 6);
    const hover = await client.request("textDocument/hover", uri, convAt);
    assert.match(hover.contents.value, /op Conv\(X: image, W: filter\(X\), B\?: channels\(W, 0\)\)/);
    assert.match(hover.contents.value, /dilations: int\[\]/);
    const def = await client.request("textDocument/definition", uri, convAt);
    assert.is(def.uri, pathToFileURL(DIALECT).href);
    assert.is(def.range.start.line, positionOf(dialect, "op Conv(").line);

    const mul = await client.request("textDocument/definition", uri, positionOf(text, "Mul(", 1));
    assert.is(mul.range.start.line, positionOf(dialect, "op Mul(").line);

    const builtin = await client.request("textDocument/hover", uri, positionOf(text, "hasOneUse(", 2));
    assert.match(builtin.contents.value, /hasOneUse\(value\) -> bool/);
    assert.match(builtin.contents.value, /exactly one reader/);

    const rule = await client.request("textDocument/hover", uri, positionOf(text, "rule FuseLeakyReluIntoConv", 7));
    assert.match(rule.contents.value, /LeakyRelu into the convolution/);

    const useOfAct = positionOf(text, "act(conv: Conv", 1);
    const family = await client.request("textDocument/definition", uri, useOfAct);
    assert.equal(family.range.start, positionOf(text, "for (act, name)", 5));
    const familyHover = await client.request("textDocument/hover", uri, useOfAct);
    assert.match(familyHover.contents.value, /Relu, Sigmoid, Tanh/);

    const alpha = await client.request("textDocument/hover", uri, positionOf(text, "LeakyRelu(conv: Conv(x, W, b?)) { alpha", 37));
    assert.match(alpha.contents.value, /alpha: float = 0\.01/);
    const alphaDef = await client.request("textDocument/definition", uri, positionOf(text, "LeakyRelu(conv: Conv(x, W, b?)) { alpha", 37));
    assert.is(alphaDef.uri, pathToFileURL(DIALECT).href);

    const imported = await client.request("textDocument/definition", uri, positionOf(text, 'import "../', 10));
    assert.is(imported.uri, pathToFileURL(DIALECT).href);

    const symbols = await client.request<any[]>("textDocument/documentSymbol", uri);
    assert.ok(symbols.some((s) => s.name === "FoldMulIntoConv"));
    assert.ok(symbols.some((s) => s.name === "FuseActivationIntoConv" && /family/.test(s.detail)));

  } finally {
    await client.stop();
  }
});

test("response times on rules/onnx.rules (printed for the record, never asserted)", async () => {
  const client = await Client.start();
  const uri = pathToFileURL(PACK).href;
  const text = readFileSync(PACK, "utf8");
  try {
    await client.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "fusec-rules", version: 1, text } });
    assert.equal(await client.diagnosticsFor(uri, 1), []);
    // The first op reference to Conv in a rule.
    const convAt = positionAt(text, text.indexOf("Conv(", text.indexOf("\nrule ")) + 1);
    const hover = await client.request("textDocument/hover", uri, convAt);
    assert.match(hover.contents.value, /op Conv\(/);
    const times: Record<string, number> = {};
    const time = async (name: string, run: () => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await run();
        samples.push(performance.now() - start);
      }
      times[name] = samples.sort((a, b) => a - b)[2]!;
    };
    await time("hover", () => client.request("textDocument/hover", uri, convAt));
    await time("definition", () => client.request("textDocument/definition", uri, convAt));
    await time("completion", () => client.request("textDocument/completion", uri, convAt));
    await time("documentSymbol", () => client.request("textDocument/documentSymbol", uri));
    let version = 1;
    await time("edit → diagnostics", async () => {
      version++;
      await client.rpc.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text: `${text}\n` }] });
      await client.diagnosticsFor(uri, version);
    });
    console.log(`  lsp on rules/onnx.rules (median of 5, ms): ${Object.entries(times).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}`);
  } finally {
    await client.stop();
  }
});

test("completion offers ops, built-ins, attribute names and attribute values", async () => {
  const client = await Client.start();
  const path = join(tmp, "complete.rules");
  const uri = pathToFileURL(path).href;
  const text = `import "${DIALECT}"

rule R:
  Relu(conv: Conv(x, W) { gr, auto_pad: })
  where hasO
  => conv
`;
  try {
    await client.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "fusec-rules", version: 1, text } });
    const labels = async (needle: string, delta: number) =>
      ((await client.request<any[]>("textDocument/completion", uri, positionOf(text, needle, delta))) ?? []).map((i) => i.label);
    const general = await labels("where hasO", 10);
    assert.ok(general.includes("hasOneUse") && general.includes("channelwise"), "built-ins");
    assert.ok(general.includes("Conv") && general.includes("MatMul") && general.includes("FusedConv"), "op names");
    assert.ok(general.includes("conv") && general.includes("x"), "the rule's bindings");
    const attrs = await labels("{ gr", 4);
    assert.ok(attrs.includes("group") && attrs.includes("pads") && attrs.includes("dilations"), JSON.stringify(attrs));
    assert.not.ok(attrs.includes("Conv"));
    const values = await labels("auto_pad: ", 10);
    assert.equal(values, ['"NOTSET"', '"SAME_UPPER"', '"SAME_LOWER"', '"VALID"']);
  } finally {
    await client.stop();
  }
});

test("hover and definition on a named pattern's use land on its declaration; an extern predicate's on its declaration", async () => {
  const client = await Client.start();
  const uri = pathToFileURL(join(tmp, "named.rules")).href;
  writeFileSync(join(tmp, "small.ts"), "export function isSmall(): boolean { return true; }\n");
  const text = `import "${DIALECT}"

extern pred isSmall(v: value) from "./small.ts"

/// relu6, spelled two ways.
pattern Relu6Of(x) =
    Clip(x, 0.0, 6.0)
  | Min(m: Max(x, 0.0), 6.0) where hasOneUse(m)

rule DropDoubleRelu:
  Relu(r: Relu6Of(_))
  where hasOneUse(r) && isSmall(r)
  => r
`;
  try {
    await client.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "fusec-rules", version: 1, text } });
    assert.equal(await client.diagnosticsFor(uri, 1), []);
    const use = positionOf(text, "Relu6Of(_)", 3);
    const hover = await client.request("textDocument/hover", uri, use);
    assert.match(hover.contents.value, /pattern Relu6Of\(x\) =/);
    assert.match(hover.contents.value, /relu6, spelled two ways/);
    const def = await client.request("textDocument/definition", uri, use);
    assert.equal(def.range.start, positionOf(text, "Relu6Of(x)"));
    const clip = await client.request("textDocument/definition", uri, positionOf(text, "Clip(", 1));
    assert.is(clip.uri, pathToFileURL(DIALECT).href);
    const extern = await client.request("textDocument/definition", uri, positionOf(text, "isSmall(r)", 2));
    assert.equal(extern.range.start, positionOf(text, "extern pred isSmall"));
    const symbols = await client.request<any[]>("textDocument/documentSymbol", uri);
    assert.equal(symbols.map((s) => s.name), ["isSmall", "Relu6Of", "DropDoubleRelu"]);
  } finally {
    await client.stop();
  }
});

test("an unsaved edit to an imported dialect re-checks the rules that import it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fusec-lsp-import-"));
  const dialectText = `dialect mine {\n  op Scale(x) { factor: float = 1.0 }\n  op Shift(x)\n}\n`;
  const rulesText = `import "mine.rules"\n\nrule DropScale:\n  Scale(x) { factor: 1.0 }\n  => x\n`;
  writeFileSync(join(dir, "mine.rules"), dialectText);
  writeFileSync(join(dir, "drop.rules"), rulesText);
  const dialectUri = pathToFileURL(join(dir, "mine.rules")).href;
  const rulesUri = pathToFileURL(join(dir, "drop.rules")).href;
  const client = await Client.start();
  try {
    await client.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri: rulesUri, languageId: "fusec-rules", version: 1, text: rulesText } });
    assert.equal(await client.diagnosticsFor(rulesUri, 1), []);
    await client.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri: dialectUri, languageId: "fusec-rules", version: 1, text: dialectText } });
    await client.diagnosticsFor(dialectUri, 1);
    const next = client.nextDiagnostics(rulesUri);
    await client.rpc.sendNotification("textDocument/didChange", {
      textDocument: { uri: dialectUri, version: 2 },
      contentChanges: [{ text: dialectText.replace("op Scale", "op Rescale") }],
    });
    const got = await next;
    assert.equal(got.map((d: any) => [d.code, d.range.start.line, d.range.start.character]), [["unknown-op", 3, 2]]);
  } finally {
    await client.stop();
  }
});

test("diagnostics in an imported file that is not open are published for that file, as fusec check prints them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fusec-lsp-closed-"));
  writeFileSync(join(dir, "bad.rules"), "dialect bad {\n  op A(x\n}\n");
  const text = `import "bad.rules"\n`;
  writeFileSync(join(dir, "user.rules"), text);
  const expected = checkOutput(join(dir, "user.rules"));
  assert.ok(expected.length > 0);
  const client = await Client.start();
  const badUri = pathToFileURL(join(dir, "bad.rules")).href;
  try {
    const published = client.nextDiagnostics(badUri);
    await client.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri: pathToFileURL(join(dir, "user.rules")).href, languageId: "fusec-rules", version: 1, text } });
    const got = await published;
    assert.equal(
      got.map((d: any) => [d.range.start.line + 1, d.range.start.character + 1, d.code, d.message]),
      expected.map((d) => [d.line, d.column, d.code, d.message]),
    );
  } finally {
    await client.stop();
  }
});

test.run();
