/**
 * The viewer's display filters: the packet layer's compiler (`packet/filter.ts`, Wireshark's
 * language and semantics) evaluated over a million packets fast enough to type into. The compiled
 * filter reads fields through a `FieldAccessor`; for the header fields the flow dissector already
 * extracts (addresses, ports, lengths, flags…) a `FlowFieldAccessor` answers them from one
 * allocation-free header walk per packet. Any other field, or a packet the flow dissector cannot
 * vouch for (tunnels, ICMP errors that quote an inner IP header, truncated or malformed headers, a
 * VLAN when eth.type is asked), goes through the full dissection (`CaptureSession`); a filter on
 * other fields runs on the packet layer's column cache (`packet/columns.ts` FilterEngine). Either
 * way the result is the full dissector's answer. The device's fields (netvsc.*, xdp.*) come from the
 * trace records as the filter's PacketAnnotations.
 *
 * API
 *   class FlowFieldAccessor(store, flowIndex, annotations?, needsEthType?)   the fast path's accessor
 *   class CaptureFilterEngine(session, store, trace?, prepare?) implements DisplayFilterEngine
 *       `prepare` runs the session's capture-order pass once (default session.prepare())
 *   traceAnnotations(trace) -> PacketAnnotations
 *   FLOW_FIELDS                    field abbrevs the fast path answers
 */
import { F, FIELDS, FT } from '../packet/fields';
import { FilterEngine } from '../packet/columns';
import { compileFilter, FilterSyntaxError, type ByteRef, type FieldAccessor, type PacketAnnotations } from '../packet/filter';
import { dissectFlow, FlowKeys, FLOW_ARP, FLOW_IPV4, FLOW_IPV6, FLOW_PORTS, FLOW_TCP, FLOW_UDP, LINKTYPE_ETHERNET } from '../packet/flow';
import { FAST_OK, FAST_VLAN, FlowIndex } from './flowIndex';
import type { CaptureSession } from '../packet/session';
import { PATH_VF, type Completion } from './protocol';
import type { CompiledFilter, DeviceTrace, DisplayFilterEngine, PacketStore } from './source';

export const FLOW_FIELDS = ['frame', 'frame.number', 'frame.len', 'frame.cap_len',
  'eth', 'eth.dst', 'eth.src', 'eth.addr', 'eth.type',
  'ip', 'ip.src', 'ip.dst', 'ip.addr', 'ip.proto', 'ip.ttl', 'ip.id', 'ip.len', 'ip.flags.mf', 'ip.flags.df', 'ip.frag_offset',
  'ipv6', 'ipv6.src', 'ipv6.dst', 'ipv6.addr',
  'tcp', 'tcp.srcport', 'tcp.dstport', 'tcp.port', 'tcp.flags', 'tcp.flags.fin', 'tcp.flags.syn', 'tcp.flags.reset',
  'tcp.flags.push', 'tcp.flags.ack', 'tcp.window_size_value', 'tcp.len',
  'udp', 'udp.srcport', 'udp.dstport', 'udp.port', 'udp.length', 'arp'] as const;

const id = (a: string): number => { const v = F[a]; if (v === undefined) throw new Error(`field registry lacks ${a}`); return v; };
const FID = Object.fromEntries(FLOW_FIELDS.map((a) => [a, id(a)])) as Record<typeof FLOW_FIELDS[number], number>;
const FLOW_IDS = new Set<number>(Object.values(FID));
const DEVICE_IDS = new Set<number>(FIELDS.filter((f) => f.abbrev.startsWith('netvsc') || f.abbrev.startsWith('xdp')).map((f) => f.id));
/** Field id -> 1 + its position in FLOW_FIELDS (0: not a fast field), 255 for the device's fields:
 *  the accessor's hot switches run on small integer constants, not on property loads. */
