// Per-packet trace records in columns of typed arrays, filled by the pipeline through the
// TraceSink interface. 29 bytes a packet, allocated in fixed chunks (no doubling waste), so a
// million-packet replay keeps its trace on at full speed. Random access by packet index,
// per-stage decisions of one packet, summary counters, JSON and pcapng-comment export.
// The XDP program's bpf_printk lines are kept beside the columns, sparsely (few packets print),
// per packet, in a bounded buffer that overwrites the oldest output like the kernel's trace ring.
import * as codes from './codes';
import { COUNTER_NAMES, DECISION_NAMES, DROP_NAMES, FLAG_NAMES, REASON_NAMES, STAGE_NAMES } from './codes';

const NO_XDP = codes.NO_XDP;
// Local copies: report() runs ~10 times a packet and must not go through import bindings.
const { Decision, Drop, PF, Reason, Stage } = { Decision: { ...codes.Decision }, Drop: { ...codes.Drop }, PF: { ...codes.PF }, Reason: { ...codes.Reason }, Stage: { ...codes.Stage } };
import type { StageEvent, TraceSink } from './sink';

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

class Chunk {
  readonly time = new Float64Array(CHUNK);
  readonly length = new Uint32Array(CHUNK);
  readonly hash = new Uint32Array(CHUNK);
  /** Where the bytes are: capture file offset of the record, or arena offset. */
  readonly byteRef = new Uint32Array(CHUNK);
  readonly flags = new Uint16Array(CHUNK);
  readonly rscSegments = new Uint16Array(CHUNK);
  readonly queue = new Uint8Array(CHUNK);
  /** XDP action, NO_XDP when no program ran. */
  readonly verdict = new Uint8Array(CHUNK);
  readonly dropReason = new Uint8Array(CHUNK);
  /** RX: packets GRO merged into this one (saturating at 255). TX: the checksum decision (Decision code). */
  readonly groMerged = new Uint8Array(CHUNK);
  /** Why the queue was chosen (RSS hash input on RX, TX hash kind on TX). */
  readonly reason = new Uint8Array(CHUNK);
  static readonly BYTES = 8 + 4 + 4 + 4 + 2 + 2 + 1 + 1 + 1 + 1 + 1;
}

export interface TraceRecord {
  index: number; time: number; length: number; queue: number; hash: number; verdict: string | null; path: 'synthetic' | 'vf';
  direction: 'rx' | 'tx'; flags: string[]; dropReason: string | null; rscSegments: number; groMerged: number; byteRef: number;
  reason: string;
}

export interface TraceSummary {
  packets: number; rx: number; tx: number; bytes: number;
  perQueue: { queue: number; rxPackets: number; rxBytes: number; txPackets: number; txBytes: number }[];
  xdpVerdicts: Record<string, number>;
  drops: Record<string, number>;
  rscCoalesced: number; rscSegments: number; groMerged: number;
  vf: number; synthetic: number;
  counters: Record<string, number>;
}

/** Bounds of the printk buffer (defaults: 65,536 lines, 8 Mi characters). */
export interface PrintkLimits { maxLines?: number; maxChars?: number }

const NO_LINES: readonly string[] = Object.freeze([]);
/** Prefix of the pcapng comments that carry a packet's printk lines (after its decision comment). */
export const PRINTK_COMMENT = 'printk: ';

export class PacketTrace implements TraceSink {
  private chunks: Chunk[] = [];
  /** printk lines by packet, in the order they were written (Map order = age, for overwriting). */
  private readonly printkLines = new Map<number, string[]>();
  private readonly printkMaxLines: number;
  private readonly printkMaxChars: number;
  /** Lines and characters kept. */
  printkLineCount = 0;
  printkCharCount = 0;
  /** Lines overwritten (dropped, oldest first) to stay within the bounds. */
  printkDropped = 0;
  /** Highest packet index whose lines were overwritten, -1 when none were. */
  printkOverwrittenUpTo = -1;

