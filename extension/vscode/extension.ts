// Activation: only wiring, and as little of it as possible before the first use. Heavy modules
// (the device model, the eBPF engine) load when a view or command first needs them.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { NetvscConsole } from './console';
import { DeviceTreeProvider } from './deviceTree';
import { Devices } from './devices';
import { ReplayRunner } from './replay';
import { DeviceStatusBar } from './statusBar';
import { XdpActions } from './xdp';
import { onDidChangeDebugDevice, registerDebugger } from './debug/index';
import { openLiveReplay, registerTraceViewer } from './traceEditor/index';

export interface NetvscLabApi {
  /** How long activate() took, in milliseconds (measured inside it). */
  activationMs: number;
  devices: Devices;
}

export function activate(context: vscode.ExtensionContext): NetvscLabApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('NetVSC', { log: true });
  const devices = new Devices(log);
  const tree = new DeviceTreeProvider(devices);
  const console = new NetvscConsole(devices);
  const view = vscode.window.createTreeView('netvsc.devices', { treeDataProvider: tree, showCollapseAll: true });
  const replays = new ReplayRunner(devices, log);
  // Every replay gets a trace panel that follows it live.
  // Every replay gets a trace panel that follows it live; netvsc.trace.retention bounds how many
  // replay traces stay in memory (the oldest panel closes, releasing its trace).
  const livePanels: vscode.WebviewPanel[] = [];
  replays.onDidStart(({ job, uri, device, links }) => {
    const panel = openLiveReplay(context, job, `Replay ${vscode.workspace.asRelativePath(uri)} on ${device}`, links);
    livePanels.push(panel);
    panel.onDidDispose(() => livePanels.splice(livePanels.indexOf(panel), 1));
    const keep = Math.max(1, vscode.workspace.getConfiguration('netvsc.trace').get<number>('retention', 4));
    while (livePanels.length > keep) livePanels[0].dispose();
  });
  registerTraceViewer(context);
  registerDebugger(context);
  // The device tree follows each debug session's device (read-only) from its first stop to its end.
  context.subscriptions.push(onDidChangeDebugDevice(({ name, device }) => {
    void devices.lab().then((lab) => (device ? lab.follow(name, device) : lab.unfollow(name)));
  }));
  // The language clients (a large module) load on first use; the servers start when a file needs them.
  void import('./lsp/index').then(({ startLanguageClients }) => context.subscriptions.push(...startLanguageClients(context)));
  const xdp = new XdpActions(context, devices, console, replays);
  const status = new DeviceStatusBar(devices);
  status.start();
  context.subscriptions.push(log, devices, tree, view, console, replays, status, ...registerCommands({ devices, tree, console, replays, xdp }));
  const activationMs = performance.now() - t0;
  log.info(`NetVSC Lab activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, devices };
}

export function deactivate(): void {}
