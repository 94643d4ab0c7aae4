// The one interface every pipeline stage reports to.

export interface TraceSink {
  /**
   * Stage `stage` decided `decision` for packet `packet` because of `reason`, bumping `counter`;
   * `value` is the stage's datum (hash, queue, segment count, section, length...).
   */
  report(stage: number, packet: number, decision: number, reason: number, counter: number, value: number): void;
  /** The XDP program's bpf_printk lines while it ran for `packet` (rare: only when it printed). */
  printk?(packet: number, lines: readonly string[]): void;
}

/** A sink that records nothing (tracing off). */
export const NULL_SINK: TraceSink = { report() { /* off */ } };

/** Forwards to several sinks (e.g. the columnar trace and a debugger's stage log). */
export class TeeSink implements TraceSink {
  constructor(private readonly sinks: TraceSink[]) {}
  report(stage: number, packet: number, decision: number, reason: number, counter: number, value: number): void {
    for (const s of this.sinks) s.report(stage, packet, decision, reason, counter, value);
  }
  printk(packet: number, lines: readonly string[]): void {
    for (const s of this.sinks) s.printk?.(packet, lines);
  }
}

/** One stage event, as the debugger and detailed views list them. */
/** Stage, Decision, Reason and Counter codes are those of codes.ts. */
export interface StageEvent { stage: number; packet: number; decision: number; reason: number; counter: number; value: number }

/** Keeps every event (for one packet or a short window: a debugger session, a test). */
export class EventLogSink implements TraceSink {
  readonly events: StageEvent[] = [];
  report(stage: number, packet: number, decision: number, reason: number, counter: number, value: number): void {
    this.events.push({ stage, packet, decision, reason, counter, value });
  }
  forPacket(packet: number): StageEvent[] { return this.events.filter((e) => e.packet === packet); }
}
