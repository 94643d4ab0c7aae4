/**
 * `tshark -T fields` lines written as bytes into one growing buffer: numbers, hex, booleans, IPv4
 * and MAC addresses are written digit by digit (no string per value); every other type goes
 * through `fieldText` (dissection.ts), so the text is always what `fieldsText` gives. Flushed as
 * text at line ends once the buffer passes a limit. No Node imports.
 *
 * The layout follows tshark's `-E` options (print.c's output_fields_t in Wireshark 4.0): separator
 * between fields, aggregator between occurrences, first/last/all occurrences, quotes around a
 * non-empty field, a header line of the field names, a UTF-8 BOM.
 *
 * API
 *   interface FieldsFormat; defaultFieldsFormat()   tab, comma, all occurrences, no quotes
 *   setFieldsOption(fmt, option) -> true | string   one `-E name=value`, parsed as tshark parses it;
 *                     on a bad one, the text tshark shows between quotes in its error
 *   FIELDS_OPTIONS_HELP   the option list tshark prints after that error
 *   class FieldsOutput(flush: (text) => void, limit = 64 KiB, flushBytes?: (bytes) => void)
 *     format          the FieldsFormat in use (set it before writing)
 *     preamble(names) the BOM and the header line, as the format asks
 *     field(d, fid)   fid's occurrences in d, as the format selects and quotes them (nothing when absent)
 *     value(fid, v, buf, start)   one occurrence from its value and bytes (no Dissection; not for
 *                     strings, byte strings, times)
 *     tab()           the separator (a tab by default); comma(): the aggregator (a comma by default);
 *                     quote(): the quote character
 *     endLine();  end() flushes what is left
 */
import { formatIPv4Word, formatIPv6 } from './addr';
import { Dissection, fieldText } from './dissection';
import { BASE, FIELDS, FT } from './fields';

const K_DEC = 0, K_HEX = 1, K_BOOL = 2, K_IPV4 = 3, K_ETHER = 4, K_IPV6 = 5, K_PROTO = 6, K_TEXT = 7;
/** How each field's value is written, and the hex width (digits) for K_HEX. */
const KIND = new Uint8Array(FIELDS.length);
const HEX_DIGITS = new Uint8Array(FIELDS.length);
for (const f of FIELDS) {
  switch (f.type) {
    case FT.UINT8: case FT.UINT16: case FT.UINT24: case FT.UINT32:
      if (f.base === BASE.HEX || f.base === BASE.HEX_DEC) {
        KIND[f.id] = K_HEX;
        HEX_DIGITS[f.id] = f.type === FT.UINT8 ? 2 : f.type === FT.UINT16 ? 4 : f.type === FT.UINT24 ? 6 : 8;
      } else KIND[f.id] = K_DEC;
      break;
    case FT.INT16: case FT.INT32: case FT.FRAMENUM: KIND[f.id] = K_DEC; break;
    case FT.BOOLEAN: KIND[f.id] = K_BOOL; break;
    case FT.IPv4: KIND[f.id] = K_IPV4; break;
    case FT.ETHER: KIND[f.id] = K_ETHER; break;
    case FT.IPv6: KIND[f.id] = K_IPV6; break;
    case FT.PROTOCOL: case FT.NONE: KIND[f.id] = K_PROTO; break;
    default: KIND[f.id] = K_TEXT;
  }
}

/** fieldText's hex form for values outside [0, 2^32). */
function hexText(v: number, width: number): string {
  const s = v.toString(16);
  return '0x' + (s.length >= width ? s : '0'.repeat(width - s.length) + s);
}

const HEX = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));
const TAB = 9, NL = 10, COMMA = 44, DOT = 46, COLON = 58, ZERO = 48, X = 120;
/** Decimal digits of 0..255 (3 slots each) and how many there are. */
const OCTET_DIGITS = new Uint8Array(256 * 3);
const OCTET_WIDTH = new Uint8Array(256);
for (let x = 0; x < 256; x++) {
  const s = String(x);
  OCTET_WIDTH[x] = s.length;
  for (let k = 0; k < s.length; k++) OCTET_DIGITS[x * 3 + k] = s.charCodeAt(k);
}
// ignoreBOM: a BOM we write (-E bom=y) or a field starts with stays in the text.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8enc = new TextEncoder();

