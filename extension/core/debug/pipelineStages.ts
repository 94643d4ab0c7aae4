/**
 * The receive path as the debugger steps it: one stop per stage, in the order a frame takes
 * through the host and hv_netvsc, with the decision each stage made. The stages before XDP are
 * decided from the packet and the device's configuration (RSS: Toeplitz over the fields the host
 * hashes, then the indirection table); the ones after depend on the XDP verdict.
 *
 * Function breakpoints name stages by these ids (`rss`, `xdp`, `gro`, `drop`, ...).
 */
import type { NetvscDevice } from '../netvsc/device';
import { HV_TCP4_L4HASH, HV_TCP6_L4HASH, HV_UDP4_L4HASH, HV_UDP6_L4HASH } from '../netvsc/constants';

export type StageId = 'rsc' | 'rss' | 'recvbuf' | 'receive' | 'xdp' | 'gro' | 'deliver' | 'drop' | 'tx' | 'redirect';

export const STAGE_NAMES: Record<StageId, string> = {
  rsc: 'host RSC', rss: 'RSS', recvbuf: 'receive buffer', receive: 'netvsc receive', xdp: 'XDP program',
  gro: 'GRO', deliver: 'delivered', drop: 'dropped', tx: 'XDP_TX', redirect: 'XDP_REDIRECT',
};

/** Accepted function-breakpoint names (aliases included). */
export const STAGE_ALIASES: Record<string, StageId> = {
  rsc: 'rsc', lro: 'rsc', rss: 'rss', recvbuf: 'recvbuf', 'receive-buffer': 'recvbuf', receive: 'receive', netvsc_receive: 'receive',
  xdp: 'xdp', gro: 'gro', deliver: 'deliver', delivered: 'deliver', drop: 'drop', dropped: 'drop', tx: 'tx', xdp_tx: 'tx',
  redirect: 'redirect', xdp_redirect: 'redirect',
};

export interface StageStop { id: StageId; decision: string }

/** RSS result for a frame: the hash the host computed and the channel it picked. */
export interface RssResult { hash: number; queue: number; hashed: string }

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

/** Hashes a frame as the vSwitch does for netvsc: 2-tuple, or 4-tuple for flow types in l4Hash. */
export function rssOf(dev: NetvscDevice, frame: Uint8Array, scratch: Uint8Array): RssResult {
  if (dev.numChn <= 1 || dev.rxTableSz === 0) return { hash: 0, queue: 0, hashed: 'one channel: no RSS' };
  let off = 14;
  if (frame.length < 14) return { hash: 0, queue: 0, hashed: 'runt frame' };
  let type = u16(frame, 12);
  while ((type === 0x8100 || type === 0x88a8) && off + 4 <= frame.length) { type = u16(frame, off + 2); off += 4; }
  let n: number, proto: number, l4: number, l4bit: number, what: string;
  if (type === 0x0800 && off + 20 <= frame.length) {
    scratch.set(frame.subarray(off + 12, off + 20), 0); n = 8;
    proto = frame[off + 9]; l4 = off + (frame[off] & 15) * 4;
    l4bit = proto === 6 ? HV_TCP4_L4HASH : proto === 17 ? HV_UDP4_L4HASH : 0;
    if ((u16(frame, off + 6) & 0x3fff) !== 0) l4bit = 0; // fragments hash on addresses only
    what = 'IPv4';
  } else if (type === 0x86dd && off + 40 <= frame.length) {
    scratch.set(frame.subarray(off + 8, off + 40), 0); n = 32;
    proto = frame[off + 6]; l4 = off + 40;
    l4bit = proto === 6 ? HV_TCP6_L4HASH : proto === 17 ? HV_UDP6_L4HASH : 0;
    what = 'IPv6';
  } else {
    return { hash: 0, queue: 0, hashed: 'not IP: channel 0' };
  }
  if (l4bit && (dev.l4Hash & l4bit) && l4 + 4 <= frame.length) {
    scratch.set(frame.subarray(l4, l4 + 4), n); n += 4;
    what += proto === 6 ? ' TCP 4-tuple' : ' UDP 4-tuple';
  } else what += ' 2-tuple';
  const hash = dev.toeplitz.hash(scratch, 0, n);
  const queue = dev.rxTable[hash % dev.rxTableSz];
  return { hash, queue, hashed: what };
}

/** The stops before XDP for one frame. */
export function stagesBeforeXdp(dev: NetvscDevice, frame: Uint8Array, rss: RssResult): StageStop[] {
  const tcp = frame.length > 23 && u16(frame, 12) === 0x0800 && frame[23] === 6;
  return [
    { id: 'rsc', decision: dev.rscEnabled && tcp ? 'RSC on: single segment, not coalesced' : dev.rscEnabled ? 'RSC on: not TCP, passed through' : 'RSC off' },
    { id: 'rss', decision: rss.hashed.startsWith('one') || rss.hashed.startsWith('not') || rss.hashed.startsWith('runt') ? rss.hashed : `${rss.hashed} hash 0x${rss.hash.toString(16).padStart(8, '0')} -> indirection[${rss.hash % dev.rxTableSz}] = channel ${rss.queue}` },
    { id: 'recvbuf', decision: `copied into a ${dev.recvSectionSize}-byte receive section of channel ${rss.queue}` },
    { id: 'receive', decision: `netvsc_receive on channel ${rss.queue} (NAPI of queue ${rss.queue})` },
    { id: 'xdp', decision: 'about to run the XDP program' },
  ];
}

/** The stops after XDP for a verdict. */
export function stagesAfterXdp(action: number, queue: number, fault: string | undefined): StageStop[] {
  switch (action) {
    case 2: return [
      { id: 'gro', decision: `napi_gro_receive on channel ${queue}: no flow to merge with` },
      { id: 'deliver', decision: `delivered to the stack from rx queue ${queue}` },
    ];
    case 1: return [{ id: 'drop', decision: 'XDP_DROP: page recycled, rx_xdp_drop counted' }];
    case 3: return [{ id: 'tx', decision: `XDP_TX: sent back out on channel ${queue}` }];
    case 4: return [{ id: 'redirect', decision: 'XDP_REDIRECT: handed to xdp_do_redirect' }];
    default: return [{ id: 'drop', decision: fault ? `XDP_ABORTED (program fault: ${fault}): trace_xdp_exception, dropped` : 'XDP_ABORTED: trace_xdp_exception, dropped' }];
  }
}
