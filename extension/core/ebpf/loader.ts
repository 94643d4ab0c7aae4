// Turns a clang `-target bpf` object into loadable programs, as libbpf's bpf_object__open/load does:
// programs by SEC() name, sub-programs from .text appended and bpf-to-bpf calls made pc-relative,
// `lddw` of maps and globals rewritten to BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE, BTF-defined
// and legacy maps, .rodata/.data/.bss as one-entry arrays, and .BTF.ext info in instruction indices.
import { Btf, BtfKind, parseBtf } from './btf';
import { parseBtfExt, type BtfExtSection } from './btfExt';
import { ObjectDwarf, ProgramDwarf } from './dwarfProgram';
import {
  BpfObjectError, parseElf, type ElfFile, type ElfSection, type ElfSymbol, SHF_EXECINSTR, SHT_NOBITS, SHT_PROGBITS,
  STT_FUNC, STT_SECTION, STB_LOCAL, SHN_UNDEF, SHN_ABS, SHN_COMMON,
} from './elf';
import {
  BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BpfMapType, type BpfMapDef, type BpfProgram, type FuncInfo, type LineInfo,
  type ProgramPiece,
} from './program';

/** R_BPF_* relocation types (Documentation/bpf/llvm_reloc.rst). */
export const R_BPF_NONE = 0;
export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_ABS32 = 3;
export const R_BPF_64_NODYLD32 = 4;
export const R_BPF_64_32 = 10;
const RELOC_NAMES: Record<number, string> = { 0: 'R_BPF_NONE', 1: 'R_BPF_64_64', 2: 'R_BPF_64_ABS64', 3: 'R_BPF_64_ABS32', 4: 'R_BPF_64_NODYLD32', 10: 'R_BPF_64_32' };

const OP_LDDW = 0x18;
const OP_CALL = 0x85;
const PSEUDO_CALL = 1;
const PSEUDO_MAP_FD = 1;
const PSEUDO_MAP_VALUE = 2;
/** libbpf's BPF_OBJ_NAME_LEN: internal map names fit in 15 characters. */
const BPF_OBJ_NAME_LEN = 16;
/** A map's value memory is allocated up front; a bogus max_entries must not take the machine. */
export const MAX_MAP_BYTES = 256 * 1024 * 1024;

export interface BpfObject {
  /** The object name (file name without `.o`), used for internal map names. */
  name: string;
  programs: BpfProgram[];
  maps: BpfMapDef[];
  license: string;
  /** The `version` section (kernel version for old kprobes), 0 when absent. */
  kernVersion: number;
  btf?: Btf;
  /** Things that still allow loading (e.g. no BTF: no line info). */
  warnings: string[];
}

export interface LoadOptions {
  /** File name shown in messages and used to name internal maps (`xdp_sample.o` -> `xdp_samp.rodata`). */
  fileName?: string;
}

/** Program types by SEC() prefix, as libbpf's section_defs table has them. */
const SECTION_TYPES: [prefix: string, progType: string][] = [
  ['xdp.frags', 'xdp'], ['xdp', 'xdp'], ['tc', 'sched_cls'], ['classifier', 'sched_cls'], ['action', 'sched_act'],
  ['socket', 'socket_filter'], ['kprobe', 'kprobe'], ['kretprobe', 'kprobe'], ['uprobe', 'kprobe'],
  ['uretprobe', 'kprobe'], ['ksyscall', 'kprobe'], ['tracepoint', 'tracepoint'], ['tp', 'tracepoint'],
  ['raw_tracepoint', 'raw_tracepoint'], ['raw_tp', 'raw_tracepoint'], ['tp_btf', 'tracing'], ['fentry', 'tracing'],
  ['fexit', 'tracing'], ['fmod_ret', 'tracing'], ['iter', 'tracing'], ['lsm', 'lsm'], ['perf_event', 'perf_event'],
  ['cgroup_skb', 'cgroup_skb'], ['cgroup', 'cgroup_sock'], ['sockops', 'sock_ops'], ['sk_skb', 'sk_skb'],
  ['sk_msg', 'sk_msg'], ['lirc_mode2', 'lirc_mode2'], ['flow_dissector', 'flow_dissector'], ['lwt_in', 'lwt_in'],
  ['lwt_out', 'lwt_out'], ['lwt_xmit', 'lwt_xmit'], ['lwt_seg6local', 'lwt_seg6local'], ['sk_lookup', 'sk_lookup'],
  ['sk_reuseport', 'sk_reuseport'], ['struct_ops', 'struct_ops'], ['syscall', 'syscall'], ['netfilter', 'netfilter'],
];

