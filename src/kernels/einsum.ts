/**
 * Einsum: the equation's operand subscripts (with `...` for broadcast dims) and its output
 * (explicit after `->`, or the letters used once, in alphabetical order, after the ellipsis
 * dims). Computed as one loop over every combination of subscript values; each output
 * element sums the products of the operand elements that agree with it.
 */
import type { Dim } from "../runtime/graph.js";
import { OpError, registerOp } from "../runtime/registry.js";
import { NUMERIC_DTYPES, type Tensor } from "../runtime/tensor.js";
import { writer } from "./nary.js";
import { attrString, checkDType, need, outputUninit } from "./util.js";

interface Equation {
  /** Per operand, its subscripts (ellipsis dims as "0", "1", … counted from the left of the broadcast dims). */
  operands: string[][];
  output: string[];
}

function parseTerm(term: string, rank: number | undefined, ellipsisRank: number, what: string): string[] {
  const t = term.trim();
  const dots = t.indexOf("...");
  const letters = (s: string): string[] => {
    for (const ch of s) if (!/[a-zA-Z]/.test(ch)) throw new OpError(`${what}: "${ch}" is not a subscript letter`);
    return [...s];
  };
  if (dots < 0) {
    const out = letters(t);
    if (rank !== undefined && out.length !== rank) throw new OpError(`${what} "${t}" has ${out.length} subscripts for rank ${rank}`);
    return out;
  }
  const before = letters(t.slice(0, dots));
  const after = letters(t.slice(dots + 3));
  const own = rank === undefined ? ellipsisRank : rank - before.length - after.length;
  if (own < 0) throw new OpError(`${what} "${t}" has more subscripts than rank ${rank}`);
  // Ellipsis dims are numbered from the right so that operands of different ranks broadcast.
  const dims = Array.from({ length: own }, (_, i) => String(ellipsisRank - own + i));
  return [...before, ...dims, ...after];
}

function parseEquation(equation: string, ranks: readonly number[]): Equation {
  const [lhs, rhs] = equation.replace(/\s+/g, "").split("->") as [string, string | undefined];
  const terms = lhs.split(",");
  if (terms.length !== ranks.length) throw new OpError(`equation "${equation}" has ${terms.length} operands, the node ${ranks.length} inputs`);
  const ellipsisRank = Math.max(
    0,
    ...terms.map((t, i) => (t.includes("...") ? ranks[i]! - t.replace("...", "").length : 0)),
  );
  const operands = terms.map((t, i) => parseTerm(t, ranks[i], ellipsisRank, `operand ${i}`));
  let output: string[];
  if (rhs !== undefined) output = parseTerm(rhs, undefined, ellipsisRank, "output");
  else {
    const counts = new Map<string, number>();
    for (const op of operands) for (const s of op) counts.set(s, (counts.get(s) ?? 0) + 1);
    const dims = Array.from({ length: ellipsisRank }, (_, i) => String(i));
    output = [...dims, ...[...counts].filter(([s, n]) => n === 1 && /[a-zA-Z]/.test(s)).map(([s]) => s).sort()];
  }
  for (const s of output) if (!operands.some((op) => op.includes(s))) throw new OpError(`output subscript "${s}" appears in no operand`);
  return { operands, output };
}

/** Each subscript's size; size-1 ellipsis dims broadcast. */
function subscriptSizes(eq: Equation, shapes: readonly (readonly Dim[])[]): Map<string, Dim> {
  const sizes = new Map<string, Dim>();
  eq.operands.forEach((subs, k) =>
    subs.forEach((s, d) => {
      const size = shapes[k]![d]!;
      const known = sizes.get(s);
      if (known === undefined || known === 1) sizes.set(s, size);
      else if (size !== 1 && typeof known === "number" && typeof size === "number" && known !== size) {
        throw new OpError(`subscript "${/\d/.test(s) ? "..." : s}" has size ${known} in one operand and ${size} in another`);
      }
    }),
  );
  return sizes;
}

registerOp({
  op: "Einsum",
  domain: "",
  infer: (inputs, attrs) => {
    if (inputs.length === 0) throw new OpError("Einsum needs at least one input");
    const infos = inputs.map((x, i) => need(inputs, i, `Inputs_${i}`));
    infos.forEach((x, i) => checkDType(x.dtype, NUMERIC_DTYPES, `Inputs_${i}`));
    if (infos.some((x) => !x.shape)) return [{ dtype: infos[0]!.dtype, shape: undefined }];
    const shapes = infos.map((x) => x.shape!);
    const eq = parseEquation(attrString(attrs, "equation"), shapes.map((s) => s.length));
    const sizes = subscriptSizes(eq, shapes);
    return [{ dtype: infos[0]!.dtype, shape: eq.output.map((s) => sizes.get(s)!) }];
  },
  kernel: (inputs, attrs) => {
    const xs = inputs.map((x, i) => need(inputs, i, `Inputs_${i}`));
    return [einsumOf(attrString(attrs, "equation"), xs)];
  },
});

/** Evaluates `equation` on `xs` (any numeric dtype; accumulated in float64). */
export function einsumOf(equation: string, xs: readonly Tensor[]): Tensor {
  const eq = parseEquation(
    equation,
    xs.map((x) => x.shape.length),
  );
  return einsum(xs, eq, subscriptSizes(eq, xs.map((x) => x.shape)) as Map<string, number>);
}

function einsum(xs: readonly Tensor[], eq: Equation, sizes: Map<string, number>): Tensor {
  const dtype = xs[0]!.dtype;
  const outShape = eq.output.map((s) => sizes.get(s)!);
  // Loop order: output subscripts first, then the summed ones.
  const all = [...eq.output, ...[...sizes.keys()].filter((s) => !eq.output.includes(s))];
  const dims = all.map((s) => sizes.get(s)!);
  // Per operand, its stride along each loop subscript (0 where it does not appear or broadcasts).
  const loopStrides = xs.map((x, k) => {
    const subs = eq.operands[k]!;
    const own = new Array<number>(subs.length);
    let acc = 1;
    for (let d = subs.length - 1; d >= 0; d--) {
      own[d] = x.shape[d] === 1 ? 0 : acc;
      acc *= x.shape[d]!;
    }
    return all.map((s) => subs.reduce((sum, t, d) => (t === s ? sum + own[d]! : sum), 0));
  });
  const outCount = outShape.reduce((p, q) => p * q, 1);
  const inner = dims.slice(eq.output.length).reduce((p, q) => p * q, 1);
  const acc = new Float64Array(outCount);
  const datas = xs.map((x) => x.data as ArrayLike<number | bigint>);
  const offsets = new Array<number>(xs.length).fill(0);
  const pos = new Array<number>(all.length).fill(0);
  const total = outCount * inner;
  for (let i = 0; i < total; i++) {
    let product = 1;
    for (let k = 0; k < datas.length; k++) product *= Number(datas[k]![offsets[k]!]);
    acc[Math.floor(i / inner)] += product;
    for (let d = all.length - 1; d >= 0; d--) {
      for (let k = 0; k < offsets.length; k++) offsets[k]! += loopStrides[k]![d]!;
      if (++pos[d]! < dims[d]!) break;
      for (let k = 0; k < offsets.length; k++) offsets[k]! -= loopStrides[k]![d]! * dims[d]!;
      pos[d] = 0;
    }
  }
  const out = outputUninit(dtype, outShape);
  const write = writer(dtype, out.data);
  for (let o = 0; o < outCount; o++) write(o, acc[o]!);
  return out;
}
