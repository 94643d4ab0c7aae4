// DWARF locations: picking a variable's location expression for an address (location lists of
// DWARF 5 `.debug_loclists` and DWARF 4 `.debug_loc`), and evaluating the expression against a
// frame of the VM (registers, memory) into pieces: a register, a memory address, a value
// (DW_OP_stack_value), literal bytes, or nothing. What cannot be evaluated is "optimized out",
// as gdb says it.
import { DwarfReader, type CompileUnit, type DwarfAddress, type DwarfInfo, type VarLocation } from './dwarf';

const M64 = (1n << 64n) - 1n;

/** A register the frame no longer holds (a caller's r0-r5), a location outside every range... */
export class LocationUnavailable extends Error {
  constructor(readonly reason: 'optimized out' | 'not saved') { super(reason); }
}

export type LocKind =
  | { kind: 'reg'; reg: number }
  | { kind: 'mem'; addr: bigint }
  | { kind: 'value'; value: bigint }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'none' };

/** One piece of a location; `size` (bytes) is undefined for a whole-variable location. */
export type LocPiece = LocKind & { size?: number };

/** What a location expression reads from the stopped frame. */
export interface FrameAccess {
  /** A register (unsigned 64-bit, the VM's pointer encoding for pointers), undefined when not saved. */
  reg(i: number): bigint | undefined;
  /** `size` bytes of VM memory at a 64-bit address, or undefined when not readable. */
  read(addr: bigint, size: number): Uint8Array | undefined;
  /**
   * The function's stack size: clang before LLVM 23 (PR 204722) writes r10-based offsets of
   * stack variables relative to r10 - stack size (non-negative), later ones relative to r10.
   */
  stackSize: number;
  /** DW_OP_convert: the base type at a DIE offset relative to compile unit `unit`, as size and signedness. */
  baseType?(unit: number, offset: number): { size: number; signed: boolean } | undefined;
  /** DW_OP_addrx: entry `index` of the address table of compile unit `unit`. */
  addrx?(unit: number, index: number): DwarfAddress | undefined;
  /** A data address of the object (a global in .rodata/.data/.bss) as a VM address, when the program has it. */
  global?(a: DwarfAddress): bigint | undefined;
}

/**
 * The expression of `loc` that holds at `pc`, undefined when none does (out of every range).
 * Constants and `none` are not expressions: the caller handles them.
 */
export function expressionAt(info: DwarfInfo, loc: VarLocation, pc: DwarfAddress): Uint8Array | undefined {
  if (loc.kind === 'expr') return loc.expr;
  let found: Uint8Array | undefined, fallback: Uint8Array | undefined;
  forEachEntry(info, loc, (expr, a, end) => {
    if (!a) { fallback = expr; return false; }
    if ((a.sec === pc.sec || a.sec < 0) && pc.off >= a.off && pc.off < end) { found = expr; return true; }
    return false;
  });
  return found ?? fallback;
}

/** Every expression of a location (each list entry's), for questions about all of them. */
export function allExpressions(info: DwarfInfo, loc: VarLocation): Uint8Array[] {
  if (loc.kind === 'expr') return [loc.expr];
  const out: Uint8Array[] = [];
  forEachEntry(info, loc, (expr) => { out.push(expr); return false; });
  return out;
}

/** Walks a location list: `visit(expr, start, end)` per entry (start undefined: the default entry); true stops. */
function forEachEntry(info: DwarfInfo, loc: VarLocation, visit: (expr: Uint8Array, start: DwarfAddress | undefined, end: number) => boolean): void {
  if (loc.kind !== 'loclist') return;
  if (loc.dwarf4) fromLoc(info, loc.cu, loc.offset, visit); else fromLoclists(info, loc.cu, loc.offset, visit);
}

type Visit = (expr: Uint8Array, start: DwarfAddress | undefined, end: number) => boolean;

