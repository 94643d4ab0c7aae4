/**
 * Display filters: a compiler for the everyday subset of Wireshark's language. No Node imports.
 *
 *   presence            tcp   ip.flags.mf   netvsc.drop_reason
 *   comparison          == != < <= > >=  (eq ne lt le gt ge); `!=` is "all not equal" (Wireshark >= 3.6)
 *   contains / matches  `contains` (bytes or substring), `matches` / `~` (regex, case-insensitive)
 *   membership          tcp.port in {80, 443, 8000..8080}   (commas required, as in Wireshark 4.0)
 *   slices              eth.src[0:3] == 00:15:5d   [i:len] [i-j] [i] [:len] [i:] negative offsets
 *   logic               && || ! and or not, parentheses; `and` binds tighter than `or`
 *   literals            integers (dec, 0x hex, 0 octal, 0b binary), value names (XDP_DROP, vf),
 *                       True/False, IPv4/IPv6 with /prefix, MAC (: - .), byte strings aa:bb:cc,
 *                       "strings" with \\ escapes
 *
 * A relation is true when some occurrence of the field satisfies it (for `!=`: the field exists
 * and no occurrence equals). A missing field makes every relation false.
 *
 * API
 *   compileFilter(text) -> DisplayFilter          throws FilterSyntaxError(message, column)
 *   DisplayFilter.fields: field ids it reads;  .match(acc, i)
 *   DisplayFilter.matchDissection(d, i, annotations?)   test one dissected packet
 *   interface FieldAccessor    how a filter reads values of packet i (count/num/bytes/str)
 *   interface PacketAnnotations { value(fid, i): number | string | undefined }  the emulator's
 *       per-packet fields (netvsc.*, xdp.verdict) supplied by the caller (trace records)
 *   class DissectionAccessor(d, annotations?)  accessor over one Dissection (+ annotations)
 */
import { parseIPv4, parseIPv6, parseMac } from './addr';
import { Dissection, fieldText, stringOf } from './dissection';
import { FIELDS, FT, fieldByAbbrev, typeBytes, type FieldDef } from './fields';

export class FilterSyntaxError extends Error {
  constructor(message: string, readonly column: number) { super(`${message} (column ${column})`); }
}

/** Per-packet values of the emulator's fields, supplied by the caller. */
export interface PacketAnnotations {
  value(fid: number, i: number): number | string | undefined;
}

/** Byte view written by `bytes()` (no allocation per read). */
export interface ByteRef { buf: Uint8Array; off: number; len: number }

export interface FieldAccessor {
  count(fid: number, i: number): number;
  num(fid: number, i: number, k: number): number;
  bytes(fid: number, i: number, k: number, out: ByteRef): void;
  str(fid: number, i: number, k: number): string;
}

type Pred = (acc: FieldAccessor, i: number) => boolean;

export interface DisplayFilter {
  readonly text: string;
  readonly fields: number[];
  match(acc: FieldAccessor, i: number): boolean;
  matchDissection(d: Dissection, i: number, annotations?: PacketAnnotations): boolean;
}

// ---------------------------------------------------------------- lexer

type TokKind = 'word' | 'string' | 'op' | 'eof';
interface Tok { kind: TokKind; text: string; col: number }

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '..', '<', '>', '!', '~', '(', ')', '{', '}', '[', ']', ','];

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    const col = i + 1;
    if (c === '"') {
      let s = ''; i++;
      for (;;) {
        if (i >= src.length) throw new FilterSyntaxError('unterminated string', col);
        const ch = src[i++];
        if (ch === '"') break;
        if (ch === '\\') {
          const e = src[i++];
          if (e === undefined) throw new FilterSyntaxError('unterminated string', col);
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
        } else s += ch;
      }
      out.push({ kind: 'string', text: s, col });
      continue;
    }
    // Words: field names, keywords and literals (addresses, numbers, byte strings). A ".." inside
    // ends the word so that ranges split ("1..5").
    if (/[A-Za-z0-9_:.\-/]/.test(c) && !(c === '.' && src[i + 1] === '.')) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_:.\-/]/.test(src[j])) {
        if (src[j] === '.' && src[j + 1] === '.') break;
        j++;
      }
      out.push({ kind: 'word', text: src.slice(i, j), col });
      i = j;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new FilterSyntaxError(`unexpected character '${c}'`, col);
    out.push({ kind: 'op', text: op, col });
    i += op.length;
  }
  out.push({ kind: 'eof', text: '', col: src.length + 1 });
  return out;
}

