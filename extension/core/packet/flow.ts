/**
 * Flow dissector: the fast, allocation-free header walk the device model's RSS, RSC, GRO and
 * checksum stages read — the counterpart of the kernel's `skb_flow_dissect()`, separate from the
 * full Wireshark-style dissection in `dissect.ts`.
 *
 * API
 *   new FlowKeys()                      one reusable result object (allocate once, reuse per packet)
 *   dissectFlow(buf, off, len, keys, linkType = LINKTYPE_ETHERNET) -> keys
 *       Walks L2 (Ethernet + stacked 802.1Q/802.1ad tags, SLL, SLL2 or raw IP), IPv4/IPv6 (IPv6
 *       extension headers incl. fragment), and TCP/UDP/ICMP/SCTP ports. Never throws, never
 *       allocates. `keys.status` tells what was found; absent values are 0.
 *   flowStatus bits (FLOW_*), L3/L4 constants (ETH_P_*, IPPROTO_*), TCP flag bits (TCP_FLAG_*).
 *
 * Addresses are kept both as their byte offsets into `buf` (for hashing the wire bytes, e.g.
 * Toeplitz over src|dst|sport|dport) and as big-endian 32-bit words (`src[0..3]`, IPv4 in
 * `src[0]`), cheap to compare and hash. Ports are only reported when present in this frame: a
 * non-first fragment has none (FLOW_PORTS clear), which is exactly why such fragments hash
 * differently under an L4 hash.
 */

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const ETH_P_QINQ1 = 0x9100; // pre-standard QinQ, treated as a VLAN tag like the kernel does
export const ETH_P_IPV6 = 0x86dd;

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_GRE = 47;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_SCTP = 132;

export const TCP_FLAG_FIN = 0x01;
export const TCP_FLAG_SYN = 0x02;
export const TCP_FLAG_RST = 0x04;
export const TCP_FLAG_PSH = 0x08;
export const TCP_FLAG_ACK = 0x10;
export const TCP_FLAG_URG = 0x20;
export const TCP_FLAG_ECE = 0x40;
export const TCP_FLAG_CWR = 0x80;

/** `FlowKeys.status` bits. */
export const FLOW_L2 = 1 << 0;          // link header parsed
export const FLOW_VLAN = 1 << 1;        // at least one VLAN tag
export const FLOW_IPV4 = 1 << 2;
export const FLOW_IPV6 = 1 << 3;
export const FLOW_FRAGMENT = 1 << 4;    // IPv4 MF/offset != 0 or IPv6 fragment header
export const FLOW_FIRST_FRAGMENT = 1 << 5; // fragment with offset 0 (carries the L4 header)
export const FLOW_PORTS = 1 << 6;       // srcPort/dstPort valid
export const FLOW_TCP = 1 << 7;         // TCP header fully present: tcp* fields valid
export const FLOW_UDP = 1 << 8;
export const FLOW_TRUNCATED = 1 << 9;   // a header ran past the captured bytes
export const FLOW_MALFORMED = 1 << 10;  // a header field is impossible (IHL < 5, tot_len < IHL, ...)
export const FLOW_IP_OPTIONS = 1 << 11; // IPv4 header longer than 20 bytes
export const FLOW_IPV6_EXT = 1 << 12;   // IPv6 extension header(s) present
export const FLOW_ARP = 1 << 13;

