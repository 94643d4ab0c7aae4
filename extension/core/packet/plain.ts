/**
 * The plain-packet dissector: for the common shapes (Ethernet / SLL / raw IP, 802.1Q and 802.1ad
 * tags, IPv4 with or without options and fragments, IPv6 with hop-by-hop and fragment headers,
 * TCP, UDP, ICMP, ICMPv6) it stores the `PLAIN_FIELDS` of a packet read in place (no copy, no
 * allocation), exactly as `dissect.ts` would store them: same items, same order, same offsets,
 * values and flags. Anything else — tunnels (VXLAN, Geneve, GRE, IP in IP), a header cut short,
 * a bogus length — it declines, and the caller runs the full dissector. It is what makes `-e`
 * extraction and a filter's first column fill cheap. No Node imports.
 *
 * Not computed here (so not in PLAIN_FIELDS): conversation state (tcp.stream, relative sequence
 * numbers, window scaling), checksum status, time and interface fields, text items, the
 * malformed/short markers (`d.malformed`/`d.short` stay false).
 *
 * API
 *   PLAIN_FIELDS: number[]          field ids this dissector stores
 *   isPlainField(fid) -> boolean
 *   dissectPlain(buf, at, capLen, origLen, linkType, number, d) -> boolean
 *       packet bytes are buf[at, at + capLen); `d.want` must be set and hold only PLAIN_FIELDS.
 *       true: `d` holds the packet's items (offsets in `buf`, `d.origin` = at); false: not a plain
 *       packet (`d` is left in an unspecified state; dissect it with dissectFrame).
 *   walkPlain(buf, at, capLen, origLen, linkType, number, want, sink) -> boolean
 *       the same walk handing each item to sink.item(fid, start - at, len, value) (column fills)
 */
import { Dissection, ITEM_GENERATED, ITEM_HIDDEN } from './dissection';
import { F } from './fields';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from './flow';

const FRAME_NUMBER = F['frame.number'], FRAME_LEN = F['frame.len'], FRAME_CAP_LEN = F['frame.cap_len'];
const ETH = F['eth'], ETH_DST = F['eth.dst'], ETH_SRC = F['eth.src'], ETH_ADDR = F['eth.addr'], ETH_TYPE = F['eth.type'];
const VLAN = F['vlan'], VLAN_PRIORITY = F['vlan.priority'], VLAN_DEI = F['vlan.dei'], VLAN_ID = F['vlan.id'], VLAN_ETYPE = F['vlan.etype'];
const IP = F['ip'], IP_VERSION = F['ip.version'], IP_HDR_LEN = F['ip.hdr_len'], IP_DSFIELD = F['ip.dsfield'], IP_LEN = F['ip.len'];
const IP_ID = F['ip.id'], IP_FLAGS = F['ip.flags'], IP_FLAGS_DF = F['ip.flags.df'], IP_FLAGS_MF = F['ip.flags.mf'];
const IP_FRAG_OFFSET = F['ip.frag_offset'], IP_TTL = F['ip.ttl'], IP_PROTO = F['ip.proto'], IP_CHECKSUM = F['ip.checksum'];
const IP_SRC = F['ip.src'], IP_ADDR = F['ip.addr'], IP_DST = F['ip.dst'];
const IPV6 = F['ipv6'], IPV6_VERSION = F['ipv6.version'], IPV6_FLOW = F['ipv6.flow'], IPV6_PLEN = F['ipv6.plen'];
const IPV6_NXT = F['ipv6.nxt'], IPV6_HLIM = F['ipv6.hlim'], IPV6_SRC = F['ipv6.src'], IPV6_ADDR = F['ipv6.addr'], IPV6_DST = F['ipv6.dst'];
const TCP = F['tcp'], TCP_SRCPORT = F['tcp.srcport'], TCP_DSTPORT = F['tcp.dstport'], TCP_PORT = F['tcp.port'], TCP_LEN = F['tcp.len'];
const TCP_SEQ_RAW = F['tcp.seq_raw'], TCP_ACK_RAW = F['tcp.ack_raw'], TCP_HDR_LEN = F['tcp.hdr_len'], TCP_FLAGS = F['tcp.flags'];
const TCP_FLAGS_ACK = F['tcp.flags.ack'], TCP_FLAGS_PUSH = F['tcp.flags.push'], TCP_FLAGS_RESET = F['tcp.flags.reset'];
const TCP_FLAGS_SYN = F['tcp.flags.syn'], TCP_FLAGS_FIN = F['tcp.flags.fin'], TCP_WINDOW_SIZE_VALUE = F['tcp.window_size_value'];
const TCP_CHECKSUM = F['tcp.checksum'], TCP_URGENT_POINTER = F['tcp.urgent_pointer'];
const UDP = F['udp'], UDP_SRCPORT = F['udp.srcport'], UDP_DSTPORT = F['udp.dstport'], UDP_PORT = F['udp.port'];
const UDP_LENGTH = F['udp.length'], UDP_CHECKSUM = F['udp.checksum'];
const ICMP = F['icmp'], ICMP_TYPE = F['icmp.type'], ICMP_CODE = F['icmp.code'], ICMP_CHECKSUM = F['icmp.checksum'];
const ICMPV6 = F['icmpv6'], ICMPV6_TYPE = F['icmpv6.type'], ICMPV6_CODE = F['icmpv6.code'], ICMPV6_CHECKSUM = F['icmpv6.checksum'];

