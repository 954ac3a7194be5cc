// Part of `npm run build`: copies the files under src/ that tsc does not emit (the report's
// client script and style sheet) into dist/src/, beside the modules that read them.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const src = new URL("../src/", import.meta.url).pathname;
const dist = new URL("../dist/src/", import.meta.url).pathname;

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (!/\.(m|c)?ts$/.test(entry.name)) {
      const target = join(dist, relative(src, path));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
    }
  }
}

walk(src);
