// The counters ethtool -S shows (netvsc_drv.c netvsc_stats[], vf_stats[], per-queue and
// pcpu_stats[]), kept in typed arrays so the pipeline bumps them without allocating.

/** struct netvsc_ethtool_stats, in order. */
export const GLOBAL_STAT_NAMES = ['tx_scattered', 'tx_no_memory', 'tx_no_space', 'tx_too_big', 'tx_busy',
  'tx_send_full', 'rx_comp_busy', 'rx_no_memory', 'stop_queue', 'wake_queue', 'vlan_error'] as const;
export type GlobalStat = typeof GLOBAL_STAT_NAMES[number];
export const G = Object.fromEntries(GLOBAL_STAT_NAMES.map((n, i) => [n, i])) as Record<GlobalStat, number>;

export const VF_STAT_NAMES = ['vf_rx_packets', 'vf_rx_bytes', 'vf_tx_packets', 'vf_tx_bytes', 'vf_tx_dropped'] as const;
/** Per-CPU VF counters (struct netvsc_vf_pcpu_stats), index = cpu * VF_PCPU + field. */
export const VF_RX_PACKETS = 0, VF_RX_BYTES = 1, VF_TX_PACKETS = 2, VF_TX_BYTES = 3, VF_TX_DROPPED = 4;
export const VF_PCPU = 5;

/** Per channel fields, in ethtool order: index = chn * PER_QUEUE + field. */
export const Q_TX_PACKETS = 0, Q_TX_BYTES = 1, Q_TX_XDP_XMIT = 2, Q_RX_PACKETS = 3, Q_RX_BYTES = 4,
  Q_RX_XDP_DROP = 5, Q_RX_XDP_REDIRECT = 6, Q_RX_XDP_TX = 7;
export const PER_QUEUE = 8;
const QUEUE_FIELD_NAMES = ['tx_queue_%_packets', 'tx_queue_%_bytes', 'tx_queue_%_xdp_xmit', 'rx_queue_%_packets',
  'rx_queue_%_bytes', 'rx_queue_%_xdp_drop', 'rx_queue_%_xdp_redirect', 'rx_queue_%_xdp_tx'];
const PCPU_FIELD_NAMES = ['cpu%_rx_packets', 'cpu%_rx_bytes', 'cpu%_tx_packets', 'cpu%_tx_bytes',
  'cpu%_vf_rx_packets', 'cpu%_vf_rx_bytes', 'cpu%_vf_tx_packets', 'cpu%_vf_tx_bytes'];

/** struct rtnl_link_stats64, the fields `ip -s link` prints that netvsc fills. */
export interface LinkStats64 {
  rxBytes: number; rxPackets: number; rxErrors: number; rxDropped: number; rxMissed: number; multicast: number;
  txBytes: number; txPackets: number; txErrors: number; txDropped: number;
}

export class NetvscStats {
  /** Global error counters: survive detach/attach. */
  readonly global = new Float64Array(GLOBAL_STAT_NAMES.length);
  /** Per-CPU VF counters: survive detach/attach. */
  vfPcpu: Float64Array;
  /** Per channel: live in struct netvsc_device, so every re-attach starts them at zero. */
  queues: Float64Array;
  /** Core tx_dropped (ip -s link): survives. */
  txDropped = 0;
  /**
   * Per channel: multicast + broadcast frames handed to the stack (skb->pkt_type from the
   * destination MAC), only visible as `ip -s link`'s mcast. Lives with the channel counters.
   */
  rxMulticast: Float64Array;
  /** Which kernel's ethtool -S layout to show. */
  layout: 'newest' | 'v5.8' = 'newest';

  constructor(readonly cpus: number, numChn: number) {
    this.vfPcpu = new Float64Array(cpus * VF_PCPU);
    this.queues = new Float64Array(numChn * PER_QUEUE);
    this.rxMulticast = new Float64Array(numChn);
  }

  /** A new struct netvsc_device: per-channel counters back to zero. */
  resetChannels(numChn: number): void {
    this.queues = new Float64Array(numChn * PER_QUEUE);
    this.rxMulticast = new Float64Array(numChn);
  }

