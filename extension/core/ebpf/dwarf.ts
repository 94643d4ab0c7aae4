// DWARF (versions 4 and 5) of a clang `-target bpf -g` relocatable object: the compile units'
// DIE trees, C types, subprograms with their lexical blocks and inlined subroutines, and the
// variables with their locations (expression or location list). The object is not linked, so
// the `.rel.debug_*` relocations are applied first (R_BPF_64_ABS64 / R_BPF_64_ABS32): code
// addresses become (ELF section, byte offset) pairs and string offsets point into `.debug_str`.
// Every read is bounds-checked; a corrupt section gives one DwarfError naming section and offset.
import { BpfObjectError, SHN_ABS, SHN_COMMON, SHN_UNDEF, type ElfFile } from './elf';
import { R_BPF_64_ABS32, R_BPF_64_ABS64, R_BPF_NONE } from './loader';

/** A problem in the DWARF of an object: section and byte offset named. */
export class DwarfError extends BpfObjectError {
  constructor(message: string, section: string, offset: number) {
    super(message, `${section} offset 0x${offset.toString(16)}`);
    this.name = 'DwarfError';
  }
}

// DW_TAG_*
export const DW_TAG = {
  array_type: 0x01, enumeration_type: 0x04, formal_parameter: 0x05, lexical_block: 0x0b, member: 0x0d,
  pointer_type: 0x0f, compile_unit: 0x11, structure_type: 0x13, subroutine_type: 0x15, typedef: 0x16,
  union_type: 0x17, inlined_subroutine: 0x1d, subrange_type: 0x21, base_type: 0x24, const_type: 0x26,
  enumerator: 0x28, subprogram: 0x2e, variable: 0x34, volatile_type: 0x35, restrict_type: 0x37, atomic_type: 0x47,
  partial_unit: 0x3c,
} as const;

// DW_AT_*
export const DW_AT = {
  location: 0x02, name: 0x03, byte_size: 0x0b, bit_offset: 0x0c, bit_size: 0x0d, low_pc: 0x11, high_pc: 0x12,
  const_value: 0x1c, upper_bound: 0x2f, abstract_origin: 0x31, count: 0x37, data_member_location: 0x38,
  encoding: 0x3e, frame_base: 0x40, specification: 0x47, type: 0x49, ranges: 0x55, data_bit_offset: 0x6b,
  str_offsets_base: 0x72, addr_base: 0x73, rnglists_base: 0x74, loclists_base: 0x8c,
} as const;

// DW_FORM_*
const F = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25,
  strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
} as const;

const DW_ATE_boolean = 0x02, DW_ATE_float = 0x04, DW_ATE_signed = 0x05, DW_ATE_signed_char = 0x06;

/** Bounded little-endian reader over one section. */
export class DwarfReader {
  constructor(readonly b: Uint8Array, readonly section: string, public pos = 0, readonly end = b.length) {}

  fail(msg: string, at = this.pos): never { throw new DwarfError(msg, this.section, at); }
  need(n: number): void { if (n < 0 || this.pos + n > this.end) this.fail(`${n} bytes needed, ${Math.max(0, this.end - this.pos)} left (truncated?)`); }
  u8(): number { this.need(1); return this.b[this.pos++]; }
  u16(): number { this.need(2); const v = this.b[this.pos] | (this.b[this.pos + 1] << 8); this.pos += 2; return v; }
  u24(): number { this.need(3); const v = this.b[this.pos] | (this.b[this.pos + 1] << 8) | (this.b[this.pos + 2] << 16); this.pos += 3; return v; }
  u32(): number { this.need(4); const p = this.pos; this.pos += 4; return (this.b[p] | (this.b[p + 1] << 8) | (this.b[p + 2] << 16)) + this.b[p + 3] * 0x1000000; }
  /** A u64 that must fit a JS number (offsets, addresses in an object we hold). */
  u64(): number {
    const at = this.pos, lo = this.u32(), hi = this.u32();
    if (hi >= 0x200000) this.fail(`64-bit value 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is too large`, at);
    return hi * 0x100000000 + lo;
  }
  u64Big(): bigint { const lo = this.u32(), hi = this.u32(); return (BigInt(hi) << 32n) | BigInt(lo); }
  uN(n: number): number { return n === 1 ? this.u8() : n === 2 ? this.u16() : n === 4 ? this.u32() : n === 8 ? this.u64() : this.fail(`unsupported size ${n}`); }
  uleb(): number {
    const at = this.pos;
    let v = 0, mul = 1;
    for (let i = 0; ; i++) {
      const byte = this.u8();
      v += (byte & 0x7f) * mul;
      if (!(byte & 0x80)) break;
      mul *= 128;
      if (i >= 7) this.fail('ULEB128 value is too large', at);
    }
    return v;
  }
  sleb(): number { const v = this.slebBig(); if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) this.fail('SLEB128 value is too large'); return Number(v); }
  ulebBig(): bigint {
    let v = 0n, shift = 0n;
    for (let i = 0; ; i++) {
      const byte = this.u8();
      v |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (!(byte & 0x80)) return v & ((1n << 64n) - 1n);
      if (i >= 9) this.fail('LEB128 value is longer than 10 bytes');
    }
  }
  slebBig(): bigint {
    let v = 0n, shift = 0n, byte: number;
    for (let i = 0; ; i++) {
      byte = this.u8();
      v |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (!(byte & 0x80)) break;
      if (i >= 9) this.fail('LEB128 value is longer than 10 bytes');
    }
    if (byte & 0x40) v -= 1n << shift;
    return BigInt.asIntN(64, v);
  }
  bytes(n: number): Uint8Array { this.need(n); const v = this.b.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  cstr(): string {
    const at = this.pos;
    let e = this.pos;
    while (e < this.end && this.b[e] !== 0) e++;
    if (e >= this.end) this.fail('string is not NUL-terminated', at);
    let s = '';
    for (let i = this.pos; i < e; i++) s += String.fromCharCode(this.b[i]);
    this.pos = e + 1;
    return s;
  }
}