// ---------------------------------------------------------------- values

type Value =
  | { t: 'num'; v: number }
  | { t: 'bytes'; v: Uint8Array; prefixBits?: number }
  | { t: 'ipv4'; v: number; mask: number }
  | { t: 'str'; v: string };

interface Slice { start: number; end: number | null; col: number } // end exclusive, null = to the end
interface FieldRef { def: FieldDef; slice?: Slice; col: number }

const NUMERIC = new Set<FT>([FT.UINT8, FT.UINT16, FT.UINT24, FT.UINT32, FT.INT16, FT.INT32, FT.BOOLEAN, FT.FRAMENUM]);

function parseInteger(s: string): number | null {
  let m: RegExpExecArray | null;
  if ((m = /^-?0[xX]([0-9a-fA-F]+)$/.exec(s))) return (s[0] === '-' ? -1 : 1) * parseInt(m[1], 16);
  if ((m = /^-?0[bB]([01]+)$/.exec(s))) return (s[0] === '-' ? -1 : 1) * parseInt(m[1], 2);
  if (/^-?0[0-7]+$/.test(s)) return (s[0] === '-' ? -1 : 1) * parseInt(s.replace('-', ''), 8);
  if (/^-?\d+$/.test(s)) return Number(s);
  return null;
}

function parseBytes(s: string): Uint8Array | null {
  let hex: string | null = null;
  if (/^[0-9a-fA-F]{1,2}([:.-][0-9a-fA-F]{1,2})+$/.test(s)) hex = s.split(/[:.-]/).map((x) => x.padStart(2, '0')).join('');
  else if (/^[0-9a-fA-F]{2}$/.test(s)) hex = s;
  if (hex === null) return null;
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

function literalFor(ref: FieldRef, tok: Tok): Value {
  const s = tok.text;
  const def = ref.def;
  const bad = (what: string): never => { throw new FilterSyntaxError(`"${s}" is not a valid ${what} for ${def.abbrev}`, tok.col); };
  if (ref.slice) {
    const b = tok.kind === 'string' ? new TextEncoder().encode(s) : parseBytes(s) ?? (parseInteger(s) !== null && parseInteger(s)! < 256 ? new Uint8Array([parseInteger(s)!]) : null);
    if (!b) bad('byte string');
    return { t: 'bytes', v: b! };
  }
  if (tok.kind === 'string') {
    if (def.type === FT.STRING || def.type === FT.BYTES || def.type === FT.PROTOCOL) return { t: 'str', v: s };
    if (def.valueStrings) {
      const hit = Object.entries(def.valueStrings).find(([, name]) => name.toLowerCase() === s.toLowerCase());
      if (hit) return { t: 'num', v: Number(hit[0]) };
    }
    return bad('value');
  }
  if (NUMERIC.has(def.type)) {
    if (def.type === FT.BOOLEAN) {
      if (/^true$/i.test(s)) return { t: 'num', v: 1 };
      if (/^false$/i.test(s)) return { t: 'num', v: 0 };
    }
    const n = parseInteger(s);
    if (n !== null) return { t: 'num', v: n };
    if (def.valueStrings) {
      const hit = Object.entries(def.valueStrings).find(([, name]) => name.toLowerCase() === s.toLowerCase());
      if (hit) return { t: 'num', v: Number(hit[0]) };
    }
    return bad('integer');
  }
  switch (def.type) {
    case FT.IPv4: {
      const [addr, pfx] = s.split('/');
      const a = parseIPv4(addr);
      if (a === null) return bad('IPv4 address');
      let bits = 32;
      if (pfx !== undefined) { bits = Number(pfx); if (!/^\d+$/.test(pfx) || bits > 32) bad('IPv4 prefix'); }
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return { t: 'ipv4', v: (a & mask) >>> 0, mask };
    }
    case FT.IPv6: {
      const [addr, pfx] = s.split('/');
      const a = parseIPv6(addr);
      if (!a) return bad('IPv6 address');
      let bits = 128;
      if (pfx !== undefined) { bits = Number(pfx); if (!/^\d+$/.test(pfx) || bits > 128) bad('IPv6 prefix'); }
      return { t: 'bytes', v: a, prefixBits: bits };
    }
    case FT.ETHER: {
      const m = parseMac(s) ?? parseBytes(s);
      if (!m) return bad('MAC address');
      return { t: 'bytes', v: m! };
    }
    case FT.BYTES: case FT.PROTOCOL: {
      const b = parseBytes(s);
      if (!b) return bad('byte string');
      return { t: 'bytes', v: b! };
    }
    case FT.STRING: return { t: 'str', v: s };
    default: return bad('value');
  }
}

// ---------------------------------------------------------------- parser

class Parser {
  private p = 0;
  readonly fields = new Set<number>();
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok { return this.toks[this.p]; }
  private next(): Tok { return this.toks[this.p++]; }
  private isWord(...w: string[]): boolean { const t = this.peek(); return t.kind === 'word' && w.includes(t.text); }
  private isOp(...o: string[]): boolean { const t = this.peek(); return t.kind === 'op' && o.includes(t.text); }

  parse(): Pred {
    if (this.peek().kind === 'eof') throw new FilterSyntaxError('empty filter', 1);
    const e = this.or();
    const t = this.peek();
    if (t.kind !== 'eof') throw new FilterSyntaxError(`unexpected "${t.text}"`, t.col);
    return e;
  }

  private or(): Pred {
    let l = this.and();
    while (this.isOp('||') || this.isWord('or')) {
      this.next();
      const a = l, b = this.and();
      l = (acc, i) => a(acc, i) || b(acc, i);
    }
    return l;
  }

  private and(): Pred {
    let l = this.not();
    while (this.isOp('&&') || this.isWord('and')) {
      this.next();
      const a = l, b = this.not();
      l = (acc, i) => a(acc, i) && b(acc, i);
    }
    return l;
  }

  private not(): Pred {
    if (this.isOp('!') || this.isWord('not')) {
      this.next();
      const e = this.not();
      return (acc, i) => !e(acc, i);
    }
    return this.primary();
  }

  private primary(): Pred {
    const t = this.peek();
    if (t.kind === 'op' && t.text === '(') {
      this.next();
      const e = this.or();
      const c = this.next();
      if (c.kind !== 'op' || c.text !== ')') throw new FilterSyntaxError(`expected ")" to close the "(" at column ${t.col}`, c.col);
      return e;
    }
    if (t.kind !== 'word') throw new FilterSyntaxError(t.kind === 'eof' ? 'filter ends where a field name was expected' : `expected a field name, found "${t.text}"`, t.col);
    const ref = this.fieldRef();
    const op = this.peek();
    const rel = op.kind === 'op' ? ({ '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', '~': 'matches' } as Record<string, string>)[op.text]
      : op.kind === 'word' && ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'contains', 'matches', 'in'].includes(op.text) ? op.text : undefined;
    if (!rel) return existsPred(ref);
    this.next();
    if (rel === 'in') return this.membership(ref);
    const v = this.next();
    if (v.kind !== 'word' && v.kind !== 'string') throw new FilterSyntaxError(`expected a value after "${op.text}"`, v.col);
    if (rel === 'matches') {
      if (v.kind !== 'string') throw new FilterSyntaxError('"matches" needs a quoted regular expression', v.col);
      let re: RegExp;
      try { re = new RegExp(v.text, 'i'); } catch (e) { throw new FilterSyntaxError(`bad regular expression: ${(e as Error).message}`, v.col); }
      return matchesPred(ref, re);
    }
    // A field on the right-hand side compares field to field.
    const rf = v.kind === 'word' ? fieldByAbbrev(v.text) : undefined;
    if (rf && rel !== 'contains') {
      this.fields.add(rf.id);
      return fieldFieldPred(ref, { def: rf, col: v.col }, rel);
    }
    const lit = rel === 'contains' && v.kind === 'string' ? { t: 'str' as const, v: v.text } : literalFor(ref, v);
    if (rel === 'contains') return containsPred(ref, lit, v.col);
    if ((lit.t === 'str' || lit.t === 'bytes' && lit.prefixBits !== undefined) && rel !== 'eq' && rel !== 'ne' && ref.def.type !== FT.IPv6) {
      throw new FilterSyntaxError(`"${op.text}" cannot order ${ref.def.abbrev} values`, op.col);
    }
    return relationPred(ref, rel, lit);
  }

  private fieldRef(): FieldRef {
    const t = this.next();
    const def = fieldByAbbrev(t.text);
    if (!def) throw new FilterSyntaxError(`"${t.text}" is neither a field nor a protocol name`, t.col);
    this.fields.add(def.id);
    const ref: FieldRef = { def, col: t.col };
    if (this.isOp('[')) ref.slice = this.slice();
    return ref;
  }

  private slice(): Slice {
    const open = this.next();
    const body: Tok[] = [];
    while (!this.isOp(']')) {
      const t = this.next();
      if (t.kind === 'eof') throw new FilterSyntaxError('unterminated slice: expected "]"', open.col);
      body.push(t);
    }
    this.next();
    const text = body.map((t) => t.text).join('');
    let m: RegExpExecArray | null;
    const n = (s: string) => Number(s);
    if ((m = /^(-?\d+):(\d+)$/.exec(text))) return { start: n(m[1]), end: n(m[1]) + n(m[2]) === 0 && n(m[1]) < 0 ? null : n(m[1]) + n(m[2]), col: open.col };
    if ((m = /^(-?\d+)-(-?\d+)$/.exec(text))) return { start: n(m[1]), end: n(m[2]) + 1, col: open.col };
    if ((m = /^:(\d+)$/.exec(text))) return { start: 0, end: n(m[1]), col: open.col };
    if ((m = /^(-?\d+):$/.exec(text))) return { start: n(m[1]), end: null, col: open.col };
    if ((m = /^(-?\d+)$/.exec(text))) return { start: n(m[1]), end: n(m[1]) + 1 === 0 ? null : n(m[1]) + 1, col: open.col };
    throw new FilterSyntaxError(`bad slice "[${text}]"`, open.col);
  }

  private membership(ref: FieldRef): Pred {
    const open = this.next();
    if (open.kind !== 'op' || open.text !== '{') throw new FilterSyntaxError('expected "{" after "in"', open.col);
    const items: { lo: Value; hi?: Value }[] = [];
    // Wireshark 4.0: elements are separated by commas ({80, 443, 8000..8080}).
    for (;;) {
      if (this.isOp('}') && items.length === 0) { this.next(); break; }
      const v = this.next();
      if (v.kind === 'eof') throw new FilterSyntaxError('unterminated set: expected "}"', open.col);
      if (v.kind === 'op') throw new FilterSyntaxError(`unexpected "${v.text}" in set`, v.col);
      const lo = literalFor(ref, v);
      if (this.isOp('..')) {
        this.next();
        const h = this.next();
        if (h.kind !== 'word' && h.kind !== 'string') throw new FilterSyntaxError('expected the end of the range after ".."', h.col);
        items.push({ lo, hi: literalFor(ref, h) });
      } else items.push({ lo });
      const sep = this.next();
      if (sep.kind === 'op' && sep.text === '}') break;
      if (sep.kind === 'op' && sep.text === ',') continue;
      if (sep.kind === 'eof') throw new FilterSyntaxError('unterminated set: expected "}"', open.col);
      throw new FilterSyntaxError(`"${sep.text}" was unexpected in this set: separate elements with ","`, sep.col);
    }
    if (items.length === 0) throw new FilterSyntaxError('empty set', open.col);
    if (!ref.slice && items.every((it) => it.lo.t === 'num' && (!it.hi || it.hi.t === 'num'))) {
      // Numbers and numeric ranges: one pass over the occurrences against [lo, hi] pairs.
      const id = ref.def.id;
      const lo = Float64Array.from(items, (it) => it.lo.v as number);
      const hi = Float64Array.from(items, (it) => (it.hi ?? it.lo).v as number);
      const m = items.length;
      return (acc, i) => {
        const n = acc.count(id, i);
        for (let k = 0; k < n; k++) {
          const v = acc.num(id, i, k);
          for (let j = 0; j < m; j++) if (v >= lo[j] && v <= hi[j]) return true;
        }
        return false;
      };
    }
    const preds = items.map((it) => it.hi ? rangePred(ref, it.lo, it.hi) : relationPred(ref, 'eq', it.lo));
    return (acc, i) => { for (const p of preds) if (p(acc, i)) return true; return false; };
  }
}