const KIND = new Uint8Array(FIELDS.length);
FLOW_FIELDS.forEach((a, k) => { KIND[FID[a]] = k + 1; });
for (const d of DEVICE_IDS) KIND[d] = 255;
const K = Object.fromEntries(FLOW_FIELDS.map((a, k) => [a, k + 1])) as Record<typeof FLOW_FIELDS[number], number>;

/** The device's per-packet fields for the filter, read from the trace records. */
export function traceAnnotations(trace: DeviceTrace): PacketAnnotations {
  const q = F['netvsc.queue'], h = F['netvsc.hash'], p = F['netvsc.path'], r = F['netvsc.rsc.segments'], d = F['netvsc.drop_reason'], x = F['xdp.verdict'];
  return {
    value(fid: number, i: number): number | string | undefined {
      if (i >= trace.count) return undefined;
      switch (fid) {
        case q: { const v = trace.queue(i); return v >= 0 ? v : undefined; }
        case h: return trace.hashValid(i) ? trace.hash(i) >>> 0 : undefined;
        case p: return trace.path(i) === PATH_VF ? 1 : 0;
        case r: { const v = trace.rsc(i); return v > 0 ? v : undefined; }
        case d: { const v = trace.drop(i); return v > 0 ? trace.dropReasons[v] : undefined; }
        case x: { const v = trace.xdp(i); return v >= 0 ? v : undefined; }
        default: return undefined;
      }
    },
  };
}

/**
 * Fields of packet i from the flow index; `load(i)` says whether it can answer for i. Packet bytes
 * are read only for byte-valued fields (addresses compared as bytes, slices).
 */
export class FlowFieldAccessor implements FieldAccessor {
  private readonly k = new FlowKeys();
  private buf: Uint8Array = new Uint8Array(0);
  private bufOf = -1;
  private linkType = LINKTYPE_ETHERNET;
  constructor(private readonly store: PacketStore, private readonly ix: FlowIndex, private readonly annotations?: PacketAnnotations,
    private readonly needsEthType = false) {}

  load(i: number): boolean {
    const ok = this.ix.ok[i];
    if (!(ok & FAST_OK) || (this.needsEthType && ok & FAST_VLAN)) return false;
    this.linkType = this.store.linkType(i);
    return this.linkType === LINKTYPE_ETHERNET;
  }

  private packet(i: number): FlowKeys {
    if (this.bufOf !== i) {
      this.buf = this.store.packet(i);
      dissectFlow(this.buf, 0, this.buf.length, this.k, this.linkType);
      this.bufOf = i;
    }
    return this.k;
  }

  count(fid: number, i: number): number {
    const kind = KIND[fid];
    if (kind === 255) {
      if (FIELDS[fid].type === FT.PROTOCOL) {
        if (!this.annotations) return 0;
        for (const x of DEVICE_IDS) if (FIELDS[x].parent === FIELDS[fid].abbrev && FIELDS[x].type !== FT.PROTOCOL && this.annotations.value(x, i) !== undefined) return 1;
        return 0;
      }
      return this.annotations?.value(fid, i) !== undefined ? 1 : 0;
    }
    const s = this.ix.status[i];
    const tcp = (s & FLOW_TCP) !== 0, udp = (s & FLOW_UDP) !== 0 && (s & FLOW_PORTS) !== 0;
    switch (kind) {
      case K.frame: case K['frame.number']: case K['frame.len']: case K['frame.cap_len']: return 1;
      case K.eth: case K['eth.dst']: case K['eth.src']: case K['eth.type']: return this.store.index.capLen[i] >= 14 ? 1 : 0;
      case K['eth.addr']: return this.store.index.capLen[i] >= 14 ? 2 : 0;
      case K.ip: case K['ip.src']: case K['ip.dst']: case K['ip.proto']: case K['ip.ttl']: case K['ip.id']:
      case K['ip.len']: case K['ip.flags.mf']: case K['ip.flags.df']: case K['ip.frag_offset']: return s & FLOW_IPV4 ? 1 : 0;
      case K['ip.addr']: return s & FLOW_IPV4 ? 2 : 0;
      case K.ipv6: case K['ipv6.src']: case K['ipv6.dst']: return s & FLOW_IPV6 ? 1 : 0;
      case K['ipv6.addr']: return s & FLOW_IPV6 ? 2 : 0;
      case K['tcp.port']: return tcp ? 2 : 0;
      case K['udp.port']: return udp ? 2 : 0;
      case K.udp: case K['udp.srcport']: case K['udp.dstport']: case K['udp.length']: return udp ? 1 : 0;
      case K.arp: return s & FLOW_ARP ? 1 : 0;
      default: return tcp ? 1 : 0; // the remaining fast fields are TCP's
    }
  }

