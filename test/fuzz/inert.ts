/**
 * Whether a generated module is inert: it parses as TypeScript (with ts-morph's bundled
 * compiler), its top level runs nothing when imported — only imports, function declarations
 * and constants whose initializers hold literals and names — and its functions call only the
 * runtime API (`rw.…`, `G.…`, `T.…`, `A.…`, `Math.…`), the module's own functions and the
 * extern predicates it imports: no text of a rules file can add a call such as `process.exit`.
 */
import { ts } from "ts-morph";

/** Why `code` is not an inert module that TypeScript parses, if it is not. */
export function inertModuleProblem(code: string): string | undefined {
  const file = ts.createSourceFile("generated.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const syntax = (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  if (syntax.length > 0) return `generated code does not parse: ${ts.flattenDiagnosticMessageText(syntax[0]!.messageText, "\n")}`;
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement) || ts.isFunctionDeclaration(statement)) continue;
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (d.initializer && !inert(d.initializer)) return `top-level initializer runs code: ${d.initializer.getText().slice(0, 200)}`;
      }
      continue;
    }
    return `top-level statement runs code: ${statement.getText().slice(0, 200)}`;
  }
  const own = new Set<string>();
  for (const statement of file.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name) own.add(statement.name.text);
    if (ts.isImportDeclaration(statement)) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) for (const e of bindings.elements) own.add(e.name.text);
    }
  }
  let bad: string | undefined;
  const visit = (node: ts.Node): void => {
    if (bad) return;
    if (ts.isCallExpression(node) || ts.isNewExpression(node) || ts.isTaggedTemplateExpression(node)) {
      const callee = ts.isTaggedTemplateExpression(node) ? node.tag : node.expression;
      let root: ts.Expression = callee;
      while (ts.isPropertyAccessExpression(root)) root = root.expression;
      const allowed = ts.isIdentifier(root) && (RUNTIME_ROOTS.has(root.text) ? root !== callee : own.has(root.text) && root === callee);
      if (!allowed || ts.isNewExpression(node) || ts.isTaggedTemplateExpression(node)) bad = `generated code calls ${callee.getText().slice(0, 80)}`;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return bad;
}

/** Namespaces generated code may call into. */
const RUNTIME_ROOTS = new Set(["rw", "G", "T", "A", "Math", "Number"]);

function inert(node: ts.Node): boolean {
  if (ts.isStringLiteral(node) || ts.isNumericLiteral(node) || ts.isIdentifier(node) || ts.isNoSubstitutionTemplateLiteral(node)) return true;
  if (node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword || node.kind === ts.SyntaxKind.NullKeyword) return true;
  if (ts.isPrefixUnaryExpression(node)) return inert(node.operand);
  if (ts.isArrayLiteralExpression(node)) return node.elements.every(inert);
  if (ts.isObjectLiteralExpression(node)) {
    return node.properties.every((p) => (ts.isPropertyAssignment(p) && !ts.isComputedPropertyName(p.name) && inert(p.initializer)) || ts.isShorthandPropertyAssignment(p));
  }
  if (ts.isAsExpression(node) || ts.isParenthesizedExpression(node)) return inert(node.expression);
  return false;
}
