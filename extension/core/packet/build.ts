/**
 * Packet builders: Ethernet (+ stacked VLAN tags), ARP, IPv4 (options, fragment fields), IPv6
 * (hop-by-hop, fragment header), UDP, TCP (options), ICMP, ICMPv6, GRE, and payload helpers for
 * VXLAN, Geneve and DNS queries — every checksum filled in. Used by the scenario generator and
 * by everyone's tests. Not a hot path: clarity over speed.
 *
 * API
 *   buildPacket(spec: PacketSpec) -> Uint8Array      one frame: { eth?, ip, l4?, payload? }
 *       eth omitted -> a raw IP packet (LINKTYPE_RAW). payload: bytes or a byte count (pattern filled).
 *   buildArp(spec: ArpSpec) -> Uint8Array             Ethernet + ARP request/reply
 *   fragmentIp(frame, mtu, opts?) -> Uint8Array[]     split the IPv4/IPv6 datagram of an Ethernet (or
 *       raw, opts.linkType = 101) frame so that every fragment's IP packet is <= mtu bytes; IPv6 gets
 *       a fragment header (opts.ipv6Id). A datagram that already fits is returned as [frame].
 *   vxlanHeader(vni), genevePayload(vni, innerFrame, opts?), dnsQuery(id, name, qtype = 1)
 *   concatBytes(...parts), fillPattern(len, seed)
 *   TcpOption: { kind: 'mss' | 'wscale' | 'sackPerm' | 'sack' | 'timestamps' | 'nop' | 'eol', ... }
 */
import { parseIPv4, parseIPv6, parseMac } from './addr';
import { internetChecksum, ipv4HeaderChecksum, l4Checksum, pseudoHeaderSumV4, pseudoHeaderSumV6, udpChecksumValue } from './checksum';
import { ETH_P_8021Q, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, IPPROTO_FRAGMENT, IPPROTO_GRE, IPPROTO_HOPOPTS, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, LINKTYPE_RAW } from './flow';

export interface VlanTag { vid: number; pcp?: number; dei?: boolean; /** default 0x8100 */ tpid?: number }
export interface EthSpec { src?: string; dst?: string; vlans?: VlanTag[] }

export interface Ipv4Spec {
  version?: 4;
  src: string; dst: string;
  ttl?: number; id?: number; tos?: number;
  df?: boolean; mf?: boolean;
  /** fragment offset in bytes (multiple of 8) */
  fragOffset?: number;
  /** raw option bytes (padded to 4 with EOL) */
  options?: Uint8Array;
  /** protocol number when there is no l4 spec */
  proto?: number;
  /** store this value instead of the correct header checksum */
  checksum?: number;
}
export interface Ipv6Spec {
  version: 6;
  src: string; dst: string;
  hopLimit?: number; flowLabel?: number; trafficClass?: number;
  /** hop-by-hop options data (without the 2-byte header); padded with PadN to a multiple of 8 */
  hopByHop?: Uint8Array;
  fragment?: { id: number; offset: number; more: boolean };
  nextHeader?: number;
}

export type TcpOption =
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackPerm' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'timestamps'; tsval: number; tsecr: number }
  | { kind: 'nop' }
  | { kind: 'eol' };

export interface TcpSpec {
  sport: number; dport: number; seq?: number; ack?: number;
  /** flag byte (TCP_FLAG_*) plus NS in bit 8 */
  flags?: number; window?: number; urgent?: number; options?: TcpOption[];
  checksum?: number;
}
export interface UdpSpec { sport: number; dport: number; /** 'zero' sends no checksum (IPv4 only) */ checksum?: number | 'zero' }
export interface IcmpSpec { type: number; code?: number; id?: number; seq?: number; checksum?: number }
export interface GreSpec { protocol: number; key?: number; checksum?: boolean }

export type L4Spec = { udp: UdpSpec } | { tcp: TcpSpec } | { icmp: IcmpSpec } | { icmpv6: IcmpSpec } | { gre: GreSpec };

export interface PacketSpec {
  eth?: EthSpec;
  ip: Ipv4Spec | Ipv6Spec;
  l4?: L4Spec;
  payload?: Uint8Array | number;
}

export interface ArpSpec {
  eth?: EthSpec;
  op: 1 | 2;
  senderMac: string; senderIp: string; targetMac: string; targetIp: string;
}

