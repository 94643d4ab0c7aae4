// DWARF as a loaded program sees it: instruction indices of the linked program (entry function
// first, `.text` sub-programs appended, as the loader lays them out) mapped back to (ELF section,
// byte offset), the C variables in scope there, and their values in a stopped VM frame.
// The object's DWARF is parsed once, on first use; a corrupt DWARF leaves `error` set (one line
// naming section and offset) and no variables, never an exception to the debugger.
import { DW_TAG, DwarfError, DwarfInfo, DwarfReader, isSigned, type Die, type DwarfAddress, type DwarfFunction, type DwarfScope, type DwarfVariable } from './dwarf';
import { allExpressions, expressionAt, type FrameAccess } from './dwarfLoc';
import { constValue, MAX_VALUE_BYTES, sizeOf, unavailable, valueFromLocation, type CValue } from './dwarfValue';
import type { ElfFile } from './elf';
import type { ProgramPiece } from './program';

/** An object's DWARF, parsed on first use and shared by its programs. */
export class ObjectDwarf {
  private parsed: DwarfInfo | undefined;
  private failure: string | undefined;
  constructor(private readonly elf: ElfFile) {}

  /** The parsed DWARF, or undefined when it is corrupt (`error` says why). */
  get info(): DwarfInfo | undefined {
    if (!this.parsed && this.failure === undefined) {
      try { this.parsed = new DwarfInfo(this.elf); } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        this.failure = e.message;
      }
    }
    return this.parsed;
  }

  get error(): string | undefined { void this.info; return this.failure; }

  sectionIndex(name: string): number { return this.elf.section(name)?.index ?? -1; }
  sectionName(index: number): string { return this.elf.sections[index]?.name ?? `section ${index}`; }
  code(index: number): Uint8Array { return this.elf.sections[index]?.data ?? new Uint8Array(0); }
}

/** The variables in scope at one instruction: scopes innermost first, and what reading them needs. */
export interface FrameVariables {
  /** The function (DWARF subprogram) the instruction is in. */
  func: string;
  scopes: DwarfScope[];
  pc: DwarfAddress;
  /** The function's stack size (see FrameAccess.stackSize). */
  stackSize: number;
}

export class ProgramDwarf {
  private readonly cache = new Map<number, FrameVariables | undefined>();
  private readonly stackSizes = new Map<DwarfFunction, number>();
  private readonly exprs = new WeakMap<DwarfVariable, Map<number, Uint8Array | null>>();

  constructor(private readonly obj: ObjectDwarf, private readonly pieces: readonly ProgramPiece[]) {}

  /** Why there are no variables, when the DWARF could not be read. */
  get error(): string | undefined { return this.obj.error ?? this.lateError; }

  /** (ELF section, byte offset) of instruction `insn` of the loaded program. */
  addressOf(insn: number): DwarfAddress | undefined {
    for (const p of this.pieces) {
      if (insn >= p.insn && insn < p.insn + p.length) return { sec: this.obj.sectionIndex(p.section), off: (p.sectionInsn + insn - p.insn) * 8 };
    }
    return undefined;
  }

  /** The C variables in scope at `insn` (undefined: no DWARF function covers it). */
  variablesAt(insn: number): FrameVariables | undefined {
    if (this.cache.has(insn)) return this.cache.get(insn);
    let out: FrameVariables | undefined;
    const info = this.obj.info, pc = this.addressOf(insn);
    if (info && pc) {
      try {
        const s = info.scopesAt(pc.sec, pc.off);
        if (s) out = { func: s.func.name, scopes: s.scopes, pc, stackSize: this.stackSize(s.func) };
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        this.lateError = e.message;
      }
    }
    if (this.cache.size > 4096) this.cache.clear();
    this.cache.set(insn, out);
    return out;
  }

  /** An error found while reading scopes after the parse (a bad string or range list). */
  lateError: string | undefined;

  /** A variable by C name at `insn` (the innermost declaration). */
  lookup(insn: number, name: string): DwarfVariable | undefined {
    const fv = this.variablesAt(insn);
    if (!fv) return undefined;
    for (const s of fv.scopes) for (const v of s.vars) if (v.name === name) return v;
    return undefined;
  }

  /** Variables at file scope (global data, maps, license); none when the DWARF is bad. */
  globals(): DwarfVariable[] {
    try { return this.obj.info?.globals() ?? []; } catch (e) {
      if (e instanceof DwarfError) { this.lateError = e.message; return []; }
      throw e;
    }
  }

  /** A variable at file scope by C name (global data), undefined when there is none. */
  global(name: string): DwarfVariable | undefined { return this.globals().find((v) => v.name === name); }

  /** ELF section name of a DWARF address (for mapping global data to the program's maps). */
  sectionName(sec: number): string { return this.obj.sectionName(sec); }

