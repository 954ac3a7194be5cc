/**
 * What the language server answers, computed from one document's analysis (workspace.ts) and a
 * character offset in it: hover, go-to-definition, completion and document symbols. Everything
 * here reads the compiler's AST and resolved program; nothing re-parses.
 */
import { readFileSync } from "node:fs";
import * as nodePath from "node:path";
import { pathToFileURL } from "node:url";
import {
  CompletionItemKind,
  MarkupKind,
  SymbolKind,
  type CompletionItem,
  type DocumentSymbol,
  type Hover,
  type Location,
  type Range,
} from "vscode-languageserver";
import { allTokens } from "../../grammar/tokens.js";
import type { AttrDecl, AttrType, FamilyDecl, Ident, Literal, OpDecl, OpPattern, OpRef, PatternDecl, Rule, Span } from "../compiler/ast.js";
import { builtinNames, lookupBuiltin, type BuiltinSignature } from "../compiler/builtins.js";
import { allOpRefs, forEachExpr, opPatterns, resultOps, type Binding } from "../compiler/program.js";
import type { Analysis } from "./workspace.js";

// ── positions ────────────────────────────────────────────────────────────────────────────────

export function uriOf(path: string): string {
  return pathToFileURL(nodePath.resolve(path)).href;
}

/** A compiler span as an LSP range (spans count lines and columns from 1, LSP from 0). */
export function rangeOf(span: Span): Range {
  return {
    start: { line: span.start.line - 1, character: span.start.column - 1 },
    end: { line: span.end.line - 1, character: span.end.column - 1 },
  };
}

function locationOf(span: Span): Location {
  return { uri: uriOf(span.file), range: rangeOf(span) };
}

function contains(span: Span, offset: number): boolean {
  return span.start.offset <= offset && offset <= span.end.offset;
}

/** The identifier the cursor is on or just after. */
function wordAt(text: string, offset: number): { word: string; start: number; end: number } | undefined {
  let start = offset;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1]!)) start--;
  let end = offset;
  while (end < text.length && /[A-Za-z0-9_]/.test(text[end]!)) end++;
  if (start === end || !/[A-Za-z_]/.test(text[start]!)) return undefined;
  return { word: text.slice(start, end), start, end };
}

function sameFile(a: string, b: string): boolean {
  return nodePath.resolve(a) === nodePath.resolve(b);
}

// ── what is under the cursor ─────────────────────────────────────────────────────────────────

type Target =
  | { kind: "op"; op: OpDecl }
  | { kind: "builtin"; builtin: BuiltinSignature }
  | { kind: "extern"; name: string; span: Span; params: string }
  | { kind: "rule"; rule: Rule }
  | { kind: "import"; path: string }
  | { kind: "family"; name: string; values: string[]; header: Span }
  | { kind: "pattern"; pattern: PatternDecl }
  | { kind: "binding"; binding: Binding }
  | { kind: "attr"; op: OpDecl; attr: AttrDecl };

function targetAt(analysis: Analysis, offset: number): Target | undefined {
  const { file, program, text } = analysis;
  if (!file) return undefined;
  const word = wordAt(text, offset);
  for (const imp of file.imports) {
    if (contains(imp.span, offset)) return { kind: "import", path: nodePath.resolve(nodePath.dirname(file.path), imp.path) };
  }
  const family = file.declared.find((d): d is FamilyDecl => d.kind === "Family" && contains(d.span, offset));
  const variable = family && word ? family.variables.findIndex((v) => v.name === word.word) : -1;
  if (family && variable >= 0) {
    const values = family.iterations.map((it) => it.values[variable]?.text ?? "?");
    return { kind: "family", name: word!.word, values, header: family.variables[variable]!.span };
  }
  const named = namedPatternAt(analysis, offset);
  if (named) return { kind: "pattern", pattern: named };
  const rule = file.rules.find((r) => contains(r.span, offset));
  if (rule) {
    if (contains(rule.nameSpan, offset)) return { kind: "rule", rule };
    const ref = allOpRefs(rule).find((r) => contains(r.span, offset));
    if (ref) {
      const op = program.ops.resolve(ref);
      if (op) return { kind: "op", op };
    }
    const attr = attributeAt(analysis, rule, offset);
    if (attr) return attr;
    let call: Target | undefined;
    forEachExpr(rule, (expr) => {
      if (call || expr.kind !== "Call" || !contains(expr.callee.span, offset)) return;
      const builtin = lookupBuiltin(expr.callee.name);
      const extern = program.externs.get(expr.callee.name);
      if (builtin) call = { kind: "builtin", builtin };
      else if (extern) call = { kind: "extern", name: extern.name, span: extern.span, params: extern.params.map((p) => `${p.name}: ${p.type}`).join(", ") };
    });
    if (call) return call;
    const scope = program.scopes.get(rule);
    if (scope && word) {
      for (const [ident, binding] of scope.references) if (contains(ident.span, offset)) return { kind: "binding", binding };
      const binding = scope.bindings.get(word.word);
      if (binding && binding.kind !== "loop") return { kind: "binding", binding };
    }
    return undefined;
  }
  for (const p of file.patterns) {
    const ref = p.alternatives.flatMap((alt) => opPatterns(alt.pattern).map((o) => o.op)).find((r) => contains(r.span, offset));
    const op = ref && program.ops.resolve(ref);
    if (op) return { kind: "op", op };
  }
  for (const dialect of file.dialects) {
    for (const op of dialect.ops) if (contains(op.span, offset) && word?.word === op.name) return { kind: "op", op };
  }
  for (const extern of file.externs) {
    if (contains(extern.span, offset)) return { kind: "extern", name: extern.name, span: extern.span, params: extern.params.map((p) => `${p.name}: ${p.type}`).join(", ") };
  }
  return undefined;
}

