/**
 * The one type vocabulary of the rule language, and the typing of a rule: every expression of
 * its condition, lets and result gets its type here, once, after name resolution. The checks
 * report what does not fit; lowering only reads the recorded types (it infers none).
 */
import type { AttrType, Expr, ExternPred, Ident, Rule } from "./ast.js";
import { lookupBuiltin } from "./builtins.js";
import type { Binding } from "./program.js";

/**
 * What an expression evaluates to:
 * - `value`: a graph value bound by the pattern (`x`, a node binding), not known to be constant;
 * - `const`: a pattern variable bound with `: const`, a graph value that is also a constant tensor;
 * - `tensor`: a constant tensor computed at rewrite time (arithmetic, tensor built-ins, lets);
 * - scalars `int`, `float`, `bool`, `string`;
 * - lists `ints`, `floats`, `strings`, `bools` (a list compared element by element with a
 *   scalar: `pads == 0`), and `list`, a list mixing kinds (only its length is of use);
 * - `unknown`: after an error reported elsewhere (an unbound name, an unknown function).
 */
export type Type = "value" | "const" | "tensor" | "int" | "float" | "bool" | "string" | "ints" | "floats" | "strings" | "bools" | "list" | "unknown";

/** A type as diagnostics name it ("a list of ints"). */
export function describeType(type: Type): string {
  return {
    value: "a graph value",
    const: "a constant tensor",
    tensor: "a constant tensor",
    int: "an int",
    float: "a float",
    bool: "a bool",
    string: "a string",
    ints: "a list of ints",
    floats: "a list of floats",
    strings: "a list of strings",
    bools: "a list of bools",
    list: "a mixed list",
    unknown: "an unknown value",
  }[type];
}

/** The type of a captured attribute's value. */
export function attrValueType(type: AttrType | undefined): Type {
  if (!type) return "unknown";
  return type.kind === "enum" ? "string" : type.kind;
}

export const isNumber = (t: Type): boolean => t === "int" || t === "float";
export const isNumberList = (t: Type): boolean => t === "ints" || t === "floats";
export const isList = (t: Type): boolean => isNumberList(t) || t === "strings" || t === "bools" || t === "list";
/** Types a constant tensor can be made of: constants, numbers and number lists. */
export const isTensorLike = (t: Type): boolean => t === "tensor" || t === "const" || isNumber(t) || isNumberList(t);

/** Types every expression of `rule` (condition, lets, result operands and attribute values). */
export function typeRule(
  rule: Rule,
  references: ReadonlyMap<Ident, Binding>,
  externs: ReadonlyMap<string, ExternPred>,
  rebound: ReadonlySet<string> = new Set(),
): Map<Expr, Type> {
  const types = new Map<Expr, Type>();
  const letTypes = new Map<string, Type>();
  const type = (expr: Expr): Type => {
    const t = expr.kind === "Ident" && rebound.has(expr.name) ? "unknown" : typeOfNode(expr, type, references, externs, letTypes);
    types.set(expr, t);
    return t;
  };
  if (rule.where) type(rule.where);
  for (const let_ of rule.lets) {
    const t = type(let_.value);
    // A let naming a graph value is another name for it.
    letTypes.set(let_.name.name, t);
  }
  const result = (r: Rule["result"]): void => {
    if (r.kind !== "ResultOp") return void type(r);
    r.operands.forEach(result);
    for (const attr of r.attrs) if (attr.value) type(attr.value);
  };
  result(rule.result);
  return types;
}

function typeOfNode(
  expr: Expr,
  type: (e: Expr) => Type,
  references: ReadonlyMap<Ident, Binding>,
  externs: ReadonlyMap<string, ExternPred>,
  letTypes: ReadonlyMap<string, Type>,
): Type {
  switch (expr.kind) {
    case "Number":
      return expr.isInt ? "int" : "float";
    case "String":
      return "string";
    case "Bool":
      return "bool";
    case "List":
    case "ListExpr":
      return listType((expr.items as Expr[]).map(type));
    case "Ident": {
      const binding = references.get(expr);
      switch (binding?.kind) {
        case "value":
        case "node":
          return "value";
        case "const":
          return "const";
        case "attr":
          return attrValueType(binding.type);
        case "let":
          return letTypes.get(binding.name) ?? "unknown";
        default:
          return "unknown";
      }
    }
    case "Unary": {
      const operand = type(expr.operand);
      if (expr.op === "!") return "bool";
      if (isNumber(operand) || operand === "value" || operand === "unknown") return operand;
      return "tensor";
    }
    case "Along":
      type(expr.operand);
      return "tensor";
    case "Index": {
      const target = type(expr.target);
      type(expr.index);
      return target === "ints" ? "int" : target === "floats" ? "float" : target === "strings" ? "string" : target === "bools" ? "bool" : "unknown";
    }
    case "Call": {
      expr.args.forEach(type);
      if (expr.qualifiedOp) return "unknown";
      const builtin = lookupBuiltin(expr.callee.name);
      if (builtin) return builtin.returns;
      return externs.has(expr.callee.name) ? "bool" : "unknown";
    }
    case "Binary": {
      const left = type(expr.left);
      const right = type(expr.right);
      switch (expr.op) {
        case "&&":
        case "||":
          return "bool";
        case "==":
        case "!=":
        case "<":
        case "<=":
        case ">":
        case ">=":
          // A list of numbers against a number compares element by element (`all(pads == 0)`).
          return (isNumberList(left) && isNumber(right)) || (isNumber(left) && isNumberList(right)) ? "bools" : "bool";
        case "??":
          return "tensor";
        default:
          if (left === "value" || right === "value") return "value";
          if (left === "unknown" || right === "unknown") return "unknown";
          // A quotient of integers is fractional in general (3 / 2): it is a float.
          if (isNumber(left) && isNumber(right)) return left === "int" && right === "int" && expr.op !== "/" ? "int" : "float";
          // Arithmetic on constants and lists makes a constant tensor (`p + 1`).
          return "tensor";
      }
    }
  }
}

function listType(items: Type[]): Type {
  if (items.length === 0) return "ints";
  if (items.every((t) => t === "int")) return "ints";
  if (items.every(isNumber)) return "floats";
  if (items.every((t) => t === "string")) return "strings";
  if (items.every((t) => t === "bool")) return "bools";
  return "list";
}
