/** Loading compiled rule packs by name (the shipped ones) or by path (a module exporting `pass`). */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Pass } from "../runtime/pass.js";

/** The shipped packs, as static imports a bundler can follow (also `fusec/packs/<name>`). */
const BUILTIN_PACKS: Record<string, () => Promise<{ pass?: unknown }>> = {
  onnx: () => import("../../generated/onnx.js"),
  tflite: () => import("../../generated/tflite.js"),
};

/** A pass that cannot be loaded; the message says which and why. */
export class PassLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PassLoadError";
  }
}

/** Loads a compiled rule pack: `onnx`, `tflite`, or a path to a module exporting `pass`. */
export async function loadPass(spec: string): Promise<Pass> {
  let mod: { pass?: unknown };
  try {
    const builtin = Object.hasOwn(BUILTIN_PACKS, spec) ? BUILTIN_PACKS[spec] : undefined;
    mod = builtin ? await builtin() : ((await import(pathToFileURL(isAbsolute(spec) ? spec : resolve(spec)).href)) as { pass?: unknown });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ERR_MODULE_NOT_FOUND" ? "module not found" : (e as Error).message.split("\n")[0];
    throw new PassLoadError(`cannot load pass "${spec}": ${why}`);
  }
  const pass = mod.pass as Partial<Pass> | undefined;
  if (!pass || typeof pass.apply !== "function" || !Array.isArray(pass.rules) || typeof pass.name !== "string") {
    throw new PassLoadError(`cannot load pass "${spec}": the module does not export a compiled \`pass\``);
  }
  return pass as Pass;
}
