/** RNN, GRU and LSTM against onnxruntime: directions, activations, clip, sequence lengths, initial states, layouts. */
import { test } from "uvu";
import type { Attr, Attrs } from "../../src/runtime/graph.js";
import type { Tensor } from "../../src/runtime/tensor.js";
import { assertClose, checkAgainstOrt, float, floats, int, randomTensor, runOrt, runOurs, str } from "./oracle.js";

const strs = (value: string[]): Attr => ({ type: "strings", value });
const lens = (values: number[]): Tensor => ({ dtype: "int32", shape: [values.length], data: Int32Array.from(values) });

const GATES = { RNN: 1, GRU: 3, LSTM: 4 } as const;

/** A cell's inputs for seq 5, batch 3, input 4, hidden 6 (layout 1 swaps seq and batch). */
function cellInputs(cell: keyof typeof GATES, directions: number, opts: { seqLens?: boolean; initial?: boolean; peephole?: boolean } = {}) {
  const [seq, batch, input, hidden] = [5, 3, 4, 6];
  const g = GATES[cell] * hidden;
  const state = [directions, batch, hidden];
  const inputs: (Tensor | undefined)[] = [
    randomTensor([seq, batch, input], 1),
    randomTensor([directions, g, input], 2),
    randomTensor([directions, g, hidden], 3),
    randomTensor([directions, 2 * g], 4),
    opts.seqLens ? lens([5, 2, 4]) : undefined,
    opts.initial ? randomTensor(state, 5) : undefined,
  ];
  if (cell === "LSTM") inputs.push(opts.initial ? randomTensor(state, 6) : undefined, opts.peephole ? randomTensor([directions, 3 * hidden], 7) : undefined);
  while (inputs[inputs.length - 1] === undefined) inputs.pop();
  return inputs;
}

/** [A, B, …] → [B, A, …]. */
function swap01(t: Tensor): Tensor {
  const [a, b, ...rest] = t.shape as number[];
  const inner = rest.reduce((p, q) => p * q, 1);
  const data = new Float32Array(t.data.length);
  const src = t.data as Float32Array;
  for (let i = 0; i < a!; i++) for (let j = 0; j < b!; j++) data.set(src.subarray((i * b! + j) * inner, (i * b! + j + 1) * inner), (j * a! + i) * inner);
  return { dtype: t.dtype, shape: [b!, a!, ...rest], data };
}

/** Y [seq, dirs, batch, hidden] → [batch, seq, dirs, hidden]. */
function swapY(t: Tensor): Tensor {
  const [seq, dirs, batch, hidden] = t.shape as [number, number, number, number];
  const merged = swap01({ ...t, shape: [seq * dirs, batch, hidden] });
  return { ...merged, shape: [batch, seq, dirs, hidden] };
}

async function check(cell: keyof typeof GATES, attrs: Attrs, opts: Parameters<typeof cellInputs>[2] = {}, label = "") {
  const directions = (attrs.direction as { value?: string } | undefined)?.value === "bidirectional" ? 2 : 1;
  const outputs = cell === "LSTM" ? 3 : 2;
  await checkAgainstOrt(
    { op: cell, inputs: cellInputs(cell, directions, opts), attrs: { hidden_size: int(6), ...attrs }, outputs, outputDTypes: Array(outputs).fill("float32"), opset: 14 },
    1e-4,
    `${cell} ${label}`,
  );
}

for (const cell of ["RNN", "GRU", "LSTM"] as const) {
  test(`${cell} forward, reverse and bidirectional match onnxruntime`, async () => {
    for (const direction of ["forward", "reverse", "bidirectional"]) await check(cell, { direction: str(direction) }, {}, direction);
  });

  test(`${cell} with sequence lengths and initial states matches onnxruntime`, async () => {
    await check(cell, { direction: str("bidirectional") }, { seqLens: true, initial: true, peephole: true }, "lengths");
    await check(cell, { direction: str("reverse") }, { seqLens: true, initial: true }, "reverse lengths");
  });

  // onnxruntime's CPU cells reject layout 1: ours with batch-first tensors must equal its layout 0.
  test(`${cell} with layout 1 equals onnxruntime's layout 0 with batch and sequence swapped`, async () => {
    const inputs = cellInputs(cell, 2, { seqLens: true, initial: true, peephole: true });
    const outputs = cell === "LSTM" ? 3 : 2;
    const spec = { op: cell, attrs: { hidden_size: int(6), direction: str("bidirectional") }, outputs, outputDTypes: Array(outputs).fill("float32"), opset: 14 };
    const expected = await runOrt({ ...spec, inputs });
    const swapped = inputs.map((t, i) => (t && (i === 0 || i === 5 || i === 6) ? swap01(t) : t));
    const actual = runOurs({ ...spec, inputs: swapped, attrs: { ...spec.attrs, layout: int(1) } });
    assertClose(actual[0]!, swapY(expected[0]!), 1e-4, "Y");
    for (let i = 1; i < outputs; i++) assertClose(actual[i]!, swap01(expected[i]!), 1e-4, `output ${i}`);
  });
}

test("RNN, GRU and LSTM with chosen activations, alpha/beta and clip match onnxruntime", async () => {
  await check("RNN", { activations: strs(["LeakyRelu"]), activation_alpha: floats([0.2]) }, {}, "leaky");
  await check("RNN", { direction: str("bidirectional"), activations: strs(["Relu", "ScaledTanh"]), activation_alpha: floats([0.7]), activation_beta: floats([1.3]) }, {}, "two");
  await check("GRU", { activations: strs(["HardSigmoid", "Softsign"]), clip: float(0.5) }, {}, "hardsigmoid clip");
  await check("GRU", { linear_before_reset: int(1), direction: str("bidirectional") }, { initial: true, seqLens: true }, "linear before reset");
  await check("LSTM", { activations: strs(["Sigmoid", "Elu", "Affine"]), activation_alpha: floats([0.5, 2]), activation_beta: floats([0.1]), clip: float(0.7) }, {}, "elu affine clip");
  await check("LSTM", { input_forget: int(1) }, { initial: true, peephole: true }, "input_forget");
});

test.run();