/** The declaration of the attribute name under the cursor in a pattern's or a result's attribute block. */
function attributeAt(analysis: Analysis, rule: Rule, offset: number): Target | undefined {
  const named: { op: OpRef; names: Ident[] }[] = [
    ...opPatterns(rule.pattern).map((p) => ({ op: p.op, names: p.attrs.map((a) => a.name) })),
    ...resultOps(rule.result).map((r) => ({ op: r.op, names: r.attrs.flatMap((a) => (a.name ? [a.name] : [])) })),
  ];
  for (const { op: ref, names } of named) {
    const name = names.find((n) => contains(n.span, offset));
    const op = name && analysis.program.ops.resolve(ref);
    const attr = op && op.attrs.find((a) => a.name === name.name);
    if (op && attr) return { kind: "attr", op, attr };
  }
  return undefined;
}

/** The named pattern whose name is under the cursor: at its declaration or at a use in a rule or another pattern. */
function namedPatternAt(analysis: Analysis, offset: number): PatternDecl | undefined {
  const { file, program } = analysis;
  if (!file) return undefined;
  const patterns = new Map(program.files.flatMap((f) => f.patterns).map((p) => [p.name.name, p] as const));
  if (patterns.size === 0) return undefined;
  for (const p of file.patterns) if (contains(p.name.span, offset)) return p;
  const written: OpPattern[] = [];
  for (const d of file.declared) for (const rule of d.kind === "Family" ? d.rules : [d]) written.push(...opPatterns(rule.pattern));
  for (const p of file.patterns) for (const alt of p.alternatives) written.push(...opPatterns(alt.pattern));
  const use = written.find((p) => p.op.dialect === undefined && patterns.has(p.op.name) && contains(p.op.span, offset));
  return use ? patterns.get(use.op.name) : undefined;
}

// ── hover ────────────────────────────────────────────────────────────────────────────────────

export function hover(analysis: Analysis, offset: number): Hover | null {
  const target = targetAt(analysis, offset);
  if (!target) return null;
  const md = (parts: (string | undefined)[]) => ({ contents: { kind: MarkupKind.Markdown, value: parts.filter((p) => p).join("\n\n") } });
  switch (target.kind) {
    case "op":
      return md([fence(declarationText(analysis, target.op)), `dialect \`${target.op.dialect}\`${target.op.domain ? `, domain \`${target.op.domain}\`` : ""}`, target.op.doc]);
    case "builtin":
      return md([fence(signature(target.builtin)), target.builtin.doc]);
    case "extern":
      return md([fence(`extern pred ${target.name}(${target.params})`)]);
    case "rule":
      return md([fence(`rule ${target.rule.family?.name ?? target.rule.name}`), target.rule.doc ?? "(no doc comment)", fence(`${target.rule.matchText}\n=> ${target.rule.resultText}`)]);
    case "import":
      return md([`imports \`${target.path}\``]);
    case "family":
      return md([fence(`for ${target.name} in [${target.values.join(", ")}]`), `family variable \`${target.name}\``]);
    case "pattern":
      return md([fence(sourceText(analysis, target.pattern.span) ?? `pattern ${target.pattern.name.name}`), target.pattern.doc]);
    case "binding":
      return md([fence(`${target.binding.name}: ${bindingKind(target.binding)}`)]);
    case "attr":
      return md([fence(`${target.attr.name}: ${attrTypeText(target.attr.type)}${target.attr.default ? ` = ${literalText(target.attr.default)}` : " (required)"}`), `attribute of \`${target.op.dialect}.${target.op.name}\``]);
  }
}

