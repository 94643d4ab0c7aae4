/**
 * Columnar field cache for display filters: the values of the fields a filter reads, extracted
 * once for every packet into typed arrays (CSR layout: occurrences of packet i are
 * [start[i], start[i+1]); values 4 bytes wide while they fit a Uint32Array, else 8). Later filters
 * over the same fields never re-dissect. A fill of plain fields only (plain.ts) walks the packets
 * where they are (in memory, touching packets ahead so their cache misses overlap) and hands the
 * items straight to the columns. No Node imports.
 *
 * API
 *   class FieldColumns implements FieldAccessor
 *     constructor(packets, packetBytes: (i) => Uint8Array)
 *     has(fid); missing(fids) -> fids not cached yet
 *     extract(fids, dissect: (i) => Dissection, walk?)  one pass filling the missing columns; `walk(i, sink)`
 *                                                  may take a packet first (the plain walker, plain.ts)
 *     setAnnotations(a: PacketAnnotations)       netvsc.* / xdp.* values, read per packet
 *     byteLength()                               memory held by the columns
 *   runFilter(filter, columns, count) -> Uint8Array   1 where packet i matches (filter.fields must be cached)
 *   class FilterEngine(session, annotations?)   caches columns across filters: apply(text) -> matches bitmap
 *       (a fill of plain fields only reads plain packets in place with plain.ts)
 */
import { Dissection, stringOf } from './dissection';
import { FIELDS, FT } from './fields';
import { compileFilter, type ByteRef, type DisplayFilter, type FieldAccessor, type PacketAnnotations } from './filter';
import type { CaptureSession } from './session';
import { needsConversationState } from './dissect';
import { isPlainField, walkPlain, type PlainItemSink } from './plain';
import type { Capture, PacketRef } from './capture';

interface Column {
  start: Uint32Array;
  num: Float64Array | Uint32Array;
  /** Byte range within the packet, for byte-like types and slices. */
  off?: Int32Array;
  len?: Int32Array;
  strs?: string[];
}

const NEEDS_RANGE = new Set<FT>([FT.ETHER, FT.IPv6, FT.BYTES, FT.PROTOCOL, FT.NONE]);
/** Types whose values may be negative or fractional: 8-byte columns from the start. */
const WIDE = new Set<FT>([FT.INT16, FT.INT32, FT.RELATIVE_TIME]);
const ANNOTATION = new Uint8Array(FIELDS.length);
for (const f of FIELDS) if (/^(netvsc|xdp)(\.|$)/.test(f.abbrev)) ANNOTATION[f.id] = 1;
const isAnnotation = (fid: number): boolean => ANNOTATION[fid] === 1;

/** Values of a column: 4 bytes each while every value is an integer in [0, 2^32), else 8. */
type Values = Float64Array | Uint32Array;

/**
 * One column being filled, packet by packet (occurrences appended). Capacity is projected from the
 * first 1/64 of the packets, so a column is rarely copied and its memory is touched about once
 * (first-touch page faults are a good part of a fill over a million packets).
 */
class ColumnBuilder {
  private readonly start: Uint32Array;
  private num: Values;
  private off: Int32Array | undefined;
  private len: Int32Array | undefined;
  private readonly strs: string[] | undefined;
  private used = 0;
  /** The last packet whose start is set: starts are filled when a later packet stores something. */
  private packet = -1;
  private checkAt: number;

  constructor(private readonly n: number, ranged: boolean, str: boolean, wide: boolean) {
    const cap = Math.max(16, n);
    this.start = new Uint32Array(n + 1);
    this.num = wide ? new Float64Array(cap) : new Uint32Array(cap);
    this.off = ranged ? new Int32Array(cap) : undefined;
    this.len = ranged ? new Int32Array(cap) : undefined;
    this.strs = str ? [] : undefined;
    this.checkAt = Math.max(1024, n >> 6);
  }

  /** Packets up to i start here (those before i that stored nothing end here too). */
  private reach(i: number): void {
    for (let q = this.packet + 1; q <= i; q++) this.start[q] = this.used;
    this.packet = i;
    if (i >= this.checkAt) { this.checkAt = Infinity; this.resize(this.projected()); }
  }

  private store(u: number, value: number): void {
    // A value a Uint32Array cannot hold (negative, fractional, NaN, >= 2^32) widens the column.
    if (this.num instanceof Uint32Array && (value >>> 0) !== value) this.num = Float64Array.from(this.num);
    this.num[u] = value;
  }

  /** A numeric or ranged occurrence of packet i (start relative to the packet); packets come in order. */
  pushRaw(i: number, value: number, start: number, len: number): void {
    if (i !== this.packet) this.reach(i);
    if (this.used === this.num.length) this.grow();
    const u = this.used++;
    this.store(u, value);
    if (this.off) { this.off[u] = start; this.len![u] = len; }
  }

  push(i: number, d: Dissection, j: number): void {
    if (i !== this.packet) this.reach(i);
    if (this.used === this.num.length) this.grow();
    const u = this.used++;
    if (this.strs) { this.strs.push(stringOf(d, j)); this.store(u, this.strs.length - 1); }
    else this.store(u, d.val[j]);
    if (this.off) { this.off[u] = d.start[j] - d.origin; this.len![u] = d.len[j]; }
  }

  /** What the packets so far project for the whole capture, +1/8. */
  private projected(): number {
    return Math.ceil((this.used / (this.packet + 1)) * this.n * 1.125) + 16;
  }

