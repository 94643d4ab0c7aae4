/**
 * The field registry: every field the dissectors produce, by Wireshark's abbreviation, type, base
 * and bitmask (as `tshark -G fields` lists them), plus the emulator's own `netvsc.*`/`xdp.*`
 * fields. One table serves the dissectors, the display-filter compiler, the viewer and the
 * debugger's variables. No Node imports: runs in the webview.
 *
 * API
 *   FT, BASE             field types and display bases (Wireshark's FT_* and BASE_*)
 *   FieldDef             { id, abbrev, name, type, base, mask, shift, bytes, parent, valueStrings? }
 *   FIELDS: FieldDef[]   index = field id;  F: Record<abbrev, id> for the dissectors
 *   fieldByAbbrev(abbrev) -> FieldDef | undefined
 *   protocolOf(abbrev)   the protocol a field belongs to ("tcp" for "tcp.flags.syn")
 *   XDP_VERDICTS, NETVSC_PATHS   value strings of the emulator's enumerated fields
 */

export const enum FT {
  NONE, PROTOCOL, BOOLEAN, UINT8, UINT16, UINT24, UINT32, INT16, INT32, ETHER, IPv4, IPv6, BYTES, STRING,
  RELATIVE_TIME, FRAMENUM,
}
export const enum BASE { NONE, DEC, HEX, DEC_HEX, HEX_DEC }

export interface FieldDef {
  id: number;
  abbrev: string;
  name: string;
  type: FT;
  base: BASE;
  /** Bitmask within the field's bytes (0 = whole value); the value is (raw & mask) >> shift. */
  mask: number;
  shift: number;
  /** The protocol (FT_PROTOCOL field) this field belongs to. */
  parent: string;
  valueStrings?: Record<number, string>;
  description?: string;
}

/** xdp_action values (include/uapi/linux/bpf.h). */
export const XDP_VERDICTS: Record<number, string> = { 0: 'XDP_ABORTED', 1: 'XDP_DROP', 2: 'XDP_PASS', 3: 'XDP_TX', 4: 'XDP_REDIRECT' };
/** Data path a packet took: the synthetic (VMBus) path or the accelerated-networking VF. */
export const NETVSC_PATHS: Record<number, string> = { 0: 'synthetic', 1: 'vf' };

const T: Record<string, FT> = {
  NONE: FT.NONE, PROTOCOL: FT.PROTOCOL, BOOLEAN: FT.BOOLEAN, UINT8: FT.UINT8, UINT16: FT.UINT16, UINT24: FT.UINT24,
  UINT32: FT.UINT32, INT16: FT.INT16, INT32: FT.INT32, ETHER: FT.ETHER, IPv4: FT.IPv4, IPv6: FT.IPv6, BYTES: FT.BYTES,
  STRING: FT.STRING, RELATIVE_TIME: FT.RELATIVE_TIME, FRAMENUM: FT.FRAMENUM,
};
const B: Record<string, BASE> = { '': BASE.NONE, NONE: BASE.NONE, DEC: BASE.DEC, HEX: BASE.HEX, DEC_HEX: BASE.DEC_HEX, HEX_DEC: BASE.HEX_DEC };

