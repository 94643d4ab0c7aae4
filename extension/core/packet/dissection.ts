/**
 * The result of dissecting one packet: a flat, reusable list of field items in tree order
 * (typed arrays; nothing is allocated per packet once the arrays have grown), and the tshark
 * `-T fields` text of any item. No Node imports: runs in the webview.
 *
 * API
 *   class Dissection
 *     n, fid[i], start[i], len[i] (byte offset/length in `buf`, for the hex view), depth[i] (tree
 *     level), flags[i] (ITEM_HIDDEN | ITEM_GENERATED), val[i] (numeric value: integers, booleans,
 *     IPv4 as u32, seconds of times), val2[i] (nanoseconds of times), strs (computed strings; for
 *     STRING items val[i] indexes it), malformed / short markers.
 *     add(fid, start, len, value, depth, flags = 0) -> item index
 *     origin: offset of the packet's byte 0 in `buf` (non-zero only for the plain dissector)
 *     first(fid) -> item index | -1;  values(fid) -> item indexes
 *   fieldText(d, i) -> string    the value as `tshark -T fields` prints it
 *   fieldsText(d, fid) -> string all occurrences comma-joined ("" when absent)
 */
import { formatHexBytes, formatIPv4Word, formatIPv6, formatMac } from './addr';
import { BASE, FIELDS, FT } from './fields';

export const ITEM_HIDDEN = 1;
export const ITEM_GENERATED = 2;
/** STRING items whose text is made only when asked for (no string per packet on the hot path). */
export const ITEM_TEXT_IPV4 = 4;     // val is an IPv4 address word
export const ITEM_TEXT_IPV6 = 8;     // the 16 bytes at start
export const ITEM_TEXT_TCPFLAGS = 16; // val is the 12-bit TCP flags: tshark's "······A·S·" form

const TCP_FLAG_CHARS = 'RRRACEUAPRSF';

/** The text of a STRING item. */
export function stringOf(d: Dissection, i: number): string {
  const fl = d.flags[i];
  if (fl & ITEM_TEXT_IPV4) return formatIPv4Word(d.val[i]);
  if (fl & ITEM_TEXT_IPV6) return formatIPv6(d.buf, d.start[i]);
  if (fl & ITEM_TEXT_TCPFLAGS) {
    let s = '';
    const v = d.val[i];
    for (let k = 0; k < 12; k++) s += v & (1 << (11 - k)) ? TCP_FLAG_CHARS[k] : '\u00b7';
    return s;
  }
  return d.strs[d.val[i]] ?? '';
}

export class Dissection {
  n = 0;
  fid = new Int32Array(256);
  start = new Int32Array(256);
  len = new Int32Array(256);
  depth = new Uint8Array(256);
  flags = new Uint8Array(256);
  val = new Float64Array(256);
  val2 = new Float64Array(256);
  strs: string[] = [];
  buf: Uint8Array = new Uint8Array(0);
  /**
   * Offset of the packet's first byte in `buf` (item starts are offsets in `buf`). 0 for a full
   * dissection; the plain dissector (`plain.ts`) reads packets in place in a capture window.
   */
  origin = 0;
  /** The packet ran out of bytes inside its reported length (Wireshark's Malformed Packet). */
  malformed = false;
  /** The packet was cut by the snaplen before a dissector finished (Wireshark's "Packet size limited"). */
  short = false;
  /**
   * Optional field mask (index = field id): when set, only wanted fields are stored. Dissection
   * still walks every header (conversation state stays right); it just skips storing the rest,
   * which is what makes `-e` extraction and filter column fills cheap.
   */
  want: Uint8Array | null = null;

  /** Stores only `fids` from now on (null: everything). */
  only(fids: number[] | null): void {
    if (fids === null) { this.want = null; return; }
    this.want = new Uint8Array(FIELDS.length);
    for (const f of fids) this.want[f] = 1;
  }

  reset(buf: Uint8Array): void {
    this.n = 0; this.strs.length = 0; this.buf = buf; this.origin = 0; this.malformed = false; this.short = false;
  }

