/**
 * The Chevrotain CST parser of the `.rules` language (the EBNF in grammar/README.md, rule for
 * rule). Error recovery is on, so that one run reports every syntax error; src/compiler/parse.ts
 * turns the CST into the AST and the parser's errors into diagnostics.
 */
import {
  CstParser,
  EOF,
  type CstNode,
  type ILexingError,
  type IParserErrorMessageProvider,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from "chevrotain";
import { checkTokenLimits, type TokenProblem } from "../src/compiler/limits.js";
import * as T from "./tokens.js";

// Chevrotain 13 validates grammars with `Object.groupBy`, which Node only has from 21 on; we
// support Node 20, so supply the standard behaviour when it is missing.
const objectWithGroupBy = Object as unknown as { groupBy?: unknown };
if (typeof objectWithGroupBy.groupBy !== "function") {
  objectWithGroupBy.groupBy = <T>(items: Iterable<T>, keyOf: (item: T, index: number) => PropertyKey) => {
    const groups: Record<PropertyKey, T[]> = Object.create(null);
    let index = 0;
    for (const item of items) (groups[keyOf(item, index++)] ??= []).push(item);
    return groups;
  };
}

/** What a grammar rule is, in words, for "expected …" messages. */
const ruleDescriptions: Record<string, string> = {
  file: "'rule', 'import', 'dialect', 'extern' or 'for'",
  pattern: "a pattern (an op, a name, '_' or a number)",
  opPatternTail: "'(' after the op name",
  literal: "a literal (number, string, name or list)",
  numberLiteral: "a number",
  familyItem: "a value or a tuple of values",
  familyValue: "an op name or a literal",
  familyDecl: "a loop variable or '(' variables ')'",
  expression: "an expression",
  unaryExpr: "an expression",
  primaryExpr: "an expression",
  postfixExpr: "an expression",
  attrSetItem: "'...name' or 'name: value'",
  opDecl: "'op'",
  operandDecl: "an operand name",
  operandRole: "an operand role",
  typeRef: "a type",
};

function describeToken(token: IToken): string {
  return token.tokenType === EOF ? "end of file" : `'${token.image}'`;
}

function tokenLabel(type: TokenType): string {
  if (type === EOF) return "end of file";
  return type.LABEL ?? type.name;
}

function firstTokensOf(paths: TokenType[][][]): string {
  const labels = new Set<string>();
  for (const alternative of paths) for (const path of alternative) if (path[0]) labels.add(tokenLabel(path[0]));
  const list = [...labels];
  return list.length <= 1 ? (list[0] ?? "something else") : `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) =>
    expected === EOF
      ? `unexpected ${describeToken(actual)}: expected ${ruleDescriptions["file"]}`
      : `expected ${tokenLabel(expected)} but found ${describeToken(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    `unexpected ${describeToken(firstRedundant)}: expected ${ruleDescriptions["file"]}`,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual, ruleName }) =>
    `expected ${ruleDescriptions[ruleName] ?? firstTokensOf(expectedPathsPerAlt)} but found ${describeToken(actual[0]!)}`,
  buildEarlyExitMessage: ({ expectedIterationPaths, actual, ruleName }) =>
    `expected ${ruleDescriptions[ruleName] ?? firstTokensOf([expectedIterationPaths])} but found ${describeToken(actual[0]!)}`,
};

class RulesParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: "full", errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  file = this.RULE("file", () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.dialectDecl) },
        { ALT: () => this.SUBRULE(this.externDecl) },
        { ALT: () => this.SUBRULE(this.ruleDecl) },
        { ALT: () => this.SUBRULE(this.familyDecl) },
        { ALT: () => this.SUBRULE(this.patternDecl) },
      ]),
    );
  });

  /** `pattern Name(x, …) = <alternative> | <alternative> …`, each alternative an op pattern with an optional `where`. */
  patternDecl = this.RULE("patternDecl", () => {
    this.CONSUME(T.Pattern);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier, { LABEL: "param" }) });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Equals);
    this.OPTION(() => this.CONSUME(T.Pipe));
    this.AT_LEAST_ONE_SEP({ SEP: T.Pipe, DEF: () => this.SUBRULE(this.alternative) });
  });

  alternative = this.RULE("alternative", () => {
    this.SUBRULE(this.pattern);
    this.OPTION(() => {
      this.CONSUME(T.Where);
      this.SUBRULE(this.expression, { LABEL: "condition" });
    });
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  dialectDecl = this.RULE("dialectDecl", () => {
    this.CONSUME(T.Dialect);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.opDecl));
    this.CONSUME(T.RBrace);
  });

  opDecl = this.RULE("opDecl", () => {
    this.OPTION(() => this.CONSUME(T.Commutative));
    this.CONSUME(T.Op);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.operandDecl) });
    this.CONSUME(T.RParen);
    this.OPTION2(() => {
      this.CONSUME(T.Outputs);
      this.CONSUME2(T.LParen);
      this.AT_LEAST_ONE_SEP({
        SEP: T.Comma,
        DEF: () => {
          this.CONSUME2(T.Identifier, { LABEL: "output" });
          this.OPTION6(() => this.CONSUME(T.Ellipsis, { LABEL: "variadicOutput" }));
        },
      });
      this.CONSUME2(T.RParen);
    });
    this.MANY3(() => this.SUBRULE(this.opClause));
    this.OPTION4(() => {
      this.CONSUME(T.LBrace);
      this.MANY2(() => {
        this.SUBRULE(this.attrDecl);
        this.OPTION5(() => this.OR([{ ALT: () => this.CONSUME(T.Comma) }, { ALT: () => this.CONSUME(T.Semicolon) }]));
      });
      this.CONSUME(T.RBrace);
    });
    this.MANY4(() => this.SUBRULE2(this.opClause));
  });

  /** `domain "com.microsoft"` or `impl "./quickgelu.ts"`, before or after the attributes. */
  opClause = this.RULE("opClause", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Domain) }, { ALT: () => this.CONSUME(T.Impl) }]);
    this.CONSUME(T.StringLiteral);
  });

  operandDecl = this.RULE("operandDecl", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Question) }, { ALT: () => this.CONSUME(T.Ellipsis) }]));
    this.OPTION2(() => {
      this.CONSUME(T.Colon);
      this.AT_LEAST_ONE(() => this.SUBRULE(this.operandRole));
    });
  });

  /** An operand's role for verification: `filter(X)`, `channels(W, 0)`, `nonzero`. */
  operandRole = this.RULE("operandRole", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.AT_LEAST_ONE_SEP({
        SEP: T.Comma,
        DEF: () =>
          this.OR([
            { ALT: () => this.CONSUME2(T.Identifier, { LABEL: "arg" }) },
            { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "arg" }) },
            {
              ALT: () => {
                this.CONSUME(T.Minus, { LABEL: "negative" });
                this.CONSUME2(T.NumberLiteral, { LABEL: "arg" });
              },
            },
          ]),
      });
      this.CONSUME(T.RParen);
    });
  });

  attrDecl = this.RULE("attrDecl", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeRef);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.literal);
    });
  });

  /** `int`, `float[]`, `enum(A, B)`. */
  typeRef = this.RULE("typeRef", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier, { LABEL: "enumValue" }) });
      this.CONSUME(T.RParen);
    });
    this.OPTION2(() => {
      this.CONSUME(T.LBracket);
      this.CONSUME(T.RBracket);
    });
  });

  /** Literal values of attribute defaults and attribute patterns; a bare name is an enum value. */
  literal = this.RULE("literal", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.numberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.literal) });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  numberLiteral = this.RULE("numberLiteral", () => {
    this.OPTION(() => this.CONSUME(T.Minus));
    this.CONSUME(T.NumberLiteral);
  });

  externDecl = this.RULE("externDecl", () => {
    this.CONSUME(T.Extern);
    this.CONSUME(T.Pred);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.paramDecl) });
    this.CONSUME(T.RParen);
    this.CONSUME(T.From);
    this.CONSUME(T.StringLiteral);
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeRef);
  });

  familyDecl = this.RULE("familyDecl", () => {
    this.CONSUME(T.For);
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "variable" }) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier, { LABEL: "variable" }) });
          this.CONSUME(T.RParen);
        },
      },
    ]);
    this.CONSUME(T.In);
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE(() => {
      this.SUBRULE(this.familyItem);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBracket);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.ruleDecl));
    this.CONSUME(T.RBrace);
  });

  /** One iteration: a value, or a parenthesised tuple of values. */
  familyItem = this.RULE("familyItem", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.familyValue) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE2(this.familyValue) });
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  familyValue = this.RULE("familyValue", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.qualifiedName) },
      { ALT: () => this.SUBRULE(this.numberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
    ]);
  });

  qualifiedName = this.RULE("qualifiedName", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Identifier);
    });
  });

  ruleDecl = this.RULE("ruleDecl", () => {
    this.CONSUME(T.Rule);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Priority);
      this.SUBRULE(this.numberLiteral);
    });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.pattern);
    this.OPTION2(() => {
      this.CONSUME(T.Where);
      this.SUBRULE(this.expression, { LABEL: "condition" });
    });
    this.MANY(() => this.SUBRULE(this.letDecl));
    this.CONSUME(T.Arrow);
    this.SUBRULE2(this.expression, { LABEL: "result" });
  });

  letDecl = this.RULE("letDecl", () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  /**
   * `Op(…)`, `tfl.Op(…)`, `name: Op(…)`, `x`, `x?`, `x: const`, `x?: const`, `_`, `1.0`.
   */
  pattern = this.RULE("pattern", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.numberLiteral) },
      {
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.OR2([
            { ALT: () => this.SUBRULE(this.opPatternTail) },
            {
              ALT: () => {
                this.OPTION(() => this.CONSUME(T.Question));
                this.OPTION2(() => {
                  this.CONSUME(T.Colon);
                  this.OR3([
                    { ALT: () => this.CONSUME(T.Const) },
                    {
                      ALT: () => {
                        this.CONSUME2(T.Identifier, { LABEL: "opName" });
                        this.SUBRULE2(this.opPatternTail);
                      },
                    },
                  ]);
                });
              },
            },
          ]);
        },
      },
    ]);
  });

  /** What follows an op name in a pattern: `.Name` qualification, operands, attribute patterns. */
  opPatternTail = this.RULE("opPatternTail", () => {
    this.OPTION(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.Identifier, { LABEL: "qualifiedName" });
    });
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.pattern) });
    this.CONSUME(T.RParen);
    this.OPTION2(() => {
      this.CONSUME(T.LBrace);
      this.MANY_SEP2({ SEP: T.Comma, DEF: () => this.SUBRULE(this.attrPattern) });
      this.CONSUME(T.RBrace);
    });
  });

  attrPattern = this.RULE("attrPattern", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.literal);
  });

  expression = this.RULE("expression", () => {
    this.SUBRULE(this.orExpr, { LABEL: "operand" });
    this.MANY(() => {
      this.CONSUME(T.Coalesce, { LABEL: "operator" });
      this.SUBRULE2(this.orExpr, { LABEL: "operand" });
    });
  });

  orExpr = this.RULE("orExpr", () => {
    this.SUBRULE(this.andExpr, { LABEL: "operand" });
    this.MANY(() => {
      this.CONSUME(T.OrOr, { LABEL: "operator" });
      this.SUBRULE2(this.andExpr, { LABEL: "operand" });
    });
  });

  andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.compareExpr, { LABEL: "operand" });
    this.MANY(() => {
      this.CONSUME(T.AndAnd, { LABEL: "operator" });
      this.SUBRULE2(this.compareExpr, { LABEL: "operand" });
    });
  });

  compareExpr = this.RULE("compareExpr", () => {
    this.SUBRULE(this.additiveExpr, { LABEL: "operand" });
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.EqEq, { LABEL: "operator" }) },
        { ALT: () => this.CONSUME(T.NotEq, { LABEL: "operator" }) },
        { ALT: () => this.CONSUME(T.LessEq, { LABEL: "operator" }) },
        { ALT: () => this.CONSUME(T.GreaterEq, { LABEL: "operator" }) },
        { ALT: () => this.CONSUME(T.Less, { LABEL: "operator" }) },
        { ALT: () => this.CONSUME(T.Greater, { LABEL: "operator" }) },
      ]);
      this.SUBRULE2(this.additiveExpr, { LABEL: "operand" });
    });
  });

  additiveExpr = this.RULE("additiveExpr", () => {
    this.SUBRULE(this.multiplicativeExpr, { LABEL: "operand" });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Plus, { LABEL: "operator" }) },
        { ALT: () => this.CONSUME(T.Minus, { LABEL: "operator" }) },
      ]);
      this.SUBRULE2(this.multiplicativeExpr, { LABEL: "operand" });
    });
  });

  multiplicativeExpr = this.RULE("multiplicativeExpr", () => {
    this.SUBRULE(this.unaryExpr, { LABEL: "operand" });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star, { LABEL: "operator" }) },
        { ALT: () => this.CONSUME(T.Slash, { LABEL: "operator" }) },
      ]);
      this.SUBRULE2(this.unaryExpr, { LABEL: "operand" });
    });
  });

  unaryExpr = this.RULE("unaryExpr", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Minus, { LABEL: "operator" }) },
            { ALT: () => this.CONSUME(T.Bang, { LABEL: "operator" }) },
          ]);
          this.SUBRULE(this.unaryExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.postfixExpr) },
    ]);
  });

  /** `p[0]`, `C@0`. */
  postfixExpr = this.RULE("postfixExpr", () => {
    this.SUBRULE(this.primaryExpr);
    this.MANY(() =>
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.LBracket);
            this.SUBRULE(this.expression, { LABEL: "index" });
            this.CONSUME(T.RBracket);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.At);
            this.SUBRULE(this.numberLiteral, { LABEL: "axis" });
          },
        },
      ]),
    );
  });

  primaryExpr = this.RULE("primaryExpr", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: "item" }) });
          this.CONSUME(T.RBracket);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE2(this.expression, { LABEL: "inner" });
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
    ]);
  });

  /** `x`, `f(a, b)`, `tfl.Op(a) { attrs }` — a result op when the callee is not a built-in. */
  nameOrCall = this.RULE("nameOrCall", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.OPTION2(() => {
        this.CONSUME(T.Dot);
        this.CONSUME2(T.Identifier, { LABEL: "qualifiedName" });
      });
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: "arg" }) });
      this.CONSUME(T.RParen);
      this.OPTION3(() => this.SUBRULE(this.attrSet));
    });
  });

  attrSet = this.RULE("attrSet", () => {
    this.CONSUME(T.LBrace);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.attrSetItem) });
    this.CONSUME(T.RBrace);
  });

  /** `...conv` or `name: expr`. */
  attrSetItem = this.RULE("attrSetItem", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Ellipsis);
          this.CONSUME(T.Identifier, { LABEL: "spread" });
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.Identifier, { LABEL: "name" });
          this.CONSUME(T.Colon);
          this.SUBRULE(this.expression);
        },
      },
    ]);
  });
}

