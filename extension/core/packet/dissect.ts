/**
 * Wireshark-style dissection with Wireshark's field names: frame, eth, vlan / ieee8021ad (stacked),
 * arp, ip (options, fragments), ipv6 (hop-by-hop, fragment header), icmp, icmpv6, tcp (mss,
 * wscale, sack, timestamps; relative and raw sequence numbers), udp, vxlan (4789), geneve (6081),
 * gre, dns queries, data. Link types Ethernet, SLL, SLL2 and raw IP. No Node imports.
 *
 * tshark defaults reproduced: IP/TCP/UDP checksums are NOT validated (`*.checksum.status` = 2,
 * "unverified"; set `ctx.validateChecksums` for 0 bad / 1 good), ICMP and ICMPv6 checksums are
 * always validated; TCP sequence numbers are relative (`tcp.seq_raw` keeps the wire value); no IP
 * reassembly (every fragment dissected on its own, as with `-o ip.defragment:FALSE`).
 *
 * API
 *   class DissectContext { validateChecksums }   conversation state (tcp/udp stream numbers, TCP
 *       base sequence numbers, window scaling). Fill it by dissecting packets in capture order once;
 *       afterwards any packet can be dissected again in any order with the same result.
 *   interface FrameInfo                           per-frame metadata from the capture index
 *   dissectFrame(buf, info, ctx, d) -> d          fills the reusable Dissection `d`
 */
import { onesSum, pseudoHeaderSumV4, pseudoHeaderSumV6, foldSum } from './checksum';
import { Dissection, ITEM_GENERATED, ITEM_HIDDEN } from './dissection';
import { F } from './fields';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from './flow';
import { formatIPv4Word, formatIPv6 } from './addr';

export interface FrameInfo {
  /** 1-based frame number. */
  number: number;
  tsSec: number; tsNsec: number;
  /** False for records without a timestamp (pcapng simple packet blocks): no time fields. */
  hasTime: boolean;
  /** Time since the first frame and since the previous frame (seconds + nanoseconds, same sign). */
  relSec: number; relNsec: number;
  deltaSec: number; deltaNsec: number;
  capLen: number; origLen: number;
  /** Interface index (pcapng), -1 for classic pcap (no interface fields). */
  iface: number;
  linkType: number;
  comments?: string[];
  interfaceName?: string;
}

interface TcpDir { baseSet: boolean; base: number; wscale: number; synSeen: boolean }
interface TcpStream { index: number; dirs: [TcpDir, TcpDir] }

export class DissectContext {
  /** Validate IP/TCP/UDP checksums (tshark's default: off). */
  validateChecksums = false;
  private tcp = new Map<string, TcpStream>();
  private udp = new Map<string, number>();
  tcpCount = 0;
  udpCount = 0;

  tcpStream(key: string): TcpStream {
    let s = this.tcp.get(key);
    if (!s) {
      const dir = (): TcpDir => ({ baseSet: false, base: 0, wscale: -1, synSeen: false });
      s = { index: this.tcpCount++, dirs: [dir(), dir()] };
      this.tcp.set(key, s);
    }
    return s;
  }

  udpStream(key: string): number {
    let s = this.udp.get(key);
    if (s === undefined) { s = this.udpCount++; this.udp.set(key, s); }
    return s;
  }
}

const f = F;
const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** Why a dissector stopped early: out of captured bytes. */
class State {
  d!: Dissection;
  ctx!: DissectContext;
  buf!: Uint8Array;
  /** End of captured bytes. */
  capEnd = 0;
  /** End of the bytes the frame claims (original length); beyond capEnd but below this is "short". */
  repEnd = 0;
  protos: string[] = [];
  stopped = false;
  /** Name of the protocol being dissected, for the malformed marker. */
  current = '';
  // Addresses of the innermost IP layer (for pseudo-headers and stream keys).
  ipVersion = 0;
  ipSrcOff = 0; ipDstOff = 0;
  ipSrcWord = 0; ipDstWord = 0;
}

const st = new State();

/** True when `n` bytes at `p` are available below `end`; otherwise marks the packet and stops. */
function need(p: number, n: number, end: number): boolean {
  if (p + n <= end && p + n <= st.capEnd) return true;
  if (p + n > st.capEnd && p + n <= st.repEnd && p + n <= end) st.d.short = true;
  else st.d.malformed = true;
  st.stopped = true;
  return false;
}

export function dissectFrame(buf: Uint8Array, info: FrameInfo, ctx: DissectContext, d: Dissection): Dissection {
  d.reset(buf);
  st.d = d; st.ctx = ctx; st.buf = buf;
  st.capEnd = Math.min(buf.length, info.capLen);
  st.repEnd = Math.max(info.origLen, st.capEnd);
  st.protos.length = 0; st.stopped = false; st.current = 'frame'; st.ipVersion = 0;
  const len = st.capEnd;
  d.add(f.frame, 0, len, 0, 0);
  if (info.comments && info.comments.length) for (const c of info.comments) d.addString(f['frame.comment'], 0, 0, c, 1);
  if (info.iface >= 0) d.add(f['frame.interface_id'], 0, 0, info.iface, 1);
  if (info.interfaceName !== undefined) d.addString(f['frame.interface_name'], 0, 0, info.interfaceName, 1);
  if (info.hasTime) {
    let i = d.add(f['frame.time_epoch'], 0, 0, info.tsSec, 1); d.val2[i] = info.tsNsec;
    i = d.add(f['frame.time_delta'], 0, 0, info.deltaSec, 1); d.val2[i] = info.deltaNsec;
    i = d.add(f['frame.time_relative'], 0, 0, info.relSec, 1); d.val2[i] = info.relNsec;
  }
  d.add(f['frame.number'], 0, 0, info.number, 1);
  d.add(f['frame.len'], 0, 0, info.origLen, 1);
  d.add(f['frame.cap_len'], 0, 0, info.capLen, 1);
  d.add(f['frame.marked'], 0, 0, 0, 1);
  d.add(f['frame.ignored'], 0, 0, 0, 1);
  const protosItem = d.addString(f['frame.protocols'], 0, 0, '', 1);
  const lt = info.linkType;
  if (lt === LINKTYPE_ETHERNET) ethernet(0, len, 0);
  else if (lt === LINKTYPE_RAW || lt === 12 || lt === 14) { st.protos.push('raw'); rawIp(0, len); }
  else if (lt === LINKTYPE_LINUX_SLL || lt === LINKTYPE_LINUX_SLL2) sll(lt, len);
  else data(0, len);
  if (d.malformed) { d.add(f['_ws.malformed'], 0, 0, 0, 0); }
  else if (d.short) d.add(f['_ws.short'], 0, 0, 0, 0);
  d.strs[d.val[protosItem]] = st.protos.join(':');
  return d;
}

