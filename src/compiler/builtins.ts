/**
 * The one table of built-in functions of the rule language: name, parameter kinds, result kind
 * and meaning. The checks validate calls against it and codegen emits code per entry, so a new
 * built-in is one row here plus its code generation.
 */

/**
 * What a parameter accepts:
 * - `value`: a graph value bound by the pattern (plain, `const` or a node binding);
 * - `tensor`: a constant tensor expression (a `const` binding, a let, a literal, arithmetic on them);
 * - `int` / `number`: a scalar (attribute captures, `dim(…)`, literals, integer arithmetic);
 * - `ints`: a list of integers (literal lists, `shape(…)`, captured `int[]` attributes);
 * - `string`: a string (a literal, a captured string attribute, `dtype(…)`);
 * - `list`: any list; `any`: anything.
 */
export type ParamKind = "value" | "tensor" | "int" | "number" | "ints" | "list" | "string" | "any";

/** The kind of a built-in's result; `tensor` results are constant tensors. */
export type ResultKind = "bool" | "int" | "float" | "ints" | "string" | "tensor";

export interface BuiltinSignature {
  name: string;
  params: ParamKind[];
  /** Calls may omit trailing parameters beyond this count. */
  minArgs: number;
  /** Any number of further arguments of this kind (`sameAttrs(a, b, "pads", "strides")`). */
  rest?: ParamKind;
  returns: ResultKind;
  doc: string;
}

function builtin(name: string, params: ParamKind[], returns: ResultKind, doc: string, minArgs = params.length): BuiltinSignature {
  return { name, params, minArgs, returns, doc };
}

const table: BuiltinSignature[] = [
  // ── facts about graph values (conditions) ──
  builtin("hasOneUse", ["value"], "bool", "exactly one reader, and not a graph output"),
  builtin("isConst", ["value"], "bool", "the value is a constant"),
  builtin("useCount", ["value"], "int", "number of readers, graph outputs included"),
  builtin("rank", ["value"], "int", "static rank (unknown fails the condition)"),
  builtin("shape", ["value"], "ints", "static shape (unknown fails the condition)"),
  builtin("dim", ["value", "int"], "int", "static size of one axis (negative axes count from the end)"),
  builtin("numel", ["value"], "int", "static element count"),
  builtin("dtype", ["value"], "string", 'element type name: "float32", "int64", …'),
  builtin("broadcastable", ["value", "value"], "bool", "numpy-broadcast compatible"),
  builtin("broadcastsTo", ["value", "value"], "bool", "the first broadcasts into the second's shape without growing it"),
  builtin("channelwise", ["value", "value", "int"], "bool", "c broadcasts into v and varies only along the axis"),
  builtin("isScalar", ["value"], "bool", "exactly one element"),
  {
    ...builtin("sameAttrs", ["value", "value"], "bool", "two matched nodes have the same attributes (declared defaults filled in), but for the attribute names given after them"),
    rest: "string",
  },
  builtin("dtypeName", ["int"], "string", 'the element type an ONNX type code stands for (Cast.to): 1 → "float32", 7 → "int64", …'),
  builtin("dtypeCode", ["string"], "int", 'the ONNX type code of an element type: "float32" → 1, "int64" → 7, …'),
  builtin("intdiv", ["int", "int"], "int", "a / b of two ints when b divides a (otherwise the rule does not fire): dim(W, 0) / g as an int"),
  builtin("allClose", ["tensor", "number", "number"], "bool", "every element within tol (default 1e-6) of the literal", 2),
  builtin("len", ["list"], "int", "length of a list"),
  builtin("all", ["list"], "bool", "every element of a boolean list is true"),
  // ── permutations (Transpose perms) ──
  builtin("composePerm", ["ints", "ints"], "ints", "transpose by p then by q is transpose by r, r[i] = p[q[i]] (same length)"),
  builtin("isIdentityPerm", ["ints"], "bool", "a non-empty list [0, 1, …, n-1]"),
  // ── numbers read out of constants (attribute values in results) ──
  builtin("item", ["tensor"], "float", "the single element of a one-element constant"),
  builtin("ints", ["tensor"], "ints", "the elements of an integer-valued constant as a list"),
  // ── constant tensor expressions (lets and result operands) ──
  builtin("sqrt", ["tensor"], "tensor", "elementwise square root"),
  builtin("rsqrt", ["tensor"], "tensor", "elementwise 1/sqrt"),
  builtin("reshape", ["tensor", "ints"], "tensor", "same elements, new shape"),
  builtin("flatten", ["tensor"], "tensor", "same elements, rank 1"),
  builtin("expand", ["tensor", "ints"], "tensor", "broadcast to a shape"),
  builtin("broadcast", ["tensor", "ints"], "tensor", "broadcast to a shape (same as expand)"),
  builtin("transpose", ["tensor", "ints"], "tensor", "permute axes"),
  builtin("sum", ["tensor", "ints"], "tensor", "sum over the axes, keeping them as size 1"),
  builtin("matmul", ["tensor", "tensor"], "tensor", "matrix product of two rank-2 tensors"),
  builtin("concat", ["tensor", "tensor", "int"], "tensor", "two constants joined along an axis (their other dims equal)"),
  builtin("zeros", ["ints"], "tensor", "float32 zeros of the shape"),
  builtin("ones", ["ints"], "tensor", "float32 ones of the shape"),
];

const byName = new Map(table.map((signature) => [signature.name, signature]));

/** The built-in called `name`, or undefined. */
export function lookupBuiltin(name: string): BuiltinSignature | undefined {
  return byName.get(name);
}

/** Every built-in, in table order (for "did you mean" and documentation). */
export function builtinNames(): string[] {
  return table.map((signature) => signature.name);
}
