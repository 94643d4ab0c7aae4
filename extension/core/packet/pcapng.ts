/**
 * pcapng (draft-ietf-opsawg-pcapng): reading SHB (either byte order, several sections), IDB
 * (link type, snaplen, if_name, if_description, if_tsresol, if_tsoffset), EPB, SPB, the obsolete
 * Packet Block, NRB (IPv4/IPv6 names), ISB and Custom blocks (skipped), unknown blocks (skipped);
 * per-packet options read on demand (opt_comment, custom options); and writing.
 *
 * API
 *   scanPcapng(reader, sink, res?) -> res      as scanPcap (pcap.ts)
 *   readPacketOptions(src, index, i, little) -> { comments, custom }   options of packet i
 *   readPacketOptionsAt(src, dataOffset, capLen, kind, little)         the same by record position
 *   splitTimestamp(hi, lo, iface) -> sets TS_OUT[0] = seconds, TS_OUT[1] = nanoseconds (exact for
 *       resolutions up to 2^32 units/s, no BigInt)
 *   class PcapngWriter: shb(userAppl?), idb({ linkType, snaplen?, name?, description?, tsresolNs? }),
 *       epb({ iface, tsSec, tsNsec, data, origLen?, comments?, flags? }) -> Uint8Array each
 *   Block type constants BT_*; option codes OPT_*.
 */
import {
  BLOCK_EPB, BLOCK_PB, BLOCK_SPB, CaptureFormatError, rd16, rd32, type ByteSource, type CaptureInterface, type ChunkedReader,
  type PacketIndex, type PacketSink, type ScanResult,
} from './capture';
import { formatIPv4, formatIPv6 } from './addr';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 1;
export const BT_PB = 2;
export const BT_SPB = 3;
export const BT_NRB = 4;
export const BT_ISB = 5;
export const BT_EPB = 6;
export const BT_CUSTOM = 0xbad;
export const BT_CUSTOM_NOCOPY = 0x40000bad;
const BOM = 0x1a2b3c4d;

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const OPT_CUSTOM = [2988, 2989, 19372, 19373];
export const OPT_SHB_USERAPPL = 4;
export const OPT_IF_NAME = 2;
export const OPT_IF_DESCRIPTION = 3;
export const OPT_IF_TSRESOL = 9;
export const OPT_IF_TSOFFSET = 14;
export const OPT_EPB_FLAGS = 2;

/** Largest block we accept, as Wireshark's MAX_BLOCK_SIZE (16 MiB + headers). */
export const MAX_BLOCK_SIZE = 16 * 1024 * 1024 + 4096;

const utf8 = new TextDecoder('utf-8');

interface TsSplit { k: number; r: number; k2: number; r2: number; ups: number }
const tsSplitCache = new Map<number, TsSplit>();
let lastSplit: TsSplit = { k: 0, r: 0, k2: 0, r2: 0, ups: 0 };
function tsSplitFor(ups: number): TsSplit {
  if (lastSplit.ups === ups) return lastSplit;
  let s = tsSplitCache.get(ups);
  if (!s) {
    const two32 = 4294967296;
    const k = Math.floor(two32 / ups), r = two32 - k * ups;
    const k2 = Math.floor((r * 65536) / ups), r2 = r * 65536 - k2 * ups;
    s = { k, r, k2, r2, ups };
    tsSplitCache.set(ups, s);
  }
  lastSplit = s;
  return s;
}

/** Output of splitTimestamp: [seconds, nanoseconds]. */
export const TS_OUT = new Float64Array(2);

/** (hi*2^32 + lo) units of 1/ups second -> seconds and nanoseconds, exactly. */
export function splitTimestamp(hi: number, lo: number, ups: number): void {
  if (ups > 4294967296) {
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    const u = BigInt(ups);
    TS_OUT[0] = Number(units / u);
    TS_OUT[1] = Math.round(Number(units % u) * 1e9 / ups);
    return;
  }
  const s = tsSplitFor(ups);
  // hi*2^32 = hi*k*ups + hi*r ; hi*r = hh*(k2*ups + r2) + hl*r  (hi = hh*65536 + hl)
  const hh = Math.floor(hi / 65536), hl = hi & 0xffff;
  const x = hh * s.r2 + hl * s.r + lo;
  const q = Math.floor(x / ups);
  TS_OUT[0] = hi * s.k + hh * s.k2 + q;
  const rem = x - q * ups;
  TS_OUT[1] = ups === 1e9 ? rem : ups === 1e6 ? rem * 1000 : Math.round(rem * 1e9 / ups);
}

