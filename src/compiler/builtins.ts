/**
 * The one table of built-in functions of the rule language: per built-in its name, parameter
 * kinds, result type, meaning and lowering (the generated TypeScript for a call). The checks
 * validate calls against it, the type of a call is its result type, and lowering emits the
 * row's code from the arguments converted as the parameters ask: a new built-in is one row.
 */
import { array, binary, bool, call, method, undef, type Code } from "./ir.js";

/**
 * What a parameter accepts, and how lowering hands the argument to the row's `lower`:
 * - `value`: a graph value bound by the pattern (plain, `const` or a node binding), never absent;
 * - `operand`: the same, possibly absent (`b?`: `isConst(b)` is false then);
 * - `node`: a node binding (`conv: Conv(…)`): the node, and its op's declared attribute defaults;
 * - `tensor`: a constant tensor expression (a `const` binding, a let, a literal, arithmetic on them);
 * - `maybeConst`: a constant tensor, or a graph value tested with `isConst` first (undefined when not constant);
 * - `int` / `number`: a scalar (attribute captures, `dim(…)`, literals, integer arithmetic);
 * - `ints`: a list of integers (literal lists, `shape(…)`, captured `int[]` attributes);
 * - `string`: a string (a literal, a captured string attribute, `dtype(…)`);
 * - `bools`: a list compared element by element with a number (`pads == 0`);
 * - `list`: any list; `any`: anything.
 */
export type ParamKind = "value" | "operand" | "node" | "tensor" | "maybeConst" | "int" | "number" | "ints" | "list" | "bools" | "string" | "any";

/** The type of a built-in's result; `tensor` results are constant tensors. */
export type ResultKind = "bool" | "int" | "float" | "ints" | "string" | "tensor";

/** Lowering's help to a row: what a `node` argument's op declares. */
export interface BuiltinLowering {
  /** The declared attribute defaults of the op a `node` argument matched, as an attribute object. */
  defaults(argument: number): Code;
}

export interface BuiltinSignature {
  name: string;
  params: ParamKind[];
  /** Calls may omit trailing parameters beyond this count. */
  minArgs: number;
  /** Any number of further arguments of this kind (`sameAttrs(a, b, "pads", "strides")`). */
  rest?: ParamKind;
  returns: ResultKind;
  doc: string;
  /**
   * The generated code of a call, from its arguments converted as `params` say (`value`: the
   * value; `node`: the node; `tensor`: a Tensor; numbers, lists and strings as they are).
   */
  lower(args: Code[], help: BuiltinLowering): Code;
}

function builtin(name: string, params: ParamKind[], returns: ResultKind, doc: string, lower: BuiltinSignature["lower"], minArgs = params.length): BuiltinSignature {
  return { name, params, minArgs, returns, doc, lower };
}

/** A runtime function applied to the converted arguments as they are. */
const calling =
  (fn: string) =>
  (args: Code[]): Code =>
    call(fn, ...args);

/** A runtime function of the arguments' static shapes (`G.rank(rw.shape(x))`). */
const ofShapes =
  (fn: string) =>
  (args: Code[]): Code =>
    call(fn, ...args.map((a) => call("rw.shape", a)));

