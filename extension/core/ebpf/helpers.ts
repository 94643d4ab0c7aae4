// The helpers an XDP program calls, with the kernel's argument checks, limits and return values
// (net/core/filter.c, kernel/bpf/helpers.c, kernel/trace/bpf_trace.c). Ids are the uapi ones.
import { FibTable, FIB_LOOKUP_SIZE } from './fib';
import { helperName } from './helperNames';
import { ArrayMap, BpfMap, EINVAL, ENOENT } from './maps';
import { SKB_SHARED_INFO_SIZE, type XdpPacket } from './memory';
import { formatPrintk, type PrintkArg } from './printk';
import { BpfMapType } from './program';
import type { HelperContext, HelperDef, HelperTable, VmProgram } from './vm';

export const ETH_HLEN = 14;
/** sizeof(struct xdp_frame) on x86-64: the part of the headroom adjust_head/meta may not use. */
export const XDP_FRAME_SIZE_STRUCT = 40;
/**
 * xdp_metalen_invalid(): metadata is a multiple of 4 and fits skb_shared_info.meta_len (a u8) —
 * 255 on current kernels (it was 32 before 6.x); the kernel differential test pins this.
 */
export const XDP_META_MAX = 255;
const EFAULT = 14;
const EACCES = 13;

export const XDP_ABORTED = 0;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;
export const XDP_REDIRECT = 4;
export const XDP_ACTION_NAMES = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

const BPF_F_BROADCAST = 1 << 3;
const BPF_F_EXCLUDE_INGRESS = 1 << 4;

/** Where XDP_REDIRECT would send the frame (bpf_redirect_info). */
export interface XdpRedirect {
  kind: 'ifindex' | 'devmap' | 'devmap_hash' | 'cpumap' | 'xskmap' | 'broadcast';
  /** bpf_redirect's ifindex, or the map key. */
  target: number;
  map?: string;
  /** The devmap's ifindex / cpumap's qsize / xskmap's value at that key. */
  value?: number;
}

/** Per-machine helper state the runner reads after a run. */
export class HelperState {
  redirect: XdpRedirect | undefined;
  readonly fib = new FibTable();
  /** printk return values and lines are in the environment; this counts failed formats. */
  printkErrors = 0;
  reset(): void { this.redirect = undefined; this.printkErrors = 0; }
}

const neg = (e: number) => -e;

function mapOf(vm: HelperContext, i: number): BpfMap | undefined {
  const m = vm.mapArg(i);
  return m instanceof BpfMap ? m : undefined;
}

/** Resolves a pointer argument to (bytes, offset) for `len` bytes, or -1. Sets memory.offset. */
function ptrArg(vm: HelperContext, i: number, len: number, write: boolean): Uint8Array | undefined {
  const id = vm.memory.resolve(vm.argHi(i), vm.argLo(i), 0, len, write);
  return id < 0 ? undefined : vm.memory.bytes[id];
}

function badPtr(vm: HelperContext, fn: string, i: number, len: number, write: boolean): void {
  vm.abort(`${fn}: R${i} (${vm.memory.describe(vm.argHi(i), vm.argLo(i))}) does not point to ${len} ${write ? 'writable' : 'readable'} bytes`);
}

const mapLookup: HelperDef = {
  name: 'bpf_map_lookup_elem',
  fn(vm) {
    const map = mapOf(vm, 1);
    if (!map) { vm.abort('bpf_map_lookup_elem: R1 is not a map'); return; }
    const key = ptrArg(vm, 2, map.keySize, false);
    if (!key) { badPtr(vm, 'bpf_map_lookup_elem', 2, map.keySize, false); return; }
    const o = map.lookupOffset(key, vm.memory.offset, vm.env.cpuId);
    if (o < 0) vm.ret(0, 0);
    else vm.ret(o, map.regionIn(vm.memory));
  },
};

const mapUpdate: HelperDef = {
  name: 'bpf_map_update_elem',
  fn(vm) {
    const map = mapOf(vm, 1);
    if (!map) { vm.abort('bpf_map_update_elem: R1 is not a map'); return; }
    const key = ptrArg(vm, 2, map.keySize, false);
    if (!key) { badPtr(vm, 'bpf_map_update_elem', 2, map.keySize, false); return; }
    const keyOff = vm.memory.offset;
    const val = ptrArg(vm, 3, map.valueSize, false);
    if (!val) { badPtr(vm, 'bpf_map_update_elem', 3, map.valueSize, false); return; }
    const flags = vm.argNumber(4);
    vm.retNumber(map.updateFrom(key, keyOff, val, vm.memory.offset, flags, vm.env.cpuId));
  },
};

