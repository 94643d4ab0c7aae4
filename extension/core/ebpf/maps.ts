// BPF maps with the kernel's semantics: update flags and their errnos, preallocated value memory
// that stays put (a lookup returns a stable offset the VM turns into a pointer), LRU eviction,
// longest-prefix match, and the redirect/tail-call maps. The same objects serve the program
// (helpers, hot path: no allocation) and the outside (tree view, debugger, CLI).
import type { Btf, BtfValueNode } from './btf';
import type { Memory } from './memory';
import { BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BpfMapType, MAP_TYPE_NAMES, type BpfMapDef } from './program';
import type { VmMapRef, VmProgram } from './vm';

export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

export const EPERM = 1;
export const ENOENT = 2;
export const E2BIG = 7;
export const ENOMEM = 12;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ENOTSUPP = 524;

/** Map-creation problems (bad sizes, unsupported type): a load-time error naming the map. */
export class BpfMapError extends Error {
  constructor(message: string) { super(message); this.name = 'BpfMapError'; }
}

/** Value memory a map may preallocate; a bogus max_entries must not take the machine. */
export const MAX_MAP_MEMORY = 256 * 1024 * 1024;

export interface MapOptions {
  /** CPUs for per-CPU maps (default 1): each key has one value per CPU. */
  ncpus?: number;
  btf?: Btf;
  /**
   * Whether a network device exists: devmap updates naming another ifindex fail with EINVAL, as
   * the kernel's __dev_map_alloc_node does. Without it every ifindex is accepted.
   */
  deviceExists?: (ifindex: number) => boolean;
}

export interface MapEntry {
  key: Uint8Array;
  /** One value per CPU for per-CPU maps, else one. Copies. */
  values: Uint8Array[];
}

const round8 = (n: number): number => (n + 7) & ~7;

/** Base of every map: identity, shape, value arena and its VM region. */
export abstract class BpfMap implements VmMapRef {
  readonly index: number;
  readonly type: number;
  readonly name: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly ncpus: number;
  readonly btf?: Btf;
  /** Value memory: slot s, cpu c at `(s * ncpus + c) * valueStride`. Never reallocated. */
  readonly values: Uint8Array;
  readonly valueStride: number;
  /** Bumped on every change (from the program or outside), for views that refresh. */
  generation = 0;
  private readonly regions = new WeakMap<Memory, number>();

  constructor(readonly def: BpfMapDef, index: number, opts: MapOptions, slots: number, perCpu: boolean) {
    this.index = index;
    this.type = def.type; this.name = def.name; this.keySize = def.keySize; this.valueSize = def.valueSize;
    this.maxEntries = def.maxEntries; this.btf = opts.btf;
    // dev_map_init_map / cpu_map_alloc: programs may only read these maps (a lookup points at the
    // ifindex or queue size), so the kernel adds BPF_F_RDONLY_PROG at creation.
    const progReadOnly = def.type === BpfMapType.DEVMAP || def.type === BpfMapType.DEVMAP_HASH || def.type === BpfMapType.CPUMAP;
    this.flags = def.flags | (progReadOnly ? BPF_F_RDONLY_PROG : 0);
    this.ncpus = perCpu ? Math.max(1, opts.ncpus ?? 1) : 1;
    this.valueStride = perCpu ? round8(def.valueSize) : def.valueSize;
    const bytes = slots * this.ncpus * this.valueStride;
    if (!Number.isSafeInteger(bytes) || bytes > MAX_MAP_MEMORY) {
      throw new BpfMapError(`map '${def.name}': ${def.maxEntries} entries of ${def.valueSize} bytes need ${bytes} bytes, more than the ${MAX_MAP_MEMORY} the emulator preallocates`);
    }
    this.values = new Uint8Array(bytes);
  }

  get typeName(): string { return MAP_TYPE_NAMES[this.type] ?? `type ${this.type}`; }
  get perCpu(): boolean { return this.ncpus > 1 || this.type === BpfMapType.PERCPU_ARRAY || this.type === BpfMapType.PERCPU_HASH || this.type === BpfMapType.LRU_PERCPU_HASH; }
  /** Programs may not write values (.rodata: BPF_F_RDONLY_PROG). */
  get readOnlyForProgram(): boolean { return (this.flags & BPF_F_RDONLY_PROG) !== 0; }

  /** The VM region id of `values` in a machine's memory (added on first use). */
  regionIn(memory: Memory): number {
    let id = this.regions.get(memory);
    if (id === undefined) {
      id = memory.addRegion(this.name, this.values, !this.readOnlyForProgram);
      memory.markStatic();
      this.regions.set(memory, id);
    }
    return id;
  }