/** Result of `dissectFlow`. All offsets are absolute into the buffer passed in. */
export class FlowKeys {
  status = 0;
  /** Number of VLAN tags seen (any number walked; the first two kept). */
  vlanCount = 0;
  /** TPID and TCI of the outer (0) and inner (1) tag. */
  readonly vlanTpid = new Uint16Array(2);
  readonly vlanTci = new Uint16Array(2);
  /** Ethertype after the VLAN tags (or the protocol of SLL/SLL2/raw). */
  ethertype = 0;
  l2Offset = 0;
  l3Offset = 0;
  /** IPv4: IHL*4. IPv6: 40 + extension headers walked before the L4 header. */
  ipHeaderLength = 0;
  /** IPv4 tot_len; IPv6 payload_len + 40. */
  ipTotalLength = 0;
  ttl = 0;
  tos = 0;
  /** IPv6 flow label (20 bits). */
  flowLabel = 0;
  srcAddrOffset = 0;
  dstAddrOffset = 0;
  /** Address words, big-endian: IPv4 in [0], IPv6 in [0..3]. */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** Fragment id (IPv4 16-bit, IPv6 32-bit), offset in bytes, more-fragments and don't-fragment. */
  fragmentId = 0;
  fragmentOffset = 0;
  moreFragments = false;
  dontFragment = false;
  /** L4 protocol number (after IPv6 extension headers); 0 when none. */
  l4Proto = 0;
  l4Offset = 0;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  tcpHeaderLength = 0;
  /** L4 payload start and length (bounded by the IP length and the captured bytes). */
  payloadOffset = 0;
  payloadLength = 0;
  /** Offset of the end of the IP datagram (excluding Ethernet padding), clamped to captured bytes. */
  l3End = 0;

  reset(): void {
    this.status = 0; this.vlanCount = 0; this.vlanTpid[0] = this.vlanTpid[1] = 0;
    this.vlanTci[0] = this.vlanTci[1] = 0; this.ethertype = 0; this.l2Offset = 0; this.l3Offset = 0;
    this.ipHeaderLength = 0; this.ipTotalLength = 0; this.ttl = 0; this.tos = 0; this.flowLabel = 0;
    this.srcAddrOffset = 0; this.dstAddrOffset = 0;
    this.src[0] = this.src[1] = this.src[2] = this.src[3] = 0;
    this.dst[0] = this.dst[1] = this.dst[2] = this.dst[3] = 0;
    this.fragmentId = 0; this.fragmentOffset = 0; this.moreFragments = false; this.dontFragment = false;
    this.l4Proto = 0; this.l4Offset = 0; this.srcPort = 0; this.dstPort = 0; this.tcpFlags = 0;
    this.tcpSeq = 0; this.tcpAck = 0; this.tcpWindow = 0; this.tcpHeaderLength = 0;
    this.payloadOffset = 0; this.payloadLength = 0; this.l3End = 0;
  }
}

function u16(b: Uint8Array, o: number): number { return (b[o] << 8) | b[o + 1]; }
function u32(b: Uint8Array, o: number): number { return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0; }

/**
 * Walks the headers of one frame `buf[off, off+len)` into `keys` (reset first). `linkType` is a
 * pcap LINKTYPE_* value (Ethernet, raw IP, SLL, SLL2).
 */
export function dissectFlow(buf: Uint8Array, off: number, len: number, keys: FlowKeys,
  linkType: number = LINKTYPE_ETHERNET): FlowKeys {
  keys.reset();
  const end = Math.min(off + len, buf.length);
  let p = off;
  let proto: number;
  keys.l2Offset = off;
  if (linkType === LINKTYPE_ETHERNET) {
    if (end - p < 14) { keys.status |= FLOW_TRUNCATED; return keys; }
    proto = u16(buf, p + 12);
    p += 14;
    keys.status |= FLOW_L2;
    while (proto === ETH_P_8021Q || proto === ETH_P_8021AD || proto === ETH_P_QINQ1) {
      if (end - p < 4) { keys.status |= FLOW_TRUNCATED; keys.ethertype = proto; return keys; }
      if (keys.vlanCount < 2) { keys.vlanTpid[keys.vlanCount] = proto; keys.vlanTci[keys.vlanCount] = u16(buf, p); }
      keys.vlanCount++;
      keys.status |= FLOW_VLAN;
      proto = u16(buf, p + 2);
      p += 4;
    }
  } else if (linkType === LINKTYPE_RAW || linkType === 12 || linkType === 14) {
    if (end - p < 1) { keys.status |= FLOW_TRUNCATED; return keys; }
    const v = buf[p] >> 4;
    proto = v === 4 ? ETH_P_IP : v === 6 ? ETH_P_IPV6 : 0;
    keys.status |= FLOW_L2;
  } else if (linkType === LINKTYPE_LINUX_SLL) {
    if (end - p < 16) { keys.status |= FLOW_TRUNCATED; return keys; }
    proto = u16(buf, p + 14);
    p += 16;
    keys.status |= FLOW_L2;
  } else if (linkType === LINKTYPE_LINUX_SLL2) {
    if (end - p < 20) { keys.status |= FLOW_TRUNCATED; return keys; }
    proto = u16(buf, p);
    p += 20;
    keys.status |= FLOW_L2;
  } else {
    return keys;
  }
  keys.ethertype = proto;
  keys.l3Offset = p;
  if (proto === ETH_P_IP) ipv4(buf, p, end, keys);
  else if (proto === ETH_P_IPV6) ipv6(buf, p, end, keys);
  else if (proto === ETH_P_ARP) keys.status |= FLOW_ARP;
  return keys;
}