  private grow(): void {
    const seen = this.packet + 1;
    this.resize(Math.max(this.projected(), seen < this.n / 8 ? this.num.length * 2 : this.num.length + 1024));
  }

  private resize(m: number): void {
    if (m < this.used) m = this.used;
    const num = this.num instanceof Uint32Array ? new Uint32Array(m) : new Float64Array(m);
    num.set(this.num.subarray(0, this.used)); this.num = num;
    if (this.off) {
      const off = new Int32Array(m); off.set(this.off.subarray(0, this.used)); this.off = off;
      const len = new Int32Array(m); len.set(this.len!.subarray(0, this.used)); this.len = len;
    }
  }

  finish(): Column {
    this.reach(this.n);
    const u = this.used;
    // Copy down to size only when more than 1/8 would be spare.
    const fit = <T extends Values | Int32Array>(a: T): T => (a.length - u > a.length / 8 ? a.slice(0, u) as T : a);
    return { start: this.start, num: fit(this.num), off: this.off && fit(this.off), len: this.len && fit(this.len), strs: this.strs };
  }
}

/** Routes the plain walker's items to the column of their field. */
class ColumnSink implements PlainItemSink {
  /** The packet being walked. */
  packet = 0;
  constructor(private readonly slot: Int32Array, private readonly builders: ColumnBuilder[]) {}
  item(fid: number, start: number, len: number, value: number): void {
    const k = this.slot[fid];
    if (k >= 0) this.builders[k].pushRaw(this.packet, value, start, len);
  }
}

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

  /**
   * Dissects every packet once and fills the columns of `fids`. With `walk`, a packet it takes
   * (returns true) hands its items to the sink directly and is not dissected.
   */
  extract(fids: number[], dissect: (i: number) => Dissection, walk?: (i: number, sink: PlainItemSink) => boolean): void {
    const want = this.missing(fids);
    if (want.length === 0) return;
    const n = this.packets;
    const slot = new Int32Array(FIELDS.length).fill(-1);
    want.forEach((f, k) => { slot[f] = k; });
    const builders = want.map((f) => new ColumnBuilder(n, NEEDS_RANGE.has(FIELDS[f].type), FIELDS[f].type === FT.STRING, WIDE.has(FIELDS[f].type)));
    const sink = new ColumnSink(slot, builders);
    for (let i = 0; i < n; i++) {
      sink.packet = i;
      if (walk && walk(i, sink)) continue; // the walk stores nothing for a packet it declines
      const d = dissect(i);
      const ids = d.fid;
      for (let j = 0, m = d.n; j < m; j++) {
        const k = slot[ids[j]];
        if (k >= 0) builders[k].push(i, d, j);
      }
    }
    want.forEach((f, k) => { this.cols[f] = builders[k].finish(); });
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

/** Touched bytes of packets ahead (stored, so the reads are not optimised away). */
const TOUCHED = new Int32Array(1);
/** How far ahead, in packets, a walk over an in-memory capture touches the packets it will read. */
const AHEAD = 16;

/**
 * The plain walker over a capture's packets, reading them where they are: in the capture's memory
 * (touching packets AHEAD in batches of 8, so their cache misses overlap instead of stalling one
 * packet at a time), in its read window (packetRef), or else through packet(i).
 */
function plainWalk(cap: Capture, mask: Uint8Array): (i: number, sink: PlainItemSink) => boolean {
  const ix = cap.index;
  const mem = cap.source.bytes;
  if (mem) {
    const off = ix.dataOffset, n = ix.count;
    return (i, sink) => {
      if ((i & 7) === 0 && i + AHEAD + 8 <= n) {
        const k = i + AHEAD;
        // Ethernet + IP + TCP headers span bytes 0..54: the lines holding bytes 12 and 52.
        TOUCHED[0] ^= mem[off[k] + 12] ^ mem[off[k + 1] + 12] ^ mem[off[k + 2] + 12] ^ mem[off[k + 3] + 12]
          ^ mem[off[k + 4] + 12] ^ mem[off[k + 5] + 12] ^ mem[off[k + 6] + 12] ^ mem[off[k + 7] + 12]
          ^ mem[off[k] + 52] ^ mem[off[k + 1] + 52] ^ mem[off[k + 2] + 52] ^ mem[off[k + 3] + 52]
          ^ mem[off[k + 4] + 52] ^ mem[off[k + 5] + 52] ^ mem[off[k + 6] + 52] ^ mem[off[k + 7] + 52];
      }
      return walkPlain(mem, off[i], ix.capLen[i], ix.origLen[i], cap.linkType(i), i + 1, mask, sink);
    };
  }
  if (cap.packetRef) {
    const ref: PacketRef = { buf: new Uint8Array(0), off: 0, len: 0 };
    return (i, sink) => {
      cap.packetRef!(i, ref);
      return walkPlain(ref.buf, ref.off, ix.capLen[i], ix.origLen[i], cap.linkType(i), i + 1, mask, sink);
    };
  }
  return (i, sink) => walkPlain(cap.packet(i), 0, ix.capLen[i], ix.origLen[i], cap.linkType(i), i + 1, mask, sink);
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
      const d = this.scratch;
      d.only(missing);
      const cap = this.session.capture;
      if (missing.every(isPlainField)) {
        // Plain packets are walked in place straight into the columns; the rest are dissected.
        this.columns.extract(missing, (i) => this.session.dissect(i, d), plainWalk(cap, d.want!));
      } else this.columns.extract(missing, (i) => this.session.dissect(i, d));
      this.session.withComments = saved;
    }
    return runFilter(f, this.columns, this.session.count);
  }
}
