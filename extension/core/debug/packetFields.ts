/**
 * The packet as the debugger shows it: a dissection tree whose leaves carry Wireshark's field
 * names (`ip.src`, `udp.dstport`), byte offsets and typed values, so the same tree serves the
 * VARIABLES view, the evaluator (`ip.src` in WATCH) and display-filter conditions.
 *
 * Small on purpose: Ethernet, 802.1Q, ARP, IPv4, IPv6, UDP, TCP, ICMP. It is rebuilt from the
 * current bytes at every stop, so fields follow the program's rewrites.
 */
import { formatIPv4, formatIPv6, formatMac } from '../packet/addr';
import { dissectFlow, FLOW_IPV4, FLOW_TCP, FLOW_UDP, FlowKeys } from '../packet/flow';

/** A field's value in the form display filters compare. */
export type FieldValue =
  | { kind: 'uint'; n: number }
  | { kind: 'ipv4'; n: number }
  | { kind: 'ipv6'; bytes: Uint8Array }
  | { kind: 'ether'; bytes: Uint8Array }
  | { kind: 'bool'; b: boolean };

export interface FieldNode {
  /** Wireshark field name (`ip.src`) or protocol name (`ip`). */
  name: string;
  /** What the details pane shows: `Source Address: 10.0.0.1`. */
  label: string;
  /** Display text of the value (leaves). */
  text?: string;
  value?: FieldValue;
  /** Offset and length in the frame. */
  offset: number;
  length: number;
  children?: FieldNode[];
}

/** Field names the dissector can produce (for deciding whether a condition is a display filter). */
export const KNOWN_FIELDS = new Set([
  'frame', 'frame.number', 'frame.len',
  'eth', 'eth.dst', 'eth.src', 'eth.addr', 'eth.type',
  'vlan', 'vlan.priority', 'vlan.id', 'vlan.etype',
  'arp', 'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'ip', 'ip.version', 'ip.hdr_len', 'ip.dsfield', 'ip.len', 'ip.id', 'ip.flags.df', 'ip.flags.mf', 'ip.frag_offset',
  'ip.ttl', 'ip.proto', 'ip.checksum', 'ip.src', 'ip.dst', 'ip.addr',
  'ipv6', 'ipv6.plen', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.src', 'ipv6.dst', 'ipv6.addr',
  'udp', 'udp.srcport', 'udp.dstport', 'udp.port', 'udp.length', 'udp.checksum',
  'tcp', 'tcp.srcport', 'tcp.dstport', 'tcp.port', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.hdr_len', 'tcp.flags',
  'tcp.flags.fin', 'tcp.flags.syn', 'tcp.flags.reset', 'tcp.flags.push', 'tcp.flags.ack', 'tcp.window_size_value', 'tcp.checksum',
  'icmp', 'icmp.type', 'icmp.code', 'icmpv6', 'icmpv6.type', 'icmpv6.code',
]);

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const hex = (n: number, w: number): string => '0x' + n.toString(16).padStart(w, '0');

function uint(name: string, label: string, n: number, offset: number, length: number, text = String(n)): FieldNode {
  return { name, label: `${label}: ${text}`, text, value: { kind: 'uint', n }, offset, length };
}

/**
 * Dissects `frame` (an Ethernet frame). `number` is the 1-based frame number. Truncated headers
 * end the tree where the bytes end.
 */