/** One parser instance, reused (Chevrotain parsers are stateful but resettable via `input`). */
export const rulesParser = new RulesParser();

export interface SyntaxResult {
  cst: CstNode;
  tokens: IToken[];
  docs: IToken[];
  lexErrors: ILexingError[];
  parseErrors: IRecognitionException[];
  /** Tokens past a limit (src/compiler/limits.ts); when one is fatal the tokens were not parsed. */
  limitErrors: TokenProblem[];
}

/** Lexes and parses one source text. Never throws on bad input: errors are in the result. */
export function parseSyntax(source: string): SyntaxResult {
  const lexed = T.rulesLexer.tokenize(source);
  // Nesting deeper than the limit would exhaust the parser's stack: such input is not parsed.
  const limitErrors = checkTokenLimits(lexed.tokens);
  rulesParser.input = limitErrors.some((p) => p.fatal) ? [] : lexed.tokens;
  const cst = rulesParser.file();
  return {
    cst,
    tokens: lexed.tokens,
    docs: lexed.groups["docs"] ?? [],
    lexErrors: lexed.errors,
    parseErrors: [...rulesParser.errors],
    limitErrors,
  };
}

/** The Chevrotain grammar description, for the railroad diagram (grammar/gen-diagram.ts). */
export function serializedGrammar() {
  return rulesParser.getSerializedGastProductions();
}