// abbrev | type | base | mask | name   (protocols first, then their fields)
const TABLE = `
frame PROTOCOL  0 Frame
frame.interface_id UINT32 DEC 0 Interface id
frame.interface_name STRING  0 Interface name
frame.time_epoch RELATIVE_TIME  0 Epoch Time
frame.time_delta RELATIVE_TIME  0 Time delta from previous captured frame
frame.time_relative RELATIVE_TIME  0 Time since reference or first frame
frame.number UINT32 DEC 0 Frame Number
frame.len UINT32 DEC 0 Frame length on the wire
frame.cap_len UINT32 DEC 0 Frame length stored into the capture file
frame.marked BOOLEAN  0 Frame is marked
frame.ignored BOOLEAN  0 Frame is ignored
frame.protocols STRING  0 Protocols in frame
frame.comment STRING  0 Comment
eth PROTOCOL  0 Ethernet II
eth.dst ETHER  0 Destination
eth.dst.lg BOOLEAN  0x20000 LG bit
eth.dst.ig BOOLEAN  0x10000 IG bit
eth.src ETHER  0 Source
eth.src.lg BOOLEAN  0x20000 LG bit
eth.src.ig BOOLEAN  0x10000 IG bit
eth.addr ETHER  0 Address
eth.lg BOOLEAN  0x20000 LG bit
eth.ig BOOLEAN  0x10000 IG bit
eth.type UINT16 HEX 0 Type
eth.padding BYTES  0 Padding
eth.trailer BYTES  0 Trailer
vlan PROTOCOL  0 802.1Q Virtual LAN
vlan.priority UINT16 DEC 0xe000 Priority
vlan.dei BOOLEAN  0x1000 DEI
vlan.id UINT16 DEC 0xfff ID
vlan.etype UINT16 HEX 0 Type
ieee8021ad PROTOCOL  0 IEEE 802.1ad
ieee8021ad.priority UINT16 DEC 0xe000 Priority
ieee8021ad.dei UINT16 DEC 0x1000 DEI
ieee8021ad.id UINT16 DEC 0xfff ID
arp PROTOCOL  0 Address Resolution Protocol
arp.hw.type UINT16 DEC 0 Hardware type
arp.proto.type UINT16 HEX 0 Protocol type
arp.hw.size UINT8 DEC 0 Hardware size
arp.proto.size UINT8 DEC 0 Protocol size
arp.opcode UINT16 DEC 0 Opcode
arp.src.hw_mac ETHER  0 Sender MAC address
arp.src.proto_ipv4 IPv4  0 Sender IP address
arp.dst.hw_mac ETHER  0 Target MAC address
arp.dst.proto_ipv4 IPv4  0 Target IP address
ip PROTOCOL  0 Internet Protocol Version 4
ip.version UINT8 DEC 0 Version
ip.hdr_len UINT8 DEC 0 Header Length
ip.dsfield UINT8 HEX 0 Differentiated Services Field
ip.dsfield.dscp UINT8 DEC 0xfc Differentiated Services Codepoint
ip.dsfield.ecn UINT8 DEC 0x3 Explicit Congestion Notification
ip.len UINT16 DEC 0 Total Length
ip.id UINT16 HEX_DEC 0 Identification
ip.flags UINT8 HEX 0xe0 Flags
ip.flags.rb BOOLEAN  0x80 Reserved bit
ip.flags.df BOOLEAN  0x40 Don't fragment
ip.flags.mf BOOLEAN  0x20 More fragments
ip.frag_offset UINT16 DEC 0x1fff Fragment Offset
ip.ttl UINT8 DEC 0 Time to Live
ip.proto UINT8 DEC 0 Protocol
ip.checksum UINT16 HEX 0 Header Checksum
ip.checksum.status UINT8 NONE 0 Header checksum status
ip.src IPv4  0 Source Address
ip.addr IPv4  0 Source or Destination Address
ip.src_host STRING  0 Source Host
ip.host STRING  0 Source or Destination Host
ip.dst IPv4  0 Destination Address
ip.dst_host STRING  0 Destination Host
ip.opt.type UINT8 DEC 0 Type
ip.opt.len UINT8 DEC 0 Length
ipv6 PROTOCOL  0 Internet Protocol Version 6
ipv6.version UINT8 DEC 0 Version
ipv6.tclass UINT32 HEX 0xff00000 Traffic Class
ipv6.tclass.dscp UINT32 DEC 0xfc00000 Differentiated Services Codepoint
ipv6.tclass.ecn UINT32 DEC 0x300000 Explicit Congestion Notification
ipv6.flow UINT24 HEX 0xfffff Flow Label
ipv6.plen UINT16 DEC 0 Payload Length
ipv6.nxt UINT8 DEC 0 Next Header
ipv6.hlim UINT8 DEC 0 Hop Limit
ipv6.src IPv6  0 Source Address
ipv6.addr IPv6  0 Source or Destination Address
ipv6.src_host STRING  0 Source Host
ipv6.host STRING  0 Source or Destination Host
ipv6.dst IPv6  0 Destination Address
ipv6.dst_host STRING  0 Destination Host
ipv6.hopopts PROTOCOL  0 IPv6 Hop-by-Hop Option
ipv6.hopopts.nxt UINT8 DEC 0 Next Header
ipv6.hopopts.len UINT8 DEC 0 Length
ipv6.hopopts.len_oct UINT16 DEC 0 Length
ipv6.opt.type UINT8 HEX 0 Type
ipv6.opt.length UINT8 DEC 0 Length
ipv6.opt.router_alert UINT16 DEC 0 Router Alert
ipv6.opt.padn BYTES  0 PadN
ipv6.fraghdr PROTOCOL  0 IPv6 Fragment
ipv6.fraghdr.nxt UINT8 DEC 0 Next header
ipv6.fraghdr.reserved_octet UINT8 HEX 0 Reserved octet
ipv6.fraghdr.offset UINT16 DEC 0xfff8 Offset
ipv6.fraghdr.reserved_bits UINT16 DEC 0x6 Reserved bits
ipv6.fraghdr.more BOOLEAN  0x1 More Fragments
ipv6.fraghdr.ident UINT32 HEX 0 Identification
icmp PROTOCOL  0 Internet Control Message Protocol
icmp.type UINT8 DEC 0 Type
icmp.code UINT8 DEC 0 Code
icmp.checksum UINT16 HEX 0 Checksum
icmp.checksum.status UINT8 NONE 0 Checksum Status
icmp.ident UINT16 DEC_HEX 0 Identifier (BE)
icmp.ident_le UINT16 DEC_HEX 0 Identifier (LE)
icmp.seq UINT16 DEC_HEX 0 Sequence Number (BE)
icmp.seq_le UINT16 DEC_HEX 0 Sequence Number (LE)
icmpv6 PROTOCOL  0 Internet Control Message Protocol v6
icmpv6.type UINT8 DEC 0 Type
icmpv6.code UINT8 DEC 0 Code
icmpv6.checksum UINT16 HEX 0 Checksum
icmpv6.checksum.status UINT8 NONE 0 Checksum Status
icmpv6.echo.identifier UINT16 HEX 0 Identifier
icmpv6.echo.sequence_number UINT16 DEC 0 Sequence
tcp PROTOCOL  0 Transmission Control Protocol
tcp.srcport UINT16 DEC 0 Source Port
tcp.dstport UINT16 DEC 0 Destination Port
tcp.port UINT16 DEC 0 Source or Destination Port
tcp.stream UINT32 DEC 0 Stream index
tcp.len UINT32 DEC 0 TCP Segment Len
tcp.seq UINT32 DEC 0 Sequence Number
tcp.seq_raw UINT32 DEC 0 Sequence Number (raw)
tcp.nxtseq UINT32 DEC 0 Next Sequence Number
tcp.ack UINT32 DEC 0 Acknowledgment Number
tcp.ack_raw UINT32 DEC 0 Acknowledgment number (raw)
tcp.hdr_len UINT8 DEC 0 Header Length
tcp.flags UINT16 HEX 0xfff Flags
tcp.flags.res BOOLEAN  0xe00 Reserved
tcp.flags.ae BOOLEAN  0x100 Accurate ECN
tcp.flags.cwr BOOLEAN  0x80 Congestion Window Reduced
tcp.flags.ece BOOLEAN  0x40 ECN-Echo
tcp.flags.urg BOOLEAN  0x20 Urgent
tcp.flags.ack BOOLEAN  0x10 Acknowledgment
tcp.flags.push BOOLEAN  0x8 Push
tcp.flags.reset BOOLEAN  0x4 Reset
tcp.flags.syn BOOLEAN  0x2 Syn
tcp.flags.fin BOOLEAN  0x1 Fin
tcp.flags.str STRING  0 TCP Flags
tcp.window_size_value UINT16 DEC 0 Window
tcp.window_size UINT32 DEC 0 Calculated window size
tcp.window_size_scalefactor INT32 DEC 0 Window size scaling factor
tcp.checksum UINT16 HEX 0 Checksum
tcp.checksum.status UINT8 NONE 0 Checksum Status
tcp.urgent_pointer UINT16 DEC 0 Urgent Pointer
tcp.options BYTES  0 TCP Options
tcp.option_kind UINT8 DEC 0 Kind
tcp.option_len UINT8 DEC 0 Length
tcp.options.mss_val UINT16 DEC 0 MSS Value
tcp.options.wscale.shift UINT8 DEC 0 Shift count
tcp.options.wscale.multiplier UINT16 DEC 0 Multiplier
tcp.options.sack_le UINT32 DEC 0 TCP SACK Left Edge
tcp.options.sack_re UINT32 DEC 0 TCP SACK Right Edge
tcp.options.timestamp.tsval UINT32 DEC 0 Timestamp value
tcp.options.timestamp.tsecr UINT32 DEC 0 Timestamp echo reply
tcp.payload BYTES  0 TCP payload
udp PROTOCOL  0 User Datagram Protocol
udp.srcport UINT16 DEC 0 Source Port
udp.dstport UINT16 DEC 0 Destination Port
udp.port UINT16 DEC 0 Source or Destination Port
udp.length UINT16 DEC 0 Length
udp.checksum UINT16 HEX 0 Checksum
udp.checksum.status UINT8 NONE 0 Checksum Status
udp.stream UINT32 DEC 0 Stream index
udp.payload BYTES  0 Payload
vxlan PROTOCOL  0 Virtual eXtensible Local Area Network
vxlan.flags UINT16 HEX 0 Flags
vxlan.flag_g BOOLEAN  0x8000 GBP Extension
vxlan.flag_i BOOLEAN  0x800 VXLAN Network ID (VNI)
vxlan.flag_d BOOLEAN  0x40 Don't Learn
vxlan.flag_a BOOLEAN  0x8 Policy Applied
vxlan.flags_reserved UINT16 HEX 0x77b7 Reserved(R)
vxlan.gbp UINT16 DEC 0 Group Policy ID
vxlan.vni UINT24 DEC 0 VXLAN Network Identifier (VNI)
geneve PROTOCOL  0 Generic Network Virtualization Encapsulation
geneve.version UINT8 DEC 0 Version
geneve.flags UINT8 HEX 0 Flags
geneve.flags.oam BOOLEAN  0x80 Operations, Administration and Management Frame
geneve.flags.critical BOOLEAN  0x40 Critical Options Present
geneve.flags.reserved BOOLEAN  0x3f Reserved
geneve.proto_type UINT16 HEX 0 Protocol Type
geneve.vni UINT24 HEX_DEC 0 Virtual Network Identifier (VNI)
geneve.reserved UINT8 HEX 0 Reserved
geneve.options BYTES  0 Geneve Options
gre PROTOCOL  0 Generic Routing Encapsulation
gre.flags_and_version UINT16 HEX 0 Flags and Version
gre.flags.checksum BOOLEAN  0x8000 Checksum Bit
gre.flags.routing BOOLEAN  0x4000 Routing Bit
gre.flags.key BOOLEAN  0x2000 Key Bit
gre.flags.sequence_number BOOLEAN  0x1000 Sequence Number Bit
gre.flags.strict_source_route BOOLEAN  0x800 Strict Source Route Bit
gre.flags.recursion_control UINT16 DEC 0x700 Recursion control
gre.flags.ack BOOLEAN  0x80 Acknowledgment
gre.flags.reserved UINT16 DEC 0xf8 Flags (Reserved)
gre.flags.version UINT16 DEC 0x7 Version
gre.proto UINT16 HEX 0 Protocol Type
gre.checksum UINT16 HEX 0 Checksum
gre.offset UINT16 DEC 0 Offset
gre.key UINT32 HEX 0 Key
gre.sequence_number UINT32 DEC 0 Sequence Number
dns PROTOCOL  0 Domain Name System
dns.id UINT16 HEX 0 Transaction ID
dns.flags UINT16 HEX 0 Flags
dns.flags.response BOOLEAN  0x8000 Response
dns.flags.opcode UINT16 DEC 0x7800 Opcode
dns.flags.truncated BOOLEAN  0x200 Truncated
dns.flags.recdesired BOOLEAN  0x100 Recursion desired
dns.flags.z BOOLEAN  0x40 Z
dns.flags.checkdisable BOOLEAN  0x10 Non-authenticated data
dns.count.queries UINT16 DEC 0 Questions
dns.count.answers UINT16 DEC 0 Answer RRs
dns.count.auth_rr UINT16 DEC 0 Authority RRs
dns.count.add_rr UINT16 DEC 0 Additional RRs
dns.qry.name STRING  0 Name
dns.qry.name.len UINT16 DEC 0 Name Length
dns.count.labels UINT16 DEC 0 Label Count
dns.qry.type UINT16 DEC 0 Type
dns.qry.class UINT16 HEX 0 Class
data PROTOCOL  0 Data
data.data BYTES  0 Data
data.len INT32 DEC 0 Length
_ws.malformed PROTOCOL  0 Malformed Packet
_ws.short PROTOCOL  0 Packet size limited during capture
netvsc PROTOCOL  0 NetVSC Lab decision
netvsc.queue UINT16 DEC 0 Queue (channel) the packet was handled on
netvsc.hash UINT32 HEX 0 RSS / send hash
netvsc.path UINT8 DEC 0 Data path (synthetic or VF)
netvsc.rsc.segments UINT16 DEC 0 Segments coalesced by RSC
netvsc.drop_reason STRING  0 Drop reason
xdp PROTOCOL  0 XDP
xdp.verdict UINT8 DEC 0 XDP verdict
`;

