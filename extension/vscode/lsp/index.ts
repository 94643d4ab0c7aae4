// The two language clients (vscode-languageclient over IPC): the ethtool script server and the XDP C
// server. Each starts when the first document it serves is open, so activation stays cheap; settings
// flow one way, client to server (initialization options, then a notification on change).
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import {
  ETHTOOL_SETTINGS_NOTIFICATION, XDP_SETTINGS_NOTIFICATION, type EthtoolServerSettings, type XdpServerSettings,
} from '../../core/lsp/protocol';

function serverOptions(context: vscode.ExtensionContext, bundle: string, inspectPort: number): ServerOptions {
  const module = context.asAbsolutePath(bundle);
  return {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', `--inspect=${inspectPort}`] } },
  };
}

/** Settings the XDP server gets: trust decides whether clang (a program named in settings) may run. */
function xdpSettings(): XdpServerSettings {
  const c = vscode.workspace.getConfiguration('netvsc');
  return {
    trusted: vscode.workspace.isTrusted,
    clangPath: c.get<string>('clangPath', 'clang') || 'clang',
    verifyOnSave: c.get<boolean>('xdp.verifyOnSave', true),
    ifname: 'eth0',
  };
}

function ethtoolSettings(): EthtoolServerSettings {
  const c = vscode.workspace.getConfiguration('netvsc.device');
  return { hostProfile: c.get<string>('hostProfile', 'azure'), cpus: c.get<number>('cpus', 8) };
}

/** A C document that defines an XDP program (the XDP server answers nothing else). */
function isXdpC(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'c' && /\bSEC\s*\(\s*"xdp/.test(doc.getText());
}

/** Starts `start` once a document matching `wanted` is open (now or later). */
function startWhenOpen(wanted: (d: vscode.TextDocument) => boolean, start: () => void, subs: vscode.Disposable[]): void {
  if (vscode.workspace.textDocuments.some(wanted)) { start(); return; }
  const listener = vscode.workspace.onDidOpenTextDocument((d) => {
    if (!wanted(d)) return;
    listener.dispose();
    start();
  });
  subs.push(listener);
}

export function startLanguageClients(context: vscode.ExtensionContext): vscode.Disposable[] {
  const subs: vscode.Disposable[] = [];
  const clients: LanguageClient[] = [];
  let ethtool: LanguageClient | undefined;
  let xdp: LanguageClient | undefined;

  startWhenOpen((d) => d.languageId === 'ethtool', () => {
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ language: 'ethtool' }],
      initializationOptions: ethtoolSettings(),
    };
    ethtool = new LanguageClient('netvsc.ethtool', 'NetVSC ethtool scripts', serverOptions(context, 'dist/servers/ethtool.js', 6011), clientOptions);
    clients.push(ethtool);
    void ethtool.start();
  }, subs);

  startWhenOpen(isXdpC, () => {
    const clientOptions: LanguageClientOptions = {
      // Only files on disk: clang compiles the saved file.
      documentSelector: [{ scheme: 'file', language: 'c' }],
      initializationOptions: xdpSettings(),
    };
    xdp = new LanguageClient('netvsc.xdp', 'NetVSC XDP', serverOptions(context, 'dist/servers/xdp.js', 6012), clientOptions);
    clients.push(xdp);
    void xdp.start();
  }, subs);

  subs.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => { void xdp?.sendNotification(XDP_SETTINGS_NOTIFICATION, { trusted: true }); }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('netvsc.clangPath') || e.affectsConfiguration('netvsc.xdp.verifyOnSave')) {
        void xdp?.sendNotification(XDP_SETTINGS_NOTIFICATION, xdpSettings());
      }
      if (e.affectsConfiguration('netvsc.device')) void ethtool?.sendNotification(ETHTOOL_SETTINGS_NOTIFICATION, ethtoolSettings());
    }),
    { dispose: () => { for (const c of clients) void c.stop(); } },
  );
  return subs;
}
