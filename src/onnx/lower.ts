/**
 * Lowering before save: rewrites node forms that onnxruntime's CPU provider does not accept at
 * the model's opsets into equivalent standard ops, written directly into the model being saved
 * (the graph itself is not changed). Covered: FusedConv/FusedGemm with activations ORT's CPU
 * kernels lack, HardSwish before opset 14, Gelu before opset 20, Clip and `axes` operands in the
 * form of the other opset generation, LayerNormalization before opset 17 (spelled out as the
 * ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add chain exporters write), and every op of the
 * `tfl` dialect (NHWC) as NCHW ONNX ops.
 */
import { transpose } from "../runtime/consteval.js";
import type { Attr, Attrs, Node, Value } from "../runtime/graph.js";
import { tensor, type Tensor } from "../runtime/tensor.js";

/** What the writer offers a lowering: names of values, new names, new initializers, new nodes. */
export interface LoweringSink {
  readonly opset: Readonly<Record<string, number>>;
  nameOf(v: Value | undefined): string;
  fresh(base: string): string;
  constant(t: Tensor, base: string): string;
  emit(op: string, domain: string, inputs: string[], outputs: string[], attrs: Attrs, name?: string): void;
}

/** A node that cannot be written for onnxruntime; the message names the node. */
export class LoweringError extends Error {
  constructor(node: Node, problem: string) {
    super(`cannot write node "${node.name}" (${node.domain ? `${node.domain}::` : ""}${node.op}) as ONNX: ${problem}`);
    this.name = "LoweringError";
  }
}

/** Writes `node` as standard ops when it needs lowering; false when it is written as is. */
export function lowerNode(node: Node, sink: LoweringSink): boolean {
  const lowering = new Lowering(node, sink);
  if (node.domain === "tfl") return lowering.tflite();
  if (node.domain === "com.microsoft" && node.op === "FusedConv") return lowering.fusedConv();
  if (node.domain === "com.microsoft" && node.op === "FusedGemm") return lowering.fusedGemm();
  if (node.domain === "") return lowering.standard();
  return false;
}

/** Activations ORT's FusedConv accepts, with the count of `activation_params` each needs. */
const FUSED_CONV_ACTIVATIONS: Record<string, number[]> = {
  Relu: [],
  Tanh: [],
  Sigmoid: [],
  LeakyRelu: [0.01],
  Clip: [-3.4028234663852886e38, 3.4028234663852886e38],
  HardSigmoid: [0.2, 0.5],
};