function ctz(m: number): number { let s = 0; if (m === 0) return 0; while (((m >>> s) & 1) === 0) s++; return s; }

export const FIELDS: FieldDef[] = [];
export const F: Record<string, number> = Object.create(null);
/** Abbreviations of the protocols registered so far (the table lists a protocol before its fields). */
const PROTOCOLS = new Set<string>();
for (const line of TABLE.split('\n')) {
  if (!line.trim()) continue;
  const m = /^(\S+) (\S+) (\S*) (\S+) (.*)$/.exec(line);
  if (!m) throw new Error(`field table: bad line '${line}'`);
  const [, abbrev, type, base, mask, name] = m;
  const id = FIELDS.length;
  const dot = abbrev.lastIndexOf('.');
  const t = T[type];
  const mk = Number(mask);
  const def: FieldDef = {
    id, abbrev, name, type: t, base: B[base], mask: mk, shift: ctz(mk),
    parent: t === FT.PROTOCOL ? abbrev : protocolOfAbbrev(abbrev, dot),
  };
  FIELDS.push(def);
  F[abbrev] = id;
  if (t === FT.PROTOCOL) PROTOCOLS.add(abbrev);
}
FIELDS[F['xdp.verdict']].valueStrings = XDP_VERDICTS;
FIELDS[F['netvsc.path']].valueStrings = NETVSC_PATHS;