  /** Stores an item and returns its index, or -1 when the field is masked out by `want`. */
  add(fid: number, start: number, len: number, value: number, depth: number, flags = 0): number {
    if (this.want !== null && this.want[fid] === 0) return -1;
    if (this.n === this.fid.length) this.grow();
    const i = this.n++;
    // Ranges never point past the captured bytes (a header cut short highlights what is there).
    if (start + len > this.buf.length) len = Math.max(0, this.buf.length - start);
    this.fid[i] = fid; this.start[i] = start; this.len[i] = len; this.val[i] = value; this.val2[i] = 0;
    this.depth[i] = depth; this.flags[i] = flags;
    return i;
  }

  addString(fid: number, start: number, len: number, s: string, depth: number, flags = 0): number {
    if (this.want !== null && this.want[fid] === 0) return -1;
    this.strs.push(s);
    return this.add(fid, start, len, this.strs.length - 1, depth, flags);
  }

  first(fid: number): number {
    for (let i = 0; i < this.n; i++) if (this.fid[i] === fid) return i;
    return -1;
  }

  /** Doubles the item arrays (callers that store items themselves check `n` against `fid.length`). */
  grow(): void {
    const n = this.fid.length * 2;
    const g = <T extends Int32Array | Uint8Array | Float64Array>(a: T, mk: (n: number) => T): T => { const b = mk(n); b.set(a); return b; };
    this.fid = g(this.fid, (k) => new Int32Array(k)); this.start = g(this.start, (k) => new Int32Array(k));
    this.len = g(this.len, (k) => new Int32Array(k)); this.depth = g(this.depth, (k) => new Uint8Array(k));
    this.flags = g(this.flags, (k) => new Uint8Array(k)); this.val = g(this.val, (k) => new Float64Array(k));
    this.val2 = g(this.val2, (k) => new Float64Array(k));
  }
}

const HEXW = [0, 2, 4, 6, 8];
function hex(v: number, bytes: number): string {
  const s = v.toString(16);
  const w = HEXW[bytes] ?? 8;
  return '0x' + (s.length >= w ? s : '0'.repeat(w - s.length) + s);
}

function nsText(ns: number): string {
  const s = String(Math.round(ns));
  return s.length >= 9 ? s : '0'.repeat(9 - s.length) + s;
}

/** One item's value as `tshark -T fields` prints it. */
export function fieldText(d: Dissection, i: number): string {
  const f = FIELDS[d.fid[i]];
  const v = d.val[i];
  switch (f.type) {
    case FT.UINT8: case FT.UINT16: case FT.UINT24: case FT.UINT32: {
      if (f.base === BASE.HEX || f.base === BASE.HEX_DEC) {
        const bytes = f.type === FT.UINT8 ? 1 : f.type === FT.UINT16 ? 2 : f.type === FT.UINT24 ? 3 : 4;
        return hex(v, bytes);
      }
      return String(v);
    }
    case FT.INT16: case FT.INT32: case FT.FRAMENUM: return String(v);
    case FT.BOOLEAN: return v ? '1' : '0';
    case FT.IPv4: return formatIPv4Word(v);
    case FT.IPv6: return formatIPv6(d.buf, d.start[i]);
    case FT.ETHER: return formatMac(d.buf, d.start[i]);
    case FT.BYTES: return d.len[i] === 0 ? '<none>' : formatHexBytes(d.buf, d.start[i], d.len[i], '');
    case FT.STRING: return stringOf(d, i);
    case FT.RELATIVE_TIME: {
      const neg = v < 0 || d.val2[i] < 0;
      return (neg ? '-' : '') + String(Math.abs(v)) + '.' + nsText(Math.abs(d.val2[i]));
    }
    case FT.PROTOCOL: case FT.NONE: return f.abbrev;
  }
  return '';
}

/** All occurrences of a field, comma-joined, as one `-T fields` column. */
export function fieldsText(d: Dissection, fid: number): string {
  let s = '';
  let any = false;
  for (let i = 0; i < d.n; i++) {
    if (d.fid[i] !== fid) continue;
    s += (any ? ',' : '') + fieldText(d, i);
    any = true;
  }
  return s;
}