/** Which occurrences of a field a line shows (`-E occurrence=a|f|l`). */
export const OCCURRENCE_ALL = 0, OCCURRENCE_FIRST = 1, OCCURRENCE_LAST = 2;

/** tshark's `-E` options. Characters are single bytes, as tshark takes them (the first byte given). */
export interface FieldsFormat {
  /** `header=y`: a first line with the field names. */
  header: boolean;
  /** `bom=y`: a UTF-8 byte order mark before everything. */
  bom: boolean;
  /** Between fields (`separator=`). */
  separator: number;
  /** Between occurrences of one field (`aggregator=`). */
  aggregator: number;
  occurrence: number;
  /** Around each non-empty field, 0 for none (`quote=d|s|n`). */
  quote: number;
}

export function defaultFieldsFormat(): FieldsFormat {
  return { header: false, bom: false, separator: TAB, aggregator: COMMA, occurrence: OCCURRENCE_ALL, quote: 0 };
}

const SLASH = 47, EQ = 61, BACKSLASH = 92, SPACE = 32;

/**
 * Applies one `-E` option as tshark 4.0 does (print.c's output_fields_set_option): the name is the
 * first run of non-'=' bytes (C strtok, which skips leading '='), the value starts one byte after
 * the name's length counted from the option's start, and only the value's first byte or two count
 * (`header=yes` is header=y, `separator=ab` is 'a', `separator=/x` is a backslash). Returns true,
 * or the option text tshark quotes in its error (cut at the '=' strtok overwrote).
 */
export function setFieldsOption(fmt: FieldsFormat, option: string): true | string {
  const b = utf8enc.encode(option);
  let s = 0;
  while (s < b.length && b[s] === EQ) s++;
  let e = s;
  while (e < b.length && b[e] !== EQ) e++;
  // What tshark prints: strtok wrote a NUL over the '=' after the name, when there is one.
  const shown = e < b.length ? utf8.decode(b.subarray(0, e)) : option;
  if (s === b.length) return shown;
  const name = utf8.decode(b.subarray(s, e));
  const v = e - s + 1; // option + strlen(name) + 1
  // The value ends at the first NUL: the end of the option or the byte strtok overwrote.
  const vEnd = e < b.length ? (v <= e ? e : b.length) : b.length;
  const at = (k: number) => (v + k < vEnd ? b[v + k] : 0);
  if (at(0) === 0) return shown;
  const c = at(0);
  switch (name) {
    case 'header': case 'bom':
      if (c !== 121 && c !== 110) return shown; // y, n
      fmt[name] = c === 121;
      return true;
    case 'separator': case 'aggregator': {
      let ch = c;
      if (c === SLASH) {
        const d = at(1);
        ch = d === 115 ? SPACE : name === 'separator' && d === 116 ? TAB : BACKSLASH; // /s, /t (separator only)
      }
      fmt[name] = ch;
      return true;
    }
    case 'occurrence':
      if (c === 102) fmt.occurrence = OCCURRENCE_FIRST;
      else if (c === 108) fmt.occurrence = OCCURRENCE_LAST;
      else if (c === 97) fmt.occurrence = OCCURRENCE_ALL;
      else return shown;
      return true;
    case 'quote':
      if (c === 100) fmt.quote = 34;
      else if (c === 115) fmt.quote = 39;
      else if (c === 110) fmt.quote = 0;
      else return shown;
      return true;
  }
  return shown;
}

