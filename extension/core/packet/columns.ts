/**
 * Columnar field cache for display filters: the values of the fields a filter reads, extracted
 * once for every packet into typed arrays (CSR layout: occurrences of packet i are
 * [start[i], start[i+1])). Later filters over the same fields never re-dissect. No Node imports.
 *
 * API
 *   class FieldColumns implements FieldAccessor
 *     constructor(packets, packetBytes: (i) => Uint8Array)
 *     has(fid); missing(fids) -> fids not cached yet
 *     extract(fids, dissect: (i) => Dissection)  one dissection pass filling the missing columns
 *     setAnnotations(a: PacketAnnotations)       netvsc.* / xdp.* values, read per packet
 *     byteLength()                               memory held by the columns
 *   runFilter(filter, columns, count) -> Uint8Array   1 where packet i matches (filter.fields must be cached)
 *   class FilterEngine(session, annotations?)   caches columns across filters: apply(text) -> matches bitmap
 */
import { Dissection, stringOf } from './dissection';
import { FIELDS, FT } from './fields';
import { compileFilter, type ByteRef, type DisplayFilter, type FieldAccessor, type PacketAnnotations } from './filter';
import type { CaptureSession } from './session';
import { needsConversationState } from './dissect';

interface Column {
  start: Uint32Array;
  num: Float64Array;
  /** Byte range within the packet, for byte-like types and slices. */
  off?: Int32Array;
  len?: Int32Array;
  strs?: string[];
}

const NEEDS_RANGE = new Set<FT>([FT.ETHER, FT.IPv6, FT.BYTES, FT.PROTOCOL, FT.NONE]);
const ANNOTATION = new Uint8Array(FIELDS.length);
for (const f of FIELDS) if (/^(netvsc|xdp)(\.|$)/.test(f.abbrev)) ANNOTATION[f.id] = 1;
const isAnnotation = (fid: number): boolean => ANNOTATION[fid] === 1;

export class FieldColumns implements FieldAccessor {
  /** Indexed by field id (an array, not a Map: the filter reads it per packet). */
  private readonly cols: (Column | undefined)[] = new Array(FIELDS.length).fill(undefined);
  private annotations?: PacketAnnotations;
  private lastI = -1;
  private lastBytes: Uint8Array = new Uint8Array(0);

  constructor(readonly packets: number, private readonly packetBytes: (i: number) => Uint8Array) {}

  setAnnotations(a: PacketAnnotations | undefined): void { this.annotations = a; }
  has(fid: number): boolean { return this.cols[fid] !== undefined || isAnnotation(fid); }
  missing(fids: number[]): number[] { return fids.filter((f) => !this.has(f)); }

  /** Dissects every packet once and fills the columns of `fids`. */
  extract(fids: number[], dissect: (i: number) => Dissection): void {
    const want = this.missing(fids);
    if (want.length === 0) return;
    const n = this.packets;
    const slot = new Int32Array(FIELDS.length).fill(-1);
    want.forEach((f, k) => { slot[f] = k; });
    const starts = want.map(() => new Uint32Array(n + 1));
    let cap = want.map(() => Math.max(16, n));
    let nums = want.map((_, k) => new Float64Array(cap[k]));
    const ranged = want.map((f) => NEEDS_RANGE.has(FIELDS[f].type));
    let offs = want.map((_, k) => (ranged[k] ? new Int32Array(cap[k]) : undefined));
    let lens = want.map((_, k) => (ranged[k] ? new Int32Array(cap[k]) : undefined));
    const strs = want.map((f) => (FIELDS[f].type === FT.STRING ? [] as string[] : undefined));
    const used = new Uint32Array(want.length);
    for (let i = 0; i < n; i++) {
      const d = dissect(i);
      for (let k = 0; k < want.length; k++) starts[k][i] = used[k];
      for (let j = 0; j < d.n; j++) {
        const k = slot[d.fid[j]];
        if (k < 0) continue;
        if (used[k] === cap[k]) {
          cap = cap.map((c, x) => (x === k ? c * 2 : c));
          const grow = <T extends Float64Array | Int32Array>(a: T, mk: (m: number) => T): T => { const b = mk(cap[k]); b.set(a); return b; };
          nums = nums.map((a, x) => (x === k ? grow(a, (m) => new Float64Array(m)) : a));
          if (ranged[k]) {
            offs = offs.map((a, x) => (x === k && a ? grow(a, (m) => new Int32Array(m)) : a));
            lens = lens.map((a, x) => (x === k && a ? grow(a, (m) => new Int32Array(m)) : a));
          }
        }
        const u = used[k]++;
        const t = FIELDS[d.fid[j]].type;
        if (t === FT.STRING) { strs[k]!.push(stringOf(d, j)); nums[k][u] = strs[k]!.length - 1; }
        else nums[k][u] = d.val[j];
        if (ranged[k]) { offs[k]![u] = d.start[j]; lens[k]![u] = d.len[j]; }
      }
    }
    want.forEach((f, k) => {
      starts[k][n] = used[k];
      const u = used[k];
      this.cols[f] = ({
        start: starts[k], num: nums[k].slice(0, u),
        off: offs[k]?.slice(0, u), len: lens[k]?.slice(0, u), strs: strs[k],
      });
    });
  }

