/**
 * The device trace of a capture written by `netvsc-lab replay -o` (or the extension's replay):
 * every packet carries one comment with its per-stage decisions, `stage=decision (detail); …`
 * (trace/packetTrace.ts `comment()`), then one `printk: LINE` comment per XDP printk line. Read back lazily, one packet at a time, so the viewer shows
 * the device's columns and the path diagram for such a file without replaying it again.
 *
 * API
 *   commentTraceOf(capture) -> DeviceTrace | undefined   undefined when the first packet has no such comment
 *   parseDecisionComment(text) -> StageRecord[]
 */
import { parseMergedComment } from '../trace/pcapngExport';
import type { RelatedPackets } from './protocol';
import { DROP_NAMES } from '../trace/codes';
import { PRINTK_COMMENT } from '../trace/packetTrace';
import { PATH_SYNTHETIC, PATH_VF } from './protocol';
import type { DeviceTrace, PacketStore, StageRecord } from './source';

const XDP = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];
const STAGE = /^([a-z-]+)=([^\s(;]+)(?: \((.*)\))?$/;

export function parseDecisionComment(text: string): StageRecord[] {
  const out: StageRecord[] = [];
  for (const part of text.split('; ')) {
    const m = STAGE.exec(part.trim());
    if (!m) continue;
    const r: StageRecord = { stage: m[1], decision: m[2] };
    if (m[3] !== undefined) r.reason = m[3];
    out.push(r);
  }
  return out;
}

interface Row { merged?: { head: number; by: 'RSC' | 'GRO' }; queue: number; hash: number; hashValid: boolean; path: number; xdp: number; rsc: number; gro: number; drop: number; stages: StageRecord[] }

function rowOf(stages: StageRecord[]): Row {
  const r: Row = { queue: -1, hash: 0, hashValid: false, path: PATH_SYNTHETIC, xdp: -1, rsc: 0, gro: 0, drop: 0, stages };
  for (const s of stages) {
    const detail = s.reason ?? '';
    switch (s.stage) {
      case 'vf-path': r.path = s.decision === 'vf' ? PATH_VF : PATH_SYNTHETIC; break;
      case 'rsc': { const m = /^(\d+) segments/.exec(detail); if (s.decision === 'coalesced' && m) r.rsc = Number(m[1]); break; }
      case 'rss-hash': case 'tx-hash': {
        const m = /^0x([0-9a-f]{8})/.exec(detail);
        if (m) r.hash = parseInt(m[1], 16);
        r.hashValid = s.decision === 'hashed';
        break;
      }
      case 'channel': case 'tx-queue': { const m = /^(\d+)/.exec(detail); if (m) r.queue = Number(m[1]); break; }
      case 'recv-buffer': if (s.decision === 'drop') r.drop = Math.max(1, DROP_NAMES.indexOf(detail)); break;
      case 'xdp': {
        const a = XDP.indexOf(s.decision);
        if (a >= 0) r.xdp = a;
        const d = DROP_NAMES.findIndex((n, k) => k > 0 && detail.split(', ').includes(n));
        if (d > 0) r.drop = d;
        break;
      }
      case 'gro': { const m = /^(\d+) packets merged/.exec(detail); if (m) r.gro = Number(m[1]); break; }
      case 'tx-send': if (s.decision === 'drop') r.drop = DROP_NAMES.indexOf('tx-no-space'); break;
      default: break;
    }
  }
  return r;
}

/** How far after a head packet its merged segments are looked for (RSC/GRO merge within a poll of 64). */
const MERGE_WINDOW = 512;

export function commentTraceOf(store: PacketStore): DeviceTrace | undefined {
  if (store.count === 0) return undefined;
  const first = store.comments(0).find((c) => c.startsWith('wire='));
  if (!first) return undefined;
  // A small cache: a page of rows or a path asks for the same packets several times in a row.
  const cache = new Map<number, Row>();
  const row = (i: number): Row => {
    let r = cache.get(i);
    if (!r) {
      const all = store.comments(i);
      r = rowOf(parseDecisionComment(all.find((x) => x.startsWith('wire=')) ?? ''));
      // The XDP program's printk lines follow as `printk: LINE` comments.
      const lines = all.filter((x) => x.startsWith(PRINTK_COMMENT)).map((x) => x.slice(PRINTK_COMMENT.length));
      const xdp = lines.length ? r.stages.find((s) => s.stage === 'xdp') : undefined;
      if (xdp) xdp.output = lines;
      for (const c of all) { const m = parseMergedComment(c); if (m) r.merged = m; }
      if (cache.size >= 4096) cache.clear();
      cache.set(i, r);
    }
    return r;
  };
  return {
    get count() { return store.count; },
    queue: (i) => row(i).queue,
    hash: (i) => row(i).hash,
    hashValid: (i) => row(i).hashValid,
    path: (i) => row(i).path,
    xdp: (i) => row(i).xdp,
    rsc: (i) => row(i).rsc,
    gro: (i) => row(i).gro,
    drop: (i) => row(i).drop,
    dropReasons: DROP_NAMES,
    indirection: [],
    stages: (i) => row(i).stages,
    mergedInto: (i) => row(i).merged,
    // RSC/GRO links from the `merged into frame N` comments: a merged segment names its head; a
    // head finds its segments among the packets just after it (they follow it within a NAPI poll).
    related(i) {
      const out: RelatedPackets[] = [];
      const own = row(i).merged;
      if (own) out.push({ kind: `merged by ${own.by} into`, packets: [own.head] });
      const rsc: number[] = [], gro: number[] = [];
      for (let k = i + 1; k < Math.min(store.count, i + 1 + MERGE_WINDOW); k++) {
        const m = row(k).merged;
        if (m && m.head === i) (m.by === 'RSC' ? rsc : gro).push(k);
      }
      if (rsc.length) out.push({ kind: 'segments RSC coalesced into this one', packets: rsc });
      if (gro.length) out.push({ kind: 'packets GRO merged into this one', packets: gro });
      return out;
    },
  };
}