// Each layer's items in the order dissect.ts stores them, as rows [field, offset from the header,
// length, tree depth, flags] ("slots": ip.addr is stored twice, after ip.src and after ip.dst). A
// want mask becomes, per layer, the list of slots to store, so a packet costs one loop step per
// wanted item. Values come from one small switch per layer, and one put() per layer stores them.
const H = ITEM_HIDDEN, G = ITEM_GENERATED;
type Row = [fid: number, off: number, len: number, depth: number, flags: number];
interface Layer { rows: Row[]; fid: Int32Array; off: Int32Array; len: Int32Array; depth: Uint8Array; flags: Uint8Array }
function layer(rows: Row[]): Layer {
  return {
    rows, fid: Int32Array.from(rows, (r) => r[0]), off: Int32Array.from(rows, (r) => r[1]), len: Int32Array.from(rows, (r) => r[2]),
    depth: Uint8Array.from(rows, (r) => r[3]), flags: Uint8Array.from(rows, (r) => r[4]),
  };
}
const L_FRAME = layer([[FRAME_NUMBER, 0, 0, 1, 0], [FRAME_LEN, 0, 0, 1, 0], [FRAME_CAP_LEN, 0, 0, 1, 0]]);
const L_ETH = layer([[ETH, 0, 14, 0, 0], [ETH_DST, 0, 6, 1, 0], [ETH_ADDR, 0, 6, 1, H], [ETH_SRC, 6, 6, 1, 0], [ETH_ADDR, 6, 6, 1, H],
  [ETH_TYPE, 12, 2, 1, 0]]);
const L_VLAN = layer([[VLAN, 0, 4, 0, 0], [VLAN_PRIORITY, 0, 2, 1, 0], [VLAN_DEI, 0, 2, 1, 0], [VLAN_ID, 0, 2, 1, 0], [VLAN_ETYPE, 2, 2, 1, 0]]);
const L_IP = layer([[IP, 0, 20, 0, 0], [IP_VERSION, 0, 1, 1, 0], [IP_HDR_LEN, 0, 1, 1, 0], [IP_DSFIELD, 1, 1, 1, 0], [IP_LEN, 2, 2, 1, 0],
  [IP_ID, 4, 2, 1, 0], [IP_FLAGS, 6, 1, 1, 0], [IP_FLAGS_DF, 6, 1, 2, 0], [IP_FLAGS_MF, 6, 1, 2, 0], [IP_FRAG_OFFSET, 6, 2, 1, 0],
  [IP_TTL, 8, 1, 1, 0], [IP_PROTO, 9, 1, 1, 0], [IP_CHECKSUM, 10, 2, 1, 0], [IP_SRC, 12, 4, 1, 0], [IP_ADDR, 12, 4, 1, H],
  [IP_DST, 16, 4, 1, 0], [IP_ADDR, 16, 4, 1, H]]);
