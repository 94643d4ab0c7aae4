/**
 * IP reassembly VIEW (nothing is reassembled for the device): links the fragments of one datagram
 * to each other, so the viewer can show "fragment 2 of 3, first in frame 17 (ports 5000 -> 6000)".
 * This is the seed's point: with an L4 RSS hash, the fragments after the first carry no ports and
 * hash differently. No Node imports.
 *
 * API
 *   class FragmentIndex
 *     add(i, buf, capLen, linkType)    feed packets in capture order (uses the flow dissector)
 *     static build(capture) -> FragmentIndex
 *     group(i) -> FragmentGroup | undefined     for a packet that is a fragment
 *   FragmentGroup { frames (0-based, in capture order), offsets, first (frame with offset 0 or -1),
 *     last (frame without MF or -1), srcPort/dstPort (from the first fragment, -1 if unseen),
 *     complete (first..last contiguous), id, version }
 */
import type { Capture } from './capture';
import { dissectFlow, FlowKeys, FLOW_FRAGMENT, FLOW_IPV4, FLOW_PORTS } from './flow';

export interface FragmentGroup {
  version: 4 | 6;
  id: number;
  frames: number[];
  offsets: number[];
  ends: number[];
  first: number;
  last: number;
  srcPort: number;
  dstPort: number;
  complete: boolean;
}

export class FragmentIndex {
  private readonly groups = new Map<string, FragmentGroup>();
  private readonly byFrame = new Map<number, FragmentGroup>();
  private readonly keys = new FlowKeys();

  static build(capture: Capture): FragmentIndex {
    const fi = new FragmentIndex();
    for (let i = 0; i < capture.count; i++) fi.add(i, capture.packet(i), capture.index.capLen[i], capture.linkType(i));
    return fi;
  }

  add(i: number, buf: Uint8Array, capLen: number, linkType: number): void {
    const k = dissectFlow(buf, 0, capLen, this.keys, linkType);
    if (!(k.status & FLOW_FRAGMENT)) return;
    const v4 = (k.status & FLOW_IPV4) !== 0;
    const addr = v4 ? `${k.src[0]}>${k.dst[0]}` : `${k.src.join('.')}>${k.dst.join('.')}`;
    const key = `${v4 ? 4 : 6}/${addr}/${v4 ? k.l4Proto : 0}/${k.fragmentId}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { version: v4 ? 4 : 6, id: k.fragmentId, frames: [], offsets: [], ends: [], first: -1, last: -1, srcPort: -1, dstPort: -1, complete: false };
      this.groups.set(key, g);
    }
    const payloadLen = Math.max(0, (v4 ? k.ipTotalLength - k.ipHeaderLength : k.ipTotalLength - k.ipHeaderLength));
    g.frames.push(i);
    g.offsets.push(k.fragmentOffset);
    g.ends.push(k.fragmentOffset + payloadLen);
    if (k.fragmentOffset === 0) {
      g.first = i;
      if (k.status & FLOW_PORTS) { g.srcPort = k.srcPort; g.dstPort = k.dstPort; }
    }
    if (!k.moreFragments) g.last = i;
    this.byFrame.set(i, g);
    // Complete when the byte ranges cover 0..end of the last fragment without a gap.
    if (g.first >= 0 && g.last >= 0) {
      const order = g.offsets.map((o, j) => [o, g!.ends[j]]).sort((a, b) => a[0] - b[0]);
      let reach = 0;
      for (const [o, e] of order) { if (o > reach) break; reach = Math.max(reach, e); }
      g.complete = reach >= g.ends[g.frames.indexOf(g.last)];
    }
  }

  group(i: number): FragmentGroup | undefined { return this.byFrame.get(i); }
}
