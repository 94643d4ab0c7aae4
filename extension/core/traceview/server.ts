/**
 * The host side of the trace viewer: answers the protocol (`protocol.ts`) from an open trace
 * (`TraceDocument`). vscode-free, so the custom editor, the live panel and `netvsc-lab view`
 * all run this same class. Row pages are built on demand for the rows asked for (text columns
 * are described per page, never for the whole capture); a filter or a sort makes one index
 * array (Uint32Array) per view, kept in a small cache.
 *
 * API
 *   new TraceViewServer(doc, hooks?)
 *   handle(request) -> Promise<ViewResponse>      never throws: failures become { type: 'error' }
 *   open(), view(filter, sort), rows(viewId, start, count), detail(packet), path(packet),
 *   charts(viewId, buckets), locate(viewId, packet), copy(packet, as), follow(packet),
 *   exportPcapng(viewId) -> Uint8Array           the same operations, called directly
 *   grown() -> HostEvent                         for a live trace: the capture got longer
 *   HostHooks: where exports go and what "Step through"/"Replay from here" do (host specific)
 */
import { mergedComment } from '../trace/pcapngExport';
import { dissectFlow, FlowKeys, FLOW_FRAGMENT, FLOW_IPV6, FLOW_PORTS, FLOW_TCP, FLOW_UDP } from '../packet/flow';
import { formatIPv4, formatIPv6 } from '../packet/addr';
import { PcapngWriter } from '../packet/pcapng';
import { toBase64 } from './b64';
import { colourOf, COLOUR_RULES } from './colour';
import { formatHash, formatPath, formatQueue, formatTime, formatXdp, hexDump } from './format';
import { buildPath } from './pathDiagram';
import {
  ROW_HAS_COMMENT, ROW_HASH_VALID, type ActionKind, type ChartsResult, type ColumnId, type DetailNode, type DetailResult,
  type HostEvent, type OpenResult, type PathResult, type RelatedPackets, type RowPage, type SortSpec, type ViewRequest, type ViewResponse,
  type ViewResult, type Requests, type RequestType, COLUMN_IDS,
} from './protocol';
import type { DescribedColumns, TraceDocument } from './source';

export interface HostHooks {
  /** Deliver exported pcapng bytes (save dialog, download link…). */
  exportPcapng?(bytes: Uint8Array, suggestedName: string): Promise<{ message: string; href?: string }>;
  /** "Step through this packet" / "Replay from here". */
  action?(kind: ActionKind, packet: number): Promise<string>;
}

interface View {
  id: number;
  key: string;
  /** Packet indices in display order; null = every packet in capture order. */
  order: Uint32Array | null;
  total: number;
  error?: ViewResult['error'];
}

/** Most rows one page request may ask for. */
export const MAX_PAGE_ROWS = 4096;
const VIEW_CACHE = 8;
/** How far (in packets) to look for the other fragments of a datagram. */
const FRAGMENT_WINDOW = 512;

export class TraceViewServer {
  private readonly views = new Map<number, View>();
  private nextViewId = 1;
  private readonly cols: DescribedColumns = { source: '', destination: '', protocol: '', info: '', flags: 0 };
  private readonly keys = new FlowKeys();
  /** Per-column sort ranks of string columns, computed on first sort by that column. */
  private readonly rankCache = new Map<ColumnId, Uint32Array>();

  constructor(readonly doc: TraceDocument, private readonly hooks: HostHooks = {}) {}

  async handle(req: ViewRequest): Promise<ViewResponse> {
    try {
      const result = await this.dispatch(req);
      return { type: 'response', request: req.type, inReplyTo: req.id, result } as ViewResponse;
    } catch (e) {
      return { type: 'error', inReplyTo: req.id, message: e instanceof Error ? e.message : String(e) };
    }
  }