const L_IPV6 = layer([[IPV6, 0, 40, 0, 0], [IPV6_VERSION, 0, 1, 1, 0], [IP_VERSION, 0, 1, 1, H], [IPV6_FLOW, 1, 3, 1, 0], [IPV6_PLEN, 4, 2, 1, 0],
  [IPV6_NXT, 6, 1, 1, 0], [IPV6_HLIM, 7, 1, 1, 0], [IPV6_SRC, 8, 16, 1, 0], [IPV6_ADDR, 8, 16, 1, H], [IPV6_DST, 24, 16, 1, 0],
  [IPV6_ADDR, 24, 16, 1, H]]);
const L_TCP = layer([[TCP, 0, 20, 0, 0], [TCP_SRCPORT, 0, 2, 1, 0], [TCP_DSTPORT, 2, 2, 1, 0], [TCP_PORT, 0, 2, 1, H], [TCP_PORT, 2, 2, 1, H],
  [TCP_LEN, 0, 0, 1, G], [TCP_SEQ_RAW, 4, 4, 1, 0], [TCP_ACK_RAW, 8, 4, 1, 0], [TCP_HDR_LEN, 12, 1, 1, 0], [TCP_FLAGS, 12, 2, 1, 0],
  [TCP_FLAGS_ACK, 12, 2, 2, 0], [TCP_FLAGS_PUSH, 12, 2, 2, 0], [TCP_FLAGS_RESET, 12, 2, 2, 0], [TCP_FLAGS_SYN, 12, 2, 2, 0],
  [TCP_FLAGS_FIN, 12, 2, 2, 0], [TCP_WINDOW_SIZE_VALUE, 14, 2, 1, 0], [TCP_CHECKSUM, 16, 2, 1, 0], [TCP_URGENT_POINTER, 18, 2, 1, 0]]);
const L_UDP = layer([[UDP, 0, 8, 0, 0], [UDP_SRCPORT, 0, 2, 1, 0], [UDP_DSTPORT, 2, 2, 1, 0], [UDP_PORT, 0, 2, 1, H], [UDP_PORT, 2, 2, 1, H],
  [UDP_LENGTH, 4, 2, 1, 0], [UDP_CHECKSUM, 6, 2, 1, 0]]);
const L_ICMP = layer([[ICMP, 0, 0, 0, 0], [ICMP_TYPE, 0, 1, 1, 0], [ICMP_CODE, 1, 1, 1, 0], [ICMP_CHECKSUM, 2, 2, 1, 0]]);
const L_ICMPV6 = layer([[ICMPV6, 0, 0, 0, 0], [ICMPV6_TYPE, 0, 1, 1, 0], [ICMPV6_CODE, 1, 1, 1, 0], [ICMPV6_CHECKSUM, 2, 2, 1, 0]]);
const LAYERS = [L_FRAME, L_ETH, L_VLAN, L_IP, L_IPV6, L_TCP, L_UDP, L_ICMP, L_ICMPV6];

export const PLAIN_FIELDS: number[] = [...new Set(LAYERS.flatMap((l) => l.rows.map((r) => r[0])))];
const IS_PLAIN = new Uint8Array(Math.max(...PLAIN_FIELDS) + 1);
for (const f of PLAIN_FIELDS) IS_PLAIN[f] = 1;

export function isPlainField(fid: number): boolean { return IS_PLAIN[fid] === 1; }

/** Per layer, the slots (row indexes) to store under the current want mask. */
let planFor: Uint8Array | null = null;
let pFrame = new Int32Array(0), pEth = pFrame, pVlan = pFrame, pIp = pFrame, pIpv6 = pFrame, pTcp = pFrame, pUdp = pFrame, pIcmp = pFrame, pIcmpv6 = pFrame;
function plan(w: Uint8Array): void {
  if (planFor === w) return;
  const slots = (l: Layer) => Int32Array.from(l.rows.map((r, k) => (w[r[0]] === 1 ? k : -1)).filter((k) => k >= 0));
  pFrame = slots(L_FRAME); pEth = slots(L_ETH); pVlan = slots(L_VLAN); pIp = slots(L_IP); pIpv6 = slots(L_IPV6);
  pTcp = slots(L_TCP); pUdp = slots(L_UDP); pIcmp = slots(L_ICMP); pIcmpv6 = slots(L_ICMPV6);
  planFor = w;
}

