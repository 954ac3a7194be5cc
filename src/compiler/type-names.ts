/**
 * The type names of attribute declarations and extern predicate parameters, read by the parser
 * (to give a declaration its type) and by the unknown-type check (to report a name that is none).
 */
import type { AttrDecl, AttrType, ExternPred, ParamType } from "./ast.js";

const attrTypes: Record<string, AttrType> = {
  int: { kind: "int" },
  float: { kind: "float" },
  string: { kind: "string" },
  tensor: { kind: "tensor" },
  "int[]": { kind: "ints" },
  "float[]": { kind: "floats" },
  "string[]": { kind: "strings" },
};

const paramTypes: Record<string, ParamType> = {
  value: "value",
  node: "node",
  int: "int",
  float: "float",
  string: "string",
  "int[]": "ints",
  "float[]": "floats",
  tensor: "tensor",
  bool: "bool",
};

/** The attribute type a name (without blanks, `float[]`) stands for; `enum(…)` is parsed apart. */
export function attrTypeNamed(text: string): AttrType | undefined {
  return Object.hasOwn(attrTypes, text) ? attrTypes[text] : undefined;
}

export function paramTypeNamed(text: string): ParamType | undefined {
  return Object.hasOwn(paramTypes, text) ? paramTypes[text] : undefined;
}

/**
 * Whether the declaration's type is a name the language does not have: its `type` is then a
 * stand-in, which checks other than unknown-type do not judge values against.
 */
export function attrTypeUnknown(attr: AttrDecl): boolean {
  return attr.typeName !== undefined && attrTypeNamed(attr.typeName.text) === undefined;
}

export function paramTypeUnknown(param: ExternPred["params"][number]): boolean {
  return param.typeName !== undefined && paramTypeNamed(param.typeName.text) === undefined;
}

export const attrTypeList = "int, float, string, int[], float[], string[], tensor or enum(…)";
export const paramTypeList = "value, node, int, float, string, int[], float[], tensor or bool";