export function progTypeOfSection(sec: string): string {
  for (const [prefix, type] of SECTION_TYPES) {
    if (sec === prefix || sec.startsWith(prefix + '/') || sec.startsWith(prefix + '.') && prefix === 'xdp') return type;
  }
  return 'unspec';
}

function isGlobalDataSection(name: string): boolean {
  return name === '.rodata' || name.startsWith('.rodata.') || name === '.data' || name.startsWith('.data.') ||
    name === '.bss' || name.startsWith('.bss.');
}

/**
 * libbpf's internal_map_name(): object-name prefix cut so that `prefix + section` fits 15 chars;
 * at least 7 characters are kept for the suffix even when it is shorter (`xdp_conf.bss`).
 */
export function internalMapName(objName: string, sec: string): string {
  const pfx = Math.min(BPF_OBJ_NAME_LEN - Math.max(7, sec.length) - 1, objName.length);
  return objName.slice(0, Math.max(0, pfx)) + sec;
}

export function loadObject(bytes: Uint8Array, opts: LoadOptions = {}): BpfObject {
  const fileName = opts.fileName ?? 'object.o';
  const objName = (fileName.split('/').pop() ?? fileName).replace(/\.o$/, '');
  const elf = parseElf(bytes);
  const warnings: string[] = [];

  let btf: Btf | undefined;
  const btfSec = elf.section('.BTF');
  if (btfSec) btf = parseBtf(btfSec.data);
  else warnings.push(`${fileName}: no .BTF section (compile with -g): programs load without line info, maps cannot be shown field by field`);
  if (btf) fixupDatasecs(elf, btf);
  let ext = new Map<string, BtfExtSection>();
  const extSec = elf.section('.BTF.ext');
  if (extSec && btf) ext = parseBtfExt(extSec.data, btf);

  const licSec = elf.section('license');
  const license = licSec ? cstr(licSec.data) : '';
  const verSec = elf.section('version');
  const kernVersion = verSec && verSec.size >= 4 ? new DataView(verSec.data.buffer, verSec.data.byteOffset).getUint32(0, true) : 0;

  const maps: BpfMapDef[] = [];
  /** (section index, byte offset of the map's symbol) -> map number, for lddw relocations. */
  const mapAt = new Map<string, number>();
  const globalMapOf = new Map<number, number>();

  const mapsSec = elf.section('.maps');
  if (mapsSec) {
    if (!btf) throw new BpfObjectError('BTF-defined maps need the .BTF section (compile with -g)', 'section .maps');
    for (const def of btfMaps(elf, mapsSec, btf)) {
      mapAt.set(`${mapsSec.index}:${def.offset}`, maps.length);
      maps.push(def.def);
    }
  }
  const legacy = elf.section('maps');
  if (legacy) {
    for (const def of legacyMaps(elf, legacy)) {
      mapAt.set(`${legacy.index}:${def.offset}`, maps.length);
      maps.push(def.def);
    }
  }
  for (const s of elf.sections) {
    if (!isGlobalDataSection(s.name) || (s.type !== SHT_PROGBITS && s.type !== SHT_NOBITS) || s.size === 0) continue;
    if (s.size > MAX_MAP_BYTES) throw new BpfObjectError(`size ${s.size} is too large for a global-data map`, `section ${s.name}`);
    const ro = s.name.startsWith('.rodata');
    const dsecId = btf?.find(s.name, BtfKind.DATASEC)[0] ?? 0;
    globalMapOf.set(s.index, maps.length);
    maps.push({
      name: internalMapName(objName, s.name), type: BpfMapType.ARRAY, keySize: 4, valueSize: s.size, maxEntries: 1,
      flags: BPF_F_MMAPABLE | (ro ? BPF_F_RDONLY_PROG : 0), pinning: 0, numaNode: 0, mapExtra: 0,
      keyTypeId: 0, valueTypeId: dsecId, globalSection: s.name,
      initialValue: s.type === SHT_NOBITS ? new Uint8Array(s.size) : s.data.slice(), origin: 'global',
    });
  }

  const programs: BpfProgram[] = [];
  const linker = new Linker(elf, fileName, maps, mapAt, globalMapOf, ext, btf);
  const dwarf = elf.section('.debug_info') ? new ObjectDwarf(elf) : undefined;
  for (const s of elf.sections) {
    if (s.type !== SHT_PROGBITS || !(s.flags & SHF_EXECINSTR) || s.name === '.text' || s.size === 0) continue;
    if (s.size % 8 !== 0) throw new BpfObjectError(`size ${s.size} is not a multiple of 8 (struct bpf_insn)`, `section ${s.name}`);
    const funcs = elf.symbols.filter((y) => y.shndx === s.index && y.type === STT_FUNC && y.bind !== STB_LOCAL)
      .sort((a, b) => a.value - b.value);
    // A section without a global FUNC symbol is one program named after the section.
    const entries = funcs.length ? funcs : [{ index: -1, name: s.name, value: 0, size: s.size, bind: 1, type: STT_FUNC, shndx: s.index }];
    for (const f of entries) {
      const size = f.size || s.size - f.value;
      if (f.value % 8 || size % 8 || f.value + size > s.size) {
        throw new BpfObjectError(`function '${f.name}' [${f.value}, +${size}) is not instruction-aligned or runs past the section`, `section ${s.name}`);
      }
      const linked = linker.link(s, f.value / 8, size / 8, f.name);
      programs.push({
        name: f.name, section: s.name, progType: progTypeOfSection(s.name), frags: /^xdp\.frags(\/|$)/.test(s.name),
        insns: linked.insns, maps, lineInfo: linked.lineInfo, funcInfo: linked.funcInfo, pieces: linked.pieces, license, btf,
        ...(dwarf ? { dwarf: new ProgramDwarf(dwarf, linked.pieces) } : {}),
      });
    }
  }
  // prog_array `.values = { [i] = &prog }` initial slots, named by program.
  for (const m of maps) {
    if (!m.initialPrograms) continue;
    for (const [slot, name] of m.initialPrograms) {
      if (!programs.some((p) => p.name === name)) throw new BpfObjectError(`map '${m.name}' slot ${slot} names '${name}', which is not a program`, 'section .maps');
    }
  }
  return { name: objName, programs, maps, license, kernVersion, btf, warnings };
}

