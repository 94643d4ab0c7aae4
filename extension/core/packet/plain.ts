/**
 * The plain-packet dissector: for the common shapes (Ethernet / SLL / raw IP, 802.1Q and 802.1ad
 * tags, IPv4 with or without options and fragments, IPv6 with hop-by-hop and fragment headers,
 * TCP, UDP, ICMP, ICMPv6) it finds where each header is in a packet read in place (no copy, no
 * allocation), then gives the `PLAIN_FIELDS` exactly as `dissect.ts` would store them: same items,
 * same order, same offsets, values and flags — as Dissection items, to a column sink, or straight
 * as `-T fields` text. Anything else — tunnels (VXLAN, Geneve, GRE, IP in IP), a header cut short,
 * a bogus length — it declines, and the caller runs the full dissector. No Node imports.
 *
 * Not computed here (so not in PLAIN_FIELDS): conversation state (tcp.stream, relative sequence
 * numbers, window scaling), checksum status, time and interface fields, text items, the
 * malformed/short markers (`d.malformed`/`d.short` stay false).
 *
 * API
 *   PLAIN_FIELDS: number[]          field ids this dissector gives
 *   isPlainField(fid) -> boolean
 *   dissectPlain(buf, at, capLen, origLen, linkType, number, d) -> boolean
 *       packet bytes are buf[at, at + capLen); `d.want` must be set and hold only PLAIN_FIELDS.
 *       true: `d` holds the packet's items (offsets in `buf`, `d.origin` = at); false: not a plain
 *       packet (`d` is left in an unspecified state; dissect it with dissectFrame).
 *   walkPlain(buf, at, capLen, origLen, linkType, number, want, sink) -> boolean
 *       the same, handing each item to sink.item(fid, start - at, len, value) (column fills)
 *   class PlainFieldsWriter(fids)   `-T fields` lines without items in between:
 *       line(buf, at, capLen, origLen, linkType, number, out: FieldsOutput) -> boolean
 *       writes the packet's line (laid out by out.format: separator, occurrences, quotes...) or,
 *       false, nothing (not plain)
 */
import { Dissection, ITEM_GENERATED, ITEM_HIDDEN } from './dissection';
import { F } from './fields';
import { OCCURRENCE_FIRST, OCCURRENCE_LAST, type FieldsOutput } from './fieldsOutput';
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
// wanted item; rowValue() gives a slot's value from the header.
const H = ITEM_HIDDEN, G = ITEM_GENERATED;
type Row = [fid: number, off: number, len: number, depth: number, flags: number];
interface Layer { id: number; rows: Row[]; fid: Int32Array; off: Int32Array; len: Int32Array; depth: Uint8Array; flags: Uint8Array }
const LY_FRAME = 0, LY_ETH = 1, LY_VLAN = 2, LY_IP = 3, LY_IPV6 = 4, LY_TCP = 5, LY_UDP = 6, LY_ICMP = 7, LY_ICMPV6 = 8;
function layer(id: number, rows: Row[]): Layer {
  return {
    id, rows, fid: Int32Array.from(rows, (r) => r[0]), off: Int32Array.from(rows, (r) => r[1]), len: Int32Array.from(rows, (r) => r[2]),
    depth: Uint8Array.from(rows, (r) => r[3]), flags: Uint8Array.from(rows, (r) => r[4]),
  };
}
const L_FRAME = layer(LY_FRAME, [[FRAME_NUMBER, 0, 0, 1, 0], [FRAME_LEN, 0, 0, 1, 0], [FRAME_CAP_LEN, 0, 0, 1, 0]]);
const L_ETH = layer(LY_ETH, [[ETH, 0, 14, 0, 0], [ETH_DST, 0, 6, 1, 0], [ETH_ADDR, 0, 6, 1, H], [ETH_SRC, 6, 6, 1, 0], [ETH_ADDR, 6, 6, 1, H],
  [ETH_TYPE, 12, 2, 1, 0]]);
