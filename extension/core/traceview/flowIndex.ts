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
  status = new Uint16Array(0); ok = new Uint8Array(0); l4Proto = new Uint8Array(0); ttl = new Uint8Array(0);
  srcPort = new Uint16Array(0); dstPort = new Uint16Array(0); src4 = new Uint32Array(0); dst4 = new Uint32Array(0);
  ipId = new Uint16Array(0); ipLen = new Uint16Array(0); fragWord = new Uint16Array(0); tcpFlags = new Uint16Array(0);
  tcpWindow = new Uint16Array(0); l4PayloadLen = new Uint32Array(0); udpLength = new Uint16Array(0); ethType = new Uint16Array(0);
  l3Offset = new Uint16Array(0); l4Offset = new Uint16Array(0);
  /** Packets [0, done) are indexed. */
  done = 0;
  private readonly k = new FlowKeys();

  constructor(private readonly store: PacketStore) { this.capacity(store.count); }

  /** Columns for n packets (a live capture grows: keep what is indexed, double the room). */
  private capacity(n: number): void {
    if (n <= this.status.length && this.status.length > 0) return;
    const size = this.status.length === 0 ? n : Math.max(n, this.status.length * 2);
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array>(a: T, make: (k: number) => T): T => { const b = make(size); b.set(a); return b; };
    this.status = grow(this.status, (k) => new Uint16Array(k)); this.ok = grow(this.ok, (k) => new Uint8Array(k));
    this.l4Proto = grow(this.l4Proto, (k) => new Uint8Array(k)); this.ttl = grow(this.ttl, (k) => new Uint8Array(k));
    this.srcPort = grow(this.srcPort, (k) => new Uint16Array(k)); this.dstPort = grow(this.dstPort, (k) => new Uint16Array(k));
    this.src4 = grow(this.src4, (k) => new Uint32Array(k)); this.dst4 = grow(this.dst4, (k) => new Uint32Array(k));
    this.ipId = grow(this.ipId, (k) => new Uint16Array(k)); this.ipLen = grow(this.ipLen, (k) => new Uint16Array(k));
    this.fragWord = grow(this.fragWord, (k) => new Uint16Array(k)); this.tcpFlags = grow(this.tcpFlags, (k) => new Uint16Array(k));
    this.tcpWindow = grow(this.tcpWindow, (k) => new Uint16Array(k)); this.l4PayloadLen = grow(this.l4PayloadLen, (k) => new Uint32Array(k));
    this.udpLength = grow(this.udpLength, (k) => new Uint16Array(k)); this.ethType = grow(this.ethType, (k) => new Uint16Array(k));
    this.l3Offset = grow(this.l3Offset, (k) => new Uint16Array(k)); this.l4Offset = grow(this.l4Offset, (k) => new Uint16Array(k));
  }

  get built(): boolean { return this.done >= this.store.count; }

  build(): void { this.buildSlice(this.done, this.store.count); }

  /** Indexes packets [from, to) — call in order (from = done). */
  buildSlice(from: number, to: number): void {
    const s = this.store, k = this.k;
    to = Math.min(to, s.count);
    this.capacity(to);
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