/**
 * Receives items straight from the walk instead of a Dissection (the column fill: no item list in
 * between). `start` is relative to the packet. After a `false` return the sink must drop what it
 * got for that packet.
 */
export interface PlainItemSink {
  item(fid: number, start: number, len: number, value: number): void;
}

// Per-packet state (module level: no allocation per packet).
let d: Dissection;
let sink: PlainItemSink | null = null;
let origin = 0;
let capEnd = 0;
/** Where the bytes the frame claims end (original length), as dissect.ts's `repEnd`. */
let repEnd = 0;

/** Stores row j of layer l for a header at p, like Dissection.add (the plan has checked the mask). */
function put(l: Layer, j: number, p: number, len: number, value: number): void {
  const start = p + l.off[j];
  if (start + len > capEnd) len = Math.max(0, capEnd - start);
  if (sink !== null) { sink.item(l.fid[j], start - origin, len, value); return; }
  const x = d;
  if (x.n === x.fid.length) x.grow();
  const i = x.n++;
  x.fid[i] = l.fid[j]; x.start[i] = start; x.len[i] = len; x.val[i] = value; x.val2[i] = 0;
  x.depth[i] = l.depth[j]; x.flags[i] = l.flags[j];
}

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

export function dissectPlain(buf: Uint8Array, at: number, capLen: number, origLen: number, linkType: number, number: number, into: Dissection): boolean {
  const want = into.want;
  if (want === null) return false;
  plan(want);
  d = into; sink = null;
  into.n = 0; if (into.strs.length !== 0) into.strs.length = 0;
  into.buf = buf; into.origin = at; into.malformed = false; into.short = false;
  return walk(buf, at, capLen, origLen, linkType, number);
}

/** As dissectPlain, but the items go to `to` (fields chosen by the mask `want`), not to a Dissection. */
export function walkPlain(buf: Uint8Array, at: number, capLen: number, origLen: number, linkType: number, number: number,
  want: Uint8Array, to: PlainItemSink): boolean {
  plan(want);
  sink = to;
  const ok = walk(buf, at, capLen, origLen, linkType, number);
  sink = null;
  return ok;
}

function walk(buf: Uint8Array, at: number, capLen: number, origLen: number, linkType: number, number: number): boolean {
  origin = at;
  const cap = Math.min(capLen, buf.length - at);
  capEnd = at + cap;
  repEnd = at + Math.max(origLen, cap);
  for (let k = 0; k < pFrame.length; k++) {
    const j = pFrame[k];
    put(L_FRAME, j, at, 0, j === 0 ? number : j === 1 ? origLen : capLen);
  }
  if (linkType === LINKTYPE_ETHERNET) return ethernet(buf, at);
  if (linkType === LINKTYPE_RAW || linkType === 12 || linkType === 14) {
    if (at + 1 > capEnd) return false;
    const v = buf[at] >> 4;
    return v === 4 ? ipv4(buf, at, capEnd) : v === 6 ? ipv6(buf, at, capEnd) : true;
  }
  if (linkType === LINKTYPE_LINUX_SLL || linkType === LINKTYPE_LINUX_SLL2) {
    const hl = linkType === LINKTYPE_LINUX_SLL ? 16 : 20;
    if (at + hl > capEnd) return false;
    return ethertype(buf, linkType === LINKTYPE_LINUX_SLL ? u16(buf, at + 14) : u16(buf, at), at + hl);
  }
  return true; // other link types: only "data", none of our fields
}

