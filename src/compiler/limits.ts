/**
 * Limits on a rules file's tokens, checked before parsing so that no input can exhaust the
 * stack or make a later phase slow:
 * - nesting: brackets and unary operators nest at most `MAX_NESTING` deep, and one expression
 *   (operators chained at each open level, indexing included) at most `MAX_EXPRESSION_DEPTH`;
 *   deeper input is not parsed at all ("nesting too deep", at the token that goes too deep);
 * - lengths: names at most `MAX_NAME_LENGTH` characters, strings `MAX_STRING_LENGTH`, number
 *   literals `MAX_NUMBER_LENGTH`;
 * - numbers: an integer literal above 2^53 cannot be represented exactly, and a number that
 *   overflows to Infinity (`1e309`) or underflows to 0 is reported rather than rounded.
 */
import type { IToken } from "chevrotain";

export const MAX_NESTING = 64;
export const MAX_EXPRESSION_DEPTH = 256;
export const MAX_NAME_LENGTH = 256;
export const MAX_STRING_LENGTH = 4096;
export const MAX_NUMBER_LENGTH = 64;

export interface TokenProblem {
  message: string;
  token: IToken;
  /** The input is not parsed (it would nest too deep for the parser). */
  fatal: boolean;
}

const OPENERS = new Set(["LParen", "LBracket", "LBrace"]);
const CLOSERS = new Set(["RParen", "RBracket", "RBrace"]);
/** Operators that nest the expression tree one level deeper each. */
const OPERATORS = new Set(["AndAnd", "OrOr", "EqEq", "NotEq", "LessEq", "GreaterEq", "Less", "Greater", "Plus", "Minus", "Star", "Slash", "Bang", "At", "Coalesce"]);
const UNARY = new Set(["Minus", "Bang"]);
/** Tokens after which an operator is unary (or a `[` starts a list rather than indexing). */
const OPERAND_ENDS = new Set(["Identifier", "NumberLiteral", "StringLiteral", "RParen", "RBracket", "True", "False"]);
/** Tokens that end an expression: the next one starts afresh. */
const SEPARATORS = new Set(["Comma", "Semicolon", "Arrow", "Equals", "Colon", "Rule", "Let", "Where", "Priority", "For", "In"]);

/** Every problem of `tokens`; parsing must be skipped when one is fatal. */
export function checkTokenLimits(tokens: readonly IToken[]): TokenProblem[] {
  const problems: TokenProblem[] = [];
  // Per open level: how many operators the expression at that level has chained so far (each
  // nests the tree one level deeper, at most), and how many unary ones came in a row.
  const levels: { chained: number; unary: number }[] = [{ chained: 0, unary: 0 }];
  let depth = 1;
  let previous: string | undefined;
  for (const token of tokens) {
    const kind = token.tokenType.name;
    const top = levels[levels.length - 1]!;
    if (OPENERS.has(kind)) {
      if (kind === "LBracket" && previous !== undefined && OPERAND_ENDS.has(previous)) {
        top.chained++;
        depth++;
      }
      levels.push({ chained: 0, unary: 0 });
      depth++;
      if (levels.length - 1 > MAX_NESTING) {
        problems.push({ message: `nesting too deep: brackets nest more than ${MAX_NESTING} levels here`, token, fatal: true });
        return problems;
      }
    } else if (CLOSERS.has(kind)) {
      if (levels.length > 1) {
        const closed = levels.pop()!;
        depth -= 1 + closed.chained;
      }
    } else if (OPERATORS.has(kind)) {
      const unary = UNARY.has(kind) && (previous === undefined || !OPERAND_ENDS.has(previous));
      top.unary = unary ? top.unary + 1 : 0;
      top.chained++;
      depth++;
      if (unary && top.unary > MAX_NESTING) {
        problems.push({ message: `nesting too deep: more than ${MAX_NESTING} unary operators in a row here`, token, fatal: true });
        return problems;
      }
    } else if (SEPARATORS.has(kind)) {
      depth -= top.chained;
      top.chained = 0;
      top.unary = 0;
    } else if (OPERAND_ENDS.has(kind)) top.unary = 0;
    if (depth > MAX_EXPRESSION_DEPTH) {
      problems.push({ message: `nesting too deep: an expression nests more than ${MAX_EXPRESSION_DEPTH} operators and brackets here`, token, fatal: true });
      return problems;
    }
    const length = token.image.length;
    if (kind === "Identifier") {
      if (length > MAX_NAME_LENGTH) problems.push({ message: `name too long: ${length} characters (at most ${MAX_NAME_LENGTH})`, token, fatal: false });
    } else if (kind === "StringLiteral" && length > MAX_STRING_LENGTH + 2) {
      problems.push({ message: `string too long: ${length - 2} characters (at most ${MAX_STRING_LENGTH})`, token, fatal: false });
    } else if (kind === "NumberLiteral") {
      const problem = numberProblem(token.image);
      if (problem) problems.push({ message: problem, token, fatal: false });
    }
    previous = kind;
  }
  return problems;
}

/** Why a number literal cannot be taken as written, if it cannot. */
export function numberProblem(image: string): string | undefined {
  if (image.length > MAX_NUMBER_LENGTH) return `number too long: ${image.length} characters (at most ${MAX_NUMBER_LENGTH})`;
  const value = Number(image);
  if (!Number.isFinite(value)) return `number ${image} is too large (it would be Infinity)`;
  if (/^\d+$/.test(image) && !Number.isSafeInteger(value)) {
    return `integer ${image} is above 2^53 and cannot be represented exactly`;
  }
  if (value === 0 && /[1-9]/.test(image.replace(/[eE].*$/, ""))) return `number ${image} is too small (it would be 0)`;
  return undefined;
}