/** Activations ORT's FusedGemm applies itself (through its element-wise functors). */
const FUSED_GEMM_ACTIVATIONS = new Set(["Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "Elu", "Selu", "Softplus", "Softsign", "ThresholdedRelu"]);

const CONV_ATTRS = ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"];
const GEMM_ATTRS = ["alpha", "beta", "transA", "transB"];

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

/** Opset from which an op takes `axes` as an input instead of an attribute. */
const AXES_AS_INPUT_SINCE: Record<string, number> = {
  Squeeze: 13,
  Unsqueeze: 13,
  ReduceSum: 13,
  ReduceMean: 18,
  ReduceMax: 18,
  ReduceMin: 18,
  ReduceProd: 18,
  ReduceL1: 18,
  ReduceL2: 18,
  ReduceLogSum: 18,
  ReduceLogSumExp: 18,
  ReduceSumSquare: 18,
};

class Lowering {
  constructor(
    private readonly node: Node,
    private readonly sink: LoweringSink,
  ) {}

  private get opset(): number {
    return this.sink.opset[""] ?? 17;
  }

  private input(i: number): string {
    return this.sink.nameOf(this.node.inputs[i]);
  }

  private output(i = 0): string {
    return this.sink.nameOf(this.node.outputs[i]);
  }

  private temp(what: string): string {
    return this.sink.fresh(`${this.node.name}_${what}`);
  }

  private emit(op: string, inputs: string[], output: string, attrs: Attrs = {}, domain = ""): string {
    while (inputs.length > 0 && inputs[inputs.length - 1] === "") inputs.pop();
    this.sink.emit(op, domain, inputs, [output], attrs, this.sink.fresh(`${this.node.name}_${op}`));
    return output;
  }

  private fail(problem: string): never {
    throw new LoweringError(this.node, problem);
  }

  private attrs(names: readonly string[]): Attrs {
    const out: Attrs = {};
    for (const name of names) if (this.node.attrs[name]) out[name] = this.node.attrs[name]!;
    return out;
  }

  private str(name: string, fallback: string): string {
    const a = this.node.attrs[name];
    return a?.type === "string" ? a.value : fallback;
  }

  private num(name: string, fallback: number): number {
    const a = this.node.attrs[name];
    return a?.type === "int" || a?.type === "float" ? a.value : fallback;
  }

  private floats(name: string): number[] {
    const a = this.node.attrs[name];
    return a?.type === "floats" ? a.value : a?.type === "ints" ? a.value : [];
  }

  // ── com.microsoft ────────────────────────────────────────────────────────────────────────

  fusedConv(): boolean {
    const activation = this.str("activation", "");
    const params = this.floats("activation_params");
    const defaults = FUSED_CONV_ACTIVATIONS[activation];
    if (defaults && (params.length === defaults.length || params.length === 0)) {
      // ORT requires exactly the parameters the activation takes: fill in the defaults.
      const attrs: Attrs = { ...this.attrs(CONV_ATTRS), activation: { type: "string", value: activation } };
      if (defaults.length > 0) attrs["activation_params"] = { type: "floats", value: params.length ? params : defaults };
      const inputs = [0, 1, 2, 3].map((i) => this.input(i));
      while (inputs.length > 0 && inputs[inputs.length - 1] === "") inputs.pop();
      this.sink.emit("FusedConv", "com.microsoft", inputs, [this.output()], attrs, this.node.name);
      return true;
    }
    if (activation === "" && !this.node.inputs[3]) {
      this.emit("Conv", [this.input(0), this.input(1), this.input(2)], this.output(), this.attrs(CONV_ATTRS));
      return true;
    }
    let y = this.emit("Conv", [this.input(0), this.input(1), this.input(2)], this.temp("conv"), this.attrs(CONV_ATTRS));
    if (this.node.inputs[3]) y = this.emit("Add", [y, this.input(3)], activation ? this.temp("sum") : this.output());
    if (activation) this.activation(activation, params, y, this.output());
    return true;
  }

  fusedGemm(): boolean {
    const activation = this.str("activation", "");
    if (FUSED_GEMM_ACTIVATIONS.has(activation)) return false;
    const inputs = [this.input(0), this.input(1), this.input(2)];
    if (activation === "") {
      this.emit("Gemm", inputs, this.output(), this.attrs(GEMM_ATTRS));
      return true;
    }
    const y = this.emit("Gemm", inputs, this.temp("gemm"), this.attrs(GEMM_ATTRS));
    const params = [this.num("activation_alpha", 0.01), this.num("activation_beta", 0), this.num("activation_gamma", 0)];
    this.activation(activation, params, y, this.output());
    return true;
  }

  /** Writes `act(x)` into `y` with standard ops valid at the model's opset. */
  private activation(kind: string, params: number[], x: string, y: string): void {
    switch (kind) {
      case "Relu":
      case "Tanh":
      case "Sigmoid":
      case "Softplus":
      case "Softsign":
        this.emit(kind, [x], y);
        return;
      case "LeakyRelu":
      case "Elu":
      case "ThresholdedRelu":
        this.emit(kind, [x], y, params.length > 0 ? { alpha: float(params[0]!) } : {});
        return;
      case "Selu":
        this.emit(kind, [x], y, params.length > 1 ? { alpha: float(params[0]!), gamma: float(params[1]!) } : {});
        return;
      case "HardSigmoid":
        this.emit(kind, [x], y, params.length > 1 ? { alpha: float(params[0]!), beta: float(params[1]!) } : {});
        return;
      case "Clip":
        this.clip(x, y, params[0] ?? -Infinity, params[1] ?? Infinity);
        return;
      case "HardSwish":
        this.hardSwish(x, y);
        return;
      default:
        this.fail(`activation "${kind}" has no ONNX equivalent here`);
    }
  }

  private clip(x: string, y: string, min: number, max: number): void {
    if (this.opset < 11) {
      const attrs: Attrs = {};
      if (min !== -Infinity) attrs["min"] = float(min);
      if (max !== Infinity) attrs["max"] = float(max);
      this.emit("Clip", [x], y, attrs);
      return;
    }
    const bound = (v: number, what: string) => (Number.isFinite(v) ? this.sink.constant(tensor("float32", [], [v]), this.temp(what)) : "");
    this.emit("Clip", [x, bound(min, "min"), bound(max, "max")], y);
  }

  private hardSwish(x: string, y: string): void {
    if (this.opset >= 14) {
      this.emit("HardSwish", [x], y);
      return;
    }
    const gate = this.emit("HardSigmoid", [x], this.temp("gate"), { alpha: float(1 / 6), beta: float(0.5) });
    this.emit("Mul", [x, gate], y);
  }

  // ── the standard domain, in the form of the model's opset ─────────────────────────────────

  standard(): boolean {
    const { op } = this.node;
    if (op === "HardSwish" && this.opset < 14) {
      this.hardSwish(this.input(0), this.output());
      return true;
    }
    if (op === "Gelu" && this.opset < 20) {
      this.gelu();
      return true;
    }
    if (op === "LayerNormalization" && this.opset < 17) {
      this.layerNorm();
      return true;
    }
    if (op === "Clip") return this.clipForOpset();
    const since = AXES_AS_INPUT_SINCE[op];
    if (since !== undefined) return this.axesForOpset(since);
    return false;
  }

  private gelu(): void {
    const x = this.input(0);
    const c = (v: number, what: string) => this.sink.constant(tensor("float32", [], [v]), this.temp(what));
    let inner: string;
    if (this.str("approximate", "none") === "tanh") {
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
      const cube = this.emit("Mul", [x, this.emit("Mul", [x, x], this.temp("sq"))], this.temp("cube"));
      const poly = this.emit("Add", [x, this.emit("Mul", [cube, c(0.044715, "k")], this.temp("kcube"))], this.temp("poly"));
      inner = this.emit("Tanh", [this.emit("Mul", [poly, c(Math.sqrt(2 / Math.PI), "s")], this.temp("scaled"))], this.temp("tanh"));
    } else {
      // 0.5·x·(1 + erf(x/√2))
      inner = this.emit("Erf", [this.emit("Mul", [x, c(Math.SQRT1_2, "r")], this.temp("scaled"))], this.temp("erf"));
    }
    const onePlus = this.emit("Add", [inner, c(1, "one")], this.temp("oneplus"));
    const half = this.emit("Mul", [x, c(0.5, "half")], this.temp("half"));
    this.emit("Mul", [half, onePlus], this.output());
  }

  /**
   * LayerNormalization (opset 17) in standard ops of older opsets, the form exporters write and
   * onnxruntime's LayerNormFusion recognises:
   *   d = x - mean(x), y = d / √(mean(d²) + ε) · Scale + B, means over the axes from `axis` on.
   * (onnxruntime also runs a default-domain LayerNormalization below opset 17, but that is not
   * ONNX, and it has no com.microsoft form.)
   */
  private layerNorm(): void {
    const n = this.node;
    if (n.outputs.slice(1).some((v) => v.uses.length > 0)) this.fail(`Mean and InvStdDev have no form before opset 17 (opset ${this.opset})`);
    const rank = n.inputs[0]?.shape?.length;
    if (rank === undefined) this.fail("the rank of X must be known");
    const first = this.num("axis", -1) < 0 ? this.num("axis", -1) + rank : this.num("axis", -1);
    if (!Number.isInteger(first) || first < 0 || first >= rank) this.fail(`axis ${this.num("axis", -1)} is out of range for rank ${rank}`);
    const axes: Attrs = { axes: { type: "ints", value: Array.from({ length: rank - first }, (_, i) => first + i) } };
    const x = this.input(0);
    const scalar = (v: number, what: string) => this.sink.constant(tensor("float32", [], [v]), this.temp(what));
    const mean = this.emit("ReduceMean", [x], this.temp("mean"), axes);
    const centred = this.emit("Sub", [x, mean], this.temp("centred"));
    const squared = this.emit("Pow", [centred, scalar(2, "two")], this.temp("squared"));
    const variance = this.emit("ReduceMean", [squared], this.temp("variance"), axes);
    const shifted = this.emit("Add", [variance, scalar(this.num("epsilon", 1e-5), "epsilon")], this.temp("shifted"));
    const deviation = this.emit("Sqrt", [shifted], this.temp("deviation"));
    const normalized = this.emit("Div", [centred, deviation], this.temp("normalized"));
    const hasBias = n.inputs[2] !== undefined;
    const scaled = this.emit("Mul", [normalized, this.input(1)], hasBias ? this.temp("scaled") : this.output());
    if (hasBias) this.emit("Add", [scaled, this.input(2)], this.output());
  }

  /** Clip takes min/max as attributes before opset 11 and as inputs from then on. */
  private clipForOpset(): boolean {
    const n = this.node;
    if (this.opset >= 11 && (n.attrs["min"] || n.attrs["max"])) {
      this.clip(this.input(0), this.output(), this.num("min", -Infinity), this.num("max", Infinity));
      return true;
    }
    if (this.opset < 11 && (n.inputs[1] || n.inputs[2])) {
      const bound = (i: number, fallback: number) => {
        const v = n.inputs[i];
        if (!v) return fallback;
        if (!v.constant || v.constant.data.length !== 1) this.fail(`opset ${this.opset} needs constant Clip bounds`);
        return Number(v.constant.data[0]);
      };
      this.clip(this.input(0), this.output(), bound(1, -Infinity), bound(2, Infinity));
      return true;
    }
    return false;
  }

  /** Squeeze/Unsqueeze/Reduce* moved `axes` from an attribute to an input at opset `since`. */
  private axesForOpset(since: number): boolean {
    const n = this.node;
    const axesAttr = n.attrs["axes"];
    const rest: Attrs = { ...n.attrs };
    delete rest["axes"];
    if (this.opset >= since && axesAttr?.type === "ints") {
      const axes = this.sink.constant(tensor("int64", [axesAttr.value.length], BigInt64Array.from(axesAttr.value, BigInt)), this.temp("axes"));
      this.emit(n.op, [this.input(0), axes], this.output(), rest);
      return true;
    }
    const axesInput = n.inputs[1];
    if (this.opset < since && axesInput) {
      if (!axesInput.constant) this.fail(`opset ${this.opset} needs constant axes`);
      this.emit(n.op, [this.input(0)], this.output(), { ...rest, axes: { type: "ints", value: [...axesInput.constant.data].map(Number) } });
      return true;
    }
    return false;
  }

  // ── the tfl dialect (NHWC) as ONNX (NCHW) ───────────────────────────────────────────────

  tflite(): boolean {
    const op = this.node.op;
    switch (op) {
      case "Conv2D":
      case "DepthwiseConv2D":
        this.tflConv(op === "DepthwiseConv2D");
        return true;
      case "FullyConnected":
        this.tflFullyConnected();
        return true;
      case "Add":
      case "Mul":
      case "Sub":
      case "Div": {
        const act = this.str("fused_activation_function", "NONE");
        const y = this.emit(op, [this.input(0), this.input(1)], act === "NONE" ? this.output() : this.temp(op.toLowerCase()));
        this.tflActivation(y, this.output());
        return true;
      }
      case "Relu":
        this.emit("Relu", [this.input(0)], this.output());
        return true;
      case "Relu6":
        this.clip(this.input(0), this.output(), 0, 6);
        return true;
      case "ReluN1To1":
        this.clip(this.input(0), this.output(), -1, 1);
        return true;
      case "Tanh":
        this.emit("Tanh", [this.input(0)], this.output());
        return true;
      case "Logistic":
        this.emit("Sigmoid", [this.input(0)], this.output());
        return true;
      case "MaxPool2D":
      case "AveragePool2D":
        this.tflPool(op === "MaxPool2D" ? "MaxPool" : "AveragePool");
        return true;
      case "Reshape":
        this.tflReshape();
        return true;
      default:
        this.fail("the tfl op has no ONNX lowering");
    }
  }

  private tflActivation(x: string, y: string): void {
    const act = this.str("fused_activation_function", "NONE");
    switch (act) {
      case "NONE":
        if (x !== y) this.emit("Identity", [x], y);
        return;
      case "RELU":
        this.emit("Relu", [x], y);
        return;
      case "RELU6":
        this.clip(x, y, 0, 6);
        return;
      case "RELU_N1_TO_1":
        this.clip(x, y, -1, 1);
        return;
      case "TANH":
        this.emit("Tanh", [x], y);
        return;
      default:
        this.fail(`unknown fused_activation_function "${act}"`);
    }
  }

  private spatialAttrs(): Attrs {
    return {
      auto_pad: { type: "string", value: this.str("padding", "VALID") === "SAME" ? "SAME_UPPER" : "VALID" },
      strides: { type: "ints", value: [this.num("stride_h", 1), this.num("stride_w", 1)] },
    };
  }

  /** A value permuted: a new constant when it is one, else a Transpose node. */
  private permuted(v: Value | undefined, perm: number[], what: string): string {
    if (!v) return "";
    if (v.constant) return this.sink.constant(transpose(v.constant, perm), this.temp(what));
    return this.emit("Transpose", [this.sink.nameOf(v)], this.temp(what), { perm: { type: "ints", value: perm } });
  }

  private tflConv(depthwise: boolean): void {
    const [x, filter, bias] = this.node.inputs;
    const attrs: Attrs = {
      ...this.spatialAttrs(),
      dilations: { type: "ints", value: [this.num("dilation_h_factor", 1), this.num("dilation_w_factor", 1)] },
    };
    let weights: string;
    if (depthwise) {
      const channels = x?.shape?.[3];
      if (typeof channels !== "number") this.fail("the input's channel count must be known");
      attrs["group"] = { type: "int", value: channels };
      weights = this.permuted(filter, [3, 0, 1, 2], "filter"); // [1,KH,KW,O] → [O,1,KH,KW]
    } else {
      weights = this.permuted(filter, NHWC_TO_NCHW, "filter"); // OHWI → OIHW
    }
    const xt = this.permuted(x, NHWC_TO_NCHW, "nchw");
    const conv = this.emit("Conv", [xt, weights, this.sink.nameOf(bias)], this.temp("conv"), attrs);
    const act = this.str("fused_activation_function", "NONE");
    const activated = act === "NONE" ? conv : this.temp("act");
    this.tflActivation(conv, activated);
    this.emit("Transpose", [activated], this.output(), { perm: { type: "ints", value: NCHW_TO_NHWC } });
  }

  private tflFullyConnected(): void {
    const [x, filter, bias] = this.node.inputs;
    const inFeatures = filter?.shape?.[1];
    let a = this.input(0);
    if (this.num("keep_num_dims", 0) !== 1) {
      if (typeof inFeatures !== "number") this.fail("the filter's input size must be known");
      const shape = this.sink.constant(tensor("int64", [2], BigInt64Array.of(-1n, BigInt(inFeatures))), this.temp("shape"));
      a = this.emit("Reshape", [a, shape], this.temp("rows"));
    }
    void x;
    const weightsT = this.permuted(filter, [1, 0], "filter_t"); // [O,I] → [I,O]
    const act = this.str("fused_activation_function", "NONE");
    const last = act === "NONE" ? this.output() : this.temp("fc");
    const product = this.emit("MatMul", [a, weightsT], bias ? this.temp("matmul") : last);
    if (bias) this.emit("Add", [product, this.sink.nameOf(bias)], last);
    if (act !== "NONE") this.tflActivation(last, this.output());
  }

  private tflPool(op: "MaxPool" | "AveragePool"): void {
    const attrs: Attrs = {
      ...this.spatialAttrs(),
      kernel_shape: { type: "ints", value: [this.num("filter_height", 1), this.num("filter_width", 1)] },
    };
    const pooled = this.emit(op, [this.permuted(this.node.inputs[0], NHWC_TO_NCHW, "nchw")], this.temp("pool"), attrs);
    const act = this.str("fused_activation_function", "NONE");
    const activated = act === "NONE" ? pooled : this.temp("act");
    this.tflActivation(pooled, activated);
    this.emit("Transpose", [activated], this.output(), { perm: { type: "ints", value: NCHW_TO_NHWC } });
  }

  private tflReshape(): void {
    const shape = this.node.inputs[1];
    let shapeName: string;
    if (shape?.constant) {
      const dims = BigInt64Array.from([...shape.constant.data].map((d) => BigInt(d)));
      shapeName = this.sink.constant(tensor("int64", [dims.length], dims), this.temp("shape"));
    } else {
      shapeName = this.emit("Cast", [this.input(1)], this.temp("shape"), { to: { type: "int", value: 7 } });
    }
    this.emit("Reshape", [this.input(0), shapeName], this.output());
  }
}

function float(value: number): Attr {
  return { type: "float", value };
}
