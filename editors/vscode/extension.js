// Starts the fusec language server (`fusec lsp --stdio`) for .rules files. The server comes from
// the workspace's fusec install (node_modules/.bin/fusec), the `fusec.server.command` setting,
// or `fusec` on the PATH.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverCommand() {
  const configured = vscode.workspace.getConfiguration("fusec").get("server.command");
  if (configured) return configured;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const local = path.join(folder.uri.fsPath, "node_modules", ".bin", process.platform === "win32" ? "fusec.cmd" : "fusec");
    if (fs.existsSync(local)) return local;
    // The fusec repository itself: its bin, run from source.
    const own = path.join(folder.uri.fsPath, "bin", "fusec.js");
    if (fs.existsSync(own)) return own;
  }
  return "fusec";
}

function activate(context) {
  const command = serverCommand();
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const run = command.endsWith(".js")
    ? { command: "node", args: [command, "lsp"], transport: TransportKind.stdio, options: { cwd } }
    : { command, args: ["lsp"], transport: TransportKind.stdio, options: { cwd, shell: process.platform === "win32" } };
  client = new LanguageClient("fusec", "fusec rules", { run, debug: run }, { documentSelector: [{ scheme: "file", language: "fusec-rules" }, { scheme: "untitled", language: "fusec-rules" }] });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