function ipv4(buf: Uint8Array, p: number, end: number, k: FlowKeys): void {
  if (end - p < 20) { k.status |= FLOW_TRUNCATED; return; }
  const vihl = buf[p];
  const ihl = (vihl & 15) * 4;
  if (vihl >> 4 !== 4 || ihl < 20) { k.status |= FLOW_MALFORMED; return; }
  k.status |= FLOW_IPV4;
  if (ihl > 20) k.status |= FLOW_IP_OPTIONS;
  k.ipHeaderLength = ihl;
  k.tos = buf[p + 1];
  const tot = u16(buf, p + 2);
  k.ipTotalLength = tot;
  k.fragmentId = u16(buf, p + 4);
  const fo = u16(buf, p + 6);
  k.dontFragment = (fo & 0x4000) !== 0;
  k.moreFragments = (fo & 0x2000) !== 0;
  k.fragmentOffset = (fo & 0x1fff) * 8;
  k.ttl = buf[p + 8];
  k.srcAddrOffset = p + 12;
  k.dstAddrOffset = p + 16;
  k.src[0] = u32(buf, p + 12);
  k.dst[0] = u32(buf, p + 16);
  if (tot < ihl) { k.status |= FLOW_MALFORMED; k.l3End = Math.min(end, p + ihl); return; }
  if (end - p < ihl) { k.status |= FLOW_TRUNCATED; k.l3End = end; return; }
  const l3End = p + tot;
  if (l3End > end) k.status |= FLOW_TRUNCATED;
  k.l3End = Math.min(l3End, end);
  k.l4Proto = buf[p + 9];
  if (k.moreFragments || k.fragmentOffset !== 0) {
    k.status |= FLOW_FRAGMENT;
    if (k.fragmentOffset !== 0) { k.l4Offset = p + ihl; return; } // no L4 header here
    k.status |= FLOW_FIRST_FRAGMENT;
  }
  l4(buf, p + ihl, k.l3End, k);
}