/**
 * clang leaves DATASEC sizes and variable offsets at 0; libbpf's btf_fixup_datasec fills them
 * from the ELF section size and the symbols' values. So do we, so values format field by field.
 */
function fixupDatasecs(elf: ElfFile, btf: Btf): void {
  for (const t of btf.types) {
    if (t.kind !== BtfKind.DATASEC) continue;
    const sec = elf.section(t.name);
    if (!sec) continue;
    t.size = sec.size;
    for (const v of t.secinfo ?? []) {
      const vt = btf.types[v.type];
      if (!vt || vt.kind !== BtfKind.VAR) continue;
      const sym = elf.symbols.find((y) => y.shndx === sec.index && y.name === vt.name && y.type !== STT_SECTION);
      if (sym) v.offset = sym.value;
    }
    t.secinfo?.sort((a, b) => a.offset - b.offset);
  }
}

function cstr(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length && b[i] !== 0; i++) s += String.fromCharCode(b[i]);
  return s;
}

function symbolsIn(elf: ElfFile, sec: ElfSection): ElfSymbol[] {
  return elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT_SECTION && s.name !== '');
}

/** The map definitions of `.maps` (libbpf parse_btf_map_def). */
function btfMaps(elf: ElfFile, sec: ElfSection, btf: Btf): { offset: number; def: BpfMapDef }[] {
  const dsec = btf.find('.maps', BtfKind.DATASEC)[0];
  if (dsec === undefined) throw new BpfObjectError('no DATASEC .maps in BTF to describe the maps', 'section .maps');
  const syms = symbolsIn(elf, sec);
  const out: { offset: number; def: BpfMapDef }[] = [];
  for (const vi of btf.type(dsec).secinfo ?? []) {
    const v = btf.type(vi.type);
    if (v.kind !== BtfKind.VAR) throw new BpfObjectError(`entry type ${vi.type} is ${v.kind}, not a VAR`, 'BTF DATASEC .maps');
    const sym = syms.find((s) => s.name === v.name);
    const offset = sym ? sym.value : vi.offset;
    const def = parseBtfMapDef(btf, v.type, v.name, 0);
    // `.values` initialisers come as relocations in .rel.maps against programs (prog_array).
    const relocs = elf.relocations.get(sec.index) ?? [];
    const valuesMember = btf.resolve(v.type).members?.find((m) => m.name === 'values');
    if (valuesMember) {
      // `values` is a flexible array: its slots run past the struct, up to the next map.
      const base = offset + valuesMember.bitOffset / 8;
      const end = Math.min(sec.size, ...syms.filter((y) => y.value > offset).map((y) => y.value));
      for (const r of relocs) {
        if (r.offset < base || r.offset >= end) continue;
        const target = elf.symbols[r.symbol];
        const slot = (r.offset - base) / 8;
        if (def.type === BpfMapType.PROG_ARRAY) (def.initialPrograms ??= new Map()).set(slot, target.name);
      }
    }
    out.push({ offset, def });
  }
  return out;
}