  /** Byte offset in `values` of the element for `key` (bytes at key[keyOff..]) on `cpu`, or -1. Hot path. */
  abstract lookupOffset(key: Uint8Array, keyOff: number, cpu: number): number;
  /** bpf_map_update_elem from a program (value for the current CPU). Returns 0 or -errno. */
  abstract updateFrom(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number, cpu: number): number;
  /** bpf_map_delete_elem. Returns 0 or -errno. */
  abstract deleteFrom(key: Uint8Array, keyOff: number): number;
  /** Keys in iteration order (copies). */
  abstract keys(): Uint8Array[];
  /** Empties the map (arrays: zero values). */
  abstract clear(): void;

  // -- the outside API ------------------------------------------------------------------------

  /** The value for `key` on `cpu` (a view into map memory), or undefined. */
  lookup(key: Uint8Array, cpu = 0): Uint8Array | undefined {
    this.checkKey(key);
    const o = this.lookupOffset(key, 0, cpu);
    return o < 0 ? undefined : this.values.subarray(o, o + this.valueSize);
  }

  /** All CPUs' values for `key` (copies), or undefined. */
  lookupAllCpus(key: Uint8Array): Uint8Array[] | undefined {
    this.checkKey(key);
    const o0 = this.lookupOffset(key, 0, 0);
    if (o0 < 0) return undefined;
    const out: Uint8Array[] = [];
    for (let c = 0; c < this.ncpus; c++) { const o = o0 + c * this.valueStride; out.push(this.values.slice(o, o + this.valueSize)); }
    return out;
  }

  /** bpf(BPF_MAP_UPDATE_ELEM) from user space: for per-CPU maps one value per CPU (or one for all). */
  update(key: Uint8Array, value: Uint8Array | Uint8Array[], flags = BPF_ANY): number {
    this.checkKey(key);
    const vals = Array.isArray(value) ? value : [value];
    for (const v of vals) if (v.length !== this.valueSize) throw new BpfMapError(`map '${this.name}': value is ${v.length} bytes, value_size is ${this.valueSize}`);
    const r = this.updateFrom(key, 0, vals[0], 0, flags, 0);
    if (r < 0 || this.ncpus === 1) return r;
    const o0 = this.lookupOffset(key, 0, 0);
    for (let c = 0; c < this.ncpus; c++) this.values.set(vals[Math.min(c, vals.length - 1)], o0 + c * this.valueStride);
    return 0;
  }

  delete(key: Uint8Array): number { this.checkKey(key); return this.deleteFrom(key, 0); }

  entries(): MapEntry[] {
    return this.keys().map((key) => ({ key, values: this.lookupAllCpus(key)! }));
  }

  /** `key` and `value` rendered with BTF when the object has it, else as hex bytes. */
  formatKey(key: Uint8Array): string {
    // Array-shaped maps without key BTF (global data, legacy maps) are indexed by a u32.
    if (!this.def.keyTypeId && this.keySize === 4 && this instanceof ArrayMap) return String(keyU32(key, 0));
    return this.render(this.def.keyTypeId, key);
  }
  formatValue(value: Uint8Array): string { return this.render(this.def.valueTypeId, value); }

  /** Field-by-field trees for a tree view or the debugger's variables (undefined without BTF). */
  describeKey(key: Uint8Array): BtfValueNode | undefined { return this.describe(this.def.keyTypeId, key, 'key'); }
  describeValue(value: Uint8Array): BtfValueNode | undefined { return this.describe(this.def.valueTypeId, value, 'value'); }

  private describe(typeId: number, bytes: Uint8Array, name: string): BtfValueNode | undefined {
    if (!this.btf || !typeId) return undefined;
    try { return this.btf.describe(typeId, bytes, 0, name); } catch { return undefined; }
  }

  private render(typeId: number, bytes: Uint8Array): string {
    if (this.btf && typeId) {
      try { return this.btf.format(typeId, bytes); } catch { /* fall back to hex */ }
    }
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  }

  protected checkKey(key: Uint8Array): void {
    if (key.length !== this.keySize) throw new BpfMapError(`map '${this.name}': key is ${key.length} bytes, key_size is ${this.keySize}`);
  }

  protected touched(): void { this.generation++; }

  /** For array maps (and global data): the value of key 0, addressable by `lddw` src_reg 2. */
  directValue(): { bytes: Uint8Array; writable: boolean } | undefined { return undefined; }
}