interface Option { code: number; start: number; len: number }

/** Walks the options in `b[start, end)`; stops at opt_endofopt or a malformed option. */
function* options(b: Uint8Array, start: number, end: number, little: boolean): Generator<Option> {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  let o = start;
  while (o + 4 <= end) {
    const code = dv.getUint16(o, little);
    const len = dv.getUint16(o + 2, little);
    if (code === OPT_ENDOFOPT) return;
    if (o + 4 + len > end) return;
    yield { code, start: o + 4, len };
    o += 4 + ((len + 3) & ~3);
  }
}

function tsresolToUnits(v: number): number {
  return v & 0x80 ? Math.pow(2, v & 0x7f) : Math.pow(10, v & 0x7f);
}

/** State of a pcapng scan between blocks. */
interface PcapngScan {
  readonly reader: ChunkedReader; readonly index: PacketSink; readonly res: ScanResult; readonly size: number;
  off: number; little: boolean; section: number;
  /** Global index of this section's first interface. */
  sectionBase: number;
  /** Per global interface: timestamp units per second. */
  readonly tsCache: number[];
}

export function scanPcapng(reader: ChunkedReader, index: PacketSink,
  res: ScanResult = { format: 'pcapng', interfaces: [], warnings: [], sectionLittleEndian: [], names: new Map() }): ScanResult {
  res.format = 'pcapng';
  const size = reader.src.size;
  const st: PcapngScan = { reader, index, res, size, off: 0, little: true, section: -1, sectionBase: 0, tsCache: [] };
  const tsCache = st.tsCache;
  // A DataView over the current window: one builtin call per field read, also before the JIT.
  let dvOf: Uint8Array | null = null;
  let dv: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  while (st.off < size) {
    const off = st.off;
    const hp = reader.at(off, 12);
    // Fast path, kept small: a well-formed enhanced packet block lying wholly in the window (the
    // checks are those of generalBlock, which handles everything else and says what is wrong).
    if (hp >= 0 && st.section >= 0) {
      const c = reader.chunk, little = st.little;
      if (c !== dvOf) { dv = new DataView(c.buffer, c.byteOffset, c.byteLength); dvOf = c; }
      const len = dv.getUint32(hp + 4, little);
      if (dv.getUint32(hp, little) === BT_EPB && len >= 32 && (len & 3) === 0 && len <= MAX_BLOCK_SIZE && off + len <= size
        && hp + len <= c.length && dv.getUint32(hp + len - 4, little) === len) {
        const ifIndex = st.sectionBase + dv.getUint32(hp + 8, little);
        const caplen = dv.getUint32(hp + 20, little);
        if (ifIndex < res.interfaces.length && caplen <= len - 32) {
          splitTimestamp(dv.getUint32(hp + 12, little), dv.getUint32(hp + 16, little), tsCache[ifIndex]);
          st.off = off + len;
          index.push(off + 28, caplen, dv.getUint32(hp + 24, little), TS_OUT[0] + res.interfaces[ifIndex].tsOffset, TS_OUT[1], ifIndex, BLOCK_EPB);
          continue;
        }
      }
    }
    if (!generalBlock(st)) return res;
  }
  if (st.section < 0) res.error = new CaptureFormatError(0, 'not a pcapng file: no section header at byte 0');
  return res;
}

