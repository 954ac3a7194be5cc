/**
 * The AST of `.rules` files: what the parser (grammar/ + cst-to-ast) produces and what the
 * checks, lowering and codegen consume. Every node carries a `span` for diagnostics.
 */

export interface Position {
  /** 0-based character offset. */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface Span {
  file: string;
  start: Position;
  /** Exclusive end. */
  end: Position;
}

export interface RulesFile {
  kind: "File";
  path: string;
  source: string;
  imports: Import[];
  dialects: Dialect[];
  externs: ExternPred[];
  /** Rules and rule families as written, in source order (the parser's output). */
  declared: (Rule | FamilyDecl)[];
  /** Named patterns (`pattern Name(x) = A | B`). */
  patterns: PatternDecl[];
  /**
   * Rules in source order, with rule families and uses of named patterns expanded (expand.ts;
   * see `Rule.family`). Empty until expansion has run.
   */
  rules: Rule[];
  span: Span;
}

/** A value a family loop variable stands for. */
export type FamilyValue = { kind: "op"; ref: OpRef; text: string } | { kind: "literal"; literal: Literal; text: string };

/** `for (act, name) in [(Relu, "RELU"), …] { rule … }`, before expansion. */
export interface FamilyDecl {
  kind: "Family";
  variables: Ident[];
  iterations: { span: Span; values: FamilyValue[] }[];
  rules: Rule[];
  span: Span;
}

/** `pattern HardSigmoidOf(x) = A where … | B | C`: a sub-pattern with alternatives, usable in rules like an op. */
export interface PatternDecl {
  kind: "PatternDecl";
  name: Ident;
  /** The operands a use passes in, in order. */
  params: Ident[];
  alternatives: Alternative[];
  doc?: string;
  span: Span;
}

export interface Alternative {
  /** An empty op (name "") when the pattern as written is not an op (see `writtenRoot`). */
  pattern: OpPattern;
  /** The pattern as written when it is not an op; the pattern-root check reports it and expansion skips the alternative. */
  writtenRoot?: Exclude<Pattern, OpPattern>;
  where?: Expr;
  span: Span;
  /** Source text of the alternative's pattern, for generated comments. */
  text: string;
}

export interface Import {
  kind: "Import";
  /** As written, relative to the importing file. */
  path: string;
  span: Span;
}

// ── dialects ───────────────────────────────────────────────────────────────────────────────

export interface Dialect {
  kind: "Dialect";
  name: string;
  doc?: string;
  ops: OpDecl[];
  span: Span;
}

export interface OperandDecl {
  name: string;
  /** "required" | "optional" (`B?`) | "variadic" (`inputs...`). */
  arity: "required" | "optional" | "variadic";
  /** `W: filter(X)`, `B: broadcast nonzero`: what verification synthesizes here (src/compiler/roles.ts). */
  roles: OperandRole[];
  span: Span;
}

/** One role of an operand: a name from the role vocabulary, with operand names, attribute names or integers as arguments. */
export interface OperandRole {
  name: string;
  args: RoleArg[];
  span: Span;
}

export type RoleArg = { kind: "name"; name: string; span: Span } | { kind: "number"; value: number; span: Span };

export type AttrType =
  | { kind: "int" }
  | { kind: "float" }
  | { kind: "string" }
  | { kind: "ints" }
  | { kind: "floats" }
  | { kind: "strings" }
  | { kind: "tensor" }
  | { kind: "enum"; values: string[] };

export interface AttrDecl {
  name: string;
  /** The type its name stands for (`int` when the name is unknown, which the unknown-type check reports). */
  type: AttrType;
  /** The type as written (`float[]`), except for `enum(…)`; absent when error recovery left it out. */
  typeName?: { text: string; span: Span };
  /** `int(…)` (parameters on a type other than enum) or `enum(…)[]` as written; reported by the type-form check. */
  typeForm?: { form: "parameters" | "enum-list"; text: string; span: Span };
  /** Absent: the attribute is required. */
  default?: Literal;
  span: Span;
}

export interface OpDecl {
  kind: "OpDecl";
  dialect: string;
  name: string;
  domain: string;
  commutative: boolean;
  operands: OperandDecl[];
  /** Output names; one unnamed output when not declared. */
  outputs: string[];
  attrs: AttrDecl[];
  /** `impl "./quickgelu.ts"`: the module with the op's shape function and kernel, relative to the rules file. */
  impl?: { path: string; span: Span };
  /** The `domain` and `impl` clauses as written (the last of a kind counts). */
  clauses?: { kind: "domain" | "impl"; span: Span }[];
  doc?: string;
  span: Span;
}

export interface ExternPred {
  kind: "ExternPred";
  name: string;
  /** `type` is `value` when `typeName` (as written) names no parameter type, which the unknown-type check reports. */
  params: { name: string; type: ParamType; typeName?: { text: string; span: Span }; span: Span }[];
  /** Module specifier of the TypeScript implementation, relative to the rules file. */
  from: string;
  span: Span;
}

export type ParamType = "value" | "node" | "int" | "float" | "string" | "ints" | "floats" | "tensor" | "bool";

// ── rules ──────────────────────────────────────────────────────────────────────────────────

export interface Rule {
  kind: "Rule";
  /** For family members: `Base[arg1,arg2]`. */
  name: string;
  /** Span of the name token. */
  nameSpan: Span;
  priority: number;
  /** The priority literal as written (the priority check requires an integer). */
  priorityLiteral?: Literal & { kind: "Number" };
  doc?: string;
  /** The root pattern; an empty op (name "") when the pattern as written is not an op (see `writtenRoot`). */
  pattern: OpPattern;
  /** The root pattern as written when it is not an op; the pattern-root check reports it, and such a rule is never resolved or lowered. */
  writtenRoot?: Exclude<Pattern, OpPattern>;
  where?: Expr;
  lets: Let[];
  result: ResultExpr;
  /**
   * When expanded from `for … in …` or from uses of named patterns: the rule's name as written
   * and this member's substitutions (loop variables, and each named pattern's alternative,
   * whose names `patterns` lists).
   */
  family?: { name: string; bindings: Record<string, string>; patterns?: string[] };
  span: Span;
  /** Source text of the pattern and of the result, for generated comments. */
  matchText: string;
  resultText: string;
}

/** A reference to an op, possibly dialect-qualified (`tfl.Add`). */
export interface OpRef {
  dialect?: string;
  name: string;
  span: Span;
}

export type Pattern = OpPattern | VarPattern | WildcardPattern | LiteralPattern;

export interface OpPattern {
  kind: "OpPattern";
  op: OpRef;
  /** `conv: Conv(…)` binds the node. */
  binding?: Ident;
  /** The '?' of `conv?: Conv(…)` as written: a node binding is never optional, reported by the binding-modifier check. */
  optionalBinding?: Span;
  operands: Pattern[];
  attrs: AttrPattern[];
  span: Span;
}

export interface VarPattern {
  kind: "VarPattern";
  name: Ident;
  /** `b?` — may be absent (only on optional operands). */
  optional: boolean;
  /** `W: const`. */
  constant: boolean;
  span: Span;
}

export interface WildcardPattern {
  kind: "WildcardPattern";
  /** `_?` / `_: const` as written: meaningless on a wildcard, reported by the wildcard-modifier check. */
  optional?: boolean;
  constant?: boolean;
  span: Span;
}

/** A numeric literal leaf: a constant whose every element equals `value`. */
export interface LiteralPattern {
  kind: "LiteralPattern";
  value: number;
  span: Span;
}

export interface AttrPattern {
  name: Ident;
  /** A literal to compare with, or a variable that captures the value. */
  value: Literal | Ident;
  span: Span;
}

export interface Ident {
  kind: "Ident";
  name: string;
  span: Span;
}

export interface Let {
  kind: "Let";
  name: Ident;
  value: Expr;
  span: Span;
}

// ── expressions (conditions, lets, result operands) ───────────────────────────────────────

export type Literal =
  | { kind: "Number"; value: number; isInt: boolean; span: Span }
  | { kind: "String"; value: string; span: Span }
  | { kind: "Bool"; value: boolean; span: Span }
  /** `names`: bare names written among the items of a list in an attribute pattern (left out of `items`), reported by the attr-pattern check. */
  | { kind: "List"; items: Literal[]; names?: Ident[]; span: Span };

export type Expr =
  | Literal
  | Ident
  | { kind: "ListExpr"; items: Expr[]; span: Span }
  | { kind: "Unary"; op: "-" | "!"; operand: Expr; span: Span }
  | {
      kind: "Binary";
      op: "+" | "-" | "*" | "/" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "??";
      left: Expr;
      right: Expr;
      span: Span;
    }
  /** `c@k`: lay `c` along axis `k` of the other operand of the enclosing arithmetic; `axisLiteral` is the axis as written when it is not an integer (the along-axis check reports it). */
  | { kind: "Along"; operand: Expr; axis: number; axisLiteral?: Literal & { kind: "Number" }; span: Span }
  | { kind: "Index"; target: Expr; index: Expr; span: Span }
  /**
   * A function call. `qualifiedOp` (`onnx.Relu(…)`, whose `callee` is then the dialect name) and
   * `attrSet` (the span of `{…}`) are what only a result op has, as written outside a result; the
   * call-form check reports them, and such a call names no function.
   */
  | { kind: "Call"; callee: Ident; args: Expr[]; qualifiedOp?: OpRef; attrSet?: Span; span: Span };

export interface AttrSet {
  /** `...conv` */
  spread?: Ident;
  name?: Ident;
  value?: Expr;
  span: Span;
}

/** A rule's result: new op(s), or an existing bound value (`=> x`). */
export type ResultExpr = ResultOp | Expr;

/** A result op's operand is a nested result op or an expression. */
export interface ResultOp {
  kind: "ResultOp";
  op: OpRef;
  operands: (ResultOp | Expr)[];
  attrs: AttrSet[];
  span: Span;
}
