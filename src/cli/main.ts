/**
 * The `fusec` command line. Each subcommand lives in ./commands/<name>.ts and exports
 * `register(program)`; this file only assembles them. Only the command being run is loaded
 * (the compiler and the runtime are large), except for help, which lists them all.
 */
import { Command } from "commander";
import { removePendingWrites } from "../onnx/save.js";
import { setModelReadDefaults } from "../runtime/limits.js";

// A closed pipe (`fusec optimize … --stats | head -1`) ends the command quietly, as for other
// Unix tools; Ctrl-C removes any output file still being written and exits with 130.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    removePendingWrites();
    process.exit(0);
  });
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    removePendingWrites();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

const COMMANDS = ["compile", "check", "verify", "optimize", "run", "inspect", "report", "lsp"];

const program = new Command();
program.name("fusec").description("Compile tensor-graph fusion rules and apply them to models.").version("0.1.0");
const count = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) program.error(`${flag} needs a whole number, got "${value}"`);
  return n;
};
program
  .option("--data-dir <dir>", "a folder JSON graphs may read data files from, besides their own (repeatable)", (v: string, all: string[] = []) => [...all, v])
  .option("--max-model-bytes <n>", "largest model or data file read (default 4 GiB)", count("--max-model-bytes"))
  .option("--max-tensors <n>", "most constants in one model (default 1000000)", count("--max-tensors"))
  .option("--max-tensor-elements <n>", "most elements in one tensor (default 2^30)", count("--max-tensor-elements"))
  .hook("preAction", () => {
    const o = program.opts<{ dataDir?: string[]; maxModelBytes?: number; maxTensors?: number; maxTensorElements?: number }>();
    setModelReadDefaults({
      ...(o.dataDir ? { dataDirs: o.dataDir } : {}),
      limits: {
        ...(o.maxModelBytes !== undefined ? { maxBytes: o.maxModelBytes } : {}),
        ...(o.maxTensors !== undefined ? { maxTensors: o.maxTensors } : {}),
        ...(o.maxTensorElements !== undefined ? { maxElements: o.maxTensorElements } : {}),
      },
    });
  });

const requested = process.argv[2];
const wanted = requested !== undefined && COMMANDS.includes(requested) ? [requested] : COMMANDS;
for (const name of wanted) {
  const mod = (await import(`./commands/${name}.ts`)) as { register(program: Command): void };
  mod.register(program);
}

await program.parseAsync(process.argv);