const keyU32 = (key: Uint8Array, off: number): number => (key[off] | (key[off + 1] << 8) | (key[off + 2] << 16) | (key[off + 3] << 24)) >>> 0;

/**
 * BPF_MAP_TYPE_ARRAY / PERCPU_ARRAY, and (with `sparse`) the array-shaped redirect maps whose
 * slots may be empty: DEVMAP, CPUMAP, XSKMAP, PROG_ARRAY.
 */
export class ArrayMap extends BpfMap {
  /** For sparse maps: 1 where the slot holds an element. */
  readonly present: Uint8Array;
  /** prog_array slots. */
  readonly programs: (VmProgram | undefined)[] = [];

  private readonly deviceExists?: (ifindex: number) => boolean;

  constructor(def: BpfMapDef, index: number, opts: MapOptions, readonly sparse: boolean) {
    super(def, index, opts, def.maxEntries, def.type === BpfMapType.PERCPU_ARRAY);
    if (def.type === BpfMapType.DEVMAP) this.deviceExists = opts.deviceExists;
    this.present = new Uint8Array(sparse ? def.maxEntries : 0);
    if (def.initialValue) this.values.set(def.initialValue.subarray(0, this.valueSize));
  }

  lookupOffset(key: Uint8Array, keyOff: number, cpu: number): number {
    const i = keyU32(key, keyOff);
    if (i >= this.maxEntries || (this.sparse && !this.present[i])) return -1;
    return (i * this.ncpus + (cpu < this.ncpus ? cpu : 0)) * this.valueStride;
  }

  updateFrom(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number, cpu: number): number {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
    const i = keyU32(key, keyOff);
    if (i >= this.maxEntries) return -E2BIG;
    if (this.sparse) {
      // dev_map_update_elem / cpu_map_update_elem: slots always "exist".
      if (flags === BPF_NOEXIST) return -EEXIST;
      if (this.deviceExists && !this.deviceExists(keyU32(value, valueOff))) return -EINVAL;
      this.present[i] = 1;
    } else if (flags === BPF_NOEXIST) return -EEXIST;
    const o = (i * this.ncpus + (cpu < this.ncpus ? cpu : 0)) * this.valueStride;
    this.values.set(value.subarray(valueOff, valueOff + this.valueSize), o);
    this.touched();
    return 0;
  }

  deleteFrom(key: Uint8Array, keyOff: number): number {
    if (!this.sparse) return -EINVAL;
    const i = keyU32(key, keyOff);
    if (i >= this.maxEntries) return -EINVAL;
    if (!this.present[i]) return this.type === BpfMapType.PROG_ARRAY ? -ENOENT : 0;
    this.present[i] = 0;
    this.programs[i] = undefined;
    this.values.fill(0, i * this.valueStride * this.ncpus, (i + 1) * this.valueStride * this.ncpus);
    this.touched();
    return 0;
  }

  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.maxEntries; i++) {
      if (this.sparse && !this.present[i]) continue;
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, i, true);
      out.push(k);
    }
    return out;
  }

  clear(): void {
    this.values.fill(0); this.present.fill(0); this.programs.length = 0;
    if (this.def.initialValue && !this.sparse) this.values.set(this.def.initialValue.subarray(0, this.valueSize));
    this.touched();
  }

  /** prog_array: puts a program in slot `i` (what `bpftool map update ... value pinned PROG` does). */
  setProgram(i: number, prog: VmProgram | undefined): number {
    if (this.type !== BpfMapType.PROG_ARRAY) return -EINVAL;
    if (i >= this.maxEntries) return -E2BIG;
    this.programs[i] = prog;
    this.present[i] = prog ? 1 : 0;
    this.touched();
    return 0;
  }

  /** The element at index `i` as a number (devmap ifindex, cpumap qsize, xskmap fd), or undefined if empty. */
  slotU32(i: number): number | undefined {
    if (i >= this.maxEntries || (this.sparse && !this.present[i])) return undefined;
    const o = i * this.valueStride;
    return keyU32(this.values, o);
  }

  override directValue(): { bytes: Uint8Array; writable: boolean } | undefined {
    if (this.type !== BpfMapType.ARRAY || this.sparse) return undefined;
    return { bytes: this.values.subarray(0, this.valueSize), writable: !this.readOnlyForProgram };
  }
}