const DEFAULT_SRC_MAC = '00:15:5d:00:00:01'; // Hyper-V OUI
const DEFAULT_DST_MAC = '00:15:5d:00:00:02';

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Deterministic filler bytes (not zeros, so checksums and dissectors see real data). */
export function fillPattern(len: number, seed = 0): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i + seed * 7) & 0xff;
  return out;
}

function mac(text: string | undefined, dflt: string): Uint8Array {
  const m = parseMac(text ?? dflt);
  if (!m) throw new Error(`bad MAC address '${text}'`);
  return m;
}
function v4(text: string): Uint8Array {
  const w = parseIPv4(text);
  if (w === null) throw new Error(`bad IPv4 address '${text}'`);
  return new Uint8Array([w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255]);
}
function v6(text: string): Uint8Array {
  const a = parseIPv6(text);
  if (!a) throw new Error(`bad IPv6 address '${text}'`);
  return a;
}
function put16(b: Uint8Array, o: number, v: number): void { b[o] = (v >>> 8) & 255; b[o + 1] = v & 255; }
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 255; b[o + 1] = (v >>> 16) & 255; b[o + 2] = (v >>> 8) & 255; b[o + 3] = v & 255;
}

export function ethHeader(eth: EthSpec | undefined, ethertype: number): Uint8Array {
  const vlans = eth?.vlans ?? [];
  const h = new Uint8Array(14 + 4 * vlans.length);
  h.set(mac(eth?.dst, DEFAULT_DST_MAC), 0);
  h.set(mac(eth?.src, DEFAULT_SRC_MAC), 6);
  let o = 12;
  for (const t of vlans) {
    put16(h, o, t.tpid ?? ETH_P_8021Q);
    put16(h, o + 2, ((t.pcp ?? 0) << 13) | (t.dei ? 0x1000 : 0) | (t.vid & 0xfff));
    o += 4;
  }
  put16(h, o, ethertype);
  return h;
}

function tcpOptionBytes(opts: TcpOption[]): Uint8Array {
  const b: number[] = [];
  for (const o of opts) {
    switch (o.kind) {
      case 'mss': b.push(2, 4, o.value >> 8, o.value & 255); break;
      case 'wscale': b.push(3, 3, o.shift); break;
      case 'sackPerm': b.push(4, 2); break;
      case 'sack': {
        b.push(5, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) b.push(l >>> 24, (l >>> 16) & 255, (l >>> 8) & 255, l & 255, r >>> 24, (r >>> 16) & 255, (r >>> 8) & 255, r & 255);
        break;
      }
      case 'timestamps': {
        const { tsval: a, tsecr: c } = o;
        b.push(8, 10, a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255);
        break;
      }
      case 'nop': b.push(1); break;
      case 'eol': b.push(0); break;
    }
  }
  while (b.length % 4) b.push(0);
  return new Uint8Array(b);
}

function l4Bytes(l4: L4Spec | undefined, payload: Uint8Array): { proto: number; bytes: Uint8Array; csumAt: number } {
  if (!l4) return { proto: -1, bytes: payload, csumAt: -1 };
  if ('udp' in l4) {
    const b = new Uint8Array(8 + payload.length);
    put16(b, 0, l4.udp.sport); put16(b, 2, l4.udp.dport); put16(b, 4, b.length);
    b.set(payload, 8);
    return { proto: IPPROTO_UDP, bytes: b, csumAt: l4.udp.checksum === 'zero' ? -1 : 6 };
  }
  if ('tcp' in l4) {
    const t = l4.tcp;
    const opt = tcpOptionBytes(t.options ?? []);
    const hl = 20 + opt.length;
    const b = new Uint8Array(hl + payload.length);
    put16(b, 0, t.sport); put16(b, 2, t.dport);
    put32(b, 4, t.seq ?? 0); put32(b, 8, t.ack ?? 0);
    const flags = t.flags ?? 0x10;
    b[12] = ((hl / 4) << 4) | ((flags >> 8) & 1);
    b[13] = flags & 0xff;
    put16(b, 14, t.window ?? 64240);
    put16(b, 18, t.urgent ?? 0);
    b.set(opt, 20);
    b.set(payload, hl);
    return { proto: IPPROTO_TCP, bytes: b, csumAt: 16 };
  }
  if ('icmp' in l4 || 'icmpv6' in l4) {
    const i = 'icmp' in l4 ? l4.icmp : l4.icmpv6;
    const b = new Uint8Array(8 + payload.length);
    b[0] = i.type; b[1] = i.code ?? 0;
    put16(b, 4, i.id ?? 0); put16(b, 6, i.seq ?? 0);
    b.set(payload, 8);
    return { proto: 'icmp' in l4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, bytes: b, csumAt: 2 };
  }
  const g = l4.gre;
  const hl = 4 + (g.checksum ? 4 : 0) + (g.key !== undefined ? 4 : 0);
  const b = new Uint8Array(hl + payload.length);
  b[0] = (g.checksum ? 0x80 : 0) | (g.key !== undefined ? 0x20 : 0);
  put16(b, 2, g.protocol);
  let o = 4;
  if (g.checksum) o += 4;
  if (g.key !== undefined) put32(b, o, g.key);
  b.set(payload, hl);
  if (g.checksum) put16(b, 4, internetChecksum(b, 0, b.length));
  return { proto: IPPROTO_GRE, bytes: b, csumAt: -1 };
}