function data(p: number, end: number): void {
  if (end <= p) return;
  const d = st.d;
  st.protos.push('data');
  d.add(f.data, p, end - p, 0, 0);
  d.add(f['data.data'], p, end - p, 0, 1);
  d.add(f['data.len'], p, 0, end - p, 1, ITEM_GENERATED);
}

function rawIp(p: number, end: number): void {
  if (!need(p, 1, end)) return;
  const v = st.buf[p] >> 4;
  if (v === 4) ipv4(p, end);
  else if (v === 6) ipv6(p, end);
  else data(p, end);
}

function sll(lt: number, end: number): void {
  st.protos.push('sll');
  const hl = lt === LINKTYPE_LINUX_SLL ? 16 : 20;
  if (!need(0, hl, end)) return;
  const proto = lt === LINKTYPE_LINUX_SLL ? u16(st.buf, 14) : u16(st.buf, 0);
  st.protos.push('ethertype');
  ethertype(proto, hl, end, 0);
}

function macFlags(d: Dissection, p: number, which: 'dst' | 'src'): void {
  const b = st.buf[p];
  d.add(f[`eth.${which}.lg`], p, 3, (b & 2) ? 1 : 0, 2);
  d.add(f['eth.lg'], p, 3, (b & 2) ? 1 : 0, 2, ITEM_HIDDEN);
  d.add(f[`eth.${which}.ig`], p, 3, b & 1, 2);
  d.add(f['eth.ig'], p, 3, b & 1, 2, ITEM_HIDDEN);
}

function ethernet(p: number, end: number, _depth: number): void {
  const d = st.d;
  st.protos.push('eth');
  st.current = 'eth';
  if (!need(p, 14, end)) return;
  d.add(f.eth, p, 14, 0, 0);
  d.add(f['eth.dst'], p, 6, 0, 1);
  d.add(f['eth.addr'], p, 6, 0, 1, ITEM_HIDDEN);
  macFlags(d, p, 'dst');
  d.add(f['eth.src'], p + 6, 6, 0, 1);
  d.add(f['eth.addr'], p + 6, 6, 0, 1, ITEM_HIDDEN);
  macFlags(d, p + 6, 'src');
  const type = u16(st.buf, p + 12);
  d.add(f['eth.type'], p + 12, 2, type, 1);
  st.protos.push('ethertype');
  const consumed = ethertype(type, p + 14, end, p);
  // Bytes after the payload: padding up to the 60-byte minimum, anything beyond is a trailer.
  if (consumed < end && !st.stopped && consumed > p + 14) {
    const frameLen = end - p;
    if (frameLen <= 60) d.add(f['eth.padding'], consumed, end - consumed, 0, 1);
    else d.add(f['eth.trailer'], consumed, end - consumed, 0, 1);
  }
}

/** Dispatches an ethertype payload; returns the end of what the payload used (for padding). */
function ethertype(type: number, p: number, end: number, _l2: number): number {
  switch (type) {
    case 0x8100: case 0x9100: return vlan(p, end, false);
    case 0x88a8: return vlan(p, end, true);
    case 0x0800: return ipv4(p, end);
    case 0x86dd: return ipv6(p, end);
    case 0x0806: return arp(p, end);
    default: data(p, end); return end;
  }
}

function vlan(p: number, end: number, ad: boolean): number {
  const d = st.d;
  st.protos.push(ad ? 'ieee8021ad' : 'vlan');
  st.current = ad ? 'ieee8021ad' : 'vlan';
  if (!need(p, 4, end)) return end;
  const tci = u16(st.buf, p);
  const type = u16(st.buf, p + 2);
  if (ad) {
    d.add(f.ieee8021ad, p, 4, 0, 0);
    d.add(f['ieee8021ad.priority'], p, 2, tci >> 13, 1);
    d.add(f['ieee8021ad.dei'], p, 2, (tci >> 12) & 1, 1);
    d.add(f['ieee8021ad.id'], p, 2, tci & 0xfff, 1);
  } else {
    d.add(f.vlan, p, 4, 0, 0);
    d.add(f['vlan.priority'], p, 2, tci >> 13, 1);
    d.add(f['vlan.dei'], p, 2, (tci >> 12) & 1, 1);
    d.add(f['vlan.id'], p, 2, tci & 0xfff, 1);
    d.add(f['vlan.etype'], p + 2, 2, type, 1);
  }
  st.protos.push('ethertype');
  return ethertype(type, p + 4, end, p);
}

