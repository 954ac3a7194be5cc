/**
 * The VS Code extension's static parts agree with the language: its TextMate grammar highlights
 * every keyword the lexer knows, and its manifest points at files that exist.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as tokens from "../../grammar/tokens.js";

const DIR = "editors/vscode";
const manifest = JSON.parse(readFileSync(join(DIR, "package.json"), "utf8"));

test("the TextMate grammar highlights every keyword of the lexer", () => {
  const grammar = readFileSync(join(DIR, manifest.contributes.grammars[0].path), "utf8");
  const rules = JSON.parse(grammar);
  const keywordPatterns = rules.repository.keywords.patterns.map((p: { match: string }) => new RegExp(p.match));
  const keywords = tokens.allTokens
    .filter((t) => typeof t.PATTERN === "string" && /^[a-z]+$/.test(t.PATTERN))
    .map((t) => t.PATTERN as string);
  assert.ok(keywords.length >= 15, keywords.join(" "));
  for (const word of keywords) assert.ok(keywordPatterns.some((re: RegExp) => re.test(word)), `keyword "${word}" is not highlighted`);
});

test("the manifest's language, grammar and entry point exist and match", () => {
  const language = manifest.contributes.languages[0];
  assert.equal(language.extensions, [".rules"]);
  assert.ok(existsSync(join(DIR, language.configuration)));
  assert.is(manifest.contributes.grammars[0].language, language.id);
  assert.ok(existsSync(join(DIR, manifest.main)));
  assert.match(readFileSync(join(DIR, manifest.main), "utf8"), new RegExp(`language: "${language.id}"`));
  assert.match(manifest.scripts.package, /^vsce package/);
  const syntax = spawnSync(process.execPath, ["--check", join(DIR, manifest.main)], { encoding: "utf8" });
  assert.is(syntax.status, 0, syntax.stderr);
  assert.match(readFileSync(join(DIR, manifest.main), "utf8"), /args: \[[^\]]*"lsp"/, "it starts fusec lsp");
});

test.run();
