/**
 * Opens a capture (pcap or pcapng, told apart by the magic) from any ByteSource: either builds its
 * packet index in one streaming pass (random access afterwards), or streams it once through a
 * visitor with nothing kept per packet (what `netvsc-lab dissect` does: a 4 GB file costs a few MB).
 *
 * API
 *   openCapture(src, { chunkSize? }) -> Capture    never throws for bad data (see capture.ts)
 *   openCaptureBytes(bytes, name?) -> Capture
 *   streamCapture(src, visit, { chunkSize? }) -> ScanResult
 *       visit(p: StreamedPacket, scan) for every packet in file order; p.buf[p.at, p.at + p.capLen)
 *       are its bytes, valid only during the call (the window is refilled in place). `scan` is the
 *       result being filled (its interfaces are those seen so far). Errors and warnings as openCapture.
 */
import { BLOCK_EPB, BLOCK_PB, ChunkedReader, CaptureFormatError, memorySource, PacketIndex, type ByteSource, type Capture, type PacketRef, type PacketSink, type ScanResult } from './capture';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US, scanPcap } from './pcap';
import { BT_SHB, readPacketOptions, scanPcapng } from './pcapng';

/** Tells the format by its magic and runs its scanner. */
function scan(reader: ChunkedReader, sink: PacketSink, res: ScanResult): ScanResult {
  const src = reader.src;
  const head = reader.view(0, 4);
  if (src.size === 0) { res.error = new CaptureFormatError(0, 'empty file (0 bytes)'); return res; }
  if (!head) { res.error = new CaptureFormatError(0, `file too short for a capture header: ${src.size} bytes`); return res; }
  const m = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, false);
  const le = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
  if (m === BT_SHB) return scanPcapng(reader, sink, res);
  if ([PCAP_MAGIC_US, PCAP_MAGIC_NS].includes(m) || [PCAP_MAGIC_US, PCAP_MAGIC_NS].includes(le)) return scanPcap(reader, sink, res);
  res.error = new CaptureFormatError(0, `not a pcap or pcapng file: magic 0x${m.toString(16).padStart(8, '0')} at byte 0`);
  return res;
}

const emptyScan = (): ScanResult => ({ format: 'pcap', interfaces: [], warnings: [], sectionLittleEndian: [], names: new Map() });

export function openCapture(src: ByteSource, opts: { chunkSize?: number } = {}): Capture {
  const index = new PacketIndex();
  const res = scan(new ChunkedReader(src, opts.chunkSize), index, emptyScan());
  index.trim();
  const optCache = new Map<number, ReturnType<typeof readPacketOptions>>();
  const opt = (i: number) => {
    let o = optCache.get(i);
    if (!o) {
      const ifc = res.interfaces[index.iface[i]];
      o = readPacketOptions(src, index, i, res.sectionLittleEndian[ifc?.section ?? 0] ?? true);
      if (optCache.size > 4096) optCache.clear();
      optCache.set(i, o);
    }
    return o;
  };
  // Packets are served from a 1 MiB window read ahead of the last miss: a capture-order pass costs
  // one read per MiB, a random access one read. Each refill allocates a fresh window, so bytes
  // handed out earlier stay valid.
  const WINDOW = 1 << 20;
  let win: Uint8Array = new Uint8Array(0);
  let winBase = 0;
  /** Makes packet i's bytes available in `win`; returns their offset there. */
  const locate = (i: number): number => {
    const o = index.dataOffset[i], l = index.capLen[i];
    if (o >= winBase && o + l <= winBase + win.length) return o - winBase;
    win = src.read(o, Math.max(WINDOW, l));
    winBase = o;
    return 0;
  };
  return {
    ...res,
    source: src,
    index,
    count: index.count,
    packet: (i) => { const at = locate(i); return win.subarray(at, Math.min(at + index.capLen[i], win.length)); },
    packetRef: (i, out: PacketRef) => {
      const at = locate(i);
      out.buf = win; out.off = at; out.len = Math.min(index.capLen[i], win.length - at);
      return out;
    },
    linkType: (i) => res.interfaces[index.iface[i]]?.linkType ?? 1,
    comments: (i) => (index.block[i] === BLOCK_EPB || index.block[i] === BLOCK_PB ? opt(i).comments : []),
    customOptions: (i) => (index.block[i] === BLOCK_EPB || index.block[i] === BLOCK_PB ? opt(i).custom : []),
  };
}

export function openCaptureBytes(bytes: Uint8Array, name?: string): Capture {
  return openCapture(memorySource(bytes, name));
}

/** One packet as streamCapture hands it to the visitor (the same object every time). */
export interface StreamedPacket {
  /** 0-based position in the file. */
  index: number;
  buf: Uint8Array;
  at: number;
  capLen: number;
  origLen: number;
  tsSec: number;
  tsNsec: number;
  /** Global interface index (into scan.interfaces). */
  iface: number;
  /** BLOCK_* kind of the record. */
  block: number;
  /** File offset of the packet bytes (for readPacketOptionsAt). */
  dataOffset: number;
}

export function streamCapture(src: ByteSource, visit: (p: StreamedPacket, scan: ScanResult) => void, opts: { chunkSize?: number } = {}): ScanResult {
  const reader = new ChunkedReader(src, opts.chunkSize, true);
  const res = emptyScan();
  const p: StreamedPacket = { index: 0, buf: reader.chunk, at: 0, capLen: 0, origLen: 0, tsSec: 0, tsNsec: 0, iface: 0, block: 0, dataOffset: 0 };
  let n = 0;
  scan(reader, {
    push(dataOffset, capLen, origLen, tsSec, tsNsec, iface, block) {
      const at = reader.at(dataOffset, capLen);
      if (at < 0) return; // scanners only push records that lie inside the source
      p.index = n++; p.buf = reader.chunk; p.at = at; p.capLen = capLen; p.origLen = origLen;
      p.tsSec = tsSec; p.tsNsec = tsNsec; p.iface = iface; p.block = block; p.dataOffset = dataOffset;
      visit(p, res);
    },
  }, res);
  return res;
}
