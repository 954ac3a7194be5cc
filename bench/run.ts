/**
 * `npm run bench`: runs every benchmark present in bench/ (driver, and the kernel benchmarks
 * conv and fused when they exist); each exports `main()` and prints its own numbers.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const BENCHMARKS = ["driver", "conv", "fused"];

for (const name of BENCHMARKS) {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  if (!existsSync(file)) continue;
  const module = (await import(`./${name}.ts`)) as { main?: () => Promise<void> };
  if (typeof module.main !== "function") {
    console.log(`bench/${name}.ts exports no main(); skipped`);
    continue;
  }
  console.log(`── ${name} ──`);
  await module.main();
}
