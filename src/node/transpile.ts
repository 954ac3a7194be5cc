/**
 * Generated TypeScript passes as JavaScript for projects without a TypeScript toolchain: an ES
 * module (`.mjs`, ESM whatever the folder's package type) and its declarations (`.d.mts`).
 * TypeScript comes from ts-morph, loaded on first use (only compiling needs it).
 */

export interface JavaScriptModule {
  /** `onnx.mjs` for `onnx.ts`. */
  fileName: string;
  code: string;
  /** `onnx.d.mts`: the module's types, importing fusec's own declarations. */
  declarationFileName: string;
  declarations: string;
}

/** Transpiles one generated module (`fileName`, TypeScript `code`). */
export async function toJavaScript(fileName: string, code: string): Promise<JavaScriptModule> {
  const { Project, ts } = await import("ts-morph");
  const base = fileName.replace(/\.[mc]?ts$/, "");
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      declaration: true,
      removeComments: false,
      noResolve: true,
      skipLibCheck: true,
      isolatedModules: true,
    },
  });
  project.createSourceFile(`/${base}.mts`, code);
  const output = project.emitToMemory();
  const text = (suffix: string) => {
    const file = output.getFiles().find((f) => f.filePath.endsWith(suffix));
    if (!file) throw new Error(`TypeScript emitted no ${suffix} file for ${fileName}`);
    return file.text;
  };
  return { fileName: `${base}.mjs`, code: text(".mjs"), declarationFileName: `${base}.d.mts`, declarations: text(".d.mts") };
}