function payloadBytes(p: Uint8Array | number | undefined): Uint8Array {
  if (p === undefined) return new Uint8Array(0);
  return typeof p === 'number' ? fillPattern(p) : p;
}

/** Builds one frame (Ethernet unless `spec.eth` is omitted and `raw` requested by leaving eth out). */
export function buildPacket(spec: PacketSpec): Uint8Array {
  const pl = payloadBytes(spec.payload);
  const l4 = l4Bytes(spec.l4, pl);
  const ip = spec.ip;
  let ipBytes: Uint8Array;
  if (ip.version === 6) {
    const ext: Uint8Array[] = [];
    let firstNh = l4.proto >= 0 ? l4.proto : (ip.nextHeader ?? 59);
    const chain: { type: number; body: Uint8Array }[] = [];
    if (ip.hopByHop) {
      const raw = ip.hopByHop;
      let total = 2 + raw.length;
      const pad = (8 - (total % 8)) % 8;
      total += pad;
      const h = new Uint8Array(total);
      h[1] = total / 8 - 1;
      h.set(raw, 2);
      if (pad === 1) h[2 + raw.length] = 0; // Pad1
      else if (pad > 1) { h[2 + raw.length] = 1; h[3 + raw.length] = pad - 2; }
      chain.push({ type: IPPROTO_HOPOPTS, body: h });
    }
    if (ip.fragment) {
      const h = new Uint8Array(8);
      put16(h, 2, (ip.fragment.offset & 0xfff8) | (ip.fragment.more ? 1 : 0));
      put32(h, 4, ip.fragment.id);
      chain.push({ type: IPPROTO_FRAGMENT, body: h });
    }
    for (let i = chain.length - 1; i >= 0; i--) { chain[i].body[0] = firstNh; firstNh = chain[i].type; }
    for (const c of chain) ext.push(c.body);
    const extBytes = concatBytes(...ext);
    const hdr = new Uint8Array(40);
    put32(hdr, 0, (6 << 28) | ((ip.trafficClass ?? 0) << 20) | ((ip.flowLabel ?? 0) & 0xfffff));
    put16(hdr, 4, extBytes.length + l4.bytes.length);
    hdr[6] = firstNh;
    hdr[7] = ip.hopLimit ?? 64;
    hdr.set(v6(ip.src), 8);
    hdr.set(v6(ip.dst), 24);
    ipBytes = concatBytes(hdr, extBytes, l4.bytes);
    if (l4.csumAt >= 0 && !(ip.fragment && (ip.fragment.offset !== 0))) {
      const l4Off = 40 + extBytes.length;
      const ps = pseudoHeaderSumV6(ipBytes, 8, 24, l4.proto, l4.bytes.length);
      const c = l4Checksum(ipBytes, l4Off, l4.bytes.length, ps, l4Off + l4.csumAt);
      put16(ipBytes, l4Off + l4.csumAt, storedChecksum(spec.l4, l4.proto === IPPROTO_UDP ? udpChecksumValue(c) : c));
    }
  } else {
    const opt = ip.options ?? new Uint8Array(0);
    const optLen = (opt.length + 3) & ~3;
    const ihl = 20 + optLen;
    ipBytes = new Uint8Array(ihl + l4.bytes.length);
    ipBytes[0] = 0x40 | (ihl / 4);
    ipBytes[1] = ip.tos ?? 0;
    put16(ipBytes, 2, ipBytes.length);
    put16(ipBytes, 4, ip.id ?? 0);
    put16(ipBytes, 6, (ip.df ? 0x4000 : 0) | (ip.mf ? 0x2000 : 0) | (((ip.fragOffset ?? 0) >> 3) & 0x1fff));
    ipBytes[8] = ip.ttl ?? 64;
    ipBytes[9] = l4.proto >= 0 ? l4.proto : (ip.proto ?? 253);
    ipBytes.set(v4(ip.src), 12);
    ipBytes.set(v4(ip.dst), 16);
    ipBytes.set(opt, 20);
    ipBytes.set(l4.bytes, ihl);
    if (l4.csumAt >= 0 && !ip.fragOffset) {
      if (l4.proto === IPPROTO_ICMP) {
        put16(ipBytes, ihl + 2, 0);
        put16(ipBytes, ihl + 2, storedChecksum(spec.l4, internetChecksum(ipBytes, ihl, l4.bytes.length)));
      } else {
        const ps = pseudoHeaderSumV4(ipBytes, 12, 16, l4.proto, l4.bytes.length);
        const c = l4Checksum(ipBytes, ihl, l4.bytes.length, ps, ihl + l4.csumAt);
        put16(ipBytes, ihl + l4.csumAt, storedChecksum(spec.l4, l4.proto === IPPROTO_UDP ? udpChecksumValue(c) : c));
      }
    }
    put16(ipBytes, 10, ip.checksum ?? ipv4HeaderChecksum(ipBytes, 0));
  }
  if (!spec.eth) return ipBytes;
  return concatBytes(ethHeader(spec.eth, ip.version === 6 ? ETH_P_IPV6 : ETH_P_IP), ipBytes);
}