// ---------------------------------------------------------------- predicates

const REF: ByteRef = { buf: new Uint8Array(0), off: 0, len: 0 };
const REF2: ByteRef = { buf: new Uint8Array(0), off: 0, len: 0 };
const NUMBYTES = new Uint8Array(8);

/** The bytes of occurrence k, sliced if the reference has a slice. Returns false when the slice is out of range. */
function refBytes(acc: FieldAccessor, ref: FieldRef, i: number, k: number, out: ByteRef): boolean {
  const def = ref.def;
  if (NUMERIC.has(def.type) || def.type === FT.IPv4) {
    const w = typeBytes(def.type) || 4;
    let v = acc.num(def.id, i, k);
    for (let j = w - 1; j >= 0; j--) { NUMBYTES[j] = v & 255; v = Math.floor(v / 256); }
    out.buf = NUMBYTES; out.off = 0; out.len = w;
  } else if (def.type === FT.STRING) {
    const s = new TextEncoder().encode(acc.str(def.id, i, k));
    out.buf = s; out.off = 0; out.len = s.length;
  } else acc.bytes(def.id, i, k, out);
  const sl = ref.slice;
  if (!sl) return true;
  const len = out.len;
  const s = sl.start < 0 ? len + sl.start : sl.start;
  const e = sl.end === null ? len : sl.end < 0 ? len + sl.end : sl.end;
  if (s < 0 || e > len || s > e) return false;
  out.off += s; out.len = e - s;
  return true;
}

