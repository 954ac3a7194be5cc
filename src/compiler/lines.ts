/**
 * The one definition of a line in a rules file, used by the lexer (line comments, strings,
 * token positions), by spans (line and column of an offset) and by code frames: a line ends at
 * LF, CRLF, CR, U+2028 (line separator) or U+2029 (paragraph separator), as in JavaScript.
 */

/** One line terminator (CRLF counts as one). */
export const LINE_TERMINATOR = /\r\n|[\n\r\u2028\u2029]/;

/** The characters that start a line terminator, for the lexer's position tracking. */
export const LINE_TERMINATOR_CHARS = ["\n", "\r", "\u2028", "\u2029"] as const;

/** Every line terminator, for the lexer (`lineTerminatorsPattern`). */
export const LINE_TERMINATORS = /\r\n|[\n\r\u2028\u2029]/g;

/** Offsets where lines start (0 first). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d) {
      if (text.charCodeAt(i + 1) === 0x0a) i++;
      starts.push(i + 1);
    } else if (c === 0x0a || c === 0x2028 || c === 0x2029) starts.push(i + 1);
  }
  return starts;
}

/** The lines of `text`, without their terminators. */
export function splitLines(text: string): string[] {
  return text.split(LINE_TERMINATOR);
}

/** 1-based line and column of `offset` (clamped into the text) given `starts` from `lineStarts`. */
export function positionIn(starts: readonly number[], textLength: number, offset: number): { offset: number; line: number; column: number } {
  const at = Number.isFinite(offset) ? Math.min(Math.max(0, Math.trunc(offset)), textLength) : textLength;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return { offset: at, line: lo + 1, column: at - starts[lo]! + 1 };
}