const L_VLAN = layer(LY_VLAN, [[VLAN, 0, 4, 0, 0], [VLAN_PRIORITY, 0, 2, 1, 0], [VLAN_DEI, 0, 2, 1, 0], [VLAN_ID, 0, 2, 1, 0], [VLAN_ETYPE, 2, 2, 1, 0]]);
const L_IP = layer(LY_IP, [[IP, 0, 20, 0, 0], [IP_VERSION, 0, 1, 1, 0], [IP_HDR_LEN, 0, 1, 1, 0], [IP_DSFIELD, 1, 1, 1, 0], [IP_LEN, 2, 2, 1, 0],
  [IP_ID, 4, 2, 1, 0], [IP_FLAGS, 6, 1, 1, 0], [IP_FLAGS_DF, 6, 1, 2, 0], [IP_FLAGS_MF, 6, 1, 2, 0], [IP_FRAG_OFFSET, 6, 2, 1, 0],
  [IP_TTL, 8, 1, 1, 0], [IP_PROTO, 9, 1, 1, 0], [IP_CHECKSUM, 10, 2, 1, 0], [IP_SRC, 12, 4, 1, 0], [IP_ADDR, 12, 4, 1, H],
  [IP_DST, 16, 4, 1, 0], [IP_ADDR, 16, 4, 1, H]]);
const L_IPV6 = layer(LY_IPV6, [[IPV6, 0, 40, 0, 0], [IPV6_VERSION, 0, 1, 1, 0], [IP_VERSION, 0, 1, 1, H], [IPV6_FLOW, 1, 3, 1, 0], [IPV6_PLEN, 4, 2, 1, 0],
  [IPV6_NXT, 6, 1, 1, 0], [IPV6_HLIM, 7, 1, 1, 0], [IPV6_SRC, 8, 16, 1, 0], [IPV6_ADDR, 8, 16, 1, H], [IPV6_DST, 24, 16, 1, 0],
  [IPV6_ADDR, 24, 16, 1, H]]);
const L_TCP = layer(LY_TCP, [[TCP, 0, 20, 0, 0], [TCP_SRCPORT, 0, 2, 1, 0], [TCP_DSTPORT, 2, 2, 1, 0], [TCP_PORT, 0, 2, 1, H], [TCP_PORT, 2, 2, 1, H],
  [TCP_LEN, 0, 0, 1, G], [TCP_SEQ_RAW, 4, 4, 1, 0], [TCP_ACK_RAW, 8, 4, 1, 0], [TCP_HDR_LEN, 12, 1, 1, 0], [TCP_FLAGS, 12, 2, 1, 0],
  [TCP_FLAGS_ACK, 12, 2, 2, 0], [TCP_FLAGS_PUSH, 12, 2, 2, 0], [TCP_FLAGS_RESET, 12, 2, 2, 0], [TCP_FLAGS_SYN, 12, 2, 2, 0],
  [TCP_FLAGS_FIN, 12, 2, 2, 0], [TCP_WINDOW_SIZE_VALUE, 14, 2, 1, 0], [TCP_CHECKSUM, 16, 2, 1, 0], [TCP_URGENT_POINTER, 18, 2, 1, 0]]);
const L_UDP = layer(LY_UDP, [[UDP, 0, 8, 0, 0], [UDP_SRCPORT, 0, 2, 1, 0], [UDP_DSTPORT, 2, 2, 1, 0], [UDP_PORT, 0, 2, 1, H], [UDP_PORT, 2, 2, 1, H],
  [UDP_LENGTH, 4, 2, 1, 0], [UDP_CHECKSUM, 6, 2, 1, 0]]);
const L_ICMP = layer(LY_ICMP, [[ICMP, 0, 0, 0, 0], [ICMP_TYPE, 0, 1, 1, 0], [ICMP_CODE, 1, 1, 1, 0], [ICMP_CHECKSUM, 2, 2, 1, 0]]);
const L_ICMPV6 = layer(LY_ICMPV6, [[ICMPV6, 0, 0, 0, 0], [ICMPV6_TYPE, 0, 1, 1, 0], [ICMPV6_CODE, 1, 1, 1, 0], [ICMPV6_CHECKSUM, 2, 2, 1, 0]]);
/** In tree order (the order dissect.ts stores the layers of a plain packet). */
const LAYERS = [L_FRAME, L_ETH, L_VLAN, L_IP, L_IPV6, L_TCP, L_UDP, L_ICMP, L_ICMPV6];