function fromLoclists(info: DwarfInfo, cu: CompileUnit, offset: number, visit: Visit): void {
  const s = info.loclists;
  if (!s) return;
  const r = new DwarfReader(s.data, s.name, offset);
  let base = cu.base;
  for (let n = 0; n <= s.data.length; n++) {
    const kind = r.u8();
    let a: DwarfAddress, end: number;
    switch (kind) {
      case 0: return; // DW_LLE_end_of_list
      case 1: base = info.addrx(cu, r.uleb(), r.pos); continue; // base_addressx
      case 2: a = info.addrx(cu, r.uleb(), r.pos); end = info.addrx(cu, r.uleb(), r.pos).off; break; // startx_endx
      case 3: a = info.addrx(cu, r.uleb(), r.pos); end = a.off + r.uleb(); break; // startx_length
      case 4: { const lo = r.uleb(), hi = r.uleb(); a = { sec: base.sec, off: base.off + lo }; end = base.off + hi; break; } // offset_pair
      case 5: if (visit(r.bytes(r.uleb()), undefined, 0)) return; continue; // default_location
      case 6: { const p = r.pos; base = { off: r.uN(cu.addrSize), sec: s.secOf.get(p) ?? -1 }; continue; } // base_address
      case 7: { const p = r.pos; a = { off: r.uN(cu.addrSize), sec: s.secOf.get(p) ?? -1 }; end = r.uN(cu.addrSize); break; } // start_end
      case 8: { const p = r.pos; a = { off: r.uN(cu.addrSize), sec: s.secOf.get(p) ?? -1 }; end = a.off + r.uleb(); break; } // start_length
      default: return r.fail(`unknown location list entry kind ${kind}`, r.pos - 1);
    }
    if (visit(r.bytes(r.uleb()), a, end)) return;
  }
  r.fail('location list does not end');
}

function fromLoc(info: DwarfInfo, cu: CompileUnit, offset: number, visit: Visit): void {
  const s = info.loc;
  if (!s) return;
  const r = new DwarfReader(s.data, s.name, offset);
  let base = cu.base;
  for (let n = 0; n <= s.data.length; n++) {
    const p = r.pos;
    const a = r.u64Big(), e = r.u64Big();
    if (a === 0n && e === 0n) return;
    if (a === M64) { base = { off: Number(e), sec: s.secOf.get(p + 8) ?? -1 }; continue; }
    const expr = r.bytes(r.u16());
    // Relocated entries are absolute (section + offset); others count from the base address.
    const abs = s.secOf.has(p);
    const start: DwarfAddress = abs ? { sec: s.secOf.get(p)!, off: Number(a) } : { sec: base.sec, off: base.off + Number(a) };
    if (visit(expr, start, (abs ? 0 : base.off) + Number(e))) return;
  }
  r.fail('location list does not end');
}

/**
 * Evaluates a location expression of compile unit `unit`. Supported: DW_OP_reg0..31/regx,
 * DW_OP_breg0..31/bregx, DW_OP_fbreg (the frame base is r10 for BPF), literals and constants,
 * plus_uconst and simple arithmetic, deref, convert, addrx (globals), stack_value,
 * implicit_value, piece. Anything else: LocationUnavailable.
 */
export function evaluateLocation(expr: Uint8Array, frame: FrameAccess, unit = 0): LocPiece[] {
  const e = new ExprMachine(frame);
  try {
    e.run(new DwarfReader(expr, 'location expression'), unit);
  } catch (err) {
    if (err instanceof LocationUnavailable) throw err;
    // A truncated or malformed expression: nothing can be said about the variable.
    throw new LocationUnavailable('optimized out');
  }
  if (e.pieces.length) return e.pieces;
  const whole = e.current();
  if (whole.kind === 'none') throw new LocationUnavailable('optimized out');
  return [whole];
}

/** The DWARF expression stack machine (methods, not closures: a condition evaluates this at every hit). */
class ExprMachine {
  readonly stack: bigint[] = [];
  readonly pieces: LocPiece[] = [];
  pending: LocKind | undefined;
  constructor(private readonly frame: FrameAccess) {}

  pop(): bigint { const v = this.stack.pop(); if (v === undefined) throw new LocationUnavailable('optimized out'); return v; }
  push(v: bigint): void { if (this.stack.length > 64) throw new LocationUnavailable('optimized out'); this.stack.push(v & M64); }
  reg(i: number): bigint { const v = i <= 10 ? this.frame.reg(i) : undefined; if (v === undefined) throw new LocationUnavailable(i <= 10 ? 'not saved' : 'optimized out'); return v; }
  /** r10-based: clang's stack offsets count from r10 - stack size when non-negative (see FrameAccess). */
  breg(i: number, off: bigint): bigint { return i === 10 && off >= 0n ? this.reg(10) - BigInt(this.frame.stackSize) + off : this.reg(i) + off; }
  current(): LocKind {
    if (this.pending) return this.pending;
    if (this.stack.length) return { kind: 'mem', addr: this.stack[this.stack.length - 1] };
    return { kind: 'none' };
  }