function ethernet(b: Uint8Array, p: number): boolean {
  if (p + 14 > capEnd) return false;
  const type = u16(b, p + 12);
  for (let k = 0; k < pEth.length; k++) {
    const j = pEth[k];
    put(L_ETH, j, p, L_ETH.len[j], j === 5 ? type : 0);
  }
  return ethertype(b, type, p + 14);
}

/** Ethertype dispatch as dissect.ts does it, with 802.1Q/802.1ad tags walked in a loop. */
function ethertype(b: Uint8Array, type: number, p: number): boolean {
  for (let guard = 0; guard < 64; guard++) {
    if (type === 0x0800) return ipv4(b, p, capEnd);
    if (type === 0x86dd) return ipv6(b, p, capEnd);
    if (type !== 0x8100 && type !== 0x9100 && type !== 0x88a8) return true; // ARP, data...: none of our fields
    if (p + 4 > capEnd) return false;
    const tci = u16(b, p);
    const inner = u16(b, p + 2);
    if (type !== 0x88a8) {
      for (let k = 0; k < pVlan.length; k++) {
        const j = pVlan[k];
        const v = j === 1 ? tci >> 13 : j === 2 ? (tci >> 12) & 1 : j === 3 ? tci & 0xfff : j === 4 ? inner : 0;
        put(L_VLAN, j, p, L_VLAN.len[j], v);
      }
    }
    type = inner;
    p += 4;
  }
  return false;
}

function ipv4(b: Uint8Array, p: number, end: number): boolean {
  if (p + 20 > end || p + 20 > capEnd) return false;
  const ihl = (b[p] & 15) * 4;
  const tot = u16(b, p + 2);
  if (ihl < 20 || tot < ihl) return false; // bogus lengths: the full dissector says how
  if (ihl > 20 && (p + ihl > end || p + ihl > capEnd)) return false;
  const fo = u16(b, p + 6);
  const proto = b[p + 9];
  for (let k = 0; k < pIp.length; k++) {
    const j = pIp[k];
    let v = 0;
    switch (j) {
      case 1: v = b[p] >> 4; break;
      case 2: v = ihl; break;
      case 3: v = b[p + 1]; break;
      case 4: v = tot; break;
      case 5: v = u16(b, p + 4); break;
      case 6: v = fo >> 13; break;
      case 7: v = (fo >> 14) & 1; break;
      case 8: v = (fo >> 13) & 1; break;
      case 9: v = fo & 0x1fff; break;
      case 10: v = b[p + 8]; break;
      case 11: v = proto; break;
      case 12: v = u16(b, p + 10); break;
      case 13: case 14: v = u32(b, p + 12); break;
      case 15: case 16: v = u32(b, p + 16); break;
    }
    put(L_IP, j, p, j === 0 ? ihl : L_IP.len[j], v);
  }
  // A later fragment, or a first fragment of a protocol without ports, carries only data.
  if ((fo & 0x1fff) !== 0) return true;
  if ((fo & 0x2000) !== 0 && proto !== 6 && proto !== 17 && proto !== 1) return true;
  const ipEnd = p + tot;
  const saved = repEnd;
  if (ipEnd < repEnd) repEnd = ipEnd;
  const ok = ipPayload(b, proto, p + ihl, Math.min(end, ipEnd), ipEnd);
  repEnd = saved;
  return ok;
}

function ipv6(b: Uint8Array, p: number, end: number): boolean {
  if (p + 40 > end || p + 40 > capEnd) return false;
  const plen = u16(b, p + 4);
  let nh = b[p + 6];
  for (let k = 0; k < pIpv6.length; k++) {
    const j = pIpv6[k];
    const v = j === 1 || j === 2 ? b[p] >> 4 : j === 3 ? u32(b, p) & 0xfffff : j === 4 ? plen : j === 5 ? nh : j === 6 ? b[p + 7] : 0;
    put(L_IPV6, j, p, L_IPV6.len[j], v);
  }
  const ipEnd = p + 40 + plen;
  const dgEnd = Math.min(end, ipEnd);
  let q = p + 40;
  // Hop-by-hop and fragment headers, as dissect.ts walks them (their own fields are not ours).
  for (let guard = 0; ; guard++) {
    if (guard === 32) return false;
    if (nh === 0) {
      if (q + 2 > dgEnd || q + 2 > capEnd) return false;
      const hl = (b[q + 1] + 1) * 8;
      if (q + hl > dgEnd || q + hl > capEnd) return false;
      nh = b[q];
      q += hl;
      continue;
    }
    if (nh === 44) {
      if (q + 8 > dgEnd || q + 8 > capEnd) return false;
      const first = (u16(b, q + 2) >> 3) === 0;
      nh = b[q];
      q += 8;
      if (!first) return true; // a later fragment: data
      continue;
    }
    break;
  }
  if (nh === 59) return true;
  const saved = repEnd;
  if (ipEnd < repEnd) repEnd = ipEnd;
  const ok = ipPayload(b, nh, q, dgEnd, ipEnd);
  repEnd = saved;
  return ok;
}

