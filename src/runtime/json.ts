/**
 * The JSON graph form (read and written), and `GraphBuilder`, a small builder for graphs in code.
 *
 * ```json
 * { "inputs": [{"name": "x", "dtype": "float32", "shape": [1, 3, 8, 8]}],
 *   "outputs": ["y"],
 *   "constants": [{"name": "W", "dtype": "float32", "shape": [4, 3, 3, 3],
 *                  "data": [0.1, …] | {"file": "w.npy"} | {"random": 42}}],
 *   "nodes": [{"op": "Conv", "domain": "", "name": "conv0", "inputs": ["x", "W", ""],
 *              "outputs": ["c"], "attrs": {"pads": {"ints": [1, 1, 1, 1]}, "group": {"int": 1}}}] }
 * ```
 *
 * - dtypes: float32, int64, int32, bool. Dims are sizes or symbolic names (strings).
 * - An empty operand name is an absent optional operand. `domain`, `name`, `attrs` and
 *   `constants` may be omitted; nodes may be listed in any order (they must not form a cycle).
 * - Attributes hold exactly one key: `int`, `float`, `string`, `ints`, `floats`, `strings`,
 *   `tensor` ({dtype, shape, data}) or `opaque` (base64, with `onnxType`).
 * - A node whose opaque subgraphs read values of this graph lists those names in `captures`;
 *   its last inputs are those values (see captures.ts).
 * - Constant data: a flat row-major list (int64 elements beyond 2^53 as decimal strings; float
 *   "NaN", "Infinity", "-Infinity" as strings), a `.npy` file read through `readFile` (dtype and
 *   shape may then be omitted), or `{"random": seed}`: reproducible values, uniform in [-1, 1)
 *   for float32, integers in [-8, 8) for int types, 0/1 for bool.
 * Node output types are inferred through the op registry (ops it does not know stay untyped).
 * docs/graph-json.md describes the same format for users.
 */
import { base64ToBytes, bytesToBase64 } from "./base64.js";
import { parseNpy } from "./npy.js";
import { capturedNames } from "./captures.js";
import { Graph, Value, type Attr, type Attrs, type Dim, type Node } from "./graph.js";
import { InferenceError, inferGraph, inferNode, propagateConstants, type KnownConstants } from "./infer.js";
import { checkedElements, modelLimits, type ModelLimits } from "./limits.js";
import { ALL_DTYPES, allocData, dataFromBytes, DTYPES, isBigInt, isDType, isFloat, numel, storeNumber, tensor, type DType, type Tensor } from "./tensor.js";

export interface ValueJSON {
  name: string;
  dtype: DType;
  shape: Dim[];
}

export type ConstantDataJSON = (number | string)[] | { file: string } | { random: number };

export interface ConstantJSON {
  name: string;
  dtype?: DType;
  shape?: number[];
  data: ConstantDataJSON;
}

export type AttrJSON =
  | { int: number }
  | { float: number | string }
  | { string: string }
  | { ints: number[] }
  | { floats: (number | string)[] }
  | { strings: string[] }
  | { tensor: { dtype: DType; shape: number[]; data: (number | string)[] } }
  | { opaque: string; onnxType: number };

export interface NodeJSON {
  op: string;
  domain?: string;
  name?: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrJSON>;
  /** Names the node's subgraphs read from this graph; its last inputs are those values. */
  captures?: string[];
}

export interface GraphJSON {
  inputs: ValueJSON[];
  outputs: string[];
  constants?: ConstantJSON[];
  nodes: NodeJSON[];
}

/** Bad JSON graph input; the message names the offending field (`nodes[2] ("conv0").inputs[1]: …`). */
export class GraphJSONError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GraphJSONError";
  }
}


// ── reading ──────────────────────────────────────────────────────────────────────────────────

