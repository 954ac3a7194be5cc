/**
 * The tokens of the `.rules` language and its Chevrotain lexer. Doc comments (`///`) go to a
 * separate token group so that the parser never sees them; parse.ts attaches them to the rule or
 * op that follows.
 */
import { createToken, Lexer, type TokenType } from "chevrotain";
import { LINE_TERMINATOR_CHARS, LINE_TERMINATORS } from "../src/compiler/lines.js";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /\s+/, group: Lexer.SKIPPED, line_breaks: true });
export const DocComment = createToken({ name: "DocComment", pattern: /\/\/\/[^\n\r\u2028\u2029]*/, group: "docs" });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r\u2028\u2029]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[^*]*\*+(?:[^/*][^*]*\*+)*\//,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });

function keyword(word: string): TokenType {
  return createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: word, longer_alt: Identifier, label: `'${word}'` });
}

export const Import = keyword("import");
export const Dialect = keyword("dialect");
export const Op = keyword("op");
export const Commutative = keyword("commutative");
export const Domain = keyword("domain");
export const Impl = keyword("impl");
export const Outputs = keyword("outputs");
export const Extern = keyword("extern");
export const Pred = keyword("pred");
export const From = keyword("from");
export const Rule = keyword("rule");
export const Pattern = keyword("pattern");
export const Priority = keyword("priority");
export const Where = keyword("where");
export const Let = keyword("let");
export const For = keyword("for");
export const In = keyword("in");
export const Const = keyword("const");
export const True = keyword("true");
export const False = keyword("false");

export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/,
  label: "a number",
});
/** `inf` (or `∞`): the infinite float, a number literal (`Clip(x, 0.0, inf)`, `-inf`). */
export const Infinity_ = createToken({ name: "Inf", pattern: /inf|∞/, longer_alt: Identifier, categories: [NumberLiteral], label: "'inf'" });
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\n\r\u2028\u2029]|\\[^\n\r\u2028\u2029])*"/, label: "a string" });

function punct(name: string, text: string): TokenType {
  return createToken({ name, pattern: text, label: `'${text}'` });
}

export const Arrow = punct("Arrow", "=>");
export const Ellipsis = punct("Ellipsis", "...");
export const Coalesce = punct("Coalesce", "??");
export const AndAnd = punct("AndAnd", "&&");
export const OrOr = punct("OrOr", "||");
export const Pipe = punct("Pipe", "|");
export const EqEq = punct("EqEq", "==");
export const NotEq = punct("NotEq", "!=");
export const LessEq = punct("LessEq", "<=");
export const GreaterEq = punct("GreaterEq", ">=");
export const Less = punct("Less", "<");
export const Greater = punct("Greater", ">");
export const Equals = punct("Equals", "=");
export const Bang = punct("Bang", "!");
export const Plus = punct("Plus", "+");
export const Minus = punct("Minus", "-");
export const Star = punct("Star", "*");
export const Slash = punct("Slash", "/");
export const At = punct("At", "@");
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LBrace = punct("LBrace", "{");
export const RBrace = punct("RBrace", "}");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");
export const Comma = punct("Comma", ",");
export const Colon = punct("Colon", ":");
export const Semicolon = punct("Semicolon", ";");
export const Dot = punct("Dot", ".");
export const Question = punct("Question", "?");

/** Order matters: longer punctuation before its prefixes, comments before `/`, keywords before names. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  BlockComment,
  Import,
  Dialect,
  Op,
  Commutative,
  Domain,
  Impl,
  Outputs,
  Extern,
  Pred,
  From,
  Rule,
  Pattern,
  Priority,
  Where,
  Let,
  For,
  // Before `in`, which would otherwise take the first two letters of `inf`.
  Infinity_,
  In,
  Const,
  True,
  False,
  Identifier,
  NumberLiteral,
  StringLiteral,
  Arrow,
  Ellipsis,
  Coalesce,
  AndAnd,
  OrOr,
  Pipe,
  EqEq,
  NotEq,
  LessEq,
  GreaterEq,
  Less,
  Greater,
  Equals,
  Bang,
  Plus,
  Minus,
  Star,
  Slash,
  At,
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Semicolon,
  Dot,
  Question,
];

/** Lines end as src/compiler/lines.ts says (LF, CRLF, CR, U+2028, U+2029), in token positions too. */
export const rulesLexer = new Lexer(allTokens, {
  positionTracking: "full",
  ensureOptimizations: false,
  lineTerminatorsPattern: LINE_TERMINATORS,
  lineTerminatorCharacters: [...LINE_TERMINATOR_CHARS],
});