/** Reads the block at st.off (any type, any fault); false when it stopped the scan (res.error set). */
function generalBlock(st: PcapngScan): boolean {
  const { reader, index, res, size, tsCache } = st;
  const off = st.off;
  let little = st.little, section = st.section, sectionBase = st.sectionBase;
  const fail = (at: number, msg: string): false => { res.error = new CaptureFormatError(at, msg); return false; };
  const hp = reader.at(off, 12);
  if (hp < 0) {
    return fail(off, `block header at byte ${off} truncated: ${size - off} bytes left`);
  }
  let c = reader.chunk;
  let type = rd32(c, hp, little);
  if (type === BT_SHB) {
    if (rd32(c, hp + 8, true) === BOM) little = true;
    else if (rd32(c, hp + 8, false) === BOM) little = false;
    else return fail(off + 8, `section header at byte ${off}: bad byte-order magic 0x${rd32(c, hp + 8, false).toString(16)}`);
    type = BT_SHB;
  } else if (section < 0) {
    return fail(0, `not a pcapng file: first block type 0x${rd32(c, hp, false).toString(16).padStart(8, '0')} is not a section header (byte 0)`);
  }
  const len = rd32(c, hp + 4, little);
  if (len < 12) return fail(off + 4, `block at byte ${off}: total length ${len} is smaller than 12`);
  if (len % 4 !== 0) return fail(off + 4, `block at byte ${off}: total length ${len} is not a multiple of 4`);
  if (off + len > size) return fail(off + 4, `block at byte ${off}: total length ${len} runs past the end of the file (${size - off} bytes left)`);
  if (len > MAX_BLOCK_SIZE && (type === BT_EPB || type === BT_PB || type === BT_SPB || type === BT_IDB || type === BT_SHB)) {
    return fail(off + 4, `block at byte ${off}: total length ${len} is bigger than the maximum of ${MAX_BLOCK_SIZE}`);
  }
  const tp = reader.at(off + len - 4, 4);
  c = reader.chunk;
  const tlen = rd32(c, tp, little);
  if (tlen !== len) return fail(off + len - 4, `block at byte ${off}: trailing length ${tlen} differs from leading length ${len}`);
  switch (type) {
    case BT_SHB: {
      if (len < 28) return fail(off + 4, `section header at byte ${off}: total length ${len} is smaller than 28`);
      const b = reader.view(off, len)!;
      const major = new DataView(b.buffer, b.byteOffset, len).getUint16(12, little);
      if (major !== 1) return fail(off + 12, `section header at byte ${off}: unsupported pcapng version ${major}`);
      section++;
      sectionBase = res.interfaces.length;
      res.sectionLittleEndian.push(little);
      break;
    }
    case BT_IDB: {
      if (len < 20) return fail(off + 4, `interface description at byte ${off}: total length ${len} is smaller than 20`);
      const b = reader.view(off, len)!;
      const dv = new DataView(b.buffer, b.byteOffset, len);
      const ifc: CaptureInterface = { linkType: dv.getUint16(8, little), snaplen: dv.getUint32(12, little), tsUnitsPerSecond: 1e6, tsOffset: 0, section, localIndex: res.interfaces.length - sectionBase };
      for (const o of options(b, 16, len - 4, little)) {
        if (o.code === OPT_IF_NAME) ifc.name = utf8.decode(b.subarray(o.start, o.start + o.len));
        else if (o.code === OPT_IF_DESCRIPTION) ifc.description = utf8.decode(b.subarray(o.start, o.start + o.len));
        else if (o.code === OPT_IF_TSRESOL && o.len >= 1) {
          const v = b[o.start];
          if ((v & 0x7f) > (v & 0x80 ? 63 : 19)) res.warnings.push({ offset: off + o.start, message: `interface at byte ${off}: if_tsresol 0x${v.toString(16)} out of range, using microseconds` });
          else ifc.tsUnitsPerSecond = tsresolToUnits(v);
        } else if (o.code === OPT_IF_TSOFFSET && o.len === 8) {
          ifc.tsOffset = Number(dv.getBigInt64(o.start, little));
        }
      }
      res.interfaces.push(ifc);
      tsCache.push(ifc.tsUnitsPerSecond);
      break;
    }
    case BT_EPB: case BT_PB: {
      const isEpb = type === BT_EPB;
      if (len < 32) return fail(off + 4, `${isEpb ? 'enhanced packet' : 'packet'} block at byte ${off}: total length ${len} is smaller than 32`);
      const q = reader.at(off, 28);
      const e = reader.chunk;
      const local = isEpb ? rd32(e, q + 8, little) : rd16(e, q + 8, little);
      const ifIndex = sectionBase + local;
      if (ifIndex >= res.interfaces.length) {
        return fail(off + 8, `${isEpb ? 'enhanced packet' : 'packet'} block at byte ${off}: interface ${local} does not exist (section has ${res.interfaces.length - sectionBase})`);
      }
      const caplen = rd32(e, q + 20, little);
      const origlen = rd32(e, q + 24, little);
      if (caplen > len - 32) return fail(off + 20, `${isEpb ? 'enhanced packet' : 'packet'} block at byte ${off}: captured length ${caplen} does not fit in the block's ${len} bytes`);
      const ifc = res.interfaces[ifIndex];
      splitTimestamp(rd32(e, q + 12, little), rd32(e, q + 16, little), tsCache[ifIndex]);
      index.push(off + 28, caplen, origlen, TS_OUT[0] + ifc.tsOffset, TS_OUT[1], ifIndex, isEpb ? BLOCK_EPB : BLOCK_PB);
      break;
    }
    case BT_SPB: {
      if (len < 16) return fail(off + 4, `simple packet block at byte ${off}: total length ${len} is smaller than 16`);
      if (res.interfaces.length === sectionBase) return fail(off, `simple packet block at byte ${off}: no interface description in this section`);
      const b = reader.view(off, 12)!;
      const origlen = new DataView(b.buffer, b.byteOffset, 12).getUint32(8, little);
      const ifc = res.interfaces[sectionBase];
      let caplen = Math.min(origlen, len - 16);
      if (ifc.snaplen !== 0 && caplen > ifc.snaplen) caplen = ifc.snaplen;
      // SPBs carry no timestamp: Wireshark shows them at time 0.
      index.push(off + 12, caplen, origlen, 0, 0, sectionBase, BLOCK_SPB);
      break;
    }
    case BT_NRB: {
      const b = reader.view(off, len)!;
      const dv = new DataView(b.buffer, b.byteOffset, len);
      let o = 8;
      while (o + 4 <= len - 4) {
        const rt = dv.getUint16(o, little), rl = dv.getUint16(o + 2, little);
        if (rt === 0) break;
        if (o + 4 + rl > len - 4) { res.warnings.push({ offset: off + o, message: `name resolution block at byte ${off}: record runs past the block` }); break; }
        const alen = rt === 1 ? 4 : rt === 2 ? 16 : 0;
        if (alen && rl > alen) {
          const addr = alen === 4 ? formatIPv4(b, o + 4) : formatIPv6(b, o + 4);
          const names = utf8.decode(b.subarray(o + 4 + alen, o + 4 + rl)).split('\0').filter((x) => x);
          if (names.length) res.names.set(addr, names[0]);
        }
        o += 4 + ((rl + 3) & ~3);
      }
      break;
    }
    case BT_ISB: {
      const b = reader.view(off, 12)!;
      const local = new DataView(b.buffer, b.byteOffset, 12).getUint32(8, little);
      if (sectionBase + local >= res.interfaces.length) res.warnings.push({ offset: off + 8, message: `interface statistics block at byte ${off}: interface ${local} does not exist` });
      break;
    }
    default:
      break; // Custom, DSB, unknown: skipped as the spec allows
  }
  st.off = off + len;
  st.little = little; st.section = section; st.sectionBase = sectionBase;
  return true;
}