function cmpBytes(a: ByteRef, b: Uint8Array): number {
  const n = Math.min(a.len, b.length);
  for (let j = 0; j < n; j++) { const d = a.buf[a.off + j] - b[j]; if (d) return d; }
  return a.len - b.length;
}

function prefixEqual(a: ByteRef, b: Uint8Array, bits: number): boolean {
  if (a.len !== b.length) return false;
  const full = bits >> 3;
  for (let j = 0; j < full; j++) if (a.buf[a.off + j] !== b[j]) return false;
  const rem = bits & 7;
  if (rem) { const m = (0xff << (8 - rem)) & 0xff; if ((a.buf[a.off + full] & m) !== (b[full] & m)) return false; }
  return true;
}

function existsPred(ref: FieldRef): Pred {
  const id = ref.def.id;
  if (!ref.slice) return (acc, i) => acc.count(id, i) > 0;
  return (acc, i) => { const n = acc.count(id, i); for (let k = 0; k < n; k++) if (refBytes(acc, ref, i, k, REF)) return true; return false; };
}

function test(rel: string, c: number): boolean {
  switch (rel) {
    case 'eq': return c === 0;
    case 'ne': return c !== 0;
    case 'lt': return c < 0;
    case 'le': return c <= 0;
    case 'gt': return c > 0;
    default: return c >= 0;
  }
}

