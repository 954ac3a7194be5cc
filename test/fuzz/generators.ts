/**
 * fast-check generators for the fuzzer: rules files written from the grammar (grammar/README.md),
 * byte mutations of the shipped packs and dialects, mutated ONNX bytes (encoded from the JSON
 * fixtures) and mutated JSON graphs (structure and text).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { encodeOnnx } from "../../src/onnx/index.js";
import { graphFromJSON } from "../../src/runtime/json.js";
import "../../src/kernels/index.js";

const ROOT = resolve(import.meta.dirname, "../..");

// ── rules files from the grammar ─────────────────────────────────────────────────────────────

const OPS = ["Conv", "Relu", "Add", "Mul", "Sub", "Div", "Clip", "Sigmoid", "Tanh", "MatMul", "Gemm", "Transpose", "Reshape", "Identity", "Neg", "BatchNormalization", "Nope"];
const ATTRS = ["group", "pads", "strides", "alpha", "beta", "axis", "perm", "auto_pad", "dilations", "zzz"];
const FUNCS = ["hasOneUse", "useCount", "rank", "isConst", "shape", "dim", "numel", "abs", "min", "max", "sqrt", "zzz"];
/** Names chosen to break generated code: keywords, names generated code uses, injections. */
const NASTY_NAMES = ["if", "class", "default", "enum", "await", "yield", "static", "implements", "rw", "root", "T", "matchConv", "constructor", "__proto__", "x"];
const NASTY_STRINGS = ["x\u2028process.exit(7)//", "*/ process.exit(7) /*", "\\u2028", "a\"b", "\u202e", "\r", "${x}", "`", "\\\\"];

const name = fc.oneof(
  fc.constantFrom(...NASTY_NAMES),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/),
);
const opName = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...OPS) }, { weight: 1, arbitrary: name });
const number = fc.oneof(
  fc.integer({ min: -5, max: 100 }).map(String),
  fc.constantFrom("0.5", "1e309", "9007199254740993", "1e-400", "3", "0"),
);
const stringLit = fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ maxLength: 6 })).map((s) => JSON.stringify(s));
const literal: fc.Arbitrary<string> = fc.letrec<{ lit: string }>((tie) => ({
  lit: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    number,
    stringLit,
    fc.constantFrom("true", "false"),
    name,
    fc.array(tie("lit"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
  ),
})).lit;

const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    number,
    stringLit,
    name,
    fc.constantFrom("true", "false"),
    fc.tuple(tie("e"), fc.constantFrom("+", "-", "*", "/", "==", "!=", "<", "<=", "&&", "||", "??"), tie("e")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(fc.constantFrom("-", "!"), tie("e")).map(([op, a]) => `${op}${a}`),
    tie("e").map((a) => `(${a})`),
    fc.tuple(tie("e"), tie("e")).map(([a, i]) => `${a}[${i}]`),
    fc.tuple(fc.oneof(fc.constantFrom(...FUNCS), opName), fc.array(tie("e"), { maxLength: 3 })).map(([f, args]) => `${f}(${args.join(", ")})`),
    fc.tuple(opName, fc.array(tie("e"), { maxLength: 3 }), fc.array(fc.tuple(fc.constantFrom(...ATTRS), tie("e")), { maxLength: 2 })).map(
      ([op, args, attrs]) => `${op}(${args.join(", ")})${attrs.length ? ` { ${attrs.map(([k, v]) => `${k}: ${v}`).join(", ")} }` : ""}`,
    ),
    fc.array(tie("e"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
    fc.tuple(name, fc.nat(3)).map(([n, a]) => `${n}@${a}`),
  ),
})).e;

