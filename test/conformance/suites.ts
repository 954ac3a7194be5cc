/**
 * The two conformance suites as cases fusec can run: ONNX's backend test data (a model, its
 * inputs and reference outputs as serialized TensorProtos) and onnxruntime-web's operator tests
 * (JSON with comments, each case built here into a one-node model the way onnxruntime-web's own
 * test runner builds it). Each case carries its suite's comparison rule and, where the issue puts
 * it out of scope (sequence, optional, training, string and quantized ops), the reason.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse as parseJsonc, type ParseError } from "jsonc-parser";
import { decodeOnnx } from "../../src/index.js";
import { DataType, encodeModel, onnx, type IAttributeProto } from "../onnx/onnx-proto.js";
import { DTYPES, isDType, tensor, type DType, type Tensor } from "../../src/runtime/tensor.js";

export const DATA_DIR = new URL("./data/", import.meta.url).pathname;

export type SuiteName = "onnx-backend" | "ort-web-ops";

export interface ConformanceCase {
  suite: SuiteName;
  /** Stable key: the suite, the case's folder or file, test and case names. */
  id: string;
  /** The ops of the model (domain-qualified outside ai.onnx), for the per-op table. */
  ops: string[];
  /** The model, or why it cannot be built. */
  model: Uint8Array | string;
  feeds: Record<string, Tensor>;
  /** Expected outputs in the graph's output order (undefined: not checked). */
  expected: (Tensor | undefined)[];
  /** Element types of inputs and outputs, for the in-scope dtype rule. */
  dtypes: string[];
  /** Why the issue puts the case out of scope, if it does. */
  outOfScope?: string;
  /** The suite's comparison: a message when `actual` does not match `expected`. */
  compare(actual: Tensor, expected: Tensor): string | undefined;
}

// ── scope ─────────────────────────────────────────────────────────────────────────────────

const SEQUENCE_OPS = /^(Sequence\w*|SplitToSequence|ConcatFromSequence)$/;
const OPTIONAL_OPS = /^Optional\w*$/;
const STRING_OPS = /^(StringNormalizer|StringConcat|StringSplit|RegexFullMatch|TfIdfVectorizer)$/;
const QUANTIZED_OPS = /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|QLinear\w+|\w+Integer|MatMulNBits|GatherBlockQuantized|DequantizeLinearInt4)$/;
/** The com.microsoft ops fusec emits or fuses into: only these contrib ops are in scope. */
export const CONTRIB_IN_SCOPE = new Set([
  "FusedConv", "FusedGemm", "Gelu", "FastGelu", "BiasGelu", "QuickGelu",
  "LayerNormalization", "SkipLayerNormalization", "SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization",
]);
/** Element types the "in-scope dtype" rule counts. */
export const IN_SCOPE_DTYPES = new Set(["float32", "int32", "int64", "bool"]);

function scopeOf(ops: readonly string[], dtypes: readonly string[]): string | undefined {
  for (const key of ops) {
    const [domain, op] = key.includes("::") ? (key.split("::") as [string, string]) : ["", key];
    if (domain === "ai.onnx.preview.training") return `training op ${op} is out of scope`;
    if (SEQUENCE_OPS.test(op)) return `sequence op ${op} is out of scope`;
    if (OPTIONAL_OPS.test(op)) return `optional op ${op} is out of scope`;
    if (STRING_OPS.test(op)) return `string op ${op} is out of scope`;
    if (QUANTIZED_OPS.test(op)) return `quantized op ${op} is out of scope`;
    if ((domain === "com.microsoft" || domain === "com.ms.internal.nhwc") && !CONTRIB_IN_SCOPE.has(op)) {
      return `${domain} op ${op} is not one fusec emits or fuses into`;
    }
  }
  if (dtypes.includes("string")) return "string tensors are out of scope";
  if (dtypes.some((d) => d === "int4" || d === "uint4")) return "4-bit (quantized) tensors are out of scope";
  return undefined;
}

// ── comparison rules ──────────────────────────────────────────────────────────────────────

function sameShapeAndType(actual: Tensor, expected: Tensor): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.shape.join() !== expected.shape.join()) return `shape [${actual.shape}], expected [${expected.shape}]`;
  return undefined;
}

/** numpy's assert_allclose as ONNX's backend tests use it: |a − e| ≤ atol + rtol·|e|, NaN equals NaN. */
function allclose(rtol: number, atol: number) {
  return (actual: Tensor, expected: Tensor): string | undefined => {
    const bad = sameShapeAndType(actual, expected);
    if (bad) return bad;
    for (let i = 0; i < expected.data.length; i++) {
      const a = Number(actual.data[i]);
      const e = Number(expected.data[i]);
      if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
      if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return `element ${i} is ${a}, expected ${e}`;
    }
    return undefined;
  };
}

/**
 * onnxruntime-web's validator for the onnxruntime backend: equal, both NaN, an absolute error
 * under 1e-3, or the same sign and a ratio within 1.00001; integers exactly.
 */
