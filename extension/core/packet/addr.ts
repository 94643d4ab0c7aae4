/**
 * Address text <-> bytes, printed the way tshark prints them.
 *
 * API
 *   parseMac(text) -> Uint8Array(6) | null      accepts aa:bb:cc:dd:ee:ff, aa-bb-..., aabb.ccdd.eeff
 *   formatMac(buf, off) -> "aa:bb:cc:dd:ee:ff"
 *   parseIPv4(text) -> number (u32) | null      dotted quad
 *   formatIPv4(buf, off) / formatIPv4Word(u32)
 *   parseIPv6(text) -> Uint8Array(16) | null    RFC 4291 text forms incl. "::" and an embedded IPv4 tail
 *   formatIPv6(buf, off)                        RFC 5952 (inet_ntop): lowercase, longest zero run as "::"
 *   formatHexBytes(buf, off, len, sep = ':')    "aa:bb:cc" as tshark prints FT_BYTES
 */

const HEX = '0123456789abcdef';

export function parseMac(text: string): Uint8Array | null {
  let hex: string;
  if (/^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(text)) hex = text.replace(/[:-]/g, '');
  else if (/^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/.test(text)) hex = text.replace(/\./g, '');
  else return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function formatMac(buf: Uint8Array, off: number): string {
  return formatHexBytes(buf, off, 6);
}

export function formatHexBytes(buf: Uint8Array, off: number, len: number, sep = ':'): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const b = buf[off + i];
    if (i > 0) s += sep;
    s += HEX[b >> 4] + HEX[b & 15];
  }
  return s;
}

export function parseIPv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return null;
    v = v * 256 + o;
  }
  return v >>> 0;
}

export function formatIPv4(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

export function formatIPv4Word(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

export function parseIPv6(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  let s = text;
  if (s.indexOf('.') >= 0) {
    // An embedded IPv4 tail becomes its two 16-bit groups.
    const lastColon = s.lastIndexOf(':');
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === null || lastColon < 0) return null;
    s = s.slice(0, lastColon + 1) + (v4 >>> 16).toString(16) + ':' + (v4 & 0xffff).toString(16);
  }
  const parts = s.split('::');
  if (parts.length > 2) return null;
  const group = (t: string): number[] | null => {
    if (t === '') return [];
    const out: number[] = [];
    for (const g of t.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = group(parts[0]);
  if (head === null) return null;
  let words: number[];
  if (parts.length === 2) {
    const rest = group(parts[1]);
    if (rest === null) return null;
    const restAll = rest;
    const zeros = 8 - head.length - restAll.length;
    if (zeros < 1) return null;
    words = [...head, ...new Array<number>(zeros).fill(0), ...restAll];
  } else {
    words = head;
    if (words.length !== 8) return null;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) { out[2 * i] = words[i] >> 8; out[2 * i + 1] = words[i] & 255; }
  return out;
}

export function formatIPv6(buf: Uint8Array, off: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((buf[off + 2 * i] << 8) | buf[off + 2 * i + 1]);
  // Longest run of >= 2 zero words (first one on ties) becomes "::".
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms print the dotted tail like inet_ntop.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
    const v4 = `${buf[off + 12]}.${buf[off + 13]}.${buf[off + 14]}.${buf[off + 15]}`;
    if (bestLen === 5) return `::ffff:${v4}`;
    if (w[6] !== 0 || w[7] > 1) return `::${v4}`;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) { s += '::'; i += bestLen - 1; continue; }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += w[i].toString(16);
  }
  return s;
}