const pattern: fc.Arbitrary<string> = fc.letrec<{ p: string }>((tie) => ({
  p: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    name,
    name.map((n) => `${n}?`),
    name.map((n) => `${n}: const`),
    fc.constant("_"),
    number,
    fc.tuple(
      fc.option(name, { nil: undefined }),
      opName,
      fc.array(tie("p"), { maxLength: 3 }),
      fc.array(fc.tuple(fc.constantFrom(...ATTRS), fc.oneof(literal, name)), { maxLength: 2 }),
    ).map(([bind, op, args, attrs]) => {
      const head = bind ? `${bind}: ${op}` : op;
      return `${head}(${args.join(", ")})${attrs.length ? ` { ${attrs.map(([k, v]) => `${k}: ${v}`).join(", ")} }` : ""}`;
    }),
  ),
})).p;

const ruleDecl = fc
  .tuple(name, fc.option(number, { nil: undefined }), pattern, fc.option(expression, { nil: undefined }), fc.array(fc.tuple(name, expression), { maxLength: 2 }), expression)
  .map(([n, priority, p, where, lets, result]) => {
    let s = `rule ${n}${priority !== undefined ? ` priority ${priority}` : ""}: ${p}`;
    if (where !== undefined) s += `\n  where ${where}`;
    for (const [ln, le] of lets) s += `\n  let ${ln} = ${le}`;
    return `${s}\n  => ${result}\n`;
  });

const familyValue = fc.oneof(opName, number, stringLit, fc.constantFrom("true", "false"), fc.tuple(name, name).map(([a, b]) => `${a}.${b}`));
const familyDecl = fc
  .tuple(fc.array(name, { minLength: 1, maxLength: 2 }), fc.array(fc.array(familyValue, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }), fc.array(ruleDecl, { minLength: 1, maxLength: 2 }))
  .map(([vars, items, rules]) => {
    const head = vars.length === 1 ? vars[0]! : `(${vars.join(", ")})`;
    const list = items.map((i) => (i.length === 1 ? i[0]! : `(${i.join(", ")})`)).join(", ");
    return `for ${head} in [${list}] {\n${rules.join("\n")}}\n`;
  });

const typeRef = fc.oneof(fc.constantFrom("int", "float", "string", "int[]", "float[]", "tensor", "bool", "value", "node", "string[]", "enum(A, B)"), name);
const opDecl = fc
  .tuple(fc.boolean(), name, fc.array(fc.tuple(name, fc.constantFrom("", "?", "...")), { maxLength: 3 }), fc.option(stringLit, { nil: undefined }), fc.array(fc.tuple(name, typeRef, fc.option(literal, { nil: undefined })), { maxLength: 2 }))
  .map(([comm, n, operands, domain, attrs]) => {
    let s = `${comm ? "commutative " : ""}op ${n}(${operands.map(([o, m]) => o + m).join(", ")})`;
    if (domain !== undefined) s += ` domain ${domain}`;
    if (attrs.length) s += ` { ${attrs.map(([a, t, d]) => `${a}: ${t}${d !== undefined ? ` = ${d}` : ""}`).join(", ")} }`;
    return s;
  });
const dialectDecl = fc.tuple(name, fc.array(opDecl, { maxLength: 3 })).map(([n, ops]) => `dialect ${n} {\n  ${ops.join("\n  ")}\n}\n`);
const externDecl = fc
  .tuple(name, fc.array(fc.tuple(name, typeRef), { maxLength: 3 }), fc.oneof(stringLit, fc.constantFrom('"./p.ts"', '"*/x.ts"', '"a\\"b.ts"')))
  .map(([n, params, from]) => `extern pred ${n}(${params.map(([p, t]) => `${p}: ${t}`).join(", ")}) from ${from}\n`);

// ── rules that usually check clean, with hostile names and strings ──────────────────────────

const UNARY_OPS = ["Relu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Identity", "Abs", "Neg"];
const BINARY_OPS = ["Add", "Sub", "Mul", "Div"];
const VARS = ["x", "y", "z"];

