/**
 * Every attribute value has its declared type: attribute-pattern literals, values set in result
 * ops and dialect defaults (enum values must be among the enum's). Patterns compare or capture
 * only scalar, string and number-list attributes; results set no tensor attribute.
 */
import type { AttrType, Literal } from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { attrDecl, opPatterns, resultOps, typeOf, type Program } from "../program.js";
import { describeType as describeValueType, type Type } from "../types.js";
import { PATTERN_ATTR_KINDS, RESULT_ATTR_KINDS } from "../lower.js";
import { attrTypeUnknown } from "../type-names.js";

export function checkAttrType(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const file of program.files) {
    for (const dialect of file.dialects) {
      for (const op of dialect.ops) {
        for (const attr of op.attrs) {
          const problem = attr.default && !attrTypeUnknown(attr) && literalProblem(attr.type, attr.default);
          if (problem) diagnostics.push(error("attr-type", `default of '${op.name}.${attr.name}': ${problem}`, attr.default!.span));
        }
      }
    }
  }
  for (const rule of program.rules) {
    const scope = program.scopes.get(rule)!;
    for (const pattern of opPatterns(rule.pattern)) {
      const op = program.ops.resolve(pattern.op);
      for (const attr of pattern.attrs) {
        const decl = op && attrDecl(op, attr.name.name);
        if (!decl || attrTypeUnknown(decl)) continue;
        if (!PATTERN_ATTR_KINDS.has(decl.type.kind)) {
          diagnostics.push(error("attr-type", `a pattern cannot compare or capture '${op.name}.${attr.name.name}' (${describeType(decl.type)}); test it in an extern predicate`, attr.span));
          continue;
        }
        if (attr.value.kind === "Ident") {
          // `{ auto_pad: NOTSET }` would capture the attribute into a variable named NOTSET and
          // match every value; the author meant the enum value.
          if (decl.type.kind === "enum" && decl.type.values.includes(attr.value.name)) {
            const name = attr.value.name;
            diagnostics.push(
              error("attr-type", `'${name}' is a value of '${op.name}.${attr.name.name}', but a bare name captures the attribute; write "${name}" to compare with it`, attr.value.span),
            );
          }
          continue;
        }
        const problem = literalProblem(decl.type, attr.value);
        if (problem) diagnostics.push(error("attr-type", `attribute '${attr.name.name}' of '${op.name}': ${problem}`, attr.value.span));
      }
    }
    for (const result of resultOps(rule.result)) {
      const op = program.ops.resolve(result.op);
      for (const attr of result.attrs) {
        const decl = op && attr.name && attrDecl(op, attr.name.name);
        if (!decl || !attr.value || attrTypeUnknown(decl)) continue;
        const value = attr.value;
        if (!RESULT_ATTR_KINDS.has(decl.type.kind)) {
          diagnostics.push(error("attr-type", `a rule cannot set '${op.name}.${attr.name!.name}' (${describeType(decl.type)}); copy it from a matched node with '...'`, attr.span));
          continue;
        }
        const problem =
          value.kind === "Number" || value.kind === "String" || value.kind === "Bool" || value.kind === "List"
            ? literalProblem(decl.type, value)
            : kindProblem(decl.type, typeOf(scope, value));
        if (problem) diagnostics.push(error("attr-type", `attribute '${attr.name!.name}' of '${op.name}': ${problem}`, value.span));
      }
    }
  }
  return diagnostics;
}

function describeType(type: AttrType): string {
  const names: Record<string, string> = { ints: "int[]", floats: "float[]", strings: "string[]" };
  return type.kind === "enum" ? `enum(${type.values.join(", ")})` : (names[type.kind] ?? type.kind);
}

function describeLiteral(literal: Literal): string {
  switch (literal.kind) {
    case "Number":
      return literal.isInt ? "an int" : "a float";
    case "String":
      return "a string";
    case "Bool":
      return "a bool";
    case "List":
      return "a list";
  }
}

/** Why `literal` is not a value of `type`, or undefined when it is. */
function literalProblem(type: AttrType, literal: Literal): string | undefined {
  const expected = `expected ${describeType(type)}, found ${describeLiteral(literal)}`;
  switch (type.kind) {
    case "int":
      return literal.kind === "Number" && literal.isInt ? undefined : expected;
    case "float":
      return literal.kind === "Number" ? undefined : expected;
    case "string":
      return literal.kind === "String" ? undefined : expected;
    case "enum":
      if (literal.kind !== "String") return expected;
      return type.values.includes(literal.value) ? undefined : `'${literal.value}' is not one of ${type.values.join(", ")}`;
    case "tensor":
      return literal.kind === "Number" || (literal.kind === "List" && literal.items.every((i) => i.kind === "Number")) ? undefined : expected;
    case "ints":
    case "floats":
    case "strings": {
      if (literal.kind !== "List") return expected;
      const itemType: AttrType = { kind: type.kind === "ints" ? "int" : type.kind === "floats" ? "float" : "string" };
      const bad = literal.items.find((item) => literalProblem(itemType, item) !== undefined);
      return bad ? `expected ${describeType(type)}, but an element is ${describeLiteral(bad)}` : undefined;
    }
  }
}

/** Why a value of kind `kind` cannot be an attribute of `type`, or undefined when it can. */
function kindProblem(type: AttrType, kind: Type): string | undefined {
  if (kind === "unknown") return undefined;
  const accepted: Record<AttrType["kind"], Type[]> = {
    int: ["int"],
    float: ["int", "float"],
    string: ["string"],
    enum: ["string"],
    ints: ["ints"],
    floats: ["ints", "floats"],
    strings: ["strings"],
    tensor: ["tensor", "int", "float", "ints", "floats"],
  };
  if (accepted[type.kind].includes(kind)) return undefined;
  const found = kind === "value" ? "a graph value (attributes are compile-time values)" : describeValueType(kind);
  return `expected ${describeType(type)}, found ${found}`;
}