  constructor(limits: PrintkLimits = {}) {
    this.printkMaxLines = Math.max(1, limits.maxLines ?? 65_536);
    this.printkMaxChars = Math.max(1, limits.maxChars ?? 8 << 20);
  }
  /** Records begun so far (packet ids are 0..count-1). */
  count = 0;
  /** Totals of counters touched, indexed by Counter. */
  readonly counterTotals = new Float64Array(COUNTER_NAMES.length);

  /** Opens record `id` (ids are dense and increasing). */
  begin(id: number, time: number, length: number, byteRef: number): void {
    while ((id >>> CHUNK_BITS) >= this.chunks.length) this.chunks.push(new Chunk());
    const c = this.chunks[id >>> CHUNK_BITS];
    const i = id & MASK;
    c.time[i] = time; c.length[i] = length; c.byteRef[i] = byteRef; c.hash[i] = 0; c.flags[i] = 0; c.rscSegments[i] = 0;
    c.queue[i] = 0; c.verdict[i] = NO_XDP; c.dropReason[i] = 0; c.groMerged[i] = 0; c.reason[i] = 0;
    if (id >= this.count) this.count = id + 1;
  }

  report(stage: number, packet: number, decision: number, reason: number, counter: number, value: number): void {
    if (counter) this.counterTotals[counter]++;
    const c = this.chunks[packet >>> CHUNK_BITS];
    if (!c) return;
    const i = packet & MASK;
    switch (stage) {
      case Stage.Wire:
        if (decision === Decision.Tx) c.flags[i] |= PF.Tx;
        if (reason === Reason.VlanTagged) c.flags[i] |= PF.Vlan;
        break;
      case Stage.VfPath: if (decision === Decision.Vf) c.flags[i] |= PF.Vf; break;
      case Stage.Rsc:
        if (decision === Decision.Coalesced) { c.flags[i] |= PF.Rsc; c.rscSegments[i] = Math.min(value, 0xffff); }
        else if (decision === Decision.Absorbed) { c.flags[i] |= PF.RscAbsorbed; c.rscSegments[i] = 0; }
        else c.rscSegments[i] = 1;
        break;
      case Stage.RssHash: case Stage.TxHash:
        c.hash[i] = value; c.reason[i] = reason;
        if (decision === Decision.Hashed) c.flags[i] |= PF.HashValid;
        if (reason === Reason.L4Hash) c.flags[i] |= PF.L4Hash;
        if (reason === Reason.Fragment2Tuple) c.flags[i] |= PF.Fragment;
        break;
      case Stage.Channel: case Stage.TxQueue: c.queue[i] = value; if (stage === Stage.TxQueue && !c.reason[i]) c.reason[i] = reason; break;
      case Stage.RecvBuffer:
        if (decision === Decision.Drop) { c.flags[i] |= PF.Dropped; c.dropReason[i] = reason === Reason.PacketTooBig ? Drop.PacketTooBig : Drop.RecvBufferFull; }
        break;
      case Stage.Xdp: {
        if (decision === Decision.NotRun) break;
        c.flags[i] |= PF.XdpRan;
        if (value & 0x100) c.flags[i] |= PF.XdpAdjusted;
        c.verdict[i] = value & 0xff;
        const drop = decision === Decision.XdpDrop ? Drop.XdpDrop : decision === Decision.XdpAborted ? Drop.XdpAborted
          : decision === Decision.XdpInvalid ? Drop.XdpInvalid : decision === Decision.Drop ? Drop.FrameTooLong
            : (decision === Decision.XdpRedirect && reason === Reason.RedirectFailed) ? Drop.XdpRedirectFailed : 0;
        if (drop) { c.flags[i] |= PF.Dropped; c.dropReason[i] = drop; }
        break;
      }
      case Stage.Checksum: if (decision === Decision.Unnecessary) c.flags[i] |= PF.CsumUnnecessary; break;
      case Stage.Gro:
        if (decision === Decision.Absorbed) c.flags[i] |= PF.GroAbsorbed;
        else if (decision === Decision.GroMerged) c.groMerged[i] = Math.min(255, value);
        break;
      case Stage.TxChecksum: if (decision === Decision.SwCsum) c.flags[i] |= PF.SwCsum; c.groMerged[i] = decision; break;
      case Stage.TxSend:
        if (decision === Decision.PageBuffer) c.flags[i] |= PF.PageBuffer;
        else if (decision === Decision.Batched) c.flags[i] |= PF.Batched;
        else if (decision === Decision.Vf) c.flags[i] |= PF.Vf;
        else if (decision === Decision.Drop) { c.flags[i] |= PF.Dropped; c.dropReason[i] = Drop.TxNoSpace; }
        break;
      default: break;
    }
  }