export interface GraphFromJSONOptions {
  /**
   * Returns the bytes of a `.npy` file named by `{"file": …}` constant data. Without it such
   * constants are an error; in Node, `graphFromJSON` from `fusec` reads them relative to a `baseDir`.
   */
  readFile?: (file: string, checkSize?: (bytes: number) => string | undefined) => Uint8Array;
  /** Limits on tensor count and elements (limits.ts), to raise or lower them. */
  limits?: Partial<ModelLimits>;
}

/** Where constants read their data from, and how much they may hold. */
interface ReadContext {
  readFile: GraphFromJSONOptions["readFile"];
  limits: ModelLimits;
}

/** A .npy header: magic, version and length (10 bytes), then a dict padded to 64 bytes. */
const NPY_MIN_HEADER = 10;
const NPY_MAX_HEADER = 65_536 + 12;

/** Builds a graph from its JSON form (a parsed object or JSON text); infers node output types. */
export function graphFromJSON(json: unknown, options: GraphFromJSONOptions = {}): Graph {
  const doc = typeof json === "string" ? parseText(json) : json;
  const context: ReadContext = { readFile: options.readFile, limits: modelLimits(options.limits) };
  const root = record(doc, "graph");
  const graph = new Graph();
  const byName = new Map<string, Value>();
  const declare = (v: Value, where: string) => {
    if (byName.has(v.name)) throw new GraphJSONError(`${where}: the name "${v.name}" is already used`);
    byName.set(v.name, v);
  };

  list(root["inputs"], "inputs").forEach((raw, i) => {
    const where = `inputs[${i}]`;
    const r = record(raw, where);
    const name = text(r["name"], `${where}.name`);
    if (byName.has(name)) throw new GraphJSONError(`${where}: the name "${name}" is already used`);
    declare(graph.addInput(name, dtypeOf(r["dtype"], `${where}.dtype`), dims(r["shape"], `${where}.shape`)), where);
  });
  const constants = list(root["constants"] ?? [], "constants");
  if (constants.length > context.limits.maxTensors) {
    throw new GraphJSONError(`constants: ${constants.length} tensors, more than the limit of ${context.limits.maxTensors} (raise it with --max-tensors)`);
  }
  constants.forEach((raw, i) => {
    const r = record(raw, `constants[${i}]`);
    const name = text(r["name"], `constants[${i}].name`);
    const where = `constants[${i}] ("${name}")`;
    if (byName.has(name)) throw new GraphJSONError(`${where}: the name "${name}" is already used`);
    declare(graph.addConstant(constantTensor(r, where, context), name, true), where);
  });

  // Outputs first, so that operands may name values produced by nodes listed later.
  const nodes = list(root["nodes"], "nodes").map((raw, i) => {
    const r = record(raw, `nodes[${i}]`);
    const op = text(r["op"], `nodes[${i}].op`);
    const name = r["name"] === undefined ? undefined : text(r["name"], `nodes[${i}].name`);
    const where = `nodes[${i}] ("${name ?? op}")`;
    const domain = r["domain"] === undefined ? "" : text(r["domain"], `${where}.domain`);
    const outputs = list(r["outputs"], `${where}.outputs`).map((o, k) => {
      const outName = text(o, `${where}.outputs[${k}]`);
      if (outName === "") throw new GraphJSONError(`${where}.outputs[${k}]: an output needs a name`);
      if (byName.has(outName)) throw new GraphJSONError(`${where}.outputs[${k}]: the name "${outName}" is already used`);
      graph.claimName(outName);
      const v = new Value(outName, undefined, undefined);
      declare(v, where);
      return v;
    });
    const attrs = attrsOf(r["attrs"] ?? {}, `${where}.attrs`, context);
    return { r, op, name, domain, where, outputs, attrs };
  });
  for (const n of nodes) {
    const inputs = list(n.r["inputs"], `${n.where}.inputs`).map((o, k) => {
      const inName = text(o, `${n.where}.inputs[${k}]`);
      if (inName === "") return undefined;
      const v = byName.get(inName);
      if (!v) throw new GraphJSONError(`${n.where}.inputs[${k}]: unknown value "${inName}"`);
      return v;
    });
    const captures = n.r["captures"] === undefined ? [] : list(n.r["captures"], `${n.where}.captures`).map((c, k) => text(c, `${n.where}.captures[${k}]`));
    if (captures.length > inputs.length) throw new GraphJSONError(`${n.where}.captures: ${captures.length} names for ${inputs.length} inputs`);
    const node = graph.addNode({ op: n.op, domain: n.domain, name: n.name, inputs, attrs: n.attrs, outputs: n.outputs });
    if (captures.length > 0) capturedNames.set(node, captures);
  }
  graph.outputs = list(root["outputs"], "outputs").map((o, i) => {
    const name = text(o, `outputs[${i}]`);
    const v = byName.get(name);
    if (!v) throw new GraphJSONError(`outputs[${i}]: unknown value "${name}"`);
    return v;
  });

  try {
    inferGraph(graph);
  } catch (e) {
    if (e instanceof InferenceError) throw new GraphJSONError(`shape inference failed at ${e.message}`);
    if (e instanceof Error && e.message === "graph has a cycle") throw new GraphJSONError("the nodes form a cycle");
    throw e;
  }
  return graph;
}