function arp(p: number, end: number): number {
  const d = st.d;
  st.protos.push('arp');
  st.current = 'arp';
  if (!need(p, 8, end)) return end;
  const b = st.buf;
  const hs = b[p + 4], ps = b[p + 5];
  d.add(f.arp, p, Math.min(8 + 2 * (hs + ps), end - p), 0, 0);
  d.add(f['arp.hw.type'], p, 2, u16(b, p), 1);
  d.add(f['arp.proto.type'], p + 2, 2, u16(b, p + 2), 1);
  d.add(f['arp.hw.size'], p + 4, 1, hs, 1);
  d.add(f['arp.proto.size'], p + 5, 1, ps, 1);
  d.add(f['arp.opcode'], p + 6, 2, u16(b, p + 6), 1);
  if (hs === 6 && ps === 4) {
    if (!need(p, 28, end)) return end;
    d.add(f['arp.src.hw_mac'], p + 8, 6, 0, 1);
    d.add(f['arp.src.proto_ipv4'], p + 14, 4, u32(b, p + 14), 1);
    d.add(f['arp.dst.hw_mac'], p + 18, 6, 0, 1);
    d.add(f['arp.dst.proto_ipv4'], p + 24, 4, u32(b, p + 24), 1);
    return p + 28;
  }
  return Math.min(end, p + 8 + 2 * (hs + ps));
}

function ipv4(p: number, end: number): number {
  const d = st.d;
  const b = st.buf;
  st.protos.push('ip');
  st.current = 'ip';
  if (!need(p, 20, end)) return end;
  const ihl = (b[p] & 15) * 4;
  const tot = u16(b, p + 2);
  d.add(f.ip, p, ihl, 0, 0);
  d.add(f['ip.version'], p, 1, b[p] >> 4, 1);
  d.add(f['ip.hdr_len'], p, 1, ihl, 1);
  d.add(f['ip.dsfield'], p + 1, 1, b[p + 1], 1);
  d.add(f['ip.dsfield.dscp'], p + 1, 1, b[p + 1] >> 2, 2);
  d.add(f['ip.dsfield.ecn'], p + 1, 1, b[p + 1] & 3, 2);
  d.add(f['ip.len'], p + 2, 2, tot, 1);
  if (ihl < 20) { return end; } // Wireshark: bogus header length, stop
  d.add(f['ip.id'], p + 4, 2, u16(b, p + 4), 1);
  const fo = u16(b, p + 6);
  d.add(f['ip.flags'], p + 6, 1, fo >> 13, 1);
  d.add(f['ip.flags.rb'], p + 6, 1, (fo >> 15) & 1, 2);
  d.add(f['ip.flags.df'], p + 6, 1, (fo >> 14) & 1, 2);
  d.add(f['ip.flags.mf'], p + 6, 1, (fo >> 13) & 1, 2);
  d.add(f['ip.frag_offset'], p + 6, 2, fo & 0x1fff, 1);
  d.add(f['ip.ttl'], p + 8, 1, b[p + 8], 1);
  const proto = b[p + 9];
  d.add(f['ip.proto'], p + 9, 1, proto, 1);
  d.add(f['ip.checksum'], p + 10, 2, u16(b, p + 10), 1);
  let status = 2;
  if (st.ctx.validateChecksums && p + ihl <= st.capEnd) status = foldSum(onesSum(b, p, ihl)) === 0xffff ? 1 : 0;
  d.add(f['ip.checksum.status'], p + 10, 0, status, 1, ITEM_GENERATED);
  const src = u32(b, p + 12), dst = u32(b, p + 16);
  d.add(f['ip.src'], p + 12, 4, src, 1);
  d.add(f['ip.addr'], p + 12, 4, src, 1, ITEM_HIDDEN);
  d.addString(f['ip.src_host'], p + 12, 4, formatIPv4Word(src), 1, ITEM_HIDDEN);
  d.addString(f['ip.host'], p + 12, 4, formatIPv4Word(src), 1, ITEM_HIDDEN);
  d.add(f['ip.dst'], p + 16, 4, dst, 1);
  d.add(f['ip.addr'], p + 16, 4, dst, 1, ITEM_HIDDEN);
  d.addString(f['ip.dst_host'], p + 16, 4, formatIPv4Word(dst), 1, ITEM_HIDDEN);
  d.addString(f['ip.host'], p + 16, 4, formatIPv4Word(dst), 1, ITEM_HIDDEN);
  if (tot < ihl) return end; // "Bogus IP length": Wireshark stops here
  // Options.
  if (ihl > 20) {
    if (!need(p, ihl, end)) return end;
    let o = p + 20;
    const oe = p + ihl;
    while (o < oe) {
      const t = b[o];
      d.add(f['ip.opt.type'], o, 1, t, 2);
      if (t === 0) break;
      if (t === 1) { o++; continue; }
      if (o + 1 >= oe) break;
      const ol = b[o + 1];
      d.add(f['ip.opt.len'], o + 1, 1, ol, 2);
      if (ol < 2) break;
      o += ol;
    }
  }
  // The datagram ends at tot_len (the rest is Ethernet padding/trailer).
  const dgEnd = Math.min(end, p + tot);
  const savedRep = st.repEnd;
  st.repEnd = Math.min(st.repEnd, p + tot);
  st.ipVersion = 4; st.ipSrcOff = p + 12; st.ipDstOff = p + 16; st.ipSrcWord = src; st.ipDstWord = dst;
  const payload = p + ihl;
  if ((fo & 0x1fff) !== 0) {
    data(payload, dgEnd); // a later fragment: no L4 header here
  } else if ((fo & 0x2000) !== 0 && proto !== 6 && proto !== 17 && proto !== 1) {
    data(payload, dgEnd);
  } else {
    ipPayload(proto, payload, dgEnd, p + tot, (fo & 0x2000) !== 0);
  }
  st.repEnd = savedRep;
  return p + tot > end ? end : p + tot;
}