function storedChecksum(l4: L4Spec | undefined, correct: number): number {
  if (!l4) return correct;
  const c = 'udp' in l4 ? l4.udp.checksum : 'tcp' in l4 ? l4.tcp.checksum : 'icmp' in l4 ? l4.icmp.checksum
    : 'icmpv6' in l4 ? l4.icmpv6.checksum : undefined;
  return typeof c === 'number' ? c : correct;
}

export function buildArp(spec: ArpSpec): Uint8Array {
  const a = new Uint8Array(28);
  put16(a, 0, 1); put16(a, 2, ETH_P_IP); a[4] = 6; a[5] = 4; put16(a, 6, spec.op);
  a.set(mac(spec.senderMac, DEFAULT_SRC_MAC), 8); a.set(v4(spec.senderIp), 14);
  a.set(mac(spec.targetMac, DEFAULT_DST_MAC), 18); a.set(v4(spec.targetIp), 24);
  return concatBytes(ethHeader(spec.eth, ETH_P_ARP), a);
}

/** 8-byte VXLAN header (I flag, 24-bit VNI): prepend to an inner Ethernet frame, send over UDP 4789. */
export function vxlanHeader(vni: number): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = 0x08;
  h[4] = (vni >>> 16) & 255; h[5] = (vni >>> 8) & 255; h[6] = vni & 255;
  return h;
}

/** Geneve header (+ optional raw option bytes, a multiple of 4) and an inner Ethernet frame. */
export function genevePayload(vni: number, inner: Uint8Array, opts: { options?: Uint8Array; protocol?: number } = {}): Uint8Array {
  const o = opts.options ?? new Uint8Array(0);
  const h = new Uint8Array(8 + o.length);
  h[0] = (o.length / 4) & 0x3f; // version 0
  put16(h, 2, opts.protocol ?? 0x6558); // Transparent Ethernet Bridging
  h[4] = (vni >>> 16) & 255; h[5] = (vni >>> 8) & 255; h[6] = vni & 255;
  h.set(o, 8);
  return concatBytes(h, inner);
}

/** A standard DNS query (RD set) for one name. */
export function dnsQuery(id: number, name: string, qtype = 1): Uint8Array {
  const labels = name.split('.').filter((l) => l.length > 0);
  const q: number[] = [];
  for (const l of labels) { q.push(l.length); for (let i = 0; i < l.length; i++) q.push(l.charCodeAt(i) & 0x7f); }
  q.push(0, qtype >> 8, qtype & 255, 0, 1);
  const b = new Uint8Array(12 + q.length);
  put16(b, 0, id); put16(b, 2, 0x0100); put16(b, 4, 1);
  b.set(q, 12);
  return b;
}

/**
 * Fragments the IP datagram of `frame` so each fragment's IP packet is <= mtu bytes.
 * IPv4: options with the copy bit go into every fragment (RFC 791). IPv6: the hop-by-hop header is
 * the unfragmentable part; a fragment header with `ipv6Id` is inserted (RFC 8200).
 */