export function dissectPacket(frame: Uint8Array, number: number): FieldNode[] {
  const len = frame.length;
  const out: FieldNode[] = [{
    name: 'frame', label: `Frame ${number}: ${len} bytes`, offset: 0, length: len,
    children: [uint('frame.number', 'Frame Number', number, 0, 0), uint('frame.len', 'Frame Length', len, 0, 0)],
  }];
  if (len < 14) return out;
  const eth: FieldNode = {
    name: 'eth', label: `Ethernet II, Src: ${formatMac(frame, 6)}, Dst: ${formatMac(frame, 0)}`, offset: 0, length: 14,
    children: [
      { name: 'eth.dst', label: `Destination: ${formatMac(frame, 0)}`, text: formatMac(frame, 0), value: { kind: 'ether', bytes: frame.slice(0, 6) }, offset: 0, length: 6 },
      { name: 'eth.src', label: `Source: ${formatMac(frame, 6)}`, text: formatMac(frame, 6), value: { kind: 'ether', bytes: frame.slice(6, 12) }, offset: 6, length: 6 },
      uint('eth.type', 'Type', u16(frame, 12), 12, 2, hex(u16(frame, 12), 4)),
    ],
  };
  out.push(eth);
  let type = u16(frame, 12), off = 14;
  while ((type === 0x8100 || type === 0x88a8) && off + 4 <= len) {
    const tci = u16(frame, off);
    out.push({
      name: 'vlan', label: `802.1Q Virtual LAN, PRI: ${tci >> 13}, ID: ${tci & 0xfff}`, offset: off - 2, length: 6,
      children: [
        uint('vlan.priority', 'Priority', tci >> 13, off, 2),
        uint('vlan.id', 'ID', tci & 0xfff, off, 2),
        uint('vlan.etype', 'Type', u16(frame, off + 2), off + 2, 2, hex(u16(frame, off + 2), 4)),
      ],
    });
    type = u16(frame, off + 2);
    off += 4;
  }
  let proto = -1, l4 = -1, l4End = len;
  if (type === 0x0800 && off + 20 <= len) {
    const ihl = (frame[off] & 15) * 4, flags = u16(frame, off + 6);
    const src = formatIPv4(frame, off + 12), dst = formatIPv4(frame, off + 16);
    proto = frame[off + 9];
    const totLen = u16(frame, off + 2);
    out.push({
      name: 'ip', label: `Internet Protocol Version 4, Src: ${src}, Dst: ${dst}`, offset: off, length: ihl,
      children: [
        uint('ip.version', 'Version', frame[off] >> 4, off, 1),
        uint('ip.hdr_len', 'Header Length', ihl, off, 1, `${ihl} bytes`),
        uint('ip.dsfield', 'Differentiated Services Field', frame[off + 1], off + 1, 1, hex(frame[off + 1], 2)),
        uint('ip.len', 'Total Length', totLen, off + 2, 2),
        uint('ip.id', 'Identification', u16(frame, off + 4), off + 4, 2, hex(u16(frame, off + 4), 4)),
        { name: 'ip.flags.df', label: `Don't fragment: ${(flags & 0x4000) !== 0}`, text: String((flags & 0x4000) !== 0), value: { kind: 'bool', b: (flags & 0x4000) !== 0 }, offset: off + 6, length: 1 },
        { name: 'ip.flags.mf', label: `More fragments: ${(flags & 0x2000) !== 0}`, text: String((flags & 0x2000) !== 0), value: { kind: 'bool', b: (flags & 0x2000) !== 0 }, offset: off + 6, length: 1 },
        uint('ip.frag_offset', 'Fragment Offset', (flags & 0x1fff) * 8, off + 6, 2),
        uint('ip.ttl', 'Time to Live', frame[off + 8], off + 8, 1),
        uint('ip.proto', 'Protocol', proto, off + 9, 1),
        uint('ip.checksum', 'Header Checksum', u16(frame, off + 10), off + 10, 2, hex(u16(frame, off + 10), 4)),
        { name: 'ip.src', label: `Source Address: ${src}`, text: src, value: { kind: 'ipv4', n: u32(frame, off + 12) }, offset: off + 12, length: 4 },
        { name: 'ip.dst', label: `Destination Address: ${dst}`, text: dst, value: { kind: 'ipv4', n: u32(frame, off + 16) }, offset: off + 16, length: 4 },
      ],
    });
    if ((flags & 0x1fff) !== 0) proto = -1; // later fragments carry no L4 header
    l4 = off + ihl;
    l4End = Math.min(len, off + Math.max(totLen, ihl));
  } else if (type === 0x86dd && off + 40 <= len) {
    const src = formatIPv6(frame, off + 8), dst = formatIPv6(frame, off + 24);
    proto = frame[off + 6];
    out.push({
      name: 'ipv6', label: `Internet Protocol Version 6, Src: ${src}, Dst: ${dst}`, offset: off, length: 40,
      children: [
        uint('ipv6.plen', 'Payload Length', u16(frame, off + 4), off + 4, 2),
        uint('ipv6.nxt', 'Next Header', proto, off + 6, 1),
        uint('ipv6.hlim', 'Hop Limit', frame[off + 7], off + 7, 1),
        { name: 'ipv6.src', label: `Source Address: ${src}`, text: src, value: { kind: 'ipv6', bytes: frame.slice(off + 8, off + 24) }, offset: off + 8, length: 16 },
        { name: 'ipv6.dst', label: `Destination Address: ${dst}`, text: dst, value: { kind: 'ipv6', bytes: frame.slice(off + 24, off + 40) }, offset: off + 24, length: 16 },
      ],
    });
    l4 = off + 40;
    l4End = Math.min(len, off + 40 + u16(frame, off + 4));
  } else if (type === 0x0806 && off + 28 <= len) {
    out.push({
      name: 'arp', label: `Address Resolution Protocol (${u16(frame, off + 6) === 1 ? 'request' : 'reply'})`, offset: off, length: 28,
      children: [
        uint('arp.opcode', 'Opcode', u16(frame, off + 6), off + 6, 2),
        { name: 'arp.src.proto_ipv4', label: `Sender IP address: ${formatIPv4(frame, off + 14)}`, text: formatIPv4(frame, off + 14), value: { kind: 'ipv4', n: u32(frame, off + 14) }, offset: off + 14, length: 4 },
        { name: 'arp.dst.proto_ipv4', label: `Target IP address: ${formatIPv4(frame, off + 24)}`, text: formatIPv4(frame, off + 24), value: { kind: 'ipv4', n: u32(frame, off + 24) }, offset: off + 24, length: 4 },
      ],
    });
  }
  if (proto === 17 && l4 + 8 <= len) {
    const sp = u16(frame, l4), dp = u16(frame, l4 + 2);
    out.push({
      name: 'udp', label: `User Datagram Protocol, Src Port: ${sp}, Dst Port: ${dp}`, offset: l4, length: 8,
      children: [
        uint('udp.srcport', 'Source Port', sp, l4, 2), uint('udp.dstport', 'Destination Port', dp, l4 + 2, 2),
        uint('udp.length', 'Length', u16(frame, l4 + 4), l4 + 4, 2),
        uint('udp.checksum', 'Checksum', u16(frame, l4 + 6), l4 + 6, 2, hex(u16(frame, l4 + 6), 4)),
      ],
    });
  } else if (proto === 6 && l4 + 20 <= len) {
    const sp = u16(frame, l4), dp = u16(frame, l4 + 2), fl = frame[l4 + 13], hl = (frame[l4 + 12] >> 4) * 4;
    const flag = (name: string, label: string, bit: number): FieldNode =>
      ({ name, label: `${label}: ${(fl & bit) !== 0 ? 'Set' : 'Not set'}`, text: String((fl & bit) !== 0), value: { kind: 'bool', b: (fl & bit) !== 0 }, offset: l4 + 13, length: 1 });
    out.push({
      name: 'tcp', label: `Transmission Control Protocol, Src Port: ${sp}, Dst Port: ${dp}`, offset: l4, length: Math.min(hl, l4End - l4),
      children: [
        uint('tcp.srcport', 'Source Port', sp, l4, 2), uint('tcp.dstport', 'Destination Port', dp, l4 + 2, 2),
        uint('tcp.seq_raw', 'Sequence Number (raw)', u32(frame, l4 + 4), l4 + 4, 4),
        uint('tcp.ack_raw', 'Acknowledgment number (raw)', u32(frame, l4 + 8), l4 + 8, 4),
        uint('tcp.hdr_len', 'Header Length', hl, l4 + 12, 1, `${hl} bytes`),
        uint('tcp.flags', 'Flags', fl, l4 + 13, 1, hex(fl, 3)),
        flag('tcp.flags.fin', 'Fin', 1), flag('tcp.flags.syn', 'Syn', 2), flag('tcp.flags.reset', 'Reset', 4),
        flag('tcp.flags.push', 'Push', 8), flag('tcp.flags.ack', 'Acknowledgment', 16),
        uint('tcp.window_size_value', 'Window', u16(frame, l4 + 14), l4 + 14, 2),
        uint('tcp.checksum', 'Checksum', u16(frame, l4 + 16), l4 + 16, 2, hex(u16(frame, l4 + 16), 4)),
      ],
    });
  } else if ((proto === 1 || proto === 58) && l4 + 4 <= len) {
    const p = proto === 1 ? 'icmp' : 'icmpv6';
    out.push({
      name: p, label: proto === 1 ? 'Internet Control Message Protocol' : 'Internet Control Message Protocol v6', offset: l4, length: l4End - l4,
      children: [uint(`${p}.type`, 'Type', frame[l4], l4, 1), uint(`${p}.code`, 'Code', frame[l4 + 1], l4 + 1, 1)],
    });
  }
  return out;
}