/** `repEnd` is where the IP datagram says its payload ends (for lengths and checksums). */
function ipPayload(proto: number, p: number, end: number, ipEnd: number, firstFragment: boolean): void {
  switch (proto) {
    case 6: tcp(p, end, ipEnd, firstFragment); return;
    case 17: udp(p, end, ipEnd, firstFragment); return;
    case 1: icmp(p, end); return;
    case 58: icmpv6(p, end); return;
    case 47: gre(p, end); return;
    case 4: ipv4(p, end); return;
    case 41: ipv6(p, end); return;
    default: data(p, end);
  }
}

function ipv6(p: number, end: number): number {
  const d = st.d;
  const b = st.buf;
  st.protos.push('ipv6');
  st.current = 'ipv6';
  if (!need(p, 40, end)) return end;
  const w0 = u32(b, p);
  const plen = u16(b, p + 4);
  d.add(f.ipv6, p, 40, 0, 0);
  d.add(f['ipv6.version'], p, 1, w0 >>> 28, 1);
  d.add(f['ip.version'], p, 1, w0 >>> 28, 1, ITEM_HIDDEN);
  d.add(f['ipv6.tclass'], p, 4, (w0 >>> 20) & 0xff, 1);
  d.add(f['ipv6.tclass.dscp'], p, 4, (w0 >>> 22) & 0x3f, 2);
  d.add(f['ipv6.tclass.ecn'], p, 4, (w0 >>> 20) & 3, 2);
  d.add(f['ipv6.flow'], p + 1, 3, w0 & 0xfffff, 1);
  d.add(f['ipv6.plen'], p + 4, 2, plen, 1);
  let nh = b[p + 6];
  d.add(f['ipv6.nxt'], p + 6, 1, nh, 1);
  d.add(f['ipv6.hlim'], p + 7, 1, b[p + 7], 1);
  d.add(f['ipv6.src'], p + 8, 16, 0, 1);
  d.add(f['ipv6.addr'], p + 8, 16, 0, 1, ITEM_HIDDEN);
  const srcText = formatIPv6(b, p + 8), dstText = formatIPv6(b, p + 24);
  d.addString(f['ipv6.src_host'], p + 8, 16, srcText, 1, ITEM_HIDDEN);
  d.addString(f['ipv6.host'], p + 8, 16, srcText, 1, ITEM_HIDDEN);
  d.add(f['ipv6.dst'], p + 24, 16, 0, 1);
  d.add(f['ipv6.addr'], p + 24, 16, 0, 1, ITEM_HIDDEN);
  d.addString(f['ipv6.dst_host'], p + 24, 16, dstText, 1, ITEM_HIDDEN);
  d.addString(f['ipv6.host'], p + 24, 16, dstText, 1, ITEM_HIDDEN);
  const ipEnd = p + 40 + plen;
  const dgEnd = Math.min(end, ipEnd);
  const savedRep = st.repEnd;
  st.repEnd = Math.min(st.repEnd, ipEnd);
  st.ipVersion = 6; st.ipSrcOff = p + 8; st.ipDstOff = p + 24;
  let q = p + 40;
  let first = true;
  let fragment = false;
  for (let guard = 0; guard < 32 && !st.stopped; guard++) {
    if (nh === 0) {
      st.protos.push('ipv6.hopopts');
      if (!need(q, 2, dgEnd)) break;
      const hl = (b[q + 1] + 1) * 8;
      d.add(f['ipv6.hopopts'], q, hl, 0, 0);
      d.add(f['ipv6.hopopts.nxt'], q, 1, b[q], 1);
      d.add(f['ipv6.hopopts.len'], q + 1, 1, b[q + 1], 1);
      d.add(f['ipv6.hopopts.len_oct'], q + 1, 0, hl, 1, ITEM_GENERATED);
      if (!need(q, hl, dgEnd)) break;
      let o = q + 2;
      while (o < q + hl) {
        const t = b[o];
        d.add(f['ipv6.opt.type'], o, 1, t, 2);
        if (t === 0) { o++; continue; } // Pad1
        if (o + 1 >= q + hl) break;
        const ol = b[o + 1];
        d.add(f['ipv6.opt.length'], o + 1, 1, ol, 2);
        if (t === 1) d.add(f['ipv6.opt.padn'], o + 2, ol, 0, 2);
        else if (t === 5 && ol === 2) d.add(f['ipv6.opt.router_alert'], o + 2, 2, u16(b, o + 2), 2);
        o += 2 + ol;
      }
      nh = b[q];
      q += hl;
      continue;
    }
    if (nh === 44) {
      st.protos.push('ipv6.fraghdr');
      if (!need(q, 8, dgEnd)) break;
      const fo = u16(b, q + 2);
      d.add(f['ipv6.fraghdr'], q, 8, 0, 0);
      d.add(f['ipv6.fraghdr.nxt'], q, 1, b[q], 1);
      d.add(f['ipv6.fraghdr.reserved_octet'], q + 1, 1, b[q + 1], 1);
      d.add(f['ipv6.fraghdr.offset'], q + 2, 2, fo >> 3, 1);
      d.add(f['ipv6.fraghdr.reserved_bits'], q + 2, 2, (fo >> 1) & 3, 1);
      d.add(f['ipv6.fraghdr.more'], q + 2, 2, fo & 1, 1);
      d.add(f['ipv6.fraghdr.ident'], q + 4, 4, u32(b, q + 4), 1);
      fragment = true;
      first = (fo >> 3) === 0;
      nh = b[q];
      q += 8;
      if (!first) break;
      continue;
    }
    break;
  }
  if (!st.stopped) {
    if (fragment && !first) data(q, dgEnd);
    else if (nh === 59) { /* no next header */ }
    else ipPayload(nh, q, dgEnd, ipEnd, fragment);
  }
  st.repEnd = savedRep;
  return ipEnd > end ? end : ipEnd;
}

