// The trace viewer in VS Code: a read-only custom editor for .pcap/.pcapng/.cap files. Thin wiring
// only: the page is core/traceview/html.ts, the answers come from core/traceview/server.ts, and
// this file moves messages between them and turns the viewer's actions into commands.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { openCaptureBytes } from '../../core/packet/reader';
import type { ReplayJob } from '../../core/lab/replayJob';
import { commentTraceOf } from '../../core/traceview/commentTrace';
import { traceDocument } from '../../core/traceview/document';
import { makeNonce, viewerHtml } from '../../core/traceview/html';
import { LiveCapture } from '../../core/traceview/liveCapture';
import type { MergeLinks } from '../../core/traceview/mergeLinks';
import { deviceTraceOf } from '../../core/traceview/packetTraceSource';
import { isViewRequest, type ActionKind, type HostEvent } from '../../core/traceview/protocol';
import { TraceViewServer } from '../../core/traceview/server';
import type { TraceDocument } from '../../core/traceview/source';

export const TRACE_VIEW_TYPE = 'netvsc.traceViewer';

class TraceFile implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri, readonly doc: TraceDocument) {}
  dispose(): void {}
}

/** Wires one webview to a TraceViewServer (used by the custom editor and by live panels). */
export function connectViewer(context: vscode.ExtensionContext, webview: vscode.Webview, server: TraceViewServer, title: string): vscode.Disposable {
  const media = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
  webview.options = { enableScripts: true, localResourceRoots: [media, vscode.Uri.joinPath(context.extensionUri, 'media')] };
  webview.html = viewerHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce(randomBytes(16)),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'trace.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'trace.css')).toString(),
    title,
  });
  return webview.onDidReceiveMessage(async (m: unknown) => {
    if (!isViewRequest(m)) return;
    await webview.postMessage(await server.handle(m));
  });
}

function hooks(uri: vscode.Uri) {
  return {
    async exportPcapng(bytes: Uint8Array, name: string) {
      const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(uri, '..', name), filters: { pcapng: ['pcapng'] }, title: 'Export displayed packets' });
      if (!target) return { message: 'Export cancelled.' };
      await vscode.workspace.fs.writeFile(target, bytes);
      return { message: `Exported ${bytes.length} bytes to ${vscode.workspace.asRelativePath(target)}.` };
    },
    async action(kind: ActionKind, packet: number) {
      if (kind === 'stepThrough') {
        await vscode.commands.executeCommand('netvsc.debug.stepThroughPacket', { trace: uri.fsPath, packet: packet + 1 });
        return `Debugging packet ${packet + 1}.`;
      }
      const cmds = await vscode.commands.getCommands(true);
      if (!cmds.includes('netvsc.replayFrom')) return 'Replay from here needs the replay command (netvsc.replayFrom), which this build does not have.';
      await vscode.commands.executeCommand('netvsc.replayFrom', { trace: uri.fsPath, packet: packet + 1 });
      return `Replaying from packet ${packet + 1}.`;
    },
  };
}

/** Open viewer panels by capture path, for the debugger's "reveal this packet". */
const openPanels = new Map<string, Set<vscode.WebviewPanel>>();

class TraceEditorProvider implements vscode.CustomReadonlyEditorProvider<TraceFile> {
  constructor(private readonly context: vscode.ExtensionContext) {}

  async openCustomDocument(uri: vscode.Uri): Promise<TraceFile> {
    const bytes = await vscode.workspace.fs.readFile(uri);
    const capture = openCaptureBytes(bytes, uri.fsPath);
    const doc = traceDocument(uri.fsPath, capture, commentTraceOf(capture));
    void doc.warmUp?.();
    return new TraceFile(uri, doc);
  }