function parseText(s: string): unknown {
  try {
    // A UTF-8 byte order mark is not part of the JSON text.
    return JSON.parse(s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);
  } catch (e) {
    throw new GraphJSONError(`not valid JSON: ${(e as Error).message}`);
  }
}

function record(raw: unknown, where: string): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new GraphJSONError(`${where}: expected an object`);
  return raw as Record<string, unknown>;
}

function list(raw: unknown, where: string): unknown[] {
  if (!Array.isArray(raw)) throw new GraphJSONError(`${where}: expected a list`);
  return raw;
}

function text(raw: unknown, where: string): string {
  if (typeof raw !== "string") throw new GraphJSONError(`${where}: expected a string`);
  return raw;
}

function integer(raw: unknown, where: string): number {
  if (typeof raw !== "number" || !Number.isInteger(raw)) throw new GraphJSONError(`${where}: expected an integer`);
  return raw;
}

function float(raw: unknown, where: string): number {
  if (typeof raw === "number") return raw;
  if (raw === "NaN" || raw === "Infinity" || raw === "-Infinity") return Number(raw);
  throw new GraphJSONError(`${where}: expected a number`);
}

function dtypeOf(raw: unknown, where: string): DType {
  if (!isDType(raw)) throw new GraphJSONError(`${where}: expected one of ${ALL_DTYPES.join(", ")}`);
  return raw;
}

function dims(raw: unknown, where: string): Dim[] {
  return list(raw, where).map((d, i) => {
    if (typeof d === "string" && d !== "") return d;
    if (typeof d === "number" && Number.isInteger(d) && d >= 0) return d;
    throw new GraphJSONError(`${where}[${i}]: expected a size (integer ≥ 0) or a symbolic name`);
  });
}

function sizes(raw: unknown, where: string): number[] {
  return dims(raw, where).map((d, i) => {
    if (typeof d !== "number") throw new GraphJSONError(`${where}[${i}]: a constant needs a concrete size`);
    return d;
  });
}

/** Names that would set or shadow an object's prototype instead of naming an attribute. */
const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function attrsOf(raw: unknown, where: string, context: ReadContext): Attrs {
  const attrs: Attrs = {};
  for (const [name, value] of Object.entries(record(raw, where))) {
    if (PROTOTYPE_KEYS.has(name)) throw new GraphJSONError(`${where}: "${name}" cannot name an attribute`);
    attrs[name] = attrOf(value, `${where}.${name}`, context);
  }
  return attrs;
}