export interface PacketOptions { comments: string[]; custom: { code: number; pen: number; data: Uint8Array }[] }

/** Options of packet `i` (EPB/PB), read from the source on demand. */
export function readPacketOptions(src: ByteSource, index: PacketIndex, i: number, little: boolean): PacketOptions {
  return readPacketOptionsAt(src, index.dataOffset[i], index.capLen[i], index.block[i], little);
}

/** Options of the packet record whose data starts at `dataOffset` (block kind `kind`: BLOCK_*). */
export function readPacketOptionsAt(src: ByteSource, dataOffset: number, capLen: number, kind: number, little: boolean): PacketOptions {
  const out: PacketOptions = { comments: [], custom: [] };
  if (kind !== BLOCK_EPB && kind !== BLOCK_PB) return out;
  const blockOff = dataOffset - 28;
  const h = src.read(blockOff, 8);
  if (h.length < 8) return out;
  const len = new DataView(h.buffer, h.byteOffset, 8).getUint32(4, little);
  const optStart = 28 + ((capLen + 3) & ~3);
  if (optStart >= len - 4) return out;
  const b = src.read(blockOff, len);
  for (const o of options(b, optStart, len - 4, little)) {
    if (o.code === OPT_COMMENT) out.comments.push(utf8.decode(b.subarray(o.start, o.start + o.len)));
    else if (OPT_CUSTOM.includes(o.code) && o.len >= 4) {
      const pen = new DataView(b.buffer, b.byteOffset + o.start, 4).getUint32(0, little);
      out.custom.push({ code: o.code, pen, data: b.slice(o.start + 4, o.start + o.len) });
    }
  }
  return out;
}

const utf8enc = new TextEncoder();

function optionBytes(opts: { code: number; value: Uint8Array }[]): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  let n = 4;
  for (const o of opts) n += 4 + ((o.value.length + 3) & ~3);
  const b = new Uint8Array(n);
  const dv = new DataView(b.buffer);
  let p = 0;
  for (const o of opts) {
    dv.setUint16(p, o.code, true); dv.setUint16(p + 2, o.value.length, true);
    b.set(o.value, p + 4);
    p += 4 + ((o.value.length + 3) & ~3);
  }
  return b; // ends with opt_endofopt (zeros)
}

