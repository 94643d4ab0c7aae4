/**
 * The receive path as the debugger steps it: one stop per stage the device's pipeline reported
 * for the packet (the same trace records the tree view, the trace viewer and the CLI read —
 * the debugger re-derives nothing), plus a stop in front of the XDP program. Function
 * breakpoints name stages by the trace's stage names (`rss-hash`, `xdp`, `gro`...), a few
 * aliases (`rss`, `recvbuf`), and `drop` / `tx` / `redirect` for decisions. Packets the guest
 * sends stop at the transmit stages (`tx-hash`, `tx-queue`, `tx-checksum`, `tx-send`).
 */
import { Decision, DECISION_NAMES, Reason, REASON_NAMES, Stage, STAGE_NAMES as TRACE_STAGE_NAMES } from '../trace/codes';
import type { StageEvent, TraceSink } from '../trace/sink';

export interface StageStop {
  /** Trace stage name (`rss-hash`), or `xdp` for the stop in front of the program. */
  id: string;
  /** What the CALL STACK shows: `RSS: hashed, IP 2-tuple (addresses only), hash 0x…`. */
  text: string;
  /** The packet ends here, dropped. */
  drop: boolean;
  event?: StageEvent;
}

const LABELS: Record<string, string> = {
  wire: 'wire', 'vf-path': 'data path', rsc: 'host RSC', 'rss-hash': 'RSS', channel: 'channel', 'recv-buffer': 'receive buffer',
  xdp: 'XDP program', checksum: 'checksum', gro: 'GRO', deliver: 'delivered',
  'tx-hash': 'TX hash', 'tx-queue': 'TX queue', 'tx-checksum': 'TX checksum', 'tx-send': 'send',
};

/** Function-breakpoint names -> trace stage names (`drop`, `tx`, `redirect` match decisions). */
export const STAGE_ALIASES: Record<string, string> = {
  wire: 'wire', 'vf-path': 'vf-path', vf: 'vf-path', rsc: 'rsc', lro: 'rsc', rss: 'rss-hash', 'rss-hash': 'rss-hash',
  channel: 'channel', queue: 'channel', receive: 'channel', recvbuf: 'recv-buffer', 'recv-buffer': 'recv-buffer',
  xdp: 'xdp', checksum: 'checksum', gro: 'gro', deliver: 'deliver', delivered: 'deliver',
  drop: 'drop', dropped: 'drop', tx: 'tx', xdp_tx: 'tx', redirect: 'redirect', xdp_redirect: 'redirect',
  // The transmit path (packets the guest sends): `tx` stays XDP_TX.
  'tx-hash': 'tx-hash', 'tx-queue': 'tx-queue', 'tx-checksum': 'tx-checksum', 'tx-send': 'tx-send', send: 'tx-send',
};

export function stageLabel(id: string): string { return LABELS[id] ?? id; }

const DROPS = new Set<number>([Decision.Drop, Decision.XdpDrop, Decision.XdpAborted, Decision.XdpInvalid]);

export function isDropEvent(e: { decision: number; reason: number }): boolean {
  return DROPS.has(e.decision) || (e.decision === Decision.XdpRedirect && e.reason === Reason.RedirectFailed);
}

/** Does a stop match a function-breakpoint target (a stage name or drop/tx/redirect)? */
export function stopMatches(s: StageStop, target: string): boolean {
  if (target === 'drop') return s.drop;
  if (target === 'tx') return s.event?.decision === Decision.XdpTx;
  if (target === 'redirect') return s.event?.decision === Decision.XdpRedirect;
  return s.id === target;
}

function valueText(e: StageEvent): string {
  switch (e.stage) {
    case Stage.Wire: return `${e.value} bytes`;
    case Stage.RssHash: return e.decision === Decision.Hashed ? `hash 0x${(e.value >>> 0).toString(16).padStart(8, '0')}` : '';
    case Stage.Channel: case Stage.TxQueue: return `queue ${e.value}`;
    case Stage.Rsc: return e.decision === Decision.Absorbed ? `into packet ${e.value + 1}` : e.value > 1 ? `${e.value} segments` : '';
    case Stage.RecvBuffer: return e.decision === Decision.Section ? `${e.value} section${e.value === 1 ? '' : 's'} in use` : '';
    case Stage.Xdp: return (e.value & 0x100) ? 'packet bounds moved by the program' : '';
    case Stage.Gro: return e.decision === Decision.GroMerged ? `${e.value} merged` : e.decision === Decision.Absorbed ? `into packet ${e.value + 1}` : '';
    case Stage.Deliver: return `${e.value} bytes`;
    case Stage.TxHash: return e.decision === Decision.Hashed ? `hash 0x${(e.value >>> 0).toString(16).padStart(8, '0')}` : '';
    case Stage.TxSend: return `queue ${e.value}`;
    default: return '';
  }
}

/** One trace record as a stop. */
export function eventStop(e: StageEvent): StageStop {
  const id = TRACE_STAGE_NAMES[e.stage] ?? `stage ${e.stage}`;
  // A channel's decision is always "queue": the queue number says it.
  const decision = e.stage === Stage.Channel || e.stage === Stage.TxQueue ? '' : DECISION_NAMES[e.decision] ?? `decision ${e.decision}`;
  const parts = [decision, valueText(e), REASON_NAMES[e.reason]].filter(Boolean);
  return { id, text: `${stageLabel(id)}: ${parts.join(', ')}`, drop: isDropEvent(e), event: e };
}

/**
 * The debugger's trace sink: follows one packet id; records its events when asked (a packet the
 * debugger stops in) and notes whether it was dropped (the exception filters need that for
 * packets run at full speed).
 */
export class DebugSink implements TraceSink {
  private packet = -1;
  private recording = false;
  events: StageEvent[] = [];
  dropped = false;

  follow(packet: number, record: boolean): void {
    this.packet = packet; this.recording = record; this.dropped = false;
    if (record) this.events = [];
  }

  report(stage: number, packet: number, decision: number, reason: number, counter: number, value: number): void {
    if (packet !== this.packet) return;
    if (DROPS.has(decision) || (decision === Decision.XdpRedirect && reason === Reason.RedirectFailed)) this.dropped = true;
    if (this.recording) this.events.push({ stage, packet, decision, reason, counter, value });
  }
}