export const PLAIN_FIELDS: number[] = [...new Set(LAYERS.flatMap((l) => l.rows.map((r) => r[0])))];
const IS_PLAIN = new Uint8Array(Math.max(...PLAIN_FIELDS) + 1);
for (const f of PLAIN_FIELDS) IS_PLAIN[f] = 1;

export function isPlainField(fid: number): boolean { return IS_PLAIN[fid] === 1; }

/** Per layer, the slots (row indexes) to store under the current want mask. */
let planFor: Uint8Array | null = null;
const plans: Int32Array[] = LAYERS.map(() => new Int32Array(0));
function plan(w: Uint8Array): void {
  if (planFor === w) return;
  for (const l of LAYERS) plans[l.id] = Int32Array.from(l.rows.map((r, k) => (w[r[0]] === 1 ? k : -1)).filter((k) => k >= 0));
  planFor = w;
}

/**
 * Receives items straight from the walk instead of a Dissection (the column fill: no item list in
 * between). `start` is relative to the packet. Only called for packets the walk takes.
 */
export interface PlainItemSink {
  item(fid: number, start: number, len: number, value: number): void;
}

// What the walk found (module level: no allocation per packet). -1: no such header.
let buf: Uint8Array = new Uint8Array(0);
let origin = 0, capEnd = 0, capLen0 = 0, origLen0 = 0, number0 = 0;
/** Where the bytes the frame claims end (original length), as dissect.ts's `repEnd`. */
let repEnd = 0;
let ethAt = -1;
/** 802.1Q (0x8100, 0x9100) tags, the ones with vlan items; 802.1ad tags have none of ours. */
const tagAt = new Int32Array(64);
let tags = 0;
let ipAt = -1, ip6At = -1;
let l4Layer: Layer | null = null;
let l4At = -1;
/** TCP: the datagram end and repEnd for tcp.len; ICMP: where the protocol item ends. */
let l4End = 0, l4RepEnd = 0;

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

// Slot j's value for a header at p, one small function per layer (each inlines where it is used).
function frameValue(j: number): number { return j === 0 ? number0 : j === 1 ? origLen0 : capLen0; }
function ethValue(j: number, p: number): number { return j === 5 ? u16(buf, p + 12) : 0; }
function vlanValue(j: number, p: number): number {
  const b = buf;
  return j === 1 ? b[p] >> 5 : j === 2 ? (b[p] >> 4) & 1 : j === 3 ? u16(b, p) & 0xfff : j === 4 ? u16(b, p + 2) : 0;
}
function ipValue(j: number, p: number): number {
  const b = buf;
  switch (j) {
    case 1: return b[p] >> 4;
    case 2: return (b[p] & 15) * 4;
    case 3: return b[p + 1];
    case 4: return u16(b, p + 2);
    case 5: return u16(b, p + 4);
    case 6: return b[p + 6] >> 5;
    case 7: return (b[p + 6] >> 6) & 1;
    case 8: return (b[p + 6] >> 5) & 1;
    case 9: return u16(b, p + 6) & 0x1fff;
    case 10: return b[p + 8];
    case 11: return b[p + 9];
    case 12: return u16(b, p + 10);
    case 13: case 14: return u32(b, p + 12);
    case 15: case 16: return u32(b, p + 16);
    default: return 0;
  }
}
function ip6Value(j: number, p: number): number {
  const b = buf;
  return j === 1 || j === 2 ? b[p] >> 4 : j === 3 ? u32(b, p) & 0xfffff : j === 4 ? u16(b, p + 4) : j === 5 ? b[p + 6] : j === 6 ? b[p + 7] : 0;
}
function tcpValue(j: number, p: number): number {
  const b = buf;
  switch (j) {
    case 1: case 3: return u16(b, p);
    case 2: case 4: return u16(b, p + 2);
    case 5: return Math.max(0, Math.min(l4End, l4RepEnd) - p - (b[p + 12] >> 4) * 4);
    case 6: return u32(b, p + 4);
    case 7: return u32(b, p + 8);
    case 8: return (b[p + 12] >> 4) * 4;
    case 9: return ((b[p + 12] & 0x0f) << 8) | b[p + 13];
    case 10: return (b[p + 13] >> 4) & 1;
    case 11: return (b[p + 13] >> 3) & 1;
    case 12: return (b[p + 13] >> 2) & 1;
    case 13: return (b[p + 13] >> 1) & 1;
    case 14: return b[p + 13] & 1;
    case 15: return u16(b, p + 14);
    case 16: return u16(b, p + 16);
    case 17: return u16(b, p + 18);
    default: return 0;
  }
}
function udpValue(j: number, p: number): number {
  const b = buf;
  return j === 1 || j === 3 ? u16(b, p) : j === 2 || j === 4 ? u16(b, p + 2) : j === 5 ? u16(b, p + 4) : j === 6 ? u16(b, p + 6) : 0;
}
function icmpValue(j: number, p: number): number {
  return j === 1 ? buf[p] : j === 2 ? buf[p + 1] : j === 3 ? u16(buf, p + 2) : 0; // ICMP, ICMPv6
}