const mapDelete: HelperDef = {
  name: 'bpf_map_delete_elem',
  fn(vm) {
    const map = mapOf(vm, 1);
    if (!map) { vm.abort('bpf_map_delete_elem: R1 is not a map'); return; }
    const key = ptrArg(vm, 2, map.keySize, false);
    if (!key) { badPtr(vm, 'bpf_map_delete_elem', 2, map.keySize, false); return; }
    vm.retNumber(map.deleteFrom(key, vm.memory.offset));
  },
};

const ktimeGetNs: HelperDef = { name: 'bpf_ktime_get_ns', fn(vm) { vm.retNumber(vm.env.nowNs); } };
const getPrandomU32: HelperDef = { name: 'bpf_get_prandom_u32', fn(vm) { vm.ret(vm.env.random() | 0, 0); } };
const getSmpProcessorId: HelperDef = { name: 'bpf_get_smp_processor_id', fn(vm) { vm.ret(vm.env.cpuId | 0, 0); } };
const getNumaNodeId: HelperDef = { name: 'bpf_get_numa_node_id', fn(vm) { vm.ret(0, 0); } };

function readCString(vm: HelperContext, a: PrintkArg): string {
  let s = '';
  for (let i = 0; i < 1023; i++) {
    const id = vm.memory.resolve(a.hi, a.lo, i, 1, false);
    if (id < 0) return i === 0 ? '' : s;
    const c = vm.memory.bytes[id][vm.memory.offset];
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

const tracePrintk: HelperDef = {
  name: 'bpf_trace_printk',
  fn(vm) {
    const size = vm.argNumber(2);
    // The format must be NUL-terminated within fmt_size.
    if (size <= 0 || size > 0xffff) { vm.retNumber(neg(EINVAL)); return; }
    const buf = ptrArg(vm, 1, size, false);
    if (!buf) { badPtr(vm, 'bpf_trace_printk', 1, size, false); return; }
    const o = vm.memory.offset;
    const fmt = buf.subarray(o, o + size);
    const nul = fmt.indexOf(0);
    if (nul < 0) { vm.retNumber(neg(EINVAL)); return; }
    const args: PrintkArg[] = [3, 4, 5].map((r) => ({ lo: vm.argLo(r), hi: vm.argHi(r) }));
    const text = formatPrintk(fmt.subarray(0, nul), args, (a) => readCString(vm, a));
    if (typeof text === 'number') { vm.retNumber(text); return; }
    vm.env.printk(text);
    // bstr_printf's return: the length of the formatted text.
    vm.retNumber(text.length);
  },
};

/**
 * bpf_csum_diff: the ones'-complement sum of ~from and to (32-bit little-endian words, seed added),
 * folded to 16 bits (not complemented) as kernels since 6.12 return it on every architecture
 * (csum_from32to16); the kernel differential test checks this against the running kernel.
 */
export function csumDiff(from: Uint8Array | undefined, fromOff: number, fromSize: number, to: Uint8Array | undefined, toOff: number, toSize: number, seed: number): number {
  let sum = seed >>> 0;
  const add = (w: number) => { sum += w >>> 0; if (sum > 0xffffffff) sum -= 0xffffffff; };
  for (let i = 0; i < fromSize; i += 4) {
    const w = from![fromOff + i] | (from![fromOff + i + 1] << 8) | (from![fromOff + i + 2] << 16) | (from![fromOff + i + 3] << 24);
    add(~w >>> 0);
  }
  for (let i = 0; i < toSize; i += 4) {
    const w = to![toOff + i] | (to![toOff + i + 1] << 8) | (to![toOff + i + 2] << 16) | (to![toOff + i + 3] << 24);
    add(w >>> 0);
  }
  let x = (sum & 0xffff) + (sum >>> 16);
  x = (x & 0xffff) + (x >>> 16);
  return x;
}

const csumDiffHelper: HelperDef = {
  name: 'bpf_csum_diff',
  fn(vm) {
    const fromSize = vm.argNumber(2), toSize = vm.argNumber(4);
    if (fromSize < 0 || toSize < 0 || ((fromSize | toSize) & 3) || fromSize + toSize > 512) { vm.retNumber(neg(EINVAL)); return; }
    let from: Uint8Array | undefined, fromOff = 0, to: Uint8Array | undefined, toOff = 0;
    if (fromSize) {
      from = ptrArg(vm, 1, fromSize, false);
      if (!from) { badPtr(vm, 'bpf_csum_diff', 1, fromSize, false); return; }
      fromOff = vm.memory.offset;
    }
    if (toSize) {
      to = ptrArg(vm, 3, toSize, false);
      if (!to) { badPtr(vm, 'bpf_csum_diff', 3, toSize, false); return; }
      toOff = vm.memory.offset;
    }
    vm.ret(csumDiff(from, fromOff, fromSize, to, toOff, toSize, vm.argLo(5)) | 0, 0);
  },
};

/** bpf_xdp_adjust_head: data += delta; keeps ETH_HLEN and the xdp_frame area; moves metadata along. */
export function adjustHead(p: XdpPacket, delta: number): number {
  const metalen = p.data - p.dataMeta;
  const data = p.data + delta;
  if (data < XDP_FRAME_SIZE_STRUCT + metalen || data > p.dataEnd - ETH_HLEN) return neg(EINVAL);
  if (metalen) p.buffer.copyWithin(p.dataMeta + delta, p.dataMeta, p.data);
  p.set(data, p.dataEnd, p.dataMeta + delta);
  return 0;
}

/** bpf_xdp_adjust_tail: data_end += delta, within [data + ETH_HLEN, frame end - skb_shared_info]; growth is zeroed. */
export function adjustTail(p: XdpPacket, delta: number): number {
  const end = p.dataEnd + delta;
  if (end > p.buffer.length - SKB_SHARED_INFO_SIZE) return neg(EINVAL);
  if (end < p.data + ETH_HLEN) return neg(EINVAL);
  if (delta > 0) p.buffer.fill(0, p.dataEnd, end);
  p.set(p.data, end, p.dataMeta);
  return 0;
}

/** bpf_xdp_adjust_meta: data_meta += delta; metadata a 4-byte multiple of at most 255 bytes (-EACCES). */
export function adjustMeta(p: XdpPacket, delta: number): number {
  const meta = p.dataMeta + delta;
  if (meta < XDP_FRAME_SIZE_STRUCT || meta > p.data) return neg(EINVAL);
  const metalen = p.data - meta;
  if ((metalen & 3) || metalen > XDP_META_MAX) return neg(EACCES);
  p.set(p.data, p.dataEnd, meta);
  return 0;
}

const s32 = (vm: HelperContext, i: number) => vm.argLo(i) | 0;

const xdpAdjustHead: HelperDef = { name: 'bpf_xdp_adjust_head', fn(vm) { vm.retNumber(adjustHead(vm.packet, s32(vm, 2))); } };
const xdpAdjustTail: HelperDef = { name: 'bpf_xdp_adjust_tail', fn(vm) { vm.retNumber(adjustTail(vm.packet, s32(vm, 2))); } };
const xdpAdjustMeta: HelperDef = { name: 'bpf_xdp_adjust_meta', fn(vm) { vm.retNumber(adjustMeta(vm.packet, s32(vm, 2))); } };
const xdpGetBuffLen: HelperDef = { name: 'bpf_xdp_get_buff_len', fn(vm) { vm.retNumber(vm.packet.dataEnd - vm.packet.data); } };

function xdpCopy(vm: HelperContext, store: boolean): void {
  const offset = vm.argNumber(2), len = vm.argNumber(4);
  if (offset < 0 || len < 0 || offset > 0xffff || len > 0xffff) { vm.retNumber(neg(EFAULT)); return; }
  const p = vm.packet;
  if (offset + len > p.dataEnd - p.data) { vm.retNumber(neg(EINVAL)); return; }
  const buf = ptrArg(vm, 3, len, !store);
  if (!buf && len) { badPtr(vm, store ? 'bpf_xdp_store_bytes' : 'bpf_xdp_load_bytes', 3, len, !store); return; }
  if (len) {
    const o = vm.memory.offset;
    if (store) p.buffer.set(buf!.subarray(o, o + len), p.data + offset);
    else buf!.set(p.buffer.subarray(p.data + offset, p.data + offset + len), o);
  }
  vm.ret(0, 0);
}

const xdpLoadBytes: HelperDef = { name: 'bpf_xdp_load_bytes', fn(vm) { xdpCopy(vm, false); } };
const xdpStoreBytes: HelperDef = { name: 'bpf_xdp_store_bytes', fn(vm) { xdpCopy(vm, true); } };

function makeRedirect(state: HelperState): HelperDef {
  return {
    name: 'bpf_redirect',
    fn(vm) {
      // bpf_xdp_redirect: any flag is an error that turns into XDP_ABORTED.
      if (vm.argLo(2) !== 0 || vm.argHi(2) !== 0) { vm.ret(XDP_ABORTED, 0); return; }
      state.redirect = { kind: 'ifindex', target: vm.argLo(1) >>> 0 };
      vm.ret(XDP_REDIRECT, 0);
    },
  };
}

function makeRedirectMap(state: HelperState): HelperDef {
  return {
    name: 'bpf_redirect_map',
    fn(vm) {
      const map = mapOf(vm, 1);
      if (!map) { vm.abort('bpf_redirect_map: R1 is not a map'); return; }
      const flags = vm.argNumber(3);
      const action = flags & 3;
      // __bpf_xdp_redirect_map: unknown flag bits give XDP_ABORTED; the low bits are the action on a miss.
      if (flags < 0 || flags & ~(3 | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)) { vm.ret(XDP_ABORTED, 0); return; }
      const key = vm.argLo(2) >>> 0;
      const kind = map.type === BpfMapType.DEVMAP ? 'devmap' : map.type === BpfMapType.DEVMAP_HASH ? 'devmap_hash'
        : map.type === BpfMapType.CPUMAP ? 'cpumap' : map.type === BpfMapType.XSKMAP ? 'xskmap' : undefined;
      if (!kind) { vm.ret(XDP_ABORTED, 0); return; }
      if (flags & BPF_F_BROADCAST && (kind === 'devmap' || kind === 'devmap_hash')) {
        state.redirect = { kind: 'broadcast', target: 0, map: map.name };
        vm.ret(XDP_REDIRECT, 0);
        return;
      }
      let value: number | undefined;
      if (map instanceof ArrayMap) value = map.slotU32(key);
      else {
        const k = new Uint8Array(4);
        new DataView(k.buffer).setUint32(0, key, true);
        const v = map.lookup(k);
        value = v ? new DataView(v.buffer, v.byteOffset, 4).getUint32(0, true) : undefined;
      }
      if (value === undefined) { state.redirect = undefined; vm.ret(action, 0); return; }
      state.redirect = { kind, target: key, map: map.name, value };
      vm.ret(XDP_REDIRECT, 0);
    },
  };
}

const tailCall: HelperDef = {
  name: 'bpf_tail_call',
  fn(vm) {
    const map = mapOf(vm, 2);
    if (!map || map.type !== BpfMapType.PROG_ARRAY || !(map instanceof ArrayMap)) { vm.abort('bpf_tail_call: R2 is not a prog_array map'); return; }
    const idx = vm.argLo(3) >>> 0;
    const prog: VmProgram | undefined = idx < map.maxEntries ? map.programs[idx] : undefined;
    // A failed tail call falls through to the next instruction.
    if (!prog || !vm.tailCall(prog)) { vm.retNumber(neg(ENOENT)); return; }
    vm.ret(0, 0);
  },
};

function makeFibLookup(state: HelperState): HelperDef {
  return {
    name: 'bpf_fib_lookup',
    fn(vm) {
      const plen = vm.argNumber(3);
      if (plen < FIB_LOOKUP_SIZE) { vm.retNumber(neg(EINVAL)); return; }
      const buf = ptrArg(vm, 2, FIB_LOOKUP_SIZE, true);
      if (!buf) { badPtr(vm, 'bpf_fib_lookup', 2, FIB_LOOKUP_SIZE, true); return; }
      vm.retNumber(state.fib.lookup(buf, vm.memory.offset, vm.argNumber(4)));
    },
  };
}

/** The helper table for XDP programs (what `bpf_xdp_func_proto` and the base protos allow). */
export function xdpHelpers(state: HelperState): HelperTable {
  const t = new Map<number, HelperDef>([
    [1, mapLookup], [2, mapUpdate], [3, mapDelete], [5, ktimeGetNs], [6, tracePrintk], [7, getPrandomU32],
    [8, getSmpProcessorId], [12, tailCall], [23, makeRedirect(state)], [28, csumDiffHelper], [42, getNumaNodeId],
    [44, xdpAdjustHead], [51, makeRedirectMap(state)], [54, xdpAdjustMeta], [65, xdpAdjustTail],
    [69, makeFibLookup(state)], [125, { name: 'bpf_ktime_get_boot_ns', fn: ktimeGetNs.fn }],
    [160, { name: 'bpf_ktime_get_coarse_ns', fn: ktimeGetNs.fn }], [188, xdpGetBuffLen], [189, xdpLoadBytes],
    [190, xdpStoreBytes],
  ]);
  return t;
}

/** Thrown at load time for a call of a helper the table lacks. */
export class UnknownHelperError extends Error {
  constructor(readonly helperId: number, readonly insn: number, known: boolean) {
    super(known
      ? `insn ${insn}: helper ${helperName(helperId)}#${helperId} is not available to this program type in the emulator`
      : `insn ${insn}: invalid func unknown#${helperId}`);
    this.name = 'UnknownHelperError';
  }
}

/** Checks every helper call of raw instructions against a table (before the VM sees them). */
export function checkHelperCalls(insns: Uint8Array, table: HelperTable): void {
  for (let i = 0; i * 8 < insns.length; i++) {
    const o = i * 8;
    if (insns[o] === 0x18) { i++; continue; }
    if (insns[o] !== 0x85 || (insns[o + 1] >> 4) !== 0) continue;
    const id = insns[o + 4] | (insns[o + 5] << 8) | (insns[o + 6] << 16) | (insns[o + 7] << 24);
    if (!table.has(id)) throw new UnknownHelperError(id, i, helperName(id) !== `unknown#${id}`);
  }
}
