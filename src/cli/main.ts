/**
 * The `fusec` command line. Each subcommand lives in ./commands/<name>.ts and exports
 * `register(program)`; this file only assembles them. Only the command being run is loaded
 * (the compiler and the runtime are large); help lists the commands from a table here.
 */
import { Command } from "commander";
import { removePendingWrites } from "../node/files.js";

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

/** Every command with its one-line summary: help lists these without loading any command. */
const COMMANDS: Record<string, string> = {
  compile: "compile rule packs into rewrite passes",
  check: "check rules files and print their diagnostics",
  verify: "check numerically that rules preserve what a graph computes",
  optimize: "apply fusion rules to a model and write the fused model",
  run: "execute a model and write its outputs as .npy files",
  inspect: "print a model's inputs, outputs, opsets and op histogram",
  report: "apply fusion rules to a model and write an HTML report of what fused",
  lsp: "run the language server for .rules files (LSP over stdin/stdout)",
};

const program = new Command();
program.name("fusec").description("Compile tensor-graph fusion rules and apply them to models.").version("0.1.0");
const count = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) program.error(`${flag} needs a whole number, got "${value}"`);
  return n;
};
program
  .option("--max-model-bytes <n>", "largest model or data file read (default 4 GiB)", count("--max-model-bytes"))
  .option("--max-tensors <n>", "most constants in one model (default 1000000)", count("--max-tensors"))
  .option("--max-tensor-elements <n>", "most elements in one tensor (default 2^30)", count("--max-tensor-elements"))
  .hook("preAction", async () => {
    const o = program.opts<{ maxModelBytes?: number; maxTensors?: number; maxTensorElements?: number }>();
    const { setModelLimits } = await import("../runtime/limits.js");
    setModelLimits({ maxBytes: o.maxModelBytes, maxTensors: o.maxTensors, maxElements: o.maxTensorElements });
  });

// `fusec <command> …` and `fusec help <command>` load that command alone; anything else (help,
// an unknown command) needs only the summaries.
const [first, second] = process.argv.slice(2);
const requested = first === "help" ? second : first;
if (requested !== undefined && Object.hasOwn(COMMANDS, requested)) {
  const mod = (await import(`./commands/${requested}.js`)) as { register(program: Command): void };
  mod.register(program);
} else {
  for (const [name, summary] of Object.entries(COMMANDS)) program.command(name).description(summary);
}

await program.parseAsync(process.argv);
