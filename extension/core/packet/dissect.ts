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
 *   needsConversationState(fids) -> boolean        whether those fields need the capture-order pass
 */
import { onesSum, pseudoHeaderSumV4, pseudoHeaderSumV6, foldSum } from './checksum';
import { Dissection, ITEM_GENERATED, ITEM_HIDDEN, ITEM_TEXT_IPV4, ITEM_TEXT_IPV6, ITEM_TEXT_TCPFLAGS } from './dissection';
import { F } from './fields';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from './flow';
import { formatIPv6 } from './addr';

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

function fid(name: string): number {
  const id = F[name];
  if (id === undefined) throw new Error(`dissector uses unregistered field ${name}`);
  return id;
}
// Field ids as constants: the hot path does no name lookups.
const F__WS_MALFORMED = fid('_ws.malformed');
const F__WS_SHORT = fid('_ws.short');
const F_ARP = fid('arp');
const F_ARP_DST_HW_MAC = fid('arp.dst.hw_mac');
const F_ARP_DST_PROTO_IPV4 = fid('arp.dst.proto_ipv4');
const F_ARP_HW_SIZE = fid('arp.hw.size');
const F_ARP_HW_TYPE = fid('arp.hw.type');
const F_ARP_OPCODE = fid('arp.opcode');
const F_ARP_PROTO_SIZE = fid('arp.proto.size');
const F_ARP_PROTO_TYPE = fid('arp.proto.type');
const F_ARP_SRC_HW_MAC = fid('arp.src.hw_mac');
const F_ARP_SRC_PROTO_IPV4 = fid('arp.src.proto_ipv4');
const F_DATA = fid('data');
const F_DATA_DATA = fid('data.data');
const F_DATA_LEN = fid('data.len');
const F_DNS = fid('dns');
const F_DNS_COUNT_ADD_RR = fid('dns.count.add_rr');
const F_DNS_COUNT_ANSWERS = fid('dns.count.answers');
const F_DNS_COUNT_AUTH_RR = fid('dns.count.auth_rr');
const F_DNS_COUNT_LABELS = fid('dns.count.labels');
const F_DNS_COUNT_QUERIES = fid('dns.count.queries');
const F_DNS_FLAGS = fid('dns.flags');
const F_DNS_FLAGS_CHECKDISABLE = fid('dns.flags.checkdisable');
const F_DNS_FLAGS_OPCODE = fid('dns.flags.opcode');
const F_DNS_FLAGS_RECDESIRED = fid('dns.flags.recdesired');
const F_DNS_FLAGS_RESPONSE = fid('dns.flags.response');
const F_DNS_FLAGS_TRUNCATED = fid('dns.flags.truncated');
const F_DNS_FLAGS_Z = fid('dns.flags.z');
const F_DNS_ID = fid('dns.id');
const F_DNS_QRY_CLASS = fid('dns.qry.class');
const F_DNS_QRY_NAME = fid('dns.qry.name');
const F_DNS_QRY_NAME_LEN = fid('dns.qry.name.len');
const F_DNS_QRY_TYPE = fid('dns.qry.type');
const F_ETH = fid('eth');
const F_ETH_ADDR = fid('eth.addr');
const F_ETH_DST = fid('eth.dst');
const F_ETH_DST_IG = fid('eth.dst.ig');
const F_ETH_DST_LG = fid('eth.dst.lg');
const F_ETH_IG = fid('eth.ig');
const F_ETH_LG = fid('eth.lg');
const F_ETH_PADDING = fid('eth.padding');
const F_ETH_SRC = fid('eth.src');
const F_ETH_SRC_IG = fid('eth.src.ig');
const F_ETH_SRC_LG = fid('eth.src.lg');
const F_ETH_TRAILER = fid('eth.trailer');
const F_ETH_TYPE = fid('eth.type');
const F_FRAME = fid('frame');
const F_FRAME_CAP_LEN = fid('frame.cap_len');
const F_FRAME_COMMENT = fid('frame.comment');
const F_FRAME_IGNORED = fid('frame.ignored');
const F_FRAME_INTERFACE_ID = fid('frame.interface_id');
const F_FRAME_INTERFACE_NAME = fid('frame.interface_name');
const F_FRAME_LEN = fid('frame.len');
const F_FRAME_MARKED = fid('frame.marked');
const F_FRAME_NUMBER = fid('frame.number');
const F_FRAME_PROTOCOLS = fid('frame.protocols');
const F_FRAME_TIME_DELTA = fid('frame.time_delta');
const F_FRAME_TIME_EPOCH = fid('frame.time_epoch');
const F_FRAME_TIME_RELATIVE = fid('frame.time_relative');
const F_GENEVE = fid('geneve');
const F_GENEVE_FLAGS = fid('geneve.flags');
const F_GENEVE_FLAGS_CRITICAL = fid('geneve.flags.critical');
const F_GENEVE_FLAGS_OAM = fid('geneve.flags.oam');
const F_GENEVE_FLAGS_RESERVED = fid('geneve.flags.reserved');
const F_GENEVE_OPTIONS = fid('geneve.options');
const F_GENEVE_PROTO_TYPE = fid('geneve.proto_type');
const F_GENEVE_RESERVED = fid('geneve.reserved');
const F_GENEVE_VERSION = fid('geneve.version');
const F_GENEVE_VNI = fid('geneve.vni');
const F_GRE = fid('gre');
const F_GRE_CHECKSUM = fid('gre.checksum');
const F_GRE_FLAGS_ACK = fid('gre.flags.ack');
const F_GRE_FLAGS_CHECKSUM = fid('gre.flags.checksum');
const F_GRE_FLAGS_KEY = fid('gre.flags.key');
const F_GRE_FLAGS_RECURSION_CONTROL = fid('gre.flags.recursion_control');
const F_GRE_FLAGS_RESERVED = fid('gre.flags.reserved');
const F_GRE_FLAGS_ROUTING = fid('gre.flags.routing');
const F_GRE_FLAGS_SEQUENCE_NUMBER = fid('gre.flags.sequence_number');
const F_GRE_FLAGS_STRICT_SOURCE_ROUTE = fid('gre.flags.strict_source_route');
const F_GRE_FLAGS_VERSION = fid('gre.flags.version');
const F_GRE_FLAGS_AND_VERSION = fid('gre.flags_and_version');
const F_GRE_KEY = fid('gre.key');
const F_GRE_OFFSET = fid('gre.offset');
const F_GRE_PROTO = fid('gre.proto');
const F_GRE_SEQUENCE_NUMBER = fid('gre.sequence_number');
const F_ICMP = fid('icmp');
const F_ICMP_CHECKSUM = fid('icmp.checksum');
const F_ICMP_CHECKSUM_STATUS = fid('icmp.checksum.status');
const F_ICMP_CODE = fid('icmp.code');
const F_ICMP_IDENT = fid('icmp.ident');
const F_ICMP_IDENT_LE = fid('icmp.ident_le');
const F_ICMP_SEQ = fid('icmp.seq');
const F_ICMP_SEQ_LE = fid('icmp.seq_le');
const F_ICMP_TYPE = fid('icmp.type');
const F_ICMPV6 = fid('icmpv6');
const F_ICMPV6_CHECKSUM = fid('icmpv6.checksum');
const F_ICMPV6_CHECKSUM_STATUS = fid('icmpv6.checksum.status');
const F_ICMPV6_CODE = fid('icmpv6.code');
const F_ICMPV6_ECHO_IDENTIFIER = fid('icmpv6.echo.identifier');
const F_ICMPV6_ECHO_SEQUENCE_NUMBER = fid('icmpv6.echo.sequence_number');
const F_ICMPV6_TYPE = fid('icmpv6.type');
const F_IEEE8021AD = fid('ieee8021ad');
const F_IEEE8021AD_DEI = fid('ieee8021ad.dei');
const F_IEEE8021AD_ID = fid('ieee8021ad.id');
const F_IEEE8021AD_PRIORITY = fid('ieee8021ad.priority');
const F_IP = fid('ip');
const F_IP_ADDR = fid('ip.addr');
const F_IP_CHECKSUM = fid('ip.checksum');
const F_IP_CHECKSUM_STATUS = fid('ip.checksum.status');
const F_IP_DSFIELD = fid('ip.dsfield');
const F_IP_DSFIELD_DSCP = fid('ip.dsfield.dscp');
const F_IP_DSFIELD_ECN = fid('ip.dsfield.ecn');
const F_IP_DST = fid('ip.dst');
const F_IP_DST_HOST = fid('ip.dst_host');
const F_IP_FLAGS = fid('ip.flags');
const F_IP_FLAGS_DF = fid('ip.flags.df');
const F_IP_FLAGS_MF = fid('ip.flags.mf');
const F_IP_FLAGS_RB = fid('ip.flags.rb');
const F_IP_FRAG_OFFSET = fid('ip.frag_offset');
const F_IP_HDR_LEN = fid('ip.hdr_len');
const F_IP_HOST = fid('ip.host');
const F_IP_ID = fid('ip.id');
const F_IP_LEN = fid('ip.len');
const F_IP_OPT_LEN = fid('ip.opt.len');
const F_IP_OPT_TYPE = fid('ip.opt.type');
const F_IP_PROTO = fid('ip.proto');
const F_IP_SRC = fid('ip.src');
const F_IP_SRC_HOST = fid('ip.src_host');
const F_IP_TTL = fid('ip.ttl');
const F_IP_VERSION = fid('ip.version');
const F_IPV6 = fid('ipv6');
const F_IPV6_ADDR = fid('ipv6.addr');
const F_IPV6_DST = fid('ipv6.dst');
const F_IPV6_DST_HOST = fid('ipv6.dst_host');
const F_IPV6_FLOW = fid('ipv6.flow');
const F_IPV6_FRAGHDR = fid('ipv6.fraghdr');
const F_IPV6_FRAGHDR_IDENT = fid('ipv6.fraghdr.ident');
const F_IPV6_FRAGHDR_MORE = fid('ipv6.fraghdr.more');
const F_IPV6_FRAGHDR_NXT = fid('ipv6.fraghdr.nxt');
const F_IPV6_FRAGHDR_OFFSET = fid('ipv6.fraghdr.offset');
const F_IPV6_FRAGHDR_RESERVED_BITS = fid('ipv6.fraghdr.reserved_bits');
const F_IPV6_FRAGHDR_RESERVED_OCTET = fid('ipv6.fraghdr.reserved_octet');
const F_IPV6_HLIM = fid('ipv6.hlim');
const F_IPV6_HOPOPTS = fid('ipv6.hopopts');
const F_IPV6_HOPOPTS_LEN = fid('ipv6.hopopts.len');
const F_IPV6_HOPOPTS_LEN_OCT = fid('ipv6.hopopts.len_oct');
const F_IPV6_HOPOPTS_NXT = fid('ipv6.hopopts.nxt');
const F_IPV6_HOST = fid('ipv6.host');
const F_IPV6_NXT = fid('ipv6.nxt');
const F_IPV6_OPT_LENGTH = fid('ipv6.opt.length');
const F_IPV6_OPT_PADN = fid('ipv6.opt.padn');
const F_IPV6_OPT_ROUTER_ALERT = fid('ipv6.opt.router_alert');
const F_IPV6_OPT_TYPE = fid('ipv6.opt.type');
const F_IPV6_PLEN = fid('ipv6.plen');
const F_IPV6_SRC = fid('ipv6.src');
const F_IPV6_SRC_HOST = fid('ipv6.src_host');
const F_IPV6_TCLASS = fid('ipv6.tclass');
const F_IPV6_TCLASS_DSCP = fid('ipv6.tclass.dscp');
const F_IPV6_TCLASS_ECN = fid('ipv6.tclass.ecn');
const F_IPV6_VERSION = fid('ipv6.version');
const F_TCP = fid('tcp');
const F_TCP_ACK = fid('tcp.ack');
const F_TCP_ACK_RAW = fid('tcp.ack_raw');
const F_TCP_CHECKSUM = fid('tcp.checksum');
const F_TCP_CHECKSUM_STATUS = fid('tcp.checksum.status');
const F_TCP_DSTPORT = fid('tcp.dstport');
const F_TCP_FLAGS = fid('tcp.flags');
const F_TCP_FLAGS_ACK = fid('tcp.flags.ack');
const F_TCP_FLAGS_AE = fid('tcp.flags.ae');
const F_TCP_FLAGS_CWR = fid('tcp.flags.cwr');
const F_TCP_FLAGS_ECE = fid('tcp.flags.ece');
const F_TCP_FLAGS_FIN = fid('tcp.flags.fin');
const F_TCP_FLAGS_PUSH = fid('tcp.flags.push');
const F_TCP_FLAGS_RES = fid('tcp.flags.res');
const F_TCP_FLAGS_RESET = fid('tcp.flags.reset');
const F_TCP_FLAGS_STR = fid('tcp.flags.str');
const F_TCP_FLAGS_SYN = fid('tcp.flags.syn');
const F_TCP_FLAGS_URG = fid('tcp.flags.urg');
const F_TCP_HDR_LEN = fid('tcp.hdr_len');
const F_TCP_LEN = fid('tcp.len');
const F_TCP_NXTSEQ = fid('tcp.nxtseq');
const F_TCP_OPTION_KIND = fid('tcp.option_kind');
const F_TCP_OPTION_LEN = fid('tcp.option_len');
const F_TCP_OPTIONS = fid('tcp.options');
const F_TCP_OPTIONS_MSS_VAL = fid('tcp.options.mss_val');
const F_TCP_OPTIONS_SACK_LE = fid('tcp.options.sack_le');
const F_TCP_OPTIONS_SACK_RE = fid('tcp.options.sack_re');
const F_TCP_OPTIONS_TIMESTAMP_TSECR = fid('tcp.options.timestamp.tsecr');
const F_TCP_OPTIONS_TIMESTAMP_TSVAL = fid('tcp.options.timestamp.tsval');
const F_TCP_OPTIONS_WSCALE_MULTIPLIER = fid('tcp.options.wscale.multiplier');
const F_TCP_OPTIONS_WSCALE_SHIFT = fid('tcp.options.wscale.shift');
const F_TCP_PAYLOAD = fid('tcp.payload');
const F_TCP_PORT = fid('tcp.port');
const F_TCP_SEQ = fid('tcp.seq');
const F_TCP_SEQ_RAW = fid('tcp.seq_raw');
const F_TCP_SRCPORT = fid('tcp.srcport');
const F_TCP_STREAM = fid('tcp.stream');
const F_TCP_URGENT_POINTER = fid('tcp.urgent_pointer');
const F_TCP_WINDOW_SIZE = fid('tcp.window_size');
const F_TCP_WINDOW_SIZE_SCALEFACTOR = fid('tcp.window_size_scalefactor');
const F_TCP_WINDOW_SIZE_VALUE = fid('tcp.window_size_value');
const F_UDP = fid('udp');
const F_UDP_CHECKSUM = fid('udp.checksum');
const F_UDP_CHECKSUM_STATUS = fid('udp.checksum.status');
const F_UDP_DSTPORT = fid('udp.dstport');
const F_UDP_LENGTH = fid('udp.length');
const F_UDP_PAYLOAD = fid('udp.payload');
const F_UDP_PORT = fid('udp.port');
const F_UDP_SRCPORT = fid('udp.srcport');
const F_UDP_STREAM = fid('udp.stream');
const F_VLAN = fid('vlan');
const F_VLAN_DEI = fid('vlan.dei');
const F_VLAN_ETYPE = fid('vlan.etype');
const F_VLAN_ID = fid('vlan.id');
const F_VLAN_PRIORITY = fid('vlan.priority');
const F_VXLAN = fid('vxlan');
const F_VXLAN_FLAG_A = fid('vxlan.flag_a');
const F_VXLAN_FLAG_D = fid('vxlan.flag_d');
const F_VXLAN_FLAG_G = fid('vxlan.flag_g');
const F_VXLAN_FLAG_I = fid('vxlan.flag_i');
const F_VXLAN_FLAGS = fid('vxlan.flags');
const F_VXLAN_FLAGS_RESERVED = fid('vxlan.flags_reserved');
const F_VXLAN_GBP = fid('vxlan.gbp');
const F_VXLAN_VNI = fid('vxlan.vni');
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
  d.add(F_FRAME, 0, len, 0, 0);
  if (info.comments && info.comments.length) for (const c of info.comments) d.addString(F_FRAME_COMMENT, 0, 0, c, 1);
  if (info.iface >= 0) d.add(F_FRAME_INTERFACE_ID, 0, 0, info.iface, 1);
  if (info.interfaceName !== undefined) d.addString(F_FRAME_INTERFACE_NAME, 0, 0, info.interfaceName, 1);
  if (info.hasTime) {
    let i = d.add(F_FRAME_TIME_EPOCH, 0, 0, info.tsSec, 1); if (i >= 0) d.val2[i] = info.tsNsec;
    i = d.add(F_FRAME_TIME_DELTA, 0, 0, info.deltaSec, 1); if (i >= 0) d.val2[i] = info.deltaNsec;
    i = d.add(F_FRAME_TIME_RELATIVE, 0, 0, info.relSec, 1); if (i >= 0) d.val2[i] = info.relNsec;
  }
  d.add(F_FRAME_NUMBER, 0, 0, info.number, 1);
  d.add(F_FRAME_LEN, 0, 0, info.origLen, 1);
  d.add(F_FRAME_CAP_LEN, 0, 0, info.capLen, 1);
  d.add(F_FRAME_MARKED, 0, 0, 0, 1);
  d.add(F_FRAME_IGNORED, 0, 0, 0, 1);
  const protosItem = d.addString(F_FRAME_PROTOCOLS, 0, 0, '', 1);
  const lt = info.linkType;
  if (lt === LINKTYPE_ETHERNET) ethernet(0, len, 0);
  else if (lt === LINKTYPE_RAW || lt === 12 || lt === 14) { st.protos.push('raw'); rawIp(0, len); }
  else if (lt === LINKTYPE_LINUX_SLL || lt === LINKTYPE_LINUX_SLL2) sll(lt, len);
  else data(0, len);
  if (d.malformed) { d.add(F__WS_MALFORMED, 0, 0, 0, 0); }
  else if (d.short) d.add(F__WS_SHORT, 0, 0, 0, 0);
  if (protosItem >= 0) d.strs[d.val[protosItem]] = st.protos.join(':');
  return d;
}

