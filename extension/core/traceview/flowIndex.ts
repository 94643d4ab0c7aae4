/**
 * The header fields of every packet, one flow-dissector walk each, kept in typed-array columns
 * (39 bytes a packet) so that display filters over the common fields run over columns instead of
 * re-reading a million packets each time. Built once, in slices when the host warms up a document
 * (or at the first filter that needs it).
 *
 * API
 *   class FlowIndex(store): build() (all at once), buildSlice(from, to), built, columns below
 *   FAST_OK bit in `ok`: the flow dissector vouches for this packet's fields; VLAN bit: it has a tag
 */
import {
  dissectFlow, FlowKeys, FLOW_MALFORMED, FLOW_TRUNCATED, FLOW_UDP, IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_ICMPV6,
} from '../packet/flow';
import type { PacketStore } from './source';

export const FAST_OK = 1;
export const FAST_VLAN = 2;
/** UDP ports whose payload the full dissector opens as another packet (VXLAN, Geneve). */
const TUNNEL_PORTS = new Set([4789, 6081]);

export class FlowIndex {
  readonly status: Uint16Array; readonly ok: Uint8Array; readonly l4Proto: Uint8Array; readonly ttl: Uint8Array;
  readonly srcPort: Uint16Array; readonly dstPort: Uint16Array; readonly src4: Uint32Array; readonly dst4: Uint32Array;
  readonly ipId: Uint16Array; readonly ipLen: Uint16Array; readonly fragWord: Uint16Array; readonly tcpFlags: Uint16Array;
  readonly tcpWindow: Uint16Array; readonly l4PayloadLen: Uint32Array; readonly udpLength: Uint16Array; readonly ethType: Uint16Array;
  readonly l3Offset: Uint16Array; readonly l4Offset: Uint16Array;
  /** Packets [0, done) are indexed. */
  done = 0;
  private readonly k = new FlowKeys();

  constructor(private readonly store: PacketStore) {
    const n = store.count;
    this.status = new Uint16Array(n); this.ok = new Uint8Array(n); this.l4Proto = new Uint8Array(n); this.ttl = new Uint8Array(n);
    this.srcPort = new Uint16Array(n); this.dstPort = new Uint16Array(n); this.src4 = new Uint32Array(n); this.dst4 = new Uint32Array(n);
    this.ipId = new Uint16Array(n); this.ipLen = new Uint16Array(n); this.fragWord = new Uint16Array(n); this.tcpFlags = new Uint16Array(n);
    this.tcpWindow = new Uint16Array(n); this.l4PayloadLen = new Uint32Array(n); this.udpLength = new Uint16Array(n);
    this.ethType = new Uint16Array(n); this.l3Offset = new Uint16Array(n); this.l4Offset = new Uint16Array(n);
  }

  get built(): boolean { return this.done >= this.status.length; }

  build(): void { this.buildSlice(this.done, this.status.length); }

  /** Indexes packets [from, to) — call in order (from = done). */
  buildSlice(from: number, to: number): void {
    const s = this.store, k = this.k;
    to = Math.min(to, this.status.length);
    for (let i = Math.max(from, this.done); i < to; i++) {
      const b = s.packet(i);
      dissectFlow(b, 0, b.length, k, s.linkType(i));
      const st = k.status;
      this.status[i] = st;
      const l3 = k.l3Offset, l4 = k.l4Offset;
      const good = !(st & (FLOW_TRUNCATED | FLOW_MALFORMED))
        && k.l4Proto !== IPPROTO_ICMP && k.l4Proto !== IPPROTO_ICMPV6 && k.l4Proto !== IPPROTO_GRE
        && !((st & FLOW_UDP) && (TUNNEL_PORTS.has(k.srcPort) || TUNNEL_PORTS.has(k.dstPort)));
      this.ok[i] = (good ? FAST_OK : 0) | (k.vlanCount > 0 ? FAST_VLAN : 0);
      this.l4Proto[i] = k.l4Proto; this.ttl[i] = k.ttl;
      this.srcPort[i] = k.srcPort; this.dstPort[i] = k.dstPort;
      this.src4[i] = k.src[0]; this.dst4[i] = k.dst[0];
      this.ipId[i] = k.fragmentId & 0xffff; this.ipLen[i] = k.ipTotalLength;
      this.fragWord[i] = (k.fragmentOffset / 8) | (k.moreFragments ? 0x2000 : 0) | (k.dontFragment ? 0x4000 : 0);
      this.tcpFlags[i] = l4 + 14 <= b.length ? ((b[l4 + 12] << 8) | b[l4 + 13]) & 0xfff : 0;
      this.tcpWindow[i] = k.tcpWindow; this.l4PayloadLen[i] = k.payloadLength;
      this.udpLength[i] = l4 + 6 <= b.length ? (b[l4 + 4] << 8) | b[l4 + 5] : 0;
      this.ethType[i] = b.length >= 14 ? (b[12] << 8) | b[13] : 0;
      this.l3Offset[i] = l3; this.l4Offset[i] = l4;
    }
    if (to > this.done) this.done = to;
  }
}
