/** Loading compiled rule packs by name (the shipped ones) or by path (a module exporting `pass`). */
import { existsSync, statSync } from "node:fs";
import { register } from "node:module";
import { extname, resolve } from "node:path";
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

let typescriptHooks = false;

/**
 * Built fusec runs `.ts` passes through its own module hooks (ts-hooks.ts), as ES modules
 * whatever the package type of their folder. This repository's sources run under tsx already.
 */
export function enableTypeScript(): void {
  if (typescriptHooks || import.meta.url.endsWith(".ts")) return;
  register(new URL("./ts-hooks.js", import.meta.url));
  typescriptHooks = true;
}

/**
 * Loads a compiled rule pack: `onnx`, `tflite`, or a path to a module (`.js`, `.mjs`, `.ts`,
 * `.mts`) exporting `pass`, loaded as an ES module.
 */
export async function loadPass(spec: string): Promise<Pass> {
  const fail = (why: string) => new PassLoadError(`cannot load pass "${spec}": ${why}`);
  let mod: { pass?: unknown };
  const builtin = Object.hasOwn(BUILTIN_PACKS, spec) ? BUILTIN_PACKS[spec] : undefined;
  if (builtin) {
    mod = await builtin();
  } else {
    const path = resolve(spec);
    if (!existsSync(path)) throw fail("no such file");
    if (statSync(path).isDirectory()) throw fail("it is a directory; name the compiled module");
    if ([".ts", ".mts"].includes(extname(path))) enableTypeScript();
    try {
      mod = (await import(pathToFileURL(path).href)) as { pass?: unknown };
    } catch (e) {
      throw fail(firstLine(e));
    }
  }
  const pass = mod.pass as Partial<Pass> | undefined;
  if (!pass || typeof pass.apply !== "function" || !Array.isArray(pass.rules) || typeof pass.name !== "string") {
    throw fail("the module does not export a compiled `pass`");
  }
  return pass as Pass;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}
