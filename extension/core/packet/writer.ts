/**
 * Writes packets as pcap or pcapng through a chunk callback (a file sink in Node, an array in
 * tests or the browser).
 *
 * API
 *   writeCapture(packets, { format, linkType?, interfaces? }, write)
 *     packets: iterable of { tsSec, tsNsec, data, origLen?, iface?, comments?, direction? }
 *     format 'pcap': one link type, no comments (they cannot be stored: classic pcap has no options)
 *     format 'pcapng': one IDB per entry of `interfaces` (default one Ethernet interface); per-packet
 *       comments (opt_comment) and direction (epb_flags inbound/outbound)
 *   captureBytes(packets, opts) -> Uint8Array
 *   formatForPath(path) -> 'pcap' | 'pcapng'   by extension (.pcap / .cap -> pcap, else pcapng)
 */
import { PcapWriter } from './pcap';
import { PcapngWriter } from './pcapng';

export interface PacketToWrite {
  tsSec: number; tsNsec: number; data: Uint8Array; origLen?: number; iface?: number; comments?: string[];
  direction?: 'rx' | 'tx';
}
export interface InterfaceToWrite { linkType: number; name?: string; description?: string; snaplen?: number }
export interface WriteOptions { format: 'pcap' | 'pcapng'; linkType?: number; interfaces?: InterfaceToWrite[]; nanosecond?: boolean }

export function writeCapture(packets: Iterable<PacketToWrite>, opts: WriteOptions, write: (chunk: Uint8Array) => void): number {
  let n = 0;
  if (opts.format === 'pcap') {
    const w = new PcapWriter(opts.linkType ?? opts.interfaces?.[0]?.linkType ?? 1, { nanosecond: opts.nanosecond ?? true });
    write(w.header());
    for (const p of packets) { write(w.record(p.data, p.tsSec, p.tsNsec, p.origLen)); n++; }
    return n;
  }
  const w = new PcapngWriter();
  write(w.shb());
  const ifs = opts.interfaces ?? [{ linkType: opts.linkType ?? 1 }];
  for (const i of ifs) write(w.idb({ ...i, nanosecond: opts.nanosecond ?? true }));
  for (const p of packets) {
    // epb_flags bits 0-1: 01 inbound, 10 outbound.
    const flags = p.direction === 'rx' ? 1 : p.direction === 'tx' ? 2 : undefined;
    write(w.epb({ iface: p.iface ?? 0, tsSec: p.tsSec, tsNsec: p.tsNsec, data: p.data, origLen: p.origLen, comments: p.comments, flags }));
    n++;
  }
  return n;
}

export function captureBytes(packets: Iterable<PacketToWrite>, opts: WriteOptions): Uint8Array {
  const parts: Uint8Array[] = [];
  writeCapture(packets, opts, (c) => parts.push(c));
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function formatForPath(path: string): 'pcap' | 'pcapng' {
  return /\.(pcap|cap)$/i.test(path) ? 'pcap' : 'pcapng';
}
