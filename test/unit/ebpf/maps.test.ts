// Map semantics as the kernel defines them (kernel/bpf/arraymap.c, hashtab.c, lpm_trie.c,
// devmap.c): update flags and their errnos, stable value memory, LRU eviction, longest prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArrayMap, BPF_ANY, BPF_EXIST, BPF_NOEXIST, BpfMapError, createMap, E2BIG, EEXIST, EINVAL, ENOENT, ENOSPC, HashMap,
  LpmTrieMap,
} from '../../../extension/core/ebpf/maps';
import { BPF_F_NO_PREALLOC, type BpfMapDef } from '../../../extension/core/ebpf/program';
import { Memory } from '../../../extension/core/ebpf/memory';

function def(type: number, keySize: number, valueSize: number, maxEntries: number, extra: Partial<BpfMapDef> = {}): BpfMapDef {
  return { name: `m${type}`, type, keySize, valueSize, maxEntries, flags: 0, pinning: 0, numaNode: 0, mapExtra: 0, keyTypeId: 0, valueTypeId: 0, origin: '.maps', ...extra };
}
const u32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; };
const u64v = (n: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n), true); return b; };
const num = (b: Uint8Array | undefined) => (b ? Number(new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(0, true)) : undefined);

test('array: every key exists; NOEXIST is EEXIST, past max_entries is E2BIG, delete is EINVAL', () => {
  const m = createMap(def(2, 4, 8, 4), 0);
  assert.equal(num(m.lookup(u32(3))), 0);
  assert.equal(m.lookup(u32(4)), undefined);
  assert.equal(m.update(u32(1), u64v(7), BPF_ANY), 0);
  assert.equal(m.update(u32(1), u64v(8), BPF_EXIST), 0);
  assert.equal(m.update(u32(1), u64v(9), BPF_NOEXIST), -EEXIST);
  assert.equal(m.update(u32(4), u64v(9)), -E2BIG);
  assert.equal(m.update(u32(0), u64v(9), 3), -EINVAL);
  assert.equal(m.delete(u32(1)), -EINVAL);
  assert.equal(num(m.lookup(u32(1))), 8);
  assert.equal(m.keys().length, 4);
  // The global-data view is key 0's value, and writes through it are the map's.
  m.directValue()!.bytes[0] = 0x2a;
  assert.equal(num(m.lookup(u32(0))), 0x2a);
});

test('percpu array: one value per CPU, the program sees its CPU\'s copy', () => {
  const m = createMap(def(6, 4, 4, 2), 0, { ncpus: 4 });
  const vals = [u32(10), u32(11), u32(12), u32(13)];
  assert.equal(m.update(u32(1), vals), 0);
  assert.deepEqual(m.lookupAllCpus(u32(1))!.map((v) => v[0]), [10, 11, 12, 13]);
  const o = m.lookupOffset(u32(1), 0, 2);
  assert.equal(m.values[o], 12);
  // The update of one CPU's value from a program leaves the others alone.
  assert.equal(m.updateFrom(u32(1), 0, u32(99), 0, BPF_ANY, 3), 0);
  assert.deepEqual(m.lookupAllCpus(u32(1))!.map((v) => v[0]), [10, 11, 12, 99]);
});

test('hash: EXIST on a missing key is ENOENT, NOEXIST on a present one EEXIST, full is E2BIG', () => {
  const m = createMap(def(1, 4, 8, 2), 0) as HashMap;
  assert.equal(m.update(u32(5), u64v(1), BPF_EXIST), -ENOENT);
  assert.equal(m.update(u32(5), u64v(1), BPF_NOEXIST), 0);
  assert.equal(m.update(u32(5), u64v(2), BPF_NOEXIST), -EEXIST);
  assert.equal(m.update(u32(6), u64v(3)), 0);
  assert.equal(m.update(u32(7), u64v(4)), -E2BIG);
  assert.equal(m.update(u32(5), u64v(5), BPF_EXIST), 0); // replacing needs no free slot
  assert.equal(m.delete(u32(9)), -ENOENT);
  assert.equal(m.delete(u32(6)), 0);
  assert.equal(m.update(u32(7), u64v(4)), 0);
  assert.deepEqual(m.keys().map((k) => k[0]).sort(), [5, 7]);
  assert.equal(num(m.lookup(u32(5))), 5);
});

test('hash values stay at their address while other keys come and go (pointers the program holds stay valid)', () => {
  const m = createMap(def(1, 4, 8, 80), 0) as HashMap;
  m.update(u32(1), u64v(111));
  const off = m.lookupOffset(u32(1), 0, 0);
  for (let i = 2; i < 60; i++) m.update(u32(i), u64v(i));
  for (let i = 2; i < 60; i += 2) m.delete(u32(i));
  for (let i = 100; i < 120; i++) m.update(u32(i), u64v(i));
  assert.equal(m.lookupOffset(u32(1), 0, 0), off);
  assert.equal(num(m.values.subarray(off, off + 8)), 111);
  // Many deletes and inserts (tombstones) still find every key.
  for (let round = 0; round < 50; round++) {
    for (let i = 200; i < 230; i++) assert.equal(m.update(u32(i), u64v(i + round)), 0);
    for (let i = 200; i < 230; i++) assert.equal(num(m.lookup(u32(i))), i + round);
    for (let i = 200; i < 230; i++) assert.equal(m.delete(u32(i)), 0);
  }
  assert.equal(m.count, 1 + 29 + 20);
});