/** Slot j's value for the header of layer `lid` at p. */
function rowValue(lid: number, j: number, p: number): number {
  switch (lid) {
    case LY_FRAME: return frameValue(j);
    case LY_ETH: return ethValue(j, p);
    case LY_VLAN: return vlanValue(j, p);
    case LY_IP: return ipValue(j, p);
    case LY_IPV6: return ip6Value(j, p);
    case LY_TCP: return tcpValue(j, p);
    case LY_UDP: return udpValue(j, p);
    default: return icmpValue(j, p);
  }
}

/** Slot j's length: the row's, but the ip and tcp items cover their header, icmp the rest, all cut at the capture. */
function rowLen(l: Layer, j: number, p: number): number {
  let len = l.len[j];
  if (j === 0) {
    if (l === L_IP) len = (buf[p] & 15) * 4;
    else if (l === L_TCP) len = Math.min((buf[p + 12] >> 4) * 4, capEnd - p); // dissect.ts: 20, then the header length
    else if (l === L_ICMP || l === L_ICMPV6) len = l4End - p;
  }
  const start = p + l.off[j];
  return start + len > capEnd ? Math.max(0, capEnd - start) : len;
}

/** Stores slot j (value v) of layer l at p into d, or hands it to sink. */
function put(l: Layer, j: number, p: number, v: number, d: Dissection | null, sink: PlainItemSink | null): void {
  const start = p + l.off[j], len = rowLen(l, j, p);
  if (sink !== null) { sink.item(l.fid[j], start - origin, len, v); return; }
  const x = d!;
  if (x.n === x.fid.length) x.grow();
  const i = x.n++;
  x.fid[i] = l.fid[j]; x.start[i] = start; x.len[i] = len; x.val[i] = v; x.val2[i] = 0;
  x.depth[i] = l.depth[j]; x.flags[i] = l.flags[j];
}

/** Every planned item of the packet the walk took, in tree order (a loop per layer, its value function inlined). */
function emitAll(d: Dissection | null, sink: PlainItemSink | null): void {
  let s = plans[LY_FRAME];
  for (let k = 0; k < s.length; k++) put(L_FRAME, s[k], origin, frameValue(s[k]), d, sink);
  if (ethAt >= 0) { s = plans[LY_ETH]; for (let k = 0; k < s.length; k++) put(L_ETH, s[k], ethAt, ethValue(s[k], ethAt), d, sink); }
  s = plans[LY_VLAN];
  if (s.length) for (let t = 0; t < tags; t++) { const p = tagAt[t]; for (let k = 0; k < s.length; k++) put(L_VLAN, s[k], p, vlanValue(s[k], p), d, sink); }
  if (ipAt >= 0) { s = plans[LY_IP]; for (let k = 0; k < s.length; k++) put(L_IP, s[k], ipAt, ipValue(s[k], ipAt), d, sink); }
  else if (ip6At >= 0) { s = plans[LY_IPV6]; for (let k = 0; k < s.length; k++) put(L_IPV6, s[k], ip6At, ip6Value(s[k], ip6At), d, sink); }
  const l = l4Layer;
  if (l === null) return;
  s = plans[l.id];
  const p = l4At;
  if (l === L_TCP) for (let k = 0; k < s.length; k++) put(l, s[k], p, tcpValue(s[k], p), d, sink);
  else if (l === L_UDP) for (let k = 0; k < s.length; k++) put(l, s[k], p, udpValue(s[k], p), d, sink);
  else for (let k = 0; k < s.length; k++) put(l, s[k], p, icmpValue(s[k], p), d, sink);
}

