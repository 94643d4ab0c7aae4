/**
 * A capture file opened for reading: the packet index (typed arrays, built by one streaming pass)
 * and random access to any packet's bytes, comments and interface. Format parsing lives in
 * `pcap.ts` and `pcapng.ts`; file access is behind `ByteSource` (`fileSource.ts` for Node files,
 * `memorySource` here for bytes), so this module runs in a browser too.
 *
 * API
 *   openCapture(src: ByteSource, opts?) -> Capture      never throws on bad data: a fatal fault is
 *       reported in `capture.error` (message with the byte offset) after every packet before it is
 *       indexed; recoverable oddities go to `capture.warnings`.
 *   memorySource(bytes) -> ByteSource     (with `bytes`: walked in place by the filter column fill)
 *   ByteSource: size, name, read(offset, length); optional readInto (no allocation per read) and bytes
 *   Capture: format, interfaces[], count, index (PacketIndex), packet(i) -> Uint8Array,
 *       packetRef?(i, out) -> out (the bytes in place: buf, off, len; no allocation),
 *       linkType(i), timestamp(i) -> { sec, nsec }, comments(i) -> string[], indexBytes()
 *   PacketIndex columns: dataOffset (Float64Array, file offset of the packet bytes), capLen, origLen
 *       (Uint32Array), tsSec (Float64Array), tsNsec (Uint32Array), iface (Uint16Array), block (Uint8Array:
 *       BLOCK_* kind, tells where the options are) — 31 bytes per packet after `trim()`.
 *   CaptureFormatError: the fatal fault of a scan (offset + message), in `capture.error`.
 *   PacketSink: what scanners push records into (PacketIndex, or streamCapture's consumer).
 *   ChunkedReader(src, chunkSize = 4 MiB, reuse = false): sequential windows; with `reuse` and a
 *       source that has readInto, one buffer is refilled in place (streaming, nothing allocated).
 */

export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Up to `length` bytes at `offset` (shorter only at the end of the source). */
  read(offset: number, length: number): Uint8Array;
  /** Optional: copies up to `length` bytes at `offset` into `into` (from 0); returns how many. */
  readInto?(offset: number, into: Uint8Array, length: number): number;
  /** Optional: the whole source, when it is held in memory (walked in place, no reads). */
  readonly bytes?: Uint8Array;
  /** A name for messages (file path). */
  readonly name: string;
}

export function memorySource(bytes: Uint8Array, name = '<memory>'): ByteSource {
  return { size: bytes.length, name, bytes, read: (o, l) => bytes.subarray(o, Math.min(o + l, bytes.length)) };
}

export interface CaptureInterface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second (1e6 for µs pcap, 1e9 for ns, 10^n or 2^n from if_tsresol). */
  tsUnitsPerSecond: number;
  /** if_tsoffset, seconds added to every timestamp. */
  tsOffset: number;
  name?: string;
  description?: string;
  /** pcapng section number this interface belongs to. */
  section: number;
  /** Index within its section (what EPBs refer to and what tshark prints as frame.interface_id). */
  localIndex: number;
}

export interface CaptureWarning { offset: number; message: string }

/** Block kinds in `PacketIndex.block`. */
export const BLOCK_PCAP = 0;
export const BLOCK_EPB = 1;
export const BLOCK_SPB = 2;
export const BLOCK_PB = 3;

/**
 * Where a format scanner puts each packet record it finds: the index, or a streaming consumer.
 * `push` may move the scanner's ChunkedReader window (a streaming consumer reads the packet
 * bytes through it): scanners call it last for a record.
 */
export interface PacketSink {
  push(dataOffset: number, capLen: number, origLen: number, tsSec: number, tsNsec: number, iface: number, block: number): void;
}

export class PacketIndex implements PacketSink {
  count = 0;
  dataOffset = new Float64Array(1024);
  capLen = new Uint32Array(1024);
  origLen = new Uint32Array(1024);
  tsSec = new Float64Array(1024);
  tsNsec = new Uint32Array(1024);
  iface = new Uint16Array(1024);
  block = new Uint8Array(1024);

  push(dataOffset: number, capLen: number, origLen: number, tsSec: number, tsNsec: number, iface: number, block: number): void {
    if (this.count === this.capLen.length) this.resize(this.count * 2);
    const i = this.count++;
    this.dataOffset[i] = dataOffset; this.capLen[i] = capLen; this.origLen[i] = origLen;
    this.tsSec[i] = tsSec; this.tsNsec[i] = tsNsec; this.iface[i] = iface; this.block[i] = block;
  }