/** The list tshark 4.0 prints after a bad `-E` (its wording, trailing space included). */
export const FIELDS_OPTIONS_HELP = [
  'bom=y|n    Prepend output with the UTF-8 BOM (def: N: no)',
  'header=y|n    Print field abbreviations as first line of output (def: N: no)',
  'separator=/t|/s|<character>   Set the separator to use;',
  '     "/t" = tab, "/s" = space (def: /t: tab)',
  'occurrence=f|l|a  Select the occurrence of a field to use;',
  '     "f" = first, "l" = last, "a" = all (def: a: all)',
  'aggregator=,|/s|<character>   Set the aggregator to use;',
  '     "," = comma, "/s" = space (def: ,: comma)',
  'quote=d|s|n   Print either d: double-quotes, s: single quotes or ',
  '     n: no quotes around field values (def: n: none)',
  '',
].join('\n');

export class FieldsOutput {
  private buf = new Uint8Array(1 << 17);
  private n = 0;
  /** The -E options in use; tab(), comma() and field() read it on every call. */
  format: FieldsFormat = defaultFieldsFormat();

  /**
   * `flush` gets the text; with `flushBytes`, the UTF-8 bytes go there instead (no string made;
   * the bytes are only valid during the call).
   */
  constructor(private readonly flush: (text: string) => void, private readonly limit = 1 << 16,
    private readonly flushBytes?: (bytes: Uint8Array) => void) {}