function fence(code: string): string {
  return "```fusec\n" + code + "\n```";
}

/** The op's declaration as written in its dialect file. */
function declarationText(analysis: Analysis, op: OpDecl): string {
  return sourceText(analysis, op.span) ?? `op ${op.name}(${op.operands.map((o) => o.name).join(", ")})`;
}

function sourceText(analysis: Analysis, span: Span): string | undefined {
  const file = analysis.program.files.find((f) => sameFile(f.path, span.file));
  const source = file?.source ?? readSource(span.file);
  return source?.slice(span.start.offset, span.end.offset);
}

function readSource(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function signature(b: BuiltinSignature): string {
  const params = b.params.map((p, i) => (i >= b.minArgs ? `${p}?` : p));
  return `${b.name}(${params.join(", ")}) -> ${b.returns}`;
}

function bindingKind(b: Binding): string {
  switch (b.kind) {
    case "value":
      return b.optional ? "value (may be absent)" : "value";
    case "const":
      return b.optional ? "constant (may be absent)" : "constant";
    case "node":
      return `node ${b.op?.name ?? b.pattern.op.name}`;
    case "attr":
      return `attribute ${b.attr}${b.type ? ` (${attrTypeText(b.type)})` : ""}`;
    case "let":
      return "let";
    case "loop":
      return `family variable = ${b.value}`;
  }
}

function attrTypeText(type: AttrType): string {
  switch (type.kind) {
    case "ints":
      return "int[]";
    case "floats":
      return "float[]";
    case "strings":
      return "string[]";
    case "enum":
      return `enum(${type.values.join(", ")})`;
    default:
      return type.kind;
  }
}

// ── definition ───────────────────────────────────────────────────────────────────────────────

export function definition(analysis: Analysis, offset: number): Location | null {
  const target = targetAt(analysis, offset);
  if (!target) return null;
  switch (target.kind) {
    case "op":
      return locationOf(target.op.span);
    case "extern":
      return locationOf(target.span);
    case "rule":
      return locationOf(target.rule.nameSpan);
    case "import":
      return { uri: uriOf(target.path), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
    case "family":
      return locationOf(target.header);
    case "pattern":
      return locationOf(target.pattern.name.span);
    case "binding":
      return locationOf(target.binding.span);
    case "attr":
      return locationOf(target.attr.span);
    case "builtin":
      return null;
  }
}

// ── completion ───────────────────────────────────────────────────────────────────────────────

/** The lexer's keywords. */
const KEYWORDS = allTokens.flatMap((t) => (typeof t.PATTERN === "string" && /^[a-z]+$/.test(t.PATTERN) ? [t.PATTERN] : []));

export function completion(analysis: Analysis, offset: number): CompletionItem[] {
  const { text, program } = analysis;
  const block = attributeBlock(text, offset);
  if (block) {
    const op = program.ops.resolve({ name: block.op, ...(block.dialect ? { dialect: block.dialect } : {}), span: noSpan(analysis.path) });
    if (!op) return [];
    if (block.attr !== undefined) {
      const decl = op.attrs.find((a) => a.name === block.attr);
      return decl ? attributeValues(decl, block.inResult) : [];
    }
    return op.attrs.map((a) => ({
      label: a.name,
      kind: CompletionItemKind.Property,
      detail: `${attrTypeText(a.type)}${a.default ? ` = ${literalText(a.default)}` : " (required)"}`,
      insertText: `${a.name}: `,
    }));
  }
  const qualified = /([A-Za-z_]\w*)\.([A-Za-z_]\w*)?$/.exec(text.slice(Math.max(0, offset - 200), offset));
  const ops = program.ops.all().filter((op) => !qualified || op.dialect === qualified[1]);
  const items: CompletionItem[] = ops.map((op) => ({
    label: op.name,
    kind: CompletionItemKind.Class,
    detail: `${op.dialect}: ${op.name}(${op.operands.map((o) => o.name + (o.arity === "optional" ? "?" : o.arity === "variadic" ? "..." : "")).join(", ")})`,
    ...(op.doc ? { documentation: op.doc } : {}),
  }));
  if (qualified) return items;
  for (const name of builtinNames()) {
    const b = lookupBuiltin(name)!;
    items.push({ label: name, kind: CompletionItemKind.Function, detail: signature(b), documentation: b.doc });
  }
  for (const name of program.externs.keys()) items.push({ label: name, kind: CompletionItemKind.Function, detail: "extern pred" });
  for (const word of KEYWORDS) items.push({ label: word, kind: CompletionItemKind.Keyword });
  const rule = analysis.file?.rules.find((r) => contains(r.span, offset));
  const scope = rule ? program.scopes.get(rule) : undefined;
  for (const b of scope?.bindings.values() ?? []) items.push({ label: b.name, kind: CompletionItemKind.Variable, detail: bindingKind(b) });
  return items;
}

function attributeValues(decl: AttrDecl, inResult: boolean): CompletionItem[] {
  const values: string[] = [];
  if (decl.type.kind === "enum") values.push(...decl.type.values.map((v) => `"${v}"`));
  if (decl.default && decl.type.kind !== "enum") values.push(literalText(decl.default));
  if (decl.type.kind === "int" && values.length === 0) values.push("0", "1");
  return values.map((v, i) => ({
    label: v,
    kind: decl.type.kind === "enum" ? CompletionItemKind.EnumMember : CompletionItemKind.Value,
    detail: `${decl.name}: ${attrTypeText(decl.type)}${inResult ? "" : " (pattern: must equal)"}`,
    sortText: String(i).padStart(3, "0"),
  }));
}

function literalText(l: Literal): string {
  switch (l.kind) {
    case "String":
      return `"${l.value}"`;
    case "List":
      return `[${l.items.map(literalText).join(", ")}]`;
    default:
      return String(l.value);
  }
}

function noSpan(file: string): Span {
  const at = { offset: 0, line: 1, column: 1 };
  return { file, start: at, end: at };
}

/**
 * When the cursor is inside an op's attribute block (`Conv(x, W) { group: 1, | }` in a pattern
 * or a result): the op, and the attribute whose value is being typed, if any.
 */
function attributeBlock(text: string, offset: number): { op: string; dialect?: string; attr?: string; inResult: boolean } | undefined {
  let depth = 0;
  let open = -1;
  for (let i = offset - 1; i >= 0; i--) {
    const c = text[i];
    if (c === "}") depth++;
    else if (c === "{") {
      if (depth === 0) {
        open = i;
        break;
      }
      depth--;
    } else if (c === "\n" && /^\s*(rule|dialect|for)\b/.test(text.slice(i + 1))) return undefined;
  }
  if (open < 0) return undefined;
  let i = open - 1;
  while (i >= 0 && /\s/.test(text[i]!)) i--;
  if (text[i] !== ")") return undefined;
  let parens = 0;
  for (; i >= 0; i--) {
    if (text[i] === ")") parens++;
    else if (text[i] === "(" && --parens === 0) break;
  }
  const head = /(?:(\bop|commutative)\s+)?(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)\s*$/.exec(text.slice(Math.max(0, i - 200), i));
  if (!head || head[1]) return undefined;
  const inResult = text.lastIndexOf("=>", open) > text.lastIndexOf("rule", open);
  const segment = text.slice(open + 1, offset).split(/[,;\n]/).pop() ?? "";
  const value = /^\s*([A-Za-z_]\w*)\s*:\s*"?[A-Za-z0-9_]*$/.exec(segment);
  return { op: head[3]!, ...(head[2] ? { dialect: head[2] } : {}), ...(value ? { attr: value[1]! } : {}), inResult };
}

// ── document symbols ─────────────────────────────────────────────────────────────────────────

export function documentSymbols(analysis: Analysis): DocumentSymbol[] {
  const file = analysis.file;
  if (!file) return [];
  const symbol = (name: string, kind: SymbolKind, span: Span, detail?: string, children?: DocumentSymbol[]): DocumentSymbol => ({
    name,
    kind,
    range: rangeOf(span),
    selectionRange: rangeOf(span),
    ...(detail ? { detail } : {}),
    ...(children ? { children } : {}),
  });
  const symbols: DocumentSymbol[] = [];
  for (const d of file.dialects) {
    symbols.push(symbol(d.name, SymbolKind.Namespace, d.span, "dialect", d.ops.map((op) => symbol(op.name, SymbolKind.Class, op.span, op.domain ? `op, domain ${op.domain}` : "op"))));
  }
  for (const e of file.externs) symbols.push(symbol(e.name, SymbolKind.Function, e.span, "extern pred"));
  for (const p of file.patterns) symbols.push({ ...symbol(p.name.name, SymbolKind.Interface, p.span, `pattern, ${p.alternatives.length} alternative(s)`), selectionRange: rangeOf(p.name.span) });
  const ruleSymbol = (r: Rule, detail: string) => ({ ...symbol(r.name, SymbolKind.Function, r.span, detail), selectionRange: rangeOf(r.nameSpan) });
  for (const d of file.declared) {
    if (d.kind === "Family") for (const r of d.rules) symbols.push(ruleSymbol(r, `rule family of ${d.iterations.length}`));
    else symbols.push(ruleSymbol(d, "rule"));
  }
  return symbols;
}
