// XDP C language server: a thin LSP shell over extension/core/lsp (xdpAssist, xdpCheck). Serves C
// documents but answers only for those that define a SEC("xdp…") program, and only with XDP
// vocabulary, so it sits beside clangd / the C/C++ extension without competing.
// Transport from argv (`--stdio`, `--node-ipc`, `--socket=N`), as vscode-languageserver decides.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createConnection, MessageType, ProposedFeatures, ShowMessageNotification, TextDocuments, TextDocumentSyncKind, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DEFAULT_XDP_SETTINGS, XDP_SETTINGS_NOTIFICATION, type XdpServerSettings } from '../../core/lsp/protocol';
import { XdpDocument } from '../../core/lsp/xdpAssist';
import { checkXdpSource } from '../../core/lsp/xdpCheck';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let settings: XdpServerSettings = { ...DEFAULT_XDP_SETTINGS };
const workDir = mkdtempSync(join(tmpdir(), 'netvsc-xdp-'));
const parsed = new Map<string, { version: number; doc: XdpDocument }>();
/** Per-URI generation, so a slow compile never overwrites a newer result. */
const checkGeneration = new Map<string, number>();
let toolErrorShown = '';
const docDirs = new Map<string, string>();

function xdpDoc(uri: string): XdpDocument | undefined {
  const td = documents.get(uri);
  if (!td) return undefined;
  let entry = parsed.get(uri);
  if (!entry || entry.version !== td.version) {
    entry = { version: td.version, doc: new XdpDocument(td.getText()) };
    parsed.set(uri, entry);
  }
  return entry.doc.isXdp ? entry.doc : undefined;
}

connection.onInitialize((params): InitializeResult => {
  const opts = params.initializationOptions as Partial<XdpServerSettings> | undefined;
  settings = { ...DEFAULT_XDP_SETTINGS, ...(opts ?? {}) };
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      completionProvider: { triggerCharacters: ['>', '"'] },
      hoverProvider: true,
      signatureHelpProvider: { triggerCharacters: ['(', ','] },
      codeLensProvider: { resolveProvider: false },
    },
    serverInfo: { name: 'netvsc-lab XDP' },
  };
});

connection.onNotification(XDP_SETTINGS_NOTIFICATION, (p: Partial<XdpServerSettings>) => {
  const wasTrusted = settings.trusted;
  settings = { ...settings, ...p };
  toolErrorShown = '';
  if (!wasTrusted && settings.trusted) for (const d of documents.all()) checkLogged(d.uri);
  if (!settings.trusted) for (const d of documents.all()) connection.sendDiagnostics({ uri: d.uri, diagnostics: [] });
});

connection.onCompletion((p) => xdpDoc(p.textDocument.uri)?.completion(p.position) ?? []);
connection.onHover((p) => {
  const h = xdpDoc(p.textDocument.uri)?.hover(p.position);
  return h ? { contents: { kind: 'markdown', value: h.contents }, range: h.range } : null;
});
connection.onSignatureHelp((p) => xdpDoc(p.textDocument.uri)?.signatureHelp(p.position) ?? null);
connection.onCodeLens((p) => xdpDoc(p.textDocument.uri)?.codeLenses(p.textDocument.uri, settings.ifname) ?? []);

/** Compile + verify the saved file; only in a trusted workspace, because it runs the configured clang. */
async function check(uri: string): Promise<void> {
  const doc = xdpDoc(uri);
  if (!doc || !settings.trusted || !settings.verifyOnSave || !uri.startsWith('file:')) return;
  const gen = (checkGeneration.get(uri) ?? 0) + 1;
  checkGeneration.set(uri, gen);
  const sourcePath = fileURLToPath(uri);
  // One directory per document (two files may share a base name) and per generation parity (a newer
  // compile never writes the object an older one is still reading).
  if (!docDirs.has(uri)) docDirs.set(uri, String(docDirs.size));
  const outDir = join(workDir, docDirs.get(uri)!, String(gen % 2));
  const result = await checkXdpSource(doc.lines, { clangPath: settings.clangPath, sourcePath, outDir });
  if (checkGeneration.get(uri) !== gen) return;
  if (result.toolError) {
    if (toolErrorShown !== result.toolError) {
      toolErrorShown = result.toolError;
      void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `NetVSC Lab: ${result.toolError}` });
    }
    return;
  }
  connection.sendDiagnostics({ uri, diagnostics: result.diagnostics });
}

function checkLogged(uri: string): void {
  check(uri).catch((e: unknown) => connection.console.error(`XDP check of ${uri} failed: ${(e as Error).stack ?? String(e)}`));
}

documents.onDidOpen((e) => checkLogged(e.document.uri));
// A file that stops being XDP C (its SEC("xdp…") removed) keeps no stale clang/verifier findings.
documents.onDidChangeContent((e) => {
  if (checkGeneration.has(e.document.uri) && !xdpDoc(e.document.uri)) {
    checkGeneration.delete(e.document.uri);
    connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  }
});
documents.onDidSave((e) => checkLogged(e.document.uri));
documents.onDidClose((e) => {
  parsed.delete(e.document.uri);
  checkGeneration.delete(e.document.uri);
  connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

connection.onShutdown(() => { rmSync(workDir, { recursive: true, force: true }); });
process.on('exit', () => { rmSync(workDir, { recursive: true, force: true }); });

documents.listen(connection);
connection.listen();
