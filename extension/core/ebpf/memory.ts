/**
 * The VM's address space: a table of regions, every access bounds- and permission-checked.
 *
 * Address encoding (64-bit values live in registers as two int32 halves, no BigInt):
 *   high 32 bits = region id, low 32 bits = byte offset inside the region's buffer.
 * So `r1 + 14` is plain 64-bit arithmetic on the offset and a check is a table lookup by the high
 * half plus two integer compares. Region 0 is "no region": NULL and every scalar below 2^32 fall
 * in it, so dereferencing them faults. Valid offsets stay below 2^31, so pointer arithmetic that
 * leaves a region can never land inside another one by accident.
 *
 * Fixed ids: REGION_CTX (the `struct xdp_md`), REGION_PACKET (the frame buffer incl. headroom),
 * REGION_STACK (8 frames x 512 bytes; r10 of frame k = STACK_SIZE - 512 * k), REGION_MAP_HANDLE
 * (what `lddw rX, map` yields: offset = map number; it has no bytes), REGION_CODE (what
 * `lddw rX, func` yields: offset = instruction index; no bytes). Further regions (map values,
 * global data, helper buffers) are added with `addRegion`.
 */
import { MAX_BPF_STACK, MAX_CALL_FRAMES } from './isa';

export const REGION_NONE = 0;
export const REGION_CTX = 1;
export const REGION_PACKET = 2;
export const REGION_STACK = 3;
export const REGION_MAP_HANDLE = 4;
export const REGION_CODE = 5;
export const FIRST_DYNAMIC_REGION = 6;

export const STACK_SIZE = MAX_BPF_STACK * MAX_CALL_FRAMES;
/** The kernel's XDP_PACKET_HEADROOM. */
export const XDP_PACKET_HEADROOM = 256;
/** A frame is one page; the kernel keeps the skb_shared_info (320 bytes on x86-64) at its end. */
export const XDP_FRAME_SIZE = 4096;
export const SKB_SHARED_INFO_SIZE = 320;
/** `struct xdp_md`: data @0, data_end @4, data_meta @8, ingress_ifindex @12, rx_queue_index @16, egress_ifindex @20. */
export const XDP_MD_SIZE = 24;
export const XDP_MD_DATA = 0;
export const XDP_MD_DATA_END = 4;
export const XDP_MD_DATA_META = 8;
export const XDP_MD_INGRESS_IFINDEX = 12;
export const XDP_MD_RX_QUEUE_INDEX = 16;
export const XDP_MD_EGRESS_IFINDEX = 20;

export type AccessKind = 'read' | 'write';

const EMPTY = new Uint8Array(0);

/** Receives the old bytes before a write, so a debugger can undo it. */
export type WriteJournal = (region: number, offset: number, oldBytes: Uint8Array) => void;

export class Memory {
  /** Per region: its bytes, and the windows [lo, hi) of offsets that may be read / written. */
  bytes: Uint8Array[] = [];
  readLo = new Int32Array(16);
  readHi = new Int32Array(16);
  writeLo = new Int32Array(16);
  writeHi = new Int32Array(16);
  names: string[] = [];
  /**
   * The windows of the fixed regions (ids below FIRST_DYNAMIC_REGION) again, 4 per region:
   * readLo, readHi, writeLo, writeHi. Never reallocated (the arrays above grow), so compiled
   * programs hold it as a constant; `setWindows` keeps both in step.
   */
  readonly fixedWindows = new Int32Array(4 * FIRST_DYNAMIC_REGION);
  count = 0;
  /** Regions below this id survive `resetDynamic()`. */
  private staticCount = 0;
  /** Offset of the last successful `resolve`. */
  offset = 0;
  journal: WriteJournal | undefined;

  constructor() {
    this.addRegion('none', EMPTY, false);
    this.addRegion('ctx', new Uint8Array(XDP_MD_SIZE), false);
    this.addRegion('pkt', new Uint8Array(XDP_FRAME_SIZE), true);
    this.addRegion('stack', new Uint8Array(STACK_SIZE), true);
    this.addRegion('map', EMPTY, false);
    this.addRegion('code', EMPTY, false);
    this.staticCount = this.count;
  }

