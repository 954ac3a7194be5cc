/**
 * A graph as a few lines of text, for counterexamples: inputs and constants with their shapes
 * (small constants with their values), then one line per node in execution order.
 *
 *     input x: float32[1,2,4,4]
 *     const C: float32[1] = [0.73]
 *     conv_out = Conv(x, W, b) { group: 2 }  : float32[1,4,4,4]
 *     output mul_out
 */
import type { Attr, Graph, Value } from "../runtime/graph.js";
import type { Tensor } from "../runtime/tensor.js";

/** Elements up to which a constant's values are printed. */
const SHOWN_ELEMENTS = 6;

export function describeGraph(graph: Graph): string[] {
  const lines: string[] = [];
  for (const v of graph.inputs) lines.push(`input ${v.name}: ${typeOf(v)}`);
  for (const v of graph.constants) if (v.uses.length > 0) lines.push(`const ${v.name}: ${typeOf(v)}${values(v.constant!)}`);
  for (const node of graph.topoOrder()) {
    const inputs = node.inputs.map((v) => v?.name ?? "∅").join(", ");
    const attrs = Object.entries(node.attrs).map(([name, a]) => `${name}: ${attrText(a)}`);
    const op = node.domain ? `${node.domain}::${node.op}` : node.op;
    const outputs = node.outputs.map((v) => v.name).join(", ");
    lines.push(`${outputs} = ${op}(${inputs})${attrs.length > 0 ? ` { ${attrs.join(", ")} }` : ""}  : ${node.outputs.map(typeOf).join(", ")}`);
  }
  lines.push(`output ${graph.outputs.map((v) => v.name).join(", ")}`);
  return lines;
}

function typeOf(v: Value): string {
  return `${v.dtype ?? "?"}[${(v.shape ?? []).join(",")}]`;
}

function values(t: Tensor): string {
  if (t.data.length > SHOWN_ELEMENTS) return "";
  return ` = [${Array.from(t.data as ArrayLike<number | bigint>, (x) => (typeof x === "bigint" ? String(x) : round(x))).join(", ")}]`;
}

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(3)));
}

function attrText(a: Attr): string {
  switch (a.type) {
    case "int":
      return String(a.value);
    case "float":
      return round(a.value);
    case "string":
      return JSON.stringify(a.value);
    case "ints":
    case "floats":
      return `[${a.value.map(round).join(", ")}]`;
    case "strings":
      return `[${a.value.map((v) => JSON.stringify(v)).join(", ")}]`;
    case "tensor":
      return `tensor${values(a.value) || `[${a.value.shape.join(",")}]`}`;
    case "opaque":
      return "(opaque)";
  }
}
