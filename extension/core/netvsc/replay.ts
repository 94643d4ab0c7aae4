// Replays packets through the device in slices (so a caller never blocks for long and a
// debugger can stop between packets): from a capture (frames from the device's MAC are TX,
// the rest RX) or from an arena of generated frames. Every packet gets a trace record.
import type { Capture } from '../packet/capture';
import { parseMac } from '../packet/addr';
import { PacketTrace } from '../trace/packetTrace';
import { EventLogSink, type StageEvent, type TraceSink } from '../trace/sink';
import type { NetvscDevice } from './device';
import { NetvscPipeline, type PipelineOptions } from './pipeline';

/** Where the packets come from: random access by index, bytes read on demand. */
export interface PacketSource {
  readonly count: number;
  /** Fills `out` with the frame's location (buf, off, len) and returns it. */
  frame(i: number, out: FrameRef): FrameRef;
  /** Virtual time in ns. */
  time(i: number): number;
  /** Capture file offset or arena offset of the bytes (the trace's byteRef). */
  byteRef(i: number): number;
  /** Sent by the guest (TX) rather than received. */
  isTx(i: number): boolean;
  linkType(i: number): number;
}

export interface FrameRef { buf: Uint8Array; off: number; len: number }

/** A capture as a packet source: TX = source MAC is the device's MAC. */
export function captureSource(cap: Capture, deviceMac: string): PacketSource {
  const mac = parseMac(deviceMac) ?? new Uint8Array(6);
  const idx = cap.index;
  const t0 = cap.count ? idx.tsSec[0] : 0;
  return {
    count: cap.count,
    frame(i, out) { const b = cap.packet(i); out.buf = b; out.off = 0; out.len = b.length; return out; },
    time(i) { return (idx.tsSec[i] - t0) * 1e9 + idx.tsNsec[i]; },
    byteRef(i) { return idx.dataOffset[i] >>> 0; },
    isTx(i) {
      if (cap.linkType(i) !== 1) return false;
      const b = cap.packet(i);
      for (let k = 0; k < 6; k++) if (b[6 + k] !== mac[k]) return false;
      return true;
    },
    linkType(i) { return cap.linkType(i); },
  };
}

/** Frames laid end to end in one arena (generated traffic): no per-packet objects. */
export class ArenaSource implements PacketSource {
  constructor(readonly arena: Uint8Array, readonly offsets: Uint32Array, readonly lengths: Uint32Array,
    readonly times: Float64Array, readonly tx: Uint8Array, readonly count = offsets.length) {}
  frame(i: number, out: FrameRef): FrameRef { out.buf = this.arena; out.off = this.offsets[i]; out.len = this.lengths[i]; return out; }
  time(i: number): number { return this.times[i]; }
  byteRef(i: number): number { return this.offsets[i]; }
  isTx(i: number): boolean { return this.tx[i] === 1; }
  linkType(): number { return 1; }
}

/** Packets of the packet layer's scenario generator (packet/scenario.ts) in one arena. */
export function arenaFromGenerated(pkts: readonly { tsSec: number; tsNsec: number; data: Uint8Array; direction: 'rx' | 'tx' }[]): ArenaSource {
  let bytes = 0;
  for (const p of pkts) bytes += p.data.length;
  const arena = new Uint8Array(bytes);
  const n = pkts.length;
  const offsets = new Uint32Array(n), lengths = new Uint32Array(n), times = new Float64Array(n), tx = new Uint8Array(n);
  const t0 = n ? pkts[0].tsSec : 0;
  let o = 0;
  pkts.forEach((p, i) => {
    arena.set(p.data, o);
    offsets[i] = o; lengths[i] = p.data.length; times[i] = (p.tsSec - t0) * 1e9 + p.tsNsec; tx[i] = p.direction === 'tx' ? 1 : 0;
    o += p.data.length;
  });
  return new ArenaSource(arena, offsets, lengths, times, tx);
}

export interface ReplayOptions extends PipelineOptions {
  /** Record a trace (default true). */
  trace?: boolean;
  /** Extra sink (e.g. a debugger's event log) besides the trace. */
  sink?: TraceSink;
}

export class Replayer {
  readonly pipeline: NetvscPipeline;
  readonly trace: PacketTrace | null;
  /** Next packet of the source to replay. */
  position = 0;
  private readonly ref: FrameRef = { buf: new Uint8Array(0), off: 0, len: 0 };

  constructor(readonly device: NetvscDevice, readonly source: PacketSource, opts: ReplayOptions = {}) {
    this.trace = opts.trace === false ? null : new PacketTrace();
    this.extra = opts.sink ?? null;
    this.pipeline = new NetvscPipeline(device, this.sinkFor(), opts);
  }

  private extra: TraceSink | null;
  private stepLog: EventLogSink | null = null;

  /** The pipeline's sink: the trace alone on the fast path; a tee while someone else listens. */
  private sinkFor(): TraceSink {
    const t = this.trace;
    const others = [this.extra, this.stepLog].filter((x): x is TraceSink => !!x);
    if (!others.length) return t ?? { report() { /* off */ } };
    return {
      report: (a, b, c, d, e, f) => { t?.report(a, b, c, d, e, f); for (const o of others) o.report(a, b, c, d, e, f); },
      printk: (p, l) => { t?.printk(p, l); for (const o of others) o.printk?.(p, l); },
    };
  }

  get done(): boolean { return this.position >= this.source.count; }

  /** Replays at most `budget` packets; at the end of the source the device is flushed. Returns true when done. */
  runSlice(budget: number): boolean {
    const src = this.source;
    const p = this.pipeline;
    const tr = this.trace;
    const end = Math.min(src.count, this.position + budget);
    const ref = this.ref;
    for (let i = this.position; i < end; i++) {
      src.frame(i, ref);
      const t = src.time(i);
      if (tr) tr.begin(p.nextId, t, ref.len, src.byteRef(i));
      if (src.isTx(i)) {
        const more = i + 1 < src.count && src.isTx(i + 1) && src.time(i + 1) === t;
        p.transmit(ref.buf, ref.off, ref.len, t, more, src.linkType(i));
      } else p.receive(ref.buf, ref.off, ref.len, t, src.linkType(i));
    }
    this.position = end;
    if (this.done) p.flush();
    this.device.events.emit('counters', { packets: end });
    return this.done;
  }

  /**
   * Replays one packet and returns the stage events emitted meanwhile: this packet's, and those of
   * held packets it completed (an RSC or GRO run it ended). For stepping in a debugger.
   */
  step(): StageEvent[] {
    this.stepLog = new EventLogSink();
    this.pipeline.sink = this.sinkFor();
    try {
      this.runSlice(1);
      return this.stepLog.events;
    } finally {
      this.stepLog = null;
      this.pipeline.sink = this.sinkFor();
    }
  }

  /** Replays for about `ms` milliseconds of wall time (checked every 1024 packets); true when done. */
  runFor(ms: number): boolean {
    const until = performance.now() + ms;
    while (!this.done) {
      this.runSlice(1024);
      if (performance.now() >= until) break;
    }
    return this.done;
  }

  /** Runs to the end in slices of `slice` packets (for the CLI and tests). */
  runAll(slice = 65536): void {
    while (!this.runSlice(slice)) { /* next slice */ }
  }
}