  count(fid: number, i: number): number {
    const c = this.cols[fid];
    if (c) return c.start[i + 1] - c.start[i];
    if (isAnnotation(fid) && this.annotations) {
      if (FIELDS[fid].type === FT.PROTOCOL) {
        for (const f of FIELDS) if (f.parent === FIELDS[fid].abbrev && f.type !== FT.PROTOCOL && this.annotations.value(f.id, i) !== undefined) return 1;
        return 0;
      }
      return this.annotations.value(fid, i) === undefined ? 0 : 1;
    }
    return 0;
  }

  num(fid: number, i: number, k: number): number {
    const c = this.cols[fid];
    if (c) return c.num[c.start[i] + k];
    const v = this.annotations?.value(fid, i);
    return typeof v === 'number' ? v : NaN;
  }

  bytes(fid: number, i: number, k: number, out: ByteRef): void {
    const c = this.cols[fid]!;
    if (i !== this.lastI) { this.lastBytes = this.packetBytes(i); this.lastI = i; }
    const j = c.start[i] + k;
    out.buf = this.lastBytes; out.off = c.off ? c.off[j] : 0; out.len = c.len ? c.len[j] : 0;
  }

  str(fid: number, i: number, k: number): string {
    const c = this.cols[fid];
    if (c) return c.strs ? c.strs[c.num[c.start[i] + k]] : String(c.num[c.start[i] + k]);
    const v = this.annotations?.value(fid, i);
    return v === undefined ? '' : String(v);
  }

  byteLength(): number {
    let n = 0;
    for (const c of this.cols) if (c) n += c.start.byteLength + c.num.byteLength + (c.off?.byteLength ?? 0) + (c.len?.byteLength ?? 0);
    return n;
  }
}

/** Runs a compiled filter over cached columns: 1 where packet i matches. */
export function runFilter(filter: DisplayFilter, columns: FieldAccessor, count: number, out = new Uint8Array(count)): Uint8Array {
  const m = filter.match;
  for (let i = 0; i < count; i++) out[i] = m(columns, i) ? 1 : 0;
  return out;
}

/** Display filters over one capture session, with the column cache kept between filters. */
export class FilterEngine {
  readonly columns: FieldColumns;
  private readonly scratch = new Dissection();

  constructor(readonly session: CaptureSession, annotations?: PacketAnnotations) {
    this.columns = new FieldColumns(session.count, (i) => session.capture.packet(i));
    this.columns.setAnnotations(annotations);
  }

  compile(text: string): DisplayFilter { return compileFilter(text); }

  apply(filter: DisplayFilter | string): Uint8Array {
    const f = typeof filter === 'string' ? compileFilter(filter) : filter;
    const missing = this.columns.missing(f.fields);
    if (missing.length) {
      // Relative sequence numbers, stream indexes... need the capture-order pass; plain fields do not.
      if (needsConversationState(missing)) this.session.prepare();
      const withComments = missing.some((x) => FIELDS[x].abbrev === 'frame.comment');
      const saved = this.session.withComments;
      this.session.withComments = withComments;
      this.scratch.only(missing);
      this.columns.extract(missing, (i) => this.session.dissect(i, this.scratch));
      this.session.withComments = saved;
    }
    return runFilter(f, this.columns, this.session.count);
  }
}
