// The status bar item: the device's packet rate, whether XDP is attached and which data path
// carries traffic; a click opens the device tree.
import * as vscode from 'vscode';
import type { Devices } from './devices';
import type { Lab } from '../core/lab/lab';
import { PER_QUEUE, Q_RX_PACKETS, Q_TX_PACKETS } from '../core/netvsc/stats';

export class DeviceStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('netvsc.status', vscode.StatusBarAlignment.Left, 10);
  private timer: NodeJS.Timeout | undefined;
  private lastPackets = 0;
  private lastTime = 0;

  constructor(private readonly devices: Devices, private readonly device = 'eth0') {
    this.item.name = 'NetVSC device';
    this.item.command = 'netvsc.devices.focus';
  }

  /** Shows the item once the lab exists: the status bar never loads the engine by itself. */
  start(): void {
    this.devices.onLoaded((lab) => this.follow(lab));
  }

  private follow(lab: Lab): void {
    const update = () => {
      const d = lab.device(this.device) ?? lab.devices[0];
      if (!d) { this.item.hide(); return; }
      let packets = 0;
      for (let q = 0; q < d.numChn; q++) packets += d.stats.queues[q * PER_QUEUE + Q_RX_PACKETS] + d.stats.queues[q * PER_QUEUE + Q_TX_PACKETS];
      const now = performance.now();
      const rate = this.lastTime && packets >= this.lastPackets ? ((packets - this.lastPackets) * 1000) / (now - this.lastTime) : 0;
      this.lastPackets = packets; this.lastTime = now;
      const xdp = d.xdp ? ` $(zap) ${d.xdp.name}` : '';
      const path = d.vf ? ` · ${d.dataPathIsVf ? 'VF' : 'synthetic'}` : '';
      this.item.text = `$(circuit-board) ${d.ifname} ${formatRate(rate)}${xdp}${path}`;
      this.item.tooltip = `${d.ifname} (${d.host.name}, ${d.numChn} channels): ${packets.toLocaleString('en-US')} packets` +
        `${d.xdp ? `, XDP ${d.xdp.name} attached` : ', no XDP'}${d.vf ? `, data path ${d.dataPathIsVf ? 'VF' : 'synthetic'}` : ''}`;
      this.item.show();
    };
    update();
    this.timer = setInterval(update, 1000);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.item.dispose();
  }
}

function formatRate(pps: number): string {
  if (pps >= 1e6) return `${(pps / 1e6).toFixed(1)} Mpps`;
  if (pps >= 1e3) return `${(pps / 1e3).toFixed(1)} kpps`;
  return `${Math.round(pps)} pps`;
}
