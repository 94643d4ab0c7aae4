/**
 * What the VARIABLES view, WATCH and the memory view show at a stop: registers with the
 * verifier's types, the frame's stack slots, `xdp_md`, the packet as a dissection tree (from the
 * current bytes, so it follows the program's rewrites), the maps decoded through BTF (entries
 * editable), printk output; and the memory references (`pkt`, `stack+N`, `ctx`, `map:N+off`)
 * behind readMemory / writeMemory.
 */
import { mapElementDataId } from './watchpoints';
import type { BpfMap } from '../ebpf/maps';
import { FIRST_DYNAMIC_REGION, REGION_CODE, REGION_CTX, REGION_MAP_HANDLE, REGION_PACKET, REGION_STACK, STACK_SIZE } from '../ebpf/memory';
import { MAX_BPF_STACK } from '../ebpf/isa';
import type { BpfProgram } from '../ebpf/program';
import type { Machine } from '../ebpf/vm';
import { isSigned, stripType, typeName } from '../ebpf/dwarf';
import type { FrameAccess } from '../ebpf/dwarfLoc';
import type { FrameVariables, ProgramDwarf } from '../ebpf/dwarfProgram';
import type { DwarfAddress } from '../ebpf/dwarf';
import { childrenOf, formatValue, hasChildren, scalarOf, type CValue, type ValueMemory } from '../ebpf/dwarfValue';
import { COUNTER_NAMES, DECISION_NAMES, REASON_NAMES } from '../trace/codes';
import { evaluate, EvalError, type CLocals, type EvalContext } from './expression';
import type { Dissection } from '../packet/dissection';
import { FT, fieldByAbbrev } from '../packet/fields';
import { detailTree } from '../traceview/dissectionTree';
import type { DetailNode } from '../traceview/protocol';
import { fieldTypeName } from './packetDissection';
import type { DebugTarget, FrameInfo, ScopeInfo, VarNode } from './runtime';
import { stageLabel } from './stageTimeline';

/** What the model reads from the runtime at a stop. */
export interface InspectHost {
  readonly machine: Machine;
  readonly maps: readonly BpfMap[];
  readonly program: BpfProgram;
  readonly target: DebugTarget;
  readonly packetNumber: number | undefined;
  readonly printk: readonly { packet: number; text: string }[];
  currentPacket(): Uint8Array;
  /** The current packet dissected by the packet layer (valid until the next call). */
  currentDissection(): Dissection;
  evalContext(): EvalContext;
}

export class VariablesModel {
  constructor(private readonly h: InspectHost) {}

  /** Verifier-style type of a register value: `pkt(off=14)`, `ctx`, `fp-8`, `map_value(...)`, `scalar`. */
  regType(hi: number, lo: number, fp: number): string {
    const m = this.h.machine, pk = m.packet;
    switch (hi) {
      case REGION_CTX: return lo === 0 ? 'ctx' : `ctx(off=${lo})`;
      case REGION_PACKET:
        if (lo === pk.dataEnd) return 'pkt_end';
        if (lo < pk.data) return `pkt_meta(off=${lo - pk.dataMeta})`;
        return `pkt(off=${lo - pk.data})`;
      case REGION_STACK: return `fp${lo - fp === 0 ? '0' : lo - fp}`;
      case REGION_MAP_HANDLE: return `map_ptr(${this.h.maps[lo]?.name ?? lo})`;
      case REGION_CODE: return `func(insn ${lo})`;
    }
    if (hi >= FIRST_DYNAMIC_REGION && hi < m.memory.count) {
      const name = m.memory.names[hi];
      const map = this.h.maps.find((x) => x.name === name);
      if (map) return `map_value(map=${name},ks=${map.keySize},vs=${map.valueSize},off=${lo % Math.max(1, map.valueSize)})`;
      return `mem(${name},off=${lo})`;
    }
    return 'scalar';
  }