function block(type: number, body: Uint8Array): Uint8Array {
  const len = 12 + body.length;
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, true); dv.setUint32(4, len, true);
  b.set(body, 8);
  dv.setUint32(len - 4, len, true);
  return b;
}

// 65536e9 = Q1 * 2^32 + R1: used to split sec*1e9 into 32-bit halves without BigInt.
const Q1 = Math.floor(65536e9 / 4294967296);
const R1 = 65536e9 - Q1 * 4294967296;

/** Little-endian pcapng writer; timestamps in nanoseconds (if_tsresol 9) unless told otherwise. */
export class PcapngWriter {
  private readonly resol: number[] = [];

  shb(userAppl = 'netvsc-lab'): Uint8Array {
    const fixed = new Uint8Array(16);
    const dv = new DataView(fixed.buffer);
    dv.setUint32(0, BOM, true); dv.setUint16(4, 1, true); dv.setUint16(6, 0, true);
    dv.setInt32(8, -1, true); dv.setInt32(12, -1, true); // section length unknown
    const opts = optionBytes([{ code: OPT_SHB_USERAPPL, value: utf8enc.encode(userAppl) }]);
    const body = new Uint8Array(fixed.length + opts.length);
    body.set(fixed); body.set(opts, 16);
    this.resol.length = 0;
    return block(BT_SHB, body);
  }

  /** An interface; returns its block. Interfaces are numbered in the order written. */
  idb(o: { linkType: number; snaplen?: number; name?: string; description?: string; nanosecond?: boolean }): Uint8Array {
    const ns = o.nanosecond ?? true;
    const fixed = new Uint8Array(8);
    const dv = new DataView(fixed.buffer);
    dv.setUint16(0, o.linkType, true);
    dv.setUint32(4, o.snaplen ?? 262144, true);
    const list: { code: number; value: Uint8Array }[] = [];
    if (o.name !== undefined) list.push({ code: OPT_IF_NAME, value: utf8enc.encode(o.name) });
    if (o.description !== undefined) list.push({ code: OPT_IF_DESCRIPTION, value: utf8enc.encode(o.description) });
    if (ns) list.push({ code: OPT_IF_TSRESOL, value: new Uint8Array([9]) });
    const opts = optionBytes(list);
    const body = new Uint8Array(8 + opts.length);
    body.set(fixed); body.set(opts, 8);
    this.resol.push(ns ? 1e9 : 1e6);
    return block(BT_IDB, body);
  }

  epb(p: { iface: number; tsSec: number; tsNsec: number; data: Uint8Array; origLen?: number; comments?: string[]; flags?: number }): Uint8Array {
    const ups = this.resol[p.iface];
    if (ups === undefined) throw new Error(`pcapng writer: interface ${p.iface} was not described (write its IDB first)`);
    let hi: number, lo: number;
    if (ups === 1e9) {
      const a = Math.floor(p.tsSec / 65536), bsec = p.tsSec - a * 65536;
      const low = a * R1 + bsec * 1e9 + p.tsNsec;
      hi = a * Q1 + Math.floor(low / 4294967296);
      lo = low % 4294967296;
    } else {
      const units = p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000);
      hi = Math.floor(units / 4294967296); lo = units % 4294967296;
    }
    const list: { code: number; value: Uint8Array }[] = [];
    for (const c of p.comments ?? []) list.push({ code: OPT_COMMENT, value: utf8enc.encode(c) });
    if (p.flags !== undefined) {
      const f = new Uint8Array(4); new DataView(f.buffer).setUint32(0, p.flags, true);
      list.push({ code: OPT_EPB_FLAGS, value: f });
    }
    const opts = optionBytes(list);
    const padded = (p.data.length + 3) & ~3;
    const body = new Uint8Array(20 + padded + opts.length);
    const dv = new DataView(body.buffer);
    dv.setUint32(0, p.iface, true); dv.setUint32(4, hi, true); dv.setUint32(8, lo, true);
    dv.setUint32(12, p.data.length, true); dv.setUint32(16, p.origLen ?? p.data.length, true);
    body.set(p.data, 20);
    body.set(opts, 20 + padded);
    return block(BT_EPB, body);
  }
}
