/**
 * Generates src/onnx/schema/onnx_pb.ts, fusec's ONNX protobuf schema, with protoc-gen-es (the
 * maintained code generator of @bufbuild/protobuf):
 *
 *   npm run gen:onnx-schema        (test/onnx/schema.test.ts checks the committed file is fresh)
 *
 * The schema is ONNX's onnx.proto as compiled into the `onnx-buf` package (ONNX 1.20, IR
 * version 13): that package embeds onnx.proto's FileDescriptorProto, which is exactly what protoc
 * hands a plugin, so the plugin runs in-process on it and no protoc binary is needed. To move to
 * a newer ONNX, bump the pinned `onnx-buf` dev dependency and regenerate.
 */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { create } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, type CodeGeneratorResponse } from "@bufbuild/protobuf/wkt";
import { file_onnx } from "onnx-buf";

const OUT = new URL("../src/onnx/schema/onnx_pb.ts", import.meta.url);

/** The generated module's text. */
export function generateOnnxSchema(): string {
  const require = createRequire(import.meta.url);
  const { protocGenEs } = require("@bufbuild/protoc-gen-es/dist/cjs/src/protoc-gen-es-plugin.js") as {
    protocGenEs: { run(request: unknown): CodeGeneratorResponse };
  };
  const request = create(CodeGeneratorRequestSchema, {
    fileToGenerate: [file_onnx.proto.name],
    parameter: "target=ts,import_extension=js",
    protoFile: [file_onnx.proto],
  });
  const response = protocGenEs.run(request);
  if (response.error) throw new Error(`protoc-gen-es: ${response.error}`);
  const file = response.file.find((f) => f.name === "onnx_pb.ts");
  if (!file) throw new Error(`protoc-gen-es wrote ${response.file.map((f) => f.name).join(", ")}, not onnx_pb.ts`);
  const version = (require("onnx-buf/package.json") as { version: string }).version;
  return (
    `// ONNX's onnx.proto (Apache-2.0, the ONNX Project Contributors), from the onnx-buf package ${version}.\n` +
    `// Regenerate with \`npm run gen:onnx-schema\`; do not edit.\n` +
    file.content
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(OUT, generateOnnxSchema());
  console.log(OUT.pathname);
}
