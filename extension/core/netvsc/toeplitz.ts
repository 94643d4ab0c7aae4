import { parseIPv4, parseIPv6 } from '../packet/addr';

// The Toeplitz hash the Hyper-V vSwitch computes for RSS (NDIS_HASH_FUNC_TOEPLITZ), over the
// fields the driver programmed it with: IPv4/IPv6 addresses and, for TCP only, the ports.

/** A key prepared for hashing: the 32-bit window of the key at every bit offset. */
export class ToeplitzKey {
  /** windows[i] = key bits i..i+31 as an unsigned 32-bit value. */
  readonly windows: Uint32Array;
  constructor(readonly key: Uint8Array) {
    const nbits = key.length * 8;
    this.windows = new Uint32Array(Math.max(0, nbits - 31));
    for (let i = 0; i < this.windows.length; i++) {
      let w = 0;
      for (let b = 0; b < 32; b++) {
        const k = i + b;
        w = (w << 1) | ((key[k >> 3] >> (7 - (k & 7))) & 1);
      }
      this.windows[i] = w >>> 0;
    }
  }

  /** Hash `len` bytes of `data` starting at `off` (at most key length - 4 bytes). */
  hash(data: Uint8Array, off: number, len: number): number {
    const win = this.windows;
    let h = 0;
    for (let i = 0; i < len; i++) {
      const b = data[off + i];
      if (b === 0) continue;
      const base = i << 3;
      if (b & 0x80) h ^= win[base];
      if (b & 0x40) h ^= win[base + 1];
      if (b & 0x20) h ^= win[base + 2];
      if (b & 0x10) h ^= win[base + 3];
      if (b & 0x08) h ^= win[base + 4];
      if (b & 0x04) h ^= win[base + 5];
      if (b & 0x02) h ^= win[base + 6];
      if (b & 0x01) h ^= win[base + 7];
    }
    return h >>> 0;
  }

  /** Hash of a byte sequence assembled from pieces (addresses, ports), for tools and tests. */
  hashTuple(parts: readonly Uint8Array[]): number {
    let n = 0;
    for (const p of parts) n += p.length;
    const buf = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { buf.set(p, o); o += p.length; }
    return this.hash(buf, 0, n);
  }
}

/** Parses an IPv4 or IPv6 address text into its bytes; null if it is neither. */
export function parseIpAddress(text: string): Uint8Array | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
  return parseIPv6(text);
}

export function portBytes(port: number): Uint8Array {
  return Uint8Array.of(port >> 8, port & 0xff);
}
