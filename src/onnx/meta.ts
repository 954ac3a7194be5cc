/**
 * What load and save share besides protobuf: the model file error, the model-level fields kept
 * in `graph.meta`, and the opset a graph was loaded with.
 */
import type { Graph, Value } from "../runtime/graph.js";
import type { UnknownFields } from "./proto.js";

/** A model file that cannot be read, decoded or written; the message names the file. */
export class ModelFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "ModelFileError";
  }
}

/** ModelProto fields other than the graph and opsets, kept so that a saved model keeps them. */
export interface OnnxModelInfo {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graphName: string;
  metadataProps: { key: string; value: string }[];
  /** ModelProto and GraphProto fields of a newer ONNX than fusec's schema, written back as read. */
  unknownFields?: UnknownFields;
}

/** Node outputs that were absent (empty name) in the loaded model; saved as "" again when unused. */
export const unnamedOutputs = new WeakSet<Value>();

/** The graph's opset imports (domain → version); `{"": 17}` for a graph built in code. */
export function opsetsOf(graph: Graph): Record<string, number> {
  const opsets = graph.meta.opsets as Record<string, number> | undefined;
  return opsets && Object.keys(opsets).length > 0 ? opsets : { "": DEFAULT_OPSET };
}

/** The version of the standard ONNX domain the graph uses. */
export function onnxOpset(graph: Graph): number {
  const opsets = opsetsOf(graph);
  return opsets[""] ?? opsets["ai.onnx"] ?? DEFAULT_OPSET;
}

/** Opset written for graphs that did not come from an ONNX file. */
export const DEFAULT_OPSET = 17;