function parseBtfMapDef(btf: Btf, typeId: number, name: string, depth: number): BpfMapDef {
  const where = `map '${name}'`;
  const st = btf.resolve(typeId);
  if (st.kind !== BtfKind.STRUCT) throw new BpfObjectError(`definition is not a struct (BTF kind ${st.kind})`, where);
  const def: BpfMapDef = {
    name, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: 0, numaNode: 0, mapExtra: 0,
    keyTypeId: 0, valueTypeId: 0, origin: '.maps',
  };
  // `__uint(name, val)` is `int (*name)[val]`: the value is the array's element count.
  const uintField = (mType: number, field: string): number => {
    const p = btf.resolve(mType);
    if (p.kind !== BtfKind.PTR) throw new BpfObjectError(`field '${field}' is not a pointer to an array (__uint)`, where);
    const a = btf.resolve(p.type);
    if (a.kind !== BtfKind.ARRAY) throw new BpfObjectError(`field '${field}' does not point to an array (__uint)`, where);
    return a.nelems!;
  };
  let keySizeSet = false, valueSizeSet = false;
  for (const m of st.members ?? []) {
    switch (m.name) {
      case 'type': def.type = uintField(m.type, m.name); break;
      case 'max_entries': def.maxEntries = uintField(m.type, m.name); break;
      case 'map_flags': def.flags = uintField(m.type, m.name); break;
      case 'numa_node': def.numaNode = uintField(m.type, m.name); break;
      case 'pinning': def.pinning = uintField(m.type, m.name); break;
      case 'map_extra': def.mapExtra = uintField(m.type, m.name); break;
      case 'key_size': def.keySize = uintField(m.type, m.name); keySizeSet = true; break;
      case 'value_size': def.valueSize = uintField(m.type, m.name); valueSizeSet = true; break;
      case 'key': {
        const p = btf.resolve(m.type);
        if (p.kind !== BtfKind.PTR) throw new BpfObjectError(`field 'key' is not a pointer (__type)`, where);
        const size = btf.sizeOf(p.type);
        if (keySizeSet && size !== def.keySize) throw new BpfObjectError(`key_size ${def.keySize} does not match sizeof(key) ${size}`, where);
        def.keySize = size; def.keyTypeId = p.type;
        break;
      }
      case 'value': {
        const p = btf.resolve(m.type);
        if (p.kind !== BtfKind.PTR) throw new BpfObjectError(`field 'value' is not a pointer (__type)`, where);
        const size = btf.sizeOf(p.type);
        if (valueSizeSet && size !== def.valueSize) throw new BpfObjectError(`value_size ${def.valueSize} does not match sizeof(value) ${size}`, where);
        def.valueSize = size; def.valueTypeId = p.type;
        break;
      }
      case 'values': {
        // `__array(values, struct inner)`: ARRAY of PTR to the inner map's definition.
        const a = btf.resolve(m.type);
        if (a.kind !== BtfKind.ARRAY) throw new BpfObjectError(`field 'values' is not an array`, where);
        const p = btf.resolve(a.elemType!);
        if (p.kind !== BtfKind.PTR) throw new BpfObjectError(`field 'values' is not an array of pointers`, where);
        const inner = btf.resolve(p.type);
        if ((def.type === BpfMapType.ARRAY_OF_MAPS || def.type === BpfMapType.HASH_OF_MAPS) && inner.kind === BtfKind.STRUCT && depth === 0) {
          def.inner = parseBtfMapDef(btf, p.type, `${name}.inner`, depth + 1);
        }
        if (!valueSizeSet) def.valueSize = 4;
        break;
      }
      default:
        throw new BpfObjectError(`unknown map field '${m.name}'`, where);
    }
  }
  if (def.type === 0) throw new BpfObjectError('map type is not set (__uint(type, ...))', where);
  return def;
}