/** A pattern over known ops binding some of x, y, z; `depth` limits nesting. */
const typedPattern: fc.Arbitrary<string> = fc.letrec<{ p: string }>((tie) => ({
  p: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...VARS),
    fc.tuple(fc.constantFrom(...UNARY_OPS), tie("p")).map(([op, a]) => `${op}(${a})`),
    fc.tuple(fc.constantFrom(...BINARY_OPS), tie("p"), tie("p")).map(([op, a, b]) => `${op}(${a}, ${b})`),
    fc.tuple(fc.constantFrom(...NASTY_NAMES.filter((n) => /^[a-z]/.test(n))), fc.constantFrom(...UNARY_OPS), fc.constantFrom(...VARS)).map(([b, op, v]) => `${b}_n: ${op}(${v})`),
  ),
})).p;

const condition = fc.oneof(
  fc.constantFrom(...VARS).map((v) => `hasOneUse(${v})`),
  fc.tuple(fc.constantFrom(...VARS), fc.nat(4)).map(([v, n]) => `rank(${v}) == ${n}`),
  fc.tuple(fc.constantFrom(...VARS), fc.nat(3)).map(([v, n]) => `useCount(${v}) <= ${n}`),
);

/** A rule whose pattern binds `x` at least: results read only variables the pattern binds. */
const typedRule = fc.tuple(fc.oneof(fc.constantFrom(...NASTY_NAMES), name), typedPattern, fc.option(condition, { nil: undefined }), fc.nat(3), fc.constantFrom(...UNARY_OPS)).map(([n, p, where, shape, op]) => {
  const bound = VARS.filter((v) => new RegExp(`\\b${v}\\b`).test(p));
  const v = bound[0] ?? "x";
  const pattern = bound.length === 0 ? `Relu(${p.includes("(") ? p : "x"})` : p;
  const usable = where && bound.every((b) => where.includes(b) || true) && VARS.some((x) => where.includes(x) && bound.includes(x)) ? where : undefined;
  const result = shape === 0 ? v : `${op}(${v})`;
  return `rule ${n}: ${pattern}${usable ? ` where ${usable}` : ""} => ${result}\n`;
});

/** A family of typed rules over hostile strings (the comment-injection case and its cousins). */
const typedFamily = fc.tuple(fc.array(fc.tuple(fc.constantFrom(...UNARY_OPS), stringLit), { minLength: 1, maxLength: 3 }), fc.oneof(fc.constantFrom(...NASTY_NAMES), name)).map(
  ([items, n]) => `for (act, label) in [${items.map(([op, str]) => `(${op}, ${str})`).join(", ")}] {\n  rule ${n}: act(x) where hasOneUse(x) => x\n}\n`,
);

export const typedRulesFile: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.oneof({ weight: 4, arbitrary: typedRule }, { weight: 1, arbitrary: typedFamily }), { minLength: 1, maxLength: 4 }), fc.constantFrom("\n", "\r\n", "\r", "\u2028", "\u2029"))
  .map(([rules, newline]) => `import "dialects/onnx.rules"\n${rules.join("\n")}`.replace(/\n/g, newline));

/** A whole rules file from the grammar: usually importing the ONNX dialect, often valid. */
export const grammarRulesFile: fc.Arbitrary<string> = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.oneof({ weight: 5, arbitrary: ruleDecl }, { weight: 1, arbitrary: familyDecl }, { weight: 1, arbitrary: dialectDecl }, { weight: 1, arbitrary: externDecl }), { minLength: 1, maxLength: 4 }),
    fc.constantFrom("\n", "\r\n", "\r", "\u2028", "\u2029"),
  )
  .map(([imports, decls, newline]) => {
    const text = `${imports ? 'import "dialects/onnx.rules"\n' : ""}${decls.join("\n")}`;
    return newline === "\n" ? text : text.replace(/\n/g, newline);
  });

// ── byte mutations of text ──────────────────────────────────────────────────────────────────