  /** Adds a region over `bytes` (a view is fine: writes go to the caller's buffer). Returns its id. */
  addRegion(name: string, bytes: Uint8Array, writable: boolean): number {
    const id = this.count++;
    if (id >= this.readLo.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => { const b = new Int32Array(a.length * 2); b.set(a); return b; };
      this.readLo = grow(this.readLo); this.readHi = grow(this.readHi);
      this.writeLo = grow(this.writeLo); this.writeHi = grow(this.writeHi);
    }
    this.bytes[id] = bytes;
    this.names[id] = name;
    this.setWindows(id, 0, bytes.length, 0, writable ? bytes.length : 0);
    return id;
  }

  /**
   * Replaces a region's bytes (e.g. a map slot reused for another element). The fixed regions
   * (ctx, packet, stack) keep theirs for the memory's lifetime: compiled programs hold them.
   */
  setRegionBytes(id: number, bytes: Uint8Array, writable: boolean): void {
    if (id < FIRST_DYNAMIC_REGION) throw new RangeError(`region ${id} (${this.names[id]}) is fixed: its bytes cannot be replaced`);
    this.bytes[id] = bytes;
    this.setWindows(id, 0, bytes.length, 0, writable ? bytes.length : 0);
  }

  /** Sets what may be read and written of region `id`: both windows lie inside its bytes. */
  setWindows(id: number, readLo: number, readHi: number, writeLo: number, writeHi: number): void {
    const len = this.bytes[id].length;
    if (!(0 <= readLo && readHi <= len && 0 <= writeLo && writeHi <= len)) {
      throw new RangeError(`windows [${readLo}, ${readHi}) / [${writeLo}, ${writeHi}) do not fit the ${len} bytes of region ${id} (${this.names[id]})`);
    }
    this.readLo[id] = readLo; this.readHi[id] = readHi;
    this.writeLo[id] = writeLo; this.writeHi[id] = writeHi;
    if (id < FIRST_DYNAMIC_REGION) {
      const w = this.fixedWindows, o = id * 4;
      w[o] = readLo; w[o + 1] = readHi; w[o + 2] = writeLo; w[o + 3] = writeHi;
    }
  }

  /** Marks the current regions as permanent: `resetDynamic` keeps them. */
  markStatic(): void { this.staticCount = this.count; }

  hasDynamic(): boolean { return this.count !== this.staticCount; }

  /** Drops regions added since the last `markStatic` (per-run helper regions). */
  resetDynamic(): void {
    for (let i = this.staticCount; i < this.count; i++) { this.bytes[i] = EMPTY; this.names[i] = ''; }
    this.count = this.staticCount;
  }

  /**
   * Checks an access of `size` bytes at address (hi, lo) + delta (delta is the instruction's s16
   * offset or any small signed number). Returns the region id and sets `this.offset`, or -1.
   * Handles a carry between the halves exactly (the address is a real 64-bit sum).
   */
  resolve(hi: number, lo: number, delta: number, size: number, write: boolean): number {
    let o = (lo >>> 0) + delta, id = hi >>> 0;
    if (o < 0) { o += 0x100000000; id = (id - 1) >>> 0; } else if (o > 0xffffffff) { o -= 0x100000000; id = (id + 1) >>> 0; }
    if (id >= this.count) return -1;
    if (write) {
      if (o < this.writeLo[id] || o + size > this.writeHi[id]) return -1;
    } else if (o < this.readLo[id] || o + size > this.readHi[id]) return -1;
    this.offset = o;
    return id;
  }

  /** Human-readable address: `pkt+0x10e`, `stack+0xff8`, or the raw 64-bit value when no region has it. */
  describe(hi: number, lo: number, delta = 0): string {
    let o = (lo >>> 0) + delta, id = hi >>> 0;
    if (o < 0) { o += 0x100000000; id = (id - 1) >>> 0; } else if (o > 0xffffffff) { o -= 0x100000000; id = (id + 1) >>> 0; }
    if (id > 0 && id < this.count) return `${this.names[id]}+0x${o.toString(16)}`;
    return `0x${id.toString(16)}${o.toString(16).padStart(8, '0')}`.replace(/^0x0+(?=.)/, '0x');
  }

  /** The name of the region the address falls in (ignoring bounds), or 'no region'. */
  regionName(hi: number, lo: number, delta = 0): string {
    const o = (lo >>> 0) + delta;
    let id = hi >>> 0;
    if (o < 0) id = (id - 1) >>> 0; else if (o > 0xffffffff) id = (id + 1) >>> 0;
    return id > 0 && id < this.count ? this.names[id] : 'no region';
  }