/** `SEC("maps") struct bpf_map_def`: five u32 {type, key_size, value_size, max_entries, map_flags}. */
function legacyMaps(elf: ElfFile, sec: ElfSection): { offset: number; def: BpfMapDef }[] {
  const syms = symbolsIn(elf, sec).sort((a, b) => a.value - b.value);
  if (!syms.length) return [];
  const size = Math.floor(sec.size / syms.length);
  if (size < 20) throw new BpfObjectError(`${syms.length} maps in ${sec.size} bytes: each bpf_map_def needs at least 20`, 'section maps');
  const dv = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  return syms.map((s) => {
    if (s.value + 20 > sec.size) throw new BpfObjectError(`map '${s.name}' at offset ${s.value} runs past the section`, 'section maps');
    return {
      offset: s.value,
      def: {
        name: s.name, type: dv.getUint32(s.value, true), keySize: dv.getUint32(s.value + 4, true),
        valueSize: dv.getUint32(s.value + 8, true), maxEntries: dv.getUint32(s.value + 12, true),
        flags: dv.getUint32(s.value + 16, true), pinning: 0, numaNode: 0, mapExtra: 0, keyTypeId: 0, valueTypeId: 0, origin: 'maps' as const,
      },
    };
  });
}

interface Linked { insns: Uint8Array; lineInfo: LineInfo[]; funcInfo: FuncInfo[]; pieces: ProgramPiece[] }

/** Builds one program: relocates its code and appends the sub-programs it calls (libbpf's layout). */
class Linker {
  constructor(
    private readonly elf: ElfFile,
    private readonly fileName: string,
    private readonly maps: BpfMapDef[],
    private readonly mapAt: Map<string, number>,
    private readonly globalMapOf: Map<number, number>,
    private readonly ext: Map<string, BtfExtSection>,
    private readonly btf: Btf | undefined,
  ) {}