function l4Status(p: number, l4len: number, proto: number, csumOff: number, enabled: boolean): number {
  if (!enabled) return 2;
  if (p + l4len > st.capEnd) return 2;
  const b = st.buf;
  const ps = st.ipVersion === 4 ? pseudoHeaderSumV4(b, st.ipSrcOff, st.ipDstOff, proto, l4len)
    : pseudoHeaderSumV6(b, st.ipSrcOff, st.ipDstOff, proto, l4len);
  void csumOff;
  return foldSum(onesSum(b, p, l4len, ps)) === 0xffff ? 1 : 0;
}

function addrKey(): string {
  if (st.ipVersion === 4) return `${st.ipSrcWord}`;
  return formatIPv6(st.buf, st.ipSrcOff);
}
function addrKeyDst(): string {
  if (st.ipVersion === 4) return `${st.ipDstWord}`;
  return formatIPv6(st.buf, st.ipDstOff);
}

function flowKey(sport: number, dport: number): { key: string; dir: 0 | 1 } {
  const a = addrKey() + '/' + sport, z = addrKeyDst() + '/' + dport;
  return a <= z ? { key: a + '|' + z, dir: 0 } : { key: z + '|' + a, dir: 1 };
}

const TCP_FLAG_CHARS = 'RRRACEUAPRSF';

function tcp(p: number, end: number, ipEnd: number, _frag: boolean): void {
  const d = st.d;
  const b = st.buf;
  st.protos.push('tcp');
  st.current = 'tcp';
  if (!need(p, 4, end)) return;
  const sport = u16(b, p), dport = u16(b, p + 2);
  const tcpItem = d.add(f.tcp, p, 20, 0, 0);
  d.add(f['tcp.srcport'], p, 2, sport, 1);
  d.add(f['tcp.dstport'], p + 2, 2, dport, 1);
  d.add(f['tcp.port'], p, 2, sport, 1, ITEM_HIDDEN);
  d.add(f['tcp.port'], p + 2, 2, dport, 1, ITEM_HIDDEN);
  if (!need(p, 20, end)) return;
  const { key, dir } = flowKey(sport, dport);
  const stream = st.ctx.tcpStream(key);
  d.add(f['tcp.stream'], p, 0, stream.index, 1, ITEM_GENERATED);
  const hl = (b[p + 12] >> 4) * 4;
  const flags = ((b[p + 12] & 0x0f) << 8) | b[p + 13];
  const seq = u32(b, p + 4), ack = u32(b, p + 8);
  const segLen = Math.max(0, Math.min(ipEnd, st.repEnd) - p - hl);
  const fwd = stream.dirs[dir], rev = stream.dirs[1 - dir];
  const syn = (flags & 2) !== 0, ackf = (flags & 0x10) !== 0, fin = (flags & 1) !== 0;
  if (syn) { fwd.base = seq; fwd.baseSet = true; }
  else if (!fwd.baseSet) { fwd.base = seq - 1; fwd.baseSet = true; }
  if (ackf && !rev.baseSet) { rev.base = ack - 1; rev.baseSet = true; }
  d.add(f['tcp.len'], p, 0, segLen, 1, ITEM_GENERATED);
  const relSeq = (seq - fwd.base) >>> 0;
  d.add(f['tcp.seq'], p + 4, 4, relSeq, 1);
  d.add(f['tcp.seq_raw'], p + 4, 4, seq, 1);
  d.add(f['tcp.nxtseq'], p, 0, (relSeq + segLen + (syn || fin ? 1 : 0)) >>> 0, 1, ITEM_GENERATED);
  d.add(f['tcp.ack'], p + 8, 4, ackf ? (ack - rev.base) >>> 0 : ack, 1);
  d.add(f['tcp.ack_raw'], p + 8, 4, ack, 1);
  d.add(f['tcp.hdr_len'], p + 12, 1, hl, 1);
  d.len[tcpItem] = Math.max(0, Math.min(hl, b.length - p));
  d.add(f['tcp.flags'], p + 12, 2, flags, 1);
  d.add(f['tcp.flags.res'], p + 12, 2, (flags >> 9) & 7 ? 1 : 0, 2);
  d.add(f['tcp.flags.ae'], p + 12, 2, (flags >> 8) & 1, 2);
  d.add(f['tcp.flags.cwr'], p + 12, 2, (flags >> 7) & 1, 2);
  d.add(f['tcp.flags.ece'], p + 12, 2, (flags >> 6) & 1, 2);
  d.add(f['tcp.flags.urg'], p + 12, 2, (flags >> 5) & 1, 2);
  d.add(f['tcp.flags.ack'], p + 12, 2, (flags >> 4) & 1, 2);
  d.add(f['tcp.flags.push'], p + 12, 2, (flags >> 3) & 1, 2);
  d.add(f['tcp.flags.reset'], p + 12, 2, (flags >> 2) & 1, 2);
  d.add(f['tcp.flags.syn'], p + 12, 2, (flags >> 1) & 1, 2);
  d.add(f['tcp.flags.fin'], p + 12, 2, flags & 1, 2);
  let fs = '';
  for (let k = 0; k < 12; k++) fs += flags & (1 << (11 - k)) ? TCP_FLAG_CHARS[k] : '\u00b7';
  d.addString(f['tcp.flags.str'], p + 12, 2, fs, 2, ITEM_GENERATED);
  const win = u16(b, p + 14);
  d.add(f['tcp.window_size_value'], p + 14, 2, win, 1);
  // Window scaling: known once both SYNs were seen; SYN segments are never scaled.
  let wscaleThisPacket = -1;
  if (hl > 20 && p + hl <= st.capEnd) {
    for (let o = p + 20; o < p + hl;) {
      const k = b[o];
      if (k === 0) break;
      if (k === 1) { o++; continue; }
      if (o + 1 >= p + hl) break;
      const ol = b[o + 1];
      if (ol < 2) break;
      if (k === 3 && ol === 3) wscaleThisPacket = Math.min(b[o + 2], 14);
      o += ol;
    }
  }
  if (syn) { fwd.synSeen = true; fwd.wscale = wscaleThisPacket >= 0 ? wscaleThisPacket : -2; }
  if (syn) {
    d.add(f['tcp.window_size'], p + 14, 2, win, 1, ITEM_GENERATED);
  } else {
    let factor = -1;
    if (fwd.synSeen && rev.synSeen) factor = fwd.wscale >= 0 && rev.wscale >= 0 ? 1 << fwd.wscale : -2;
    d.add(f['tcp.window_size'], p + 14, 2, factor > 0 ? win * factor : win, 1, ITEM_GENERATED);
    d.add(f['tcp.window_size_scalefactor'], p + 14, 0, factor, 1, ITEM_GENERATED);
  }
  d.add(f['tcp.checksum'], p + 16, 2, u16(b, p + 16), 1);
  const l4len = Math.min(ipEnd, st.repEnd) - p;
  d.add(f['tcp.checksum.status'], p + 16, 0, l4Status(p, l4len, 6, 16, st.ctx.validateChecksums), 1, ITEM_GENERATED);
  d.add(f['tcp.urgent_pointer'], p + 18, 2, u16(b, p + 18), 1);
  if (hl < 20) return; // bogus header length
  if (hl > 20) {
    if (!need(p, hl, end)) return;
    d.add(f['tcp.options'], p + 20, hl - 20, 0, 1);
    tcpOptions(p + 20, p + hl, rev);
  }
  const pay = p + hl;
  const payEnd = Math.min(end, p + hl + segLen);
  if (segLen > 0 && payEnd > pay) {
    d.add(f['tcp.payload'], pay, payEnd - pay, 0, 1);
    data(pay, payEnd);
    if (payEnd < pay + segLen) need(pay, segLen, end);
  }
}