  /** The XDP program printed `lines` while it ran for `packet`. Rare, so a Map entry per printing packet. */
  printk(packet: number, lines: readonly string[]): void {
    if (!lines.length) return;
    let add = lines;
    let chars = 0;
    for (const l of add) chars += l.length;
    // One run larger than the whole buffer keeps its newest lines (the ring would have overwritten the rest).
    if (add.length > this.printkMaxLines || chars > this.printkMaxChars) {
      let k = add.length, c = 0;
      while (k > 0 && add.length - k < this.printkMaxLines && c + add[k - 1].length <= this.printkMaxChars) c += add[--k].length;
      this.printkDropped += k;
      this.printkOverwrittenUpTo = Math.max(this.printkOverwrittenUpTo, packet);
      add = add.slice(k); chars = c;
      if (!add.length) return;
    }
    while (this.printkLineCount + add.length > this.printkMaxLines || this.printkCharCount + chars > this.printkMaxChars) {
      const oldest = this.printkLines.entries().next().value!;
      this.printkLines.delete(oldest[0]);
      for (const l of oldest[1]) this.printkCharCount -= l.length;
      this.printkLineCount -= oldest[1].length;
      this.printkDropped += oldest[1].length;
      if (oldest[0] > this.printkOverwrittenUpTo) this.printkOverwrittenUpTo = oldest[0];
    }
    const had = this.printkLines.get(packet);
    if (had) for (const l of add) had.push(l); else this.printkLines.set(packet, add.slice());
    this.printkLineCount += add.length;
    this.printkCharCount += chars;
  }

  /** The printk lines kept for packet i (empty when it printed nothing or they were overwritten). */
  printkOf(i: number): readonly string[] { return this.printkLines.get(i) ?? NO_LINES; }

  /**
   * Why packet i may be missing printk output: '' when nothing of it can have been overwritten,
   * else the "N lines dropped" marker (the buffer overwrote the oldest lines, as the kernel's does).
   */
  printkLostNote(i: number): string {
    if (i > this.printkOverwrittenUpTo || this.printkLines.has(i)) return '';
    return `${this.printkDropped} earlier printk line${this.printkDropped === 1 ? '' : 's'} dropped (buffer full: the trace keeps the newest ${this.printkMaxLines} lines / ${this.printkMaxChars} characters; packets up to ${this.printkOverwrittenUpTo + 1} were overwritten)`;
  }

  /** Bytes of trace memory per recorded packet (allocated chunks / packets). */
  bytesPerPacket(): number {
    return this.count ? (this.chunks.length * CHUNK * Chunk.BYTES) / this.count : 0;
  }

  get recordBytes(): number { return Chunk.BYTES; }

  private at(i: number): [Chunk, number] {
    if (i < 0 || i >= this.count) throw new RangeError(`packet index ${i} out of range 0..${this.count - 1}`);
    return [this.chunks[i >>> CHUNK_BITS], i & MASK];
  }

  flags(i: number): number { const [c, k] = this.at(i); return c.flags[k]; }
  queue(i: number): number { const [c, k] = this.at(i); return c.queue[k]; }
  hash(i: number): number { const [c, k] = this.at(i); return c.hash[k]; }
  verdict(i: number): number { const [c, k] = this.at(i); return c.verdict[k]; }
  length(i: number): number { const [c, k] = this.at(i); return c.length[k]; }
  byteRef(i: number): number { const [c, k] = this.at(i); return c.byteRef[k]; }