  /** Room for `k` more bytes. */
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }

  /** Between two fields: the separator. */
  tab(): void { this.room(1); this.buf[this.n++] = this.format.separator; }
  /** Between two occurrences of a field: the aggregator. */
  comma(): void { this.room(1); this.buf[this.n++] = this.format.aggregator; }

  /** The quote character (only when the format has one). */
  quote(): void { this.room(1); this.buf[this.n++] = this.format.quote; }

  /** What tshark writes before the first packet: the BOM (bom=y), the field names (header=y). */
  preamble(names: readonly string[]): void {
    if (this.format.bom) { this.room(3); this.buf[this.n++] = 0xef; this.buf[this.n++] = 0xbb; this.buf[this.n++] = 0xbf; }
    if (!this.format.header) return;
    for (let k = 0; k < names.length; k++) {
      if (k) this.tab();
      this.text(names[k]);
    }
    this.endLine();
  }

  endLine(): void {
    this.room(1);
    this.buf[this.n++] = NL;
    if (this.n >= this.limit) this.end();
  }

  end(): void {
    if (this.n === 0) return;
    if (this.flushBytes) this.flushBytes(this.buf.subarray(0, this.n));
    else this.flush(utf8.decode(this.buf.subarray(0, this.n)));
    this.n = 0;
  }

  /** fid's occurrences in tree order, as the format selects, aggregates and quotes them. */
  field(d: Dissection, fid: number): void {
    const ids = d.fid, fmt = this.format, q = fmt.quote;
    if (fmt.occurrence === OCCURRENCE_LAST) {
      let i = d.n - 1;
      while (i >= 0 && ids[i] !== fid) i--;
      if (i < 0) return;
      if (q) { this.room(1); this.buf[this.n++] = q; }
      this.occurrence(d, fid, i);
      if (q) { this.room(1); this.buf[this.n++] = q; }
      return;
    }
    let any = false;
    for (let i = 0, n = d.n; i < n; i++) {
      if (ids[i] !== fid) continue;
      this.room(1);
      if (any) this.buf[this.n++] = fmt.aggregator;
      else if (q) this.buf[this.n++] = q;
      any = true;
      this.occurrence(d, fid, i);
      if (fmt.occurrence === OCCURRENCE_FIRST) break;
    }
    if (any && q) { this.room(1); this.buf[this.n++] = q; }
  }

  /** Item i of d (a fid item). */
  private occurrence(d: Dissection, fid: number, i: number): void {
    if (KIND[fid] === K_TEXT) this.text(fieldText(d, i));
    else this.value(fid, d.val[i], d.buf, d.start[i]);
  }

  /**
   * One value of field fid, as fieldText writes it: `v` is the item's value, `buf[start...]` its
   * bytes (read for MAC and IPv6 addresses). Not for strings, byte strings and times (those need
   * their Dissection item: field()).
   */
  value(fid: number, v: number, buf: Uint8Array, start: number): void {
    switch (KIND[fid]) {
      case K_DEC: if (v >= 0 && v <= 0xffffffff && Math.floor(v) === v) { this.dec(v); return; } break;
      case K_HEX: if (v >= 0 && v <= 0xffffffff && Math.floor(v) === v) { this.hex(v, HEX_DIGITS[fid]); return; } break;
      case K_BOOL: this.room(1); this.buf[this.n++] = v ? ZERO + 1 : ZERO; return;
      case K_IPV4: if (v >= 0 && v <= 0xffffffff) { this.ipv4(v); return; } break;
      case K_ETHER: {
        this.room(17);
        for (let k = 0; k < 6; k++) {
          if (k) this.buf[this.n++] = COLON;
          const x = buf[start + k];
          this.buf[this.n++] = HEX[x >> 4]; this.buf[this.n++] = HEX[x & 15];
        }
        return;
      }
      case K_IPV6: this.text(formatIPv6(buf, start)); return;
      case K_PROTO: this.text(FIELDS[fid].abbrev); return;
    }
    // Out-of-range numbers (negative, fractional): as fieldText prints them.
    this.text(KIND[fid] === K_BOOL ? (v ? '1' : '0') : KIND[fid] === K_IPV4 ? formatIPv4Word(v) : KIND[fid] === K_HEX ? hexText(v, HEX_DIGITS[fid]) : String(v));
  }

  /** A dotted quad, the octets' digits from a table (no call per octet). */
  private ipv4(v: number): void {
    this.room(15);
    const b = this.buf;
    let n = this.n;
    for (let shift = 24; shift >= 0; shift -= 8) {
      const x = (v >>> shift) & 255, t = x * 3, w = OCTET_WIDTH[x];
      b[n] = OCTET_DIGITS[t];
      if (w > 1) b[n + 1] = OCTET_DIGITS[t + 1];
      if (w > 2) b[n + 2] = OCTET_DIGITS[t + 2];
      n += w;
      if (shift) b[n++] = DOT;
    }
    this.n = n;
  }

  /** An integer in [0, 2^32) in decimal. */
  private dec(v: number): void {
    this.room(10);
    const b = this.buf;
    if (v < 0x80000000) {
      // int32 arithmetic; most values (ports, lengths) have at most 5 digits
      let x = v | 0;
      const digits = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 : x < 100000 ? 5 : x < 1000000 ? 6
        : x < 10000000 ? 7 : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10;
      let p = this.n + digits;
      this.n = p;
      do { const q = (x / 10) | 0; b[--p] = ZERO + x - q * 10; x = q; } while (x !== 0);
      return;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.n + digits;
    this.n = p;
    do { const q = Math.floor(v / 10); b[--p] = ZERO + (v - q * 10); v = q; } while (v > 0);
  }

  /** "0x" and at least `width` hex digits, like `fieldText`. */
  private hex(v: number, width: number): void {
    this.room(10);
    const b = this.buf;
    let digits = 1;
    for (let t = v; t >= 16; t = Math.floor(t / 16)) digits++;
    if (digits < width) digits = width;
    b[this.n++] = ZERO; b[this.n++] = X;
    let p = this.n + digits;
    this.n = p;
    for (let k = 0; k < digits; k++) { const q = Math.floor(v / 16); b[--p] = HEX[v - q * 16]; v = q; }
  }

  private text(s: string): void {
    let ascii = true;
    for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) > 0x7f) { ascii = false; break; }
    if (ascii) {
      this.room(s.length);
      for (let k = 0; k < s.length; k++) this.buf[this.n++] = s.charCodeAt(k);
      return;
    }
    const bytes = utf8enc.encode(s);
    this.room(bytes.length);
    this.buf.set(bytes, this.n);
    this.n += bytes.length;
  }
}