  /** A memory reference for a pointer value, or undefined. */
  private memRefOf(hi: number, lo: number): string | undefined {
    const m = this.h.machine;
    if (hi === REGION_PACKET) return `pkt+${lo - m.packet.data}`;
    if (hi === REGION_STACK) return `stack+${lo}`;
    if (hi === REGION_CTX) return `ctx+${lo}`;
    const map = hi >= FIRST_DYNAMIC_REGION ? this.h.maps.findIndex((x) => x.name === m.memory.names[hi]) : -1;
    if (map >= 0) return `map:${map}+${lo}`;
    return undefined;
  }

  private regNode(i: number, lo: number, hi: number, fp: number, verifierType: string | undefined, live: boolean): VarNode {
    const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const runtimeType = this.regType(hi, lo, fp);
    const type = verifierType ?? runtimeType;
    // Pointers read as region+offset (`pkt+0x122`), scalars as signed decimal and hex.
    const value = runtimeType !== 'scalar' ? this.h.machine.memory.describe(hi, lo) : `${BigInt.asIntN(64, v)} (0x${v.toString(16)})`;
    const node: VarNode = { name: `r${i}`, value, type, evaluateName: `r${i}`, memoryReference: this.memRefOf(hi, lo) };
    if (live && i !== 10) {
      node.set = (text) => {
        const r = evaluate(text, this.h.evalContext());
        if (r.value === undefined) throw new EvalError(`'${text}' is not a number`, -1);
        const m = this.h.machine;
        m.lo[i] = Number(r.value & 0xffffffffn) | 0;
        m.hi[i] = Number(r.value >> 32n) | 0;
        return this.regNode(i, m.lo[i], m.hi[i], fp, undefined, true).value;
      };
    }
    return node;
  }

  scopes(f: FrameInfo): ScopeInfo[] {
    const out: ScopeInfo[] = [];
    if (f.kind === 'program') {
      const m = this.h.machine, depth = f.depth!, top = depth === m.depth;
      const fp = STACK_SIZE - MAX_BPF_STACK * depth;
      const dwarf = this.h.program.dwarf;
      if (dwarf) out.push({ name: 'Locals', hint: 'locals', vars: () => this.localVars(dwarf, depth, f.insn!) });
      out.push({
        name: 'Registers', hint: 'registers', vars: () => {
          const vt = top ? this.h.target.verifierTypes?.(m.pc) : undefined;
          const regs: VarNode[] = [];
          if (top) for (let i = 0; i <= 10; i++) regs.push(this.regNode(i, m.lo[i], m.hi[i], fp, vt?.[i], true));
          else {
            // A caller's r6..r9 are what its callee saved; r10 is its frame pointer.
            const o = depth * 8;
            for (let i = 6; i <= 9; i++) regs.push(this.regNode(i, m.frameSaved[o + (i - 6) * 2], m.frameSaved[o + (i - 6) * 2 + 1], fp, undefined, false));
            regs.push(this.regNode(10, fp, REGION_STACK, fp, undefined, false));
          }
          return regs;
        },
      });
      out.push({ name: 'Stack', hint: 'locals', memoryReference: `stack+${fp - MAX_BPF_STACK}`, vars: () => this.stackSlots(fp) });
      out.push({ name: 'xdp_md', vars: () => this.xdpMd() });
    } else {
      const st = f.stage!, e = st.event;
      out.push({
        name: 'Stage', vars: () => [
          { name: stageLabel(st.id), value: st.text.replace(/^[^:]*: /, ''), type: st.id },
          ...(e ? [
            { name: 'decision', value: DECISION_NAMES[e.decision] ?? String(e.decision) },
            { name: 'reason', value: REASON_NAMES[e.reason] || '—' },
            { name: 'counter', value: COUNTER_NAMES[e.counter] || '—' },
            { name: 'value', value: `${e.value} (0x${(e.value >>> 0).toString(16)})` },
          ] : []),
        ],
      });
    }
    out.push({ name: 'Packet', memoryReference: 'pkt', vars: () => this.packetVars() });
    out.push({ name: 'Maps', vars: () => this.mapVars() });
    out.push({ name: 'printk', vars: () => this.h.printk.map((l, k) => ({ name: `[${k}] packet ${l.packet}`, value: l.text })) });
    return out;
  }

