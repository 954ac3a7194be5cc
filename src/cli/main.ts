/**
 * The `fusec` command line. Each subcommand lives in ./commands/<name>.ts and exports
 * `register(program)`; this file only assembles them. Only the command being run is loaded
 * (the compiler and the runtime are large), except for help, which lists them all.
 */
import { Command } from "commander";

const COMMANDS = ["compile", "check", "verify", "optimize", "run", "inspect", "report", "lsp"];

const program = new Command();
program.name("fusec").description("Compile tensor-graph fusion rules and apply them to models.").version("0.1.0");

const requested = process.argv[2];
const wanted = requested !== undefined && COMMANDS.includes(requested) ? [requested] : COMMANDS;
for (const name of wanted) {
  const mod = (await import(`./commands/${name}.ts`)) as { register(program: Command): void };
  mod.register(program);
}

await program.parseAsync(process.argv);
