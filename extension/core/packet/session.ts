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
 */
import { BLOCK_SPB, type Capture } from './capture';
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
    into.number = i + 1;
    into.tsSec = ix.tsSec[i]; into.tsNsec = ix.tsNsec[i];
    into.hasTime = ix.block[i] !== BLOCK_SPB; // simple packet blocks carry no timestamp
    diff(ix.tsSec[i], ix.tsNsec[i], ix.tsSec[0], ix.tsNsec[0]);
    into.relSec = D[0]; into.relNsec = D[1];
    if (i > 0) { diff(ix.tsSec[i], ix.tsNsec[i], ix.tsSec[i - 1], ix.tsNsec[i - 1]); into.deltaSec = D[0]; into.deltaNsec = D[1]; }
    else { into.deltaSec = 0; into.deltaNsec = 0; }
    into.capLen = ix.capLen[i]; into.origLen = ix.origLen[i];
    // Classic pcap has no interface records: Wireshark shows no interface fields for it.
    const pcapng = this.capture.format === 'pcapng';
    const ifc = this.capture.interfaces[ix.iface[i]];
    into.iface = pcapng ? ifc?.localIndex ?? ix.iface[i] : -1;
    into.linkType = ifc?.linkType ?? 1;
    into.interfaceName = pcapng ? ifc?.name ?? 'unknown' : undefined;
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

const D = new Float64Array(2);
/** (s1,n1) - (s0,n0) as seconds + nanoseconds with the same sign. */
function diff(s1: number, n1: number, s0: number, n0: number): void {
  let s = s1 - s0, n = n1 - n0;
  if (s > 0 && n < 0) { s--; n += 1e9; } else if (s < 0 && n > 0) { s++; n -= 1e9; }
  D[0] = s; D[1] = n;
}
