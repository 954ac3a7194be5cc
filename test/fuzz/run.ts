/**
 * `npm run fuzz -- [--seed N] [--minutes M] [--limit-ms T] [--targets rules,onnx,json]`: fuzzes
 * the rules front end and compiler, the ONNX decoder and the JSON graph reader until the time is
 * up (default 5 minutes, seed from the clock), printing counts as it goes. Each finding is
 * written to fuzz-findings/ (the input as a file, and what went wrong); the exit code is 1 if
 * there was one. Re-running with the printed seed draws the same inputs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { campaign } from "./campaign.js";
import type { Target } from "./targets.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    minutes: { type: "string", default: "5" },
    "limit-ms": { type: "string", default: "10000" },
    targets: { type: "string", default: "rules,onnx,json" },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000_007;
const minutes = Number(values.minutes);
const targets = values.targets!.split(",") as Target[];
const out = resolve(import.meta.dirname, "../../fuzz-findings");
const started = Date.now();
console.log(`fuzz: seed ${seed}, ${minutes} min, ${values["limit-ms"]} ms per input, targets ${targets.join(", ")}`);
let reported = 0;
const { counts, findings } = await campaign({
  seed,
  deadline: started + minutes * 60_000,
  timeLimitMs: Number(values["limit-ms"]),
  targets,
  progress: (c, found) => {
    const total = c.rules + c.onnx + c.json;
    if (total - reported >= 300) {
      reported = total;
      console.log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${total} inputs (rules ${c.rules}, onnx ${c.onnx}, json ${c.json}), ${found} findings`);
    }
  },
  onFinding: (f) => {
    mkdirSync(out, { recursive: true });
    const id = `${f.target}-${seed}-${Date.now()}`;
    writeFileSync(join(out, `${id}.${f.target === "onnx" ? "onnx" : f.target === "json" ? "json" : "rules"}`), f.input);
    writeFileSync(join(out, `${id}.txt`), `${f.detail}\n`);
    console.log(`  FINDING (${f.target}): ${f.detail.split("\n")[0]} → fuzz-findings/${id}.*`);
  },
});
const total = counts.rules + counts.onnx + counts.json;
console.log(`fuzz: ${total} inputs in ${((Date.now() - started) / 60_000).toFixed(1)} min (rules ${counts.rules}, onnx ${counts.onnx}, json ${counts.json}); ${findings.length} findings; seed ${seed}`);
process.exit(findings.length > 0 ? 1 : 0);
