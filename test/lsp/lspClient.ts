// A real LSP client for the server tests: bundles a server entry with esbuild exactly as
// scripts/build.mjs does (node, cjs, bundled), spawns `node <bundle> --stdio`, and talks JSON-RPC over
// its pipes with vscode-jsonrpc / vscode-languageserver-protocol.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter, InitializeRequest, InitializedNotification,
  DidOpenTextDocumentNotification, DidChangeTextDocumentNotification, DidSaveTextDocumentNotification,
  PublishDiagnosticsNotification, ShutdownRequest, ExitNotification,
  type ProtocolConnection, type PublishDiagnosticsParams, type InitializeResult, type TextEdit, type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';

const bundles = new Map<string, Promise<string>>();

/** Bundle `extension/servers/<name>/server.ts` once per test process. */
export function bundleServer(name: 'ethtool' | 'xdp'): Promise<string> {
  let p = bundles.get(name);
  if (!p) {
    const outfile = join(mkdtempSync(join(tmpdir(), 'netvsc-lsp-test-')), `${name}.js`);
    p = esbuild.build({
      entryPoints: [`extension/servers/${name}/server.ts`], outfile, bundle: true, platform: 'node', target: 'node20',
      format: 'cjs', external: ['vscode'], logLevel: 'error', sourcemap: false,
    }).then(() => outfile);
    bundles.set(name, p);
  }
  return p;
}

export class LspClient {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  private waiters: { uri: string; count: number; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  stderr = '';
  initializeResult!: InitializeResult;
  private constructor(readonly child: ChildProcessWithoutNullStreams, readonly conn: ProtocolConnection) {}

  static async start(name: 'ethtool' | 'xdp', initializationOptions?: unknown): Promise<LspClient> {
    const bundle = await bundleServer(name);
    const child = spawn(process.execPath, [bundle, '--stdio'], { stdio: 'pipe' });
    const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const client = new LspClient(child, conn);
    child.stderr.on('data', (d) => { client.stderr += String(d); });
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      const list = client.diagnostics.get(p.uri) ?? [];
      list.push(p);
      client.diagnostics.set(p.uri, list);
      client.waiters = client.waiters.filter((w) => {
        if (w.uri === p.uri && list.length >= w.count) { w.resolve(p); return false; }
        return true;
      });
    });
    conn.onRequest('window/showMessageRequest', () => null);
    conn.listen();
    client.initializeResult = await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid, rootUri: null, capabilities: {}, initializationOptions,
    });
    await conn.sendNotification(InitializedNotification.type, {});
    return client;
  }

  async open(uri: string, languageId: string, text: string, version = 1): Promise<void> {
    await this.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version, text } });
  }

  async change(uri: string, text: string, version: number): Promise<void> {
    await this.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  async save(uri: string): Promise<void> {
    await this.conn.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** Resolves with the n-th publishDiagnostics for `uri` (1-based), waiting for it if needed. */
  nthDiagnostics(uri: string, n: number, timeoutMs = 30_000): Promise<PublishDiagnosticsParams> {
    const list = this.diagnostics.get(uri) ?? [];
    if (list.length >= n) return Promise.resolve(list[n - 1]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics #${n} for ${uri} within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({ uri, count: n, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  diagnosticCount(uri: string): number {
    return this.diagnostics.get(uri)?.length ?? 0;
  }

  async stop(): Promise<void> {
    await this.conn.sendRequest(ShutdownRequest.type);
    await this.conn.sendNotification(ExitNotification.type);
    await new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    this.conn.dispose();
  }
}

/** Apply LSP TextEdits to a text (edits do not overlap; applied back to front). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const off = (p: { line: number; character: number }) => (p.line < starts.length ? starts[p.line] + p.character : text.length);
  const sorted = [...edits].sort((a, b) => off(b.range.start) - off(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, off(e.range.start)) + e.newText + out.slice(off(e.range.end));
  return out;
}

/** The edits of a WorkspaceEdit for one document (`changes` or `documentChanges`). */
export function editsFor(edit: WorkspaceEdit, uri: string): TextEdit[] {
  if (edit.changes?.[uri]) return edit.changes[uri];
  const out: TextEdit[] = [];
  for (const dc of edit.documentChanges ?? []) {
    if ('textDocument' in dc && dc.textDocument.uri === uri) out.push(...dc.edits.filter((e): e is TextEdit => 'range' in e));
  }
  return out;
}