export function dissectPlain(b: Uint8Array, at: number, capLen: number, origLen: number, linkType: number, number: number, into: Dissection): boolean {
  const want = into.want;
  if (want === null || !walk(b, at, capLen, origLen, linkType, number)) return false;
  plan(want);
  into.n = 0; if (into.strs.length !== 0) into.strs.length = 0;
  into.buf = b; into.origin = at; into.malformed = false; into.short = false;
  emitAll(into, null);
  return true;
}

/** As dissectPlain, but the items go to `to` (fields chosen by the mask `want`), not to a Dissection. */
export function walkPlain(b: Uint8Array, at: number, capLen: number, origLen: number, linkType: number, number: number,
  want: Uint8Array, to: PlainItemSink): boolean {
  if (!walk(b, at, capLen, origLen, linkType, number)) return false;
  plan(want);
  emitAll(null, to);
  return true;
}

/** `-T fields` lines of plain packets, written from the headers the walk found. */
export class PlainFieldsWriter {
  /** Per requested field, its (layer, slot) pairs in tree order. */
  private readonly slots: { layer: Layer; j: number }[][];

  constructor(readonly fids: number[]) {
    if (!fids.every(isPlainField)) throw new Error('PlainFieldsWriter: not all fields are plain fields');
    this.slots = fids.map((f) => LAYERS.flatMap((l) => l.rows.flatMap((r, j) => (r[0] === f ? [{ layer: l, j }] : []))));
  }

  /** The line as `out.format` lays it out (occurrences selected, quotes), as FieldsOutput.field does. */
  line(b: Uint8Array, at: number, capLen: number, origLen: number, linkType: number, number: number, out: FieldsOutput): boolean {
    if (!walk(b, at, capLen, origLen, linkType, number)) return false;
    const fmt = out.format, q = fmt.quote, firstOnly = fmt.occurrence === OCCURRENCE_FIRST, lastOnly = fmt.occurrence === OCCURRENCE_LAST;
    for (let k = 0; k < this.fids.length; k++) {
      if (k) out.tab();
      const fid = this.fids[k], list = this.slots[k];
      let any = false;
      let lastLayer: Layer | null = null, lastJ = 0, lastP = 0;
      slots: for (let s = 0; s < list.length; s++) {
        const l = list[s].layer, j = list[s].j;
        const vlan = l === L_VLAN;
        const n = vlan ? tags : 1;
        for (let t = 0; t < n; t++) {
          const p = vlan ? tagAt[t] : l.id === LY_FRAME ? origin : l.id === LY_ETH ? ethAt : l.id === LY_IP ? ipAt : l.id === LY_IPV6 ? ip6At
            : l4Layer === l ? l4At : -1;
          if (p < 0) continue;
          if (lastOnly) { lastLayer = l; lastJ = j; lastP = p; continue; }
          if (any) out.comma();
          else if (q) out.quote();
          any = true;
          out.value(fid, rowValue(l.id, j, p), b, p + l.off[j]);
          if (firstOnly) break slots;
        }
      }
      if (lastLayer !== null) {
        if (q) out.quote();
        any = true;
        out.value(fid, rowValue(lastLayer.id, lastJ, lastP), b, lastP + lastLayer.off[lastJ]);
      }
      if (any && q) out.quote();
    }
    out.endLine();
    return true;
  }
}

// ---------------------------------------------------------------- the walk (dissect.ts's decisions)

