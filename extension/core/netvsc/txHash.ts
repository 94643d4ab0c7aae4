// The guest's TX flow hash (netvsc_get_hash): the stack's flow hash (jhash over addresses and
// ports, like skb_get_hash) when the flow type's bit is set in l4_hash, else jhash2 over the
// addresses only. Both are seeded by a boot-time random value: here the device seed, so runs
// are reproducible. The values are the kernel's algorithm (lookup3 jhash), not its exact
// flow_keys layout, which no user can observe anyway (the seed is random per boot).

const rol = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** jhash2 (include/linux/jhash.h) over `length` 32-bit words of `k` from `off`. */
export function jhash2(k: Uint32Array | number[], off: number, length: number, initval: number): number {
  let a = (0xdeadbeef + (length << 2) + initval) | 0;
  let b = a;
  let c = a;
  let i = off;
  let n = length;
  while (n > 3) {
    a = (a + k[i]) | 0; b = (b + k[i + 1]) | 0; c = (c + k[i + 2]) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
    n -= 3; i += 3;
  }
  if (n > 0) {
    if (n === 3) c = (c + k[i + 2]) | 0;
    if (n >= 2) b = (b + k[i + 1]) | 0;
    a = (a + k[i]) | 0;
    // __jhash_final
    c ^= b; c = (c - rol(b, 14)) | 0;
    a ^= c; a = (a - rol(c, 11)) | 0;
    b ^= a; b = (b - rol(a, 25)) | 0;
    c ^= b; c = (c - rol(b, 16)) | 0;
    a ^= c; a = (a - rol(c, 4)) | 0;
    b ^= a; b = (b - rol(a, 14)) | 0;
    c ^= b; c = (c - rol(b, 24)) | 0;
  }
  return c >>> 0;
}
