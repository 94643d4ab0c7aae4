// ethtool script language server: a thin LSP shell over extension/core/lsp (ethtoolAssist,
// ethtoolScript). Diagnostics come from running the script against an emulated hv_netvsc device
// (the host profile and vCPUs of the settings), so they carry ethtool's and the driver's own text.
// Transport from argv (`--stdio`, `--node-ipc`, `--socket=N`), as vscode-languageserver decides.
import { fileURLToPath } from 'node:url';
import {
  CodeActionKind, createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { EthtoolDocument } from '../../core/lsp/ethtoolAssist';
import { DEFAULT_ETHTOOL_SETTINGS, ETHTOOL_SETTINGS_NOTIFICATION, type EthtoolServerSettings } from '../../core/lsp/protocol';
import type { Diagnostic } from '../../core/lsp/types';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let settings: EthtoolServerSettings = { ...DEFAULT_ETHTOOL_SETTINGS };
const cache = new Map<string, { version: number; doc: EthtoolDocument }>();
const pending = new Map<string, ReturnType<typeof setTimeout>>();

function ethtoolDoc(uri: string): EthtoolDocument | undefined {
  const td = documents.get(uri);
  if (!td) return undefined;
  let e = cache.get(uri);
  if (!e || e.version !== td.version) {
    const scriptPath = uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
    e = { version: td.version, doc: new EthtoolDocument(td.getText(), { uri, scriptPath, hostProfile: settings.hostProfile, cpus: settings.cpus }) };
    cache.set(uri, e);
  }
  return e.doc;
}

connection.onInitialize((params): InitializeResult => {
  settings = { ...DEFAULT_ETHTOOL_SETTINGS, ...((params.initializationOptions as Partial<EthtoolServerSettings> | undefined) ?? {}) };
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      completionProvider: { triggerCharacters: [' ', '-'] },
      hoverProvider: true,
      documentSymbolProvider: true,
      documentFormattingProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      codeLensProvider: { resolveProvider: false },
    },
    serverInfo: { name: 'netvsc-lab ethtool' },
  };
});

function publish(uri: string): void {
  const doc = ethtoolDoc(uri);
  if (!doc) return;
  let diagnostics: Diagnostic[];
  try {
    diagnostics = doc.diagnostics();
  } catch (e) {
    connection.console.error(`checking ${uri} failed: ${(e as Error).stack ?? String(e)}`);
    return;
  }
  connection.sendDiagnostics({ uri, version: documents.get(uri)?.version, diagnostics });
}

/** Re-check shortly after typing stops: one run of the script per pause, not per keystroke. */
function schedule(uri: string, delayMs: number): void {
  clearTimeout(pending.get(uri));
  pending.set(uri, setTimeout(() => { pending.delete(uri); publish(uri); }, delayMs));
}

connection.onNotification(ETHTOOL_SETTINGS_NOTIFICATION, (p: Partial<EthtoolServerSettings>) => {
  settings = { ...settings, ...p };
  cache.clear();
  for (const d of documents.all()) schedule(d.uri, 0);
});

documents.onDidChangeContent((e) => schedule(e.document.uri, 150));
documents.onDidClose((e) => {
  clearTimeout(pending.get(e.document.uri));
  pending.delete(e.document.uri);
  cache.delete(e.document.uri);
  connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

connection.onCompletion((p) => ethtoolDoc(p.textDocument.uri)?.completion(p.position) ?? []);
connection.onHover((p) => {
  const h = ethtoolDoc(p.textDocument.uri)?.hover(p.position);
  return h ? { contents: { kind: 'markdown', value: h.contents }, range: h.range } : null;
});
connection.onDocumentSymbol((p) => ethtoolDoc(p.textDocument.uri)?.symbols() ?? []);
connection.onDocumentFormatting((p) => ethtoolDoc(p.textDocument.uri)?.format() ?? []);
connection.onCodeAction((p) => {
  const doc = ethtoolDoc(p.textDocument.uri);
  if (!doc) return [];
  return doc.codeActions(p.context.diagnostics as Diagnostic[]).map((a) => ({
    title: a.title, kind: CodeActionKind.QuickFix, diagnostics: a.diagnostics, isPreferred: a.isPreferred,
    edit: { changes: { [p.textDocument.uri]: a.edits } },
  }));
});
connection.onCodeLens((p) => ethtoolDoc(p.textDocument.uri)?.codeLenses(p.textDocument.uri) ?? []);

documents.listen(connection);
connection.listen();