/** Compares occurrence k to a literal: <0, 0, >0, or NaN when incomparable. */
function occurrenceCmp(acc: FieldAccessor, ref: FieldRef, i: number, k: number, lit: Value): number {
  const def = ref.def;
  if (ref.slice || lit.t === 'bytes') {
    if (lit.t !== 'bytes') return NaN;
    if (!refBytes(acc, ref, i, k, REF)) return NaN;
    if (lit.prefixBits !== undefined && lit.prefixBits < 128) return prefixEqual(REF, lit.v, lit.prefixBits) ? 0 : cmpBytes(REF, lit.v) || 1;
    return cmpBytes(REF, lit.v);
  }
  if (lit.t === 'num') { const v = acc.num(def.id, i, k); return v === lit.v ? 0 : v < lit.v ? -1 : 1; }
  if (lit.t === 'ipv4') {
    const v = acc.num(def.id, i, k);
    if (lit.mask !== 0xffffffff) return ((v & lit.mask) >>> 0) === lit.v ? 0 : v < lit.v ? -1 : 1;
    return v === lit.v ? 0 : v < lit.v ? -1 : 1;
  }
  const s = def.type === FT.STRING ? acc.str(def.id, i, k) : '';
  return s === lit.v ? 0 : s < lit.v ? -1 : 1;
}

