/**
 * Whether a generated module is inert: it parses as TypeScript (with ts-morph's bundled
 * compiler) and its top level runs nothing when imported — only imports, function declarations
 * and constants whose initializers hold literals and names.
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
  return undefined;
}

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