/** Open-addressing index over fixed slots: hash of the key bytes -> slot. No per-operation allocation. */
class SlotIndex {
  /** slot + 1; 0 empty, -1 deleted. */
  private buckets: Int32Array;
  private mask: number;
  private tombstones = 0;

  constructor(private readonly keys: Uint8Array, private readonly keySize: number, slots: number) {
    let n = 8;
    while (n < slots * 2) n *= 2;
    this.buckets = new Int32Array(n);
    this.mask = n - 1;
  }

  private hash(key: Uint8Array, off: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < this.keySize; i++) h = Math.imul(h ^ key[off + i], 0x01000193);
    return (h ^ (h >>> 15)) >>> 0;
  }

  private equal(slot: number, key: Uint8Array, off: number): boolean {
    const base = slot * this.keySize;
    for (let i = 0; i < this.keySize; i++) if (this.keys[base + i] !== key[off + i]) return false;
    return true;
  }

  find(key: Uint8Array, off: number): number {
    const b = this.buckets, m = this.mask;
    for (let i = this.hash(key, off) & m, n = 0; n <= m; i = (i + 1) & m, n++) {
      const v = b[i];
      if (v === 0) return -1;
      if (v > 0 && this.equal(v - 1, key, off)) return v - 1;
    }
    return -1;
  }

  /** Adds a slot whose key bytes are already stored in `keys`. */
  insert(slot: number): void {
    const b = this.buckets, m = this.mask;
    for (let i = this.hash(this.keys, slot * this.keySize) & m; ; i = (i + 1) & m) {
      if (b[i] <= 0) { if (b[i] < 0) this.tombstones--; b[i] = slot + 1; return; }
    }
  }

  remove(slot: number): void {
    const b = this.buckets, m = this.mask;
    for (let i = this.hash(this.keys, slot * this.keySize) & m, n = 0; n <= m; i = (i + 1) & m, n++) {
      if (b[i] === 0) return;
      if (b[i] === slot + 1) {
        b[i] = -1;
        if (++this.tombstones > (m + 1) / 4) this.rebuild();
        return;
      }
    }
  }

  private rebuild(): void {
    const old = this.buckets;
    this.buckets = new Int32Array(old.length);
    this.tombstones = 0;
    for (const v of old) if (v > 0) this.insert(v - 1);
  }

  clear(): void { this.buckets.fill(0); this.tombstones = 0; }
}

/** BPF_MAP_TYPE_HASH / PERCPU_HASH / LRU_HASH / LRU_PERCPU_HASH / DEVMAP_HASH. */
export class HashMap extends BpfMap {
  readonly keyStore: Uint8Array;
  readonly used: Uint8Array;
  readonly lru: boolean;
  private readonly index_: SlotIndex;
  private readonly freeList: Int32Array;
  private freeTop: number;
  // LRU list: most recently used at head.
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;
  count = 0;

  constructor(def: BpfMapDef, index: number, opts: MapOptions) {
    const perCpu = def.type === BpfMapType.PERCPU_HASH || def.type === BpfMapType.LRU_PERCPU_HASH;
    super(def, index, opts, def.maxEntries, perCpu);
    this.lru = def.type === BpfMapType.LRU_HASH || def.type === BpfMapType.LRU_PERCPU_HASH;
    const n = def.maxEntries;
    if (n * def.keySize > MAX_MAP_MEMORY) throw new BpfMapError(`map '${def.name}': ${n} keys of ${def.keySize} bytes are too many to preallocate`);
    this.keyStore = new Uint8Array(n * def.keySize);
    this.used = new Uint8Array(n);
    this.index_ = new SlotIndex(this.keyStore, def.keySize, n);
    this.freeList = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeList[i] = n - 1 - i;
    this.freeTop = n;
    this.prev = new Int32Array(this.lru ? n : 0).fill(-1);
    this.next = new Int32Array(this.lru ? n : 0).fill(-1);
  }

  private valueOffset(slot: number, cpu: number): number {
    return (slot * this.ncpus + (cpu < this.ncpus ? cpu : 0)) * this.valueStride;
  }

  lookupOffset(key: Uint8Array, keyOff: number, cpu: number): number {
    const s = this.index_.find(key, keyOff);
    if (s < 0) return -1;
    if (this.lru) this.toFront(s);
    return this.valueOffset(s, cpu);
  }

  /** The slot of a key without touching LRU order. */
  slotOf(key: Uint8Array): number { return this.index_.find(key, 0); }

