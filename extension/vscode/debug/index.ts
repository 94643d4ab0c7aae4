// Wiring of the `netvsc` debugger into VS Code: the inline adapter (the session runs in the
// extension host, next to the device model), the configuration provider (F5 on an XDP file,
// a dynamic "Debug this XDP program on a trace" entry) and the commands that start sessions
// ("Step Through This Packet" from the trace viewer). `activate()` calls registerDebugger(context).
import * as vscode from 'vscode';
import type { NetvscDevice } from '../../core/netvsc/device';
import { hoverExpressionAt } from '../../core/debug/expression';
import { NetvscDebugSession, POSITION_EVENT } from './session';

export const DEBUG_TYPE = 'netvsc';

const TRACE_FILTERS = { 'Packet traces': ['pcap', 'pcapng', 'cap'] };

async function pickTrace(): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles('**/*.{pcap,pcapng}', '**/node_modules/**', 50);
  if (found.length) {
    const pick = await vscode.window.showQuickPick(
      [...found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { label: 'Browse…', uri: undefined }],
      { title: 'Trace to run the XDP program on' },
    );
    if (!pick) return undefined;
    if (pick.uri) return pick.uri.fsPath;
  }
  const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: TRACE_FILTERS, title: 'Trace to run the XDP program on' });
  return uris?.[0]?.fsPath;
}

function isXdpSource(doc: vscode.TextDocument | undefined): doc is vscode.TextDocument {
  return !!doc && (doc.languageId === 'c' || doc.fileName.endsWith('.c')) && /SEC\(\s*"xdp/.test(doc.getText());
}

class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  /** F5 without launch.json: debug the XDP file in the editor on a trace the user picks. */
  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    if (!config.type && !config.request && !config.name) {
      const doc = vscode.window.activeTextEditor?.document;
      if (!isXdpSource(doc)) {
        await vscode.window.showInformationMessage('Open an XDP program (a C file with SEC("xdp")) or add a "netvsc" configuration to launch.json.');
        return undefined;
      }
      config = { type: DEBUG_TYPE, request: 'launch', name: 'Debug XDP program', program: doc.fileName, stopOnEntry: true };
    }
    if (!config.program) {
      const doc = vscode.window.activeTextEditor?.document;
      if (isXdpSource(doc)) config.program = doc.fileName;
    }
    if (!config.trace && !config.scenario) {
      const t = await pickTrace();
      if (!t) return undefined;
      config.trace = t;
    }
    config.cwd ??= folder?.uri.fsPath;
    return config;
  }

  /** "Debug this XDP program on a trace" for each open XDP file (the Run and Debug dropdown). */
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return vscode.workspace.textDocuments.filter(isXdpSource).map((d) => ({
      type: DEBUG_TYPE, request: 'launch', name: `Debug ${vscode.workspace.asRelativePath(d.uri)} on a trace`, program: d.fileName, stopOnEntry: true,
    }));
  }
}

/** Arguments of `netvsc.debug.stepThroughPacket` (the trace viewer passes these). */
export interface StepThroughPacketArgs { trace: string; packet: number; program?: string; section?: string; host?: string }

/** Command a trace viewer registers to follow the session: (args: { trace, packet }) reveals that packet's row. */
export const REVEAL_PACKET_COMMAND = 'netvsc.trace.revealPacket';

/** A debug session's device, for the device tree to follow (undefined device: the session ended). */
export interface DebugDeviceEvent { name: string; device: (() => NetvscDevice | undefined) | undefined }
const debugDevices = new vscode.EventEmitter<DebugDeviceEvent>();
export const onDidChangeDebugDevice = debugDevices.event;

export function registerDebugger(context: vscode.ExtensionContext): void {
  const provider = new ConfigurationProvider();
  // Inline sessions by VS Code's session id: their devices are shown in the tree while they run.
  const inline = new Map<string, { session: NetvscDebugSession; name: string }>();
  let serial = 0;
  context.subscriptions.push(
    vscode.debug.onDidReceiveDebugSessionCustomEvent(async (e) => {
      if (e.session.type !== DEBUG_TYPE || e.event !== POSITION_EVENT) return;
      const own = inline.get(e.session.id);
      if (own) debugDevices.fire({ name: own.name, device: () => own.session.device });
      const body = e.body as { packet: number; trace?: string };
      if ((await vscode.commands.getCommands(true)).includes(REVEAL_PACKET_COMMAND)) {
        await vscode.commands.executeCommand(REVEAL_PACKET_COMMAND, { trace: body.trace, packet: body.packet });
      }
    }),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: (session) => {
        const own = new NetvscDebugSession();
        serial++;
        inline.set(session.id, { session: own, name: serial === 1 ? 'debug' : `debug${serial}` });
        return new vscode.DebugAdapterInlineImplementation(own);
      },
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      const own = inline.get(s.id);
      if (!own) return;
      inline.delete(s.id);
      debugDevices.fire({ name: own.name, device: undefined });
    }),
    debugDevices,
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    // Hovers in C while a netvsc session runs: `ip->protocol` whole, not just the word under the mouse.
    vscode.languages.registerEvaluatableExpressionProvider({ language: 'c' }, {
      provideEvaluatableExpression: (doc, pos) => {
        if (vscode.debug.activeDebugSession?.type !== DEBUG_TYPE) return undefined;
        const r = hoverExpressionAt(doc.lineAt(pos.line).text, pos.character);
        return r && new vscode.EvaluatableExpression(new vscode.Range(pos.line, r.start, pos.line, r.end));
      },
    }),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, { provideDebugConfigurations: () => provider.provideDebugConfigurations() }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.commands.registerCommand('netvsc.debug.debugXdpFile', async (uri?: vscode.Uri) => {
      const program = uri?.fsPath ?? vscode.window.activeTextEditor?.document.fileName;
      if (!program) return;
      await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(vscode.Uri.file(program)), {
        type: DEBUG_TYPE, request: 'launch', name: 'Debug XDP program', program, stopOnEntry: true,
      });
    }),
    vscode.commands.registerCommand('netvsc.debug.stepThroughPacket', async (args?: StepThroughPacketArgs) => {
      if (!args?.trace || !args.packet) return;
      let program = args.program;
      if (!program) {
        const doc = vscode.window.visibleTextEditors.map((e) => e.document).find(isXdpSource);
        program = doc?.fileName ?? (await vscode.window.showOpenDialog({ filters: { 'XDP program': ['c', 'o'] }, title: 'XDP program to step through' }))?.[0]?.fsPath;
      }
      if (!program) return;
      await vscode.debug.startDebugging(undefined, {
        type: DEBUG_TYPE, request: 'launch', name: `Packet ${args.packet}`, program, section: args.section, host: args.host,
        trace: args.trace, stopAtPacket: args.packet,
      });
    }),
  );
}