  num(fid: number, i: number, k: number): number {
    const kind = KIND[fid];
    if (kind === 255) { const v = this.annotations?.value(fid, i); return typeof v === 'number' ? v : NaN; }
    const x = this.ix;
    switch (kind) {
      case K['frame.number']: return i + 1;
      case K['frame.len']: return this.store.index.origLen[i];
      case K['frame.cap_len']: return this.store.index.capLen[i];
      case K['eth.type']: return x.ethType[i];
      case K['ip.src']: return x.src4[i];
      case K['ip.dst']: return x.dst4[i];
      case K['ip.addr']: return k === 0 ? x.src4[i] : x.dst4[i];
      case K['ip.proto']: return x.l4Proto[i];
      case K['ip.ttl']: return x.ttl[i];
      case K['ip.id']: return x.ipId[i];
      case K['ip.len']: return x.ipLen[i];
      case K['ip.flags.mf']: return (x.fragWord[i] >> 13) & 1;
      case K['ip.flags.df']: return (x.fragWord[i] >> 14) & 1;
      case K['ip.frag_offset']: return x.fragWord[i] & 0x1fff;
      case K['tcp.srcport']: case K['udp.srcport']: return x.srcPort[i];
      case K['tcp.dstport']: case K['udp.dstport']: return x.dstPort[i];
      case K['tcp.port']: case K['udp.port']: return k === 0 ? x.srcPort[i] : x.dstPort[i];
      case K['tcp.flags']: return x.tcpFlags[i];
      case K['tcp.flags.fin']: return x.tcpFlags[i] & 1;
      case K['tcp.flags.syn']: return (x.tcpFlags[i] >> 1) & 1;
      case K['tcp.flags.reset']: return (x.tcpFlags[i] >> 2) & 1;
      case K['tcp.flags.push']: return (x.tcpFlags[i] >> 3) & 1;
      case K['tcp.flags.ack']: return (x.tcpFlags[i] >> 4) & 1;
      case K['tcp.window_size_value']: return x.tcpWindow[i];
      case K['tcp.len']: return x.l4PayloadLen[i];
      case K['udp.length']: return x.udpLength[i];
      default: return NaN;
    }
  }

  bytes(fid: number, i: number, k: number, out: ByteRef): void {
    const f = this.packet(i);
    out.buf = this.buf;
    let off: number, len: number;
    switch (fid) {
      case FID.eth: off = 0; len = f.l3Offset; break;
      case FID['eth.dst']: off = 0; len = 6; break;
      case FID['eth.src']: off = 6; len = 6; break;
      case FID['eth.addr']: off = k === 0 ? 0 : 6; len = 6; break;
      case FID['eth.type']: off = 12; len = 2; break;
      case FID['ip.src']: case FID['ipv6.src']: off = f.srcAddrOffset; len = fid === FID['ip.src'] ? 4 : 16; break;
      case FID['ip.dst']: case FID['ipv6.dst']: off = f.dstAddrOffset; len = fid === FID['ip.dst'] ? 4 : 16; break;
      case FID['ip.addr']: off = k === 0 ? f.srcAddrOffset : f.dstAddrOffset; len = 4; break;
      case FID['ipv6.addr']: off = k === 0 ? f.srcAddrOffset : f.dstAddrOffset; len = 16; break;
      case FID.ip: case FID.ipv6: off = f.l3Offset; len = f.l3End - f.l3Offset; break;
      case FID.tcp: off = f.l4Offset; len = f.tcpHeaderLength; break;
      case FID.udp: off = f.l4Offset; len = 8; break;
      case FID['tcp.srcport']: case FID['udp.srcport']: off = f.l4Offset; len = 2; break;
      case FID['tcp.dstport']: case FID['udp.dstport']: off = f.l4Offset + 2; len = 2; break;
      case FID['tcp.port']: case FID['udp.port']: off = f.l4Offset + 2 * k; len = 2; break;
      default: off = 0; len = 0;
    }
    out.off = off; out.len = len;
  }