  link(sec: ElfSection, start: number, count: number, name: string): Linked {
    const pieces: ProgramPiece[] = [{ section: sec.name, sectionInsn: start, insn: 0, length: count, name }];
    let total = count;
    const MAX_INSNS = 1_000_000;
    // Patched copies of each piece, filled as we walk (appending may add pieces).
    const out: Uint8Array[] = [];
    for (let pi = 0; pi < pieces.length; pi++) {
      const piece = pieces[pi];
      const s = this.elf.section(piece.section)!;
      const code = s.data.slice(piece.sectionInsn * 8, (piece.sectionInsn + piece.length) * 8);
      const dv = new DataView(code.buffer, code.byteOffset, code.byteLength);
      const relocList = this.elf.relocations.get(s.index) ?? [];
      const byOff = new Map(relocList.map((r) => [r.offset, r]));
      for (let i = 0; i < piece.length; i++) {
        const secInsn = piece.sectionInsn + i;
        const o = i * 8;
        const where = `${this.fileName}: section ${piece.section} insn ${secInsn}`;
        const r = byOff.get(secInsn * 8);
        const op = code[o];
        if (op === OP_LDDW && i + 1 >= piece.length) throw new BpfObjectError('lddw is cut off: its second half is past the end of the function', where);
        if (r && r.type !== R_BPF_NONE) {
          const sym = this.elf.symbols[r.symbol];
          if (r.type === R_BPF_64_64) {
            if (op !== OP_LDDW) throw new BpfObjectError(`R_BPF_64_64 relocation against '${sym.name}' is not on an lddw (opcode 0x${op.toString(16)})`, where);
            this.relocLddw(code, dv, o, sym, where);
          } else if (r.type === R_BPF_64_32) {
            if (op !== OP_CALL || (code[o + 1] >> 4) !== PSEUDO_CALL) {
              throw new BpfObjectError(`R_BPF_64_32 relocation against '${sym.name}' is not on a bpf-to-bpf call`, where);
            }
            if (sym.shndx === SHN_UNDEF) throw new BpfObjectError(`call to undefined function '${sym.name}' (extern functions are not supported)`, where);
            const target = sym.value / 8 + dv.getInt32(o + 4, true) + 1;
            const tsec = this.sectionAt(sym.shndx, where);
            total = this.resolveCall(pieces, pi, i, tsec, target, dv, o, where, total);
          } else {
            throw new BpfObjectError(`unsupported relocation type ${r.type}${RELOC_NAMES[r.type] ? ` (${RELOC_NAMES[r.type]})` : ''} against '${sym.name}'`, where);
          }
        } else if (op === OP_CALL && (code[o + 1] >> 4) === PSEUDO_CALL) {
          // Same-section call without a relocation: imm is already relative to the next insn.
          const target = secInsn + dv.getInt32(o + 4, true) + 1;
          total = this.resolveCall(pieces, pi, i, s, target, dv, o, where, total);
        } else if (op === OP_LDDW && (code[o + 1] >> 4) !== 0 && !r) {
          throw new BpfObjectError(`lddw with src_reg ${code[o + 1] >> 4} has no relocation`, where);
        }
        if (op === OP_LDDW) i++;
        if (total > MAX_INSNS) throw new BpfObjectError(`program '${name}' is larger than ${MAX_INSNS} instructions after linking`, where);
      }
      out.push(code);
    }
    const insns = new Uint8Array(total * 8);
    pieces.forEach((p, i) => insns.set(out[i], p.insn * 8));
    return { insns, ...this.infos(pieces), pieces };
  }

  private sectionAt(shndx: number, where: string): ElfSection {
    if (shndx === SHN_UNDEF || shndx === SHN_ABS || shndx === SHN_COMMON || shndx >= this.elf.sections.length) {
      throw new BpfObjectError(`relocation symbol is in section ${shndx}, which cannot hold code or data`, where);
    }
    return this.elf.sections[shndx];
  }

  /** Points the call at the callee inside the linked program, appending the callee's function if needed. */
  private resolveCall(pieces: ProgramPiece[], pi: number, i: number, tsec: ElfSection, target: number, dv: DataView, o: number, where: string, total: number): number {
    const cur = pieces[pi];
    if (!(tsec.flags & SHF_EXECINSTR)) throw new BpfObjectError(`call target is in non-code section ${tsec.name}`, where);
    if (target < 0 || target * 8 >= tsec.size) throw new BpfObjectError(`call target ${target} is outside section ${tsec.name} (${tsec.size / 8} insns)`, where);
    let piece = pieces.find((p) => p.section === tsec.name && target >= p.sectionInsn && target < p.sectionInsn + p.length);
    if (!piece) {
      // Append the whole function containing the target (by FUNC symbol; else the rest of the section).
      const funcs = this.elf.symbols.filter((y) => y.shndx === tsec.index && y.type === STT_FUNC).sort((a, b) => a.value - b.value);
      const f = funcs.filter((y) => y.value / 8 <= target).pop();
      let startInsn = 0, len = tsec.size / 8, fname = tsec.name;
      if (f) {
        startInsn = f.value / 8;
        const next = funcs.find((y) => y.value > f.value);
        len = (f.size ? f.size : (next ? next.value : tsec.size) - f.value) / 8;
        fname = f.name;
      }
      if (target >= startInsn + len) { startInsn = target; len = tsec.size / 8 - target; fname = `${tsec.name}+${target}`; }
      piece = { section: tsec.name, sectionInsn: startInsn, insn: total, length: len, name: fname };
      pieces.push(piece);
      total += len;
    }
    const calleeLinked = piece.insn + (target - piece.sectionInsn);
    const callerLinked = cur.insn + i;
    dv.setInt32(o + 4, calleeLinked - (callerLinked + 1), true);
    return total;
  }