const TEXT_PAYLOADS = [
  "(".repeat(400),
  ")",
  "[",
  "]",
  "{",
  "}",
  '"',
  "*/",
  "/*",
  "//",
  "\u2028",
  "\u2029",
  "\r",
  "\n",
  "\u0000",
  "\uFEFF",
  "\uD800",
  "a".repeat(20_000),
  "-".repeat(3000),
  "1e309",
  "99999999999999999999",
  " rule R: Relu(x) => x ",
  "for (a, b) in [(Relu, \"x\\u2028y\")] { rule F: a(x) => x }",
  "import \"/dev/zero\"",
  "import \"../../../../etc/passwd\"",
  "extern pred p(conv: , x: int) from \"./p.ts\"",
  "op Foo(X) { a: }",
];

export type TextMutation = [kind: number, at: number, length: number, payload: number];

const textMutation: fc.Arbitrary<TextMutation> = fc.tuple(fc.nat(5), fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(200), fc.nat(TEXT_PAYLOADS.length - 1));

/** Applies mutations to `text`: delete, duplicate or move a slice, insert a hostile payload, replace a character. */
export function mutateText(text: string, mutations: readonly TextMutation[]): string {
  let s = text;
  for (const [kind, where, length, payload] of mutations) {
    const at = Math.floor(where * s.length);
    const end = Math.min(s.length, at + length);
    switch (kind) {
      case 0:
        s = s.slice(0, at) + s.slice(end);
        break;
      case 1:
        s = s.slice(0, end) + s.slice(at, end) + s.slice(end);
        break;
      case 2:
      case 3:
        s = s.slice(0, at) + TEXT_PAYLOADS[payload]! + s.slice(at);
        break;
      case 4:
        s = s.slice(0, at) + String.fromCharCode((length * 7919 + payload) % 0x3000) + s.slice(at + 1);
        break;
      default:
        s = s.slice(0, at) + s.slice(end) + s.slice(at, end);
    }
  }
  return s;
}

function rulesSeeds(): string[] {
  const files = [join(ROOT, "rules/onnx.rules"), join(ROOT, "rules/tflite.rules")];
  for (const dir of ["rules/dialects"]) for (const f of readdirSync(join(ROOT, dir))) if (f.endsWith(".rules")) files.push(join(ROOT, dir, f));
  // Packs are long: mutate a window of rules so that one mutation is not lost in 100 KB.
  return files.flatMap((f) => {
    const text = readFileSync(f, "utf8");
    const chunks = text.split(/\n(?=rule |for |dialect )/);
    const windows: string[] = [];
    for (let i = 0; i < chunks.length; i += 6) windows.push(chunks.slice(i, i + 6).join("\n"));
    return windows.map((w) => (w.includes("import ") ? w : `import "dialects/onnx.rules"\nimport "dialects/tfl.rules"\n${w}`));
  });
}

let seedCache: string[] | undefined;

/** A shipped pack or dialect (a window of it), mutated. */
export const mutatedRulesFile: fc.Arbitrary<string> = fc.integer({ min: 0, max: 1 << 30 }).chain((i) => {
  seedCache ??= rulesSeeds();
  const seed = seedCache[i % seedCache.length]!;
  return fc.array(textMutation, { minLength: 1, maxLength: 4 }).map((m) => mutateText(seed, m));
});

export const rulesInput = fc.oneof({ weight: 2, arbitrary: typedRulesFile }, { weight: 1, arbitrary: grammarRulesFile }, { weight: 2, arbitrary: mutatedRulesFile });

// ── models ───────────────────────────────────────────────────────────────────────────────────

function jsonSeeds(): string[] {
  const dirs = ["test/fixtures/runtime", "test/fixtures/rules/onnx"];
  return dirs.flatMap((d) =>
    readdirSync(join(ROOT, d))
      .filter((f) => f.endsWith(".json"))
      .slice(0, 12)
      .map((f) => readFileSync(join(ROOT, d, f), "utf8")),
  );
}