/** Every occurrence of field `name` in the tree (Wireshark's `ip.addr` = src or dst, `udp.port` = either port). */
export function fieldOccurrences(tree: readonly FieldNode[], name: string): FieldNode[] {
  const alias: Record<string, string[]> = {
    'ip.addr': ['ip.src', 'ip.dst'], 'ipv6.addr': ['ipv6.src', 'ipv6.dst'], 'eth.addr': ['eth.dst', 'eth.src'],
    'udp.port': ['udp.srcport', 'udp.dstport'], 'tcp.port': ['tcp.srcport', 'tcp.dstport'],
  };
  const names = alias[name] ?? [name];
  const out: FieldNode[] = [];
  const walk = (nodes: readonly FieldNode[]): void => {
    for (const n of nodes) {
      if (names.includes(n.name)) out.push(n);
      if (n.children) walk(n.children);
    }
  };
  walk(tree);
  return out;
}

/** One-line summary for the packet list / thread name: `10.0.0.1 → 10.0.0.2 UDP 40000 → 53`. */
export function packetSummary(tree: readonly FieldNode[]): string {
  const f = (n: string): string | undefined => fieldOccurrences(tree, n)[0]?.text;
  const src = f('ip.src') ?? f('ipv6.src') ?? f('eth.src') ?? '?';
  const dst = f('ip.dst') ?? f('ipv6.dst') ?? f('eth.dst') ?? '?';
  if (f('udp.srcport')) return `${src} → ${dst} UDP ${f('udp.srcport')} → ${f('udp.dstport')}`;
  if (f('tcp.srcport')) return `${src} → ${dst} TCP ${f('tcp.srcport')} → ${f('tcp.dstport')}`;
  if (f('icmp.type')) return `${src} → ${dst} ICMP type ${f('icmp.type')}`;
  if (f('arp.opcode')) return `ARP ${f('arp.opcode') === '1' ? 'who-has' : 'reply'} ${f('arp.dst.proto_ipv4')}`;
  return `${src} → ${dst} ${f('eth.type') ?? ''}`.trim();
}