function ipPayload(b: Uint8Array, proto: number, p: number, end: number, ipEnd: number): boolean {
  switch (proto) {
    case 6: return tcp(b, p, end, ipEnd);
    case 17: return udp(b, p, end);
    case 1: return icmp(b, p, end, L_ICMP, pIcmp);
    case 58: return icmp(b, p, end, L_ICMPV6, pIcmpv6);
    case 47: case 4: case 41: return false; // GRE and IP in IP: inner headers repeat our fields
    default: return true;
  }
}

function tcp(b: Uint8Array, p: number, end: number, ipEnd: number): boolean {
  if (p + 20 > end || p + 20 > capEnd) return false;
  const hl = (b[p + 12] >> 4) * 4;
  if (hl < 20) return false;
  const flags = ((b[p + 12] & 0x0f) << 8) | b[p + 13];
  for (let k = 0; k < pTcp.length; k++) {
    const j = pTcp[k];
    let v = 0;
    switch (j) {
      case 1: case 3: v = u16(b, p); break;
      case 2: case 4: v = u16(b, p + 2); break;
      case 5: v = Math.max(0, Math.min(ipEnd, repEnd) - p - hl); break;
      case 6: v = u32(b, p + 4); break;
      case 7: v = u32(b, p + 8); break;
      case 8: v = hl; break;
      case 9: v = flags; break;
      case 10: v = (flags >> 4) & 1; break;
      case 11: v = (flags >> 3) & 1; break;
      case 12: v = (flags >> 2) & 1; break;
      case 13: v = (flags >> 1) & 1; break;
      case 14: v = flags & 1; break;
      case 15: v = u16(b, p + 14); break;
      case 16: v = u16(b, p + 16); break;
      case 17: v = u16(b, p + 18); break;
    }
    // The tcp item: dissect.ts stores 20 bytes, then sets the header length.
    put(L_TCP, j, p, j === 0 ? Math.min(hl, capEnd - p) : L_TCP.len[j], v);
  }
  return true;
}

function udp(b: Uint8Array, p: number, end: number): boolean {
  if (p + 8 > end || p + 8 > capEnd) return false;
  const sport = u16(b, p), dport = u16(b, p + 2);
  // VXLAN and Geneve carry a whole inner frame: the full dissector's job.
  if (sport === 4789 || dport === 4789 || sport === 6081 || dport === 6081) return false;
  for (let k = 0; k < pUdp.length; k++) {
    const j = pUdp[k];
    const v = j === 1 || j === 3 ? sport : j === 2 || j === 4 ? dport : j === 5 ? u16(b, p + 4) : j === 6 ? u16(b, p + 6) : 0;
    put(L_UDP, j, p, L_UDP.len[j], v);
  }
  return true;
}

function icmp(b: Uint8Array, p: number, end: number, l: Layer, slots: Int32Array): boolean {
  if (p + 4 > end || p + 4 > capEnd) return false;
  for (let k = 0; k < slots.length; k++) {
    const j = slots[k];
    // The protocol item covers the rest of the datagram.
    put(l, j, p, j === 0 ? end - p : l.len[j], j === 1 ? b[p] : j === 2 ? b[p + 1] : j === 3 ? u16(b, p + 2) : 0);
  }
  return true;
}