function ortWebClose(actual: Tensor, expected: Tensor): string | undefined {
  const bad = sameShapeAndType(actual, expected);
  if (bad) return bad;
  const float = DTYPES[expected.dtype].kind === "float";
  for (let i = 0; i < expected.data.length; i++) {
    const a = Number(actual.data[i]);
    const e = Number(expected.data[i]);
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (float && Number.isFinite(a) && Number.isFinite(e)) {
      if (Math.abs(a - e) < 1e-3) continue;
      if (a * e > 0 && a / e < 1.00001 && e / a < 1.00001) continue;
    }
    return `element ${i} is ${a}, expected ${e}`;
  }
  return undefined;
}

// ── ONNX backend data ─────────────────────────────────────────────────────────────────────

/** A serialized TensorProto as a fusec tensor, through the model loader (so every dtype it reads is read the same way). */
function decodeTensorProto(bytes: Uint8Array): Tensor {
  const t = onnx.TensorProto.decode(bytes);
  t.name = "value";
  const model = encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: { name: "tensor", initializer: [t], output: [{ name: "value", type: { tensorType: { elemType: t.dataType } } }] },
  });
  const constant = [...decodeOnnx(model).constants][0]?.constant;
  if (!constant) throw new Error(`element type ${t.dataType} is not one fusec reads`);
  return constant;
}

function onnxBackendCase(dir: string, id: string): ConformanceCase {
  const bytes = new Uint8Array(readFileSync(join(dir, "model.onnx")));
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((i) => i.name));
  const inputNames = (graph.input ?? []).map((i) => i.name!).filter((n) => !initializers.has(n));
  const data = join(dir, "test_data_set_0");
  const files = readdirSync(data);
  const read = (prefix: string) =>
    files
      .filter((f) => f.startsWith(prefix))
      .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
      .map((f) => new Uint8Array(readFileSync(join(data, f))));
  const ops = [...new Set((graph.node ?? []).map((n) => (n.domain && n.domain !== "ai.onnx" ? `${n.domain}::${n.opType}` : n.opType!)))].sort();
  const elemTypes = [...(graph.input ?? []), ...(graph.output ?? [])].map((v) => v.type?.tensorType?.elemType ?? (v.type?.sequenceType ? -1 : 0));
  const dtypes = elemTypes.map((code) => (code === -1 ? "sequence" : code === DataType.STRING ? "string" : (Object.values(DTYPES).find((d) => d.onnx === code)?.name ?? `type ${code}`)));
  const base: Omit<ConformanceCase, "model" | "feeds" | "expected"> = { suite: "onnx-backend", id, ops, dtypes, compare: allclose(1e-3, 1e-7) };
  const outOfScope = scopeOf(ops, dtypes) ?? (dtypes.includes("sequence") ? "sequence values are out of scope" : undefined);
  if (outOfScope) base.outOfScope = outOfScope;
  try {
    const inputs = read("input_").map(decodeTensorProto);
    const feeds: Record<string, Tensor> = {};
    inputNames.forEach((name, i) => {
      if (inputs[i]) feeds[name] = inputs[i]!;
    });
    return { ...base, model: bytes, feeds, expected: read("output_").map(decodeTensorProto) };
  } catch (e) {
    return { ...base, model: `reference data: ${(e as Error).message}`, feeds: {}, expected: [] };
  }
}

export function onnxBackendCases(): ConformanceCase[] {
  const root = join(DATA_DIR, "onnx-backend");
  const cases: ConformanceCase[] = [];
  for (const group of readdirSync(root).sort()) {
    const groupDir = join(root, group);
    if (!statSync(groupDir).isDirectory()) continue;
    for (const name of readdirSync(groupDir).sort()) cases.push(onnxBackendCase(join(groupDir, name), `onnx-backend/${group}/${name}`));
  }
  return cases;
}

// ── onnxruntime-web operator tests ────────────────────────────────────────────────────────

interface JsonTensor {
  data: number[] | boolean[] | string[] | null;
  dims: number[];
  type: string;
}
interface JsonAttribute {
  name: string;
  data: unknown;
  type: "int" | "float" | "string" | "ints" | "floats" | "strings";
}
interface JsonTest {
  name: string;
  operator: string;
  opset?: { domain: string; version: number };
  attributes?: JsonAttribute[];
  inputShapeDefinitions?: "none" | "rankOnly" | "static" | (readonly (number | string)[] | undefined)[];
  cases: { name: string; inputs: JsonTensor[]; outputs: JsonTensor[] }[];
}

/**
 * The ai.onnx opset of a file that states none: 17 (run this way, onnxruntime-node passes 418 of the
 * 453 in-scope ai.onnx cases, the figure of the suite's README; older defaults reject later forms).
 */
const DEFAULT_OPSET = { domain: "", version: 17 };

