/**
 * Ops a user's dialect implements (`op QuickGelu(X) … impl "./quickgelu.ts"`), registered for
 * commands that execute a graph without loading a compiled pack (`fusec run --ops my.rules`).
 * A compiled pack registers its dialects' implementations itself when it is imported.
 */
import * as nodePath from "node:path";
import { pathToFileURL } from "node:url";
import type { Attr } from "../runtime/graph.js";
import { registerOpImpl, type OpImpl } from "../runtime/registry.js";
import { UsageError } from "./model-errors.js";

/** Reads the rules files' dialects and registers every op declared with `impl`. */
export async function registerUserOps(rulesFiles: readonly string[]): Promise<string[]> {
  const { analyze } = await import("../compiler/analyze.js");
  const registered: string[] = [];
  for (const file of rulesFiles) {
    const { program, diagnostics } = analyze([file]);
    const errors = diagnostics.filter((d) => d.severity === "error" && d.span.file === program.roots[0]?.path);
    if (errors.length > 0 || program.roots.length === 0) {
      const first = errors[0];
      throw new UsageError(`--ops ${file}: ${first ? `${first.span.file}:${first.span.start.line}:${first.span.start.column}: ${first.message}` : "cannot read it"}`);
    }
    for (const op of program.ops.all()) {
      if (!op.impl) continue;
      const target = nodePath.resolve(nodePath.dirname(op.span.file), op.impl.path);
      let impl: Partial<OpImpl>;
      try {
        if (/\.m?ts$/.test(target)) (await import("../node/pass.js")).enableTypeScript();
        impl = (await import(pathToFileURL(target).href)) as Partial<OpImpl>;
      } catch (e) {
        throw new UsageError(`--ops ${file}: cannot load the implementation of ${op.name} (${op.impl.path}): ${(e as Error).message.split("\n")[0]}`);
      }
      const defaults: Record<string, Attr> = {};
      for (const a of op.attrs) {
        const d = a.default;
        if (!d || a.type.kind === "tensor") continue;
        const plain = d.kind === "List" ? d.items.map((i) => ("value" in i ? i.value : 0)) : d.kind === "Bool" ? Number(d.value) : d.value;
        defaults[a.name] = { type: a.type.kind === "enum" ? "string" : a.type.kind, value: plain } as Attr;
      }
      try {
        registerOpImpl(op.name, op.domain, impl, defaults);
      } catch (e) {
        throw new UsageError(`--ops ${file}: ${(e as Error).message}`);
      }
      registered.push(op.domain ? `${op.domain}::${op.name}` : op.name);
    }
  }
  return registered;
}
