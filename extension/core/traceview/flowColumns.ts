/**
 * The packet list's text columns (Source, Destination, Protocol, Info) and row flags from the
 * packet layer's flow dissector (`packet/flow.ts`): one allocation-free header walk per row, so a
 * page of rows costs microseconds. The detail tree comes from the full dissection instead
 * (`dissectionTree.ts`). Until the packet layer has its own Wireshark-style Info summary this
 * writes a tshark-like one from the flow fields (raw TCP sequence numbers, not relative ones).
 *
 * API
 *   class FlowColumns: describe(bytes, linkType, out)
 */
import { formatIPv4, formatIPv6, formatMac } from '../packet/addr';
import {
  dissectFlow, FlowKeys, FLOW_ARP, FLOW_FRAGMENT, FLOW_FIRST_FRAGMENT, FLOW_IPV4, FLOW_IPV6, FLOW_MALFORMED, FLOW_PORTS,
  FLOW_TCP, FLOW_TRUNCATED, FLOW_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, LINKTYPE_ETHERNET,
  TCP_FLAG_ACK, TCP_FLAG_CWR, TCP_FLAG_ECE, TCP_FLAG_FIN, TCP_FLAG_PSH, TCP_FLAG_RST, TCP_FLAG_SYN, TCP_FLAG_URG,
} from '../packet/flow';
import { ROW_FRAGMENT, ROW_MALFORMED, ROW_TCP, ROW_TCP_PROBLEM, ROW_TCP_RST, ROW_TCP_SYNFIN, ROW_UDP } from './protocol';
import type { DescribedColumns, PacketDescriber } from './source';

const L4_NAMES: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 132: 'SCTP' };
/** tshark's order and names for the flag summary in TCP's Info. */
const TCP_FLAG_TEXT: [number, string][] = [[TCP_FLAG_FIN, 'FIN'], [TCP_FLAG_SYN, 'SYN'], [TCP_FLAG_RST, 'RST'], [TCP_FLAG_PSH, 'PSH'],
  [TCP_FLAG_ACK, 'ACK'], [TCP_FLAG_URG, 'URG'], [TCP_FLAG_ECE, 'ECE'], [TCP_FLAG_CWR, 'CWR']];

export function tcpFlagsText(f: number): string {
  const names: string[] = [];
  for (const [bit, name] of TCP_FLAG_TEXT) if (f & bit) names.push(name);
  return names.join(', ');
}

export class FlowColumns implements Pick<PacketDescriber, 'describe'> {
  private readonly k = new FlowKeys();

  describe(b: Uint8Array, linkType: number, out: DescribedColumns): void {
    const k = dissectFlow(b, 0, b.length, this.k, linkType);
    let flags = 0;
    if (k.status & FLOW_MALFORMED) flags |= ROW_MALFORMED;
    if (k.status & (FLOW_IPV4 | FLOW_IPV6)) {
      const v6 = (k.status & FLOW_IPV6) !== 0;
      out.source = v6 ? formatIPv6(b, k.srcAddrOffset) : formatIPv4(b, k.srcAddrOffset);
      out.destination = v6 ? formatIPv6(b, k.dstAddrOffset) : formatIPv4(b, k.dstAddrOffset);
      const frag = (k.status & FLOW_FRAGMENT) !== 0;
      const nonFirst = frag && !(k.status & FLOW_FIRST_FRAGMENT);
      if (frag) flags |= ROW_FRAGMENT;
      if (nonFirst || (frag && k.moreFragments)) {
        out.protocol = v6 ? 'IPv6' : 'IPv4';
        out.info = `Fragmented IP protocol (proto=${L4_NAMES[k.l4Proto] ?? k.l4Proto} ${k.l4Proto}, off=${k.fragmentOffset}, ID=${k.fragmentId.toString(16).padStart(4, '0')})`;
      } else if (k.status & FLOW_TCP) {
        out.protocol = 'TCP';
        flags |= ROW_TCP;
        const f = k.tcpFlags;
        if (f & (TCP_FLAG_SYN | TCP_FLAG_FIN)) flags |= ROW_TCP_SYNFIN;
        if (f & TCP_FLAG_RST) flags |= ROW_TCP_RST;
        // Zero window on a segment that is not a SYN/RST/FIN is one of tcp.analysis's problems.
        if (k.tcpWindow === 0 && !(f & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_FIN))) flags |= ROW_TCP_PROBLEM;
        let info = `${k.srcPort} → ${k.dstPort} [${tcpFlagsText(f)}] Seq=${k.tcpSeq}`;
        if (f & TCP_FLAG_ACK) info += ` Ack=${k.tcpAck}`;
        info += ` Win=${k.tcpWindow} Len=${k.payloadLength}`;
        if (k.tcpWindow === 0 && (flags & ROW_TCP_PROBLEM)) info = `[TCP ZeroWindow] ${info}`;
        out.info = info;
      } else if (k.status & FLOW_UDP && k.status & FLOW_PORTS) {
        out.protocol = 'UDP';
        flags |= ROW_UDP;
        out.info = `${k.srcPort} → ${k.dstPort} Len=${k.payloadLength}`;
      } else if (k.l4Proto === IPPROTO_ICMP || k.l4Proto === IPPROTO_ICMPV6) {
        const t = k.l4Offset < b.length ? b[k.l4Offset] : -1;
        out.protocol = k.l4Proto === IPPROTO_ICMP ? 'ICMP' : 'ICMPv6';
        out.info = icmpText(k.l4Proto, t);
      } else {
        out.protocol = L4_NAMES[k.l4Proto] ?? (v6 ? 'IPv6' : 'IPv4');
        out.info = k.status & FLOW_TRUNCATED ? '[Packet size limited during capture]' : `${out.protocol} (${k.l4Proto})`;
      }
    } else if (k.status & FLOW_ARP) {
      out.protocol = 'ARP';
      const a = k.l3Offset;
      if (a + 28 <= b.length) {
        const op = (b[a + 6] << 8) | b[a + 7];
        out.source = formatMac(b, a + 8);
        out.destination = op === 1 ? 'Broadcast' : formatMac(b, a + 18);
        out.info = op === 1 ? `Who has ${formatIPv4(b, a + 24)}? Tell ${formatIPv4(b, a + 14)}`
          : `${formatIPv4(b, a + 14)} is at ${formatMac(b, a + 8)}`;
      } else { out.source = ''; out.destination = ''; out.info = '[Malformed Packet]'; flags |= ROW_MALFORMED; }
    } else if (linkType === LINKTYPE_ETHERNET && b.length >= 14) {
      out.source = formatMac(b, 6);
      out.destination = formatMac(b, 0);
      out.protocol = 'Ethernet';
      out.info = `Ethernet II, type 0x${k.ethertype.toString(16).padStart(4, '0')}`;
    } else {
      out.source = ''; out.destination = ''; out.protocol = 'Frame'; out.info = `${b.length} bytes`;
    }
    out.flags = flags;
  }
}

function icmpText(proto: number, type: number): string {
  if (proto === IPPROTO_ICMP) {
    const names: Record<number, string> = { 0: 'Echo (ping) reply', 3: 'Destination unreachable', 8: 'Echo (ping) request', 11: 'Time-to-live exceeded' };
    return names[type] ?? `Type ${type}`;
  }
  const names6: Record<number, string> = { 128: 'Echo (ping) request', 129: 'Echo (ping) reply', 135: 'Neighbor Solicitation', 136: 'Neighbor Advertisement' };
  return names6[type] ?? `Type ${type}`;
}