  updateFrom(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number, cpu: number): number {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
    let s = this.index_.find(key, keyOff);
    if (s >= 0) {
      if (flags === BPF_NOEXIST) return -EEXIST;
    } else {
      if (flags === BPF_EXIST) return -ENOENT;
      if (this.freeTop === 0) {
        if (!this.lru || this.tail < 0) return -E2BIG;
        this.removeSlot(this.tail);
      }
      s = this.freeList[--this.freeTop];
      this.keyStore.set(key.subarray(keyOff, keyOff + this.keySize), s * this.keySize);
      this.used[s] = 1;
      this.index_.insert(s);
      this.count++;
      // A new element's other CPUs start at zero.
      this.values.fill(0, this.valueOffset(s, 0), this.valueOffset(s, 0) + this.ncpus * this.valueStride);
    }
    this.values.set(value.subarray(valueOff, valueOff + this.valueSize), this.valueOffset(s, cpu));
    if (this.lru) this.toFront(s);
    this.touched();
    return 0;
  }

  deleteFrom(key: Uint8Array, keyOff: number): number {
    const s = this.index_.find(key, keyOff);
    if (s < 0) return -ENOENT;
    this.removeSlot(s);
    this.touched();
    return 0;
  }

  private removeSlot(s: number): void {
    this.index_.remove(s);
    this.used[s] = 0;
    this.freeList[this.freeTop++] = s;
    this.count--;
    if (this.lru) this.unlink(s);
  }

  private unlink(s: number): void {
    const p = this.prev[s], n = this.next[s];
    if (p >= 0) this.next[p] = n; else if (this.head === s) this.head = n;
    if (n >= 0) this.prev[n] = p; else if (this.tail === s) this.tail = p;
    this.prev[s] = -1; this.next[s] = -1;
  }

  private toFront(s: number): void {
    if (this.head === s) return;
    if (this.prev[s] !== -1 || this.next[s] !== -1 || this.tail === s) this.unlink(s);
    this.prev[s] = -1; this.next[s] = this.head;
    if (this.head >= 0) this.prev[this.head] = s;
    this.head = s;
    if (this.tail < 0) this.tail = s;
  }

  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let s = 0; s < this.maxEntries; s++) if (this.used[s]) out.push(this.keyStore.slice(s * this.keySize, (s + 1) * this.keySize));
    return out;
  }

  /** Keys from most to least recently used (LRU maps). */
  lruOrder(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let s = this.head, n = 0; s >= 0 && n < this.maxEntries; s = this.next[s], n++) out.push(this.keyStore.slice(s * this.keySize, (s + 1) * this.keySize));
    return out;
  }

  clear(): void {
    this.index_.clear(); this.used.fill(0); this.values.fill(0);
    for (let i = 0; i < this.maxEntries; i++) this.freeList[i] = this.maxEntries - 1 - i;
    this.freeTop = this.maxEntries; this.count = 0; this.head = this.tail = -1;
    if (this.lru) { this.prev.fill(-1); this.next.fill(-1); }
    this.touched();
  }
}

/**
 * BPF_MAP_TYPE_LPM_TRIE: keys are `struct bpf_lpm_trie_key { __u32 prefixlen; __u8 data[]; }`.
 * Elements are kept by (prefixlen, data masked to prefixlen) in a hash; a lookup tries the prefix
 * lengths in use from the longest that fits the key's prefixlen down.
 */
export class LpmTrieMap extends HashMap {
  readonly maxPrefixLen: number;
  private readonly plenCount: Int32Array;
  private readonly scratch: Uint8Array;

  constructor(def: BpfMapDef, index: number, opts: MapOptions) {
    if (def.keySize <= 4 || def.keySize > 4 + 256) throw new BpfMapError(`map '${def.name}': lpm_trie key_size ${def.keySize} must be 5..260 (u32 prefixlen + data)`);
    if (!(def.flags & BPF_F_NO_PREALLOC)) throw new BpfMapError(`map '${def.name}': lpm_trie needs map_flags BPF_F_NO_PREALLOC (the kernel returns EINVAL)`);
    super(def, index, opts);
    this.maxPrefixLen = (def.keySize - 4) * 8;
    this.plenCount = new Int32Array(this.maxPrefixLen + 1);
    this.scratch = new Uint8Array(def.keySize);
  }

