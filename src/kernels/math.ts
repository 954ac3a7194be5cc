/**
 * Element-wise maths beyond the hot-path ops of elementwise.ts, one row per op: unary maths and
 * trigonometry, the activations with parameters (Elu, Selu, Celu, ThresholdedRelu, Softplus,
 * Softsign, Mish, Shrink, PRelu), IsNaN/IsInf, comparisons, logic (Not, And, Or, Xor), Where,
 * Sum/Mean, Mod and BitShift. Semantics follow the ONNX operator specification.
 */
import { OpError } from "../runtime/registry.js";
import { ALL_DTYPES, FLOAT_DTYPES, NUMERIC_DTYPES, type DType } from "../runtime/tensor.js";
import { defineElementwise, type Scalar } from "./nary.js";
import { attrFloat, attrInt, attrString } from "./util.js";
import type { SimdMapKind } from "./vector.js";

const UNSIGNED: readonly DType[] = ["uint8", "uint16", "uint32", "uint64"];

/** A float function of one operand. */
function floatUnary(op: string, f: (x: number) => number, simd?: SimdMapKind): void {
  defineElementwise({ op, inputs: ["X"], dtypes: FLOAT_DTYPES, fn: () => (a) => f(Number(a[0])), number: () => f, simd });
}

/** A function of one numeric operand, with a BigInt form for int64/uint64. */
function numericUnary(op: string, f: (x: number) => number, big: (x: bigint) => bigint, simd?: SimdMapKind): void {
  defineElementwise({
    op,
    inputs: ["X"],
    dtypes: NUMERIC_DTYPES,
    fn: () => (a) => (typeof a[0] === "bigint" ? big(a[0]) : f(a[0] as number)),
    number: () => f,
    simd,
  });
}

