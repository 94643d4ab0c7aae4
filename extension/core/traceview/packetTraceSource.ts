/**
 * The device's trace records (`trace/packetTrace.ts`, filled by the RX/TX pipeline through the
 * TraceSink) seen through the viewer's `DeviceTrace` interface. Reads the chunked columns in
 * place; nothing is copied or re-derived.
 *
 * API
 *   deviceTraceOf(trace: PacketTrace, indirection?: number[], links?: MergeLinks) -> DeviceTrace
 *       `links` (a sink the replay also reported to) adds the RSC/GRO merge links
 */
import { DROP_NAMES, NO_XDP, PF } from '../trace/codes';
import type { PacketTrace } from '../trace/packetTrace';
import { PATH_SYNTHETIC, PATH_VF } from './protocol';
import type { MergeLinks } from './mergeLinks';
import type { DeviceTrace, StageRecord } from './source';

export function deviceTraceOf(trace: PacketTrace, indirection: readonly number[] = [], links?: MergeLinks): DeviceTrace {
  return {
    ...(links ? { related: (i: number) => links.related(i), mergedInto: (i: number) => links.mergedInto(i) } : {}),
    get count() { return trace.count; },
    queue: (i) => trace.queue(i),
    hash: (i) => trace.hash(i),
    hashValid: (i) => (trace.flags(i) & PF.HashValid) !== 0,
    path: (i) => (trace.flags(i) & PF.Vf ? PATH_VF : PATH_SYNTHETIC),
    xdp: (i) => { const v = trace.verdict(i); return v === NO_XDP ? -1 : v; },
    rsc: (i) => (trace.flags(i) & PF.Rsc ? trace.record(i).rscSegments : 0),
    gro: (i) => trace.record(i).groMerged,
    drop: (i) => (trace.flags(i) & PF.Dropped ? Math.max(1, DROP_NAMES.indexOf(trace.record(i).dropReason ?? '')) : 0),
    dropReasons: DROP_NAMES,
    indirection,
    stages: (i): StageRecord[] => trace.stagesOf(i).map((s) => {
      const r: StageRecord = { stage: s.stage, decision: s.decision };
      if (s.detail) r.reason = s.detail;
      // The channel stage's inputs: the recorded hash and the table slot the host indexes with it
      // (queue = indirection[hash % table size], rndis_filter's netvsc_get_rss_hash_opts side).
      if (s.stage === 'channel' && indirection.length > 0 && (trace.flags(i) & PF.HashValid)) {
        const h = trace.hash(i);
        r.inputs = { hash: h, slot: h % indirection.length, 'indirection[slot]': indirection[h % indirection.length] };
      }
      // The XDP stage carries what the program printed while it ran for this packet.
      if (s.stage === 'xdp') {
        const lines = trace.printkOf(i);
        if (lines.length) r.output = lines.slice();
        const note = trace.printkLostNote(i);
        if (note) r.outputNote = note;
      }
      return r;
    }),
  };
}