  /** The C variables live at the frame's instruction (DWARF), innermost scope first. */
  private localVars(dwarf: ProgramDwarf, depth: number, insn: number): VarNode[] {
    const at = dwarf.variablesAt(insn);
    if (dwarf.error) return [{ name: 'error', value: `no C variables: ${dwarf.error}` }];
    if (!at) return [{ name: '(none)', value: `no DWARF function covers instruction ${insn}` }];
    const mem = valueMemory(this.h.machine), regs = frameRegisters(this.h.machine, depth);
    const out: VarNode[] = [];
    for (const s of at.scopes) {
      for (const v of s.vars) {
        // Each declaration reads its own location (an inlined function's `udp` is not the caller's).
        const node = this.cNode(v.name, dwarf.read(v, at, { reg: regs.reg, read: mem.read, global: globalAddress(this.h.machine, this.h.maps, dwarf) }), v.name, mem, depth);
        if (s.kind === 'inlined') node.type = `${node.type ?? ''} (inlined ${s.name})`;
        out.push(node);
      }
    }
    if (!out.length) out.push({ name: '(none)', value: `${at.func} has no variables here` });
    return out;
  }

  /**
   * A C value as a tree node: text, C type, the expression that reaches it, expandable by type.
   * Scalars in memory (the stack, the packet, a map value) or in a register of frame `depth` can
   * be set (setVariable), as registers can.
   */
  cNode(name: string, v: CValue, expr: string, mem: ValueMemory, depth = this.h.machine.depth): VarNode {
    const node: VarNode = { name, value: formatValue(v, mem), type: typeName(v.type), evaluateName: expr };
    const k = stripType(v.type).kind;
    if (!v.unavailable && (k === 'base' || k === 'enum' || k === 'pointer') && (v.address !== undefined || v.reg !== undefined)) {
      node.set = (text) => this.setC(v, text, mem, depth);
    }
    // A pointer opens the memory it points to; a value in memory, its own bytes.
    const addr = stripType(v.type).kind === 'pointer' ? scalarOf(v) : v.address;
    if (addr !== undefined) node.memoryReference = this.memRefOf(Number(addr >> 32n) | 0, Number(addr & 0xffffffffn) | 0);
    if (hasChildren(v, mem)) node.children = () => childrenOf(v, expr, mem).map((c) => this.cNode(c.name, c.value, c.expr, mem, depth));
    return node;
  }

  /** Writes a C scalar where it lives: its bytes in VM memory, or its register. Returns the new text. */
  private setC(v: CValue, text: string, mem: ValueMemory, depth: number): string {
    const r = evaluate(text, this.h.evalContext());
    if (r.value === undefined) throw new EvalError(`'${text}' is not a number`, -1);
    const m = this.h.machine, size = v.bytes.length;
    const bytes = new Uint8Array(size);
    for (let i = 0, x = r.value; i < size; i++, x >>= 8n) bytes[i] = Number(x & 0xffn);
    if (v.address !== undefined) {
      const id = m.memory.resolve(Number(v.address >> 32n) | 0, Number(v.address & 0xffffffffn) | 0, 0, size, true);
      if (id < 0) throw new Error(`${mem.describe(v.address)} is not writable`);
      m.memory.bytes[id].set(bytes, m.memory.offset);
    } else {
      const i = v.reg!;
      const value = size < 8 && isSigned(v.type) ? BigInt.asIntN(size * 8, r.value) : BigInt.asUintN(size * 8, r.value);
      const lo = Number(value & 0xffffffffn) | 0, hi = Number((value >> 32n) & 0xffffffffn) | 0;
      if (depth === m.depth && i < 10) { m.lo[i] = lo; m.hi[i] = hi; } else if (i >= 6 && i <= 9) {
        const o = depth * 8 + (i - 6) * 2;
        m.frameSaved[o] = lo; m.frameSaved[o + 1] = hi;
      } else throw new Error(`r${i} of this frame is not saved: it cannot be set`);
    }
    return formatValue({ ...v, bytes }, mem);
  }