function relationPred(ref: FieldRef, rel: string, lit: Value): Pred {
  const id = ref.def.id;
  // Fast path: whole numeric field against a number.
  if (!ref.slice && lit.t === 'num') {
    const v = lit.v;
    const cmp = rel === 'eq' ? (x: number) => x === v : rel === 'ne' ? (x: number) => x === v
      : rel === 'lt' ? (x: number) => x < v : rel === 'le' ? (x: number) => x <= v : rel === 'gt' ? (x: number) => x > v : (x: number) => x >= v;
    if (rel === 'ne') return (acc, i) => { const n = acc.count(id, i); if (n === 0) return false; for (let k = 0; k < n; k++) if (cmp(acc.num(id, i, k))) return false; return true; };
    return (acc, i) => { const n = acc.count(id, i); for (let k = 0; k < n; k++) if (cmp(acc.num(id, i, k))) return true; return false; };
  }
  // Fast path: IPv4 field against an address or prefix.
  if (!ref.slice && lit.t === 'ipv4' && (rel === 'eq' || rel === 'ne')) {
    const want = lit.v, mask = lit.mask;
    const any = (acc: FieldAccessor, i: number, n: number) => { for (let k = 0; k < n; k++) if (((acc.num(id, i, k) & mask) >>> 0) === want) return true; return false; };
    if (rel === 'eq') return (acc, i) => any(acc, i, acc.count(id, i));
    return (acc, i) => { const n = acc.count(id, i); return n > 0 && !any(acc, i, n); };
  }
  if (rel === 'ne') {
    return (acc, i) => {
      const n = acc.count(id, i);
      if (n === 0) return false;
      for (let k = 0; k < n; k++) if (occurrenceCmp(acc, ref, i, k, lit) === 0) return false;
      return true;
    };
  }
  return (acc, i) => {
    const n = acc.count(id, i);
    for (let k = 0; k < n; k++) { const c = occurrenceCmp(acc, ref, i, k, lit); if (!Number.isNaN(c) && test(rel, c)) return true; }
    return false;
  };
}

function rangePred(ref: FieldRef, lo: Value, hi: Value): Pred {
  const id = ref.def.id;
  return (acc, i) => {
    const n = acc.count(id, i);
    for (let k = 0; k < n; k++) {
      const a = occurrenceCmp(acc, ref, i, k, lo), b = occurrenceCmp(acc, ref, i, k, hi);
      if (a >= 0 && b <= 0) return true;
    }
    return false;
  };
}

function fieldFieldPred(l: FieldRef, r: FieldRef, rel: string): Pred {
  return (acc, i) => {
    const n = acc.count(l.def.id, i), m = acc.count(r.def.id, i);
    let any = false;
    for (let a = 0; a < n; a++) for (let b = 0; b < m; b++) {
      let c: number;
      if (NUMERIC.has(l.def.type) || l.def.type === FT.IPv4) { const x = acc.num(l.def.id, i, a), y = acc.num(r.def.id, i, b); c = x === y ? 0 : x < y ? -1 : 1; }
      else if (l.def.type === FT.STRING) { const x = acc.str(l.def.id, i, a), y = acc.str(r.def.id, i, b); c = x === y ? 0 : x < y ? -1 : 1; }
      else {
        acc.bytes(l.def.id, i, a, REF); acc.bytes(r.def.id, i, b, REF2);
        c = cmpBytes(REF, REF2.buf.subarray(REF2.off, REF2.off + REF2.len));
      }
      if (rel === 'ne') { if (c === 0) return false; any = true; continue; }
      if (test(rel, c)) return true;
    }
    return rel === 'ne' ? any : false;
  };
}

function containsPred(ref: FieldRef, lit: Value, col: number): Pred {
  const id = ref.def.id;
  if (ref.def.type === FT.STRING && !ref.slice) {
    if (lit.t !== 'str') throw new FilterSyntaxError(`${ref.def.abbrev} contains needs a quoted string`, col);
    const needle = lit.v;
    return (acc, i) => { const n = acc.count(id, i); for (let k = 0; k < n; k++) if (acc.str(id, i, k).includes(needle)) return true; return false; };
  }
  const needle = lit.t === 'str' ? new TextEncoder().encode(lit.v) : lit.t === 'bytes' ? lit.v : null;
  if (!needle) throw new FilterSyntaxError(`"contains" needs a byte string or a quoted string for ${ref.def.abbrev}`, col);
  return (acc, i) => {
    const n = acc.count(id, i);
    for (let k = 0; k < n; k++) {
      if (!refBytes(acc, ref, i, k, REF)) continue;
      outer: for (let s = 0; s + needle.length <= REF.len; s++) {
        for (let j = 0; j < needle.length; j++) if (REF.buf[REF.off + s + j] !== needle[j]) continue outer;
        return true;
      }
    }
    return false;
  };
}

