/**
 * A capture with its dissection state: frame metadata from the index (times relative to the first
 * frame and the previous one, interface names, comments), one sequential pass that fills the
 * conversation state, then dissection of any frame on demand. What the CLI, the filter engine and
 * the viewer use. No Node imports.
 *
 * API
 *   class CaptureSession(capture, { validateChecksums?, withComments? })
 *     frameInfo(i, into?) -> FrameInfo        (i is 0-based; FrameInfo.number is i+1)
 *     dissect(i, d = this.scratch) -> Dissection   after prepare() any order gives the same result
 *     prepare()                               the capture-order pass (idempotent)
 *     count
 *   fillFrameInfo(into, capture, iface, i, ts, block, lengths, first ts, previous ts) -> into
 *       the FrameInfo of one record (shared with the streaming CLI, which keeps no index)
 */
import { BLOCK_SPB, type Capture, type ScanResult } from './capture';
import { DissectContext, dissectFrame, type FrameInfo } from './dissect';
import { Dissection } from './dissection';

export class CaptureSession {
  readonly ctx = new DissectContext();
  readonly scratch = new Dissection();
  private prepared = false;
  private readonly info: FrameInfo = {
    number: 0, hasTime: true, tsSec: 0, tsNsec: 0, relSec: 0, relNsec: 0, deltaSec: 0, deltaNsec: 0, capLen: 0, origLen: 0, iface: 0, linkType: 1,
  };
  withComments: boolean;

  constructor(readonly capture: Capture, opts: { validateChecksums?: boolean; withComments?: boolean } = {}) {
    this.ctx.validateChecksums = opts.validateChecksums ?? false;
    this.withComments = opts.withComments ?? true;
  }

  get count(): number { return this.capture.count; }

  frameInfo(i: number, into: FrameInfo = this.info): FrameInfo {
    const ix = this.capture.index;
    const p = i > 0 ? i - 1 : 0;
    fillFrameInfo(into, this.capture, ix.iface[i], i, ix.tsSec[i], ix.tsNsec[i], ix.block[i], ix.capLen[i], ix.origLen[i],
      ix.tsSec[0], ix.tsNsec[0], ix.tsSec[p], ix.tsNsec[p]);
    into.comments = this.withComments ? this.capture.comments(i) : undefined;
    return into;
  }

  prepare(): void {
    if (this.prepared) return;
    // Only the conversation state matters here: store no fields.
    const d = new Dissection();
    d.only([]);
    for (let i = 0; i < this.count; i++) dissectFrame(this.capture.packet(i), this.frameInfo(i), this.ctx, d);
    this.prepared = true;
  }

  dissect(i: number, d: Dissection = this.scratch): Dissection {
    return dissectFrame(this.capture.packet(i), this.frameInfo(i), this.ctx, d);
  }

  /** Dissects every frame in order, calling `each` (the first pass fills the conversation state as it goes). */
  forEach(each: (i: number, d: Dissection) => void): void {
    for (let i = 0; i < this.count; i++) each(i, this.dissect(i));
    this.prepared = true;
  }
}

/**
 * The FrameInfo of record `i` (0-based) from what the capture file says about it: its timestamp,
 * the first record's and the previous record's (the record's own for i = 0), lengths, block kind
 * and interface. Comments are left to the caller.
 */
export function fillFrameInfo(into: FrameInfo, capture: Pick<ScanResult, 'format' | 'interfaces'>, iface: number, i: number,
  tsSec: number, tsNsec: number, block: number, capLen: number, origLen: number,
  firstSec: number, firstNsec: number, prevSec: number, prevNsec: number): FrameInfo {
  into.number = i + 1;
  into.tsSec = tsSec; into.tsNsec = tsNsec;
  into.hasTime = block !== BLOCK_SPB; // simple packet blocks carry no timestamp
  diff(tsSec, tsNsec, firstSec, firstNsec);
  into.relSec = D[0]; into.relNsec = D[1];
  diff(tsSec, tsNsec, prevSec, prevNsec);
  into.deltaSec = D[0]; into.deltaNsec = D[1];
  into.capLen = capLen; into.origLen = origLen;
  // Classic pcap has no interface records: Wireshark shows no interface fields for it.
  const pcapng = capture.format === 'pcapng';
  const ifc = capture.interfaces[iface];
  into.iface = pcapng ? ifc?.localIndex ?? iface : -1;
  into.linkType = ifc?.linkType ?? 1;
  into.interfaceName = pcapng ? ifc?.name ?? 'unknown' : undefined;
  return into;
}

const D = new Float64Array(2);
/** (s1,n1) - (s0,n0) as seconds + nanoseconds with the same sign. */
function diff(s1: number, n1: number, s0: number, n0: number): void {
  let s = s1 - s0, n = n1 - n0;
  if (s > 0 && n < 0) { s--; n += 1e9; } else if (s < 0 && n > 0) { s++; n -= 1e9; }
  D[0] = s; D[1] = n;
}