  run(r: DwarfReader, unit: number): void {
    const frame = this.frame;
    while (r.pos < r.end) {
      const op = r.u8();
      if (op >= 0x30 && op <= 0x4f) { this.push(BigInt(op - 0x30)); continue; }
      if (op >= 0x50 && op <= 0x6f) { this.pending = { kind: 'reg', reg: op - 0x50 }; continue; }
      if (op >= 0x70 && op <= 0x8f) { this.push(this.breg(op - 0x70, r.slebBig())); continue; }
      switch (op) {
        case 0x06: { // deref
          const b = frame.read(this.pop(), 8);
          if (!b) throw new LocationUnavailable('optimized out');
          let v = 0n;
          for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
          this.push(v);
          break;
        }
        case 0x08: this.push(BigInt(r.u8())); break;
        case 0x09: this.push(BigInt((r.u8() << 24) >> 24)); break;
        case 0x0a: this.push(BigInt(r.u16())); break;
        case 0x0b: this.push(BigInt((r.u16() << 16) >> 16)); break;
        case 0x0c: this.push(BigInt(r.u32())); break;
        case 0x0d: this.push(BigInt(r.u32() | 0)); break;
        case 0x0e: case 0x0f: this.push(r.u64Big()); break;
        case 0x10: this.push(r.ulebBig()); break;
        case 0x11: this.push(r.slebBig()); break;
        case 0x12: { const v = this.pop(); this.push(v); this.push(v); break; }
        case 0x13: this.pop(); break;
        case 0x16: { const a = this.pop(), b = this.pop(); this.push(a); this.push(b); break; }
        case 0x1f: this.push(-this.pop()); break;
        case 0x20: this.push(~this.pop()); break;
        case 0x23: this.push(this.pop() + r.ulebBig()); break;
        case 0x1a: case 0x1c: case 0x1e: case 0x21: case 0x22: case 0x24: case 0x25: case 0x26: case 0x27: {
          const b = this.pop(), a = this.pop();
          this.push(op === 0x1a ? a & b : op === 0x1c ? a - b : op === 0x1e ? a * b : op === 0x21 ? a | b : op === 0x22 ? a + b
            : op === 0x24 ? a << (b & 63n) : op === 0x25 ? a >> (b & 63n) : op === 0x26 ? BigInt.asIntN(64, a) >> (b & 63n) : a ^ b);
          break;
        }
        case 0x90: this.pending = { kind: 'reg', reg: r.uleb() }; break;
        case 0x91: this.push(this.breg(10, r.slebBig())); break; // fbreg: DW_AT_frame_base is DW_OP_reg10 for BPF
        case 0x92: { const i = r.uleb(); this.push(this.breg(i, r.slebBig())); break; }
        case 0x93: { // piece
          const size = r.uleb();
          this.pieces.push({ ...this.current(), size });
          this.pending = undefined; this.stack.length = 0;
          break;
        }
        case 0x96: break; // nop
        case 0x9e: this.pending = { kind: 'bytes', bytes: r.bytes(r.uleb()) }; break;
        case 0x9f: this.pending = { kind: 'value', value: this.pop() }; break;
        case 0xa8: { // convert: truncate (and sign-extend) to a base type; 0 is the generic type
          const off = r.uleb();
          if (off === 0) break;
          const bt = frame.baseType?.(unit, off);
          if (!bt || bt.size < 1 || bt.size > 8) throw new LocationUnavailable('optimized out');
          const bits = BigInt(bt.size * 8), v = this.pop() & ((1n << bits) - 1n);
          this.push(bt.signed ? BigInt.asIntN(bt.size * 8, v) : v);
          break;
        }
        case 0xa9: r.uleb(); break; // reinterpret: same bits
        case 0xa1: { // addrx: a global variable's address (ELF section + offset) in the VM
          const a = frame.addrx?.(unit, r.uleb());
          const vm = a && frame.global?.(a);
          if (vm === undefined) throw new LocationUnavailable('optimized out');
          this.push(vm);
          break;
        }
        default: throw new LocationUnavailable('optimized out');
      }
    }
  }
}
