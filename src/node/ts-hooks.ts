/**
 * Node module hooks (registered by loadPass the first time it loads a `.ts` pass in built
 * fusec) that run TypeScript passes without a loader on the command line: `.ts`/`.mts` files are
 * transpiled (TypeScript's transpileModule, from ts-morph, loaded on first use) and always loaded
 * as ES modules, whatever the `type` of the package.json above them; a relative `./x.js`
 * import from such a file finds `./x.ts` when only that exists.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ResolveContext {
  parentURL?: string | undefined;
}
interface ResolveResult {
  url: string;
  format?: string | null | undefined;
  shortCircuit?: boolean | undefined;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null | undefined;
  shortCircuit?: boolean | undefined;
}

const TYPESCRIPT = /\.m?ts$/;

function isTypeScript(url: string): boolean {
  return url.startsWith("file:") && TYPESCRIPT.test(new URL(url).pathname) && !url.endsWith(".d.ts");
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  const parent = context.parentURL;
  if (parent && isTypeScript(parent) && /^\.{1,2}\//.test(specifier) && /\.m?js$/.test(specifier)) {
    const target = new URL(specifier, parent);
    const typescript = new URL(target.href.replace(/js$/, "ts"));
    if (!existsSync(target) && existsSync(typescript)) return { url: typescript.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(
  url: string,
  context: unknown,
  nextLoad: (url: string, context: unknown) => Promise<LoadResult>,
): Promise<LoadResult> {
  if (!isTypeScript(url)) return nextLoad(url, context);
  const { ts } = await import("ts-morph");
  const path = fileURLToPath(url);
  const output = ts.transpileModule(readFileSync(path, "utf8"), {
    fileName: path,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: true },
  });
  return { format: "module", source: output.outputText, shortCircuit: true };
}