test('lru hash: a full map evicts the least recently used key; lookups refresh', () => {
  const m = createMap(def(9, 4, 8, 3), 0) as HashMap;
  m.update(u32(1), u64v(1)); m.update(u32(2), u64v(2)); m.update(u32(3), u64v(3));
  m.lookupOffset(u32(1), 0, 0); // 1 is now the most recent; 2 the least
  assert.equal(m.update(u32(4), u64v(4)), 0);
  assert.equal(m.lookup(u32(2)), undefined);
  assert.deepEqual(m.lruOrder().map((k) => k[0]), [4, 1, 3]);
  assert.equal(m.update(u32(5), u64v(5)), 0); // evicts 3
  assert.deepEqual(m.keys().map((k) => k[0]).sort(), [1, 4, 5]);
});

test('lpm trie: kernel key layout {u32 prefixlen; data}, longest match, EINVAL/ENOSPC', () => {
  assert.throws(() => createMap(def(11, 8, 4, 4), 0), /lpm_trie needs map_flags BPF_F_NO_PREALLOC/);
  const m = createMap(def(11, 8, 4, 3, { flags: BPF_F_NO_PREALLOC }), 0) as LpmTrieMap;
  const key = (plen: number, a: number, b: number, c: number, d: number) => Uint8Array.of(plen, 0, 0, 0, a, b, c, d);
  assert.equal(m.update(key(8, 10, 9, 9, 9), u32(8)), 0); // 10.0.0.0/8 (host bits ignored)
  assert.equal(m.update(key(24, 10, 1, 2, 0), u32(24)), 0);
  assert.equal(m.update(key(32, 10, 1, 2, 3), u32(32)), 0);
  assert.equal(m.update(key(16, 10, 1, 0, 0), u32(16)), -ENOSPC);
  assert.equal(m.update(key(33, 10, 1, 2, 3), u32(1)), -EINVAL);
  assert.equal(m.update(key(24, 10, 1, 2, 99), u32(1), BPF_NOEXIST), -EEXIST);
  const hit = (a: number, b: number, c: number, d: number, plen = 32) => m.lookup(key(plen, a, b, c, d))?.[0];
  assert.equal(hit(10, 1, 2, 3), 32);
  assert.equal(hit(10, 1, 2, 4), 24);
  assert.equal(hit(10, 7, 7, 7), 8);
  assert.equal(hit(11, 1, 2, 3), undefined);
  assert.equal(hit(10, 1, 2, 3, 24), 24); // a shorter lookup prefix cannot match the /32
  assert.equal(m.delete(key(24, 10, 1, 2, 0)), 0);
  assert.equal(hit(10, 1, 2, 4), 8);
  assert.equal(m.delete(key(24, 10, 1, 2, 0)), -ENOENT);
});

test('devmap / cpumap / xskmap / prog_array: sparse arrays; redirect maps read back their values', () => {
  const dev = createMap(def(14, 4, 4, 8), 0) as ArrayMap;
  assert.equal(dev.lookup(u32(2)), undefined);
  assert.equal(dev.update(u32(2), u32(7)), 0);
  assert.equal(dev.slotU32(2), 7);
  assert.equal(dev.update(u32(2), u32(7), BPF_NOEXIST), -EEXIST);
  assert.equal(dev.update(u32(8), u32(7)), -E2BIG);
  assert.equal(dev.delete(u32(2)), 0);
  assert.equal(dev.slotU32(2), undefined);
  assert.throws(() => createMap(def(14, 4, 12, 8), 0), /devmap value_size 12 is invalid/);
  // With a device table, an unknown ifindex is EINVAL (the kernel checks dev_get_by_index).
  const known = createMap(def(14, 4, 4, 8), 0, { deviceExists: (i) => i === 1 || i === 7 });
  assert.equal(known.update(u32(0), u32(7)), 0);
  assert.equal(known.update(u32(0), u32(99999)), -EINVAL);
  const progs = createMap(def(3, 4, 4, 4), 0) as ArrayMap;
  const fake = { insns: new Uint8Array(16), maps: [] };
  assert.equal(progs.setProgram(1, fake), 0);
  assert.equal(progs.programs[1], fake);
  assert.equal(progs.setProgram(4, fake), -E2BIG);
  assert.equal(progs.delete(u32(1)), 0);
  assert.equal(progs.delete(u32(1)), -ENOENT);
});

test('map creation refuses bogus shapes without allocating them', () => {
  assert.throws(() => createMap(def(2, 4, 8, 0xffffffff), 0), (e: unknown) => e instanceof BpfMapError && /need \d+ bytes, more than the 268435456/.test((e as Error).message));
  assert.throws(() => createMap(def(2, 8, 8, 4), 0), /array needs key_size 4, got 8/);
  assert.throws(() => createMap(def(27, 0, 0, 4096), 0), /map type 27 \(ringbuf\) is not supported/);
  assert.throws(() => createMap(def(1, 4, 8, 0), 0), /max_entries is 0/);
});

test('a map registers its value memory once per machine, read-only for .rodata', () => {
  const mem = new Memory();
  const rw = createMap(def(2, 4, 8, 2), 0);
  const ro = createMap(def(2, 4, 8, 1, { flags: 0x80 }), 1);
  const a = rw.regionIn(mem), b = ro.regionIn(mem);
  assert.equal(rw.regionIn(mem), a);
  assert.notEqual(a, b);
  assert.equal(mem.resolve(a, 8, 0, 8, true), a);
  assert.equal(mem.resolve(b, 0, 0, 8, false), b);
  assert.equal(mem.resolve(b, 0, 0, 8, true), -1);
});

test('formatting falls back to numbers and hex without BTF', () => {
  const m = createMap(def(2, 4, 4, 4), 0);
  assert.equal(m.formatKey(u32(3)), '3');
  assert.equal(m.formatValue(Uint8Array.of(1, 2, 0xab, 0)), '01 02 ab 00');
});
