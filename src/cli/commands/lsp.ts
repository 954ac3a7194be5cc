/**
 * `fusec lsp`: the language server for `.rules` files (Language Server Protocol over stdio), for
 * editors; editors/vscode/ holds the VS Code extension that starts it.
 */
import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("lsp")
    .description("run the language server for .rules files (LSP over stdin/stdout)")
    .option("--stdio", "talk over stdin/stdout (the default and only transport)")
    .action(async () => {
      const { startServer } = await import("../../lsp/server.js");
      startServer();
    });
}