  /**
   * ndo_get_stats64 (netvsc_get_stats64), what `ip -s link` shows: the core counters, plus the
   * VF's totals (packets, bytes, tx_dropped), plus every channel's packets, bytes and
   * multicast+broadcast. Error columns the driver never sets stay 0.
   */
  stats64(): LinkStats64 {
    const s: LinkStats64 = { rxBytes: 0, rxPackets: 0, rxErrors: 0, rxDropped: 0, rxMissed: 0, multicast: 0, txBytes: 0, txPackets: 0, txErrors: 0, txDropped: this.txDropped };
    for (let c = 0; c < this.cpus; c++) {
      const b = c * VF_PCPU;
      s.rxPackets += this.vfPcpu[b + VF_RX_PACKETS]; s.rxBytes += this.vfPcpu[b + VF_RX_BYTES];
      s.txPackets += this.vfPcpu[b + VF_TX_PACKETS]; s.txBytes += this.vfPcpu[b + VF_TX_BYTES];
      s.txDropped += this.vfPcpu[b + VF_TX_DROPPED];
    }
    for (let q = 0; q < this.numChn; q++) {
      const b = q * PER_QUEUE;
      s.rxPackets += this.queues[b + Q_RX_PACKETS]; s.rxBytes += this.queues[b + Q_RX_BYTES];
      s.txPackets += this.queues[b + Q_TX_PACKETS]; s.txBytes += this.queues[b + Q_TX_BYTES];
      s.multicast += this.rxMulticast[q] ?? 0;
    }
    return s;
  }

  get numChn(): number { return this.queues.length / PER_QUEUE; }

  /** The channel's target CPU (VMBus assigns channels round-robin over the online CPUs). */
  targetCpu(chn: number): number { return chn % this.cpus; }

  /**
   * ethtool -S, in the driver's order (netvsc_get_strings + netvsc_get_ethtool_stats).
   * `layout` 'v5.8': kernels ≈5.6–5.8 (no vlan_error; 5 per queue: tx packets/bytes, rx packets/bytes/xdp_drop).
   */
  ethtoolStats(layout: 'newest' | 'v5.8' = this.layout): [string, number][] {
    const out: [string, number][] = [];
    const old = layout === 'v5.8';
    GLOBAL_STAT_NAMES.forEach((n, i) => { if (!(old && n === 'vlan_error')) out.push([n, this.global[i]]); });
    const vf = new Float64Array(VF_PCPU);
    for (let c = 0; c < this.cpus; c++) for (let f = 0; f < VF_PCPU; f++) vf[f] += this.vfPcpu[c * VF_PCPU + f];
    VF_STAT_NAMES.forEach((n, i) => out.push([n, vf[i]]));
    const nq = this.numChn;
    const fields = old ? [Q_TX_PACKETS, Q_TX_BYTES, Q_RX_PACKETS, Q_RX_BYTES, Q_RX_XDP_DROP] : [0, 1, 2, 3, 4, 5, 6, 7];
    for (let q = 0; q < nq; q++) {
      for (const f of fields) out.push([QUEUE_FIELD_NAMES[f].replace('%', String(q)), this.queues[q * PER_QUEUE + f]]);
    }
    for (let c = 0; c < this.cpus; c++) {
      const v = (f: number) => this.vfPcpu[c * VF_PCPU + f];
      // netvsc_get_pcpu_stats: VF traffic on that CPU plus the channels whose target_cpu is c.
      let rxp = v(VF_RX_PACKETS), rxb = v(VF_RX_BYTES), txp = v(VF_TX_PACKETS), txb = v(VF_TX_BYTES);
      for (let q = 0; q < nq; q++) {
        if (this.targetCpu(q) !== c) continue;
        rxp += this.queues[q * PER_QUEUE + Q_RX_PACKETS]; rxb += this.queues[q * PER_QUEUE + Q_RX_BYTES];
        txp += this.queues[q * PER_QUEUE + Q_TX_PACKETS]; txb += this.queues[q * PER_QUEUE + Q_TX_BYTES];
      }
      const vals = [rxp, rxb, txp, txb, v(VF_RX_PACKETS), v(VF_RX_BYTES), v(VF_TX_PACKETS), v(VF_TX_BYTES)];
      PCPU_FIELD_NAMES.forEach((n, i) => out.push([n.replace('%', String(c)), vals[i]]));
    }
    return out;
  }

  /** One named counter's value (for tests and the tree view). */
  get(name: string): number | undefined {
    return this.ethtoolStats().find(([n]) => n === name)?.[1];
  }

  toJSON(): { global: number[]; vfPcpu: number[]; queues: number[]; txDropped: number; rxMulticast: number[] } {
    return { global: [...this.global], vfPcpu: [...this.vfPcpu], queues: [...this.queues], txDropped: this.txDropped, rxMulticast: [...this.rxMulticast] };
  }

  static fromJSON(cpus: number, j: { global: number[]; vfPcpu: number[]; queues: number[]; txDropped: number; rxMulticast?: number[] }): NetvscStats {
    const s = new NetvscStats(cpus, j.queues.length / PER_QUEUE);
    s.global.set(j.global.slice(0, s.global.length));
    s.vfPcpu.set(j.vfPcpu.slice(0, s.vfPcpu.length));
    s.queues.set(j.queues);
    s.txDropped = j.txDropped;
    if (j.rxMulticast) s.rxMulticast.set(j.rxMulticast.slice(0, s.rxMulticast.length));
    return s;
  }
}
