import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { generateOnnxSchema } from "../../scripts/gen-onnx-schema.js";

test("the committed ONNX schema is what protoc-gen-es generates from onnx.proto (npm run gen:onnx-schema)", () => {
  const committed = readFileSync(new URL("../../src/onnx/schema/onnx_pb.ts", import.meta.url), "utf8");
  assert.ok(committed === generateOnnxSchema(), "src/onnx/schema/onnx_pb.ts is stale: run `npm run gen:onnx-schema`");
});

test.run();