  private stackSlots(fp: number): VarNode[] {
    const b = this.h.machine.memory.bytes[REGION_STACK];
    const out: VarNode[] = [];
    for (let off = 8; off <= MAX_BPF_STACK; off += 8) {
      const o = fp - off;
      let v = 0n, any = false;
      for (let k = 7; k >= 0; k--) { v = (v << 8n) | BigInt(b[o + k]); if (b[o + k]) any = true; }
      if (!any) continue;
      const bytes = Array.from(b.subarray(o, o + 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
      out.push({ name: `fp-${off}`, value: `0x${v.toString(16).padStart(16, '0')}  [${bytes}]`, type: 'u64', evaluateName: `*(u64 *)(r10 - ${off})`, memoryReference: `stack+${o}` });
    }
    if (!out.length) out.push({ name: '(empty)', value: 'no non-zero 8-byte slot in this frame' });
    return out;
  }

  private xdpMd(): VarNode[] {
    const c = this.h.machine.memory.bytes[REGION_CTX];
    const dv = new DataView(c.buffer, c.byteOffset, c.byteLength);
    const pk = this.h.machine.packet;
    const names = ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'];
    return names.map((n, k) => {
      const v = dv.getUint32(k * 4, true);
      if (k < 3) return { name: n, value: `pkt+0x${v.toString(16)} (${k === 1 ? `data + ${v - pk.data}` : k === 2 ? `data - ${pk.data - v}` : 'headroom 256'})`, type: '__u32', evaluateName: `ctx->${n}`, memoryReference: k === 0 ? 'pkt' : undefined };
      return { name: n, value: String(v), type: '__u32', evaluateName: `ctx->${n}` };
    });
  }

  /**
   * The packet as the trace viewer's detail tree shows it (same dissector, same labels):
   * protocols by their line (`Internet Protocol Version 4, Src: …`), fields by their display-filter
   * name with the value text, each pointing at its bytes.
   */
  private packetVars(): VarNode[] {
    const bytes = this.h.currentPacket();
    const toNode = (n: DetailNode): VarNode => {
      const def = fieldByAbbrev(n.field);
      const children = n.children ? () => n.children!.map(toNode) : undefined;
      const ref = n.length > 0 || n.offset > 0 ? `pkt+${n.offset}` : undefined;
      if (!def || def.type === FT.PROTOCOL) return { name: n.label, value: '', type: n.field || undefined, memoryReference: ref, children };
      // The label is "<field name>: <value text>" (detailTree's form): the value is what follows.
      const value = n.label.startsWith(def.name + ': ') ? n.label.slice(def.name.length + 2) : n.label;
      return { name: def.abbrev, value, type: fieldTypeName(def), evaluateName: def.abbrev, memoryReference: ref, children };
    };
    const hex = Array.from(bytes.subarray(0, 64), (x) => x.toString(16).padStart(2, '0')).join(' ') + (bytes.length > 64 ? ' …' : '');
    return [
      { name: 'bytes', value: `${bytes.length} bytes: ${hex}`, type: 'u8[]', memoryReference: 'pkt' },
      ...detailTree(this.h.currentDissection()).map(toNode),
    ];
  }

  mapEntryNode(map: BpfMap, key: Uint8Array, value: Uint8Array, evaluateName?: string): VarNode {
    const btf = this.h.program.btf;
    const valueTypeId = map.def.valueTypeId;
    const keyText = map.formatKey(key);
    const mapIndex = this.h.maps.indexOf(map);
    const off = map.lookupOffset(key, 0, 0);
    const node: VarNode = {
      name: `[${keyText}]`, value: map.formatValue(value), type: btf && valueTypeId ? btf.typeName(valueTypeId) : `u8[${map.valueSize}]`,
      evaluateName, memoryReference: off >= 0 ? `map:${mapIndex}+${off}` : undefined, dataId: mapElementDataId(map, key),
      set: (text) => {
        const bytes = parseValueBytes(text, map.valueSize);
        const r = map.update(key, bytes);
        if (r < 0) throw new Error(`bpf_map_update_elem failed: ${r}`);
        return map.formatValue(map.lookup(key)!);
      },
    };
    const d = map.describeValue(value); // the maps' own BTF tree (also the device tree's)
    if (d?.children) {
      const conv = (n: typeof d): VarNode => ({ name: n.name, value: n.value ?? '', type: n.typeName, children: n.children ? () => n.children!.map(conv) : undefined });
      node.children = () => d.children!.map(conv);
    }
    return node;
  }

  private mapVars(): VarNode[] {
    return this.h.maps.map((map) => ({
      name: map.name,
      value: `${map.typeName}, key ${map.keySize} B, value ${map.valueSize} B, max_entries ${map.maxEntries}`,
      type: map.typeName,
      evaluateName: map.name,
      children: () => {
        const entries = map.entries();
        const shown = entries.filter((e) => map.type === 1 || map.type === 9 || map.type === 5 || map.type === 10 || map.type === 11 || e.values.some((v) => v.some((x) => x !== 0)) || map.def.origin === 'global');
        const nodes = shown.slice(0, 1000).map((e) => this.mapEntryNode(map, e.key, e.values[0]));
        if (!nodes.length) nodes.push({ name: '(empty)', value: map.type === 2 ? `all ${map.maxEntries} elements are zero` : 'no elements' });
        return nodes;
      },
    }));
  }

  // -- memory ----------------------------------------------------------------------------------

  /** Resolves a memory reference (`pkt`, `pkt+14`, `stack+4088`, `ctx`, `map:0+8`) to bytes and a base. */
  private memRef(ref: string): { bytes: Uint8Array; base: number; lo: number; hi: number; name: string } {
    const m = /^(pkt|stack|ctx|map:(\d+))(?:\+(-?\d+))?$/.exec(ref.trim());
    if (!m) throw new Error(`unknown memory reference '${ref}' (expected pkt, stack, ctx or map:N, with an optional +offset)`);
    const add = m[3] ? Number(m[3]) : 0;
    const mach = this.h.machine;
    if (m[1] === 'pkt') { const pk = mach.packet; return { bytes: pk.buffer, base: pk.data + add, lo: pk.dataMeta, hi: pk.dataEnd, name: 'packet' }; }
    if (m[1] === 'stack') return { bytes: mach.memory.bytes[REGION_STACK], base: add, lo: 0, hi: STACK_SIZE, name: 'stack' };
    if (m[1] === 'ctx') return { bytes: mach.memory.bytes[REGION_CTX], base: add, lo: 0, hi: 24, name: 'xdp_md' };
    const map = this.h.maps[Number(m[2])];
    if (!map) throw new Error(`memory reference '${ref}' names map ${m[2]}, which does not exist`);
    return { bytes: map.values, base: add, lo: 0, hi: map.values.length, name: map.name };
  }

  /** Reads `count` bytes at reference + offset; bytes outside the accessible window are unreadable. */
  readMemory(ref: string, offset: number, count: number): { address: string; data: Uint8Array; unreadable: number } {
    const r = this.memRef(ref);
    const start = r.base + offset;
    const from = Math.max(start, r.lo), to = Math.min(start + count, r.hi);
    if (from >= to || from !== start) return { address: `0x${Math.max(0, start).toString(16)}`, data: new Uint8Array(0), unreadable: count };
    return { address: `0x${start.toString(16)}`, data: r.bytes.slice(from, to), unreadable: count - (to - from) };
  }

  /** Writes bytes at reference + offset (within the accessible window). Returns bytes written. */
  writeMemory(ref: string, offset: number, data: Uint8Array): number {
    const r = this.memRef(ref);
    const start = r.base + offset;
    if (start < r.lo || start + data.length > r.hi) throw new Error(`write of ${data.length} bytes at offset ${offset} is outside the ${r.name} (${r.hi - r.lo} bytes)`);
    r.bytes.set(data, start);
    return data.length;
  }
}

/** A map value typed by the user: a number (little-endian, value_size bytes) or hex bytes. */
export function parseValueBytes(text: string, size: number): Uint8Array {
  const t = text.trim();
  const out = new Uint8Array(size);
  if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) {
    let v = BigInt(t);
    if (v >= 1n << BigInt(size * 8)) throw new Error(`${t} does not fit ${size} bytes`);
    for (let i = 0; i < size; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
    return out;
  }
  const bytes = t.split(/[\s:]+/).filter(Boolean);
  if (bytes.length !== size || bytes.some((b) => !/^[0-9a-f]{1,2}$/i.test(b))) {
    throw new Error(`expected a number or ${size} hex bytes (e.g. ${Array(size).fill('00').join(' ')})`);
  }
  bytes.forEach((b, i) => { out[i] = parseInt(b, 16); });
  return out;
}

/** VM memory as C values read it: bounds-checked reads, addresses named by region. */
export function valueMemory(m: Machine): ValueMemory {
  const mem = m.memory;
  return {
    read: (addr, n) => {
      const id = mem.resolve(Number(addr >> 32n) | 0, Number(addr & 0xffffffffn) | 0, 0, n, false);
      return id < 0 ? undefined : mem.bytes[id].subarray(mem.offset, mem.offset + n);
    },
    describe: (addr) => mem.describe(Number(addr >> 32n) | 0, Number(addr & 0xffffffffn) | 0),
  };
}

/**
 * The registers of program frame `depth` as DWARF reads them: all of them in the innermost
 * frame; in a caller, r6-r9 as its callee saved them and r10 its frame pointer (r0-r5 are
 * clobbered by the call: "not saved").
 */
export function frameRegisters(m: Machine, depth: number): Pick<FrameAccess, 'reg'> {
  const top = depth === m.depth;
  const r64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return {
    reg: (i) => {
      if (top) return i <= 10 ? r64(m.lo[i], m.hi[i]) : undefined;
      if (i === 10) return r64(STACK_SIZE - MAX_BPF_STACK * depth, REGION_STACK);
      if (i >= 6 && i <= 9) { const o = depth * 8 + (i - 6) * 2; return r64(m.frameSaved[o], m.frameSaved[o + 1]); }
      return undefined;
    },
  };
}

/**
 * Global data of the object (.rodata/.data/.bss) where the program's maps hold it in the VM:
 * the map standing for the section (libbpf's internal map), its value region, plus the offset.
 */
export function globalAddress(m: Machine, maps: readonly BpfMap[], dwarf: ProgramDwarf): (a: DwarfAddress) => bigint | undefined {
  return (a) => {
    const name = dwarf.sectionName(a.sec);
    const map = maps.find((x) => x.def.globalSection === name);
    if (!map) return undefined;
    const base = map.lookupOffset(new Uint8Array(map.keySize), 0, 0);
    if (base < 0) return undefined;
    // Only a region the program already has (it loads the section's address): reading adds none.
    // The region is a view of the map's value bytes: find the one holding the byte.
    const at = map.values.byteOffset + base + a.off;
    for (let i = FIRST_DYNAMIC_REGION; i < m.memory.count; i++) {
      const b = m.memory.bytes[i];
      if (b.buffer === map.values.buffer && at >= b.byteOffset && at < b.byteOffset + b.length) return (BigInt(i) << 32n) | BigInt(at - b.byteOffset);
    }
    return undefined;
  };
}

/**
 * The C variables of program frame `depth` stopped at `insn`, for the evaluator and the Locals
 * scope; a name no local has is looked up among the globals (global data in the program's maps).
 */
export function cLocals(m: Machine, dwarf: ProgramDwarf, depth: number, insn: number, maps: readonly BpfMap[] = []): CLocals | undefined {
  const at: FrameVariables | undefined = dwarf.variablesAt(insn);
  if (!at) return undefined;
  const mem = valueMemory(m);
  const regs = frameRegisters(m, depth);
  const frame = { reg: regs.reg, read: mem.read, global: globalAddress(m, maps, dwarf) };
  return {
    mem,
    get: (name) => {
      for (const s of at.scopes) for (const v of s.vars) if (v.name === name) return dwarf.read(v, at, frame);
      const g = dwarf.global(name);
      return g && dwarf.read(g, at, frame);
    },
  };
}
