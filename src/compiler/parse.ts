/**
 * Parses one `.rules` source into its AST: runs the lexer and parser of grammar/, reports their
 * errors (worded by syntax-messages.ts), converts the CST into AST nodes with spans and attaches
 * `///` doc comments. Rule families and named patterns are kept as declared;
 * expand.ts expands them.
 */
import type { CstElement, CstNode, IToken } from "chevrotain";
import { parseSyntax } from "../../grammar/parser.js";
import type {
  AttrDecl,
  AttrPattern,
  AttrSet,
  AttrType,
  Dialect,
  Expr,
  ExternPred,
  FamilyDecl,
  FamilyValue,
  Ident,
  Import,
  Let,
  Literal,
  OpDecl,
  OpPattern,
  OpRef,
  OperandDecl,
  OperandRole,
  Pattern,
  PatternDecl,
  Position,
  ResultExpr,
  ResultOp,
  RoleArg,
  Rule,
  RulesFile,
  Span,
} from "./ast.js";
import { error, type Diagnostic } from "./diagnostics.js";
import { lineStarts, positionIn } from "./lines.js";
import { attrTypeNamed, paramTypeNamed } from "./type-names.js";
import { isVirtual, syntaxDiagnostics } from "./syntax-messages.js";

export interface ParseResult {
  file: RulesFile;
  diagnostics: Diagnostic[];
}

/** Parses `source` (the text of the file at `path`). Never throws on bad input. */
export function parseRules(path: string, source: string): ParseResult {
  const syntax = parseSyntax(source);
  const converter = new Converter(path, source, syntax.docs);
  converter.diagnostics.push(...syntaxDiagnostics(syntax, converter));
  const file = converter.file(syntax.cst);
  return { file, diagnostics: converter.diagnostics };
}

/** A number token's value: digits, or `inf` / `∞`. */
function numberValue(image: string): number {
  return image === "inf" || image === "∞" ? Infinity : Number(image);
}

type Children = Record<string, CstElement[]>;

class Converter {
  readonly diagnostics: Diagnostic[] = [];
  private readonly lineStarts: number[];

  constructor(
    readonly path: string,
    readonly source: string,
    private readonly docs: IToken[],
  ) {
    this.lineStarts = lineStarts(source);
  }

  // ── spans ───────────────────────────────────────────────────────────────────────────────

  /** Line and column (from 1) of an offset; an offset outside the text (a recovered token's) is clamped into it. */
  position(offset: number): Position {
    return positionIn(this.lineStarts, this.source.length, offset);
  }

  spanAt(start: number, end: number): Span {
    return { file: this.path, start: this.position(start), end: this.position(end) };
  }

  tokenSpan(token: IToken): Span {
    if (isVirtual(token)) return this.spanAt(this.source.length, this.source.length);
    return this.spanAt(token.startOffset, (token.endOffset ?? token.startOffset) + 1);
  }

  nodeSpan(node: CstNode): Span {
    const location = node.location;
    if (!location || Number.isNaN(location.startOffset)) return this.spanAt(this.source.length, this.source.length);
    const end = location.endOffset !== undefined && !Number.isNaN(location.endOffset) ? location.endOffset + 1 : location.startOffset;
    return this.spanAt(location.startOffset, end);
  }

  joinSpans(first: Span, last: Span): Span {
    return { file: this.path, start: first.start, end: last.end };
  }

  text(span: Span): string {
    return this.source.slice(span.start.offset, span.end.offset);
  }

  private report(message: string, span: Span): void {
    this.diagnostics.push(error("syntax", message, span));
  }

  // ── doc comments ───────────────────────────────────────────────────────────────────────

