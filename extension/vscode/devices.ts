// Owns the lab of emulated devices for this window. The engine loads on first use (the first
// time the view is shown or a command runs), not at activation.
import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import type { Lab } from '../core/lab/lab';
import type { HostProfileName } from '../core/netvsc/hostProfile';

export class Devices implements vscode.Disposable {
  private labPromise: Promise<Lab> | undefined;
  private readonly offs: (() => void)[] = [];

  private loadedCallbacks: ((lab: Lab) => void)[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Calls `fn` once the lab exists (right away when it already does); never creates it. */
  onLoaded(fn: (lab: Lab) => void): void {
    if (this.labPromise) void this.labPromise.then(fn); else this.loadedCallbacks.push(fn);
  }

  lab(): Promise<Lab> {
    if (!this.labPromise) {
      this.labPromise = this.createLab();
      const callbacks = this.loadedCallbacks;
      this.loadedCallbacks = [];
      for (const fn of callbacks) void this.labPromise.then(fn);
    }
    return this.labPromise;
  }

  private createLab(): Promise<Lab> {
    return Promise.all([import('../core/lab/lab'), import('../core/netvsc/xdpRunner')]).then(([{ Lab }, { loadXdpProgram }]) => {
      // `ip link set … xdp obj F`: the object is read here; its code runs through the JIT.
      const lab = new Lab({ loadXdp: (path, section) => loadXdpProgram(readFileSync(path), { objectPath: path, section, engine: 'jit' }) });
      this.offs.push(lab.events.on('log', (e) => {
        if (e.level === 'info') this.log.info(e.line); else if (e.level === 'warn') this.log.warn(e.line); else this.log.error(e.line);
      }));
      const cfg = vscode.workspace.getConfiguration('netvsc.device');
      const eth0 = lab.addDevice({ host: cfg.get<HostProfileName>('hostProfile', 'azure'), cpus: cfg.get<number>('cpus', 8) });
      // MTU and channels are set the way a person would on the VM, so the driver's rules apply.
      const mtu = cfg.get<number>('mtu', 1500);
      const channels = cfg.get<number>('channels', 0);
      for (const line of [mtu !== 1500 ? `ip link set dev ${eth0.ifname} mtu ${mtu}` : '', channels > 0 ? `ethtool -L ${eth0.ifname} combined ${channels}` : '']) {
        if (!line) continue;
        const r = lab.run(line);
        if (r.exit !== 0 || r.stderr) this.log.warn(`settings: ${line}: ${r.stderr.trim()}`);
      }
      return lab;
    });
  }

  dispose(): void {
    for (const off of this.offs) off();
  }
}