/** Round half to even, as ONNX Round. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

numericUnary("Abs", Math.abs, (x) => (x < 0n ? -x : x), "abs");
numericUnary("Neg", (x) => -x, (x) => -x, "neg");
numericUnary("Sign", Math.sign, (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n));
floatUnary("Reciprocal", (x) => 1 / x, "reciprocal");
floatUnary("Floor", Math.floor, "floor");
floatUnary("Ceil", Math.ceil, "ceil");
floatUnary("Round", roundHalfEven, "round");
floatUnary("Log", Math.log);
floatUnary("Sin", Math.sin);
floatUnary("Cos", Math.cos);
floatUnary("Tan", Math.tan);
floatUnary("Asin", Math.asin);
floatUnary("Acos", Math.acos);
floatUnary("Atan", Math.atan);
floatUnary("Sinh", Math.sinh);
floatUnary("Cosh", Math.cosh);
floatUnary("Asinh", Math.asinh);
floatUnary("Acosh", Math.acosh);
floatUnary("Atanh", Math.atanh);
floatUnary("Softplus", softplus);
floatUnary("Softsign", (x) => x / (1 + Math.abs(x)));
floatUnary("Mish", (x) => x * Math.tanh(softplus(x)));

function elu(attrs: Parameters<typeof attrFloat>[0]): (x: number) => number {
  const alpha = attrFloat(attrs, "alpha", 1);
  return (x) => (x < 0 ? alpha * Math.expm1(x) : x);
}

defineElementwise({
  op: "Elu",
  inputs: ["X"],
  dtypes: FLOAT_DTYPES,
  fn: (attrs) => {
    const f = elu(attrs);
    return (a) => f(a[0] as number);
  },
  number: (attrs) => elu(attrs),
});

defineElementwise({
  op: "Selu",
  inputs: ["X"],
  dtypes: FLOAT_DTYPES,
  fn: (attrs) => {
    const alpha = attrFloat(attrs, "alpha", 1.67326319217681884765625);
    const gamma = attrFloat(attrs, "gamma", 1.05070102214813232421875);
    return (a) => {
      const x = a[0] as number;
      return x > 0 ? gamma * x : gamma * alpha * Math.expm1(x);
    };
  },
});

defineElementwise({
  op: "Celu",
  inputs: ["X"],
  dtypes: FLOAT_DTYPES,
  checkAttrs: (attrs) => {
    if (attrFloat(attrs, "alpha", 1) === 0) throw new OpError("alpha must not be 0");
  },
  fn: (attrs) => {
    const alpha = attrFloat(attrs, "alpha", 1);
    return (a) => {
      const x = a[0] as number;
      return Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha));
    };
  },
});

defineElementwise({
  op: "ThresholdedRelu",
  inputs: ["X"],
  dtypes: FLOAT_DTYPES,
  fn: (attrs) => {
    const alpha = attrFloat(attrs, "alpha", 1);
    return (a) => ((a[0] as number) > alpha ? a[0]! : 0);
  },
});

defineElementwise({
  op: "Shrink",
  inputs: ["input"],
  dtypes: NUMERIC_DTYPES,
  fn: (attrs) => {
    const bias = attrFloat(attrs, "bias", 0);
    const lambd = attrFloat(attrs, "lambd", 0.5);
    return (a) => {
      const x = Number(a[0]);
      return x < -lambd ? x + bias : x > lambd ? x - bias : 0;
    };
  },
});

defineElementwise({
  op: "PRelu",
  inputs: ["X", "slope"],
  dtypes: NUMERIC_DTYPES,
  // Exporters for opset 6 and earlier wrote a [C] slope for NC… inputs: one value per channel.
  align: ([x, slope]) => {
    const c = x![1];
    const perChannel = x!.length >= 3 && slope!.length === 1 && slope![0] === c && c !== x![x!.length - 1] && c !== 1;
    return [x!, perChannel ? [c!, ...x!.slice(2).map(() => 1)] : slope!];
  },
  fn: () => (a) => {
    const x = a[0]!;
    return x < 0 ? (typeof x === "bigint" ? x * (a[1] as bigint) : x * (a[1] as number)) : x;
  },
  number2: () => (x, slope) => (x < 0 ? x * slope : x),
});

defineElementwise({ op: "IsNaN", inputs: ["X"], dtypes: FLOAT_DTYPES, output: "bool", fn: () => (a) => Number.isNaN(a[0]) });

defineElementwise({
  op: "IsInf",
  inputs: ["X"],
  dtypes: FLOAT_DTYPES,
  output: "bool",
  fn: (attrs) => {
    const negative = attrInt(attrs, "detect_negative", 1) !== 0;
    const positive = attrInt(attrs, "detect_positive", 1) !== 0;
    return (a) => (a[0] === Infinity && positive) || (a[0] === -Infinity && negative);
  },
});

// ── comparisons and logic ─────────────────────────────────────────────────────────────────

function comparison(op: string, dtypes: readonly DType[], test: (x: Scalar, y: Scalar) => boolean): void {
  defineElementwise({ op, inputs: ["A", "B"], dtypes, output: "bool", fn: () => (a) => test(a[0]!, a[1]!) });
}

comparison("Equal", ALL_DTYPES, (x, y) => x === y);
comparison("Less", NUMERIC_DTYPES, (x, y) => x < y);
comparison("Greater", NUMERIC_DTYPES, (x, y) => x > y);
comparison("LessOrEqual", NUMERIC_DTYPES, (x, y) => x <= y);
comparison("GreaterOrEqual", NUMERIC_DTYPES, (x, y) => x >= y);
comparison("And", ["bool"], (x, y) => x !== 0 && y !== 0);
comparison("Or", ["bool"], (x, y) => x !== 0 || y !== 0);
comparison("Xor", ["bool"], (x, y) => (x !== 0) !== (y !== 0));
defineElementwise({ op: "Not", inputs: ["X"], dtypes: ["bool"], fn: () => (a) => a[0] === 0 });

// Bitwise ops (opset 18) on integers; BigInts for int64/uint64, 32-bit operators otherwise
// (the typed array keeps the low bits of the result).
const INTEGER = NUMERIC_DTYPES.filter((d) => !FLOAT_DTYPES.includes(d));
function bitwise(op: string, small: (x: number, y: number) => number, big: (x: bigint, y: bigint) => bigint): void {
  defineElementwise({ op, inputs: ["A", "B"], dtypes: INTEGER, fn: () => (a) => (typeof a[0] === "bigint" ? big(a[0], a[1] as bigint) : small(a[0] as number, a[1] as number)) });
}
bitwise("BitwiseAnd", (x, y) => x & y, (x, y) => x & y);
bitwise("BitwiseOr", (x, y) => x | y, (x, y) => x | y);
bitwise("BitwiseXor", (x, y) => x ^ y, (x, y) => x ^ y);
defineElementwise({ op: "BitwiseNot", inputs: ["X"], dtypes: INTEGER, fn: () => (a) => (typeof a[0] === "bigint" ? ~a[0] : ~(a[0] as number)) });

defineElementwise({
  op: "Where",
  inputs: ["condition", "X", "Y"],
  dtypes: ALL_DTYPES,
  operandDTypes: { 0: ["bool"] },
  sameType: [1, 2],
  output: (dtypes) => dtypes[1],
  fn: () => (a) => (a[0] !== 0 ? a[1]! : a[2]!),
});

// ── variadic and binary arithmetic ────────────────────────────────────────────────────────

defineElementwise({
  op: "Sum",
  inputs: ["data_0..."],
  dtypes: FLOAT_DTYPES,
  fn: () => (a) => (a as number[]).reduce((p, q) => p + q, 0),
});

defineElementwise({
  op: "Mean",
  inputs: ["data_0..."],
  dtypes: FLOAT_DTYPES,
  fn: () => (a) => (a as number[]).reduce((p, q) => p + q, 0) / a.length,
});

defineElementwise({
  op: "Mod",
  inputs: ["A", "B"],
  dtypes: NUMERIC_DTYPES,
  checkAttrs: (attrs, dtypes) => {
    const fmod = attrInt(attrs, "fmod", 0);
    if (fmod === 0 && dtypes[0] && FLOAT_DTYPES.includes(dtypes[0])) throw new OpError("fmod must be 1 for floating-point inputs");
  },
  fn: (attrs) => {
    const fmod = attrInt(attrs, "fmod", 0) !== 0;
    return (a) => {
      const [x, y] = a as [Scalar, Scalar];
      if (typeof x === "bigint") {
        const d = y as bigint;
        if (d === 0n) throw new OpError("integer modulo by zero");
        const r = x % d;
        return !fmod && r !== 0n && r < 0n !== d < 0n ? r + d : r;
      }
      const d = y as number;
      if (!fmod && d === 0) throw new OpError("integer modulo by zero");
      const r = x % d;
      return !fmod && r !== 0 && r < 0 !== d < 0 ? r + d : r;
    };
  },
});

defineElementwise({
  op: "BitShift",
  inputs: ["X", "Y"],
  dtypes: UNSIGNED,
  checkAttrs: (attrs) => {
    const direction = attrString(attrs, "direction");
    if (direction !== "LEFT" && direction !== "RIGHT") throw new OpError(`direction must be LEFT or RIGHT, got "${direction}"`);
  },
  fn: (attrs) => {
    const left = attrString(attrs, "direction") === "LEFT";
    return (a) => {
      const [x, y] = a as [Scalar, Scalar];
      if (typeof x === "bigint") return left ? BigInt.asUintN(64, x << (y as bigint)) : x >> (y as bigint);
      // x·2^y is exact in a double; storing it keeps the low bits (the typed array wraps).
      return left ? x * 2 ** (y as number) : Math.floor(x / 2 ** (y as number));
    };
  },
});
