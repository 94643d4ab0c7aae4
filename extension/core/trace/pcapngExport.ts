// A trace as pcapng: every packet's bytes with its per-stage decisions as the packet comment
// (Wireshark shows it as pkt_comment / frame.comment), one more comment per XDP printk line
// (`printk: LINE`), and its direction in epb_flags.
import { PcapngWriter } from '../packet/pcapng';
import type { PacketTrace } from './packetTrace';

export interface TracedPackets {
  /** Bytes of packet i (from the capture or the arena). */
  bytes(i: number): Uint8Array;
  /** Virtual time of packet i in ns. */
  time(i: number): number;
  isTx(i: number): boolean;
}

/** The whole file in memory (the CLI writes it atomically). */
export function traceToPcapng(trace: PacketTrace, pkts: TracedPackets, ifname = 'eth0'): Uint8Array {
  const w = new PcapngWriter();
  const parts: Uint8Array[] = [w.shb('netvsc-lab'), w.idb({ linkType: 1, name: ifname })];
  let n = parts[0].length + parts[1].length;
  for (let i = 0; i < trace.count; i++) {
    const t = pkts.time(i);
    const sec = Math.floor(t / 1e9);
    // epb_flags direction bits: 01 inbound, 10 outbound.
    const b = w.epb({ iface: 0, tsSec: sec, tsNsec: Math.round(t - sec * 1e9), data: pkts.bytes(i), comments: trace.comments(i), flags: pkts.isTx(i) ? 2 : 1 });
    parts.push(b);
    n += b.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}