function tcpOptions(o: number, oe: number, rev: TcpDir): void {
  const d = st.d;
  const b = st.buf;
  while (o < oe) {
    const k = b[o];
    d.add(f['tcp.option_kind'], o, 1, k, 2);
    if (k === 0) break;
    if (k === 1) { o++; continue; }
    if (o + 1 >= oe) break;
    const ol = b[o + 1];
    d.add(f['tcp.option_len'], o + 1, 1, ol, 2);
    if (ol < 2 || o + ol > oe) break;
    switch (k) {
      case 2: if (ol === 4) d.add(f['tcp.options.mss_val'], o + 2, 2, u16(b, o + 2), 2); break;
      case 3: if (ol === 3) {
        d.add(f['tcp.options.wscale.shift'], o + 2, 1, b[o + 2], 2);
        d.add(f['tcp.options.wscale.multiplier'], o + 2, 1, Math.pow(2, Math.min(b[o + 2], 14)), 2, ITEM_GENERATED);
      } break;
      case 5: for (let s = o + 2; s + 8 <= o + ol; s += 8) {
        const base = rev.baseSet ? rev.base : 0;
        d.add(f['tcp.options.sack_le'], s, 4, (u32(b, s) - base) >>> 0, 2);
        d.add(f['tcp.options.sack_re'], s + 4, 4, (u32(b, s + 4) - base) >>> 0, 2);
      } break;
      case 8: if (ol === 10) {
        d.add(f['tcp.options.timestamp.tsval'], o + 2, 4, u32(b, o + 2), 2);
        d.add(f['tcp.options.timestamp.tsecr'], o + 6, 4, u32(b, o + 6), 2);
      } break;
    }
    o += ol;
  }
}

function udp(p: number, end: number, ipEnd: number, frag: boolean): void {
  const d = st.d;
  const b = st.buf;
  st.protos.push('udp');
  st.current = 'udp';
  if (!need(p, 8, end)) return;
  const sport = u16(b, p), dport = u16(b, p + 2), ulen = u16(b, p + 4);
  d.add(f.udp, p, 8, 0, 0);
  d.add(f['udp.srcport'], p, 2, sport, 1);
  d.add(f['udp.dstport'], p + 2, 2, dport, 1);
  d.add(f['udp.port'], p, 2, sport, 1, ITEM_HIDDEN);
  d.add(f['udp.port'], p + 2, 2, dport, 1, ITEM_HIDDEN);
  d.add(f['udp.length'], p + 4, 2, ulen, 1);
  const csum = u16(b, p + 6);
  d.add(f['udp.checksum'], p + 6, 2, csum, 1);
  const status = csum === 0 && st.ipVersion === 4 ? 3 : frag ? 2 : l4Status(p, ulen, 17, 6, st.ctx.validateChecksums);
  d.add(f['udp.checksum.status'], p + 6, 0, status, 1, ITEM_GENERATED);
  const { key } = flowKey(sport, dport);
  d.add(f['udp.stream'], p, 0, st.ctx.udpStream(key), 1, ITEM_GENERATED);
  if (ulen < 8) return;
  const payEnd = Math.min(end, p + ulen, ipEnd);
  const pay = p + 8;
  if (payEnd <= pay) return;
  d.add(f['udp.payload'], pay, payEnd - pay, 0, 1);
  const lo = Math.min(sport, dport), hi = Math.max(sport, dport);
  void frag;
  if (lo === 53 || hi === 53) dns(pay, payEnd);
  else if (lo === 4789 || hi === 4789) vxlan(pay, payEnd);
  else if (lo === 6081 || hi === 6081) geneve(pay, payEnd);
  else data(pay, payEnd);
}

