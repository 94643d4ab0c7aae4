// The XDP and script actions behind the language servers' CodeLenses and the palette: attach an
// XDP program to eth0, run it on a trace, debug it, run an .ethtool script. Compiling C runs clang
// (a program named in settings), so it happens only in a trusted workspace.
import * as vscode from 'vscode';
import { basename, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { NetvscConsole } from './console';
import type { Devices } from './devices';
import type { ReplayRunner } from './replay';

/** The file an action is about: its argument, else the active editor's file of that kind, else one the user picks. */
async function fileOf(arg: unknown, extensions: string[], title: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return arg.includes('://') ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && extensions.some((e) => active.fsPath.endsWith(`.${e}`))) return active;
  return (await vscode.window.showOpenDialog({ title, canSelectMany: false, filters: { [title]: extensions } }))?.[0];
}
const XDP_FILES = ['c', 'o'];

export class XdpActions {
  constructor(private readonly context: vscode.ExtensionContext, private readonly devices: Devices,
    private readonly console: NetvscConsole, private readonly replays: ReplayRunner) {}

  /** The object file for a program: the .o itself, or the .c compiled with clang into extension storage. */
  async objectFor(source: vscode.Uri): Promise<string | undefined> {
    if (!source.fsPath.endsWith('.c')) return source.fsPath;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('NetVSC compiles XDP C with clang only in a trusted workspace. Trust the workspace, or use a prebuilt .o.');
      return undefined;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === source.toString());
    if (doc?.isDirty) await doc.save();
    const clang = vscode.workspace.getConfiguration('netvsc').get<string>('clangPath', 'clang');
    const dir = join(this.context.globalStorageUri.fsPath, 'xdp');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, basename(source.fsPath).replace(/\.c$/, '.o'));
    const { compileBpf } = await import('../core/ebpf/clang');
    let r;
    try { r = await compileBpf(source.fsPath, out, { clang }); } catch (e) {
      void vscode.window.showErrorMessage(`${(e as Error).message}. The examples folder has prebuilt .o files.`);
      return undefined;
    }
    await this.console.echo(`${clang} ${r.args.join(' ')}`, { stdout: '', stderr: r.stderr, exit: r.exitCode ?? 1 });
    if (!r.ok) {
      const first = r.diagnostics.find((d) => d.severity === 'error' || d.severity === 'fatal error');
      void vscode.window.showErrorMessage(first ? `clang: ${basename(first.file)}:${first.line}:${first.column}: ${first.message}` : `clang failed (exit ${r.exitCode})`);
      return undefined;
    }
    return out;
  }

  async attach(fileArg?: unknown, section?: unknown, device = 'eth0'): Promise<boolean> {
    const src = await fileOf(fileArg, XDP_FILES, 'XDP program (C or object)');
    if (!src) return false;
    const obj = await this.objectFor(src);
    if (!obj) return false;
    const sec = typeof section === 'string' && section ? ` sec ${section}` : '';
    const lab = await this.devices.lab();
    // Attaching over a program is a replace: iproute2 needs -force for it.
    const force = lab.device(device)?.xdp ? ' -force' : '';
    const line = `ip${force} link set dev ${device} xdp obj ${obj}${sec}`;
    const r = lab.run(line);
    await this.console.echo(line, r);
    if (r.exit !== 0) void vscode.window.showErrorMessage(r.stderr.trim());
    return r.exit === 0;
  }

  async runOnTrace(fileArg?: unknown, section?: unknown): Promise<boolean> {
    if (!(await this.attach(fileArg, section))) return false;
    return this.replays.pickAndRun();
  }

  async debug(fileArg?: unknown, section?: unknown): Promise<boolean> {
    const src = await fileOf(fileArg, XDP_FILES, 'XDP program (C or object)');
    if (!src) return false;
    const trace = (await vscode.window.showOpenDialog({
      title: 'Trace or scenario to debug the XDP program on', canSelectMany: false,
      filters: { 'Captures and scenarios': ['pcap', 'pcapng', 'cap', 'json', 'yaml', 'yml'] },
    }))?.[0];
    if (!trace) return false;
    const isScenario = /\.(json|ya?ml)$/i.test(trace.fsPath);
    return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(src), {
      type: 'netvsc', request: 'launch', name: `Debug ${basename(src.fsPath)}`, program: src.fsPath,
      ...(typeof section === 'string' && section ? { section } : {}),
      ...(isScenario ? { scenario: trace.fsPath } : { trace: trace.fsPath }), stopOnEntry: true,
    });
  }

  /** Copies the bundled examples to a folder the user picks and opens it with an XDP program. */
  async openExamples(): Promise<boolean> {
    const target = (await vscode.window.showOpenDialog({ title: 'Folder to copy the NetVSC examples into', canSelectFolders: true, canSelectFiles: false, openLabel: 'Copy Examples Here' }))?.[0];
    if (!target) return false;
    const dest = vscode.Uri.joinPath(target, 'netvsc-examples');
    await vscode.workspace.fs.copy(vscode.Uri.joinPath(this.context.extensionUri, 'examples'), dest, { overwrite: false });
    await vscode.window.showTextDocument(vscode.Uri.joinPath(dest, 'xdp', 'xdp_drop_udp.c'));
    if (!vscode.workspace.workspaceFolders?.length) await vscode.commands.executeCommand('vscode.openFolder', dest, { forceNewWindow: false });
    return true;
  }

  /** "Run on eth0" for an .ethtool script: each line through the lab, echoed in the console. */
  async runScript(fileArg?: unknown): Promise<number> {
    const uri = await fileOf(fileArg, ['ethtool'], 'ethtool script');
    if (!uri) return -1;
    const doc = await vscode.workspace.openTextDocument(uri);
    const lab = await this.devices.lab();
    let failed = 0;
    for (const raw of doc.getText().split(/\r?\n/)) {
      const line = raw.replace(/#.*$/, '').trim();
      if (!line) continue;
      const r = lab.run(line);
      await this.console.echo(line, r);
      if (r.exit !== 0) failed++;
    }
    if (failed) void vscode.window.showWarningMessage(`${basename(uri.fsPath)}: ${failed} command(s) failed on the emulated device (see the NetVSC console).`);
    return failed;
  }
}
