/**
 * Opens a capture (pcap or pcapng, told apart by the magic) from any ByteSource and builds its
 * packet index in one streaming pass.
 *
 * API
 *   openCapture(src, { chunkSize? }) -> Capture    never throws for bad data (see capture.ts)
 *   openCaptureBytes(bytes, name?) -> Capture
 */
import { BLOCK_EPB, BLOCK_PB, ChunkedReader, CaptureFormatError, memorySource, PacketIndex, type ByteSource, type Capture, type ScanResult } from './capture';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US, scanPcap } from './pcap';
import { BT_SHB, readPacketOptions, scanPcapng } from './pcapng';

export function openCapture(src: ByteSource, opts: { chunkSize?: number } = {}): Capture {
  const index = new PacketIndex();
  const reader = new ChunkedReader(src, opts.chunkSize);
  let scan: ScanResult;
  const head = reader.view(0, 4);
  if (src.size === 0) {
    scan = { format: 'pcap', interfaces: [], warnings: [], sectionLittleEndian: [], names: new Map(), error: new CaptureFormatError(0, 'empty file (0 bytes)') };
  } else if (!head) {
    scan = { format: 'pcap', interfaces: [], warnings: [], sectionLittleEndian: [], names: new Map(), error: new CaptureFormatError(0, `file too short for a capture header: ${src.size} bytes`) };
  } else {
    const m = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, false);
    const le = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
    if (m === BT_SHB) scan = scanPcapng(reader, index);
    else if ([PCAP_MAGIC_US, PCAP_MAGIC_NS].includes(m) || [PCAP_MAGIC_US, PCAP_MAGIC_NS].includes(le)) scan = scanPcap(reader, index);
    else scan = { format: 'pcap', interfaces: [], warnings: [], sectionLittleEndian: [], names: new Map(), error: new CaptureFormatError(0, `not a pcap or pcapng file: magic 0x${m.toString(16).padStart(8, '0')} at byte 0`) };
  }
  index.trim();
  const optCache = new Map<number, ReturnType<typeof readPacketOptions>>();
  const opt = (i: number) => {
    let o = optCache.get(i);
    if (!o) {
      const ifc = scan.interfaces[index.iface[i]];
      o = readPacketOptions(src, index, i, scan.sectionLittleEndian[ifc?.section ?? 0] ?? true);
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
  const packet = (i: number): Uint8Array => {
    const o = index.dataOffset[i], l = index.capLen[i];
    if (o >= winBase && o + l <= winBase + win.length) return win.subarray(o - winBase, o - winBase + l);
    if (l > WINDOW) return src.read(o, l);
    win = src.read(o, WINDOW);
    winBase = o;
    return win.subarray(0, Math.min(l, win.length));
  };
  return {
    ...scan,
    source: src,
    index,
    count: index.count,
    packet,
    linkType: (i) => scan.interfaces[index.iface[i]]?.linkType ?? 1,
    comments: (i) => (index.block[i] === BLOCK_EPB || index.block[i] === BLOCK_PB ? opt(i).comments : []),
    customOptions: (i) => (index.block[i] === BLOCK_EPB || index.block[i] === BLOCK_PB ? opt(i).custom : []),
  };
}

export function openCaptureBytes(bytes: Uint8Array, name?: string): Capture {
  return openCapture(memorySource(bytes, name));
}