function encodeAttribute(a: JsonAttribute): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const text = (s: unknown) => new TextEncoder().encode(String(s));
  switch (a.type) {
    case "int":
      return { name: a.name, type: T.INT, i: a.data as number };
    case "float":
      return { name: a.name, type: T.FLOAT, f: a.data as number };
    case "string":
      return { name: a.name, type: T.STRING, s: text(a.data) };
    case "ints":
      return { name: a.name, type: T.INTS, ints: a.data as number[] };
    case "floats":
      return { name: a.name, type: T.FLOATS, floats: a.data as number[] };
    case "strings":
      return { name: a.name, type: T.STRINGS, strings: (a.data as unknown[]).map(text) };
  }
}

function jsonTensor(t: JsonTensor): Tensor {
  if (!isDType(t.type)) throw new Error(`element type ${t.type} is not one fusec has`);
  const values = (t.data as (number | boolean)[]).map(Number);
  return tensor(t.type as DType, t.dims, values);
}

function elemType(type: string): number {
  if (isDType(type)) return DTYPES[type].onnx;
  const codes: Record<string, number> = { string: DataType.STRING, int4: 22, uint4: 21 };
  return codes[type] ?? 0;
}

function ortWebModel(test: JsonTest, sample: { inputs: JsonTensor[]; outputs: JsonTensor[] }): Uint8Array {
  const opset = test.opset ?? DEFAULT_OPSET;
  const imports = [{ domain: opset.domain, version: opset.version }];
  if (opset.domain !== "") imports.push({ domain: "", version: 17 });
  const shapes = inputShapes(test, sample.inputs);
  const present = sample.inputs.map((t) => t.data !== null);
  return encodeModel({
    irVersion: 8,
    opsetImport: imports,
    graph: {
      name: test.name,
      node: [{
        opType: test.operator,
        domain: opset.domain,
        name: test.operator,
        input: sample.inputs.map((_, i) => (present[i] ? `input_${i}` : "")),
        output: sample.outputs.map((_, i) => `output_${i}`),
        attribute: (test.attributes ?? []).map(encodeAttribute),
      }],
      input: sample.inputs.flatMap((t, i) => {
        if (!present[i]) return [];
        const dims = shapes[i];
        const shape = dims ? { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } : undefined;
        return [{ name: `input_${i}`, type: { tensorType: { elemType: elemType(t.type), ...(shape ? { shape } : {}) } } }];
      }),
      output: sample.outputs.map((t, i) => ({ name: `output_${i}`, type: { tensorType: { elemType: elemType(t.type) } } })),
    },
  });
}

/** The declared input shapes, as onnxruntime-web's runner derives them from inputShapeDefinitions. */
function inputShapes(test: JsonTest, inputs: JsonTensor[]): (readonly (number | string)[] | undefined)[] {
  const def = test.inputShapeDefinitions;
  if (!def || def === "none") return inputs.map(() => undefined);
  if (def === "rankOnly") return inputs.map((t, i) => t.dims.map((_, j) => `_input_${i}_d${j}`));
  if (def === "static") return inputs.map((t) => t.dims);
  return def;
}

export function ortWebCases(): ConformanceCase[] {
  const root = join(DATA_DIR, "ort-web-ops");
  const cases: ConformanceCase[] = [];
  for (const file of readdirSync(root).filter((f) => f.endsWith(".jsonc")).sort()) {
    const errors: ParseError[] = [];
    const tests = parseJsonc(readFileSync(join(root, file), "utf8"), errors, { allowTrailingComma: true }) as JsonTest[];
    if (errors.length > 0) throw new Error(`${file}: not valid JSON with comments (offset ${errors[0]!.offset})`);
    tests.forEach((test, testIndex) => {
      const domain = test.opset?.domain ?? "";
      const op = domain ? `${domain}::${test.operator}` : test.operator;
      test.cases.forEach((c, index) => {
        const dtypes = [...c.inputs, ...c.outputs].filter((t) => t.data !== null).map((t) => t.type);
        const id = `ort-web-ops/${file} › ${testIndex}: ${test.name} › ${index}: ${c.name ?? ""}`;
        const base = { suite: "ort-web-ops" as const, id, ops: [op], dtypes, compare: ortWebClose };
        const outOfScope = scopeOf([op], dtypes);
        const scoped = outOfScope ? { ...base, outOfScope } : base;
        try {
          const feeds: Record<string, Tensor> = {};
          c.inputs.forEach((t, i) => {
            if (t.data !== null) feeds[`input_${i}`] = jsonTensor(t);
          });
          const expected = c.outputs.map((t) => (t.data === null ? undefined : jsonTensor(t)));
          cases.push({ ...scoped, model: ortWebModel(test, c), feeds, expected });
        } catch (e) {
          cases.push({ ...scoped, model: `test data: ${(e as Error).message}`, feeds: {}, expected: [] });
        }
      });
    });
  }
  return cases;
}

export function allCases(): ConformanceCase[] {
  return [...onnxBackendCases(), ...ortWebCases()];
}