  str(fid: number, i: number, _k: number): string {
    if (DEVICE_IDS.has(fid)) { const v = this.annotations?.value(fid, i); return v === undefined ? '' : String(v); }
    return '';
  }
}

export class CaptureFilterEngine implements DisplayFilterEngine {
  private readonly annotations?: PacketAnnotations;
  private readonly completions: Completion[];

  /** Header columns of every packet, built at the first filter that needs them (or by warm-up). */
  readonly flowIndex: FlowIndex;
  /** The packet layer's field-column cache, for filters on fields the flow index does not have. */
  private columnEngine?: FilterEngine;

  constructor(private readonly session: CaptureSession, private readonly store: PacketStore, trace?: DeviceTrace,
    private readonly prepare: () => void = () => session.prepare()) {
    this.flowIndex = new FlowIndex(store);
    if (trace) this.annotations = traceAnnotations(trace);
    this.completions = FIELDS.filter((f) => !f.abbrev.startsWith('_')).map((f) => ({ name: f.abbrev, description: f.name }));
  }

  fields(): readonly Completion[] { return this.completions; }

  compile(text: string): { filter: CompiledFilter } | { error: { message: string; column: number; length: number } } {
    let df: ReturnType<typeof compileFilter>;
    try { df = compileFilter(text); } catch (e) {
      if (e instanceof FilterSyntaxError) {
        return { error: { message: e.message.replace(/ \(column \d+\)$/, ''), column: e.column, length: 1 } };
      }
      throw e;
    }
    const fast = df.fields.every((f) => FLOW_IDS.has(f) || DEVICE_IDS.has(f));
    if (!fast) {
      // Fields the flow index does not have: the packet layer's column cache (one dissection pass
      // for the fields not cached yet, kept for later filters) answers the whole filter.
      this.prepare();
      this.columnEngine ??= new FilterEngine(this.session, this.annotations);
      const bitmap = this.columnEngine.apply(df);
      return { filter: { matches: (i: number) => bitmap[i] === 1 } };
    }
    // frame.* and the device's fields need no header walk at all.
    const headerFree = df.fields.every((f) => f === FID.frame || f === FID['frame.number'] || f === FID['frame.len'] || f === FID['frame.cap_len'] || DEVICE_IDS.has(f));
    if (!headerFree) this.flowIndex.build();
    const flow = new FlowFieldAccessor(this.store, this.flowIndex, this.annotations, df.fields.includes(FID['eth.type']));
    // Packets the flow dissector cannot vouch for (tunnels, ICMP errors, truncated…) are dissected fully.
    const session = this.session;
    let prepared = false;
    const slow = (i: number): boolean => {
      if (!prepared) { this.prepare(); prepared = true; } // conversation state, once
      return df.matchDissection(session.dissect(i), i, this.annotations);
    };
    return {
      filter: {
        matches(i: number): boolean {
          if (headerFree || flow.load(i)) return df.match(flow, i);
          return slow(i);
        },
      },
    };
  }
}
