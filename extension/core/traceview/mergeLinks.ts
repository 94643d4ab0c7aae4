/**
 * Which packets RSC and GRO merged into which: a TraceSink that keeps, for every absorbed packet,
 * the packet it was merged into (the pipeline reports the head's id as the Absorbed decision's
 * value). Memory is proportional to merged packets only. Pass it as the Replayer's extra `sink`
 * and to `deviceTraceOf`; the path diagram then links a merged segment and its head both ways.
 *
 * API
 *   class MergeLinks implements TraceSink: related(i) -> RelatedPackets[]
 */
import { Decision, Stage } from '../trace/codes';
import type { TraceSink } from '../trace/sink';
import type { RelatedPackets } from './protocol';

export class MergeLinks implements TraceSink {
  private readonly headOf = new Map<number, { head: number; by: 'RSC' | 'GRO' }>();
  private readonly members = new Map<number, { rsc: number[]; gro: number[] }>();

  report(stage: number, packet: number, decision: number, _reason: number, _counter: number, value: number): void {
    if (decision !== Decision.Absorbed || (stage !== Stage.Rsc && stage !== Stage.Gro)) return;
    const by = stage === Stage.Rsc ? 'RSC' : 'GRO';
    this.headOf.set(packet, { head: value, by });
    let m = this.members.get(value);
    if (!m) { m = { rsc: [], gro: [] }; this.members.set(value, m); }
    (by === 'RSC' ? m.rsc : m.gro).push(packet);
  }

  /** The packet `i` was merged into, if RSC or GRO absorbed it. */
  mergedInto(i: number): { head: number; by: 'RSC' | 'GRO' } | undefined { return this.headOf.get(i); }

  related(i: number): RelatedPackets[] {
    const out: RelatedPackets[] = [];
    const h = this.headOf.get(i);
    if (h) out.push({ kind: `merged by ${h.by} into`, packets: [h.head] });
    const m = this.members.get(i);
    if (m?.rsc.length) out.push({ kind: 'segments RSC coalesced into this one', packets: m.rsc.slice() });
    if (m?.gro.length) out.push({ kind: 'packets GRO merged into this one', packets: m.gro.slice() });
    return out;
  }
}
