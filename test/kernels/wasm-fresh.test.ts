import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assemble, sources } from "../../scripts/build-wasm.js";

test("committed wasm kernels match their .wat sources (run `npm run wasm` after editing one)", async () => {
  const all = sources();
  assert.ok(all.length > 0);
  for (const { wat, out } of all) assert.is(readFileSync(out, "utf8"), await assemble(wat), `${out} is stale`);
});

test.run();
