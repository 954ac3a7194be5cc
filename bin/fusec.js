#!/usr/bin/env node
// The fusec command. Runs the built CLI (dist/, what the published package ships). In this
// repository's source checkout it can also run the TypeScript sources through tsx (a dev
// dependency) and the `fusec-source` export condition: in-process when both are already active
// (as under `npm test`), or in a child process when nothing has been built (`npm run build`).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const options = `${process.env.NODE_OPTIONS ?? ""} ${process.execArgv.join(" ")}`;
const sourceMode = /--conditions[= ]fusec-source/.test(options) && /--import[= ]tsx/.test(options);
const built = new URL("../dist/src/cli/main.js", import.meta.url);
const source = new URL("../src/cli/main.ts", import.meta.url);
if (sourceMode && existsSync(source)) {
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  const args = ["--conditions=fusec-source", "--import", "tsx", source.pathname, ...process.argv.slice(2)];
  const child = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (child.error || !existsSync(source)) {
    console.error("fusec: the package is not built; run `npm run build`");
    process.exit(1);
  }
  process.exit(child.status ?? 1);
}