const table: BuiltinSignature[] = [
  // ── facts about graph values (conditions) ──
  builtin("hasOneUse", ["value"], "bool", "exactly one reader, and not a graph output", calling("rw.hasOneUse")),
  builtin("isConst", ["operand"], "bool", "the value is a constant", ([v]) => binary("!==", call("rw.constant", v!), undef)),
  builtin("useCount", ["value"], "int", "number of readers, graph outputs included", calling("rw.useCount")),
  builtin("rank", ["value"], "int", "static rank (unknown fails the condition)", ofShapes("G.rank")),
  builtin("shape", ["value"], "ints", "static shape (unknown fails the condition)", ofShapes("G.shapeOf")),
  builtin("dim", ["value", "int"], "int", "static size of one axis (negative axes count from the end)", ([v, i]) => call("G.dim", call("rw.shape", v!), i!)),
  builtin("numel", ["value"], "int", "static element count", ofShapes("G.numel")),
  builtin("dtype", ["value"], "string", 'element type name: "float32", "int64", …', calling("rw.dtype")),
  builtin("broadcastable", ["value", "value"], "bool", "numpy-broadcast compatible", ofShapes("G.broadcastable")),
  builtin("broadcastsTo", ["value", "value"], "bool", "the first broadcasts into the second's shape without growing it", ofShapes("G.broadcastsTo")),
  builtin("channelwise", ["value", "value", "int"], "bool", "c broadcasts into v and varies only along the axis", ([c, v, axis]) =>
    call("G.channelwise", call("rw.shape", c!), call("rw.shape", v!), axis!),
  ),
  builtin("isScalar", ["value"], "bool", "exactly one element", ofShapes("G.isScalar")),
  {
    ...builtin(
      "sameAttrs",
      ["node", "node"],
      "bool",
      "two matched nodes have the same attributes (declared defaults filled in), but for the attribute names given after them",
      ([a, b, ...except], help) => call("G.sameAttrs", call("rw.attrsOf", a!), help.defaults(0), call("rw.attrsOf", b!), help.defaults(1), array(except)),
    ),
    rest: "string",
  },
  builtin("dtypeName", ["int"], "string", 'the element type an ONNX type code stands for (Cast.to): 1 → "float32", 7 → "int64", …', calling("G.dtypeName")),
  builtin("dtypeCode", ["string"], "int", 'the ONNX type code of an element type: "float32" → 1, "int64" → 7, …', calling("G.dtypeCode")),
  builtin("intdiv", ["int", "int"], "int", "a / b of two ints when b divides a (otherwise the rule does not fire): dim(W, 0) / g as an int", calling("G.intdiv")),
  builtin("allClose", ["maybeConst", "number", "number"], "bool", "every element within tol (default 1e-6) of the literal", calling("G.allClose"), 2),
  builtin("len", ["list"], "int", "length of a list", ([list]) => ({ kind: "member", target: list!, name: "length" })),
  builtin("all", ["bools"], "bool", "every element of a list compared with a number is true: all(pads == 0), all(shape(W) > 0)", ([test]) =>
    // `xs.map((x) => x === 0)` tested whole reads `xs.every((x) => x === 0)`.
    test!.kind === "method" && test!.name === "map" ? method(test!.target, "every", ...test!.args) : method(test!, "every", { kind: "ref", name: "Boolean" }),
  ),
  // ── permutations (Transpose perms) ──
  builtin("composePerm", ["ints", "ints"], "ints", "transpose by p then by q is transpose by r, r[i] = p[q[i]] (same length)", calling("G.composePerm")),
  builtin("isIdentityPerm", ["ints"], "bool", "a non-empty list [0, 1, …, n-1]", calling("G.isIdentityPerm")),
  // ── numbers read out of constants (attribute values in results; T.item / T.ints abort when the constant does not fit) ──
  builtin("item", ["tensor"], "float", "the single element of a one-element constant", calling("T.item")),
  builtin("ints", ["tensor"], "ints", "the elements of an integer-valued constant as a list", calling("T.ints")),
  // ── constant tensor expressions (lets and result operands) ──
  builtin("sqrt", ["tensor"], "tensor", "elementwise square root", calling("T.sqrt")),
  builtin("rsqrt", ["tensor"], "tensor", "elementwise 1/sqrt", calling("T.rsqrt")),
  builtin("reshape", ["tensor", "ints"], "tensor", "same elements, new shape", calling("T.reshape")),
  builtin("flatten", ["tensor"], "tensor", "same elements, rank 1", calling("T.flatten")),
  builtin("expand", ["tensor", "ints"], "tensor", "broadcast to a shape", calling("T.expand")),
  builtin("broadcast", ["tensor", "ints"], "tensor", "broadcast to a shape (same as expand)", calling("T.expand")),
  builtin("transpose", ["tensor", "ints"], "tensor", "permute axes", calling("T.transpose")),
  // The language's sum keeps the reduced axes (size 1), so results broadcast back strictly.
  builtin("sum", ["tensor", "ints"], "tensor", "sum over the axes, keeping them as size 1", ([t, axes]) => call("T.sum", t!, axes!, bool(true))),
  builtin("matmul", ["tensor", "tensor"], "tensor", "matrix product of two rank-2 tensors", calling("T.matmul")),
  builtin("concat", ["tensor", "tensor", "int"], "tensor", "two constants joined along an axis (their other dims equal)", calling("T.concat")),
  builtin("zeros", ["ints"], "tensor", "float32 zeros of the shape", calling("T.zeros")),
  builtin("ones", ["ints"], "tensor", "float32 ones of the shape", calling("T.ones")),
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