function data(p: number, end: number): void {
  if (end <= p) return;
  const d = st.d;
  st.protos.push('data');
  d.add(F_DATA, p, end - p, 0, 0);
  d.add(F_DATA_DATA, p, end - p, 0, 1);
  d.add(F_DATA_LEN, p, 0, end - p, 1, ITEM_GENERATED);
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
  d.add(which === 'dst' ? F_ETH_DST_LG : F_ETH_SRC_LG, p, 3, (b & 2) ? 1 : 0, 2);
  d.add(F_ETH_LG, p, 3, (b & 2) ? 1 : 0, 2, ITEM_HIDDEN);
  d.add(which === 'dst' ? F_ETH_DST_IG : F_ETH_SRC_IG, p, 3, b & 1, 2);
  d.add(F_ETH_IG, p, 3, b & 1, 2, ITEM_HIDDEN);
}

function ethernet(p: number, end: number, _depth: number): void {
  const d = st.d;
  st.protos.push('eth');
  st.current = 'eth';
  if (!need(p, 14, end)) return;
  d.add(F_ETH, p, 14, 0, 0);
  d.add(F_ETH_DST, p, 6, 0, 1);
  d.add(F_ETH_ADDR, p, 6, 0, 1, ITEM_HIDDEN);
  macFlags(d, p, 'dst');
  d.add(F_ETH_SRC, p + 6, 6, 0, 1);
  d.add(F_ETH_ADDR, p + 6, 6, 0, 1, ITEM_HIDDEN);
  macFlags(d, p + 6, 'src');
  const type = u16(st.buf, p + 12);
  d.add(F_ETH_TYPE, p + 12, 2, type, 1);
  st.protos.push('ethertype');
  const consumed = ethertype(type, p + 14, end, p);
  // Bytes after the payload: padding up to the 60-byte minimum, anything beyond is a trailer.
  if (consumed < end && !st.stopped && consumed > p + 14) {
    const frameLen = end - p;
    if (frameLen <= 60) d.add(F_ETH_PADDING, consumed, end - consumed, 0, 1);
    else d.add(F_ETH_TRAILER, consumed, end - consumed, 0, 1);
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
    d.add(F_IEEE8021AD, p, 4, 0, 0);
    d.add(F_IEEE8021AD_PRIORITY, p, 2, tci >> 13, 1);
    d.add(F_IEEE8021AD_DEI, p, 2, (tci >> 12) & 1, 1);
    d.add(F_IEEE8021AD_ID, p, 2, tci & 0xfff, 1);
  } else {
    d.add(F_VLAN, p, 4, 0, 0);
    d.add(F_VLAN_PRIORITY, p, 2, tci >> 13, 1);
    d.add(F_VLAN_DEI, p, 2, (tci >> 12) & 1, 1);
    d.add(F_VLAN_ID, p, 2, tci & 0xfff, 1);
    d.add(F_VLAN_ETYPE, p + 2, 2, type, 1);
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
  d.add(F_ARP, p, Math.min(8 + 2 * (hs + ps), end - p), 0, 0);
  d.add(F_ARP_HW_TYPE, p, 2, u16(b, p), 1);
  d.add(F_ARP_PROTO_TYPE, p + 2, 2, u16(b, p + 2), 1);
  d.add(F_ARP_HW_SIZE, p + 4, 1, hs, 1);
  d.add(F_ARP_PROTO_SIZE, p + 5, 1, ps, 1);
  d.add(F_ARP_OPCODE, p + 6, 2, u16(b, p + 6), 1);
  if (hs === 6 && ps === 4) {
    if (!need(p, 28, end)) return end;
    d.add(F_ARP_SRC_HW_MAC, p + 8, 6, 0, 1);
    d.add(F_ARP_SRC_PROTO_IPV4, p + 14, 4, u32(b, p + 14), 1);
    d.add(F_ARP_DST_HW_MAC, p + 18, 6, 0, 1);
    d.add(F_ARP_DST_PROTO_IPV4, p + 24, 4, u32(b, p + 24), 1);
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
  d.add(F_IP, p, ihl, 0, 0);
  d.add(F_IP_VERSION, p, 1, b[p] >> 4, 1);
  d.add(F_IP_HDR_LEN, p, 1, ihl, 1);
  d.add(F_IP_DSFIELD, p + 1, 1, b[p + 1], 1);
  d.add(F_IP_DSFIELD_DSCP, p + 1, 1, b[p + 1] >> 2, 2);
  d.add(F_IP_DSFIELD_ECN, p + 1, 1, b[p + 1] & 3, 2);
  d.add(F_IP_LEN, p + 2, 2, tot, 1);
  if (ihl < 20) { return end; } // Wireshark: bogus header length, stop
  d.add(F_IP_ID, p + 4, 2, u16(b, p + 4), 1);
  const fo = u16(b, p + 6);
  d.add(F_IP_FLAGS, p + 6, 1, fo >> 13, 1);
  d.add(F_IP_FLAGS_RB, p + 6, 1, (fo >> 15) & 1, 2);
  d.add(F_IP_FLAGS_DF, p + 6, 1, (fo >> 14) & 1, 2);
  d.add(F_IP_FLAGS_MF, p + 6, 1, (fo >> 13) & 1, 2);
  d.add(F_IP_FRAG_OFFSET, p + 6, 2, fo & 0x1fff, 1);
  d.add(F_IP_TTL, p + 8, 1, b[p + 8], 1);
  const proto = b[p + 9];
  d.add(F_IP_PROTO, p + 9, 1, proto, 1);
  d.add(F_IP_CHECKSUM, p + 10, 2, u16(b, p + 10), 1);
  let status = 2;
  if (st.ctx.validateChecksums && p + ihl <= st.capEnd) status = foldSum(onesSum(b, p, ihl)) === 0xffff ? 1 : 0;
  d.add(F_IP_CHECKSUM_STATUS, p + 10, 0, status, 1, ITEM_GENERATED);
  const src = u32(b, p + 12), dst = u32(b, p + 16);
  d.add(F_IP_SRC, p + 12, 4, src, 1);
  d.add(F_IP_ADDR, p + 12, 4, src, 1, ITEM_HIDDEN);
  d.add(F_IP_SRC_HOST, p + 12, 4, src, 1, ITEM_HIDDEN | ITEM_TEXT_IPV4);
  d.add(F_IP_HOST, p + 12, 4, src, 1, ITEM_HIDDEN | ITEM_TEXT_IPV4);
  d.add(F_IP_DST, p + 16, 4, dst, 1);
  d.add(F_IP_ADDR, p + 16, 4, dst, 1, ITEM_HIDDEN);
  d.add(F_IP_DST_HOST, p + 16, 4, dst, 1, ITEM_HIDDEN | ITEM_TEXT_IPV4);
  d.add(F_IP_HOST, p + 16, 4, dst, 1, ITEM_HIDDEN | ITEM_TEXT_IPV4);
  if (tot < ihl) return end; // "Bogus IP length": Wireshark stops here
  // Options.
  if (ihl > 20) {
    if (!need(p, ihl, end)) return end;
    let o = p + 20;
    const oe = p + ihl;
    while (o < oe) {
      const t = b[o];
      d.add(F_IP_OPT_TYPE, o, 1, t, 2);
      if (t === 0) break;
      if (t === 1) { o++; continue; }
      if (o + 1 >= oe) break;
      const ol = b[o + 1];
      d.add(F_IP_OPT_LEN, o + 1, 1, ol, 2);
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
  d.add(F_IPV6, p, 40, 0, 0);
  d.add(F_IPV6_VERSION, p, 1, w0 >>> 28, 1);
  d.add(F_IP_VERSION, p, 1, w0 >>> 28, 1, ITEM_HIDDEN);
  d.add(F_IPV6_TCLASS, p, 4, (w0 >>> 20) & 0xff, 1);
  d.add(F_IPV6_TCLASS_DSCP, p, 4, (w0 >>> 22) & 0x3f, 2);
  d.add(F_IPV6_TCLASS_ECN, p, 4, (w0 >>> 20) & 3, 2);
  d.add(F_IPV6_FLOW, p + 1, 3, w0 & 0xfffff, 1);
  d.add(F_IPV6_PLEN, p + 4, 2, plen, 1);
  let nh = b[p + 6];
  d.add(F_IPV6_NXT, p + 6, 1, nh, 1);
  d.add(F_IPV6_HLIM, p + 7, 1, b[p + 7], 1);
  d.add(F_IPV6_SRC, p + 8, 16, 0, 1);
  d.add(F_IPV6_ADDR, p + 8, 16, 0, 1, ITEM_HIDDEN);
  d.add(F_IPV6_SRC_HOST, p + 8, 16, 0, 1, ITEM_HIDDEN | ITEM_TEXT_IPV6);
  d.add(F_IPV6_HOST, p + 8, 16, 0, 1, ITEM_HIDDEN | ITEM_TEXT_IPV6);
  d.add(F_IPV6_DST, p + 24, 16, 0, 1);
  d.add(F_IPV6_ADDR, p + 24, 16, 0, 1, ITEM_HIDDEN);
  d.add(F_IPV6_DST_HOST, p + 24, 16, 0, 1, ITEM_HIDDEN | ITEM_TEXT_IPV6);
  d.add(F_IPV6_HOST, p + 24, 16, 0, 1, ITEM_HIDDEN | ITEM_TEXT_IPV6);
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
      d.add(F_IPV6_HOPOPTS, q, hl, 0, 0);
      d.add(F_IPV6_HOPOPTS_NXT, q, 1, b[q], 1);
      d.add(F_IPV6_HOPOPTS_LEN, q + 1, 1, b[q + 1], 1);
      d.add(F_IPV6_HOPOPTS_LEN_OCT, q + 1, 0, hl, 1, ITEM_GENERATED);
      if (!need(q, hl, dgEnd)) break;
      let o = q + 2;
      while (o < q + hl) {
        const t = b[o];
        d.add(F_IPV6_OPT_TYPE, o, 1, t, 2);
        if (t === 0) { o++; continue; } // Pad1
        if (o + 1 >= q + hl) break;
        const ol = b[o + 1];
        d.add(F_IPV6_OPT_LENGTH, o + 1, 1, ol, 2);
        if (t === 1) d.add(F_IPV6_OPT_PADN, o + 2, ol, 0, 2);
        else if (t === 5 && ol === 2) d.add(F_IPV6_OPT_ROUTER_ALERT, o + 2, 2, u16(b, o + 2), 2);
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
      d.add(F_IPV6_FRAGHDR, q, 8, 0, 0);
      d.add(F_IPV6_FRAGHDR_NXT, q, 1, b[q], 1);
      d.add(F_IPV6_FRAGHDR_RESERVED_OCTET, q + 1, 1, b[q + 1], 1);
      d.add(F_IPV6_FRAGHDR_OFFSET, q + 2, 2, fo >> 3, 1);
      d.add(F_IPV6_FRAGHDR_RESERVED_BITS, q + 2, 2, (fo >> 1) & 3, 1);
      d.add(F_IPV6_FRAGHDR_MORE, q + 2, 2, fo & 1, 1);
      d.add(F_IPV6_FRAGHDR_IDENT, q + 4, 4, u32(b, q + 4), 1);
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

/** Direction of the last flowKey() call: 0 when (src, sport) sorts first. */
let flowDir: 0 | 1 = 0;
function flowKey(sport: number, dport: number): string {
  if (st.ipVersion === 4) {
    const a = st.ipSrcWord, z = st.ipDstWord;
    flowDir = a < z || (a === z && sport <= dport) ? 0 : 1;
    return flowDir === 0 ? `${a}/${sport}|${z}/${dport}` : `${z}/${dport}|${a}/${sport}`;
  }
  const a = addrKey() + '/' + sport, z = addrKeyDst() + '/' + dport;
  flowDir = a <= z ? 0 : 1;
  return flowDir === 0 ? a + '|' + z : z + '|' + a;
}


/** TCP fields whose values come from conversation state. */
const TCP_STATE_FIELDS = [F_TCP_STREAM, F_TCP_SEQ, F_TCP_ACK, F_TCP_NXTSEQ, F_TCP_WINDOW_SIZE, F_TCP_WINDOW_SIZE_SCALEFACTOR, F_TCP_OPTIONS_SACK_LE, F_TCP_OPTIONS_SACK_RE];
function wantsTcpState(want: Uint8Array): boolean {
  for (const f of TCP_STATE_FIELDS) if (want[f]) return true;
  return false;
}
/** True when any of `fids` takes its value from conversation state (needs a capture-order pass first). */
export function needsConversationState(fids: number[]): boolean {
  return fids.some((f) => TCP_STATE_FIELDS.includes(f) || f === F_UDP_STREAM);
}
const SCRATCH_STREAM: TcpStream = { index: 0, dirs: [{ baseSet: false, base: 0, wscale: -1, synSeen: false }, { baseSet: false, base: 0, wscale: -1, synSeen: false }] };

function tcp(p: number, end: number, ipEnd: number, _frag: boolean): void {
  const d = st.d;
  const b = st.buf;
  st.protos.push('tcp');
  st.current = 'tcp';
  if (!need(p, 4, end)) return;
  const sport = u16(b, p), dport = u16(b, p + 2);
  const tcpItem = d.add(F_TCP, p, 20, 0, 0);
  d.add(F_TCP_SRCPORT, p, 2, sport, 1);
  d.add(F_TCP_DSTPORT, p + 2, 2, dport, 1);
  d.add(F_TCP_PORT, p, 2, sport, 1, ITEM_HIDDEN);
  d.add(F_TCP_PORT, p + 2, 2, dport, 1, ITEM_HIDDEN);
  if (!need(p, 20, end)) return;
  // Conversation state costs a keyed lookup per packet: skip it when no stored field depends on it.
  const stateless = d.want !== null && !wantsTcpState(d.want);
  const stream = stateless ? SCRATCH_STREAM : st.ctx.tcpStream(flowKey(sport, dport));
  const dir = stateless ? 0 : flowDir;
  d.add(F_TCP_STREAM, p, 0, stream.index, 1, ITEM_GENERATED);
  const hl = (b[p + 12] >> 4) * 4;
  const flags = ((b[p + 12] & 0x0f) << 8) | b[p + 13];
  const seq = u32(b, p + 4), ack = u32(b, p + 8);
  const segLen = Math.max(0, Math.min(ipEnd, st.repEnd) - p - hl);
  const fwd = stream.dirs[dir], rev = stream.dirs[1 - dir];
  const syn = (flags & 2) !== 0, ackf = (flags & 0x10) !== 0, fin = (flags & 1) !== 0;
  if (syn) { fwd.base = seq; fwd.baseSet = true; }
  else if (!fwd.baseSet) { fwd.base = seq - 1; fwd.baseSet = true; }
  if (ackf && !rev.baseSet) { rev.base = ack - 1; rev.baseSet = true; }
  d.add(F_TCP_LEN, p, 0, segLen, 1, ITEM_GENERATED);
  const relSeq = (seq - fwd.base) >>> 0;
  d.add(F_TCP_SEQ, p + 4, 4, relSeq, 1);
  d.add(F_TCP_SEQ_RAW, p + 4, 4, seq, 1);
  d.add(F_TCP_NXTSEQ, p, 0, (relSeq + segLen + (syn || fin ? 1 : 0)) >>> 0, 1, ITEM_GENERATED);
  d.add(F_TCP_ACK, p + 8, 4, ackf ? (ack - rev.base) >>> 0 : ack, 1);
  d.add(F_TCP_ACK_RAW, p + 8, 4, ack, 1);
  d.add(F_TCP_HDR_LEN, p + 12, 1, hl, 1);
  if (tcpItem >= 0) d.len[tcpItem] = Math.max(0, Math.min(hl, b.length - p));
  d.add(F_TCP_FLAGS, p + 12, 2, flags, 1);
  d.add(F_TCP_FLAGS_RES, p + 12, 2, (flags >> 9) & 7 ? 1 : 0, 2);
  d.add(F_TCP_FLAGS_AE, p + 12, 2, (flags >> 8) & 1, 2);
  d.add(F_TCP_FLAGS_CWR, p + 12, 2, (flags >> 7) & 1, 2);
  d.add(F_TCP_FLAGS_ECE, p + 12, 2, (flags >> 6) & 1, 2);
  d.add(F_TCP_FLAGS_URG, p + 12, 2, (flags >> 5) & 1, 2);
  d.add(F_TCP_FLAGS_ACK, p + 12, 2, (flags >> 4) & 1, 2);
  d.add(F_TCP_FLAGS_PUSH, p + 12, 2, (flags >> 3) & 1, 2);
  d.add(F_TCP_FLAGS_RESET, p + 12, 2, (flags >> 2) & 1, 2);
  d.add(F_TCP_FLAGS_SYN, p + 12, 2, (flags >> 1) & 1, 2);
  d.add(F_TCP_FLAGS_FIN, p + 12, 2, flags & 1, 2);
  d.add(F_TCP_FLAGS_STR, p + 12, 2, flags, 2, ITEM_GENERATED | ITEM_TEXT_TCPFLAGS);
  const win = u16(b, p + 14);
  d.add(F_TCP_WINDOW_SIZE_VALUE, p + 14, 2, win, 1);
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
    d.add(F_TCP_WINDOW_SIZE, p + 14, 2, win, 1, ITEM_GENERATED);
  } else {
    let factor = -1;
    if (fwd.synSeen && rev.synSeen) factor = fwd.wscale >= 0 && rev.wscale >= 0 ? 1 << fwd.wscale : -2;
    d.add(F_TCP_WINDOW_SIZE, p + 14, 2, factor > 0 ? win * factor : win, 1, ITEM_GENERATED);
    d.add(F_TCP_WINDOW_SIZE_SCALEFACTOR, p + 14, 0, factor, 1, ITEM_GENERATED);
  }
  d.add(F_TCP_CHECKSUM, p + 16, 2, u16(b, p + 16), 1);
  const l4len = Math.min(ipEnd, st.repEnd) - p;
  d.add(F_TCP_CHECKSUM_STATUS, p + 16, 0, l4Status(p, l4len, 6, 16, st.ctx.validateChecksums), 1, ITEM_GENERATED);
  d.add(F_TCP_URGENT_POINTER, p + 18, 2, u16(b, p + 18), 1);
  if (hl < 20) return; // bogus header length
  if (hl > 20) {
    if (!need(p, hl, end)) return;
    d.add(F_TCP_OPTIONS, p + 20, hl - 20, 0, 1);
    tcpOptions(p + 20, p + hl, rev);
  }
  const pay = p + hl;
  const payEnd = Math.min(end, p + hl + segLen);
  if (segLen > 0 && payEnd > pay) {
    d.add(F_TCP_PAYLOAD, pay, payEnd - pay, 0, 1);
    data(pay, payEnd);
    if (payEnd < pay + segLen) need(pay, segLen, end);
  }
}

function tcpOptions(o: number, oe: number, rev: TcpDir): void {
  const d = st.d;
  const b = st.buf;
  while (o < oe) {
    const k = b[o];
    d.add(F_TCP_OPTION_KIND, o, 1, k, 2);
    if (k === 0) break;
    if (k === 1) { o++; continue; }
    if (o + 1 >= oe) break;
    const ol = b[o + 1];
    d.add(F_TCP_OPTION_LEN, o + 1, 1, ol, 2);
    if (ol < 2 || o + ol > oe) break;
    switch (k) {
      case 2: if (ol === 4) d.add(F_TCP_OPTIONS_MSS_VAL, o + 2, 2, u16(b, o + 2), 2); break;
      case 3: if (ol === 3) {
        d.add(F_TCP_OPTIONS_WSCALE_SHIFT, o + 2, 1, b[o + 2], 2);
        d.add(F_TCP_OPTIONS_WSCALE_MULTIPLIER, o + 2, 1, Math.pow(2, Math.min(b[o + 2], 14)), 2, ITEM_GENERATED);
      } break;
      case 5: for (let s = o + 2; s + 8 <= o + ol; s += 8) {
        const base = rev.baseSet ? rev.base : 0;
        d.add(F_TCP_OPTIONS_SACK_LE, s, 4, (u32(b, s) - base) >>> 0, 2);
        d.add(F_TCP_OPTIONS_SACK_RE, s + 4, 4, (u32(b, s + 4) - base) >>> 0, 2);
      } break;
      case 8: if (ol === 10) {
        d.add(F_TCP_OPTIONS_TIMESTAMP_TSVAL, o + 2, 4, u32(b, o + 2), 2);
        d.add(F_TCP_OPTIONS_TIMESTAMP_TSECR, o + 6, 4, u32(b, o + 6), 2);
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
  d.add(F_UDP, p, 8, 0, 0);
  d.add(F_UDP_SRCPORT, p, 2, sport, 1);
  d.add(F_UDP_DSTPORT, p + 2, 2, dport, 1);
  d.add(F_UDP_PORT, p, 2, sport, 1, ITEM_HIDDEN);
  d.add(F_UDP_PORT, p + 2, 2, dport, 1, ITEM_HIDDEN);
  d.add(F_UDP_LENGTH, p + 4, 2, ulen, 1);
  const csum = u16(b, p + 6);
  d.add(F_UDP_CHECKSUM, p + 6, 2, csum, 1);
  const status = csum === 0 && st.ipVersion === 4 ? 3 : frag ? 2 : l4Status(p, ulen, 17, 6, st.ctx.validateChecksums);
  d.add(F_UDP_CHECKSUM_STATUS, p + 6, 0, status, 1, ITEM_GENERATED);
  if (d.want === null || d.want[F_UDP_STREAM]) d.add(F_UDP_STREAM, p, 0, st.ctx.udpStream(flowKey(sport, dport)), 1, ITEM_GENERATED);
  if (ulen < 8) return;
  const payEnd = Math.min(end, p + ulen, ipEnd);
  const pay = p + 8;
  if (payEnd <= pay) return;
  d.add(F_UDP_PAYLOAD, pay, payEnd - pay, 0, 1);
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
  d.add(F_ICMP, p, end - p, 0, 0);
  d.add(F_ICMP_TYPE, p, 1, type, 1);
  d.add(F_ICMP_CODE, p + 1, 1, b[p + 1], 1);
  d.add(F_ICMP_CHECKSUM, p + 2, 2, u16(b, p + 2), 1);
  d.add(F_ICMP_CHECKSUM_STATUS, p + 2, 0, icmpChecksumStatus(p, Math.min(end, st.repEnd) - p, false), 1, ITEM_GENERATED);
  if (type === 0 || type === 8) {
    if (!need(p, 8, end)) return;
    const id = u16(b, p + 4), sq = u16(b, p + 6);
    d.add(F_ICMP_IDENT, p + 4, 2, id, 1);
    d.add(F_ICMP_IDENT_LE, p + 4, 2, ((id & 255) << 8) | (id >> 8), 1);
    d.add(F_ICMP_SEQ, p + 6, 2, sq, 1);
    d.add(F_ICMP_SEQ_LE, p + 6, 2, ((sq & 255) << 8) | (sq >> 8), 1);
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
  d.add(F_ICMPV6, p, end - p, 0, 0);
  d.add(F_ICMPV6_TYPE, p, 1, type, 1);
  d.add(F_ICMPV6_CODE, p + 1, 1, b[p + 1], 1);
  d.add(F_ICMPV6_CHECKSUM, p + 2, 2, u16(b, p + 2), 1);
  d.add(F_ICMPV6_CHECKSUM_STATUS, p + 2, 0, icmpChecksumStatus(p, Math.min(end, st.repEnd) - p, true), 1, ITEM_GENERATED);
  if (type === 128 || type === 129) {
    if (!need(p, 8, end)) return;
    d.add(F_ICMPV6_ECHO_IDENTIFIER, p + 4, 2, u16(b, p + 4), 1);
    d.add(F_ICMPV6_ECHO_SEQUENCE_NUMBER, p + 6, 2, u16(b, p + 6), 1);
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
  d.add(F_GRE, p, 4, 0, 0);
  d.add(F_GRE_FLAGS_AND_VERSION, p, 2, fv, 1);
  d.add(F_GRE_FLAGS_CHECKSUM, p, 2, (fv >> 15) & 1, 2);
  d.add(F_GRE_FLAGS_ROUTING, p, 2, (fv >> 14) & 1, 2);
  d.add(F_GRE_FLAGS_KEY, p, 2, (fv >> 13) & 1, 2);
  d.add(F_GRE_FLAGS_SEQUENCE_NUMBER, p, 2, (fv >> 12) & 1, 2);
  d.add(F_GRE_FLAGS_STRICT_SOURCE_ROUTE, p, 2, (fv >> 11) & 1, 2);
  d.add(F_GRE_FLAGS_RECURSION_CONTROL, p, 2, (fv >> 8) & 7, 2);
  if ((fv & 7) === 1) d.add(F_GRE_FLAGS_ACK, p, 2, (fv >> 7) & 1, 2); // enhanced GRE (PPTP) only
  d.add(F_GRE_FLAGS_RESERVED, p, 2, ((fv & 7) === 1 ? (fv >> 3) & 0xf : (fv >> 3) & 0x1f), 2);
  d.add(F_GRE_FLAGS_VERSION, p, 2, fv & 7, 2);
  d.add(F_GRE_PROTO, p + 2, 2, proto, 1);
  let o = p + 4;
  if (fv & 0xc000) {
    if (!need(o, 4, end)) return;
    d.add(F_GRE_CHECKSUM, o, 2, u16(b, o), 1);
    d.add(F_GRE_OFFSET, o + 2, 2, u16(b, o + 2), 1);
    o += 4;
  }
  if (fv & 0x2000) { if (!need(o, 4, end)) return; d.add(F_GRE_KEY, o, 4, u32(b, o), 1); o += 4; }
  if (fv & 0x1000) { if (!need(o, 4, end)) return; d.add(F_GRE_SEQUENCE_NUMBER, o, 4, u32(b, o), 1); o += 4; }
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
  d.add(F_VXLAN, p, 8, 0, 0);
  d.add(F_VXLAN_FLAGS, p, 2, fl, 1);
  d.add(F_VXLAN_FLAG_G, p, 2, (fl >> 15) & 1, 2);
  d.add(F_VXLAN_FLAG_I, p, 2, (fl >> 11) & 1, 2);
  d.add(F_VXLAN_FLAG_D, p, 2, (fl >> 6) & 1, 2);
  d.add(F_VXLAN_FLAG_A, p, 2, (fl >> 3) & 1, 2);
  d.add(F_VXLAN_FLAGS_RESERVED, p, 2, fl & 0x77b7, 2);
  d.add(F_VXLAN_GBP, p + 2, 2, u16(b, p + 2), 1);
  d.add(F_VXLAN_VNI, p + 4, 3, (b[p + 4] << 16) | (b[p + 5] << 8) | b[p + 6], 1);
  ethernet(p + 8, end, 0);
}

function geneve(p: number, end: number): void {
  const d = st.d;
  const b = st.buf;
  st.protos.push('geneve');
  st.current = 'geneve';
  if (!need(p, 8, end)) return;
  const optLen = (b[p] & 0x3f) * 4;
  d.add(F_GENEVE, p, 8 + optLen, 0, 0);
  d.add(F_GENEVE_VERSION, p, 1, b[p] >> 6, 1);
  d.add(F_GENEVE_FLAGS, p + 1, 1, b[p + 1], 1);
  d.add(F_GENEVE_FLAGS_OAM, p + 1, 1, (b[p + 1] >> 7) & 1, 2);
  d.add(F_GENEVE_FLAGS_CRITICAL, p + 1, 1, (b[p + 1] >> 6) & 1, 2);
  d.add(F_GENEVE_FLAGS_RESERVED, p + 1, 1, b[p + 1] & 0x3f ? 1 : 0, 2);
  const proto = u16(b, p + 2);
  d.add(F_GENEVE_PROTO_TYPE, p + 2, 2, proto, 1);
  d.add(F_GENEVE_VNI, p + 4, 3, (b[p + 4] << 16) | (b[p + 5] << 8) | b[p + 6], 1);
  d.add(F_GENEVE_RESERVED, p + 7, 1, b[p + 7], 1);
  if (optLen > 0) {
    if (!need(p + 8, optLen, end)) return;
    d.add(F_GENEVE_OPTIONS, p + 8, optLen, 0, 1);
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
  d.add(F_DNS, p, end - p, 0, 0);
  d.add(F_DNS_ID, p, 2, u16(b, p), 1);
  d.add(F_DNS_FLAGS, p + 2, 2, fl, 1);
  d.add(F_DNS_FLAGS_RESPONSE, p + 2, 2, (fl >> 15) & 1, 2);
  d.add(F_DNS_FLAGS_OPCODE, p + 2, 2, (fl >> 11) & 15, 2);
  d.add(F_DNS_FLAGS_TRUNCATED, p + 2, 2, (fl >> 9) & 1, 2);
  d.add(F_DNS_FLAGS_RECDESIRED, p + 2, 2, (fl >> 8) & 1, 2);
  d.add(F_DNS_FLAGS_Z, p + 2, 2, (fl >> 6) & 1, 2);
  d.add(F_DNS_FLAGS_CHECKDISABLE, p + 2, 2, (fl >> 4) & 1, 2);
  const qd = u16(b, p + 4);
  d.add(F_DNS_COUNT_QUERIES, p + 4, 2, qd, 1);
  d.add(F_DNS_COUNT_ANSWERS, p + 6, 2, u16(b, p + 6), 1);
  d.add(F_DNS_COUNT_AUTH_RR, p + 8, 2, u16(b, p + 8), 1);
  d.add(F_DNS_COUNT_ADD_RR, p + 10, 2, u16(b, p + 10), 1);
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
    d.addString(F_DNS_QRY_NAME, start, o - start, shown, 2);
    d.add(F_DNS_QRY_NAME_LEN, start, o - start, labels === 0 ? 6 : name.length, 2, ITEM_GENERATED);
    d.add(F_DNS_COUNT_LABELS, start, o - start, labels, 2, ITEM_GENERATED);
    d.add(F_DNS_QRY_TYPE, o, 2, u16(b, o), 2);
    d.add(F_DNS_QRY_CLASS, o + 2, 2, u16(b, o + 2) & 0x7fff, 2);
    o += 4;
  }
}
