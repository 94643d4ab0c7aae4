/**
 * Internet checksum (RFC 1071) and its uses: IPv4 header, TCP/UDP/ICMPv6 over the IPv4/IPv6
 * pseudo-header, ICMP, and the incremental update of RFC 1624 (what NAT and RSC rewrites use).
 *
 * API (all sums are plain numbers; nothing allocates)
 *   onesSum(buf, off, len, acc = 0)   32-bit accumulation of big-endian 16-bit words (odd tail padded)
 *   foldSum(sum)                      fold carries into 16 bits (not complemented)
 *   internetChecksum(buf, off, len, acc = 0)   ~fold(sum) & 0xffff: the value to store in a header
 *   ipv4HeaderChecksum(buf, l3Off)    checksum of the IPv4 header at l3Off (its checksum field taken as 0)
 *   pseudoHeaderSumV4(buf, srcOff, dstOff, proto, l4Len)   unfolded pseudo-header sum
 *   pseudoHeaderSumV6(buf, srcOff, dstOff, nextHeader, l4Len)
 *   l4Checksum(buf, l4Off, l4Len, pseudoSum, csumFieldOff)  checksum of an L4 segment with its checksum
 *       field taken as 0; for UDP a result of 0 is sent as 0xffff (RFC 768) by the caller via udpChecksumValue
 *   verifies(buf, off, len, acc = 0)  true when the ones' complement sum including the stored checksum is 0xffff
 *   incrementalUpdate16(check, oldWord, newWord)   RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
 *   incrementalUpdate32(check, oldLong, newLong)
 */

export function onesSum(buf: Uint8Array, off: number, len: number, acc = 0): number {
  let s = acc;
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (i < end) s += buf[i] << 8;
  // Fold periodically is unnecessary: 2^53 / 0xffff words is far beyond any packet.
  return s;
}

export function foldSum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

export function internetChecksum(buf: Uint8Array, off: number, len: number, acc = 0): number {
  return (~foldSum(onesSum(buf, off, len, acc))) & 0xffff;
}

/** Checksum of the IPv4 header at `l3Off`, computed as if its checksum field were 0. */
export function ipv4HeaderChecksum(buf: Uint8Array, l3Off: number): number {
  const ihl = (buf[l3Off] & 15) * 4;
  const s = onesSum(buf, l3Off, 10) + onesSum(buf, l3Off + 12, ihl - 12);
  return (~foldSum(s)) & 0xffff;
}

export function pseudoHeaderSumV4(buf: Uint8Array, srcOff: number, dstOff: number, proto: number, l4Len: number): number {
  return onesSum(buf, srcOff, 4) + onesSum(buf, dstOff, 4) + proto + l4Len;
}

export function pseudoHeaderSumV6(buf: Uint8Array, srcOff: number, dstOff: number, nextHeader: number, l4Len: number): number {
  return onesSum(buf, srcOff, 16) + onesSum(buf, dstOff, 16) + (l4Len >>> 16) + (l4Len & 0xffff) + nextHeader;
}

/** Checksum of `buf[l4Off, l4Off+l4Len)` plus `pseudoSum`, skipping the 2-byte field at `csumFieldOff`. */
export function l4Checksum(buf: Uint8Array, l4Off: number, l4Len: number, pseudoSum: number, csumFieldOff: number): number {
  const before = csumFieldOff - l4Off;
  let s = onesSum(buf, l4Off, before, pseudoSum);
  // The field starts on an even offset from l4Off for TCP (16), UDP (6), ICMP (2): word alignment holds.
  s = onesSum(buf, csumFieldOff + 2, l4Len - before - 2, s);
  return (~foldSum(s)) & 0xffff;
}

/** UDP transmits a computed checksum of 0 as 0xffff (0 means "no checksum"). */
export function udpChecksumValue(computed: number): number {
  return computed === 0 ? 0xffff : computed;
}

/** True when the data (including its stored checksum) sums to 0xffff: the receiver's check. */
export function verifies(buf: Uint8Array, off: number, len: number, acc = 0): boolean {
  return foldSum(onesSum(buf, off, len, acc)) === 0xffff;
}

/** RFC 1624 eqn. 3: new checksum after one 16-bit word of the covered data changes. */
export function incrementalUpdate16(check: number, oldWord: number, newWord: number): number {
  const s = ((~check) & 0xffff) + ((~oldWord) & 0xffff) + (newWord & 0xffff);
  return (~foldSum(s)) & 0xffff;
}

/** The same for a 32-bit field (an IPv4 address, a TCP sequence number). */
export function incrementalUpdate32(check: number, oldLong: number, newLong: number): number {
  const c = incrementalUpdate16(check, (oldLong >>> 16) & 0xffff, (newLong >>> 16) & 0xffff);
  return incrementalUpdate16(c, oldLong & 0xffff, newLong & 0xffff);
}