  private async dispatch(r: ViewRequest): Promise<Requests[RequestType]['res']> {
    switch (r.type) {
      case 'open': {
        const o = this.open();
        if (r.first === undefined) return o;
        const f = r.first as unknown;
        if (typeof f !== 'object' || f === null) throw new Error('open: first must be an object');
        const ff = f as { filter?: unknown; sort?: unknown; rows?: unknown };
        const view = this.view(str(ff.filter, 'first.filter'), sortSpec(ff.sort));
        return { ...o, first: { view, rows: view.error ? undefined : this.rows(view.viewId, 0, int(ff.rows, 'first.rows')) } };
      }
      case 'view': return this.view(str(r.filter, 'filter'), sortSpec(r.sort));
      case 'rows': return this.rows(int(r.viewId, 'viewId'), int(r.start, 'start'), int(r.count, 'count'));
      case 'checkFilter': {
        const c = this.doc.filters.compile(str(r.filter, 'filter'));
        return 'error' in c ? { error: c.error } : {};
      }
      case 'complete': {
        const p = str(r.prefix, 'prefix');
        const items = this.doc.filters.fields().filter((f) => f.name.startsWith(p)).slice(0, 100);
        return { items };
      }
      case 'detail': return this.detail(this.packetArg(r.packet));
      case 'path': return this.path(this.packetArg(r.packet));
      case 'charts': return this.charts(int(r.viewId, 'viewId'), Math.max(1, Math.min(2000, int(r.buckets, 'buckets'))));
      case 'locate': return { row: this.locate(int(r.viewId, 'viewId'), int(r.packet, 'packet')) };
      case 'copy': return { text: this.copy(this.packetArg(r.packet), r.as === 'text' ? 'text' : 'hex') };
      case 'follow': return { filter: this.follow(this.packetArg(r.packet)) };
      case 'export': {
        const v = this.getView(int(r.viewId, 'viewId'));
        if (!this.hooks.exportPcapng) throw new Error('export is not available here');
        const base = this.doc.name.replace(/^.*[\\/]/, '').replace(/\.(pcapng|pcap|cap)$/i, '');
        return this.hooks.exportPcapng(this.exportPcapng(v.id), `${base}-filtered.pcapng`);
      }
      case 'action': {
        if (!this.hooks.action) throw new Error(`${r.kind} is not available in this viewer (read-only)`);
        if (r.kind !== 'stepThrough' && r.kind !== 'replayFrom') throw new Error(`unknown action ${String(r.kind)}`);
        return { message: await this.hooks.action(r.kind, this.packetArg(r.packet)) };
      }
    }
  }

  private packetArg(p: unknown): number {
    const i = int(p, 'packet');
    if (i < 0 || i >= this.doc.store.count) throw new Error(`packet ${i + 1} does not exist (the trace has ${this.doc.store.count})`);
    return i;
  }

  open(): OpenResult {
    const s = this.doc.store;
    const ups = s.interfaces.reduce((m, f) => Math.max(m, f.tsUnitsPerSecond), 1e6);
    const res: OpenResult = {
      name: this.doc.name,
      format: s.format,
      count: s.count,
      timePrecision: Math.min(9, Math.max(0, Math.round(Math.log10(ups)))),
      firstSec: s.count > 0 ? s.index.tsSec[0] : 0,
      firstNsec: s.count > 0 ? s.index.tsNsec[0] : 0,
      hasDeviceTrace: this.doc.trace !== undefined,
      dropReasons: this.doc.trace ? [...this.doc.trace.dropReasons] : [''],
      colourRules: [...COLOUR_RULES],
      warnings: s.warnings.slice(0, 100).map((w) => `byte ${w.offset}: ${w.message}`),
      live: this.doc.live === true,
      readOnly: !this.hooks.action,
    };
    if (s.error) res.error = s.error.message;
    return res;
  }