  /** The value of `v` at the frame's instruction (`frame.stackSize` is filled from `at`). */
  read(v: DwarfVariable, at: Pick<FrameVariables, 'pc' | 'stackSize'>, frame: Omit<FrameAccess, 'stackSize'>): CValue {
    const loc = v.location;
    if (loc.kind === 'const') return constValue(v.type, loc);
    if (loc.kind === 'none') return unavailable(v.type, 'optimized out');
    const info = this.obj.info;
    if (!info) return unavailable(v.type, this.obj.error ?? 'no DWARF');
    // Which list entry holds at this instruction never changes: a condition re-reads it at every hit.
    let byPc = this.exprs.get(v);
    if (!byPc) this.exprs.set(v, byPc = new Map());
    let expr = byPc.get(at.pc.off);
    if (expr === undefined) {
      try { expr = expressionAt(info, loc, at.pc) ?? null; } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        return unavailable(v.type, e.message);
      }
      byPc.set(at.pc.off, expr);
    }
    if (!expr) return unavailable(v.type, 'optimized out');
    return valueFromLocation(expr, v.type, {
      reg: frame.reg, read: frame.read, global: frame.global, stackSize: at.stackSize, baseType: this.baseType, addrx: this.addrx,
    }, v.unit);
  }

  /** DW_OP_convert's base types (see FrameAccess.baseType). */
  private readonly baseType = (unit: number, off: number): { size: number; signed: boolean } | undefined => {
    try {
      const t = this.obj.info?.type(unit + off);
      return t?.kind === 'base' ? { size: t.size, signed: isSigned(t) } : undefined;
    } catch (e) { if (e instanceof DwarfError) return undefined; throw e; }
  };

  /** DW_OP_addrx's address table (see FrameAccess.addrx). */
  private readonly addrx = (unit: number, index: number): DwarfAddress | undefined => {
    const info = this.obj.info, cu = info?.unitAt(unit);
    try { return cu && info!.addrx(cu, index, 0); } catch (e) { if (e instanceof DwarfError) return undefined; throw e; }
  };

  /**
   * The stack size LLVM gave the function (DWARF does not say it): the deepest r10-relative byte
   * its code touches (loads and stores through r10, pointers made as `rX = r10; rX += -N`) or its
   * stack variables need, rounded up to 8 (BPF's stack alignment).
   */
  private stackSize(f: DwarfFunction): number {
    let s = this.stackSizes.get(f);
    if (s !== undefined) return s;
    const code = this.obj.code(f.sec);
    let depth = 0;
    const derived = new Array<number | undefined>(11).fill(undefined);
    for (const [lo, hi] of f.ranges) {
      for (let o = lo; o + 8 <= hi && o + 8 <= code.length; o += 8) {
        const op = code[o], dst = code[o + 1] & 0xf, src = code[o + 1] >> 4;
        const off = (code[o + 2] | (code[o + 3] << 8)) << 16 >> 16;
        const imm = code[o + 4] | (code[o + 5] << 8) | (code[o + 6] << 16) | (code[o + 7] << 24);
        const cls = op & 7;
        if (cls === 1 && src === 10 && off < 0) depth = Math.max(depth, -off); // LDX from the stack
        if ((cls === 2 || cls === 3) && dst === 10 && off < 0) depth = Math.max(depth, -off); // ST/STX
        if (op === 0xbf && src === 10) { derived[dst] = 0; continue; } // rX = r10
        if (op === 0x07 && derived[dst] !== undefined) { derived[dst]! += imm; if (derived[dst]! < 0) depth = Math.max(depth, -derived[dst]!); continue; }
        if (op === 0x85) { derived.fill(undefined, 0, 6); continue; }
        if ((cls === 0 || cls === 1 || cls === 4 || cls === 7) && dst < 11) derived[dst] = undefined;
        if (op === 0x18) o += 8;
      }
    }
    // Every stack object lies inside the frame: one at clang's offset N (>= 0) of S bytes needs N + S.
    const info = this.obj.info;
    if (info) {
      const walk = (d: Die, level: number): void => {
        if (level > 64) return;
        for (const c of d.children) {
          if (c.tag === DW_TAG.variable || c.tag === DW_TAG.formal_parameter) {
            let v: DwarfVariable | undefined;
            try { v = info.variable(c); } catch (e) { if (e instanceof DwarfError) continue; throw e; }
            if (!v) continue;
            let exprs: Uint8Array[] = [];
            try { exprs = v.location.kind === 'expr' || v.location.kind === 'loclist' ? allExpressions(info, v.location) : []; } catch (e) { if (!(e instanceof DwarfError)) throw e; }
            for (const x of exprs) {
              if (x[0] !== 0x91 && x[0] !== 0x7a) continue; // DW_OP_fbreg, DW_OP_breg10
              const off = new DwarfReader(x, 'location', 1);
              try { const n = off.sleb(); if (n >= 0) depth = Math.max(depth, n + Math.min(sizeOf(v.type), MAX_VALUE_BYTES)); } catch (e) { if (!(e instanceof DwarfError)) throw e; }
            }
          } else if (c.tag === DW_TAG.lexical_block || c.tag === DW_TAG.inlined_subroutine) walk(c, level + 1);
        }
      };
      walk(f.die, 0);
    }
    s = Math.ceil(depth / 8) * 8;
    this.stackSizes.set(f, s);
    return s;
  }
}