  private resize(n: number): void {
    const grow = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n); b.set(a.subarray(0, Math.min(a.length, n))); return b;
    };
    this.dataOffset = grow(this.dataOffset, (k) => new Float64Array(k));
    this.capLen = grow(this.capLen, (k) => new Uint32Array(k));
    this.origLen = grow(this.origLen, (k) => new Uint32Array(k));
    this.tsSec = grow(this.tsSec, (k) => new Float64Array(k));
    this.tsNsec = grow(this.tsNsec, (k) => new Uint32Array(k));
    this.iface = grow(this.iface, (k) => new Uint16Array(k));
    this.block = grow(this.block, (k) => new Uint8Array(k));
  }

  /** Drops the spare capacity once the index is complete. */
  trim(): void { if (this.capLen.length !== this.count) this.resize(Math.max(this.count, 1)); }

  /** Bytes held by the index columns. */
  byteLength(): number {
    return this.dataOffset.byteLength + this.capLen.byteLength + this.origLen.byteLength + this.tsSec.byteLength
      + this.tsNsec.byteLength + this.iface.byteLength + this.block.byteLength;
  }
}

export class CaptureFormatError extends Error {
  constructor(readonly offset: number, message: string) { super(message); }
}

/**
 * Sequential reader over a ByteSource in bounded chunks, so a 4 GB file is scanned with a few MB
 * of memory. `view(offset, length)` returns the bytes (a subarray of the chunk when possible).
 */
export class ChunkedReader {
  /** The current window; `at()` returns positions into it. */
  chunk: Uint8Array = new Uint8Array(0);
  private base = 0;
  /** With `reuse`, one buffer is refilled in place (bytes handed out earlier change: callers copy). */
  private own: Uint8Array | null = null;
  constructor(readonly src: ByteSource, private readonly chunkSize = 4 << 20, private readonly reuse = false) {}

  private fill(offset: number, length: number): void {
    if (this.reuse && this.src.readInto) {
      if (!this.own || this.own.length < length) this.own = new Uint8Array(Math.max(length, this.own?.length ?? 0));
      this.chunk = this.own.subarray(0, this.src.readInto(offset, this.own, length));
    } else this.chunk = this.src.read(offset, length);
    this.base = offset;
  }

  /** `length` bytes at `offset`, or null when the source ends first. */
  view(offset: number, length: number): Uint8Array | null {
    if (offset + length > this.src.size) return null;
    if (offset >= this.base && offset + length <= this.base + this.chunk.length) {
      return this.chunk.subarray(offset - this.base, offset - this.base + length);
    }
    if (length > this.chunkSize) return this.src.read(offset, length);
    this.fill(offset, Math.min(this.chunkSize, this.src.size - offset));
    return this.chunk.subarray(0, length);
  }

  /**
   * Makes `length` (<= chunk size) bytes at `offset` available in `this.chunk` and returns their
   * position there, or -1 when the source ends first. No allocation unless the window moves.
   */
  at(offset: number, length: number): number {
    if (offset + length > this.src.size) return -1;
    if (offset >= this.base && offset + length <= this.base + this.chunk.length) return offset - this.base;
    this.fill(offset, Math.min(Math.max(this.chunkSize, length), this.src.size - offset));
    return 0;
  }
}

/** Unsigned 32-bit read in either byte order (no DataView allocation on the scan path). */
export function rd32(b: Uint8Array, o: number, little: boolean): number {
  return little ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
export function rd16(b: Uint8Array, o: number, little: boolean): number {
  return little ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

export interface ScanResult {
  format: 'pcap' | 'pcapng';
  interfaces: CaptureInterface[];
  warnings: CaptureWarning[];
  error?: CaptureFormatError;
  /** pcapng: little-endian per section (by section number); pcap: one entry. */
  sectionLittleEndian: boolean[];
  /** Name resolution records from NRBs (address text -> name). */
  names: Map<string, string>;
}

/** Where a packet's bytes are, filled by `Capture.packetRef` (no allocation per packet). */
export interface PacketRef { buf: Uint8Array; off: number; len: number }

export interface Capture extends ScanResult {
  readonly source: ByteSource;
  readonly index: PacketIndex;
  readonly count: number;
  packet(i: number): Uint8Array;
  /** Optional: packet i's bytes in place, as `out.buf[out.off, out.off + out.len)`; returns `out`. */
  packetRef?(i: number, out: PacketRef): PacketRef;
  linkType(i: number): number;
  comments(i: number): string[];
  /** Custom options (pcapng option codes 2988/2989/19372/19373) of packet i: PEN and data. */
  customOptions(i: number): { code: number; pen: number; data: Uint8Array }[];
}