function walk(b: Uint8Array, at: number, capLen: number, origLen: number, linkType: number, number: number): boolean {
  buf = b; origin = at; capLen0 = capLen; origLen0 = origLen; number0 = number;
  ethAt = -1; tags = 0; ipAt = -1; ip6At = -1; l4Layer = null; l4At = -1;
  const cap = Math.min(capLen, b.length - at);
  capEnd = at + cap;
  repEnd = at + Math.max(origLen, cap);
  if (linkType === LINKTYPE_ETHERNET) {
    if (at + 14 > capEnd) return false;
    ethAt = at;
    return ethertype(b, (b[at + 12] << 8) | b[at + 13], at + 14);
  }
  if (linkType === LINKTYPE_RAW || linkType === 12 || linkType === 14) {
    if (at + 1 > capEnd) return false;
    const v = b[at] >> 4;
    return v === 4 ? ipv4(b, at, capEnd) : v === 6 ? ipv6(b, at, capEnd) : true;
  }
  if (linkType === LINKTYPE_LINUX_SLL || linkType === LINKTYPE_LINUX_SLL2) {
    const hl = linkType === LINKTYPE_LINUX_SLL ? 16 : 20;
    if (at + hl > capEnd) return false;
    return ethertype(b, linkType === LINKTYPE_LINUX_SLL ? u16(b, at + 14) : u16(b, at), at + hl);
  }
  return true; // other link types: only "data", none of our fields
}

/** Ethertype dispatch as dissect.ts does it, with 802.1Q/802.1ad tags walked in a loop. */
function ethertype(b: Uint8Array, type: number, p: number): boolean {
  for (;;) {
    if (type === 0x0800) return ipv4(b, p, capEnd);
    if (type === 0x86dd) return ipv6(b, p, capEnd);
    if (type !== 0x8100 && type !== 0x9100 && type !== 0x88a8) return true; // ARP, data...: none of our fields
    if (p + 4 > capEnd) return false;
    if (type !== 0x88a8) {
      if (tags === tagAt.length) return false;
      tagAt[tags++] = p;
    }
    type = (b[p + 2] << 8) | b[p + 3];
    p += 4;
  }
}

function ipv4(b: Uint8Array, p: number, end: number): boolean {
  if (p + 20 > end || p + 20 > capEnd) return false;
  const ihl = (b[p] & 15) * 4;
  const tot = (b[p + 2] << 8) | b[p + 3];
  if (ihl < 20 || tot < ihl) return false; // bogus lengths: the full dissector says how
  if (ihl > 20 && (p + ihl > end || p + ihl > capEnd)) return false;
  ipAt = p;
  const fo = (b[p + 6] << 8) | b[p + 7];
  const proto = b[p + 9];
  // A later fragment, or a first fragment of a protocol without ports, carries only data.
  if ((fo & 0x1fff) !== 0) return true;
  if ((fo & 0x2000) !== 0 && proto !== 6 && proto !== 17 && proto !== 1) return true;
  const ipEnd = p + tot;
  return ipPayload(b, proto, p + ihl, Math.min(end, ipEnd), ipEnd);
}

function ipv6(b: Uint8Array, p: number, end: number): boolean {
  if (p + 40 > end || p + 40 > capEnd) return false;
  ip6At = p;
  const ipEnd = p + 40 + u16(b, p + 4);
  const dgEnd = Math.min(end, ipEnd);
  let nh = b[p + 6];
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
  return ipPayload(b, nh, q, dgEnd, ipEnd);
}

/** `end`: where the captured datagram ends; `ipEnd`: where the IP header says it ends. */
function ipPayload(b: Uint8Array, proto: number, p: number, end: number, ipEnd: number): boolean {
  switch (proto) {
    case 6: {
      if (p + 20 > end || p + 20 > capEnd) return false;
      if ((b[p + 12] >> 4) * 4 < 20) return false;
      l4Layer = L_TCP; l4At = p; l4End = ipEnd; l4RepEnd = Math.min(repEnd, ipEnd);
      return true;
    }
    case 17: {
      if (p + 8 > end || p + 8 > capEnd) return false;
      const sport = (b[p] << 8) | b[p + 1], dport = (b[p + 2] << 8) | b[p + 3];
      // VXLAN and Geneve carry a whole inner frame: the full dissector's job.
      if (sport === 4789 || dport === 4789 || sport === 6081 || dport === 6081) return false;
      l4Layer = L_UDP; l4At = p;
      return true;
    }
    case 1: case 58:
      if (p + 4 > end || p + 4 > capEnd) return false;
      l4Layer = proto === 1 ? L_ICMP : L_ICMPV6; l4At = p; l4End = end;
      return true;
    case 47: case 4: case 41: return false; // GRE and IP in IP: inner headers repeat our fields
    default: return true;
  }
}
