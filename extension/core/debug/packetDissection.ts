/**
 * The debugger's view of a packet through the packet layer: the same dissector (`dissectFrame`),
 * field registry and display-filter compiler as the trace viewer and the CLI, so a field name or
 * a filter means the same thing in a breakpoint condition, in WATCH and in the viewer.
 *
 * API
 *   class PacketDissector(timeNs?)      one session's conversation state (tcp.stream, relative
 *       sequence numbers) and frame metadata; dissect(frame, index, d) fills the Dissection `d`
 *   isPacketCondition(text) -> boolean  a display filter (its first name is a registered field and
 *       it compiles), not a C-like register expression
 *   fieldIndex(d, abbrev) -> item index | -1   first occurrence of a field (hidden ones included)
 *   fieldTypeName(def) -> string       Wireshark's type name without FT_ (`uint16`, `ipv4`), for VARIABLES
 *   packetSummary(d) -> string          `10.0.0.1 → 10.0.0.2 UDP 40000 → 53` for the thread name
 */
import { DissectContext, dissectFrame, type FrameInfo } from '../packet/dissect';
import { fieldText, type Dissection } from '../packet/dissection';
import { F, FT, fieldByAbbrev, type FieldDef } from '../packet/fields';
import { compileFilter } from '../packet/filter';

export class PacketDissector {
  private readonly ctx = new DissectContext();
  private readonly info: FrameInfo = {
    number: 0, hasTime: false, tsSec: 0, tsNsec: 0, relSec: 0, relNsec: 0, deltaSec: 0, deltaNsec: 0,
    capLen: 0, origLen: 0, iface: -1, linkType: 1,
  };

  /** `timeNs(i)`: the packet's arrival time (frame.time* fields); without it the frames carry no time. */
  constructor(private readonly timeNs?: (i: number) => number) {}

  /** Dissects `frame`, packet `index` (0-based) of the trace, into `d`. */
  dissect(frame: Uint8Array, index: number, d: Dissection): Dissection {
    const info = this.info;
    info.number = index + 1;
    info.capLen = info.origLen = frame.length;
    const t = this.timeNs;
    if (t) {
      const now = t(index);
      info.hasTime = true;
      info.tsSec = Math.floor(now / 1e9); info.tsNsec = now - info.tsSec * 1e9;
      split(now - t(0)); info.relSec = SPLIT[0]; info.relNsec = SPLIT[1];
      split(index > 0 ? now - t(index - 1) : 0); info.deltaSec = SPLIT[0]; info.deltaNsec = SPLIT[1];
    }
    return dissectFrame(frame, info, this.ctx, d);
  }
}

const SPLIT = new Float64Array(2);
/** Nanoseconds as seconds + nanoseconds with the same sign (FrameInfo's convention). */
function split(ns: number): void {
  const s = Math.trunc(ns / 1e9);
  SPLIT[0] = s; SPLIT[1] = ns - s * 1e9;
}

const LOGIC_WORDS = new Set(['not', 'and', 'or']);

/**
 * True when `text` is a display filter rather than a C-like expression over registers: its first
 * name (after `not`) is a field of the registry and the whole text compiles. A mixed condition
 * (`ip.proto == 17 && r0 > 1`) does not compile as a filter and goes to the evaluator, which
 * knows both registers and packet fields.
 */
export function isPacketCondition(text: string): boolean {
  for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_.-]*/g)) {
    if (LOGIC_WORDS.has(m[0])) continue;
    if (!fieldByAbbrev(m[0])) return false;
    try { compileFilter(text); return true; } catch { return false; }
  }
  return false;
}

/** First occurrence of field `abbrev` in `d` (hidden items such as ip.addr included), or -1. */
export function fieldIndex(d: Dissection, abbrev: string): number {
  const id = F[abbrev];
  return id === undefined ? -1 : d.first(id);
}

/** One-line summary for the thread name and the console: `10.0.0.1 → 10.0.0.2 UDP 40000 → 53`. */
export function packetSummary(d: Dissection): string {
  const f = (abbrev: string): string | undefined => { const j = fieldIndex(d, abbrev); return j < 0 ? undefined : fieldText(d, j); };
  const src = f('ip.src') ?? f('ipv6.src') ?? f('eth.src') ?? '?';
  const dst = f('ip.dst') ?? f('ipv6.dst') ?? f('eth.dst') ?? '?';
  if (f('udp.srcport')) return `${src} → ${dst} UDP ${f('udp.srcport')} → ${f('udp.dstport')}`;
  if (f('tcp.srcport')) return `${src} → ${dst} TCP ${f('tcp.srcport')} → ${f('tcp.dstport')}`;
  if (f('icmp.type')) return `${src} → ${dst} ICMP type ${f('icmp.type')}`;
  if (f('icmpv6.type')) return `${src} → ${dst} ICMPv6 type ${f('icmpv6.type')}`;
  if (f('arp.opcode')) return `ARP ${f('arp.opcode') === '1' ? 'who-has' : 'reply'} ${f('arp.dst.proto_ipv4')}`;
  return `${src} → ${dst} ${f('eth.type') ?? ''}`.trim();
}

const TYPE_NAMES: Record<number, string> = {
  [FT.NONE]: 'none', [FT.PROTOCOL]: 'protocol', [FT.BOOLEAN]: 'boolean', [FT.UINT8]: 'uint8', [FT.UINT16]: 'uint16',
  [FT.UINT24]: 'uint24', [FT.UINT32]: 'uint32', [FT.INT16]: 'int16', [FT.INT32]: 'int32', [FT.ETHER]: 'ether',
  [FT.IPv4]: 'ipv4', [FT.IPv6]: 'ipv6', [FT.BYTES]: 'bytes', [FT.STRING]: 'string', [FT.RELATIVE_TIME]: 'relative_time',
  [FT.FRAMENUM]: 'framenum',
};

/** Wireshark's type name of a field without the FT_ prefix (`uint16`, `ipv4`). */
export function fieldTypeName(def: FieldDef): string {
  return TYPE_NAMES[def.type] ?? 'field';
}
