/**
 * The contract between generated passes and the runtime: `Pass` (what a compiled rule pack
 * exports) and `Rewriter` (what its matcher may call). Generated code imports these through
 * `fusec/runtime` (src/runtime/api.ts) and nothing else.
 *
 * Matching reads the graph; building *stages* nodes and constants that are not in the graph;
 * `replace()` validates the staged replacement (shapes, dtypes) and only then commits it whole.
 * Anything thrown while a rule runs (a failed constant fold, an impossible shape) makes the
 * rule not fire and leaves the graph untouched.
 */
import type { Attr, Attrs, Dim, Node, Value } from "./graph.js";
import type { DType, Tensor } from "./tensor.js";

export interface RuleInfo {
  /** Unique within the pass; rule families expand to `Name[Arg]`. */
  name: string;
  /** Higher runs first among rules on the same root op. */
  priority: number;
  /**
   * The rule's weight against rules rooted at other ops (MLIR's benefit): the number of op
   * nodes its pattern matches plus its priority. A rule rooted at a reader of a node takes that
   * node away from the rule rooted at it when its benefit is higher. Default: `priority`.
   */
  benefit?: number;
  /**
   * The ops of the pattern below its root (`domain::Op` outside the default domain) and how
   * many levels below: `{ op: "Max", depth: 1 }` for `Min(Max(x, 0.0), 6.0)`. Default: none.
   */
  inner?: readonly { op: string; depth: number }[];
  /** Root op the rule matches, as `domain::Op` for non-default domains (`Mul`, `com.microsoft::FusedConv`). */
  root: string;
  /** `file.rules:line:col` of the rule. */
  location: string;
  /** Source text of the match pattern and of the result. */
  match: string;
  result: string;
}

export interface Pass {
  name: string;
  rules: readonly RuleInfo[];
  /**
   * Tries the pass's rules whose root is `node`'s op, in priority order; returns true when one
   * fired (the graph changed), false when none did (the graph is untouched).
   */
  apply(rw: Rewriter, node: Node): boolean;
}

/** An error that makes the current rule not fire (caught by the driver). */
export class RewriteAbort extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RewriteAbort";
  }
}

export interface Rewriter {
  // ── rule bookkeeping ─────────────────────────────────────────────────────────────────────
  /**
   * Starts rule `index` (into `pass.rules`) on the current root: drops anything staged by an
   * earlier attempt. Returns false when the rule is disabled, so the block is skipped.
   */
  begin(index: number): boolean;
  /** Records why the current candidate failed (shown in trace mode); always returns false. */
  fail(reason: string): false;

  // ── reading the graph (no effects) ──────────────────────────────────────────────────────
  /** The node producing `v` if it is `op` in `domain` (default ""), else undefined. */
  def(v: Value | undefined, op: string, domain?: string): Node | undefined;
  /** Input slot `i` of `node`; undefined when absent or out of range. */
  input(node: Node, i: number): Value | undefined;
  /** Number of input slots of `node` (for variadic operands). */
  inputCount(node: Node): number;
  /** Output `i` (default 0) of `node`. */
  output(node: Node, i?: number): Value;
  /** The attribute as stored, or undefined. */
  attr(node: Node, name: string): Attr | undefined;
  /** Typed attribute readers; `fallback` is the dialect's declared default. */
  // With a fallback (the declared default) the read always yields a value.
  attrInt(node: Node, name: string, fallback: number): number;
  attrInt(node: Node, name: string, fallback?: number): number | undefined;
  attrFloat(node: Node, name: string, fallback: number): number;
  attrFloat(node: Node, name: string, fallback?: number): number | undefined;
  attrString(node: Node, name: string, fallback: string): string;
  attrString(node: Node, name: string, fallback?: string): string | undefined;
  attrInts(node: Node, name: string, fallback: number[]): number[];
  attrInts(node: Node, name: string, fallback?: number[]): number[] | undefined;
  attrFloats(node: Node, name: string, fallback: number[]): number[];
  attrFloats(node: Node, name: string, fallback?: number[]): number[] | undefined;
  /** The constant tensor of `v`, or undefined when `v` is not a constant. */
  constant(v: Value | undefined): Tensor | undefined;
  /** Number of readers of `v`, graph outputs included. */
  useCount(v: Value): number;
  /** Exactly one reader, and not a graph output. */
  hasOneUse(v: Value): boolean;
  shape(v: Value): Dim[] | undefined;
  dtype(v: Value): DType | undefined;

  // ── building the replacement (staged: nothing enters the graph before `replace`) ────────
  /** A new constant value holding `t`. */
  constantValue(t: Tensor): Value;
  /**
   * A new node; returns its outputs. Shapes and dtypes come from the runtime's shape
   * inference; an op it cannot infer aborts the rule. There is always a first output (a
   * count below 1 aborts the rule), so `const [y] = rw.create(…)` is a Value under
   * noUncheckedIndexedAccess.
   */
  create(op: string, domain: string, inputs: (Value | undefined)[], attrs: Attrs, outputCount?: number): [Value, ...Value[]];
  /** A copy of all attributes of `node` (to spread, then override some). */
  attrsOf(node: Node): Attrs;
  /**
   * Commits: every output of `root` is replaced by the value at the same index (same shape
   * and dtype, or the rule aborts and the graph is untouched); staged nodes and constants enter
   * the graph; matched nodes left without readers are erased. `values` may be shorter than the
   * root's outputs when the outputs left over have no reader (else the rule aborts). Returns true.
   */
  replace(root: Node, values: Value[]): boolean;
}

/** Attribute constructors for generated code. */
export const A = {
  int: (value: number): Attr => ({ type: "int", value }),
  float: (value: number): Attr => ({ type: "float", value }),
  string: (value: string): Attr => ({ type: "string", value }),
  ints: (value: readonly number[]): Attr => ({ type: "ints", value: [...value] }),
  floats: (value: readonly number[]): Attr => ({ type: "floats", value: [...value] }),
  strings: (value: readonly string[]): Attr => ({ type: "strings", value: [...value] }),
};