function ipv6(buf: Uint8Array, p: number, end: number, k: FlowKeys): void {
  if (end - p < 40) { k.status |= FLOW_TRUNCATED; return; }
  const w0 = u32(buf, p);
  if (w0 >>> 28 !== 6) { k.status |= FLOW_MALFORMED; return; }
  k.status |= FLOW_IPV6;
  k.tos = (w0 >>> 20) & 0xff;
  k.flowLabel = w0 & 0xfffff;
  const plen = u16(buf, p + 4);
  k.ipTotalLength = plen + 40;
  k.ttl = buf[p + 7];
  k.srcAddrOffset = p + 8;
  k.dstAddrOffset = p + 24;
  for (let i = 0; i < 4; i++) { k.src[i] = u32(buf, p + 8 + 4 * i); k.dst[i] = u32(buf, p + 24 + 4 * i); }
  const l3End = p + 40 + plen;
  if (l3End > end) k.status |= FLOW_TRUNCATED;
  k.l3End = Math.min(l3End, end);
  let nh = buf[p + 6];
  let q = p + 40;
  // Extension headers: a bounded walk (each header is at least 8 bytes, so it ends).
  for (;;) {
    if (nh === IPPROTO_HOPOPTS || nh === IPPROTO_ROUTING || nh === IPPROTO_DSTOPTS || nh === IPPROTO_AH) {
      if (k.l3End - q < 8) { k.status |= FLOW_TRUNCATED; k.ipHeaderLength = q - p; return; }
      k.status |= FLOW_IPV6_EXT;
      const hl = nh === IPPROTO_AH ? (buf[q + 1] + 2) * 4 : (buf[q + 1] + 1) * 8;
      nh = buf[q];
      q += hl;
      continue;
    }
    if (nh === IPPROTO_FRAGMENT) {
      if (k.l3End - q < 8) { k.status |= FLOW_TRUNCATED; k.ipHeaderLength = q - p; return; }
      k.status |= FLOW_IPV6_EXT | FLOW_FRAGMENT;
      const fo = u16(buf, q + 2);
      k.fragmentOffset = fo & 0xfff8;
      k.moreFragments = (fo & 1) !== 0;
      k.fragmentId = u32(buf, q + 4);
      nh = buf[q];
      q += 8;
      if (k.fragmentOffset !== 0) { k.ipHeaderLength = q - p; k.l4Proto = nh; k.l4Offset = q; return; }
      k.status |= FLOW_FIRST_FRAGMENT;
      continue;
    }
    break;
  }
  k.ipHeaderLength = q - p;
  if (q > k.l3End) { k.status |= FLOW_TRUNCATED; return; }
  k.l4Proto = nh === IPPROTO_NONE ? 0 : nh;
  if (nh !== IPPROTO_NONE) l4(buf, q, k.l3End, k);
}

function l4(buf: Uint8Array, p: number, end: number, k: FlowKeys): void {
  k.l4Offset = p;
  const avail = end - p;
  switch (k.l4Proto) {
    case IPPROTO_TCP: {
      if (avail < 4) { k.status |= FLOW_TRUNCATED; return; }
      k.srcPort = u16(buf, p); k.dstPort = u16(buf, p + 2); k.status |= FLOW_PORTS;
      if (avail < 20) { k.status |= FLOW_TRUNCATED; return; }
      const hl = (buf[p + 12] >> 4) * 4;
      k.tcpSeq = u32(buf, p + 4);
      k.tcpAck = u32(buf, p + 8);
      k.tcpFlags = buf[p + 13];
      k.tcpWindow = u16(buf, p + 14);
      k.tcpHeaderLength = hl;
      if (hl < 20) { k.status |= FLOW_MALFORMED; return; }
      if (avail < hl) { k.status |= FLOW_TRUNCATED; return; }
      k.status |= FLOW_TCP;
      k.payloadOffset = p + hl;
      k.payloadLength = avail - hl;
      return;
    }
    case IPPROTO_UDP: {
      if (avail < 4) { k.status |= FLOW_TRUNCATED; return; }
      k.srcPort = u16(buf, p); k.dstPort = u16(buf, p + 2); k.status |= FLOW_PORTS;
      if (avail < 8) { k.status |= FLOW_TRUNCATED; return; }
      k.status |= FLOW_UDP;
      k.payloadOffset = p + 8;
      k.payloadLength = avail - 8;
      return;
    }
    case IPPROTO_SCTP: {
      if (avail < 4) { k.status |= FLOW_TRUNCATED; return; }
      k.srcPort = u16(buf, p); k.dstPort = u16(buf, p + 2); k.status |= FLOW_PORTS;
      return;
    }
    case IPPROTO_ICMP: case IPPROTO_ICMPV6: {
      if (avail < 4) { k.status |= FLOW_TRUNCATED; return; }
      k.payloadOffset = p + 4;
      k.payloadLength = avail - 4;
      return;
    }
    default:
      k.payloadOffset = p;
      k.payloadLength = avail > 0 ? avail : 0;
  }
}