  /** The `///` lines directly above `offset` (only blank space between them and it). */
  docBefore(offset: number): string | undefined {
    const lines: string[] = [];
    let next = offset;
    for (let i = this.docs.length - 1; i >= 0; i--) {
      const doc = this.docs[i]!;
      if (doc.startOffset >= next) continue;
      if (this.source.slice((doc.endOffset ?? doc.startOffset) + 1, next).trim() !== "") break;
      lines.unshift(doc.image.replace(/^\/\/\/ ?/, ""));
      next = doc.startOffset;
    }
    return lines.length > 0 ? lines.join("\n") : undefined;
  }

  // ── CST access ────────────────────────────────────────────────────────────────────────

  private tokensOf(children: Children, name: string): IToken[] {
    return (children[name] ?? []) as IToken[];
  }

  private token(children: Children, name: string, index = 0): IToken | undefined {
    return this.tokensOf(children, name)[index];
  }

  private nodesOf(children: Children, name: string): CstNode[] {
    return (children[name] ?? []) as CstNode[];
  }

  private node(children: Children, name: string, index = 0): CstNode | undefined {
    return this.nodesOf(children, name)[index];
  }

  private ident(token: IToken | undefined, fallback: Span): Ident {
    if (!token || isVirtual(token)) return { kind: "Ident", name: "", span: fallback };
    return { kind: "Ident", name: token.image, span: this.tokenSpan(token) };
  }

  // ── file ──────────────────────────────────────────────────────────────────────────────

  file(cst: CstNode): RulesFile {
    const file: RulesFile = {
      kind: "File",
      path: this.path,
      source: this.source,
      imports: [],
      dialects: [],
      externs: [],
      declared: [],
      patterns: [],
      rules: [],
      span: this.spanAt(0, this.source.length),
    };
    const items = Object.entries(cst.children)
      .flatMap(([name, nodes]) => (nodes as CstNode[]).map((node) => ({ name, node })))
      .sort((a, b) => (a.node.location?.startOffset ?? 0) - (b.node.location?.startOffset ?? 0));
    const hasSyntaxErrors = this.diagnostics.length > 0;
    for (const { name, node } of items) {
      if (node.recoveredNode) continue;
      try {
        this.item(file, name, node);
      } catch (failure) {
        // A CST that error recovery left incomplete: the syntax errors already describe it.
        if (!hasSyntaxErrors) throw failure;
      }
    }
    return file;
  }

  private item(file: RulesFile, name: string, node: CstNode): void {
    switch (name) {
      case "importDecl":
        file.imports.push(this.importDecl(node));
        break;
      case "dialectDecl":
        file.dialects.push(this.dialectDecl(node));
        break;
      case "externDecl":
        file.externs.push(this.externDecl(node));
        break;
      case "ruleDecl":
        file.declared.push(this.ruleDecl(node));
        break;
      case "familyDecl":
        file.declared.push(this.familyDecl(node));
        break;
      case "patternDecl":
        file.patterns.push(this.patternDecl(node));
        break;
    }
  }