  /** One packet's record, with names. */
  record(i: number): TraceRecord {
    const [c, k] = this.at(i);
    const f = c.flags[k];
    return {
      index: i, time: c.time[k], length: c.length[k], queue: c.queue[k], hash: c.hash[k],
      verdict: c.verdict[k] === NO_XDP ? null : (['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'][c.verdict[k]] ?? `action ${c.verdict[k]}`),
      path: f & PF.Vf ? 'vf' : 'synthetic', direction: f & PF.Tx ? 'tx' : 'rx',
      flags: FLAG_NAMES.filter((_, b) => f & (1 << b)), dropReason: c.dropReason[k] ? DROP_NAMES[c.dropReason[k]] : null,
      rscSegments: c.rscSegments[k], groMerged: f & PF.Tx ? 0 : c.groMerged[k], byteRef: c.byteRef[k], reason: REASON_NAMES[c.reason[k]] ?? '',
    };
  }

  /** The decisions of every stage for one packet, read back from its record. */
  stagesOf(i: number): { stage: string; decision: string; detail: string }[] {
    const r = this.record(i);
    const [c, k] = this.at(i);
    const f = c.flags[k];
    const out: { stage: string; decision: string; detail: string }[] = [];
    const add = (s: number, d: string, detail = '') => out.push({ stage: STAGE_NAMES[s], decision: d, detail });
    const hex = (h: number) => `0x${h.toString(16).padStart(8, '0')}`;
    if (r.direction === 'rx') {
      add(Stage.Wire, 'rx', `${r.length} bytes`);
      add(Stage.VfPath, r.path);
      if (f & PF.RscAbsorbed) { add(Stage.Rsc, 'absorbed', 'coalesced into an earlier packet by the host'); return out; }
      add(Stage.Rsc, f & PF.Rsc ? 'coalesced' : 'single', f & PF.Rsc ? `${r.rscSegments} segments` : '');
      if (r.path === 'synthetic') {
        add(Stage.RssHash, f & PF.HashValid ? 'hashed' : 'none', `${hex(r.hash)} ${r.reason}`);
        add(Stage.Channel, 'queue', String(r.queue));
      } else {
        add(Stage.Channel, 'queue', `${r.queue} (VF)`);
      }
      if (r.dropReason === 'recv-buffer-full' || r.dropReason === 'packet-too-big') { add(Stage.RecvBuffer, 'drop', r.dropReason); return out; }
      if (r.path === 'synthetic') add(Stage.RecvBuffer, 'section');
      if (f & PF.XdpRan) {
        add(Stage.Xdp, r.verdict ?? 'none', [f & PF.XdpAdjusted ? 'frame adjusted' : '', r.dropReason ?? ''].filter(Boolean).join(', '));
        if (f & PF.Dropped) return out;
        if (r.verdict === 'XDP_TX' || r.verdict === 'XDP_REDIRECT') return out;
      }
      add(Stage.Checksum, f & PF.CsumUnnecessary ? 'CHECKSUM_UNNECESSARY' : 'CHECKSUM_NONE');
      if (f & PF.GroAbsorbed) add(Stage.Gro, 'absorbed', 'merged into an earlier packet');
      else add(Stage.Gro, r.groMerged ? 'merged' : 'held', r.groMerged ? `${r.groMerged} packets merged in` : '');
      if (!(f & PF.GroAbsorbed)) add(Stage.Deliver, 'delivered');
    } else {
      add(Stage.Wire, 'tx', `${r.length} bytes`);
      add(Stage.TxHash, f & PF.HashValid ? 'hashed' : 'none', `${hex(r.hash)} ${r.reason}`);
      add(Stage.TxQueue, 'queue', String(r.queue));
      const tc = c.groMerged[k];
      add(Stage.TxChecksum, tc === Decision.None ? 'none' : DECISION_NAMES[tc], tc === Decision.None ? 'not CHECKSUM_PARTIAL' : tc === Decision.SwCsum ? 'skb_checksum_help: type not in tx_checksum_mask' : tc === Decision.HwCsum ? 'TCPIP_CHKSUM_PKTINFO' : tc === Decision.Lso ? 'TCP_LARGESEND_PKTINFO' : '');
      add(Stage.TxSend, f & PF.Dropped ? 'drop' : f & PF.Vf ? 'vf' : f & PF.PageBuffer ? 'page-buffer' : f & PF.Batched ? 'batched' : 'new-section');
    }
    return out;
  }