function protocolOfAbbrev(abbrev: string, dot: number): string {
  // The longest protocol abbreviation that prefixes the field ("ipv6.hopopts.len" -> "ipv6.hopopts").
  for (let d = dot; d > 0; d = abbrev.lastIndexOf('.', d - 1)) {
    const prefix = abbrev.slice(0, d);
    if (PROTOCOLS.has(prefix)) return prefix;
  }
  const first = abbrev.indexOf('.');
  return first < 0 ? abbrev : abbrev.slice(0, first);
}

export function fieldByAbbrev(abbrev: string): FieldDef | undefined {
  const id = F[abbrev];
  return id === undefined ? undefined : FIELDS[id];
}

export function protocolOf(abbrev: string): string {
  return fieldByAbbrev(abbrev)?.parent ?? abbrev.split('.')[0];
}

/** Bytes of the wire value of a field type (for slices of numbers and hex widths). */
export function typeBytes(t: FT): number {
  switch (t) {
    case FT.UINT8: case FT.BOOLEAN: return 1;
    case FT.UINT16: case FT.INT16: return 2;
    case FT.UINT24: return 3;
    case FT.UINT32: case FT.INT32: case FT.IPv4: case FT.FRAMENUM: return 4;
    case FT.ETHER: return 6;
    case FT.IPv6: return 16;
    default: return 0;
  }
}