function attrOf(raw: unknown, where: string, context: ReadContext): Attr {
  const r = record(raw, where);
  const keys = Object.keys(r).filter((k) => k !== "onnxType");
  if (keys.length !== 1) {
    throw new GraphJSONError(`${where}: expected exactly one of int, float, string, ints, floats, strings, tensor, opaque`);
  }
  const key = keys[0]!;
  const v = r[key];
  switch (key) {
    case "int":
      return { type: "int", value: integer(v, `${where}.int`) };
    case "float":
      return { type: "float", value: float(v, `${where}.float`) };
    case "string":
      return { type: "string", value: text(v, `${where}.string`) };
    case "ints":
      return { type: "ints", value: list(v, `${where}.ints`).map((x, i) => integer(x, `${where}.ints[${i}]`)) };
    case "floats":
      return { type: "floats", value: list(v, `${where}.floats`).map((x, i) => float(x, `${where}.floats[${i}]`)) };
    case "strings":
      return { type: "strings", value: list(v, `${where}.strings`).map((x, i) => text(x, `${where}.strings[${i}]`)) };
    case "tensor": {
      const t = record(v, `${where}.tensor`);
      const dtype = dtypeOf(t["dtype"], `${where}.tensor.dtype`);
      const shape = sizes(t["shape"], `${where}.tensor.shape`);
      return { type: "tensor", value: listTensor(dtype, shape, t["data"], `${where}.tensor.data`, context) };
    }
    case "opaque":
      return {
        type: "opaque",
        value: opaqueBytes(text(v, `${where}.opaque`), `${where}.opaque`),
        onnxType: integer(r["onnxType"], `${where}.onnxType`),
      };
    default:
      throw new GraphJSONError(`${where}: unknown attribute kind "${key}"`);
  }
}

function opaqueBytes(b64: string, where: string): Uint8Array {
  try {
    return base64ToBytes(b64);
  } catch {
    throw new GraphJSONError(`${where}: not valid base64`);
  }
}

function constantTensor(r: Record<string, unknown>, where: string, context: ReadContext): Tensor {
  const data = r["data"];
  if (typeof data === "object" && data !== null && !Array.isArray(data) && "file" in data) {
    return npyTensor(r, text((data as { file: unknown }).file, `${where}.data.file`), where, context);
  }
  const dtype = dtypeOf(r["dtype"], `${where}.dtype`);
  const shape = sizes(r["shape"], `${where}.shape`);
  if (typeof data === "object" && data !== null && !Array.isArray(data) && "random" in data) {
    elementsWithin(shape, `${where}.shape`, context);
    return randomTensor(dtype, shape, integer((data as { random: unknown }).random, `${where}.data.random`));
  }
  return listTensor(dtype, shape, data, `${where}.data`, context);
}

/** The element count of a declared shape, within the limit. */
function elementsWithin(shape: number[], where: string, context: ReadContext): number {
  const n = checkedElements(shape, context.limits);
  if (typeof n === "string") throw new GraphJSONError(`${where}: ${n}`);
  return n;
}

function listTensor(dtype: DType, shape: number[], raw: unknown, where: string, context: ReadContext): Tensor {
  const items = list(raw, where);
  const n = elementsWithin(shape, where, context);
  if (items.length !== n) throw new GraphJSONError(`${where}: shape [${shape.join(", ")}] needs ${n} elements, got ${items.length}`);
  const data = allocData(dtype, n);
  items.forEach((x, i) => {
    if (isBigInt(data)) {
      if (typeof x === "string" && /^-?\d+$/.test(x)) data[i] = BigInt(x);
      else data[i] = BigInt(integer(x, `${where}[${i}]`));
    } else if (isFloat(dtype)) storeNumber(dtype, data, i, float(x, `${where}[${i}]`));
    else storeNumber(dtype, data, i, integer(x, `${where}[${i}]`));
  });
  return { dtype, shape, data };
}