function matchesPred(ref: FieldRef, re: RegExp): Pred {
  const id = ref.def.id;
  return (acc, i) => {
    const n = acc.count(id, i);
    for (let k = 0; k < n; k++) {
      let s: string;
      if (ref.def.type === FT.STRING && !ref.slice) s = acc.str(id, i, k);
      else { if (!refBytes(acc, ref, i, k, REF)) continue; s = ''; for (let j = 0; j < REF.len; j++) s += String.fromCharCode(REF.buf[REF.off + j]); }
      if (re.test(s)) return true;
    }
    return false;
  };
}

// ---------------------------------------------------------------- accessors

/** Reads the fields of one Dissection (plus caller-supplied annotations for packet i). */
export class DissectionAccessor implements FieldAccessor {
  private readonly occ: number[][] = [];
  private seen = -1;
  d: Dissection;
  constructor(d: Dissection, public annotations?: PacketAnnotations) { this.d = d; }

  /** Call when `d` holds a new packet. */
  reset(d: Dissection): void { this.d = d; this.seen = -1; this.occ.length = 0; }

  private list(fid: number): number[] {
    if (this.seen !== this.d.n) { this.occ.length = 0; this.seen = this.d.n; }
    let l = this.occ[fid];
    if (!l) {
      l = [];
      const d = this.d;
      for (let j = 0; j < d.n; j++) if (d.fid[j] === fid) l.push(j);
      this.occ[fid] = l;
    }
    return l;
  }

  count(fid: number, i: number): number {
    if (IS_NETVSC[fid]) {
      if (FIELDS[fid].type === FT.PROTOCOL) return this.annotations && NETVSC_IDS.some((x) => FIELDS[x].parent === FIELDS[fid].abbrev && this.annotations!.value(x, i) !== undefined) ? 1 : 0;
      return this.annotations?.value(fid, i) !== undefined ? 1 : 0;
    }
    return this.list(fid).length;
  }
  num(fid: number, i: number, k: number): number {
    if (IS_NETVSC[fid]) { const v = this.annotations?.value(fid, i); return typeof v === 'number' ? v : NaN; }
    return this.d.val[this.list(fid)[k]];
  }
  bytes(fid: number, _i: number, k: number, out: ByteRef): void {
    const j = this.list(fid)[k];
    out.buf = this.d.buf; out.off = this.d.start[j]; out.len = this.d.len[j];
  }
  str(fid: number, i: number, k: number): string {
    if (IS_NETVSC[fid]) { const v = this.annotations?.value(fid, i); return v === undefined ? '' : String(v); }
    const j = this.list(fid)[k];
    return FIELDS[fid].type === FT.STRING ? stringOf(this.d, j) : fieldText(this.d, j);
  }
}

const IS_NETVSC = new Uint8Array(FIELDS.length);
for (const f of FIELDS) if (/^(netvsc|xdp)(\.|$)/.test(f.abbrev)) IS_NETVSC[f.id] = 1;
const NETVSC_IDS = FIELDS.filter((f) => (f.abbrev.startsWith('netvsc.') || f.abbrev.startsWith('xdp.')) && f.type !== FT.PROTOCOL).map((f) => f.id);

export function compileFilter(text: string): DisplayFilter {
  const parser = new Parser(lex(text));
  const pred = parser.parse();
  const fields = [...parser.fields];
  const dacc = new DissectionAccessor(new Dissection());
  return {
    text,
    fields,
    match: pred,
    matchDissection(d, i, annotations) {
      dacc.reset(d);
      dacc.annotations = annotations;
      return pred(dacc, i);
    },
  };
}

/** Suggests field names for completion (prefix match), for the viewer's filter bar. */
export function completeField(prefix: string, limit = 50): string[] {
  const out: string[] = [];
  for (const f of FIELDS) if (f.abbrev.startsWith(prefix)) { out.push(f.abbrev); if (out.length >= limit) break; }
  return out;
}

