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
/** Which earlier packet RSC or GRO merged a packet into (0-based), for a pcapng comment. */
export interface MergedInto { head: number; by: 'RSC' | 'GRO' }

/** The comment naming the packet a segment was merged into, with Wireshark's 1-based frame number. */
export function mergedComment(m: MergedInto): string { return `merged into frame ${m.head + 1} by ${m.by}`; }

/** Reads `mergedComment`'s text back (0-based head), or undefined. */
export function parseMergedComment(c: string): MergedInto | undefined {
  const m = /^merged into frame (\d+) by (RSC|GRO)$/.exec(c);
  return m ? { head: Number(m[1]) - 1, by: m[2] as 'RSC' | 'GRO' } : undefined;
}

export function traceToPcapng(trace: PacketTrace, pkts: TracedPackets, ifname = 'eth0', mergedInto?: (i: number) => MergedInto | undefined): Uint8Array {
  const w = new PcapngWriter();
  const parts: Uint8Array[] = [w.shb('netvsc-lab'), w.idb({ linkType: 1, name: ifname })];
  let n = parts[0].length + parts[1].length;
  for (let i = 0; i < trace.count; i++) {
    const t = pkts.time(i);
    const sec = Math.floor(t / 1e9);
    // epb_flags direction bits: 01 inbound, 10 outbound.
    const merged = mergedInto?.(i);
    const comments = merged ? [...trace.comments(i), mergedComment(merged)] : trace.comments(i);
    const b = w.epb({ iface: 0, tsSec: sec, tsNsec: Math.round(t - sec * 1e9), data: pkts.bytes(i), comments, flags: pkts.isTx(i) ? 2 : 1 });
    parts.push(b);
    n += b.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}
