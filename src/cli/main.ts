/**
 * The `fusec` command line. Each subcommand lives in ./commands/<name>.ts and exports
 * `register(program)`; this file only assembles them and maps failures to exit codes.
 */
import { Command } from "commander";

const program = new Command();
program.name("fusec").description("Compile tensor-graph fusion rules and apply them to models.").version("0.1.0");

const commands = ["compile", "check", "verify", "optimize", "run", "inspect"];
for (const name of commands) {
  const mod = await import(`./commands/${name}.ts`).catch((e: unknown) => {
    if ((e as { code?: string }).code === "ERR_MODULE_NOT_FOUND") return undefined;
    throw e;
  });
  mod?.register(program);
}

await program.parseAsync(process.argv);
