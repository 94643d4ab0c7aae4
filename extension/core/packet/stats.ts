/**
 * Capture statistics: the protocol hierarchy (as `tshark -q -z io,phs` prints it) and a per-flow
 * (5-tuple conversation) summary. No Node imports.
 *
 * API
 *   class ProtocolHierarchy: add(protocols "eth:ethertype:ip:tcp", frameLen); format() -> text
 *   class FlowTable: add(flowKeys, frameLen, tsSec, tsNsec); rows(); format() -> text
 */
import { formatIPv4Word, formatIPv6 } from './addr';
import { FLOW_IPV4, FLOW_IPV6, FLOW_PORTS, type FlowKeys } from './flow';

interface PhsNode { name: string; frames: number; bytes: number; children: PhsNode[] }

export class ProtocolHierarchy {
  readonly root: PhsNode = { name: '', frames: 0, bytes: 0, children: [] };

  add(protocols: string, frameLen: number): void {
    let node = this.root;
    // tshark counts top-level tree items only: not the "ethertype" pseudo-protocol, extension-header
    // subtrees (ipv6.hopopts) or data nested in ICMP.
    let prev = '';
    for (const p of protocols.split(':')) {
      const skip = p === 'ethertype' || p.includes('.') && p !== '_ws.malformed'
        || p === 'data' && (prev === 'icmp' || prev === 'icmpv6'); // ICMP echo data sits inside the icmp tree
      prev = p;
      if (skip) continue;
      let c = node.children.find((x) => x.name === p);
      if (!c) { c = { name: p, frames: 0, bytes: 0, children: [] }; node.children.push(c); }
      c.frames++; c.bytes += frameLen;
      node = c;
    }
  }

  format(filter = ''): string {
    const lines = ['', '===================================================================', 'Protocol Hierarchy Statistics', `Filter: ${filter}`, ''];
    const walk = (n: PhsNode, depth: number) => {
      for (const c of n.children) {
        const label = '  '.repeat(depth) + c.name;
        lines.push(`${label.padEnd(41)}${label.length >= 41 ? ' ' : ''}frames:${c.frames} bytes:${c.bytes}`);
        walk(c, depth + 1);
      }
    };
    walk(this.root, 0);
    lines.push('===================================================================');
    return lines.join('\n') + '\n';
  }
}

export interface FlowRow {
  proto: string; a: string; b: string; packets: number; bytes: number; first: number; last: number;
  /** Packets that were IP fragments without ports (hashed on addresses only under L4 RSS). */
  portlessFragments: number;
}

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 58: 'ICMPv6', 132: 'SCTP' };

export class FlowTable {
  private readonly map = new Map<string, FlowRow>();
  private readonly fragIds = new Map<string, string>(); // datagram -> flow key (ports from its first fragment)

  add(k: FlowKeys, buf: Uint8Array, frameLen: number, t: number): void {
    if (!(k.status & (FLOW_IPV4 | FLOW_IPV6))) return;
    const v4 = (k.status & FLOW_IPV4) !== 0;
    const addr = (w: Uint32Array, off: number) => v4 ? formatIPv4Word(w[0]) : formatIPv6(buf, off);
    const src = addr(k.src, k.srcAddrOffset), dst = addr(k.dst, k.dstAddrOffset);
    const proto = k.l4Proto;
    let sp = k.srcPort, dp = k.dstPort;
    const datagram = `${src}>${dst}/${proto}/${k.fragmentId}`;
    let portless = false;
    if (!(k.status & FLOW_PORTS) && k.fragmentOffset !== 0) {
      // A later fragment: file it under the flow its first fragment named (if seen).
      const key = this.fragIds.get(datagram);
      portless = true;
      if (key) { const [a, b] = key.split('|'); sp = Number(a.split(' ').pop()); dp = Number(b.split(' ').pop()); }
    }
    const a = `${src}${sp || dp ? ` ${sp}` : ''}`, b = `${dst}${sp || dp ? ` ${dp}` : ''}`;
    if (k.moreFragments && k.fragmentOffset === 0) this.fragIds.set(datagram, `${a}|${b}`);
    const [x, y] = a <= b ? [a, b] : [b, a];
    const name = PROTO_NAMES[proto] ?? `IP proto ${proto}`;
    const key = `${name} ${x} ${y}`;
    let r = this.map.get(key);
    if (!r) { r = { proto: name, a: x, b: y, packets: 0, bytes: 0, first: t, last: t, portlessFragments: 0 }; this.map.set(key, r); }
    r.packets++; r.bytes += frameLen; r.last = t;
    if (portless) r.portlessFragments++;
  }

  rows(): FlowRow[] { return [...this.map.values()]; }

  format(): string {
    const rows = this.rows().sort((p, q) => q.bytes - p.bytes || q.packets - p.packets);
    const lines = ['Flows (5-tuple, both directions):', `${'Proto'.padEnd(7)}${'Endpoint A'.padEnd(42)}${'Endpoint B'.padEnd(42)}${'Packets'.padStart(9)}${'Bytes'.padStart(12)}${'Duration'.padStart(12)}  Note`];
    for (const r of rows) {
      const note = r.portlessFragments ? `${r.portlessFragments} fragment(s) without ports` : '';
      lines.push(`${r.proto.padEnd(7)}${r.a.padEnd(42)}${r.b.padEnd(42)}${String(r.packets).padStart(9)}${String(r.bytes).padStart(12)}${(r.last - r.first).toFixed(6).padStart(12)}  ${note}`.trimEnd());
    }
    return lines.join('\n') + '\n';
  }
}