export function fragmentIp(frame: Uint8Array, mtu: number, opts: { linkType?: number; ipv6Id?: number } = {}): Uint8Array[] {
  let l3 = 0;
  if (opts.linkType !== LINKTYPE_RAW) {
    l3 = 12;
    while (((frame[l3] << 8) | frame[l3 + 1]) === ETH_P_8021Q || ((frame[l3] << 8) | frame[l3 + 1]) === 0x88a8) l3 += 4;
    l3 += 2;
  }
  const l2 = frame.subarray(0, l3);
  const version = frame[l3] >> 4;
  const out: Uint8Array[] = [];
  if (version === 4) {
    const ihl = (frame[l3] & 15) * 4;
    const tot = (frame[l3 + 2] << 8) | frame[l3 + 3];
    if (tot <= mtu) return [frame];
    const hdr = frame.subarray(l3, l3 + ihl);
    // Options copied into later fragments: those whose type has the copied bit set.
    const copied: number[] = [];
    for (let i = 20; i < ihl;) {
      const t = hdr[i];
      if (t === 0) break;
      if (t === 1) { i++; continue; }
      const len = hdr[i + 1];
      if (len < 2) break;
      if (t & 0x80) for (let j = 0; j < len; j++) copied.push(hdr[i + j]);
      i += len;
    }
    while (copied.length % 4) copied.push(0);
    const data = frame.subarray(l3 + ihl, l3 + tot);
    const origFo = (frame[l3 + 6] << 8) | frame[l3 + 7];
    const baseOff = (origFo & 0x1fff) * 8;
    const origMf = (origFo & 0x2000) !== 0;
    let pos = 0;
    while (pos < data.length) {
      const hl = pos === 0 ? ihl : 20 + copied.length;
      let chunk = Math.min(data.length - pos, mtu - hl);
      const last = pos + chunk >= data.length;
      if (!last) chunk &= ~7;
      if (chunk <= 0) throw new Error(`MTU ${mtu} too small to fragment`);
      const f = new Uint8Array(hl + chunk);
      if (pos === 0) f.set(hdr, 0);
      else { f.set(hdr.subarray(0, 20), 0); f.set(copied, 20); f[0] = 0x40 | (hl / 4); }
      put16(f, 2, f.length);
      put16(f, 6, (origFo & 0x4000) | (!last || origMf ? 0x2000 : 0) | (((baseOff + pos) >> 3) & 0x1fff));
      put16(f, 10, 0);
      f.set(data.subarray(pos, pos + chunk), hl);
      put16(f, 10, ipv4HeaderChecksum(f, 0));
      out.push(concatBytes(l2, f));
      pos += chunk;
    }
    return out;
  }
  if (version === 6) {
    const plen = (frame[l3 + 4] << 8) | frame[l3 + 5];
    if (40 + plen <= mtu) return [frame];
    let nh = frame[l3 + 6];
    let unfrag = 40;
    let nhFieldAt = l3 + 6;
    if (nh === IPPROTO_HOPOPTS) { nhFieldAt = l3 + 40; unfrag += (frame[l3 + 41] + 1) * 8; nh = frame[nhFieldAt]; }
    const head = frame.slice(l3, l3 + unfrag);
    const data = frame.subarray(l3 + unfrag, l3 + 40 + plen);
    const id = opts.ipv6Id ?? 1;
    let pos = 0;
    while (pos < data.length) {
      let chunk = Math.min(data.length - pos, mtu - unfrag - 8);
      const last = pos + chunk >= data.length;
      if (!last) chunk &= ~7;
      if (chunk <= 0) throw new Error(`MTU ${mtu} too small to fragment`);
      const f = new Uint8Array(unfrag + 8 + chunk);
      f.set(head, 0);
      f[nhFieldAt - l3] = IPPROTO_FRAGMENT;
      put16(f, 4, f.length - 40);
      f[unfrag] = nh;
      put16(f, unfrag + 2, (pos & 0xfff8) | (last ? 0 : 1));
      put32(f, unfrag + 4, id);
      f.set(data.subarray(pos, pos + chunk), unfrag + 8);
      out.push(concatBytes(l2, f));
      pos += chunk;
    }
    return out;
  }
  throw new Error('fragmentIp: frame carries neither IPv4 nor IPv6');
}