  private stringValue(token: IToken | undefined): string {
    if (!token || isVirtual(token)) return "";
    try {
      return JSON.parse(token.image) as string;
    } catch {
      // The escapes are JSON's: \" \\ \/ \b \f \n \r \t \uXXXX. Another one would be kept as
      // typed (with its backslash), silently unlike what the author wrote.
      const bad = /\\(?:u(?![0-9a-fA-F]{4})|[^"\\/bfnrtu])/.exec(token.image);
      const at = this.tokenSpan(token).start.offset + (bad?.index ?? 0);
      this.report(`invalid escape '${bad?.[0] ?? token.image}' in a string: use \\" \\\\ \\n \\t \\uXXXX …`, this.spanAt(at, at + (bad?.[0].length ?? 1)));
      return token.image.slice(1, -1);
    }
  }

  private importDecl(node: CstNode): Import {
    return { kind: "Import", path: this.stringValue(this.token(node.children, "StringLiteral")), span: this.nodeSpan(node) };
  }

  // ── dialects ────────────────────────────────────────────────────────────────────────────

  private dialectDecl(node: CstNode): Dialect {
    const span = this.nodeSpan(node);
    const name = this.ident(this.token(node.children, "Identifier"), span).name;
    const ops = this.nodesOf(node.children, "opDecl").map((op) => this.opDecl(op, name));
    return { kind: "Dialect", name, doc: this.docBefore(span.start.offset), ops, span };
  }

  private opDecl(node: CstNode, dialect: string): OpDecl {
    const c = node.children;
    const span = this.nodeSpan(node);
    // A variable number of outputs (`outputs(outputs...)`) is recorded as the name with `...`.
    const ellipses = this.tokensOf(c, "variadicOutput");
    const outputs = this.tokensOf(c, "output").map((t, i, all) => {
      const next = all[i + 1]?.startOffset ?? Infinity;
      return ellipses.some((e) => e.startOffset > t.startOffset && e.startOffset < next) ? `${t.image}...` : t.image;
    });
    const operands = this.nodesOf(c, "operandDecl").map((operand): OperandDecl => {
      const oc = operand.children;
      const arity = this.token(oc, "Question") ? "optional" : this.token(oc, "Ellipsis") ? "variadic" : "required";
      const roles = this.nodesOf(oc, "operandRole").map((role) => this.operandRole(role));
      return { name: this.token(oc, "Identifier")?.image ?? "", arity, roles, span: this.nodeSpan(operand) };
    });
    const clauses: Partial<Record<"domain" | "impl", { value: string; span: Span }>> = {};
    const written: NonNullable<OpDecl["clauses"]> = [];
    for (const clause of this.nodesOf(c, "opClause")) {
      const which = this.token(clause.children, "Domain") ? "domain" : "impl";
      const clauseSpan = this.nodeSpan(clause);
      written.push({ kind: which, span: clauseSpan });
      clauses[which] = { value: this.stringValue(this.token(clause.children, "StringLiteral")), span: clauseSpan };
    }
    return {
      kind: "OpDecl",
      dialect,
      name: this.token(c, "Identifier")?.image ?? "",
      domain: clauses.domain?.value ?? "",
      ...(clauses.impl ? { impl: { path: clauses.impl.value, span: clauses.impl.span } } : {}),
      clauses: written,
      commutative: this.token(c, "Commutative") !== undefined,
      operands,
      outputs: outputs.length > 0 ? outputs : ["output"],
      attrs: this.nodesOf(c, "attrDecl").map((attr) => this.attrDecl(attr)),
      doc: this.docBefore(span.start.offset),
      span,
    };
  }

  /** `channels(W, 0)`: arguments in source order, a number preceded by its `-` negated. */
  private operandRole(node: CstNode): OperandRole {
    const c = node.children;
    const negatives = this.tokensOf(c, "negative").map((t) => t.startOffset + 1);
    const args = this.tokensOf(c, "arg")
      .sort((a, b) => a.startOffset - b.startOffset)
      .map((t): RoleArg => {
        const span = this.tokenSpan(t);
        if (t.tokenType.name === "Identifier") return { kind: "name", name: t.image, span };
        const negated = negatives.some((end) => end <= t.startOffset && !/\S/.test(this.source.slice(end, t.startOffset)));
        return { kind: "number", value: (negated ? -1 : 1) * numberValue(t.image), span };
      });
    return { name: this.token(c, "Identifier")?.image ?? "", args, span: this.nodeSpan(node) };
  }

  private attrDecl(node: CstNode): AttrDecl {
    const span = this.nodeSpan(node);
    const typeNode = this.node(node.children, "typeRef");
    const defaultNode = this.node(node.children, "literal");
    const typeName = typeNode ? this.attrTypeName(typeNode) : undefined;
    const typeForm = typeNode ? this.attrTypeForm(typeNode) : undefined;
    return {
      name: this.token(node.children, "Identifier")?.image ?? "",
      type: typeNode ? this.attrType(typeNode) : { kind: "int" },
      ...(typeName ? { typeName } : {}),
      ...(typeForm ? { typeForm } : {}),
      default: defaultNode ? this.enumLiteral(defaultNode) : undefined,
      span,
    };
  }

  private attrType(node: CstNode): AttrType {
    const c = node.children;
    const base = this.token(c, "Identifier")?.image ?? "";
    const isList = this.token(c, "LBracket") !== undefined;
    // `enum(…)[]` and `int(…)` are kept as written (`typeForm`) for the type-form check.
    if (base === "enum") return { kind: "enum", values: this.tokensOf(c, "enumValue").map((t) => t.image) };
    // An unknown name is kept as written (`typeName`) for the unknown-type check.
    return attrTypeNamed(`${base}${isList ? "[]" : ""}`) ?? { kind: "int" };
  }

  /** The type name as written, without blanks; none for `enum(…)` or when error recovery left the name out. */
  private attrTypeName(node: CstNode): { text: string; span: Span } | undefined {
    const base = this.token(node.children, "Identifier")?.image ?? "";
    if (base === "" || base === "enum") return undefined;
    return { text: `${base}${this.token(node.children, "LBracket") ? "[]" : ""}`, span: this.nodeSpan(node) };
  }

  /** `enum(…)[]` or a name with parameters (`int(…)`), as written; none for a well-formed type. */
  private attrTypeForm(node: CstNode): AttrDecl["typeForm"] {
    const c = node.children;
    const base = this.token(c, "Identifier")?.image ?? "";
    const span = this.nodeSpan(node);
    if (base === "enum") return this.token(c, "LBracket") ? { form: "enum-list", text: this.text(span), span } : undefined;
    return this.token(c, "LParen") ? { form: "parameters", text: base, span } : undefined;
  }

  /** A literal; a bare name is an enum value (`"enum"`) or a capture variable (`"capture"`). */
  private literal(node: CstNode, bareName: "enum" | "capture"): Literal | Ident {
    const c = node.children;
    const span = this.nodeSpan(node);
    const number = this.node(c, "numberLiteral");
    if (number) return this.numberLiteral(number);
    const string = this.token(c, "StringLiteral");
    if (string) return { kind: "String", value: this.stringValue(string), span };
    if (this.token(c, "True")) return { kind: "Bool", value: true, span };
    if (this.token(c, "False")) return { kind: "Bool", value: false, span };
    const name = this.token(c, "Identifier");
    if (name) return bareName === "enum" ? { kind: "String", value: name.image, span } : this.ident(name, span);
    // A name among the items is kept apart (`names`) for the attr-pattern check.
    const items: Literal[] = [];
    const names: Ident[] = [];
    for (const item of this.nodesOf(c, "literal")) {
      const value = this.literal(item, bareName === "enum" ? "enum" : "capture");
      if (value.kind === "Ident") names.push(value);
      else items.push(value);
    }
    return { kind: "List", items, ...(names.length > 0 ? { names } : {}), span };
  }

  private enumLiteral(node: CstNode): Literal {
    const value = this.literal(node, "enum");
    return value.kind === "Ident" ? { kind: "String", value: value.name, span: value.span } : value;
  }

  private numberLiteral(node: CstNode): Literal & { kind: "Number" } {
    const c = node.children;
    const digits = this.token(c, "NumberLiteral");
    const image = digits && !isVirtual(digits) ? digits.image : "0";
    const sign = this.token(c, "Minus") ? -1 : 1;
    return { kind: "Number", value: sign * numberValue(image), isInt: /^\d+$/.test(image), span: this.nodeSpan(node) };
  }

  // ── externs ─────────────────────────────────────────────────────────────────────────────

  private externDecl(node: CstNode): ExternPred {
    const c = node.children;
    const span = this.nodeSpan(node);
    const params = this.nodesOf(c, "paramDecl").map((param) => {
      const paramSpan = this.nodeSpan(param);
      const typeNode = this.node(param.children, "typeRef");
      const typeText = typeNode ? this.text(this.nodeSpan(typeNode)).replace(/\s+/g, "") : "";
      // An unknown name is kept as written for the unknown-type check.
      const typeName = typeNode && typeText !== "" ? { typeName: { text: typeText, span: this.nodeSpan(typeNode) } } : {};
      return { name: this.token(param.children, "Identifier")?.image ?? "", type: paramTypeNamed(typeText) ?? "value", ...typeName, span: paramSpan };
    });
    return { kind: "ExternPred", name: this.token(c, "Identifier")?.image ?? "", params, from: this.stringValue(this.token(c, "StringLiteral")), span };
  }

  // ── rules ───────────────────────────────────────────────────────────────────────────────

  private ruleDecl(node: CstNode, familyDoc?: string): Rule {
    const c = node.children;
    const span = this.nodeSpan(node);
    const nameIdent = this.ident(this.token(c, "Identifier"), span);
    const priorityNode = this.node(c, "numberLiteral");
    // The priority check requires the literal to be an integer.
    const priorityLiteral = priorityNode ? this.numberLiteral(priorityNode) : undefined;
    const patternNode = this.node(c, "pattern");
    const { root, writtenRoot } = this.rootPattern(patternNode ? this.pattern(patternNode) : undefined, span);
    const conditionNode = this.node(c, "condition");
    const resultNode = this.node(c, "result");
    const result: ResultExpr = resultNode ? this.expression(resultNode, "result") : { kind: "Ident", name: "", span };
    const resultSpan = resultNode ? this.nodeSpan(resultNode) : span;
    const lets = this.nodesOf(c, "letDecl").map((letNode): Let => {
      const letSpan = this.nodeSpan(letNode);
      const valueNode = this.node(letNode.children, "expression");
      return {
        kind: "Let",
        name: this.ident(this.token(letNode.children, "Identifier"), letSpan),
        value: valueNode ? (this.expression(valueNode, "expr") as Expr) : { kind: "Ident", name: "", span: letSpan },
        span: letSpan,
      };
    });
    return {
      kind: "Rule",
      name: nameIdent.name,
      nameSpan: nameIdent.span,
      priority: priorityLiteral?.value ?? 0,
      ...(priorityLiteral ? { priorityLiteral } : {}),
      doc: this.docBefore(span.start.offset) ?? familyDoc,
      pattern: root,
      ...(writtenRoot ? { writtenRoot } : {}),
      where: conditionNode ? (this.expression(conditionNode, "expr") as Expr) : undefined,
      lets,
      result,
      span,
      matchText: this.text(root.span),
      resultText: this.text(resultSpan),
    };
  }

  /**
   * A rule's or alternative's root: the op pattern, or an empty op standing in for what was
   * written instead (kept as `writtenRoot` for the pattern-root check). A pattern without a name
   * is what error recovery leaves after a syntax error, already reported: it is not kept.
   */
  private rootPattern(pattern: Pattern | undefined, fallback: Span): { root: OpPattern; writtenRoot?: Exclude<Pattern, OpPattern> } {
    if (pattern?.kind === "OpPattern") return { root: pattern };
    const span = pattern?.span ?? fallback;
    const root: OpPattern = { kind: "OpPattern", op: { name: "", span }, operands: [], attrs: [], span };
    const recovered = !pattern || (pattern.kind === "VarPattern" && pattern.name.name === "");
    return recovered ? { root } : { root, writtenRoot: pattern };
  }

  private pattern(node: CstNode): Pattern {
    const c = node.children;
    const span = this.nodeSpan(node);
    const number = this.node(c, "numberLiteral");
    if (number) {
      const literal = this.numberLiteral(number);
      return { kind: "LiteralPattern", value: literal.value, span };
    }
    const first = this.ident(this.token(c, "Identifier"), span);
    const tails = this.nodesOf(c, "opPatternTail");
    const opName = this.token(c, "opName");
    if (tails.length > 0 && !opName) return this.opPattern(first, tails[0]!, span, undefined);
    const optional = this.token(c, "Question") !== undefined;
    if (opName && tails[0]) {
      const pattern = this.opPattern(this.ident(opName, span), tails[0], span, first);
      // `n?: Op(…)` is kept as written (`optionalBinding`) for the binding-modifier check.
      return optional ? { ...pattern, optionalBinding: this.tokenSpan(this.token(c, "Question")!) } : pattern;
    }
    const constant = this.token(c, "Const") !== undefined;
    if (first.name === "_") {
      // `_?` and `_: const` are kept for the wildcard-modifier check.
      return { kind: "WildcardPattern", ...(optional ? { optional } : {}), ...(constant ? { constant } : {}), span };
    }
    return { kind: "VarPattern", name: first, optional, constant, span };
  }

  private opPattern(head: Ident, tail: CstNode, span: Span, binding: Ident | undefined): OpPattern {
    const c = tail.children;
    const qualified = this.token(c, "qualifiedName");
    const opSpan = qualified ? this.joinSpans(head.span, this.tokenSpan(qualified)) : head.span;
    const op: OpRef = qualified ? { dialect: head.name, name: qualified.image, span: opSpan } : { name: head.name, span: opSpan };
    const attrs = this.nodesOf(c, "attrPattern").map((attr): AttrPattern => {
      const attrSpan = this.nodeSpan(attr);
      const valueNode = this.node(attr.children, "literal");
      return {
        name: this.ident(this.token(attr.children, "Identifier"), attrSpan),
        value: valueNode ? this.literal(valueNode, "capture") : { kind: "Ident", name: "", span: attrSpan },
        span: attrSpan,
      };
    });
    return { kind: "OpPattern", op, binding, operands: this.nodesOf(c, "pattern").map((p) => this.pattern(p)), attrs, span };
  }

  // ── expressions ─────────────────────────────────────────────────────────────────────────

  /**
   * `mode` "result": calls of non-built-ins are result ops (new nodes), and so are their
   * operands; "expr": every call is a function call (built-in or extern predicate).
   */
  private expression(node: CstNode | undefined, mode: "expr" | "result"): Expr | ResultOp {
    // Error recovery can leave a sub-rule out; the syntax error already explains it.
    if (!node) return { kind: "Ident", name: "", span: this.spanAt(this.source.length, this.source.length) };
    const c = node.children;
    switch (node.name) {
      case "expression":
      case "orExpr":
      case "andExpr":
      case "compareExpr":
      case "additiveExpr":
      case "multiplicativeExpr": {
        const operands = this.nodesOf(c, "operand");
        const operators = this.tokensOf(c, "operator");
        const childMode = operators.length === 0 ? mode : "expr";
        let left = this.expression(operands[0]!, childMode);
        for (let i = 0; i < operators.length && operands[i + 1]; i++) {
          const right = this.expression(operands[i + 1]!, "expr");
          const op = operators[i]!.image as "+" | "-" | "*" | "/" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "??";
          left = { kind: "Binary", op, left: this.asExpr(left), right: this.asExpr(right), span: this.joinSpans(left.span, right.span) };
        }
        return left;
      }
      case "unaryExpr": {
        const postfix = this.node(c, "postfixExpr");
        if (postfix) return this.expression(postfix, mode);
        const operand = this.asExpr(this.expression(this.node(c, "unaryExpr")!, "expr"));
        const operator = this.token(c, "operator")!;
        if (operator.image === "-" && operand.kind === "Number") return { ...operand, value: -operand.value, span: this.nodeSpan(node) };
        return { kind: "Unary", op: operator.image as "-" | "!", operand, span: this.nodeSpan(node) };
      }
      case "postfixExpr": {
        // An indexed or laid-out primary (`p[0]`, `C@0`) is an expression, never a result op.
        const suffixed = this.nodesOf(c, "index").length > 0 || this.nodesOf(c, "axis").length > 0;
        const primary = this.expression(this.node(c, "primaryExpr")!, suffixed ? "expr" : mode);
        const suffixes: { offset: number; apply: (target: Expr) => Expr }[] = [];
        const brackets = this.tokensOf(c, "LBracket");
        this.nodesOf(c, "index").forEach((index, i) => {
          const closing = this.tokensOf(c, "RBracket")[i];
          suffixes.push({
            offset: brackets[i]?.startOffset ?? 0,
            apply: (target) => ({
              kind: "Index",
              target,
              index: this.asExpr(this.expression(index, "expr")),
              span: closing ? this.joinSpans(target.span, this.tokenSpan(closing)) : target.span,
            }),
          });
        });
        const ats = this.tokensOf(c, "At");
        this.nodesOf(c, "axis").forEach((axisNode, i) => {
          const axis = this.numberLiteral(axisNode);
          // A fractional axis is kept as written (`axisLiteral`) for the along-axis check.
          suffixes.push({
            offset: ats[i]?.startOffset ?? 0,
            apply: (target) => ({ kind: "Along", operand: target, axis: axis.value, ...(axis.isInt ? {} : { axisLiteral: axis }), span: this.joinSpans(target.span, axis.span) }),
          });
        });
        if (suffixes.length === 0) return primary;
        return suffixes.sort((a, b) => a.offset - b.offset).reduce((target, suffix) => suffix.apply(target), this.asExpr(primary));
      }
      case "primaryExpr": {
        const span = this.nodeSpan(node);
        const number = this.token(c, "NumberLiteral");
        if (number) return { kind: "Number", value: numberValue(number.image), isInt: /^\d+$/.test(number.image), span };
        const string = this.token(c, "StringLiteral");
        if (string) return { kind: "String", value: this.stringValue(string), span };
        if (this.token(c, "True")) return { kind: "Bool", value: true, span };
        if (this.token(c, "False")) return { kind: "Bool", value: false, span };
        const inner = this.node(c, "inner");
        if (inner) return this.expression(inner, mode);
        const call = this.node(c, "nameOrCall");
        if (call) return this.nameOrCall(call, mode);
        return { kind: "ListExpr", items: this.nodesOf(c, "item").map((item) => this.asExpr(this.expression(item, "expr"))), span };
      }
      default:
        return { kind: "Ident", name: "", span: this.nodeSpan(node) };
    }
  }

  private nameOrCall(node: CstNode, mode: "expr" | "result"): Expr | ResultOp {
    const c = node.children;
    const span = this.nodeSpan(node);
    const head = this.ident(this.token(c, "Identifier"), span);
    if (!this.token(c, "LParen")) return head;
    const qualified = this.token(c, "qualifiedName");
    const attrSetNode = this.node(c, "attrSet");
    const args = this.nodesOf(c, "arg");
    // In a result every call is read as a result op; expansion turns those naming a built-in
    // back into calls (the parser does not resolve names).
    const opSpan = qualified ? this.joinSpans(head.span, this.tokenSpan(qualified)) : head.span;
    const op: OpRef = qualified ? { dialect: head.name, name: qualified.image, span: opSpan } : { name: head.name, span: opSpan };
    if (mode !== "result") {
      // A qualified op name or `{…}` is kept as written for the call-form check.
      const written = { ...(qualified ? { qualifiedOp: op } : {}), ...(attrSetNode ? { attrSet: this.nodeSpan(attrSetNode) } : {}) };
      return { kind: "Call", callee: head, args: args.map((arg) => this.asExpr(this.expression(arg, "expr"))), ...written, span };
    }
    return {
      kind: "ResultOp",
      op,
      operands: args.map((arg) => this.expression(arg, "result")),
      attrs: attrSetNode ? this.attrSet(attrSetNode) : [],
      span,
    };
  }

  private attrSet(node: CstNode): AttrSet[] {
    return this.nodesOf(node.children, "attrSetItem").map((item): AttrSet => {
      const c = item.children;
      const span = this.nodeSpan(item);
      const spread = this.token(c, "spread");
      if (spread) return { spread: this.ident(spread, span), span };
      const valueNode = this.node(c, "expression");
      return {
        name: this.ident(this.token(c, "name"), span),
        value: valueNode ? this.asExpr(this.expression(valueNode, "expr")) : undefined,
        span,
      };
    });
  }

  /**
   * An expression parsed in "expr" mode, as one: that mode reads every call as a function call, so
   * no result op reaches here (an op inside an expression is reported by unknown-function). A
   * result op is kept as a call all the same, so the conversion is total.
   */
  private asExpr(value: Expr | ResultOp): Expr {
    if (value.kind !== "ResultOp") return value;
    const args = value.operands.map((operand) => this.asExpr(operand));
    return { kind: "Call", callee: { kind: "Ident", name: value.op.name, span: value.op.span }, args, span: value.span };
  }

  // ── rule families ───────────────────────────────────────────────────────────────────────

  private familyDecl(node: CstNode): FamilyDecl {
    const c = node.children;
    const span = this.nodeSpan(node);
    const familyDoc = this.docBefore(span.start.offset);
    return {
      kind: "Family",
      variables: this.tokensOf(c, "variable").map((t) => this.ident(t, span)),
      iterations: this.nodesOf(c, "familyItem").map((item) => ({
        span: this.nodeSpan(item),
        values: this.nodesOf(item.children, "familyValue").map((value) => this.familyValue(value)),
      })),
      rules: this.nodesOf(c, "ruleDecl").map((rule) => this.ruleDecl(rule, familyDoc)),
      span,
    };
  }

  // ── named patterns ──────────────────────────────────────────────────────────────────────

  private patternDecl(node: CstNode): PatternDecl {
    const c = node.children;
    const span = this.nodeSpan(node);
    const alternatives = this.nodesOf(c, "alternative").map((alt) => {
      const altSpan = this.nodeSpan(alt);
      const patternNode = this.node(alt.children, "pattern");
      const { root, writtenRoot } = this.rootPattern(patternNode ? this.pattern(patternNode) : undefined, altSpan);
      const conditionNode = this.node(alt.children, "condition");
      return { pattern: root, ...(writtenRoot ? { writtenRoot } : {}), where: conditionNode ? (this.expression(conditionNode, "expr") as Expr) : undefined, span: altSpan, text: this.text(root.span) };
    });
    return {
      kind: "PatternDecl",
      name: this.ident(this.token(c, "Identifier"), span),
      params: this.tokensOf(c, "param").map((t) => this.ident(t, span)),
      alternatives,
      doc: this.docBefore(span.start.offset),
      span,
    };
  }

  private familyValue(node: CstNode): FamilyValue {
    const c = node.children;
    const span = this.nodeSpan(node);
    const text = this.text(span);
    const name = this.node(c, "qualifiedName");
    if (name) {
      const parts = this.tokensOf(name.children, "Identifier");
      const ref: OpRef = parts.length > 1 ? { dialect: parts[0]!.image, name: parts[1]!.image, span } : { name: parts[0]?.image ?? "", span };
      return { kind: "op", ref, text };
    }
    const number = this.node(c, "numberLiteral");
    if (number) return { kind: "literal", literal: this.numberLiteral(number), text };
    const string = this.token(c, "StringLiteral");
    if (string) return { kind: "literal", literal: { kind: "String", value: this.stringValue(string), span }, text: this.stringValue(string) };
    return { kind: "literal", literal: { kind: "Bool", value: this.token(c, "True") !== undefined, span }, text };
  }
}
