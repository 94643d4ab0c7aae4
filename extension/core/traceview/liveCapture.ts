/**
 * A capture that grows while a replay runs: the frames the replay has sent so far, with an index
 * like a file's, so the viewer (custom editor or live panel) shows a replay in progress through
 * the same TraceDocument. The bytes stay where the replay keeps them (its capture or arena).
 *
 * API
 *   new LiveCapture(source)            source: the replay's PacketSource (netvsc/replay.ts)
 *   sync(n)                            index frames [count, n) (call as the replay advances)
 *   count, index, packet(i), linkType(i), comments(i) …   the Capture interface
 */
import { BLOCK_EPB, PacketIndex, type ByteSource, type Capture, type CaptureInterface } from '../packet/capture';

export interface LiveFrameSource {
  readonly count: number;
  frame(i: number, out: { buf: Uint8Array; off: number; len: number }): { buf: Uint8Array; off: number; len: number };
  /** Nanoseconds (virtual clock) of frame i. */
  time(i: number): number;
  linkType(i: number): number;
}

export class LiveCapture implements Capture {
  readonly format = 'pcap' as const;
  readonly interfaces: CaptureInterface[] = [{ linkType: 1, snaplen: 262144, tsUnitsPerSecond: 1e9, tsOffset: 0, section: 0, localIndex: 0, name: 'eth0' }];
  readonly warnings = [];
  readonly sectionLittleEndian = [true];
  readonly names = new Map<string, string>();
  readonly index = new PacketIndex();
  readonly source: ByteSource = { size: 0, name: '<live replay>', read: () => new Uint8Array(0) };
  private readonly ref = { buf: new Uint8Array(0), off: 0, len: 0 };

  constructor(private readonly src: LiveFrameSource) {}

  get count(): number { return this.index.count; }

  sync(n: number): void {
    n = Math.min(n, this.src.count);
    for (let i = this.index.count; i < n; i++) {
      const f = this.src.frame(i, this.ref);
      const t = this.src.time(i);
      const sec = Math.floor(t / 1e9);
      this.index.push(i, f.len, f.len, sec, Math.round(t - sec * 1e9), 0, BLOCK_EPB);
    }
  }

  packet(i: number): Uint8Array {
    const f = this.src.frame(i, this.ref);
    return f.buf.subarray(f.off, f.off + f.len);
  }

  linkType(i: number): number { return this.src.linkType(i); }
  comments(): string[] { return []; }
  customOptions(): { code: number; pen: number; data: Uint8Array }[] { return []; }
}