  /** A view of the capture: the packets matching `filter`, in `sort` order. */
  view(filter: string, sort: SortSpec | null): ViewResult {
    const t0 = performance.now();
    const key = `${filter.trim()}\u0000${sort ? `${sort.column}${sort.descending ? '-' : '+'}` : ''}\u0000${this.doc.store.count}`;
    for (const v of this.views.values()) {
      if (v.key === key) {
        this.views.delete(v.id); this.views.set(v.id, v); // LRU touch
        return viewResult(v, performance.now() - t0);
      }
    }
    const count = this.doc.store.count;
    let order: Uint32Array | null = null;
    let error: ViewResult['error'];
    if (filter.trim() !== '') {
      const c = this.doc.filters.compile(filter);
      if ('error' in c) error = c.error;
      else {
        const m = c.filter;
        const out = new Uint32Array(count);
        let n = 0;
        for (let i = 0; i < count; i++) if (m.matches(i)) out[n++] = i;
        order = out.slice(0, n);
      }
    }
    if (sort && sort.column !== 'no') order = this.sorted(order ?? identity(count), sort);
    else if (sort?.descending) order = (order ?? identity(count)).slice().reverse();
    const v: View = { id: this.nextViewId++, key, order, total: order ? order.length : count };
    if (error) v.error = error;
    this.views.set(v.id, v);
    while (this.views.size > VIEW_CACHE) this.views.delete(this.views.keys().next().value as number);
    return viewResult(v, performance.now() - t0);
  }

  private getView(id: number): View {
    const v = this.views.get(id);
    if (!v) throw new Error(`view ${id} is gone (the viewer asked for an expired view; it will ask again)`);
    return v;
  }

  private sorted(base: Uint32Array, sort: SortSpec): Uint32Array {
    const s = this.doc.store.index, t = this.doc.trace;
    const order = base.slice();
    let cmp: (a: number, b: number) => number;
    switch (sort.column) {
      case 'time': cmp = (a, b) => (s.tsSec[a] - s.tsSec[b]) || (s.tsNsec[a] - s.tsNsec[b]); break;
      case 'length': cmp = (a, b) => s.origLen[a] - s.origLen[b]; break;
      case 'queue': case 'hash': case 'path': case 'xdp': case 'rsc': case 'gro': case 'drop': {
        if (!t) return sort.descending ? order.reverse() : order;
        const key = new Float64Array(this.doc.store.count);
        const get = { queue: t.queue, hash: t.hash, path: t.path, xdp: t.xdp, rsc: t.rsc, gro: t.gro, drop: t.drop }[sort.column].bind(t);
        for (let r = 0; r < order.length; r++) key[order[r]] = get(order[r]);
        cmp = (a, b) => key[a] - key[b];
        break;
      }
      default: {
        const rank = this.ranks(sort.column);
        cmp = (a, b) => rank[a] - rank[b];
      }
    }
    const dir = sort.descending ? -1 : 1;
    order.sort((a, b) => dir * cmp(a, b) || a - b);
    return order;
  }

  /** Rank of every packet's text in a string column (equal text, equal rank). */
  private ranks(column: ColumnId): Uint32Array {
    let r = this.rankCache.get(column);
    if (r) return r;
    const n = this.doc.store.count;
    const ids = new Uint32Array(n);
    const intern = new Map<string, number>();
    const texts: string[] = [];
    const pick = column === 'source' ? 'source' : column === 'destination' ? 'destination' : column === 'protocol' ? 'protocol' : 'info';
    for (let i = 0; i < n; i++) {
      this.describe(i);
      const text = this.cols[pick];
      let id = intern.get(text);
      if (id === undefined) { id = texts.length; texts.push(text); intern.set(text, id); }
      ids[i] = id;
    }
    const byText = texts.map((_, i) => i).sort((a, b) => compareText(texts[a], texts[b]));
    const rankOfId = new Uint32Array(texts.length);
    byText.forEach((id, rank) => { rankOfId[id] = rank; });
    r = new Uint32Array(n);
    for (let i = 0; i < n; i++) r[i] = rankOfId[ids[i]];
    this.rankCache.set(column, r);
    return r;
  }

  private describe(i: number): void {
    const s = this.doc.store;
    this.doc.describer.describe(s.packet(i), s.linkType(i), this.cols);
  }

