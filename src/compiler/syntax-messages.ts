/**
 * The parser's error path: Chevrotain's lexer, parser and limit errors as `syntax` diagnostics
 * in the language's words — one per offset, an unterminated string named as such, and an
 * unclosed bracket named with where it was opened (`expected ')' to close 'Conv(' opened at 3:5
 * but found '=>'`).
 */
import type { ILexingError, IRecognitionException, IToken } from "chevrotain";
import type { Span } from "./ast.js";
import { error, type Diagnostic } from "./diagnostics.js";

/** Where things are in the source being parsed. */
export interface SourceSpans {
  readonly source: string;
  spanAt(start: number, end: number): Span;
  tokenSpan(token: IToken): Span;
}

export interface SyntaxErrors {
  tokens: IToken[];
  lexErrors: ILexingError[];
  parseErrors: IRecognitionException[];
  limitErrors: { message: string; token: IToken }[];
}

/** Every syntax error of one source, lexer errors first. */
export function syntaxDiagnostics(syntax: SyntaxErrors, spans: SourceSpans): Diagnostic[] {
  return [
    ...syntax.lexErrors.map((lexError) => lexDiagnostic(lexError, spans)),
    ...dedupeByOffset(syntax.parseErrors).map((parseError) => parseDiagnostic(parseError, syntax.tokens, spans)),
    ...syntax.limitErrors.map((problem) => error("syntax", problem.message, spans.tokenSpan(problem.token))),
  ];
}

/** End-of-input and tokens inserted by error recovery have no place in the source. */
export function isVirtual(token: IToken): boolean {
  return Number.isNaN(token.startOffset) || token.startOffset < 0;
}

function dedupeByOffset(errors: IRecognitionException[]): IRecognitionException[] {
  const seen = new Set<number>();
  return errors.filter((e) => {
    const key = isVirtual(e.token) ? -1 : e.token.startOffset;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function lexDiagnostic(lexError: ILexingError, spans: SourceSpans): Diagnostic {
  const char = spans.source.slice(lexError.offset, lexError.offset + 1);
  const message = char === '"' ? "unterminated string literal" : `unexpected character '${char}'`;
  return error("syntax", message, spans.spanAt(lexError.offset, lexError.offset + Math.max(1, lexError.length)));
}

const openerOf: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

function parseDiagnostic(exception: IRecognitionException, tokens: IToken[], spans: SourceSpans): Diagnostic {
  const token = exception.token;
  const atEnd = isVirtual(token);
  const span = atEnd ? endOfInputSpan(exception, spans) : spans.tokenSpan(token);
  let message = exception.message;
  const closer = /^expected '([)\]}])' but found (.*)$/.exec(message);
  if (closer) {
    const opener = unclosedOpener(tokens, atEnd ? tokens.length : tokens.findIndex((t) => t.startOffset === token.startOffset), closer[1]!);
    if (opener) {
      const before = tokens[tokens.indexOf(opener) - 1];
      const what = before && before.endOffset === opener.startOffset - 1 && /^\w/.test(before.image) ? before.image + opener.image : opener.image;
      message = `expected '${closer[1]}' to close '${what}' opened at ${opener.startLine}:${opener.startColumn} but found ${closer[2]}`;
    }
  }
  return error("syntax", message, span);
}

function endOfInputSpan(exception: IRecognitionException, spans: SourceSpans): Span {
  const previous = (exception as { previousToken?: IToken }).previousToken;
  if (previous && !isVirtual(previous)) {
    const end = (previous.endOffset ?? previous.startOffset) + 1;
    return spans.spanAt(end, end);
  }
  return spans.spanAt(spans.source.length, spans.source.length);
}

/** The nearest bracket before token `index` that is still open. */
function unclosedOpener(tokens: IToken[], index: number, closer: string): IToken | undefined {
  const opener = openerOf[closer]!;
  let depth = 0;
  for (let i = (index < 0 ? tokens.length : index) - 1; i >= 0; i--) {
    const image = tokens[i]!.image;
    if (image === closer) depth++;
    else if (image === opener) {
      if (depth === 0) return tokens[i];
      depth--;
    }
  }
  return undefined;
}
