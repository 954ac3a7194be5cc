/**
 * `fusec lsp`: the language server for `.rules` files, over stdio (vscode-languageserver).
 *
 * Documents are analyzed with the compiler's own `check()`, so diagnostics carry the codes,
 * spans and related locations `fusec check` prints; an edit re-analyzes the open documents
 * (an edit to a dialect changes its importers' diagnostics too) after a short pause in typing.
 * Requests (hover, definition, completion, symbols) answer from the last analysis, and bring it
 * up to date first when an edit is still pending.
 */
import { fileURLToPath } from "node:url";
import {
  createConnection,
  DiagnosticSeverity,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type Diagnostic as LspDiagnostic,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { completion, definition, documentSymbols, hover, rangeOf, uriOf } from "./features.js";
import { Workspace, type Analysis } from "./workspace.js";

/** Pause after the last keystroke before diagnostics are recomputed. */
const DEBOUNCE_MS = 50;

export function startServer(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Connection {
  const connection = createConnection(ProposedFeatures.all, input, output);
  const documents = new TextDocuments(TextDocument);
  const workspace = new Workspace();
  let pending: ReturnType<typeof setTimeout> | undefined;

  const pathOf = (uri: string) => fileURLToPath(uri);

  /** Files not open that got diagnostics last time (an imported dialect with errors). */
  let shownClosed = new Set<string>();

  /**
   * Re-analyzes every open document and publishes its diagnostics, and those of the files it
   * imports (as `fusec check` prints them), once per file.
   */
  const publishAll = () => {
    if (pending) clearTimeout(pending);
    pending = undefined;
    const byUri = new Map<string, Map<string, LspDiagnostic>>();
    for (const doc of documents.all()) {
      byUri.set(doc.uri, byUri.get(doc.uri) ?? new Map());
      let found: Diagnostic[] = [];
      try {
        found = workspace.analysis(pathOf(doc.uri)).diagnostics;
      } catch (e) {
        connection.console.error(`fusec: internal error while checking ${doc.uri}: ${e instanceof Error ? e.stack : String(e)}`);
      }
      for (const d of found) {
        const uri = uriOf(d.span.file);
        const list = byUri.get(uri) ?? new Map<string, LspDiagnostic>();
        byUri.set(uri, list);
        list.set(`${d.span.start.offset}:${d.span.end.offset}:${d.code}:${d.message}`, toLsp(d));
      }
    }
    const closed = new Set<string>();
    for (const [uri, list] of byUri) {
      const doc = documents.get(uri);
      if (!doc && list.size === 0) continue;
      if (!doc) closed.add(uri);
      void connection.sendDiagnostics({ uri, ...(doc ? { version: doc.version } : {}), diagnostics: [...list.values()] });
    }
    for (const uri of shownClosed) if (!byUri.has(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] });
    shownClosed = closed;
  };
  const schedule = () => {
    if (pending) clearTimeout(pending);
    pending = setTimeout(publishAll, DEBOUNCE_MS);
  };
  /** The analysis of `uri`, after any edit still waiting for its diagnostics. */
  const current = (uri: string): Analysis | undefined => {
    if (pending) publishAll();
    const doc = documents.get(uri);
    if (!doc) return undefined;
    return workspace.analysis(pathOf(uri));
  };
  const offsetIn = (uri: string, position: { line: number; character: number }) => documents.get(uri)?.offsetAt(position) ?? 0;

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      completionProvider: { triggerCharacters: [".", "{", ",", ":", " "] },
      documentSymbolProvider: true,
    },
    serverInfo: { name: "fusec", version: "0.1.0" },
  }));

  documents.onDidOpen((e) => {
    workspace.setText(pathOf(e.document.uri), e.document.getText());
    publishAll();
  });
  documents.onDidChangeContent((e) => {
    workspace.setText(pathOf(e.document.uri), e.document.getText());
    schedule();
  });
  documents.onDidClose((e) => {
    workspace.close(pathOf(e.document.uri));
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    schedule();
  });

  connection.onHover((p) => {
    const a = current(p.textDocument.uri);
    return a ? hover(a, offsetIn(p.textDocument.uri, p.position)) : null;
  });
  connection.onDefinition((p) => {
    const a = current(p.textDocument.uri);
    return a ? definition(a, offsetIn(p.textDocument.uri, p.position)) : null;
  });
  connection.onCompletion((p) => {
    const a = current(p.textDocument.uri);
    return a ? completion(a, offsetIn(p.textDocument.uri, p.position)) : [];
  });
  connection.onDocumentSymbol((p) => {
    const a = current(p.textDocument.uri);
    return a ? documentSymbols(a) : [];
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, note: DiagnosticSeverity.Information };

function toLsp(d: Diagnostic): LspDiagnostic {
  return {
    range: rangeOf(d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: "fusec",
    message: d.message,
    relatedInformation: d.related.map((r) => ({ location: { uri: uriOf(r.span.file), range: rangeOf(r.span) }, message: r.message })),
  };
}