  rows(viewId: number, start: number, count: number): RowPage {
    const v = this.getView(viewId);
    if (start < 0) throw new Error(`rows: start ${start} is negative`);
    const n = Math.max(0, Math.min(count, MAX_PAGE_ROWS, v.total - start));
    const s = this.doc.store, ix = s.index, t = this.doc.trace;
    const index = new Uint32Array(n), tsSec = new Float64Array(n), tsNsec = new Uint32Array(n), delta = new Float64Array(n);
    const length = new Uint32Array(n), queue = new Int16Array(n), hash = new Uint32Array(n), path = new Uint8Array(n);
    const xdp = new Int8Array(n), rsc = new Uint16Array(n), gro = new Uint16Array(n), drop = new Uint8Array(n);
    const flags = new Uint16Array(n), colour = new Uint8Array(n);
    const source: string[] = new Array(n), destination: string[] = new Array(n), protocol: string[] = new Array(n), info: string[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const i = v.order ? v.order[start + r] : start + r;
      index[r] = i;
      tsSec[r] = ix.tsSec[i]; tsNsec[r] = ix.tsNsec[i];
      delta[r] = i > 0 ? (ix.tsSec[i] - ix.tsSec[i - 1]) + (ix.tsNsec[i] - ix.tsNsec[i - 1]) / 1e9 : 0;
      length[r] = ix.origLen[i];
      this.describe(i);
      source[r] = this.cols.source; destination[r] = this.cols.destination; protocol[r] = this.cols.protocol; info[r] = this.cols.info;
      let f = this.cols.flags;
      if (s.comments(i).length > 0) f |= ROW_HAS_COMMENT;
      if (t) {
        queue[r] = t.queue(i); hash[r] = t.hash(i); path[r] = t.path(i); xdp[r] = t.xdp(i);
        rsc[r] = t.rsc(i); gro[r] = t.gro(i); drop[r] = t.drop(i);
        if (t.hashValid(i)) f |= ROW_HASH_VALID;
      } else { queue[r] = -1; xdp[r] = -1; }
      flags[r] = f;
      colour[r] = colourOf(f, xdp[r], drop[r]);
    }
    return {
      viewId, start, count: n,
      index: toBase64(index), tsSec: toBase64(tsSec), tsNsec: toBase64(tsNsec), delta: toBase64(delta), length: toBase64(length),
      source, destination, protocol, info,
      queue: toBase64(queue), hash: toBase64(hash), path: toBase64(path), xdp: toBase64(xdp), rsc: toBase64(rsc),
      gro: toBase64(gro), drop: toBase64(drop), flags: toBase64(flags), colour: toBase64(colour),
    };
  }

  detail(i: number): DetailResult {
    const s = this.doc.store;
    const bytes = s.packet(i);
    const tree = this.doc.describer.tree(i);
    return { packet: i, bytes: toBase64(bytes), tree, comments: s.comments(i) };
  }

  path(i: number): PathResult {
    const t = this.doc.trace;
    const related = [...this.fragmentsOf(i), ...(t && i < t.count && t.related ? t.related(i) : [])];
    if (!t || i >= t.count) return { packet: i, stages: [], related };
    return { packet: i, stages: buildPath(t.stages(i)), related };
  }

  /** Other fragments of the packet's IP datagram (same addresses, protocol and id) near it in the capture. */
  private fragmentsOf(i: number): RelatedPackets[] {
    const s = this.doc.store, k = this.keys;
    let b = s.packet(i);
    dissectFlow(b, 0, b.length, k, s.linkType(i));
    if (!(k.status & FLOW_FRAGMENT)) return [];
    const id = k.fragmentId, proto = k.l4Proto, src = k.src.slice(), dst = k.dst.slice();
    const same: number[] = [];
    const from = Math.max(0, i - FRAGMENT_WINDOW), to = Math.min(s.count, i + FRAGMENT_WINDOW + 1);
    for (let j = from; j < to; j++) {
      b = s.packet(j);
      dissectFlow(b, 0, b.length, k, s.linkType(j));
      if ((k.status & FLOW_FRAGMENT) && k.fragmentId === id && k.l4Proto === proto
        && k.src[0] === src[0] && k.src[1] === src[1] && k.src[2] === src[2] && k.src[3] === src[3]
        && k.dst[0] === dst[0] && k.dst[1] === dst[1] && k.dst[2] === dst[2] && k.dst[3] === dst[3]) same.push(j);
    }
    return [{ kind: 'fragments of the same datagram', packets: same }];
  }

