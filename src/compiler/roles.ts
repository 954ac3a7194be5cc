/**
 * The vocabulary of operand roles a dialect may declare (`op Conv(X: image, W: filter(X), B?:
 * channels(W, 0))`): what `fusec verify` synthesizes at each operand of a declared op. The
 * compiler checks declarations against these signatures (checks/operand-role.ts); src/verify
 * implements one generator per name (src/verify/roles.ts), typed by `RoleName` so the two
 * tables cannot drift apart.
 *
 * An operand holds at most one shape role (its shape, or its exact contents for the `constant`
 * ones) and at most one range role. Without a shape role the first operand is `value` and the
 * others are `like(<first operand>)`.
 */

/**
 * What an argument of a role may be: another operand of the op declared before this one, an
 * attribute of the op, an integer, a layout name, or a transposition (an int attribute, 0 or 1).
 */
export type RoleParamKind = "operand" | "attr" | "int" | "layout" | "trans";

export interface RoleSpec {
  /** `shape`: the operand's shape; `constant`: its exact contents (a constant); `range`: its values. */
  kind: "shape" | "constant" | "range";
  params: readonly { name: string; kind: RoleParamKind; optional?: boolean }[];
  doc: string;
}

const operand = (name: string, optional = false) => ({ name, kind: "operand" as const, ...(optional ? { optional } : {}) });

export const ROLES = {
  value: { kind: "shape", params: [], doc: "shaped as its consumer wants (or drawn among NCHW, matrix and rank-3 shapes), with the values its consumer needs" },
  like: { kind: "shape", params: [operand("of")], doc: "the shape of another operand" },
  broadcast: { kind: "shape", params: [], doc: "broadcasts with the op's other operands: a leaf is drawn as [], [1], [C], [C,1,1], [1,C,1,1] or their full shape" },
  image: { kind: "shape", params: [{ name: "layout", kind: "layout", optional: true }], doc: "a rank-4 activation, NCHW (default) or NHWC" },
  filter: { kind: "shape", params: [operand("image")], doc: "a convolution filter for an image operand: OIHW with the op's `group` dividing its channels (NCHW), OHWI (NHWC); draws `group` and `kernel_shape`" },
  transposedFilter: { kind: "shape", params: [operand("image")], doc: "a transposed convolution's filter [C, M/group, kH, kW]; draws `group` (grouped and depthwise)" },
  depthwiseFilter: { kind: "shape", params: [operand("image")], doc: "a depthwise filter [1, kH, kW, C·depth_multiplier] for an NHWC image; draws `depth_multiplier`" },
  channels: {
    kind: "shape",
    params: [operand("of"), { name: "axis", kind: "int" }, { name: "times", kind: "attr", optional: true }],
    doc: "one value per channel: a vector of dim(of, axis) elements (times an attribute's value)",
  },
  trailing: { kind: "shape", params: [operand("of"), { name: "axis", kind: "attr" }], doc: "the dims of another operand from the axis an attribute names on (LayerNormalization's scale)" },
  matrix: { kind: "shape", params: [{ name: "transposed", kind: "trans", optional: true }], doc: "the left factor of a product, [rows, inner] ([inner, rows] when transposed); without an argument also batched [b, rows, inner]" },
  factor: { kind: "shape", params: [operand("left"), { name: "transposed", kind: "trans", optional: true }], doc: "the right factor of a product with `left`: [inner, cols] ([cols, inner] when transposed)" },
  bias: { kind: "shape", params: [operand("left"), operand("right")], doc: "broadcasts to the product of two factors: [cols], [1, cols], [rows, cols], [rows, 1] or []" },
  scalar: { kind: "shape", params: [], doc: "one element, shape [] (a constant is 0, 0.5, −1.5, 4, 1000 or drawn)" },
  axes: { kind: "constant", params: [operand("of")], doc: "an int64 list of valid axes of another operand (its size-1 axes half the time)" },
  shape: { kind: "constant", params: [operand("of")], doc: "an int64 target shape with another operand's element count (with -1 and 0 entries)" },
  ints: {
    kind: "constant",
    params: [operand("of"), { name: "low", kind: "int" }, { name: "high", kind: "int" }],
    doc: "an int64 list with one entry per axis of another operand, each in [low, high] (Slice's starts and ends, Tile's repeats)",
  },
  indices: { kind: "constant", params: [operand("of"), { name: "axis", kind: "attr" }], doc: "int64 indices into another operand along the axis an attribute names, negative ones too (Gather)" },
  pads: { kind: "constant", params: [operand("of")], doc: "an int64 list of begin and end pads for every axis of another operand (batch and channel mostly unpadded)" },
  padPairs: { kind: "constant", params: [operand("of")], doc: "an int32 [rank, 2] list of (before, after) pads for every axis of another operand" },
  flag: { kind: "constant", params: [], doc: "a boolean scalar, false two times in three" },
  fraction: { kind: "constant", params: [], doc: "a float scalar 0.5" },
  positive: { kind: "range", params: [], doc: "values above zero (√, a variance)" },
  nonzero: { kind: "range", params: [], doc: "values away from zero (a denominator)" },
} as const satisfies Record<string, RoleSpec>;

export type RoleName = keyof typeof ROLES;

export function isRoleName(name: string): name is RoleName {
  return Object.hasOwn(ROLES, name);
}

export const LAYOUTS = ["NCHW", "NHWC"] as const;