/** Reproducible pseudo-random values (mulberry32) for test and benchmark weights. */
function randomTensor(dtype: DType, shape: number[], seed: number): Tensor {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = numel(shape);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const u = next();
    values[i] = isFloat(dtype) ? u * 2 - 1 : dtype === "bool" ? (u < 0.5 ? 0 : 1) : Math.floor(u * 16) - (DTYPES[dtype].kind === "uint" ? 0 : 8);
  }
  return tensor(dtype, shape, values);
}

/**
 * A constant read from a `.npy` file through `readFile`; when dtype and shape are declared, the
 * file's size must be what they need plus a header, which `readFile` checks before reading.
 */
function npyTensor(r: Record<string, unknown>, file: string, where: string, context: ReadContext): Tensor {
  const readFile = context.readFile;
  if (!readFile) throw new GraphJSONError(`${where}.data.file: "${file}" cannot be read here (no readFile option was given)`);
  const declaredDtype = r["dtype"] === undefined ? undefined : dtypeOf(r["dtype"], `${where}.dtype`);
  const declaredShape = r["shape"] === undefined ? undefined : sizes(r["shape"], `${where}.shape`);
  const expected = declaredDtype && declaredShape ? elementsWithin(declaredShape, `${where}.shape`, context) * DTYPES[declaredDtype].bytes : undefined;
  const checkSize = (size: number) => {
    if (size > context.limits.maxBytes) return `"${file}" has ${size} bytes, more than the limit of ${context.limits.maxBytes} (raise it with --max-model-bytes)`;
    if (expected === undefined || (size >= expected + NPY_MIN_HEADER && size <= expected + NPY_MAX_HEADER)) return undefined;
    return `"${file}" has ${size} bytes, but the declared ${declaredDtype} shape [${declaredShape!.join(", ")}] needs ${expected} plus a header`;
  };
  let arr;
  try {
    const bytes = readFile(file, checkSize);
    const wrong = checkSize(bytes.length);
    if (wrong) throw new Error(wrong);
    arr = parseNpy(bytes);
  } catch (e) {
    throw new GraphJSONError(`${where}.data.file: cannot read "${file}": ${(e as Error).message}`);
  }
  const found = checkedElements(arr.shape, context.limits);
  if (typeof found === "string") throw new GraphJSONError(`${where}.data.file: "${file}": ${found}`);
  if (arr.fortranOrder) throw new GraphJSONError(`${where}.data.file: "${file}" is in Fortran order; save it in C order`);
  const fileDtype = arr.dtype;
  if (!fileDtype) throw new GraphJSONError(`${where}.data.file: unsupported .npy dtype "${arr.descr}"`);
  const dtype = r["dtype"] === undefined ? fileDtype : dtypeOf(r["dtype"], `${where}.dtype`);
  if (dtype !== fileDtype) throw new GraphJSONError(`${where}: declared ${dtype} but "${file}" holds ${arr.descr}`);
  const shape = r["shape"] === undefined ? arr.shape : sizes(r["shape"], `${where}.shape`);
  if (shape.length !== arr.shape.length || shape.some((d, i) => d !== arr.shape[i])) {
    throw new GraphJSONError(`${where}: declared shape [${shape.join(", ")}] but "${file}" has [${arr.shape.join(", ")}]`);
  }
  return { dtype, shape: [...shape], data: dataFromBytes(dtype, arr.data, numel(shape)) };
}

// ── writing ──────────────────────────────────────────────────────────────────────────────────

