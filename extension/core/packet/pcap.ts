/**
 * Classic libpcap format (https://www.tcpdump.org/manpages/pcap-savefile.5.html): reading in either
 * byte order with microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d) timestamps, and writing.
 *
 * API
 *   scanPcap(reader, sink, res?) -> res       pushes every record into `sink` (a PacketIndex or a
 *       streaming consumer); stops at the first fault with an error naming the byte offset (every
 *       packet before it stays usable). `res` is filled as the scan goes (interfaces first).
 *   PCAP_MAGIC_US, PCAP_MAGIC_NS
 *   class PcapWriter(linkType, { snaplen = 262144, nanosecond = false })
 *       header() -> Uint8Array; record(data, tsSec, tsNsec, origLen = data.length) -> Uint8Array
 */
import { BLOCK_PCAP, CaptureFormatError, rd32, type ChunkedReader, type PacketSink, type ScanResult } from './capture';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD: larger records are treated as corrupt. */
export const MAX_PACKET_SIZE = 262144;

export function scanPcap(reader: ChunkedReader, index: PacketSink,
  res: ScanResult = { format: 'pcap', interfaces: [], warnings: [], sectionLittleEndian: [], names: new Map() }): ScanResult {
  res.format = 'pcap';
  const h = reader.view(0, 24);
  if (!h) { res.error = new CaptureFormatError(0, `pcap file header truncated: ${reader.src.size} of 24 bytes`); return res; }
  const dv = new DataView(h.buffer, h.byteOffset, 24);
  const le = dv.getUint32(0, true);
  const be = dv.getUint32(0, false);
  let little: boolean; let ns: boolean;
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) { little = true; ns = le === PCAP_MAGIC_NS; }
  else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) { little = false; ns = be === PCAP_MAGIC_NS; }
  else { res.error = new CaptureFormatError(0, `not a pcap file: magic 0x${be.toString(16).padStart(8, "0")} at byte 0`); return res; }
  res.sectionLittleEndian.push(little);
  const major = dv.getUint16(4, little);
  if (major !== 2) res.warnings.push({ offset: 4, message: `pcap version ${major}.${dv.getUint16(6, little)} (expected 2.4)` });
  const snaplen = dv.getUint32(16, little);
  const linkType = dv.getUint32(20, little) & 0x03ffffff; // upper bits: FCS length flags
  res.interfaces.push({ linkType, snaplen, tsUnitsPerSecond: ns ? 1e9 : 1e6, tsOffset: dv.getInt32(8, little), section: 0, localIndex: 0 });
  const size = reader.src.size;
  let off = 24;
  const nsMul = ns ? 1 : 1000;
  while (off < size) {
    const r = reader.at(off, 16);
    if (r < 0) { res.error = new CaptureFormatError(off, `record header at byte ${off} truncated: ${size - off} of 16 bytes`); break; }
    const c = reader.chunk;
    const sec = rd32(c, r, little);
    const frac = rd32(c, r + 4, little);
    const caplen = rd32(c, r + 8, little);
    const origlen = rd32(c, r + 12, little);
    if (caplen > MAX_PACKET_SIZE) {
      res.error = new CaptureFormatError(off + 8, `record at byte ${off}: captured length ${caplen} is bigger than the maximum of ${MAX_PACKET_SIZE}`);
      break;
    }
    if (off + 16 + caplen > size) {
      res.error = new CaptureFormatError(off, `record at byte ${off}: ${caplen} bytes of packet data run past the end of the file (${size - off - 16} left)`);
      break;
    }
    if (caplen > snaplen && snaplen !== 0) {
      res.warnings.push({ offset: off + 8, message: `record at byte ${off}: captured length ${caplen} exceeds snaplen ${snaplen}` });
    }
    if ((ns && frac >= 1e9) || (!ns && frac >= 1e6)) {
      res.warnings.push({ offset: off + 4, message: `record at byte ${off}: sub-second timestamp ${frac} out of range` });
    }
    index.push(off + 16, caplen, origlen, sec, (frac * nsMul) % 1e9, 0, BLOCK_PCAP);
    off += 16 + caplen;
  }
  return res;
}

export class PcapWriter {
  private readonly snaplen: number;
  private readonly nanosecond: boolean;
  constructor(readonly linkType: number, opts: { snaplen?: number; nanosecond?: boolean } = {}) {
    this.snaplen = opts.snaplen ?? MAX_PACKET_SIZE;
    this.nanosecond = opts.nanosecond ?? false;
  }

  header(): Uint8Array {
    const b = new Uint8Array(24);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, this.nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    dv.setUint16(4, 2, true); dv.setUint16(6, 4, true);
    dv.setUint32(16, this.snaplen, true);
    dv.setUint32(20, this.linkType, true);
    return b;
  }

  /** One record; data longer than the snaplen is cut (origLen keeps the wire length). */
  record(data: Uint8Array, tsSec: number, tsNsec: number, origLen = data.length): Uint8Array {
    const cap = Math.min(data.length, this.snaplen);
    const b = new Uint8Array(16 + cap);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, tsSec, true);
    dv.setUint32(4, this.nanosecond ? tsNsec : Math.floor(tsNsec / 1000), true);
    dv.setUint32(8, cap, true);
    dv.setUint32(12, origLen, true);
    b.set(data.subarray(0, cap), 16);
    return b;
  }
}