  /** Copies `len` bytes from VM memory into `out` (for helpers). Returns false on a bad access. */
  readBytes(hi: number, lo: number, len: number, out: Uint8Array, outOffset = 0): boolean {
    if (len === 0) return true;
    const id = this.resolve(hi, lo, 0, len, false);
    if (id < 0) return false;
    out.set(this.bytes[id].subarray(this.offset, this.offset + len), outOffset);
    return true;
  }

  /** Writes bytes into VM memory (for helpers), journaled. Returns false on a bad access. */
  writeBytes(hi: number, lo: number, src: Uint8Array): boolean {
    if (src.length === 0) return true;
    const id = this.resolve(hi, lo, 0, src.length, true);
    if (id < 0) return false;
    const b = this.bytes[id], o = this.offset;
    if (this.journal) this.journal(id, o, b.slice(o, o + src.length));
    b.set(src, o);
    return true;
  }

  /** A view of `len` bytes at the address if all of it is accessible, else undefined (no copy). */
  view(hi: number, lo: number, len: number, write: boolean): Uint8Array | undefined {
    const id = this.resolve(hi, lo, 0, len, write);
    if (id < 0) return undefined;
    if (write && this.journal && len > 0) this.journal(id, this.offset, this.bytes[id].slice(this.offset, this.offset + len));
    return this.bytes[id].subarray(this.offset, this.offset + len);
  }
}

/**
 * The XDP frame: one page with `XDP_PACKET_HEADROOM` in front of the packet, kept in sync with the
 * `struct xdp_md` in REGION_CTX (its data/data_end/data_meta hold the low halves of packet
 * pointers; a 32-bit load of those fields yields a full pointer, as the kernel's ctx rewrite does)
 * and with REGION_PACKET's windows: [data_meta, data_end) is readable and writable.
 */
export class XdpPacket {
  /** Offsets into `buffer`. data_meta == data when there is no metadata. */
  data = XDP_PACKET_HEADROOM;
  dataEnd = XDP_PACKET_HEADROOM;
  dataMeta = XDP_PACKET_HEADROOM;
  readonly buffer: Uint8Array;
  private readonly ctx: DataView;

  constructor(private readonly memory: Memory) {
    this.buffer = memory.bytes[REGION_PACKET];
    const c = memory.bytes[REGION_CTX];
    this.ctx = new DataView(c.buffer, c.byteOffset, c.byteLength);
  }

  /** Offset where the tailroom ends: adjust_tail may grow data_end up to here. */
  get frameEnd(): number { return this.buffer.length - SKB_SHARED_INFO_SIZE; }

  /** Loads a packet (as BPF_PROG_TEST_RUN does: headroom 256, no metadata). Returns false if it does not fit. */
  load(bytes: Uint8Array, headroom = XDP_PACKET_HEADROOM): boolean {
    if (headroom + bytes.length > this.frameEnd) return false;
    this.buffer.fill(0);
    this.buffer.set(bytes, headroom);
    this.set(headroom, headroom + bytes.length, headroom);
    return true;
  }

  /** Moves the packet boundaries (helpers implement the kernel's policy; this keeps ctx and windows in sync). */
  set(data: number, dataEnd: number, dataMeta: number): void {
    if (!(0 <= dataMeta && dataMeta <= data && data <= dataEnd && dataEnd <= this.buffer.length)) {
      throw new RangeError(`bad packet boundaries meta=${dataMeta} data=${data} end=${dataEnd}`);
    }
    this.data = data; this.dataEnd = dataEnd; this.dataMeta = dataMeta;
    this.ctx.setUint32(XDP_MD_DATA, data, true);
    this.ctx.setUint32(XDP_MD_DATA_END, dataEnd, true);
    this.ctx.setUint32(XDP_MD_DATA_META, dataMeta, true);
    this.memory.setWindows(REGION_PACKET, dataMeta, dataEnd, dataMeta, dataEnd);
  }

  setRxInfo(ingressIfindex: number, rxQueueIndex: number, egressIfindex = 0): void {
    this.ctx.setUint32(XDP_MD_INGRESS_IFINDEX, ingressIfindex, true);
    this.ctx.setUint32(XDP_MD_RX_QUEUE_INDEX, rxQueueIndex, true);
    this.ctx.setUint32(XDP_MD_EGRESS_IFINDEX, egressIfindex, true);
  }

  /** The packet as it is now (a copy), from data to data_end. */
  contents(): Uint8Array { return this.buffer.slice(this.data, this.dataEnd); }
  /** The metadata in front of the packet (a copy). */
  meta(): Uint8Array { return this.buffer.slice(this.dataMeta, this.data); }
}