  /** Writes the canonical key (prefixlen, data masked to it) into scratch. */
  private canonical(key: Uint8Array, keyOff: number, plen: number): Uint8Array {
    const k = this.scratch;
    k[0] = plen & 0xff; k[1] = (plen >>> 8) & 0xff; k[2] = (plen >>> 16) & 0xff; k[3] = plen >>> 24;
    const n = this.keySize - 4;
    for (let i = 0; i < n; i++) {
      const bitsLeft = plen - i * 8;
      const mask = bitsLeft >= 8 ? 0xff : bitsLeft <= 0 ? 0 : (0xff00 >> bitsLeft) & 0xff;
      k[4 + i] = key[keyOff + 4 + i] & mask;
    }
    return k;
  }

  override lookupOffset(key: Uint8Array, keyOff: number, cpu: number): number {
    const want = keyU32(key, keyOff);
    for (let plen = Math.min(want, this.maxPrefixLen); plen >= 0; plen--) {
      if (!this.plenCount[plen]) continue;
      const o = super.lookupOffset(this.canonical(key, keyOff, plen), 0, cpu);
      if (o >= 0) return o;
    }
    return -1;
  }

  override updateFrom(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: number, cpu: number): number {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
    const plen = keyU32(key, keyOff);
    if (plen > this.maxPrefixLen) return -EINVAL;
    const k = this.canonical(key, keyOff, plen);
    const exists = this.slotOf(k) >= 0;
    if (exists && flags === BPF_NOEXIST) return -EEXIST;
    if (!exists && flags === BPF_EXIST) return -ENOENT;
    // trie_update_elem: a full trie is ENOSPC (a hash says E2BIG).
    if (!exists && this.count >= this.maxEntries) return -ENOSPC;
    const r = super.updateFrom(k, 0, value, valueOff, BPF_ANY, cpu);
    if (r === 0 && !exists) this.plenCount[plen]++;
    return r;
  }

  override deleteFrom(key: Uint8Array, keyOff: number): number {
    const plen = keyU32(key, keyOff);
    if (plen > this.maxPrefixLen) return -EINVAL;
    const r = super.deleteFrom(this.canonical(key, keyOff, plen), 0);
    if (r === 0) this.plenCount[plen]--;
    return r;
  }

  override lookup(key: Uint8Array, cpu = 0): Uint8Array | undefined { return super.lookup(key, cpu); }
  override clear(): void { super.clear(); this.plenCount?.fill(0); }
}

/** Creates the map for a definition (the loader's BpfMapDef), as BPF_MAP_CREATE would. */
export function createMap(def: BpfMapDef, index: number, opts: MapOptions = {}): BpfMap {
  const where = `map '${def.name}'`;
  if (def.maxEntries === 0) throw new BpfMapError(`${where}: max_entries is 0`);
  const needKey = (n: number) => { if (def.keySize !== n) throw new BpfMapError(`${where}: ${MAP_TYPE_NAMES[def.type]} needs key_size ${n}, got ${def.keySize}`); };
  switch (def.type) {
    case BpfMapType.ARRAY: case BpfMapType.PERCPU_ARRAY:
      needKey(4);
      if (def.valueSize === 0) throw new BpfMapError(`${where}: value_size is 0`);
      return new ArrayMap(def, index, opts, false);
    case BpfMapType.DEVMAP: case BpfMapType.CPUMAP: case BpfMapType.XSKMAP: case BpfMapType.PROG_ARRAY:
      needKey(4);
      if (def.type === BpfMapType.PROG_ARRAY || def.type === BpfMapType.XSKMAP ? def.valueSize !== 4 : def.valueSize !== 4 && def.valueSize !== 8) {
        throw new BpfMapError(`${where}: ${MAP_TYPE_NAMES[def.type]} value_size ${def.valueSize} is invalid`);
      }
      return new ArrayMap(def, index, opts, true);
    case BpfMapType.HASH: case BpfMapType.PERCPU_HASH: case BpfMapType.LRU_HASH: case BpfMapType.LRU_PERCPU_HASH:
    case BpfMapType.DEVMAP_HASH:
      if (def.keySize === 0 || def.valueSize === 0) throw new BpfMapError(`${where}: key_size and value_size must be non-zero`);
      return new HashMap(def, index, opts);
    case BpfMapType.LPM_TRIE:
      return new LpmTrieMap(def, index, opts);
    default:
      throw new BpfMapError(`${where}: map type ${def.type} (${MAP_TYPE_NAMES[def.type] ?? 'unknown'}) is not supported by the emulator`);
  }
}

/** All maps of an object, numbered as the program's `lddw`s name them. */
export function createMaps(defs: readonly BpfMapDef[], opts: MapOptions = {}): BpfMap[] {
  return defs.map((d, i) => createMap(d, i, opts));
}