  /** One line per packet for a pcapng comment. */
  comment(i: number): string {
    return this.stagesOf(i).map((s) => `${s.stage}=${s.decision}${s.detail ? ` (${s.detail})` : ''}`).join('; ');
  }

  /** The packet's pcapng comments: its decisions, then one `printk: LINE` per printk line. */
  comments(i: number): string[] {
    const out = [this.comment(i)];
    for (const l of this.printkOf(i)) out.push(PRINTK_COMMENT + l);
    return out;
  }

  summary(): TraceSummary {
    const perQ = new Map<number, { queue: number; rxPackets: number; rxBytes: number; txPackets: number; txBytes: number }>();
    const s: TraceSummary = { packets: this.count, rx: 0, tx: 0, bytes: 0, perQueue: [], xdpVerdicts: {}, drops: {}, rscCoalesced: 0, rscSegments: 0, groMerged: 0, vf: 0, synthetic: 0, counters: {} };
    for (let ci = 0; ci < this.chunks.length; ci++) {
      const c = this.chunks[ci];
      const n = Math.min(CHUNK, this.count - ci * CHUNK);
      for (let k = 0; k < n; k++) {
        const f = c.flags[k];
        const len = c.length[k];
        s.bytes += len;
        if (f & PF.Vf) s.vf++; else s.synthetic++;
        if (c.verdict[k] !== NO_XDP) {
          const name = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'][c.verdict[k]] ?? 'invalid';
          s.xdpVerdicts[name] = (s.xdpVerdicts[name] ?? 0) + 1;
        }
        if (c.dropReason[k]) { const d = DROP_NAMES[c.dropReason[k]]; s.drops[d] = (s.drops[d] ?? 0) + 1; }
        if (f & PF.Rsc) { s.rscCoalesced++; s.rscSegments += c.rscSegments[k]; }
        if (!(f & PF.Tx)) s.groMerged += c.groMerged[k];
        const q = c.queue[k];
        let e = perQ.get(q);
        if (!e) { e = { queue: q, rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0 }; perQ.set(q, e); }
        if (f & PF.Tx) { s.tx++; e.txPackets++; e.txBytes += len; } else { s.rx++; e.rxPackets++; e.rxBytes += len; }
      }
    }
    s.perQueue = [...perQ.values()].sort((a, b) => a.queue - b.queue);
    COUNTER_NAMES.forEach((n, i) => { if (i && this.counterTotals[i]) s.counters[n] = this.counterTotals[i]; });
    return s;
  }

  /** The full trace as JSON-ready data (records with names, per-stage decisions, summary). */
  toJSON(opts: { stages?: boolean } = {}): { version: 1; summary: TraceSummary; printkDropped: number; packets: (TraceRecord & { stages?: { stage: string; decision: string; detail: string }[]; printk?: string[] })[] } {
    const packets = [];
    for (let i = 0; i < this.count; i++) {
      const p: TraceRecord & { stages?: { stage: string; decision: string; detail: string }[]; printk?: string[] } = opts.stages ? { ...this.record(i), stages: this.stagesOf(i) } : this.record(i);
      const lines = this.printkLines.get(i);
      if (lines) p.printk = lines.slice();
      packets.push(p);
    }
    return { version: 1, summary: this.summary(), printkDropped: this.printkDropped, packets };
  }
}

/** Replays a detailed event list into readable lines (debugger / single-packet views). */
export function describeEvents(events: readonly StageEvent[]): string[] {
  return events.map((e) => `${STAGE_NAMES[e.stage]}: ${DECISION_NAMES[e.decision]}${e.reason ? ` — ${REASON_NAMES[e.reason]}` : ''}${e.counter ? ` [${COUNTER_NAMES[e.counter]}]` : ''}`);
}


