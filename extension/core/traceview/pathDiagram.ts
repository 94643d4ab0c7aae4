/**
 * The path-diagram model: one packet's trace records (one per pipeline stage, in the order the
 * device ran them) turned into the boxes the viewer draws — title, inputs, decision, outcome.
 * Nothing is re-derived here: every value comes from the record the stage wrote.
 *
 * API
 *   STAGE_TITLES                      stage id -> title in the driver's words
 *   buildPath(records) -> PathStage[]
 *   isDropDecision(decision) -> boolean
 */
import type { PathStage } from './protocol';
import type { StageRecord } from './source';

export const STAGE_TITLES: Record<string, string> = {
  wire: 'Wire',
  'vf-path': 'Host vSwitch: data path (synthetic or VF)',
  rsc: 'RSC: host receive segment coalescing',
  'rss-hash': 'RSS: Toeplitz hash',
  channel: 'Indirection table → channel (queue)',
  'recv-buffer': 'Receive buffer section',
  xdp: 'XDP program (netvsc_run_xdp)',
  checksum: 'Checksum status (rx csum offload)',
  gro: 'GRO (napi_gro_receive)',
  deliver: 'Delivered to the stack',
  'tx-hash': 'TX: flow hash',
  'tx-queue': 'TX: queue selection (send table)',
  'tx-checksum': 'TX: checksum offload',
  'tx-send': 'TX: send buffer section / page buffer',
  drop: 'Dropped',
};

const DROP_WORDS = /^(drop|dropped|xdp_drop|xdp_aborted|aborted)$/i;

export function isDropDecision(decision: string): boolean { return DROP_WORDS.test(decision.trim()); }

function valueText(key: string, v: string | number | boolean): string {
  if (typeof v === 'number' && /hash/i.test(key) && Number.isInteger(v)) return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
  return String(v);
}

export function buildPath(records: readonly StageRecord[]): PathStage[] {
  return records.map((r) => {
    const inputs: [string, string][] = Object.entries(r.inputs ?? {}).map(([k, v]) => [k, valueText(k, v)]);
    if (r.counters?.length) inputs.push(['counters', r.counters.join(', ')]);
    const drop = r.stage === 'drop' || isDropDecision(r.decision);
    const stage: PathStage = {
      stage: r.stage,
      title: STAGE_TITLES[r.stage] ?? r.stage,
      inputs,
      decision: r.decision,
      outcome: drop ? 'drop' : r.stage === 'deliver' ? 'ok' : 'info',
    };
    if (r.reason !== undefined) stage.reason = r.reason;
    if (r.output?.length) stage.output = r.output.slice();
    if (r.outputNote) stage.outputNote = r.outputNote;
    return stage;
  });
}