/**
 * Field lookup for breakpoint filters on the fast path: the common fields come straight from the
 * flow dissector (no tree, no strings); anything else falls back to the full dissection.
 */
export class FastFields {
  private readonly keys = new FlowKeys();
  private frame: Uint8Array = new Uint8Array(0);
  private number = 0;
  private tree: FieldNode[] | undefined;

  reset(frame: Uint8Array, number: number): void {
    this.frame = frame; this.number = number; this.tree = undefined;
    dissectFlow(frame, 0, frame.length, this.keys);
  }

  readonly lookup = (name: string): readonly FieldValue[] => {
    const k = this.keys, st = k.status;
    const v4 = (st & FLOW_IPV4) !== 0, udp = (st & FLOW_UDP) !== 0, tcp = (st & FLOW_TCP) !== 0;
    const u = (n: number): FieldValue[] => [{ kind: 'uint', n }];
    switch (name) {
      case 'frame': return [{ kind: 'bool', b: true }];
      case 'frame.number': return u(this.number);
      case 'frame.len': return u(this.frame.length);
      case 'ip': return v4 ? [{ kind: 'bool', b: true }] : [];
      case 'ip.src': return v4 ? [{ kind: 'ipv4', n: k.src[0] }] : [];
      case 'ip.dst': return v4 ? [{ kind: 'ipv4', n: k.dst[0] }] : [];
      case 'ip.addr': return v4 ? [{ kind: 'ipv4', n: k.src[0] }, { kind: 'ipv4', n: k.dst[0] }] : [];
      case 'ip.proto': return v4 ? u(this.frame[k.l3Offset + 9]) : [];
      case 'ip.ttl': return v4 ? u(k.ttl) : [];
      case 'udp': return udp ? [{ kind: 'bool', b: true }] : [];
      case 'tcp': return tcp ? [{ kind: 'bool', b: true }] : [];
      case 'udp.srcport': return udp ? u(k.srcPort) : [];
      case 'udp.dstport': return udp ? u(k.dstPort) : [];
      case 'udp.port': return udp ? [...u(k.srcPort), ...u(k.dstPort)] : [];
      case 'tcp.srcport': return tcp ? u(k.srcPort) : [];
      case 'tcp.dstport': return tcp ? u(k.dstPort) : [];
      case 'tcp.port': return tcp ? [...u(k.srcPort), ...u(k.dstPort)] : [];
      case 'tcp.flags': return tcp ? u(k.tcpFlags) : [];
    }
    const tree = (this.tree ??= dissectPacket(this.frame, this.number));
    const occ = fieldOccurrences(tree, name);
    if (occ.length) return occ.map((n) => n.value ?? { kind: 'bool', b: true });
    return tree.some((n) => n.name === name) ? [{ kind: 'bool', b: true }] : [];
  };
}