  charts(viewId: number, buckets: number): ChartsResult {
    const v = this.getView(viewId);
    const ix = this.doc.store.index, t = this.doc.trace;
    const rowAt = (r: number) => (v.order ? v.order[r] : r);
    // Seconds relative to the first packet keep nanosecond precision (absolute epoch seconds would not).
    const base = this.doc.store.count > 0 ? ix.tsSec[0] : 0;
    let t0 = Infinity, t1 = -Infinity;
    for (let r = 0; r < v.total; r++) {
      const i = rowAt(r);
      const x = (ix.tsSec[i] - base) + ix.tsNsec[i] / 1e9;
      if (x < t0) t0 = x;
      if (x > t1) t1 = x;
    }
    const span = v.total > 0 ? Math.max(t1 - t0, 1e-6) : 1;
    const width = span / buckets;
    const verdicts = Array.from({ length: buckets }, () => [0, 0, 0, 0, 0, 0]);
    const throughput = new Array<number>(buckets).fill(0);
    const perQueue: number[] = [];
    for (let r = 0; r < v.total; r++) {
      const i = rowAt(r);
      const x = (ix.tsSec[i] - base) + ix.tsNsec[i] / 1e9;
      const b = Math.min(buckets - 1, Math.floor((x - t0) / width));
      throughput[b] += ix.origLen[i];
      if (t) {
        verdicts[b][t.xdp(i) + 1]++;
        const q = t.queue(i);
        if (q >= 0) { while (perQueue.length <= q) perQueue.push(0); perQueue[q]++; }
      } else verdicts[b][0]++;
    }
    return { perQueue, bucketSeconds: width, verdicts, throughput, indirection: t ? [...t.indirection] : [] };
  }