  private relocLddw(code: Uint8Array, dv: DataView, o: number, sym: ElfSymbol, where: string): void {
    if (sym.shndx === SHN_UNDEF) throw new BpfObjectError(`lddw of undefined symbol '${sym.name}' (extern variables and kconfig are not supported)`, where);
    const sec = this.sectionAt(sym.shndx, where);
    const mapNo = this.mapAt.get(`${sec.index}:${sym.value}`);
    if (sec.name === '.maps' || sec.name === 'maps') {
      if (mapNo === undefined) throw new BpfObjectError(`lddw of '${sym.name}' at ${sec.name}+${sym.value}, where no map is defined`, where);
      code[o + 1] = (code[o + 1] & 0x0f) | (PSEUDO_MAP_FD << 4);
      dv.setInt32(o + 4, mapNo, true);
      dv.setInt32(o + 12, 0, true);
      return;
    }
    const gmap = this.globalMapOf.get(sec.index);
    if (gmap !== undefined) {
      // RELO_DATA: the addend (imm) plus the symbol's offset inside the section.
      const off = dv.getInt32(o + 4, true) + (sym.type === STT_SECTION ? 0 : sym.value);
      if (off < 0 || off > this.maps[gmap].valueSize) throw new BpfObjectError(`lddw of '${sym.name}' + ${off} is outside ${sec.name} (${this.maps[gmap].valueSize} bytes)`, where);
      code[o + 1] = (code[o + 1] & 0x0f) | (PSEUDO_MAP_VALUE << 4);
      dv.setInt32(o + 4, gmap, true);
      dv.setInt32(o + 12, off, true);
      return;
    }
    if (sec.flags & SHF_EXECINSTR) throw new BpfObjectError(`lddw of function '${sym.name}' (callbacks, BPF_PSEUDO_FUNC) is not supported`, where);
    throw new BpfObjectError(`lddw of '${sym.name}' in section ${sec.name}, which is neither a map nor global data`, where);
  }

  /** .BTF.ext records of each piece, rebased to instruction indices of the linked program. */
  private infos(pieces: ProgramPiece[]): { lineInfo: LineInfo[]; funcInfo: FuncInfo[] } {
    const lineInfo: LineInfo[] = [];
    const funcInfo: FuncInfo[] = [];
    for (const p of pieces) {
      const e = this.ext.get(p.section);
      if (!e) continue;
      const lo = p.sectionInsn * 8, hi = (p.sectionInsn + p.length) * 8;
      for (const l of e.lineInfo) {
        if (l.insnOff < lo || l.insnOff >= hi || l.insnOff % 8) continue;
        lineInfo.push({ insn: p.insn + (l.insnOff - lo) / 8, file: l.fileName, line: l.line, col: l.col, text: l.lineText });
      }
      for (const f of e.funcInfo) {
        if (f.insnOff < lo || f.insnOff >= hi || f.insnOff % 8) continue;
        const t = this.btf?.types[f.typeId];
        if (!t) throw new BpfObjectError(`func_info names type ${f.typeId}, which does not exist`, `.BTF.ext section ${p.section}`);
        const name = t.name;
        funcInfo.push({ insn: p.insn + (f.insnOff - lo) / 8, name, typeId: f.typeId });
      }
    }
    lineInfo.sort((a, b) => a.insn - b.insn);
    funcInfo.sort((a, b) => a.insn - b.insn);
    return { lineInfo, funcInfo };
  }
}