/** A debug section after relocation, with the ELF section each relocated address slot points into. */
interface DebugSection { name: string; data: Uint8Array; secOf: Map<number, number> }

/** A code address of the unlinked object: ELF section index (-1: unknown) and byte offset. */
export interface DwarfAddress { sec: number; off: number }

export interface Attr { form: number; u: number; bytes?: Uint8Array; str?: string; sec?: number; at: number }

export interface Die {
  off: number;
  tag: number;
  attrs: Map<number, Attr>;
  children: Die[];
  parent: Die | undefined;
  cu: CompileUnit;
}

export interface CompileUnit {
  off: number;
  version: number;
  addrSize: number;
  offsetSize: number;
  die: Die;
  strOffsetsBase: number;
  addrBase: number;
  rnglistsBase: number;
  loclistsBase: number;
  /** DW_AT_low_pc of the unit: the base address of its location and range lists. */
  base: DwarfAddress;
}

// -- C types -------------------------------------------------------------------------------------

export type CTypeKind = 'void' | 'base' | 'pointer' | 'struct' | 'union' | 'array' | 'enum' | 'typedef' | 'const' | 'volatile' | 'restrict' | 'func';

export interface CMember {
  name: string;
  type: CType;
  /** Byte offset of the member (of its storage unit, for a bitfield). */
  offset: number;
  /** Bitfields: width and offset from bit 0 (the least significant bit) of byte `offset` (little-endian). */
  bitSize?: number;
  bitOffset?: number;
}

export interface CType {
  kind: CTypeKind;
  /** The type's own name (`__u32`, `iphdr`), '' when anonymous. */
  name: string;
  size: number;
  /** base: DW_ATE_* */
  encoding?: number;
  /** pointer/typedef/const/volatile/array element/enum underlying: the type it refers to (void for none). */
  target?: CType;
  members?: CMember[];
  /** Arrays: element counts, outermost first (`int a[2][3]` -> [2, 3]). */
  dims?: number[];
  enumerators?: { name: string; value: bigint }[];
}

export const VOID: CType = { kind: 'void', name: 'void', size: 0 };

