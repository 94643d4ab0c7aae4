/**
 * The detail tree of one packet from the packet layer's dissection (`packet/dissection.ts`):
 * items in tree order with their depth become nested nodes with Wireshark's field names and
 * value text, each with its byte range for the hex view. Hidden items (ip.addr, tcp.port…) are
 * left out like Wireshark leaves them out of the tree.
 *
 * API
 *   detailTree(d: Dissection) -> DetailNode[]
 */
import { fieldText, ITEM_GENERATED, ITEM_HIDDEN, type Dissection } from '../packet/dissection';
import { FIELDS, FT } from '../packet/fields';
import type { DetailNode } from './protocol';

/** Wireshark's protocol line: "Internet Protocol Version 4, Src: a, Dst: b". */
function protocolLabel(d: Dissection, j: number, end: number): string {
  const f = FIELDS[d.fid[j]];
  const find = (abbrev: string): string | undefined => {
    for (let k = j + 1; k < end; k++) if (FIELDS[d.fid[k]].abbrev === abbrev) return fieldText(d, k);
    return undefined;
  };
  const pair = (a: string, b: string, la: string, lb: string): string => {
    const x = find(a), y = find(b);
    return x !== undefined && y !== undefined ? `${f.name}, ${la}: ${x}, ${lb}: ${y}` : f.name;
  };
  switch (f.abbrev) {
    case 'frame': return `Frame ${find('frame.number') ?? ''}: ${find('frame.len') ?? '?'} bytes on wire, ${find('frame.cap_len') ?? '?'} bytes captured`;
    case 'eth': return pair('eth.src', 'eth.dst', 'Src', 'Dst');
    case 'ip': return pair('ip.src', 'ip.dst', 'Src', 'Dst');
    case 'ipv6': return pair('ipv6.src', 'ipv6.dst', 'Src', 'Dst');
    case 'tcp': return pair('tcp.srcport', 'tcp.dstport', 'Src Port', 'Dst Port');
    case 'udp': return pair('udp.srcport', 'udp.dstport', 'Src Port', 'Dst Port');
    default: return f.name;
  }
}

export function detailTree(d: Dissection): DetailNode[] {
  const roots: DetailNode[] = [];
  const stack: { node: DetailNode; depth: number }[] = [];
  for (let j = 0; j < d.n; j++) {
    const fl = d.flags[j];
    if (fl & ITEM_HIDDEN) continue;
    const f = FIELDS[d.fid[j]];
    const depth = d.depth[j];
    let end = j + 1;
    while (end < d.n && d.depth[end] > depth) end++;
    let label: string;
    if (f.type === FT.PROTOCOL) label = protocolLabel(d, j, end);
    else {
      const text = fieldText(d, j);
      const named = f.valueStrings?.[d.val[j]];
      label = `${f.name}: ${named !== undefined ? `${named} (${text})` : text}`;
    }
    const node: DetailNode = { label, field: f.abbrev, offset: d.start[j], length: d.len[j] };
    if (fl & ITEM_GENERATED) node.generated = true;
    while (stack.length && stack[stack.length - 1].depth >= depth) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) (parent.node.children ??= []).push(node);
    else roots.push(node);
    stack.push({ node, depth });
  }
  if (d.malformed) roots.push({ label: '[Malformed Packet]', field: '_ws.malformed', offset: 0, length: 0, generated: true });
  return roots;
}