function icmpChecksumStatus(p: number, len: number, v6: boolean): number {
  if (p + len > st.capEnd) return 2;
  const b = st.buf;
  const ps = v6 ? pseudoHeaderSumV6(b, st.ipSrcOff, st.ipDstOff, 58, len) : 0;
  return foldSum(onesSum(b, p, len, ps)) === 0xffff ? 1 : 0;
}

function icmp(p: number, end: number): void {
  const d = st.d;
  const b = st.buf;
  st.protos.push('icmp');
  st.current = 'icmp';
  if (!need(p, 4, end)) return;
  const type = b[p];
  d.add(f.icmp, p, end - p, 0, 0);
  d.add(f['icmp.type'], p, 1, type, 1);
  d.add(f['icmp.code'], p + 1, 1, b[p + 1], 1);
  d.add(f['icmp.checksum'], p + 2, 2, u16(b, p + 2), 1);
  d.add(f['icmp.checksum.status'], p + 2, 0, icmpChecksumStatus(p, Math.min(end, st.repEnd) - p, false), 1, ITEM_GENERATED);
  if (type === 0 || type === 8) {
    if (!need(p, 8, end)) return;
    const id = u16(b, p + 4), sq = u16(b, p + 6);
    d.add(f['icmp.ident'], p + 4, 2, id, 1);
    d.add(f['icmp.ident_le'], p + 4, 2, ((id & 255) << 8) | (id >> 8), 1);
    d.add(f['icmp.seq'], p + 6, 2, sq, 1);
    d.add(f['icmp.seq_le'], p + 6, 2, ((sq & 255) << 8) | (sq >> 8), 1);
    data(p + 8, end);
    return;
  }
  if (end > p + 8) data(p + 8, end);
}

function icmpv6(p: number, end: number): void {
  const d = st.d;
  const b = st.buf;
  st.protos.push('icmpv6');
  st.current = 'icmpv6';
  if (!need(p, 4, end)) return;
  const type = b[p];
  d.add(f.icmpv6, p, end - p, 0, 0);
  d.add(f['icmpv6.type'], p, 1, type, 1);
  d.add(f['icmpv6.code'], p + 1, 1, b[p + 1], 1);
  d.add(f['icmpv6.checksum'], p + 2, 2, u16(b, p + 2), 1);
  d.add(f['icmpv6.checksum.status'], p + 2, 0, icmpChecksumStatus(p, Math.min(end, st.repEnd) - p, true), 1, ITEM_GENERATED);
  if (type === 128 || type === 129) {
    if (!need(p, 8, end)) return;
    d.add(f['icmpv6.echo.identifier'], p + 4, 2, u16(b, p + 4), 1);
    d.add(f['icmpv6.echo.sequence_number'], p + 6, 2, u16(b, p + 6), 1);
    data(p + 8, end);
  }
}

function gre(p: number, end: number): void {
  const d = st.d;
  const b = st.buf;
  st.protos.push('gre');
  st.current = 'gre';
  if (!need(p, 4, end)) return;
  const fv = u16(b, p);
  const proto = u16(b, p + 2);
  d.add(f.gre, p, 4, 0, 0);
  d.add(f['gre.flags_and_version'], p, 2, fv, 1);
  d.add(f['gre.flags.checksum'], p, 2, (fv >> 15) & 1, 2);
  d.add(f['gre.flags.routing'], p, 2, (fv >> 14) & 1, 2);
  d.add(f['gre.flags.key'], p, 2, (fv >> 13) & 1, 2);
  d.add(f['gre.flags.sequence_number'], p, 2, (fv >> 12) & 1, 2);
  d.add(f['gre.flags.strict_source_route'], p, 2, (fv >> 11) & 1, 2);
  d.add(f['gre.flags.recursion_control'], p, 2, (fv >> 8) & 7, 2);
  if ((fv & 7) === 1) d.add(f['gre.flags.ack'], p, 2, (fv >> 7) & 1, 2); // enhanced GRE (PPTP) only
  d.add(f['gre.flags.reserved'], p, 2, ((fv & 7) === 1 ? (fv >> 3) & 0xf : (fv >> 3) & 0x1f), 2);
  d.add(f['gre.flags.version'], p, 2, fv & 7, 2);
  d.add(f['gre.proto'], p + 2, 2, proto, 1);
  let o = p + 4;
  if (fv & 0xc000) {
    if (!need(o, 4, end)) return;
    d.add(f['gre.checksum'], o, 2, u16(b, o), 1);
    d.add(f['gre.offset'], o + 2, 2, u16(b, o + 2), 1);
    o += 4;
  }
  if (fv & 0x2000) { if (!need(o, 4, end)) return; d.add(f['gre.key'], o, 4, u32(b, o), 1); o += 4; }
  if (fv & 0x1000) { if (!need(o, 4, end)) return; d.add(f['gre.sequence_number'], o, 4, u32(b, o), 1); o += 4; }
  if (fv & 0x4000) { data(o, end); return; } // source routing: not decoded
  switch (proto) {
    case 0x0800: ipv4(o, end); return;
    case 0x86dd: ipv6(o, end); return;
    case 0x6558: ethernet(o, end, 0); return;
    default: data(o, end);
  }
}

