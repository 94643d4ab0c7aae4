// Runs a replay cooperatively: slices of at most `sliceMs` of work, then the event loop gets a
// turn. This is how the extension host replays a million packets without blocking (the design's
// "slices that yield"), with progress, cancellation and the device's counters updated as it goes.
import { Emitter } from '../netvsc/events';
import type { Replayer } from '../netvsc/replay';

export interface ReplayJobEvents {
  progress: { done: number; total: number };
  finished: { done: number; total: number; cancelled: boolean; ms: number };
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export class ReplayJob {
  readonly events = new Emitter<ReplayJobEvents>();
  private cancelled = false;

  constructor(readonly replayer: Replayer, private readonly sliceMs = 20, private readonly chunk = 1024) {}

  cancel(): void { this.cancelled = true; }

  async run(): Promise<{ cancelled: boolean; ms: number }> {
    const rep = this.replayer;
    const total = rep.source.count;
    const start = performance.now();
    while (!rep.done && !this.cancelled) {
      const t0 = performance.now();
      // At least one chunk per slice, so every turn makes progress.
      do rep.runSlice(this.chunk); while (!rep.done && performance.now() - t0 < this.sliceMs);
      this.events.emit('progress', { done: rep.position, total });
      await yieldToEventLoop();
    }
    const ms = performance.now() - start;
    this.events.emit('finished', { done: rep.position, total, cancelled: this.cancelled, ms });
    return { cancelled: this.cancelled, ms };
  }
}