/** The JSON form of `graph`: nodes in topological order, constants inline. */
export function graphToJSON(graph: Graph): GraphJSON {
  return {
    inputs: graph.inputs.map((v) => ({ name: v.name, dtype: v.dtype ?? "float32", shape: [...(v.shape ?? [])] })),
    outputs: graph.outputs.map((v) => v.name),
    constants: [...graph.constants].map((c) => ({
      name: c.name,
      dtype: c.constant!.dtype,
      shape: [...c.constant!.shape],
      data: tensorData(c.constant!),
    })),
    nodes: graph.topoOrder().map((n) => ({
      op: n.op,
      domain: n.domain,
      name: n.name,
      inputs: n.inputs.map((v) => v?.name ?? ""),
      outputs: n.outputs.map((v) => v.name),
      attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, a]) => [k, attrJSON(a)])),
      ...(capturedNames.has(n) ? { captures: [...capturedNames.get(n)!] } : {}),
    })),
  };
}

function tensorData(t: Tensor): (number | string)[] {
  const out = new Array<number | string>(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const x = t.data[i]!;
    if (typeof x === "bigint") out[i] = Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
    else out[i] = Number.isFinite(x) ? x : String(x);
  }
  return out;
}

function floatJSON(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

function attrJSON(a: Attr): AttrJSON {
  switch (a.type) {
    case "int":
      return { int: a.value };
    case "float":
      return { float: floatJSON(a.value) };
    case "string":
      return { string: a.value };
    case "ints":
      return { ints: [...a.value] };
    case "floats":
      return { floats: a.value.map(floatJSON) };
    case "strings":
      return { strings: [...a.value] };
    case "tensor":
      return { tensor: { dtype: a.value.dtype, shape: [...a.value.shape], data: tensorData(a.value) } };
    case "opaque":
      return { opaque: bytesToBase64(a.value), onnxType: a.onnxType };
  }
}

// ── building in code ─────────────────────────────────────────────────────────────────────────

/**
 * Builds a graph in code, inferring each node's output types as it is added:
 *
 *     const b = new GraphBuilder();
 *     const x = b.input("x", "float32", [1, 3, 8, 8]);
 *     const y = b.op("Relu", [x]);
 *     const graph = b.output(y).graph;
 */
export class GraphBuilder {
  readonly graph = new Graph();
  private readonly known: KnownConstants = new Map();

  input(name: string, dtype: DType, shape: Dim[]): Value {
    return this.graph.addInput(name, dtype, shape);
  }

  /** A constant; named `name` exactly when given, else a fresh `const…` name. */
  constant(t: Tensor, name?: string): Value {
    return name === undefined ? this.graph.addConstant(t) : this.graph.addConstant(t, name, true);
  }

  /** Adds a node and returns its outputs (`outputs`: how many, or their names). */
  node(
    op: string,
    inputs: (Value | undefined)[],
    options: { attrs?: Attrs; domain?: string; name?: string; outputs?: number | string[] } = {},
  ): Value[] {
    const name = options.name ?? this.graph.freshName(op.toLowerCase());
    if (options.name !== undefined) this.graph.claimName(name);
    const spec = options.outputs ?? 1;
    const names = typeof spec === "number" ? Array.from({ length: spec }, (_, i) => (spec === 1 ? `${name}_out` : `${name}_out${i}`)) : spec;
    const outputs = names.map((n) => this.graph.newValue(n));
    const node: Node = this.graph.addNode({ op, domain: options.domain ?? "", name, inputs, attrs: options.attrs ?? {}, outputs });
    let infos;
    try {
      infos = inferNode(node, this.known);
    } catch (e) {
      throw new Error(`node "${name}" (${op}): ${(e as Error).message}`);
    }
    infos?.forEach((info, i) => {
      outputs[i]!.dtype = info.dtype;
      outputs[i]!.shape = info.shape ? [...info.shape] : undefined;
    });
    propagateConstants(node, this.known);
    return outputs;
  }

  /** Adds a one-output node and returns its output. */
  op(op: string, inputs: (Value | undefined)[], attrs: Attrs = {}, domain = ""): Value {
    return this.node(op, inputs, { attrs, domain })[0]!;
  }

  /** Marks values as graph outputs. */
  output(...values: Value[]): this {
    this.graph.outputs.push(...values);
    return this;
  }
}