  async resolveCustomEditor(file: TraceFile, panel: vscode.WebviewPanel): Promise<void> {
    const server = new TraceViewServer(file.doc, hooks(file.uri));
    const sub = connectViewer(this.context, panel.webview, server, file.uri.path.split('/').pop() ?? 'trace');
    const key = file.uri.fsPath;
    if (!openPanels.has(key)) openPanels.set(key, new Set());
    openPanels.get(key)!.add(panel);
    panel.onDidDispose(() => { sub.dispose(); openPanels.get(key)?.delete(panel); });
  }
}

/** A live trace (a replay in progress): call `grown()` as packets arrive; the panel follows. */
export interface LiveTrace { doc: TraceDocument; uri?: vscode.Uri; onGrown(listener: () => void): vscode.Disposable }

export function openLiveTracePanel(context: vscode.ExtensionContext, live: LiveTrace, title: string): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel('netvsc.liveTrace', title, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [] });
  const server = new TraceViewServer(live.doc, live.uri ? hooks(live.uri) : {});
  const subs = [connectViewer(context, panel.webview, server, title)];
  let pending: ReturnType<typeof setTimeout> | undefined;
  subs.push(live.onGrown(() => {
    // At most four updates a second: the page re-asks for its view each time.
    pending ??= setTimeout(() => { pending = undefined; const e: HostEvent = server.grown(); void panel.webview.postMessage(e); }, 250);
  }));
  panel.onDidDispose(() => { clearTimeout(pending); for (const s of subs) s.dispose(); });
  return panel;
}

export function registerTraceViewer(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(TRACE_VIEW_TYPE, new TraceEditorProvider(context), {
      supportsMultipleEditorsPerDocument: true,
      // The page keeps its filter, sort, selection and scroll in setState, so it can be torn down when hidden.
      webviewOptions: { retainContextWhenHidden: false },
    }),
    // The debugger follows its session here: { trace: capture path, packet: 1-based number }.
    vscode.commands.registerCommand('netvsc.trace.revealPacket', async (args?: { trace?: string; packet?: number }) => {
      if (!args || typeof args.packet !== 'number' || args.packet < 1) return;
      const panels = args.trace ? openPanels.get(args.trace) : new Set([...openPanels.values()].flatMap((s) => [...s]));
      const ev: HostEvent = { type: 'reveal', packet: args.packet - 1 };
      for (const p of panels ?? []) await p.webview.postMessage(ev);
    }),
    vscode.commands.registerCommand('netvsc.openTrace', async (uri?: vscode.Uri) => {
      const target = uri ?? (await vscode.window.showOpenDialog({ filters: { Captures: ['pcap', 'pcapng', 'cap'] }, title: 'Open a capture in the trace viewer' }))?.[0];
      if (target) await vscode.commands.executeCommand('vscode.openWith', target, TRACE_VIEW_TYPE);
    }),
  );
}

/**
 * Opens a panel that follows a replay as it runs (the lab's ReplayJob, slices that yield): call
 * before or after `job.run()`; the list grows with every progress event. `links`: a MergeLinks the
 * Replayer was given as its extra `sink`, for the RSC/GRO merge links in the path diagram.
 */
export function openLiveReplay(context: vscode.ExtensionContext, job: ReplayJob, title = 'Replay (live)', links?: MergeLinks): vscode.WebviewPanel {
  const rep = job.replayer;
  const capture = new LiveCapture(rep.source);
  capture.sync(rep.position);
  const dev = rep.device;
  const indirection = Array.from(dev.rxTable.subarray(0, dev.rxTableSz));
  const doc = traceDocument(title, capture, rep.trace ? deviceTraceOf(rep.trace, indirection, links) : undefined, { live: true });
  const listeners = new Set<() => void>();
  const grow = ({ done }: { done: number }) => { capture.sync(done); for (const l of listeners) l(); };
  const off = [job.events.on('progress', grow), job.events.on('finished', grow)];
  const panel = openLiveTracePanel(context, { doc, onGrown: (l) => { listeners.add(l); return { dispose: () => listeners.delete(l) }; } }, title);
  panel.onDidDispose(() => { for (const o of off) o(); });
  return panel;
}