  /** View row of packet `packet` (0-based), or the first row after it; -1 when there is none. */
  locate(viewId: number, packet: number): number {
    const v = this.getView(viewId);
    if (!v.order) return packet < v.total ? Math.max(0, packet) : -1;
    const o = v.order;
    if (v.key.split('\u0000')[1] === '') { // capture order: binary search
      let lo = 0, hi = o.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (o[mid] < packet) lo = mid + 1; else hi = mid; }
      return lo < o.length ? lo : -1;
    }
    for (let r = 0; r < o.length; r++) if (o[r] === packet) return r;
    return -1;
  }

  copy(i: number, as: 'hex' | 'text'): string {
    const s = this.doc.store;
    const bytes = s.packet(i);
    if (as === 'hex') return hexDump(bytes);
    this.describe(i);
    const t = this.doc.trace;
    const precision = this.open().timePrecision;
    const time = formatTime('relative', s.index.tsSec[i], s.index.tsNsec[i], 0, s.index.tsSec[0], s.index.tsNsec[0], precision);
    const lines = [
      'No.     Time           Source                Destination           Protocol Length Info',
      `${String(i + 1).padStart(7)} ${time.padEnd(14)} ${this.cols.source.padEnd(21)} ${this.cols.destination.padEnd(21)} ${this.cols.protocol.padEnd(8)} ${String(s.index.origLen[i]).padStart(6)} ${this.cols.info}`,
      '',
    ];
    if (t) {
      lines.push(`    Queue: ${formatQueue(t.queue(i))}  Hash: ${formatHash(t.hash(i), t.hashValid(i))}  Path: ${formatPath(t.path(i))}  XDP: ${formatXdp(t.xdp(i))}${t.drop(i) ? `  Drop: ${t.dropReasons[t.drop(i)]}` : ''}`, '');
    }
    const walk = (nodes: DetailNode[], depth: number) => {
      for (const n of nodes) {
        lines.push(`${'    '.repeat(depth)}${n.generated ? `[${n.label}]` : n.label}`);
        if (n.children) walk(n.children, depth + 1);
      }
    };
    walk(this.detail(i).tree, 0);
    return lines.join('\n');
  }

  /** Display filter for the packet's TCP/UDP conversation (both directions), null if it has none. */
  follow(i: number): string | null {
    const b = this.doc.store.packet(i);
    const k = dissectFlow(b, 0, b.length, this.keys, this.doc.store.linkType(i));
    if (!(k.status & FLOW_PORTS) || !(k.status & (FLOW_TCP | FLOW_UDP))) return null;
    const v6 = (k.status & FLOW_IPV6) !== 0;
    const ipf = v6 ? 'ipv6.addr' : 'ip.addr';
    const fmt = v6 ? formatIPv6 : formatIPv4;
    const l4 = k.status & FLOW_TCP ? 'tcp' : 'udp';
    return `${ipf} == ${fmt(b, k.srcAddrOffset)} && ${ipf} == ${fmt(b, k.dstAddrOffset)} && ${l4}.port == ${k.srcPort} && ${l4}.port == ${k.dstPort}`;
  }

  /** The view's packets as pcapng, each with its comments and the device's decisions as comments. */
  exportPcapng(viewId: number): Uint8Array {
    const v = this.getView(viewId);
    const s = this.doc.store, t = this.doc.trace;
    const w = new PcapngWriter();
    const parts: Uint8Array[] = [w.shb('netvsc-lab trace viewer')];
    const ifaceOfLink = new Map<number, number>();
    let total = parts[0].length;
    for (let r = 0; r < v.total; r++) {
      const i = v.order ? v.order[r] : r;
      const lt = s.linkType(i);
      let iface = ifaceOfLink.get(lt);
      if (iface === undefined) {
        iface = ifaceOfLink.size;
        ifaceOfLink.set(lt, iface);
        const idb = w.idb({ linkType: lt, name: 'eth0' });
        parts.push(idb); total += idb.length;
      }
      const comments = [...s.comments(i)];
      // A file that already carries the decisions (a replay's output) keeps its own comment.
      if (t && i < t.count && !comments.some((c) => c.startsWith('wire='))) {
        comments.push(...decisionComments(t.stages(i)));
        const m = t.mergedInto?.(i);
        if (m) comments.push(mergedComment(m));
      }
      const epb = w.epb({ iface, tsSec: s.index.tsSec[i], tsNsec: s.index.tsNsec[i], data: s.packet(i), origLen: s.index.origLen[i], comments });
      parts.push(epb); total += epb.length;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  /** A live trace got longer: cached views are stale, tell the webview the new count. */
  grown(): HostEvent {
    this.views.clear();
    this.rankCache.clear();
    return { type: 'grown', count: this.doc.store.count };
  }
}

/**
 * The decisions as one packet comment, in the device's own format (`stage=decision (detail); …`,
 * trace/packetTrace.ts `comment()`), so an exported file opens again with its device columns.
 */
export function decisionComments(stages: readonly { stage: string; decision: string; reason?: string }[]): string[] {
  if (stages.length === 0) return [];
  return [stages.map((s) => `${s.stage}=${s.decision}${s.reason ? ` (${s.reason})` : ''}`).join('; ')];
}

function viewResult(v: View, elapsedMs: number): ViewResult {
  const r: ViewResult = { viewId: v.id, total: v.total, elapsedMs };
  if (v.error) r.error = v.error;
  return r;
}

function identity(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Text order that puts "10.0.0.9" before "10.0.0.10" (numbers compared as numbers). */
const collator = new Intl.Collator('en', { numeric: true });
function compareText(a: string, b: string): number { return collator.compare(a, b); }

function int(x: unknown, name: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new Error(`${name} must be an integer, got ${JSON.stringify(x)}`);
  return x;
}
function str(x: unknown, name: string): string {
  if (typeof x !== 'string') throw new Error(`${name} must be a string`);
  if (x.length > 4096) throw new Error(`${name} is longer than 4096 characters`);
  return x;
}
function sortSpec(x: unknown): SortSpec | null {
  if (x === null || x === undefined) return null;
  const s = x as SortSpec;
  if (typeof s !== 'object' || !(COLUMN_IDS as readonly string[]).includes(s.column)) throw new Error(`sort: unknown column ${JSON.stringify((s as { column?: unknown })?.column)}`);
  return { column: s.column, descending: s.descending === true };
}