function vxlan(p: number, end: number): void {
  const d = st.d;
  const b = st.buf;
  st.protos.push('vxlan');
  st.current = 'vxlan';
  if (!need(p, 8, end)) return;
  const fl = u16(b, p);
  d.add(f.vxlan, p, 8, 0, 0);
  d.add(f['vxlan.flags'], p, 2, fl, 1);
  d.add(f['vxlan.flag_g'], p, 2, (fl >> 15) & 1, 2);
  d.add(f['vxlan.flag_i'], p, 2, (fl >> 11) & 1, 2);
  d.add(f['vxlan.flag_d'], p, 2, (fl >> 6) & 1, 2);
  d.add(f['vxlan.flag_a'], p, 2, (fl >> 3) & 1, 2);
  d.add(f['vxlan.flags_reserved'], p, 2, fl & 0x77b7, 2);
  d.add(f['vxlan.gbp'], p + 2, 2, u16(b, p + 2), 1);
  d.add(f['vxlan.vni'], p + 4, 3, (b[p + 4] << 16) | (b[p + 5] << 8) | b[p + 6], 1);
  ethernet(p + 8, end, 0);
}

function geneve(p: number, end: number): void {
  const d = st.d;
  const b = st.buf;
  st.protos.push('geneve');
  st.current = 'geneve';
  if (!need(p, 8, end)) return;
  const optLen = (b[p] & 0x3f) * 4;
  d.add(f.geneve, p, 8 + optLen, 0, 0);
  d.add(f['geneve.version'], p, 1, b[p] >> 6, 1);
  d.add(f['geneve.flags'], p + 1, 1, b[p + 1], 1);
  d.add(f['geneve.flags.oam'], p + 1, 1, (b[p + 1] >> 7) & 1, 2);
  d.add(f['geneve.flags.critical'], p + 1, 1, (b[p + 1] >> 6) & 1, 2);
  d.add(f['geneve.flags.reserved'], p + 1, 1, b[p + 1] & 0x3f ? 1 : 0, 2);
  const proto = u16(b, p + 2);
  d.add(f['geneve.proto_type'], p + 2, 2, proto, 1);
  d.add(f['geneve.vni'], p + 4, 3, (b[p + 4] << 16) | (b[p + 5] << 8) | b[p + 6], 1);
  d.add(f['geneve.reserved'], p + 7, 1, b[p + 7], 1);
  if (optLen > 0) {
    if (!need(p + 8, optLen, end)) return;
    d.add(f['geneve.options'], p + 8, optLen, 0, 1);
  }
  const q = p + 8 + optLen;
  if (proto === 0x6558) ethernet(q, end, 0);
  else if (proto === 0x0800) ipv4(q, end);
  else if (proto === 0x86dd) ipv6(q, end);
  else data(q, end);
}

function dns(p: number, end: number): void {
  const d = st.d;
  const b = st.buf;
  st.protos.push('dns');
  st.current = 'dns';
  if (!need(p, 12, end)) return;
  const fl = u16(b, p + 2);
  d.add(f.dns, p, end - p, 0, 0);
  d.add(f['dns.id'], p, 2, u16(b, p), 1);
  d.add(f['dns.flags'], p + 2, 2, fl, 1);
  d.add(f['dns.flags.response'], p + 2, 2, (fl >> 15) & 1, 2);
  d.add(f['dns.flags.opcode'], p + 2, 2, (fl >> 11) & 15, 2);
  d.add(f['dns.flags.truncated'], p + 2, 2, (fl >> 9) & 1, 2);
  d.add(f['dns.flags.recdesired'], p + 2, 2, (fl >> 8) & 1, 2);
  d.add(f['dns.flags.z'], p + 2, 2, (fl >> 6) & 1, 2);
  d.add(f['dns.flags.checkdisable'], p + 2, 2, (fl >> 4) & 1, 2);
  const qd = u16(b, p + 4);
  d.add(f['dns.count.queries'], p + 4, 2, qd, 1);
  d.add(f['dns.count.answers'], p + 6, 2, u16(b, p + 6), 1);
  d.add(f['dns.count.auth_rr'], p + 8, 2, u16(b, p + 8), 1);
  d.add(f['dns.count.add_rr'], p + 10, 2, u16(b, p + 10), 1);
  let o = p + 12;
  for (let q = 0; q < qd && q < 16; q++) {
    const start = o;
    let name = '';
    let labels = 0;
    let jumped = false;
    let guard = 0;
    let cur = o;
    for (;;) {
      if (!need(cur, 1, end)) return;
      const l = b[cur];
      if (l === 0) { if (!jumped) o = cur + 1; break; }
      if ((l & 0xc0) === 0xc0) {
        if (!need(cur, 2, end)) return;
        if (!jumped) o = cur + 2;
        jumped = true;
        cur = p + (((l & 0x3f) << 8) | b[cur + 1]);
        if (++guard > 32) break;
        continue;
      }
      if (!need(cur + 1, l, end)) return;
      if (labels) name += '.';
      for (let k = 0; k < l; k++) name += String.fromCharCode(b[cur + 1 + k]);
      labels++;
      cur += 1 + l;
    }
    if (!need(o, 4, end)) return;
    const shown = labels === 0 ? '<Root>' : name;
    d.addString(f['dns.qry.name'], start, o - start, shown, 2);
    d.add(f['dns.qry.name.len'], start, o - start, labels === 0 ? 6 : name.length, 2, ITEM_GENERATED);
    d.add(f['dns.count.labels'], start, o - start, labels, 2, ITEM_GENERATED);
    d.add(f['dns.qry.type'], o, 2, u16(b, o), 2);
    d.add(f['dns.qry.class'], o + 2, 2, u16(b, o + 2) & 0x7fff, 2);
    o += 4;
  }
}
