/**
 * Every piece of text that reaches generated code goes through one function here, per context:
 * a comment, a string literal, or an identifier. Rule names, family strings, op and domain
 * names, file paths and import specifiers come from a rules file or the command line, so they
 * are untrusted: none of them can end a comment, close a string or name a keyword.
 */

/**
 * Characters that must not appear raw in a comment: line terminators (LF, CR, U+2028, U+2029
 * end a `//` comment), other control characters, and the bidirectional controls that make code
 * read differently from how it runs.
 */
const UNSAFE_IN_COMMENT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * `text` as the content of a one-line comment (`// …` or inside `/* … *\/`): unsafe characters
 * become `\uXXXX`, and `*\/` cannot close a block comment.
 */
export function commentText(text: string): string {
  return text
    .replace(UNSAFE_IN_COMMENT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(/\*\//g, "*\\/");
}

/** `text` as a double-quoted string literal (JSON escapes, plus U+2028/U+2029 and bidi controls spelled out). */
export function stringLiteral(text: string): string {
  return JSON.stringify(text).replace(
    /[\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Words that cannot name a binding or a label in a strict-mode module (and TypeScript's own). */
const RESERVED_WORDS = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for function " +
    "if import in instanceof new null return super switch this throw true try typeof var void while with yield let static " +
    "implements interface package private protected public await arguments eval undefined NaN Infinity"
  ).split(" "),
);

export function isReservedWord(name: string): boolean {
  return RESERVED_WORDS.has(name);
}

/** Whether `name` is an ASCII identifier that is not a reserved word. */
export function isSafeIdentifier(name: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !isReservedWord(name);
}

/**
 * Hands out identifiers for one scope of a generated module: each is an ASCII identifier derived
 * from its text (`com.microsoft::FusedConv` → `ComMicrosoftFusedConv`), never a reserved word,
 * and never one already given out or declared (a suffix `_2`, `_3`, … tells apart texts that
 * derive the same identifier, e.g. the domains `a.b` and `aB`). Deterministic: the same texts in
 * the same order give the same identifiers.
 */
export class IdentifierScope {
  private readonly taken: Set<string>;
  private readonly given = new Map<string, string>();

  constructor(declared: Iterable<string> = []) {
    this.taken = new Set(declared);
  }

  /** The identifier for `text` with `prefix` (itself an identifier), the same on every call with the same text. */
  identifier(text: string, prefix = ""): string {
    const key = `${prefix}\u0000${text}`;
    const known = this.given.get(key);
    if (known !== undefined) return known;
    const part = identifierPart(text);
    let base = prefix ? `${prefix}${upperFirst(part)}` : part || "v";
    if (/^[0-9]/.test(base)) base = `_${base}`;
    if (isReservedWord(base)) base = `${base}_`;
    let name = base;
    for (let i = 2; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    this.given.set(key, name);
    return name;
  }
}

/** The ASCII letters and digits of `s`, words joined camel-case (`com.microsoft::FusedConv` → `comMicrosoftFusedConv`). */
export function identifierPart(s: string): string {
  return s
    .split(/[^A-Za-z0-9_$]+/)
    .filter(Boolean)
    .map((w, i) => (i === 0 ? w : upperFirst(w)))
    .join("");
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
