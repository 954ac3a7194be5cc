#!/usr/bin/env node
// The fusec command. The published package runs its built JavaScript (dist/). In this
// repository's source checkout (src/ is next to bin/, and never shipped) it runs the TypeScript
// sources through tsx (a dev dependency) with the `fusec-source` export condition: in-process
// when both are already active (as under `npm test`), otherwise in a child process.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const source = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
if (!existsSync(source)) {
  await import("../dist/src/cli/main.js");
} else {
  const options = `${process.env.NODE_OPTIONS ?? ""} ${process.execArgv.join(" ")}`;
  if (/--conditions[= ]fusec-source/.test(options) && /--import[= ]tsx/.test(options)) {
    await import(pathToFileURL(source).href);
  } else {
    const args = ["--conditions=fusec-source", "--import", "tsx", source, ...process.argv.slice(2)];
    const child = spawnSync(process.execPath, args, { stdio: "inherit" });
    if (child.error) {
      console.error(`fusec: cannot run the sources: ${child.error.message}`);
      process.exit(1);
    }
    process.exit(child.status ?? (child.signal ? 128 : 1));
  }
}