let jsonCache: string[] | undefined;
let onnxCache: Uint8Array[] | undefined;

function onnxSeeds(): Uint8Array[] {
  jsonCache ??= jsonSeeds();
  const seeds: Uint8Array[] = [];
  for (const text of jsonCache) {
    try {
      const doc = JSON.parse(text) as { graph?: unknown };
      seeds.push(encodeOnnx(graphFromJSON(doc.graph ?? doc)));
    } catch {
      // Fixtures in another shape (rule fixtures wrap their graphs) or not encodable: skip.
    }
  }
  return seeds;
}

const JSON_PAYLOADS: unknown[] = [
  -1,
  1e9,
  2 ** 53 + 2,
  1e309,
  "__proto__",
  { file: "/dev/zero" },
  { file: "../../../../etc/passwd" },
  { file: "." },
  { opaque: "!!!not base64", onnxType: 5 },
  [1e9, 1e9, 1e9],
  [],
  {},
  null,
  "",
  "x".repeat(5000),
  { int: 1 },
  { __proto__: 1 },
];

type JsonMutation = [path: number, payload: number, text: boolean];

/** Replaces the `pick`-th node of the JSON tree (in walk order) with a payload. */
function mutateJson(doc: unknown, pick: number, payload: unknown): unknown {
  let count = 0;
  const walk = (v: unknown): unknown => {
    if (count++ === pick) return payload;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: walk(x), enumerable: true, writable: true, configurable: true });
      if (count++ === pick) Object.defineProperty(out, "__proto__", { value: payload, enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  return walk(doc);
}

export const jsonInput: fc.Arbitrary<string> = fc
  .tuple(fc.nat(), fc.array(fc.tuple(fc.nat(400), fc.nat(JSON_PAYLOADS.length - 1), fc.boolean()) as fc.Arbitrary<JsonMutation>, { minLength: 1, maxLength: 3 }), fc.array(textMutation, { maxLength: 2 }), fc.boolean())
  .map(([i, mutations, textMutations, bom]) => {
    jsonCache ??= jsonSeeds();
    const seed = JSON.parse(jsonCache[i % jsonCache.length]!) as { graph?: unknown };
    let doc: unknown = seed.graph ?? seed;
    for (const [path, payload] of mutations) doc = mutateJson(doc, path, JSON_PAYLOADS[payload]);
    const text = mutateText(JSON.stringify(doc), textMutations);
    return bom ? `\uFEFF${text}` : text;
  });

type ByteMutation = [kind: number, at: number, value: number];

export const onnxInput: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.nat(), fc.array(fc.tuple(fc.nat(5), fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(255)) as fc.Arbitrary<ByteMutation>, { minLength: 1, maxLength: 6 }))
  .map(([i, mutations]) => {
    onnxCache ??= onnxSeeds();
    let bytes = Uint8Array.from(onnxCache[i % onnxCache.length]!);
    for (const [kind, where, value] of mutations) {
      const at = Math.floor(where * bytes.length);
      switch (kind) {
        case 0:
          bytes[at] = value;
          break;
        case 1:
          bytes[at] = bytes[at]! ^ (1 << (value % 8));
          break;
        case 2:
          bytes = bytes.slice(0, at);
          break;
        case 3: {
          // A huge varint (a length or dim of 2^35 or so).
          const varint = [0xff, 0xff, 0xff, 0xff, 0x7f & value];
          bytes = Uint8Array.from([...bytes.slice(0, at), ...varint, ...bytes.slice(at)]);
          break;
        }
        case 4:
          bytes = Uint8Array.from([...bytes.slice(0, at), ...bytes.slice(at, at + value), ...bytes.slice(at)]);
          break;
        default:
          bytes = Uint8Array.from([...bytes.slice(0, at), ...bytes.slice(Math.min(bytes.length, at + value))]);
      }
    }
    return bytes;
  });
