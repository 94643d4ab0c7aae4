// "NetVSC: Replay Trace…": sends a capture or a scenario through a device in the extension host,
// in slices that yield (core's ReplayJob), with a cancellable progress notification. The tree's
// counters and the status bar follow the device's events while it runs.
import * as vscode from 'vscode';
import type { ReplayJob } from '../core/lab/replayJob';
import type { MergeLinks } from '../core/traceview/mergeLinks';
import type { Devices } from './devices';

export interface ReplayRun { job: ReplayJob; uri: vscode.Uri; device: string; links: MergeLinks }

export class ReplayRunner implements vscode.Disposable {
  private readonly started = new vscode.EventEmitter<ReplayRun>();
  /** Fires when a replay starts (the trace panel follows it). */
  readonly onDidStart = this.started.event;

  constructor(private readonly devices: Devices, private readonly log: vscode.LogOutputChannel) {}

  /** Replays `uri` (or a file the user picks) on `device`, from packet `from` (1-based) on. */
  async pickAndRun(uri?: vscode.Uri, device = 'eth0', from = 1): Promise<boolean> {
    uri ??= (await vscode.window.showOpenDialog({
      title: 'Replay a capture or scenario through the device', canSelectMany: false,
      filters: { 'Captures and scenarios': ['pcap', 'pcapng', 'cap', 'json', 'yaml', 'yml'] },
    }))?.[0];
    if (!uri) return false;
    const [{ openPacketSource }, { ReplayJob }, { Replayer }, { MergeLinks }, lab] = await Promise.all([
      import('../core/lab/packetSource'), import('../core/lab/replayJob'), import('../core/netvsc/replay'),
      import('../core/traceview/mergeLinks'), this.devices.lab()]);
    const dev = lab.device(device);
    if (!dev) { void vscode.window.showErrorMessage(`No device ${device}`); return false; }
    let opened;
    try { opened = openPacketSource(uri.fsPath, dev.mac); } catch (e) {
      void vscode.window.showErrorMessage(`Replay: ${(e as Error).message}`);
      return false;
    }
    // MergeLinks listens beside the trace so the viewer can link RSC/GRO-merged segments to their head.
    const links = new MergeLinks();
    const replayer = new Replayer(dev, opened.source, { sink: links, redirectDevices: lab.redirectTargets(dev) });
    if (from > opened.source.count) { void vscode.window.showErrorMessage(`Replay: ${uri.fsPath} has ${opened.source.count} packets, not ${from}`); opened.close(); return false; }
    replayer.position = Math.max(0, from - 1);
    const job = new ReplayJob(replayer);
    this.started.fire({ job, uri, device, links });
    const name = vscode.workspace.asRelativePath(uri);
    const result = await vscode.window.withProgress({
      location: vscode.ProgressLocation.Notification, title: `Replaying ${name}${from > 1 ? ` from packet ${from}` : ''} on ${device}`, cancellable: true,
    }, async (progress, token) => {
      token.onCancellationRequested(() => job.cancel());
      let last = 0;
      job.events.on('progress', (p) => {
        progress.report({ increment: ((p.done - last) / Math.max(1, p.total)) * 100, message: `${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} packets` });
        last = p.done;
      });
      return job.run();
    });
    opened.close();
    const s = replayer.trace?.summary();
    this.log.info(`replay of ${name} on ${device}: ${replayer.position} of ${opened.source.count} packets in ${result.ms.toFixed(0)} ms${result.cancelled ? ' (cancelled)' : ''}${s ? `, ${JSON.stringify(s)}` : ''}`);
    return !result.cancelled;
  }

  dispose(): void { this.started.dispose(); }
}