/** Typedefs and qualifiers removed. */
export function stripType(t: CType): CType {
  for (let i = 0; i < 64 && (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict'); i++) t = t.target ?? VOID;
  return t;
}

export function isSigned(t: CType): boolean {
  const s = stripType(t);
  if (s.kind === 'enum') return s.target ? isSigned(s.target) : (s.enumerators ?? []).some((e) => e.value < 0n);
  return s.kind === 'base' && (s.encoding === DW_ATE_signed || s.encoding === DW_ATE_signed_char);
}
export const isBool = (t: CType): boolean => { const s = stripType(t); return s.kind === 'base' && s.encoding === DW_ATE_boolean; };
export const isFloat = (t: CType): boolean => { const s = stripType(t); return s.kind === 'base' && s.encoding === DW_ATE_float; };
export const isCharType = (t: CType): boolean => { const s = stripType(t); return s.kind === 'base' && s.size === 1 && /char/.test(s.name); };

/** The C spelling of a type: `struct iphdr *`, `const void *`, `unsigned char[6]`, `__be16`. */
export function typeName(t: CType, depth = 0): string {
  if (depth > 32) return '…';
  switch (t.kind) {
    case 'void': return 'void';
    case 'base': case 'typedef': return t.name;
    case 'struct': case 'union': case 'enum': return `${t.kind} ${t.name || '{...}'}`;
    case 'pointer': {
      const inner = t.target ?? VOID;
      if (inner.kind === 'func') return `${typeName(inner.target ?? VOID, depth + 1)} (*)(...)`;
      const s = typeName(inner, depth + 1);
      return s.endsWith('*') ? `${s}*` : `${s} *`;
    }
    case 'const': case 'volatile': case 'restrict': {
      const inner = t.target ?? VOID;
      if (inner.kind === 'pointer') return `${typeName(inner, depth + 1)} ${t.kind}`;
      return `${t.kind} ${typeName(inner, depth + 1)}`;
    }
    case 'array': return `${typeName(t.target ?? VOID, depth + 1)}${(t.dims ?? []).map((d) => `[${d}]`).join('')}`;
    case 'func': return `${typeName(t.target ?? VOID, depth + 1)} (...)`;
  }
}

// -- variables and scopes ------------------------------------------------------------------------

/** Where a variable lives: an expression, a location list, a constant, or nowhere. */
export type VarLocation =
  | { kind: 'expr'; expr: Uint8Array }
  | { kind: 'loclist'; offset: number; cu: CompileUnit; dwarf4: boolean }
  | { kind: 'const'; bytes?: Uint8Array; value?: bigint }
  | { kind: 'none' };

export interface DwarfVariable {
  name: string;
  type: CType;
  param: boolean;
  location: VarLocation;
  /** DIE offset in .debug_info (for messages and tests). */
  die: number;
  /** Offset of its compile unit (DW_OP_convert names base types relative to it). */
  unit: number;
}

export interface DwarfScope {
  kind: 'function' | 'inlined' | 'block';
  /** Function name (the inlined function's for `inlined`). */
  name: string;
  vars: DwarfVariable[];
}

/** A function with code: its address ranges (in one ELF section) and DIE. */
export interface DwarfFunction {
  name: string;
  die: Die;
  sec: number;
  ranges: [number, number][];
}

const MAX_DEPTH = 256;

export class DwarfInfo {
  readonly units: CompileUnit[] = [];
  readonly functions: DwarfFunction[] = [];
  private readonly dies = new Map<number, Die>();
  private readonly types = new Map<number, CType>();
  private readonly abbrevs = new Map<number, Map<number, { tag: number; children: boolean; specs: { at: number; form: number; implicit: number }[] }>>();
  readonly info: DebugSection;
  private readonly abbrev: DebugSection;
  private readonly str: DebugSection | undefined;
  private readonly lineStr: DebugSection | undefined;
  private readonly strOffsets: DebugSection | undefined;
  private readonly addr: DebugSection | undefined;
  readonly loclists: DebugSection | undefined;
  readonly loc: DebugSection | undefined;
  private readonly rnglists: DebugSection | undefined;
  private readonly ranges4: DebugSection | undefined;

  constructor(elf: ElfFile) {
    const get = (name: string): DebugSection | undefined => {
      const s = elf.section(name);
      return s ? relocate(elf, s.index, name) : undefined;
    };
    const info = get('.debug_info'), abbrev = get('.debug_abbrev');
    if (!info) throw new DwarfError('no .debug_info section (compile with -g)', '.debug_info', 0);
    if (!abbrev) throw new DwarfError('.debug_info needs a .debug_abbrev section, which is missing', '.debug_abbrev', 0);
    this.info = info; this.abbrev = abbrev;
    this.str = get('.debug_str'); this.lineStr = get('.debug_line_str'); this.strOffsets = get('.debug_str_offsets');
    this.addr = get('.debug_addr'); this.loclists = get('.debug_loclists'); this.loc = get('.debug_loc');
    this.rnglists = get('.debug_rnglists'); this.ranges4 = get('.debug_ranges');
    this.parseUnits();
    for (const cu of this.units) this.collectFunctions(cu.die);
  }

  // -- units and DIEs ----------------------------------------------------------------------------

  private parseUnits(): void {
    const r = new DwarfReader(this.info.data, '.debug_info');
    while (r.pos < r.end) {
      const start = r.pos;
      let len = r.u32(), offsetSize = 4;
      if (len === 0xffffffff) { len = r.u64(); offsetSize = 8; } else if (len >= 0xfffffff0) r.fail(`reserved unit length 0x${len.toString(16)}`, start);
      const bodyStart = r.pos;
      if (len > r.end - bodyStart) r.fail(`unit length ${len} runs past the end of the section (${r.end - bodyStart} bytes left)`, start);
      const end = bodyStart + len;
      const ur = new DwarfReader(this.info.data, '.debug_info', bodyStart, end);
      const version = ur.u16();
      if (version < 2 || version > 5) ur.fail(`DWARF version ${version} is not supported (2-5)`, bodyStart);
      let addrSize: number, abbrevOff: number;
      if (version >= 5) {
        const unitType = ur.u8(); addrSize = ur.u8(); abbrevOff = ur.uN(offsetSize);
        if (unitType === 4 || unitType === 5) ur.u64Big(); // skeleton/split dwo id
        if (unitType === 2 || unitType === 6) { r.pos = end; continue; } // type units: not used by C locals
      } else {
        abbrevOff = ur.uN(offsetSize); addrSize = ur.u8();
      }
      if (addrSize !== 8 && addrSize !== 4) ur.fail(`address size ${addrSize} is not 4 or 8`);
      const cu: CompileUnit = {
        off: start, version, addrSize, offsetSize, die: undefined as unknown as Die,
        strOffsetsBase: 8, addrBase: 8, rnglistsBase: 0, loclistsBase: 0, base: { sec: -1, off: 0 },
      };
      const abbrevs = this.abbrevTable(abbrevOff);
      cu.die = this.parseDies(ur, cu, abbrevs);
      const num = (at: number): number | undefined => cu.die.attrs.get(at)?.u;
      cu.strOffsetsBase = num(DW_AT.str_offsets_base) ?? 8;
      cu.addrBase = num(DW_AT.addr_base) ?? 8;
      cu.rnglistsBase = num(DW_AT.rnglists_base) ?? 0;
      cu.loclistsBase = num(DW_AT.loclists_base) ?? 0;
      const low = cu.die.attrs.get(DW_AT.low_pc);
      if (low) cu.base = this.address(cu, low);
      this.units.push(cu);
      r.pos = end;
    }
  }

  private abbrevTable(off: number): Map<number, { tag: number; children: boolean; specs: { at: number; form: number; implicit: number }[] }> {
    let t = this.abbrevs.get(off);
    if (t) return t;
    t = new Map();
    const r = new DwarfReader(this.abbrev.data, '.debug_abbrev', off);
    if (off >= r.end) r.fail(`abbreviation table offset is past the end of the section (${r.end} bytes)`, off);
    for (;;) {
      const code = r.uleb();
      if (code === 0) break;
      const tag = r.uleb();
      const children = r.u8() !== 0;
      const specs: { at: number; form: number; implicit: number }[] = [];
      for (;;) {
        const at = r.uleb(), form = r.uleb();
        if (at === 0 && form === 0) break;
        specs.push({ at, form, implicit: form === F.implicit_const ? r.sleb() : 0 });
      }
      t.set(code, { tag, children, specs });
    }
    this.abbrevs.set(off, t);
    return t;
  }

  private parseDies(r: DwarfReader, cu: CompileUnit, abbrevs: ReturnType<DwarfInfo['abbrevTable']>): Die {
    let root: Die | undefined;
    const stack: Die[] = [];
    while (r.pos < r.end) {
      const off = r.pos;
      const code = r.uleb();
      if (code === 0) {
        if (!stack.length) { if (root) break; continue; }
        stack.pop();
        if (!stack.length) break;
        continue;
      }
      const ab = abbrevs.get(code);
      if (!ab) r.fail(`abbreviation code ${code} is not in the unit's abbreviation table`, off);
      const die: Die = { off, tag: ab.tag, attrs: new Map(), children: [], parent: stack[stack.length - 1], cu };
      for (const s of ab.specs) die.attrs.set(s.at, this.readAttr(r, cu, s.form, s.implicit, 0));
      this.dies.set(off, die);
      if (die.parent) die.parent.children.push(die);
      else if (!root) root = die;
      if (ab.children) {
        if (stack.length >= MAX_DEPTH) r.fail(`DIEs nested deeper than ${MAX_DEPTH}`, off);
        stack.push(die);
      } else if (!stack.length) break;
    }
    if (!root) r.fail('unit has no DIE', r.pos);
    return root;
  }

  private readAttr(r: DwarfReader, cu: CompileUnit, form: number, implicit: number, depth: number): Attr {
    const at = r.pos;
    const off = (): number => r.uN(cu.offsetSize);
    const data = (n: number): Attr => { const bytes = r.bytes(n); let u = 0; for (let i = Math.min(n, 7) - 1; i >= 0; i--) u = u * 256 + bytes[i]; return { form, u, bytes, at }; };
    switch (form) {
      case F.addr: { const u = r.uN(cu.addrSize); return { form, u, at, sec: this.info.secOf.get(at) ?? -1 }; }
      case F.data1: return data(1);
      case F.data2: return data(2);
      case F.data4: return data(4);
      case F.data8: return data(8);
      case F.data16: return data(16);
      case F.sdata: { const s = r.slebBig(); return { form, u: Number(s), bytes: leBytes(s, 8), at }; }
      case F.udata: { const v = r.ulebBig(); return { form, u: Number(v), bytes: leBytes(v, 8), at }; }
      case F.string: return { form, u: 0, str: r.cstr(), at };
      case F.strp: case F.line_strp: {
        const o = off();
        const s = form === F.strp ? this.str : this.lineStr;
        if (!s) r.fail(`string form needs ${form === F.strp ? '.debug_str' : '.debug_line_str'}, which is missing`, at);
        return { form, u: o, str: new DwarfReader(s.data, s.name, o).cstr(), at };
      }
      case F.strx: case F.addrx: case F.loclistx: case F.rnglistx: case F.ref_udata: return { form, u: r.uleb() + (form === F.ref_udata ? cu.off : 0), at };
      case F.strx1: case F.addrx1: case F.ref1: case F.flag: return { form, u: r.u8() + (form === F.ref1 ? cu.off : 0), at };
      case F.strx2: case F.addrx2: case F.ref2: return { form, u: r.u16() + (form === F.ref2 ? cu.off : 0), at };
      case F.strx3: case F.addrx3: return { form, u: r.u24(), at };
      case F.strx4: case F.addrx4: case F.ref4: return { form, u: r.u32() + (form === F.ref4 ? cu.off : 0), at };
      case F.ref8: return { form, u: r.u64() + cu.off, at };
      case F.ref_addr: return { form, u: cu.version <= 2 ? r.uN(cu.addrSize) : off(), at };
      case F.sec_offset: case F.strp_sup: return { form, u: off(), at };
      case F.ref_sup4: return { form, u: r.u32(), at };
      case F.ref_sup8: case F.ref_sig8: return { form, u: 0, bytes: r.bytes(8), at };
      case F.exprloc: case F.block: { const n = r.uleb(); return { form, u: n, bytes: r.bytes(n), at }; }
      case F.block1: { const n = r.u8(); return { form, u: n, bytes: r.bytes(n), at }; }
      case F.block2: { const n = r.u16(); return { form, u: n, bytes: r.bytes(n), at }; }
      case F.block4: { const n = r.u32(); return { form, u: n, bytes: r.bytes(n), at }; }
      case F.flag_present: return { form, u: 1, at };
      case F.implicit_const: return { form, u: implicit, bytes: leBytes(BigInt(implicit), 8), at };
      case F.indirect: {
        if (depth > 4) r.fail('DW_FORM_indirect chain is too long', at);
        return this.readAttr(r, cu, r.uleb(), implicit, depth + 1);
      }
      default: return r.fail(`unknown attribute form 0x${form.toString(16)}`, at);
    }
  }

  die(off: number): Die | undefined { return this.dies.get(off); }

  /** A DIE's attribute, following DW_AT_abstract_origin / DW_AT_specification (bounded). */
  attr(d: Die, at: number): Attr | undefined {
    for (let i = 0; i < 8; i++) {
      const a = d.attrs.get(at);
      if (a) return a;
      const o = d.attrs.get(DW_AT.abstract_origin) ?? d.attrs.get(DW_AT.specification);
      const next = o && this.dies.get(o.u);
      if (!next) return undefined;
      d = next;
    }
    return undefined;
  }

  /** The string value of an attribute (strx forms through .debug_str_offsets). */
  string(d: Die, at: number): string | undefined {
    const a = this.attr(d, at);
    if (!a) return undefined;
    if (a.str !== undefined) return a.str;
    if (a.form === F.strx || (a.form >= F.strx1 && a.form <= F.strx4)) {
      const so = this.strOffsets, s = this.str;
      if (!so || !s) throw new DwarfError('DW_FORM_strx needs .debug_str_offsets and .debug_str', '.debug_info', a.at);
      const cu = d.cu;
      const o = new DwarfReader(so.data, so.name, cu.strOffsetsBase + a.u * cu.offsetSize).uN(cu.offsetSize);
      a.str = new DwarfReader(s.data, s.name, o).cstr();
      return a.str;
    }
    throw new DwarfError(`attribute 0x${at.toString(16)} (form 0x${a.form.toString(16)}) is not a string`, '.debug_info', a.at);
  }

  /** An address attribute (DW_FORM_addr or an addrx index into .debug_addr). */
  address(cu: CompileUnit, a: Attr): DwarfAddress {
    if (a.form === F.addr) return { sec: a.sec ?? -1, off: a.u };
    if (a.form === F.addrx || (a.form >= F.addrx1 && a.form <= F.addrx4)) return this.addrx(cu, a.u, a.at);
    throw new DwarfError(`form 0x${a.form.toString(16)} is not an address`, '.debug_info', a.at);
  }

  /** Entry `index` of the unit's .debug_addr table. */
  addrx(cu: CompileUnit, index: number, at: number): DwarfAddress {
    const s = this.addr;
    if (!s) throw new DwarfError('an address index needs the .debug_addr section, which is missing', '.debug_info', at);
    const o = cu.addrBase + index * cu.addrSize;
    const off = new DwarfReader(s.data, s.name, o).uN(cu.addrSize);
    return { sec: s.secOf.get(o) ?? -1, off };
  }

  // -- functions and scopes ----------------------------------------------------------------------

  /** [lo, hi) byte ranges of a DIE in one ELF section (low_pc/high_pc or DW_AT_ranges), or undefined when it has none. */
  rangesOf(d: Die): { sec: number; ranges: [number, number][] } | undefined {
    const cu = d.cu;
    const low = d.attrs.get(DW_AT.low_pc);
    if (low) {
      const lo = this.address(cu, low);
      const high = d.attrs.get(DW_AT.high_pc);
      if (!high) return { sec: lo.sec, ranges: [[lo.off, lo.off + 1]] };
      const isAddr = high.form === F.addr || high.form === F.addrx || (high.form >= F.addrx1 && high.form <= F.addrx4);
      const hi = isAddr ? this.address(cu, high).off : lo.off + high.u;
      return { sec: lo.sec, ranges: [[lo.off, hi]] };
    }
    const rg = d.attrs.get(DW_AT.ranges);
    if (!rg) return undefined;
    const out: [number, number][] = [];
    let sec = -1;
    if (cu.version >= 5) {
      const s = this.rnglists;
      if (!s) throw new DwarfError('DW_AT_ranges needs .debug_rnglists, which is missing', '.debug_info', rg.at);
      let off = rg.u;
      if (rg.form === F.rnglistx) off = cu.rnglistsBase + new DwarfReader(s.data, s.name, cu.rnglistsBase + rg.u * cu.offsetSize).uN(cu.offsetSize);
      const r = new DwarfReader(s.data, s.name, off);
      let base = cu.base;
      for (let n = 0; ; n++) {
        if (n > s.data.length) r.fail('range list does not end');
        const kind = r.u8();
        if (kind === 0) break;
        let a: DwarfAddress, e: number;
        switch (kind) {
          case 1: base = this.addrx(cu, r.uleb(), r.pos); continue; // DW_RLE_base_addressx
          case 2: a = this.addrx(cu, r.uleb(), r.pos); e = this.addrx(cu, r.uleb(), r.pos).off; break; // startx_endx
          case 3: a = this.addrx(cu, r.uleb(), r.pos); e = a.off + r.uleb(); break; // startx_length
          case 4: a = { sec: base.sec, off: base.off + r.uleb() }; e = base.off + r.uleb(); break; // offset_pair
          case 5: { const p = r.pos; base = { off: r.uN(cu.addrSize), sec: s.secOf.get(p) ?? -1 }; continue; } // base_address
          case 6: { const p = r.pos; a = { off: r.uN(cu.addrSize), sec: s.secOf.get(p) ?? -1 }; e = r.uN(cu.addrSize); break; } // start_end
          case 7: { const p = r.pos; a = { off: r.uN(cu.addrSize), sec: s.secOf.get(p) ?? -1 }; e = a.off + r.uleb(); break; } // start_length
          default: return r.fail(`unknown range list entry kind ${kind}`, r.pos - 1);
        }
        if (sec < 0) sec = a.sec;
        if (a.sec === sec) out.push([a.off, e]);
      }
    } else {
      const s = this.ranges4;
      if (!s) throw new DwarfError('DW_AT_ranges needs .debug_ranges, which is missing', '.debug_info', rg.at);
      const r = new DwarfReader(s.data, s.name, rg.u);
      let base = cu.base;
      for (let n = 0; ; n++) {
        if (n > s.data.length) r.fail('range list does not end');
        const p = r.pos;
        const a = r.u64Big(), e = r.u64Big();
        if (a === 0n && e === 0n) break;
        if (a === (1n << 64n) - 1n) { base = { off: Number(e), sec: s.secOf.get(p + 8) ?? -1 }; continue; }
        const aSec = s.secOf.get(p) ?? base.sec;
        const rel = s.secOf.has(p) ? 0 : base.off;
        if (sec < 0) sec = aSec;
        if (aSec === sec) out.push([rel + Number(a), rel + Number(e)]);
      }
    }
    return { sec, ranges: out };
  }

  private collectFunctions(d: Die): void {
    for (const c of d.children) {
      if (c.tag === DW_TAG.subprogram) {
        const rg = this.rangesOf(c);
        if (rg) this.functions.push({ name: this.string(c, DW_AT.name) ?? '(anonymous)', die: c, sec: rg.sec, ranges: rg.ranges });
      }
      // C nests no functions in functions; namespaces and the like are not C.
    }
  }

  private globalList: DwarfVariable[] | undefined;

  /** Variables at file scope with a location (global data: .rodata, .data, .bss; and maps, license). */
  globals(): DwarfVariable[] {
    if (!this.globalList) {
      this.globalList = [];
      for (const cu of this.units) {
        for (const c of cu.die.children) {
          if (c.tag !== DW_TAG.variable || !c.attrs.has(DW_AT.location)) continue;
          const v = this.variable(c);
          if (v) this.globalList.push(v);
        }
      }
    }
    return this.globalList;
  }

  unitAt(off: number): CompileUnit | undefined { return this.units.find((u) => u.off === off); }

  /** The function whose code holds (sec, off). */
  functionAt(sec: number, off: number): DwarfFunction | undefined {
    return this.functions.find((f) => f.sec === sec && f.ranges.some(([a, b]) => off >= a && off < b));
  }

  /**
   * The scopes at (sec, off), innermost first: lexical blocks and inlined subroutines whose
   * ranges contain the address, then the function. A name looked up takes the innermost
   * declaration (as in C); every declaration is listed.
   */
  scopesAt(sec: number, off: number): { func: DwarfFunction; scopes: DwarfScope[] } | undefined {
    const func = this.functionAt(sec, off);
    if (!func) return undefined;
    const chain: DwarfScope[] = [];
    const walk = (d: Die, scope: DwarfScope, depth: number): void => {
      if (depth > MAX_DEPTH) return;
      for (const c of d.children) {
        if (c.tag === DW_TAG.variable || c.tag === DW_TAG.formal_parameter) {
          const v = this.variable(c);
          if (v) scope.vars.push(v);
        } else if (c.tag === DW_TAG.lexical_block || c.tag === DW_TAG.inlined_subroutine) {
          const rg = this.rangesOf(c);
          if (rg && !rg.ranges.some(([a, b]) => rg.sec === sec && off >= a && off < b)) continue;
          const inner: DwarfScope = c.tag === DW_TAG.inlined_subroutine
            ? { kind: 'inlined', name: this.string(c, DW_AT.name) ?? '(inlined)', vars: [] }
            : { kind: 'block', name: scope.name, vars: [] };
          chain.push(inner);
          walk(c, inner, depth + 1);
          if (c.tag === DW_TAG.inlined_subroutine) this.abstractOnly(c, inner);
        }
      }
    };
    const top: DwarfScope = { kind: 'function', name: func.name, vars: [] };
    chain.push(top);
    walk(func.die, top, 0);
    // chain is outer-to-inner in discovery order; a later (deeper) scope is inner.
    return { func, scopes: chain.slice().reverse() };
  }

  /**
   * The parameters and variables of an inlined function that its inlined instance does not
   * describe (clang leaves them out when it kept nothing of them): present, optimized out.
   */
  private abstractOnly(inst: Die, scope: DwarfScope): void {
    const origin = this.dies.get(inst.attrs.get(DW_AT.abstract_origin)?.u ?? -1);
    if (!origin) return;
    const described = new Set<number>();
    const mark = (d: Die, depth: number): void => {
      if (depth > MAX_DEPTH) return;
      for (const c of d.children) {
        const o = c.attrs.get(DW_AT.abstract_origin);
        if (o) described.add(o.u);
        if (c.tag === DW_TAG.lexical_block) mark(c, depth + 1);
      }
    };
    mark(inst, 0);
    for (const c of origin.children) {
      if ((c.tag !== DW_TAG.variable && c.tag !== DW_TAG.formal_parameter) || described.has(c.off)) continue;
      const v = this.variable(c);
      if (v) scope.vars.push({ ...v, location: { kind: 'none' } });
    }
  }

  /** A variable or parameter DIE as name, type and location. */
  variable(d: Die): DwarfVariable | undefined {
    const name = this.string(d, DW_AT.name);
    if (!name) return undefined;
    const t = this.attr(d, DW_AT.type);
    const type = t ? this.type(t.u) : VOID;
    return { name, type, param: d.tag === DW_TAG.formal_parameter, location: this.locationOf(d), die: d.off, unit: d.cu.off };
  }

  private locationOf(d: Die): VarLocation {
    const a = d.attrs.get(DW_AT.location);
    if (a) {
      if (a.form === F.exprloc || a.form === F.block || a.form === F.block1 || a.form === F.block2 || a.form === F.block4) return { kind: 'expr', expr: a.bytes! };
      if (a.form === F.loclistx) {
        const s = this.loclists;
        if (!s) throw new DwarfError('DW_FORM_loclistx needs .debug_loclists, which is missing', '.debug_info', a.at);
        const cu = d.cu;
        const rel = new DwarfReader(s.data, s.name, cu.loclistsBase + a.u * cu.offsetSize).uN(cu.offsetSize);
        return { kind: 'loclist', offset: cu.loclistsBase + rel, cu, dwarf4: false };
      }
      if (a.form === F.sec_offset || (d.cu.version < 4 && (a.form === F.data4 || a.form === F.data8))) {
        return { kind: 'loclist', offset: a.u, cu: d.cu, dwarf4: d.cu.version < 5 };
      }
      throw new DwarfError(`DW_AT_location has form 0x${a.form.toString(16)}`, '.debug_info', a.at);
    }
    const c = this.attr(d, DW_AT.const_value);
    if (c) {
      if (c.form === F.sdata) return { kind: 'const', value: BigInt.asIntN(64, leValue(c.bytes!)) };
      if (c.form === F.udata || c.form === F.implicit_const) return { kind: 'const', value: leValue(c.bytes!) };
      return { kind: 'const', bytes: c.bytes ?? new Uint8Array(0) };
    }
    return { kind: 'none' };
  }

  // -- types -------------------------------------------------------------------------------------

  /** The C type described by the DIE at `off` (cached; recursive types resolve lazily). */
  type(off: number, depth = 0): CType {
    const cached = this.types.get(off);
    if (cached) return cached;
    const d = this.dies.get(off);
    if (!d) throw new DwarfError(`type reference 0x${off.toString(16)} is not a DIE`, '.debug_info', off);
    if (depth > MAX_DEPTH) throw new DwarfError('type chain is too deep', '.debug_info', off);
    const name = this.string(d, DW_AT.name) ?? '';
    const size = d.attrs.get(DW_AT.byte_size)?.u;
    const t: CType = { kind: 'void', name, size: size ?? 0 };
    this.types.set(off, t);
    const target = (): CType => { const a = d.attrs.get(DW_AT.type); return a ? this.type(a.u, depth + 1) : VOID; };
    switch (d.tag) {
      case DW_TAG.base_type: t.kind = 'base'; t.encoding = d.attrs.get(DW_AT.encoding)?.u ?? 0; break;
      case DW_TAG.pointer_type: t.kind = 'pointer'; t.size = size ?? 8; t.target = target(); break;
      case DW_TAG.typedef: case DW_TAG.const_type: case DW_TAG.volatile_type: case DW_TAG.restrict_type: case DW_TAG.atomic_type:
        t.kind = d.tag === DW_TAG.typedef ? 'typedef' : d.tag === DW_TAG.const_type ? 'const' : d.tag === DW_TAG.volatile_type ? 'volatile' : 'restrict';
        t.target = target(); t.size = t.target.size;
        break;
      case DW_TAG.structure_type: case DW_TAG.union_type:
        t.kind = d.tag === DW_TAG.structure_type ? 'struct' : 'union';
        t.members = [];
        for (const m of d.children) {
          if (m.tag !== DW_TAG.member) continue;
          const mt = m.attrs.get(DW_AT.type);
          const mem: CMember = { name: this.string(m, DW_AT.name) ?? '', type: mt ? this.type(mt.u, depth + 1) : VOID, offset: 0 };
          const loc = m.attrs.get(DW_AT.data_member_location);
          if (loc) mem.offset = loc.form === F.exprloc || loc.form === F.block || loc.form === F.block1 || loc.form === F.block2 || loc.form === F.block4 ? plusUconst(loc) : loc.u;
          const bitSize = m.attrs.get(DW_AT.bit_size)?.u;
          if (bitSize !== undefined) {
            const dbo = m.attrs.get(DW_AT.data_bit_offset);
            if (dbo) { mem.offset = Math.floor(dbo.u / 8); mem.bitOffset = dbo.u % 8; } else {
              // DWARF 2 style: offset from the most significant bit of the storage unit.
              const unit = m.attrs.get(DW_AT.byte_size)?.u ?? mem.type.size;
              mem.bitOffset = unit * 8 - (m.attrs.get(DW_AT.bit_offset)?.u ?? 0) - bitSize;
            }
            mem.bitSize = bitSize;
          }
          t.members.push(mem);
        }
        break;
      case DW_TAG.array_type: {
        t.kind = 'array';
        t.target = target();
        t.dims = [];
        for (const s of d.children) {
          if (s.tag !== DW_TAG.subrange_type) continue;
          const c = s.attrs.get(DW_AT.count)?.u ?? (s.attrs.has(DW_AT.upper_bound) ? s.attrs.get(DW_AT.upper_bound)!.u + 1 : 0);
          t.dims.push(c);
        }
        if (!t.dims.length) t.dims.push(0);
        t.size = size ?? t.dims.reduce((a, b) => a * b, t.target.size);
        break;
      }
      case DW_TAG.enumeration_type:
        t.kind = 'enum';
        if (d.attrs.has(DW_AT.type)) t.target = target();
        t.enumerators = d.children.filter((e) => e.tag === 0x28).map((e) => {
          const c = e.attrs.get(DW_AT.const_value);
          const v = c?.bytes ? leValue(c.bytes.subarray(0, Math.min(8, c.bytes.length))) : 0n;
          const signed = c?.form === F.sdata || (!!t.target && isSigned(t.target) && c?.bytes && c.bytes.length < 8);
          return { name: this.string(e, DW_AT.name) ?? '', value: signed && c?.bytes ? BigInt.asIntN(c.form === F.sdata ? 64 : c.bytes.length * 8, v) : v };
        });
        break;
      case DW_TAG.subroutine_type: case DW_TAG.subprogram: t.kind = 'func'; t.target = target(); break;
      default: t.kind = 'void'; break;
    }
    return t;
  }
}

/** DW_AT_data_member_location as an expression: only DW_OP_plus_uconst N (what C compilers emit). */
function plusUconst(a: Attr): number {
  const r = new DwarfReader(a.bytes!, '.debug_info');
  if (a.bytes!.length && a.bytes![0] === 0x23) { r.u8(); return r.uleb(); }
  throw new DwarfError('DW_AT_data_member_location is an expression other than DW_OP_plus_uconst', '.debug_info', a.at);
}

function leBytes(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(n * 8, v);
  for (let i = 0; i < n; i++) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

/** Unsigned little-endian value of up to 8 bytes. */
export function leValue(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = Math.min(b.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/**
 * A copy of a debug section with its REL relocations applied (S + A, the addend in place), and
 * for each relocated slot the ELF section its symbol lies in (so addresses know their section).
 */
function relocate(elf: ElfFile, index: number, name: string): DebugSection {
  const sec = elf.sections[index];
  const relocs = elf.relocations.get(index);
  if (!relocs?.length) return { name, data: sec.data, secOf: new Map() };
  const data = sec.data.slice();
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const secOf = new Map<number, number>();
  for (const r of relocs) {
    if (r.type === R_BPF_NONE) continue;
    const width = r.type === R_BPF_64_ABS64 ? 8 : r.type === R_BPF_64_ABS32 ? 4 : 0;
    if (!width) throw new DwarfError(`relocation type ${r.type} is not R_BPF_64_ABS64/ABS32`, `.rel${name}`, r.offset);
    if (r.offset + width > data.length) throw new DwarfError(`relocation at 0x${r.offset.toString(16)} runs past the section (${data.length} bytes)`, `.rel${name}`, r.offset);
    const sym = elf.symbols[r.symbol];
    // Section symbols have value 0; a function or variable symbol adds its offset in its section.
    const value = sym.value;
    if (width === 8) {
      const addend = dv.getUint32(r.offset, true) + dv.getUint32(r.offset + 4, true) * 0x100000000;
      const v = addend + value;
      dv.setUint32(r.offset, v % 0x100000000, true);
      dv.setUint32(r.offset + 4, Math.floor(v / 0x100000000), true);
    } else {
      dv.setUint32(r.offset, (dv.getUint32(r.offset, true) + value) >>> 0, true);
    }
    if (sym.shndx !== SHN_UNDEF && sym.shndx !== SHN_ABS && sym.shndx !== SHN_COMMON && sym.shndx < elf.sections.length) secOf.set(r.offset, sym.shndx);
  }
  return { name, data, secOf };
}
