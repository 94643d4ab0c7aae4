/**
 * The reference interpreter, every memory access checked against the region table (memory.ts).
 *
 * A program is predecoded once (`predecode`): each instruction becomes a small dense operation
 * number specialised by opcode and operand kind, its operands in the same slot, jump targets'
 * run lengths precomputed, and clang's common idioms fused into superinstructions. The loop
 * (`exec`) is one jump-table `switch` over that form, registers as int32 halves in the machine's
 * typed arrays; the instruction budget is charged once per run of straight-line code.
 *
 * Debugging costs nothing on the fast path: a single step is a run cut short after one
 * instruction (the same mechanism that stops a run exactly where the budget ends), and
 * breakpoints are the debugger's trick of patching the opcode with BREAK_OPCODE in a copy of the
 * code (see `Stepper`), which gets its own predecoded form.
 */
import { MAX_BPF_STACK } from './isa';
import { REGION_CODE, REGION_CTX, REGION_PACKET, REGION_STACK, STACK_SIZE } from './memory';
import {
  HelperFn, LoadedProgram, Machine, ST_BREAK, ST_EXIT, ST_FAULT, ST_STEP, ST_TAILCALL, VmEngine, VmFault,
} from './vm';

// Module-local copies: imported bindings are property reads through the module object once
// transpiled to CommonJS (tsx, esbuild), too slow for the hot loop.
const CTX: number = REGION_CTX;
const PKT: number = REGION_PACKET;
const STACK: number = REGION_STACK;
const S_EXIT: number = ST_EXIT, S_FAULT: number = ST_FAULT, S_BREAK: number = ST_BREAK, S_STEP: number = ST_STEP;

/** An opcode no valid program has (ALU64 | 0xf0 | X): the stepper patches it in at breakpoints. */
export const BREAK_OPCODE = 0xff;

// ---------------------------------------------------------------------------------------------
// 64-bit arithmetic on int32 halves (slow paths shared with the JIT)

/** High 32 bits of the unsigned 64-bit product of two u32 values (as int32). */
export function umulhi(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const m1 = a1 * b0 + ((a0 * b0) >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) | 0;
}

/** Results of `udivmod64` / `sdivmod64`: [quotient lo, quotient hi, remainder lo, remainder hi]. */
export const DIVRES = new Int32Array(4);

/** Unsigned 64-bit a / b and a % b into DIVRES; b must not be 0. */
export function udivmod64(ah: number, al: number, bh: number, bl: number): void {
  const au = ah >>> 0, bu = bh >>> 0;
  if (au < 0x200000) {
    // Both below 2^53: doubles are exact (the quotient rounds correctly and floor is exact).
    const a = au * 0x100000000 + (al >>> 0), b = bu * 0x100000000 + (bl >>> 0);
    const q = Math.floor(a / b), r = a - q * b;
    DIVRES[0] = q | 0; DIVRES[1] = (q / 0x100000000) | 0;
    DIVRES[2] = r | 0; DIVRES[3] = (r / 0x100000000) | 0;
    return;
  }
  // Shift-subtract long division over 64 bits.
  let qh = 0, ql = 0, rh = 0, rl = 0, nh = au, nl = al >>> 0;
  const dh = bu, dl = bl >>> 0;
  for (let i = 0; i < 64; i++) {
    rh = ((rh << 1) | (rl >>> 31)) >>> 0; rl = ((rl << 1) | (nh >>> 31)) >>> 0;
    nh = ((nh << 1) | (nl >>> 31)) >>> 0; nl = (nl << 1) >>> 0;
    qh = ((qh << 1) | (ql >>> 31)) >>> 0; ql = (ql << 1) >>> 0;
    if (rh > dh || (rh === dh && rl >= dl)) {
      const borrow = rl < dl ? 1 : 0;
      rl = (rl - dl) >>> 0; rh = (rh - dh - borrow) >>> 0;
      ql = (ql | 1) >>> 0;
    }
  }
  DIVRES[0] = ql | 0; DIVRES[1] = qh | 0; DIVRES[2] = rl | 0; DIVRES[3] = rh | 0;
}

/** Signed 64-bit division truncating toward zero (INT64_MIN / -1 wraps to INT64_MIN, % gives 0). */
export function sdivmod64(ah: number, al: number, bh: number, bl: number): void {
  const na = ah < 0, nb = bh < 0;
  if (na) { al = (~al + 1) | 0; ah = (~ah + (al === 0 ? 1 : 0)) | 0; }
  if (nb) { bl = (~bl + 1) | 0; bh = (~bh + (bl === 0 ? 1 : 0)) | 0; }
  udivmod64(ah, al, bh, bl);
  if (na !== nb) { const l = (~DIVRES[0] + 1) | 0; DIVRES[1] = (~DIVRES[1] + (l === 0 ? 1 : 0)) | 0; DIVRES[0] = l; }
  if (na) { const l = (~DIVRES[2] + 1) | 0; DIVRES[3] = (~DIVRES[3] + (l === 0 ? 1 : 0)) | 0; DIVRES[2] = l; }
}

export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** Calls a helper; a helper that throws becomes a fault instead of an escaping exception. */
export function callHelper(m: Machine, fn: HelperFn, pc: number): boolean {
  m.insnIndex = pc;
  try {
    fn(m);
    return true;
  } catch (e) {
    m.setFault('helper', pc, `helper threw at insn ${pc}: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}

/**
 * callx: the target register holds a helper id (as uBPF and the conformance suite define it) or a
 * code address from `lddw rX, func` (BPF_PSEUDO_FUNC). Returns the next pc, or -1 (fault set),
 * or -2 (a helper left a pending request; the caller calls `takePending`).
 */
export function callIndirect(m: Machine, p: LoadedProgram, pc: number, reg: number): number {
  const lo = m.lo[reg], hi = m.hi[reg];
  if (hi === REGION_CODE) {
    if (lo < 0 || lo >= p.code.length) { m.setFault('invalid', pc, `callx to code address ${lo} outside the program at insn ${pc}`); return -1; }
    m.pc = pc;
    return m.pushFrame(pc, lo) ? m.pc : -1;
  }
  const h = hi === 0 ? m.helpers.get(lo) : undefined;
  if (!h) { m.setFault('invalid', pc, `callx to unknown helper ${m.memory.describe(hi, lo)} at insn ${pc}`); return -1; }
  if (!callHelper(m, h.fn, pc)) return -1;
  return m.pending !== 0 ? -2 : pc + 1;
}

/**
 * Legacy packet loads (BPF_LD | BPF_ABS/BPF_IND): big-endian load at packet data + offset into r0;
 * out of bounds ends the program with r0 = 0 as the kernel does. Returns false when it ended.
 */
export function loadPacketLegacy(m: Machine, pc: number, size: number, offset: number): boolean {
  const pk = m.packet, b = pk.buffer;
  const o = pk.data + offset;
  if (offset < 0 || o + size > pk.dataEnd) { m.lo[0] = 0; m.hi[0] = 0; return false; }
  m.hi[0] = 0;
  m.lo[0] = size === 1 ? b[o] : size === 2 ? (b[o] << 8) | b[o + 1] : (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
  void pc;
  return true;
}

/** Fault for an opcode the program should never have contained (the loader rejects them). */
function badInsn(m: Machine, p: LoadedProgram, pc: number): number {
  if (pc < 0 || pc >= p.code.length) return m.setFault('invalid', pc, `fell off the end of the program at insn ${pc} (the last insn is not an exit or jmp)`);
  return m.setFault('invalid', pc, `unknown opcode ${p.code.code[pc].toString(16).padStart(2, '0')} at insn ${pc}`);
}

// ---------------------------------------------------------------------------------------------
// The predecoded program: built once per program (and per breakpoint-patched copy), it turns
// every instruction into a small dense operation number specialised by opcode and operand kind,
// so the loop below is a single jump-table `switch` with no decoding left to do.

/**
 * Interpreter operations. K: the operand is the immediate, X: a register. Case labels must stay
 * literal numbers for V8's jump table, which this same-file const enum gives after transpiling.
 */
const enum Op {
  Mov64K, Mov64X, Add64K, Add64X, Sub64K, Sub64X, Mul64K, Mul64X, Or64K, Or64X, And64K, And64X,
  Xor64K, Xor64X, Lsh64K, Lsh64X, Rsh64K, Rsh64X, Arsh64K, Arsh64X, Neg64, Movsx64,
  Div64K, Div64X, Mod64K, Mod64X, Bswap,
  Mov32K, Mov32X, Add32K, Add32X, Sub32K, Sub32X, Mul32K, Mul32X, Or32K, Or32X, And32K, And32X,
  Xor32K, Xor32X, Lsh32K, Lsh32X, Rsh32K, Rsh32X, Arsh32K, Arsh32X, Neg32, Movsx32,
  Div32K, Div32X, Mod32K, Mod32X, Le,
  Lddw, LdAbs, LdInd,
  LdxB, LdxH, LdxW, LdxDW, LdxSB, LdxSH, LdxSW,
  StB, StH, StW, StDW, StxB, StxH, StxW, StxDW, Atomic32, Atomic64,
  Ja, Gotol,
  JeqK, JeqX, JneK, JneX, JsetK, JsetX, JgtK, JgtX, JgeK, JgeX, JltK, JltX, JleK, JleX,
  JsgtK, JsgtX, JsgeK, JsgeX, JsltK, JsltX, JsleK, JsleX,
  Jeq32K, Jeq32X, Jne32K, Jne32X, Jset32K, Jset32X, Jgt32K, Jgt32X, Jge32K, Jge32X, Jlt32K, Jlt32X,
  Jle32K, Jle32X, Jsgt32K, Jsgt32X, Jsge32K, Jsge32X, Jslt32K, Jslt32X, Jsle32K, Jsle32X,
  CallLocal, CallHelper, Callx, Exit,
  // Superinstructions: clang's idioms, fused in the slot of their first instruction (the other
  // slots keep their own ops, so entering or stepping into the middle works unchanged). Each
  // reads its later parts' operands from the following slots.
  /** rA = rB; rA += K */
  MovAddK,
  /** rA = rB; rA += K; if rA > rC goto (a packet bounds check) */
  MovAddJgtX,
  /** rA = rB; rA += K; rZ = K2; if rA > rC goto (the same, setting the return value first) */
  MovAddMovKJgtX,
  /** rA += K; if rA > rC goto */
  AddJgtX,
  /** r0 = K; exit */
  MovKExit,
  /** rA = K; then a jeq/jne with an immediate or a jgt with a register (return value set before a test) */
  MovKJeqK, MovKJneK, MovKJgtX,
  /** rA = rB; rA += rC */
  MovAddX,
  /** two loads of one size through one base register the first does not overwrite */
  Ldx2B, Ldx2H, Ldx2W,
  /** rA = packet load; rZ = K2; if rA ==/!= K3 goto (a header field test returning a constant) */
  LdxMovKJeqK, LdxMovKJneK,
  /** rA <<= K; then rA |= rB, rA &= K2, rA >>= K2 or rA s>>= K2 (byte assembly, bit fields, zero extension) */
  LshThen,
  /** BREAK_OPCODE: a debugger breakpoint (not executed). */
  Break,
  /** Patched in for one run where the instruction budget or step count ends (not executed). */
  Stop,
  /** An opcode no loaded program has, the second slot of an lddw, or the end of the program. */
  Bad,
}

/** Raw opcode -> Op (Bad where none). */
const OP_OF = new Uint8Array(256).fill(Op.Bad);
{
  const alu: [number, Op, Op, Op, Op][] = [
    // BPF_OP, ALU64 K, ALU64 X, ALU32 K, ALU32 X
    [0x00, Op.Add64K, Op.Add64X, Op.Add32K, Op.Add32X], [0x10, Op.Sub64K, Op.Sub64X, Op.Sub32K, Op.Sub32X],
    [0x20, Op.Mul64K, Op.Mul64X, Op.Mul32K, Op.Mul32X], [0x30, Op.Div64K, Op.Div64X, Op.Div32K, Op.Div32X],
    [0x40, Op.Or64K, Op.Or64X, Op.Or32K, Op.Or32X], [0x50, Op.And64K, Op.And64X, Op.And32K, Op.And32X],
    [0x60, Op.Lsh64K, Op.Lsh64X, Op.Lsh32K, Op.Lsh32X], [0x70, Op.Rsh64K, Op.Rsh64X, Op.Rsh32K, Op.Rsh32X],
    [0x90, Op.Mod64K, Op.Mod64X, Op.Mod32K, Op.Mod32X], [0xa0, Op.Xor64K, Op.Xor64X, Op.Xor32K, Op.Xor32X],
    [0xb0, Op.Mov64K, Op.Mov64X, Op.Mov32K, Op.Mov32X], [0xc0, Op.Arsh64K, Op.Arsh64X, Op.Arsh32K, Op.Arsh32X],
  ];
  for (const [op, k64, x64, k32, x32] of alu) { OP_OF[0x07 | op] = k64; OP_OF[0x0f | op] = x64; OP_OF[0x04 | op] = k32; OP_OF[0x0c | op] = x32; }
  OP_OF[0x87] = Op.Neg64; OP_OF[0x84] = Op.Neg32; OP_OF[0xd7] = Op.Bswap; OP_OF[0xdc] = Op.Bswap; OP_OF[0xd4] = Op.Le;
  OP_OF[0x18] = Op.Lddw;
  for (const c of [0x20, 0x28, 0x30]) OP_OF[c] = Op.LdAbs;
  for (const c of [0x40, 0x48, 0x50]) OP_OF[c] = Op.LdInd;
  OP_OF[0x71] = Op.LdxB; OP_OF[0x69] = Op.LdxH; OP_OF[0x61] = Op.LdxW; OP_OF[0x79] = Op.LdxDW;
  OP_OF[0x91] = Op.LdxSB; OP_OF[0x89] = Op.LdxSH; OP_OF[0x81] = Op.LdxSW;
  OP_OF[0x72] = Op.StB; OP_OF[0x6a] = Op.StH; OP_OF[0x62] = Op.StW; OP_OF[0x7a] = Op.StDW;
  OP_OF[0x73] = Op.StxB; OP_OF[0x6b] = Op.StxH; OP_OF[0x63] = Op.StxW; OP_OF[0x7b] = Op.StxDW;
  OP_OF[0xc3] = Op.Atomic32; OP_OF[0xdb] = Op.Atomic64;
  OP_OF[0x05] = Op.Ja; OP_OF[0x06] = Op.Gotol;
  const jmp: [number, Op, Op, Op, Op][] = [
    // BPF_OP, JMP K, JMP X, JMP32 K, JMP32 X
    [0x10, Op.JeqK, Op.JeqX, Op.Jeq32K, Op.Jeq32X], [0x50, Op.JneK, Op.JneX, Op.Jne32K, Op.Jne32X],
    [0x40, Op.JsetK, Op.JsetX, Op.Jset32K, Op.Jset32X], [0x20, Op.JgtK, Op.JgtX, Op.Jgt32K, Op.Jgt32X],
    [0x30, Op.JgeK, Op.JgeX, Op.Jge32K, Op.Jge32X], [0xa0, Op.JltK, Op.JltX, Op.Jlt32K, Op.Jlt32X],
    [0xb0, Op.JleK, Op.JleX, Op.Jle32K, Op.Jle32X], [0x60, Op.JsgtK, Op.JsgtX, Op.Jsgt32K, Op.Jsgt32X],
    [0x70, Op.JsgeK, Op.JsgeX, Op.Jsge32K, Op.Jsge32X], [0xc0, Op.JsltK, Op.JsltX, Op.Jslt32K, Op.Jslt32X],
    [0xd0, Op.JsleK, Op.JsleX, Op.Jsle32K, Op.Jsle32X],
  ];
  for (const [op, k64, x64, k32, x32] of jmp) { OP_OF[0x05 | op] = k64; OP_OF[0x0d | op] = x64; OP_OF[0x06 | op] = k32; OP_OF[0x0e | op] = x32; }
  OP_OF[0x8d] = Op.Callx; OP_OF[0x95] = Op.Exit; OP_OF[BREAK_OPCODE] = Op.Break;
  // 0x85 (call) and the sign-extending movs depend on other fields: see predecode.
}

/** A program in the interpreter's form. Slot i is instruction i; slot `length` is the end. */
interface Predecoded {
  /** The dispatch words it was built from (a breakpoint-patched copy has its own). */
  readonly packed: Int32Array;
  /**
   * 4 ints per slot, so one array (one set of V8's checks) serves the whole instruction. A plain
   * array of small integers: V8 checks less on each access to it than on a typed array's.
   * [4i] Op | dst << 8 | src << 12 | off << 16 (legacy loads: off = access size);
   * [4i+1] the operand (imm, a masked shift count, lddw's low half);
   * [4i+2] lddw's high half, or for a jump the run length at its target;
   * [4i+3] for a conditional jump, the run length at the next instruction.
   */
  readonly code: number[];
  /**
   * Per slot: instructions from here to the end of its run (an lddw counts once). A run ends at a
   * jump, a bpf-to-bpf call, callx or exit, so control only ever enters a run at its start or
   * where a run was left off: the budget is charged once per run entered, not per instruction.
   */
  readonly runLen: number[];
  /** `code` without superinstructions: a run cut short by the budget or a single step runs this. */
  readonly plain: number[];
  /**
   * While a Stop op is patched into `plain`: its slot and the word it replaced (-1: none). Kept
   * here too, so that a run that somehow ended by an exception is repaired on the next entry.
   */
  stopAt: number;
  saved: number;
}

/** Programs longer than this run without superinstructions (see predecode). */
const FUSE_MAX_INSNS = 65536;

/** A packed array of small integers (PACKED_SMI_ELEMENTS: no hole checks). */
function smiArray(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(0);
  return a;
}

function predecode(p: LoadedProgram): Predecoded {
  const { length: n, off, imm, src } = p.code;
  const packed = p.packed;
  const code = smiArray(4 * (n + 1)), runLen = smiArray(n + 1);
  code[4 * n] = Op.Bad;
  runLen[n] = 1;
  const second = new Uint8Array(n + 1);
  for (let i = 0; i < n; i++) {
    const w = packed[i], raw = w & 0xff;
    let op: number = OP_OF[raw];
    let o = off[i], x = imm[i];
    switch (op) {
      case Op.Mov64X: if (o !== 0) op = Op.Movsx64; break;
      case Op.Mov32X: if (o !== 0) op = Op.Movsx32; break;
      case Op.Lsh64K: case Op.Rsh64K: case Op.Arsh64K: x &= 63; break;
      case Op.Lsh32K: case Op.Rsh32K: case Op.Arsh32K: x &= 31; break;
      case Op.LdAbs: case Op.LdInd: o = (raw & 0x18) === 0x10 ? 1 : (raw & 0x18) === 0x08 ? 2 : 4; break;
      case Op.Bad: if (raw === 0x85) op = src[i] === 1 ? Op.CallLocal : Op.CallHelper; break;
    }
    code[4 * i] = op | (w & 0xff00) | (o << 16);
    code[4 * i + 1] = x;
    if (op === Op.Lddw) {
      // The loader guarantees the second slot exists and that no jump lands in it.
      code[4 * i + 1] = p.constLo[i]; code[4 * i + 2] = p.constHi[i];
      code[4 * i + 4] = Op.Bad; second[i + 1] = 1;
      i++;
    }
  }
  // Runs, from the end: a run-ending instruction is a run of 1; the others extend the next one.
  for (let i = n - 1; i >= 0; i--) {
    const op = code[4 * i] & 0xff;
    if (second[i]) runLen[i] = 1;
    else if (op === Op.Lddw) runLen[i] = 1 + runLen[i + 2];
    else runLen[i] = op >= Op.Ja && op <= Op.Exit && op !== Op.CallHelper ? 1 : 1 + runLen[i + 1];
  }
  // Jumps carry the run lengths where they lead (the loader checked every target is in range).
  for (let i = 0; i < n; i++) {
    const op = code[4 * i] & 0xff;
    if (op === Op.Lddw) { i++; continue; }
    if (op < Op.Ja || op > Op.Jsle32X) continue;
    const target = i + 1 + (op === Op.Gotol ? imm[i] : off[i]);
    code[4 * i + 2] = runLen[target];
    code[4 * i + 3] = runLen[i + 1];
  }
  // Past the JIT's size limit, skip the fused copy: it would double what a huge program costs.
  const plain = n > FUSE_MAX_INSNS ? code : code.slice();
  if (plain !== code) fuse(code, n);
  return { packed, code, runLen, plain, stopAt: -1, saved: 0 };
}

/** Replaces the first slot of each idiom (see Op.MovAddK and after) by its superinstruction. */
function fuse(code: number[], n: number): void {
  const op = (i: number): number => (i < n ? code[4 * i] & 0xff : Op.Bad);
  const dst = (i: number): number => (code[4 * i] >> 8) & 15;
  for (let i = 0; i + 1 < n; i++) {
    const a = op(i), b = op(i + 1), w = code[4 * i] & ~0xff;
    if (a === Op.Lddw) { i++; continue; }
    const src = (j: number): number => (code[4 * j] >> 12) & 15;
    if (a === Op.Mov64X && b === Op.Add64X && dst(i + 1) === dst(i)) {
      code[4 * i] = w | Op.MovAddX;
    } else if ((a === Op.LdxB || a === Op.LdxH || a === Op.LdxW) && b === a && src(i + 1) === src(i) && dst(i) !== src(i)) {
      code[4 * i] = w | (a === Op.LdxB ? Op.Ldx2B : a === Op.LdxH ? Op.Ldx2H : Op.Ldx2W);
    } else if ((a === Op.LdxB || a === Op.LdxH || a === Op.LdxW) && b === Op.Mov64K && (op(i + 2) === Op.JeqK || op(i + 2) === Op.JneK) && dst(i + 2) === dst(i)) {
      code[4 * i] = w | (op(i + 2) === Op.JeqK ? Op.LdxMovKJeqK : Op.LdxMovKJneK);
      code[4 * i + 2] = a === Op.LdxB ? 1 : a === Op.LdxH ? 2 : 4; // the load's size (this slot's [2] is free)
    } else if (a === Op.Lsh64K && (b === Op.Or64X || b === Op.And64K || b === Op.Rsh64K || b === Op.Arsh64K) && dst(i + 1) === dst(i)) {
      code[4 * i] = w | Op.LshThen;
      code[4 * i + 2] = b; // the second op (its own slot may become a superinstruction's first)
    } else if (a === Op.Mov64X && b === Op.Add64K && dst(i + 1) === dst(i)) {
      code[4 * i] = w | (op(i + 2) === Op.JgtX && dst(i + 2) === dst(i) ? Op.MovAddJgtX
        : op(i + 2) === Op.Mov64K && op(i + 3) === Op.JgtX && dst(i + 3) === dst(i) ? Op.MovAddMovKJgtX : Op.MovAddK);
    } else if (a === Op.Add64K && b === Op.JgtX && dst(i + 1) === dst(i)) {
      code[4 * i] = w | Op.AddJgtX;
    } else if (a === Op.Mov64K) {
      if (b === Op.Exit) code[4 * i] = w | Op.MovKExit;
      else if (b === Op.JeqK) code[4 * i] = w | Op.MovKJeqK;
      else if (b === Op.JneK) code[4 * i] = w | Op.MovKJneK;
      else if (b === Op.JgtX) code[4 * i] = w | Op.MovKJgtX;
    }
  }
}

/** Where a run entered at `pc` must stop after `left` more instructions (it does not fit whole). */
function stopSlot(code: number[], pc: number, left: number): number {
  for (; left > 0; left--) pc += (code[4 * pc] & 0xff) === Op.Lddw ? 2 : 1;
  return pc;
}

/** A LoadedProgram with the interpreter's cache (see the report: vm.ts could declare it). */
type WithPredecoded = LoadedProgram & { interp?: Predecoded };

// ---------------------------------------------------------------------------------------------
// The interpreter loop

/* eslint-disable prefer-const -- per-case scratch variables are declared once per case block */
/**
 * Runs `p` on `m` from `m.pc` for at most `maxSteps` instructions (and what is left of the
 * budget).
 *
 * Budget: a run (see `Predecoded.runLen`) is charged whole when control enters it; when it does
 * not fit, a Stop op is patched in where the budget ends (a single step is the same thing with a
 * budget of 1). Leaving a run early (exit, fault, helper stop, breakpoint) gives back what was
 * charged and not executed, so the count and the instruction a budget fault names are exactly
 * those of per-instruction counting.
 *
 * Shape: the inner loop holds only what runs without a call (ALU, jumps, accesses inside the
 * windows kept in locals), so it stays small. Whatever needs a call (helpers, bpf-to-bpf frames,
 * 64-bit division, atomics, legacy loads, an access outside those windows, faults) leaves it for
 * the outer loop, which executes that one instruction from the plain form and comes back.
 *
 * Cost model (V8): every typed-array access re-checks the array's map and bounds and reloads its
 * data pointer, and once any ArrayBuffer in the process has been detached (it happens in a
 * process running under tsx, as the benchmarks do) also its buffer's detached bit. So the predecoded form is a plain small-integer array, and
 * what matters most is how many distinct arrays an instruction touches.
 */
function exec(m: Machine, p: LoadedProgram, maxSteps: number): number {
  let pd = (p as WithPredecoded).interp;
  if (pd === undefined || pd.packed !== p.packed) pd = (p as WithPredecoded).interp = predecode(p);
  const runLen = pd.runLen;
  if (pd.stopAt >= 0) { pd.plain[pd.stopAt << 2] = pd.saved; pd.stopAt = -1; }
  // Switches to pd.plain when a run is cut short (see Predecoded.plain).
  let code = pd.code;
  const lo = m.lo, hi = m.hi, mem = m.memory;
  let bytes = mem.bytes, rLo = mem.readLo, rHi = mem.readHi, wLo = mem.writeLo, wHi = mem.writeHi, nreg = mem.count;
  // The regions most accesses hit, with their windows in locals (a helper may move the packet's:
  // reloaded after each call). The packet's read window now; its write window, the stack's and
  // ctx's on first use (a high end of 0: not loaded yet), as many programs never need them.
  let pkb = bytes[PKT], pkLo = rLo[PKT], pkHi = rHi[PKT], pkWLo = 1, pkWHi = 0;
  let stb = pkb, stLo = 1, stHi = 0, stWLo = 1, stWHi = 0;
  let cxb = pkb, cxLo = 1, cxHi = 0;
  let pc = m.pc;
  const start = m.budgetLeft < maxSteps ? m.budgetLeft : maxSteps;
  let left = start;
  // Set while a Stop op is patched in: the slot, the word it replaced, and the part of the run
  // after it (not charged).
  let stopAt = -1, saved = 0, tail = 0;
  // 1: pc starts a run that is not charged yet.
  let enter = 1;
  // eslint-disable-next-line no-useless-assignment
  let st = S_EXIT;
  if (!(pc >= 0 && pc < runLen.length)) {
    // Only a corrupt resume gets here: one (faulting) instruction.
    if (left === 0) st = start === maxSteps && start < m.budgetLeft ? S_STEP : m.budgetFault(pc);
    else { left--; st = badInsn(m, p, pc); }
    m.budgetLeft -= start - left; m.insnCount += start - left;
    return st;
  }

  outer: for (;;) {
    if (enter !== 0) {
      enter = 0;
      const len = runLen[pc];
      if (len <= left) left -= len;
      else {
        if (left === 0) { st = start === maxSteps && start < m.budgetLeft ? S_STEP : m.budgetFault(pc); break outer; }
        code = pd.plain;
        stopAt = stopSlot(code, pc, left);
        saved = code[stopAt << 2]; code[stopAt << 2] = Op.Stop; tail = runLen[stopAt];
        pd.stopAt = stopAt; pd.saved = saved;
        left = 0;
      }
    }
    // ---- the fast loop: no calls on any path that continues it --------------------------------
    inner: for (;;) {
      const i = pc << 2, w = code[i], d = (w >> 8) & 15, s = (w >> 12) & 15;
      // Set by the jumps: the length of the run they land in.
      // eslint-disable-next-line no-useless-assignment
      let len = 0;
      switch (w & 0xff) {
        // ---- ALU64 -------------------------------------------------------------------------
        case Op.Mov64K: { let b: number; b = code[i + 1]; lo[d] = b; hi[d] = b >> 31; pc++; continue; }
        case Op.Mov64X: lo[d] = lo[s]; hi[d] = hi[s]; pc++; continue;
        case Op.Add64K: { let t: number, a: number, b: number; a = lo[d]; b = code[i + 1]; t = (a + b) | 0; hi[d] = (hi[d] + (b >> 31) + ((t >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = t; pc++; continue; }
        case Op.Add64X: { let t: number, a: number, b: number; a = lo[d]; b = lo[s]; t = (a + b) | 0; hi[d] = (hi[d] + hi[s] + ((t >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = t; pc++; continue; }
        case Op.Sub64K: { let a: number, b: number; a = lo[d]; b = code[i + 1]; hi[d] = (hi[d] - (b >> 31) - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; lo[d] = (a - b) | 0; pc++; continue; }
        case Op.Sub64X: { let a: number, b: number; a = lo[d]; b = lo[s]; hi[d] = (hi[d] - hi[s] - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; lo[d] = (a - b) | 0; pc++; continue; }
        case Op.Mul64K: case Op.Mul64X: { let a: number, b: number, bh: number, a0: number, a1: number, b0: number, b1: number, m1: number, m2: number;
          a = lo[d];
          if ((w & 0xff) === Op.Mul64X) { b = lo[s]; bh = hi[s]; } else { b = code[i + 1]; bh = b >> 31; }
          // umulhi(a, b) inline (a call would cost the loop its cached checks)
          a0 = a & 0xffff; a1 = a >>> 16; b0 = b & 0xffff; b1 = b >>> 16;
          m1 = a1 * b0 + ((a0 * b0) >>> 16); m2 = a0 * b1 + (m1 & 0xffff);
          hi[d] = (Math.imul(hi[d], b) + Math.imul(a, bh) + a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) | 0;
          lo[d] = Math.imul(a, b); pc++; continue;
        }
        case Op.Or64K: { let b: number; b = code[i + 1]; lo[d] |= b; hi[d] |= b >> 31; pc++; continue; }
        case Op.Or64X: lo[d] |= lo[s]; hi[d] |= hi[s]; pc++; continue;
        case Op.And64K: { let b: number; b = code[i + 1]; lo[d] &= b; hi[d] &= b >> 31; pc++; continue; }
        case Op.And64X: lo[d] &= lo[s]; hi[d] &= hi[s]; pc++; continue;
        case Op.Xor64K: { let b: number; b = code[i + 1]; lo[d] ^= b; hi[d] ^= b >> 31; pc++; continue; }
        case Op.Xor64X: lo[d] ^= lo[s]; hi[d] ^= hi[s]; pc++; continue;
        case Op.Lsh64K: case Op.Lsh64X: { let t: number;
          t = (w & 0xff) === Op.Lsh64X ? lo[s] & 63 : code[i + 1];
          if (t >= 32) { hi[d] = lo[d] << (t - 32); lo[d] = 0; } else if (t !== 0) { hi[d] = (hi[d] << t) | (lo[d] >>> (32 - t)); lo[d] = lo[d] << t; }
          pc++; continue;
        }
        case Op.Rsh64K: case Op.Rsh64X: { let t: number;
          t = (w & 0xff) === Op.Rsh64X ? lo[s] & 63 : code[i + 1];
          if (t >= 32) { lo[d] = hi[d] >>> (t - 32); hi[d] = 0; } else if (t !== 0) { lo[d] = (lo[d] >>> t) | (hi[d] << (32 - t)); hi[d] = hi[d] >>> t; }
          pc++; continue;
        }
        case Op.Arsh64K: case Op.Arsh64X: { let t: number;
          t = (w & 0xff) === Op.Arsh64X ? lo[s] & 63 : code[i + 1];
          if (t >= 32) { lo[d] = hi[d] >> (t - 32); hi[d] = hi[d] >> 31; } else if (t !== 0) { lo[d] = (lo[d] >>> t) | (hi[d] << (32 - t)); hi[d] = hi[d] >> t; }
          pc++; continue;
        }
        case Op.Neg64: { let t: number; t = (-lo[d]) | 0; hi[d] = (~hi[d] + (t === 0 ? 1 : 0)) | 0; lo[d] = t; pc++; continue; }
        case Op.Movsx64: { let t: number, o: number;
          o = w >> 16;
          t = o === 8 ? (lo[s] << 24) >> 24 : o === 16 ? (lo[s] << 16) >> 16 : lo[s];
          lo[d] = t; hi[d] = t >> 31; pc++; continue;
        }
        case Op.Bswap: { let t: number, a: number, b: number;
          t = code[i + 1]; a = lo[d];
          if (t === 16) { lo[d] = ((a & 0xff) << 8) | ((a >>> 8) & 0xff); hi[d] = 0; }
          else if (t === 32) { lo[d] = ((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24); hi[d] = 0; }
          else { b = hi[d]; lo[d] = ((b & 0xff) << 24) | ((b & 0xff00) << 8) | ((b >>> 8) & 0xff00) | (b >>> 24); hi[d] = ((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24); }
          pc++; continue;
        }
        // ---- ALU32 -------------------------------------------------------------------------
        case Op.Mov32K: lo[d] = code[i + 1]; hi[d] = 0; pc++; continue;
        case Op.Mov32X: lo[d] = lo[s]; hi[d] = 0; pc++; continue;
        case Op.Add32K: lo[d] = (lo[d] + code[i + 1]) | 0; hi[d] = 0; pc++; continue;
        case Op.Add32X: lo[d] = (lo[d] + lo[s]) | 0; hi[d] = 0; pc++; continue;
        case Op.Sub32K: lo[d] = (lo[d] - code[i + 1]) | 0; hi[d] = 0; pc++; continue;
        case Op.Sub32X: lo[d] = (lo[d] - lo[s]) | 0; hi[d] = 0; pc++; continue;
        case Op.Mul32K: lo[d] = Math.imul(lo[d], code[i + 1]); hi[d] = 0; pc++; continue;
        case Op.Mul32X: lo[d] = Math.imul(lo[d], lo[s]); hi[d] = 0; pc++; continue;
        case Op.Div32K: case Op.Div32X: case Op.Mod32K: case Op.Mod32X: { let a: number, b: number;
          const op = w & 0xff, isMod = op === Op.Mod32K || op === Op.Mod32X;
          b = op === Op.Div32X || op === Op.Mod32X ? lo[s] : code[i + 1];
          a = lo[d];
          if (b === 0) { if (!isMod) lo[d] = 0; }
          else if ((w >> 16) === 1) lo[d] = isMod ? (a % b) | 0 : (a / b) | 0;
          else lo[d] = isMod ? (a >>> 0) % (b >>> 0) : ((a >>> 0) / (b >>> 0)) >>> 0;
          hi[d] = 0; pc++; continue;
        }
        case Op.Or32K: lo[d] |= code[i + 1]; hi[d] = 0; pc++; continue;
        case Op.Or32X: lo[d] |= lo[s]; hi[d] = 0; pc++; continue;
        case Op.And32K: lo[d] &= code[i + 1]; hi[d] = 0; pc++; continue;
        case Op.And32X: lo[d] &= lo[s]; hi[d] = 0; pc++; continue;
        case Op.Xor32K: lo[d] ^= code[i + 1]; hi[d] = 0; pc++; continue;
        case Op.Xor32X: lo[d] ^= lo[s]; hi[d] = 0; pc++; continue;
        case Op.Lsh32K: lo[d] <<= code[i + 1]; hi[d] = 0; pc++; continue;
        case Op.Lsh32X: lo[d] <<= lo[s] & 31; hi[d] = 0; pc++; continue;
        case Op.Rsh32K: lo[d] = lo[d] >>> code[i + 1]; hi[d] = 0; pc++; continue;
        case Op.Rsh32X: lo[d] = lo[d] >>> (lo[s] & 31); hi[d] = 0; pc++; continue;
        case Op.Arsh32K: lo[d] >>= code[i + 1]; hi[d] = 0; pc++; continue;
        case Op.Arsh32X: lo[d] >>= lo[s] & 31; hi[d] = 0; pc++; continue;
        case Op.Neg32: lo[d] = (-lo[d]) | 0; hi[d] = 0; pc++; continue;
        case Op.Movsx32: { let o: number; o = w >> 16; lo[d] = o === 8 ? (lo[s] << 24) >> 24 : (lo[s] << 16) >> 16; hi[d] = 0; pc++; continue; }
        case Op.Le: { let t: number; t = code[i + 1]; if (t === 16) lo[d] &= 0xffff; if (t !== 64) hi[d] = 0; pc++; continue; }
        case Op.Lddw: lo[d] = code[i + 1]; hi[d] = code[i + 2]; pc += 2; continue;
        // ---- loads and stores: the region table's windows inline; anything else leaves -----
        case Op.LdxB: { let id: number, o: number;
          id = hi[s]; o = (lo[s] >>> 0) + (w >> 16);
          if (id === PKT && o >= pkLo && o + 1 <= pkHi) { lo[d] = pkb[o]; hi[d] = 0; pc++; continue; }
          if (id === STACK) { if (stHi === 0) { stb = bytes[STACK]; stLo = rLo[STACK]; stHi = rHi[STACK]; stWLo = wLo[STACK]; stWHi = wHi[STACK]; } if (o >= stLo && o + 1 <= stHi) { lo[d] = stb[o]; hi[d] = 0; pc++; continue; } }
          id >>>= 0;
          if (!(id < nreg && o >= rLo[id] && o + 1 <= rHi[id])) break inner;
          lo[d] = bytes[id][o]; hi[d] = 0; pc++; continue;
        }
        case Op.LdxH: { let id: number, o: number;
          id = hi[s]; o = (lo[s] >>> 0) + (w >> 16);
          if (id === PKT && o >= pkLo && o + 2 <= pkHi) { lo[d] = pkb[o] | (pkb[o + 1] << 8); hi[d] = 0; pc++; continue; }
          if (id === STACK) { if (stHi === 0) { stb = bytes[STACK]; stLo = rLo[STACK]; stHi = rHi[STACK]; stWLo = wLo[STACK]; stWHi = wHi[STACK]; } if (o >= stLo && o + 2 <= stHi) { lo[d] = stb[o] | (stb[o + 1] << 8); hi[d] = 0; pc++; continue; } }
          id >>>= 0;
          if (!(id < nreg && o >= rLo[id] && o + 2 <= rHi[id])) break inner;
          const bb = bytes[id];
          lo[d] = bb[o] | (bb[o + 1] << 8); hi[d] = 0; pc++; continue;
        }
        case Op.LdxW: { let id: number, o: number;
          id = hi[s]; o = (lo[s] >>> 0) + (w >> 16);
          if (id === PKT && o >= pkLo && o + 4 <= pkHi) { lo[d] = pkb[o] | (pkb[o + 1] << 8) | (pkb[o + 2] << 16) | (pkb[o + 3] << 24); hi[d] = 0; pc++; continue; }
          if (id === CTX) {
            if (cxHi === 0) { cxb = bytes[CTX]; cxLo = rLo[CTX]; cxHi = rHi[CTX]; }
            // ctx->data, data_end, data_meta: the verifier's ctx rewrite makes them full packet pointers
            if (o >= cxLo && o + 4 <= cxHi) { lo[d] = cxb[o] | (cxb[o + 1] << 8) | (cxb[o + 2] << 16) | (cxb[o + 3] << 24); hi[d] = o < 12 ? PKT : 0; pc++; continue; }
          }
          if (id === STACK) { if (stHi === 0) { stb = bytes[STACK]; stLo = rLo[STACK]; stHi = rHi[STACK]; stWLo = wLo[STACK]; stWHi = wHi[STACK]; } if (o >= stLo && o + 4 <= stHi) { lo[d] = stb[o] | (stb[o + 1] << 8) | (stb[o + 2] << 16) | (stb[o + 3] << 24); hi[d] = 0; pc++; continue; } }
          id >>>= 0;
          if (!(id < nreg && o >= rLo[id] && o + 4 <= rHi[id])) break inner;
          const bb = bytes[id];
          lo[d] = bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24);
          // ctx->data, data_end, data_meta: the verifier's ctx rewrite makes them full packet pointers
          hi[d] = id === CTX && o < 12 ? PKT : 0;
          pc++; continue;
        }
        case Op.LdxDW: { let id: number, o: number;
          id = hi[s]; o = (lo[s] >>> 0) + (w >> 16);
          if (id === STACK) { if (stHi === 0) { stb = bytes[STACK]; stLo = rLo[STACK]; stHi = rHi[STACK]; stWLo = wLo[STACK]; stWHi = wHi[STACK]; } if (o >= stLo && o + 8 <= stHi) {
            lo[d] = stb[o] | (stb[o + 1] << 8) | (stb[o + 2] << 16) | (stb[o + 3] << 24);
            hi[d] = stb[o + 4] | (stb[o + 5] << 8) | (stb[o + 6] << 16) | (stb[o + 7] << 24);
            pc++; continue;
          } }
          id >>>= 0;
          if (!(id < nreg && o >= rLo[id] && o + 8 <= rHi[id])) break inner;
          const bb = bytes[id];
          lo[d] = bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24);
          hi[d] = bb[o + 4] | (bb[o + 5] << 8) | (bb[o + 6] << 16) | (bb[o + 7] << 24);
          pc++; continue;
        }
        case Op.LdxSB: case Op.LdxSH: case Op.LdxSW: { let id: number, o: number, v: number;
          const op = w & 0xff, size = op === Op.LdxSW ? 4 : op === Op.LdxSH ? 2 : 1;
          id = hi[s] >>> 0; o = (lo[s] >>> 0) + (w >> 16);
          if (!(id < nreg && o >= rLo[id] && o + size <= rHi[id])) break inner;
          const bb = bytes[id];
          v = size === 1 ? (bb[o] << 24) >> 24 : size === 2 ? ((bb[o] | (bb[o + 1] << 8)) << 16) >> 16 : bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24);
          lo[d] = v; hi[d] = v >> 31; pc++; continue;
        }
        case Op.StB: case Op.StxB: { let id: number, o: number, a: number;
          id = hi[d]; o = (lo[d] >>> 0) + (w >> 16);
          a = (w & 0xff) === Op.StxB ? lo[s] : code[i + 1];
          if (id === STACK) { if (stHi === 0) { stb = bytes[STACK]; stLo = rLo[STACK]; stHi = rHi[STACK]; stWLo = wLo[STACK]; stWHi = wHi[STACK]; } if (o >= stWLo && o + 1 <= stWHi) { stb[o] = a; pc++; continue; } }
          if (id === PKT) { if (pkWHi === 0) { pkWLo = wLo[PKT]; pkWHi = wHi[PKT]; } if (o >= pkWLo && o + 1 <= pkWHi) { pkb[o] = a; pc++; continue; } }
          id >>>= 0;
          if (!(id < nreg && o >= wLo[id] && o + 1 <= wHi[id])) break inner;
          bytes[id][o] = a; pc++; continue;
        }
        case Op.StH: case Op.StxH: { let id: number, o: number, a: number;
          id = hi[d]; o = (lo[d] >>> 0) + (w >> 16);
          a = (w & 0xff) === Op.StxH ? lo[s] : code[i + 1];
          if (id === STACK) { if (stHi === 0) { stb = bytes[STACK]; stLo = rLo[STACK]; stHi = rHi[STACK]; stWLo = wLo[STACK]; stWHi = wHi[STACK]; } if (o >= stWLo && o + 2 <= stWHi) { stb[o] = a; stb[o + 1] = a >> 8; pc++; continue; } }
          if (id === PKT) { if (pkWHi === 0) { pkWLo = wLo[PKT]; pkWHi = wHi[PKT]; } if (o >= pkWLo && o + 2 <= pkWHi) { pkb[o] = a; pkb[o + 1] = a >> 8; pc++; continue; } }
          id >>>= 0;
          if (!(id < nreg && o >= wLo[id] && o + 2 <= wHi[id])) break inner;
          const bb = bytes[id];
          bb[o] = a; bb[o + 1] = a >> 8; pc++; continue;
        }
        case Op.StW: case Op.StxW: { let id: number, o: number, a: number;
          id = hi[d]; o = (lo[d] >>> 0) + (w >> 16);
          a = (w & 0xff) === Op.StxW ? lo[s] : code[i + 1];
          if (id === STACK) { if (stHi === 0) { stb = bytes[STACK]; stLo = rLo[STACK]; stHi = rHi[STACK]; stWLo = wLo[STACK]; stWHi = wHi[STACK]; } if (o >= stWLo && o + 4 <= stWHi) { stb[o] = a; stb[o + 1] = a >> 8; stb[o + 2] = a >> 16; stb[o + 3] = a >> 24; pc++; continue; } }
          if (id === PKT) { if (pkWHi === 0) { pkWLo = wLo[PKT]; pkWHi = wHi[PKT]; } if (o >= pkWLo && o + 4 <= pkWHi) { pkb[o] = a; pkb[o + 1] = a >> 8; pkb[o + 2] = a >> 16; pkb[o + 3] = a >> 24; pc++; continue; } }
          id >>>= 0;
          if (!(id < nreg && o >= wLo[id] && o + 4 <= wHi[id])) break inner;
          const bb = bytes[id];
          bb[o] = a; bb[o + 1] = a >> 8; bb[o + 2] = a >> 16; bb[o + 3] = a >> 24; pc++; continue;
        }
        case Op.StDW: case Op.StxDW: { let id: number, o: number, a: number, u: number;
          id = hi[d]; o = (lo[d] >>> 0) + (w >> 16);
          if ((w & 0xff) === Op.StxDW) { a = lo[s]; u = hi[s]; } else { a = code[i + 1]; u = a >> 31; }
          if (id === STACK) { if (stHi === 0) { stb = bytes[STACK]; stLo = rLo[STACK]; stHi = rHi[STACK]; stWLo = wLo[STACK]; stWHi = wHi[STACK]; } if (o >= stWLo && o + 8 <= stWHi) {
            stb[o] = a; stb[o + 1] = a >> 8; stb[o + 2] = a >> 16; stb[o + 3] = a >> 24;
            stb[o + 4] = u; stb[o + 5] = u >> 8; stb[o + 6] = u >> 16; stb[o + 7] = u >> 24; pc++; continue;
          } }
          id >>>= 0;
          if (!(id < nreg && o >= wLo[id] && o + 8 <= wHi[id])) break inner;
          const bb = bytes[id];
          bb[o] = a; bb[o + 1] = a >> 8; bb[o + 2] = a >> 16; bb[o + 3] = a >> 24;
          bb[o + 4] = u; bb[o + 5] = u >> 8; bb[o + 6] = u >> 16; bb[o + 7] = u >> 24; pc++; continue;
        }
        // ---- jumps: each ends its run; the next one is charged here when it fits ------------
        case Op.Ja: pc += 1 + (w >> 16); len = code[i + 2]; break;
        case Op.Gotol: pc += 1 + code[i + 1]; len = code[i + 2]; break;
        case Op.JeqK: { let b: number; b = code[i + 1]; if (lo[d] === b && hi[d] === b >> 31) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JeqX: if (lo[d] === lo[s] && hi[d] === hi[s]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.JneK: { let b: number; b = code[i + 1]; if (lo[d] !== b || hi[d] !== b >> 31) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JneX: if (lo[d] !== lo[s] || hi[d] !== hi[s]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.JsetK: { let b: number; b = code[i + 1]; if ((lo[d] & b) !== 0 || (hi[d] & (b >> 31)) !== 0) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JsetX: if ((lo[d] & lo[s]) !== 0 || (hi[d] & hi[s]) !== 0) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.JgtK: { let a: number, b: number, u: number; b = code[i + 1]; a = hi[d] >>> 0; u = (b >> 31) >>> 0; if (a > u || (a === u && (lo[d] >>> 0) > (b >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JgtX: { let a: number, b: number; a = hi[d] >>> 0; b = hi[s] >>> 0; if (a > b || (a === b && (lo[d] >>> 0) > (lo[s] >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JgeK: { let a: number, b: number, u: number; b = code[i + 1]; a = hi[d] >>> 0; u = (b >> 31) >>> 0; if (a > u || (a === u && (lo[d] >>> 0) >= (b >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JgeX: { let a: number, b: number; a = hi[d] >>> 0; b = hi[s] >>> 0; if (a > b || (a === b && (lo[d] >>> 0) >= (lo[s] >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JltK: { let a: number, b: number, u: number; b = code[i + 1]; a = hi[d] >>> 0; u = (b >> 31) >>> 0; if (a < u || (a === u && (lo[d] >>> 0) < (b >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JltX: { let a: number, b: number; a = hi[d] >>> 0; b = hi[s] >>> 0; if (a < b || (a === b && (lo[d] >>> 0) < (lo[s] >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JleK: { let a: number, b: number, u: number; b = code[i + 1]; a = hi[d] >>> 0; u = (b >> 31) >>> 0; if (a < u || (a === u && (lo[d] >>> 0) <= (b >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JleX: { let a: number, b: number; a = hi[d] >>> 0; b = hi[s] >>> 0; if (a < b || (a === b && (lo[d] >>> 0) <= (lo[s] >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JsgtK: { let a: number, b: number, u: number; b = code[i + 1]; a = hi[d]; u = b >> 31; if (a > u || (a === u && (lo[d] >>> 0) > (b >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JsgtX: { let a: number, b: number; a = hi[d]; b = hi[s]; if (a > b || (a === b && (lo[d] >>> 0) > (lo[s] >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JsgeK: { let a: number, b: number, u: number; b = code[i + 1]; a = hi[d]; u = b >> 31; if (a > u || (a === u && (lo[d] >>> 0) >= (b >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JsgeX: { let a: number, b: number; a = hi[d]; b = hi[s]; if (a > b || (a === b && (lo[d] >>> 0) >= (lo[s] >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JsltK: { let a: number, b: number, u: number; b = code[i + 1]; a = hi[d]; u = b >> 31; if (a < u || (a === u && (lo[d] >>> 0) < (b >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JsltX: { let a: number, b: number; a = hi[d]; b = hi[s]; if (a < b || (a === b && (lo[d] >>> 0) < (lo[s] >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JsleK: { let a: number, b: number, u: number; b = code[i + 1]; a = hi[d]; u = b >> 31; if (a < u || (a === u && (lo[d] >>> 0) <= (b >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        case Op.JsleX: { let a: number, b: number; a = hi[d]; b = hi[s]; if (a < b || (a === b && (lo[d] >>> 0) <= (lo[s] >>> 0))) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break; }
        // JMP32: compare the low halves only.
        case Op.Jeq32K: if (lo[d] === code[i + 1]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jeq32X: if (lo[d] === lo[s]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jne32K: if (lo[d] !== code[i + 1]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jne32X: if (lo[d] !== lo[s]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jset32K: if ((lo[d] & code[i + 1]) !== 0) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jset32X: if ((lo[d] & lo[s]) !== 0) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jgt32K: if ((lo[d] >>> 0) > (code[i + 1] >>> 0)) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jgt32X: if ((lo[d] >>> 0) > (lo[s] >>> 0)) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jge32K: if ((lo[d] >>> 0) >= (code[i + 1] >>> 0)) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jge32X: if ((lo[d] >>> 0) >= (lo[s] >>> 0)) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jlt32K: if ((lo[d] >>> 0) < (code[i + 1] >>> 0)) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jlt32X: if ((lo[d] >>> 0) < (lo[s] >>> 0)) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jle32K: if ((lo[d] >>> 0) <= (code[i + 1] >>> 0)) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jle32X: if ((lo[d] >>> 0) <= (lo[s] >>> 0)) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jsgt32K: if (lo[d] > code[i + 1]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jsgt32X: if (lo[d] > lo[s]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jsge32K: if (lo[d] >= code[i + 1]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jsge32X: if (lo[d] >= lo[s]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jslt32K: if (lo[d] < code[i + 1]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jslt32X: if (lo[d] < lo[s]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jsle32K: if (lo[d] <= code[i + 1]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        case Op.Jsle32X: if (lo[d] <= lo[s]) { pc += 1 + (w >> 16); len = code[i + 2]; } else { pc++; len = code[i + 3]; } break;
        // ---- superinstructions (see Op.MovAddK) -------------------------------------------
        case Op.MovAddK: { let t: number, a: number, b: number;
          a = lo[s]; b = code[i + 5]; t = (a + b) | 0;
          hi[d] = (hi[s] + (b >> 31) + ((t >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = t;
          pc += 2; continue;
        }
        case Op.MovAddJgtX: { let t: number, a: number, b: number, ah: number, ch: number, x: number;
          a = lo[s]; b = code[i + 5]; t = (a + b) | 0;
          ah = (hi[s] + (b >> 31) + ((t >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = t; hi[d] = ah;
          x = code[i + 8]; b = (x >> 12) & 15; ah >>>= 0; ch = hi[b] >>> 0;
          if (ah > ch || (ah === ch && (t >>> 0) > (lo[b] >>> 0))) { pc += 3 + (x >> 16); len = code[i + 10]; } else { pc += 3; len = code[i + 11]; }
          break;
        }
        case Op.MovAddMovKJgtX: { let t: number, a: number, b: number, ah: number, ch: number, x: number;
          a = lo[s]; b = code[i + 5]; t = (a + b) | 0;
          hi[d] = (hi[s] + (b >> 31) + ((t >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = t;
          x = code[i + 8]; b = code[i + 9]; a = (x >> 8) & 15; lo[a] = b; hi[a] = b >> 31;
          // rA and rC read after both moves (rZ may be either)
          x = code[i + 12]; b = (x >> 12) & 15; ah = hi[d] >>> 0; ch = hi[b] >>> 0;
          if (ah > ch || (ah === ch && (lo[d] >>> 0) > (lo[b] >>> 0))) { pc += 4 + (x >> 16); len = code[i + 14]; } else { pc += 4; len = code[i + 15]; }
          break;
        }
        case Op.LdxMovKJeqK: case Op.LdxMovKJneK: { let o: number, v: number, b: number, x: number, z: number, t: boolean;
          // Only the packet's fast path: anything else leaves the load to the plain path.
          if (hi[s] !== PKT) break inner;
          x = code[i + 4]; // the mov (its slot may hold a superinstruction: dst and K are as decoded)
          b = code[i + 2]; // the load's size
          o = (lo[s] >>> 0) + (w >> 16);
          if (!(o >= pkLo && o + b <= pkHi)) break inner;
          v = b === 1 ? pkb[o] : b === 2 ? pkb[o] | (pkb[o + 1] << 8) : pkb[o] | (pkb[o + 1] << 8) | (pkb[o + 2] << 16) | (pkb[o + 3] << 24);
          lo[d] = v; hi[d] = 0;
          z = (x >> 8) & 15; b = code[i + 5]; lo[z] = b; hi[z] = b >> 31;
          // the test reads rA after the mov (rZ may be rA)
          x = code[i + 8]; b = code[i + 9];
          t = lo[d] === b && hi[d] === b >> 31;
          if ((w & 0xff) === Op.LdxMovKJneK) t = !t;
          if (t) { pc += 3 + (x >> 16); len = code[i + 10]; } else { pc += 3; len = code[i + 11]; }
          break;
        }
        case Op.LshThen: { let t: number, a: number, h: number, x: number;
          t = code[i + 1]; a = lo[d]; h = hi[d];
          if (t >= 32) { h = a << (t - 32); a = 0; } else if (t !== 0) { h = (h << t) | (a >>> (32 - t)); a = a << t; }
          x = code[i + 2];
          if (x === Op.Or64X) { x = (code[i + 4] >> 12) & 15; if (x !== d) { a |= lo[x]; h |= hi[x]; } } // rA | rA is rA
          else if (x === Op.And64K) { x = code[i + 5]; a &= x; h &= x >> 31; }
          else {
            t = code[i + 5];
            if (x === Op.Rsh64K) { if (t >= 32) { a = h >>> (t - 32); h = 0; } else if (t !== 0) { a = (a >>> t) | (h << (32 - t)); h = h >>> t; } }
            else if (t >= 32) { a = h >> (t - 32); h = h >> 31; } else if (t !== 0) { a = (a >>> t) | (h << (32 - t)); h = h >> t; }
          }
          lo[d] = a; hi[d] = h; pc += 2; continue;
        }
        case Op.AddJgtX: { let t: number, a: number, b: number, ah: number, ch: number, x: number;
          a = lo[d]; b = code[i + 1]; t = (a + b) | 0;
          ah = (hi[d] + (b >> 31) + ((t >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = t; hi[d] = ah;
          x = code[i + 4]; b = (x >> 12) & 15; ah >>>= 0; ch = hi[b] >>> 0;
          if (ah > ch || (ah === ch && (t >>> 0) > (lo[b] >>> 0))) { pc += 2 + (x >> 16); len = code[i + 6]; } else { pc += 2; len = code[i + 7]; }
          break;
        }
        case Op.MovKExit: { let b: number;
          b = code[i + 1]; lo[d] = b; hi[d] = b >> 31; pc++;
          if (m.depth !== 0) break inner;
          st = S_EXIT; break outer;
        }
        case Op.MovKJeqK: case Op.MovKJneK: case Op.MovKJgtX: { let b: number, x: number, e: number, f: number, t: boolean;
          b = code[i + 1]; lo[d] = b; hi[d] = b >> 31;
          x = code[i + 4]; e = (x >> 8) & 15;
          if ((w & 0xff) === Op.MovKJgtX) {
            f = (x >> 12) & 15; b = hi[e] >>> 0; const c = hi[f] >>> 0;
            t = b > c || (b === c && (lo[e] >>> 0) > (lo[f] >>> 0));
          } else {
            b = code[i + 5];
            t = lo[e] === b && hi[e] === b >> 31;
            if ((w & 0xff) === Op.MovKJneK) t = !t;
          }
          if (t) { pc += 2 + (x >> 16); len = code[i + 6]; } else { pc += 2; len = code[i + 7]; }
          break;
        }
        case Op.MovAddX: { let t: number, a: number, b: number, x: number, c: number;
          x = code[i + 4]; c = (x >> 12) & 15;
          // rC is read after rA = rB (rC may be rA)
          a = lo[s]; b = c === d ? a : lo[c]; t = (a + b) | 0;
          hi[d] = (hi[s] + (c === d ? hi[s] : hi[c]) + ((t >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = t;
          pc += 2; continue;
        }
        case Op.Ldx2B: case Op.Ldx2H: case Op.Ldx2W: { let id: number, a: number, o: number, q: number, x: number, e: number, lt: number, ht: number;
          const op = w & 0xff, size = op === Op.Ldx2B ? 1 : op === Op.Ldx2H ? 2 : 4;
          x = code[i + 4]; e = (x >> 8) & 15;
          id = hi[s]; a = lo[s] >>> 0; o = a + (w >> 16); q = a + (x >> 16);
          // the span of both accesses
          lt = o < q ? o : q; ht = (o > q ? o : q) + size;
          let bb: Uint8Array;
          if (id === PKT && lt >= pkLo && ht <= pkHi) bb = pkb;
          else if (id === CTX && op === Op.Ldx2W) {
            if (cxHi === 0) { cxb = bytes[CTX]; cxLo = rLo[CTX]; cxHi = rHi[CTX]; }
            if (!(lt >= cxLo && ht <= cxHi)) break inner;
            lo[d] = cxb[o] | (cxb[o + 1] << 8) | (cxb[o + 2] << 16) | (cxb[o + 3] << 24); hi[d] = o < 12 ? PKT : 0;
            lo[e] = cxb[q] | (cxb[q + 1] << 8) | (cxb[q + 2] << 16) | (cxb[q + 3] << 24); hi[e] = q < 12 ? PKT : 0;
            pc += 2; continue;
          } else {
            id >>>= 0;
            if (!(id < nreg && lt >= rLo[id] && ht <= rHi[id])) break inner;
            bb = bytes[id];
          }
          if (size === 1) { lo[d] = bb[o]; lo[e] = bb[q]; }
          else if (size === 2) { lo[d] = bb[o] | (bb[o + 1] << 8); lo[e] = bb[q] | (bb[q + 1] << 8); }
          else { lo[d] = bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24); lo[e] = bb[q] | (bb[q + 1] << 8) | (bb[q + 2] << 16) | (bb[q + 3] << 24); }
          hi[d] = 0; hi[e] = 0;
          pc += 2; continue;
        }
        // A run's last instruction: nothing of the run is left to give back.
        case Op.Exit:
          if (m.depth !== 0) break inner;
          st = S_EXIT; break outer;
        case Op.Break:
          left += runLen[pc] - tail;
          st = S_BREAK; break outer;
        default:
          break inner; // needs a call: the outer loop runs it
      }
      // A jump landed on pc: charge its run here when it fits.
      if (len > left) { enter = 1; continue outer; }
      left -= len;
    }

    // ---- one instruction that needs a call -----------------------------------------------------
    // The plain word: a superinstruction that cannot take its fast path leaves its first
    // instruction to this section, on its own.
    const i = pc << 2, w = pd.plain[i], d = (w >> 8) & 15, s = (w >> 12) & 15, op = w & 0xff;
    switch (op) {
      case Op.Div64K: case Op.Div64X: case Op.Mod64K: case Op.Mod64X: { let u: number, b: number;
        const isX = op === Op.Div64X || op === Op.Mod64X, isMod = op === Op.Mod64K || op === Op.Mod64X;
        b = isX ? lo[s] : code[i + 1]; u = isX ? hi[s] : b >> 31;
        if (b === 0 && u === 0) { if (!isMod) { lo[d] = 0; hi[d] = 0; } pc++; continue outer; }
        if ((w >> 16) === 1) sdivmod64(hi[d], lo[d], u, b); else udivmod64(hi[d], lo[d], u, b);
        if (isMod) { lo[d] = DIVRES[2]; hi[d] = DIVRES[3]; } else { lo[d] = DIVRES[0]; hi[d] = DIVRES[1]; }
        pc++; continue outer;
      }
      case Op.LdAbs: case Op.LdInd: {
        const offset = op === Op.LdInd ? lo[s] + code[i + 1] : code[i + 1];
        if (!loadPacketLegacy(m, pc, w >> 16, offset)) { m.depth = 0; left += runLen[pc] - 1 - tail; st = S_EXIT; break outer; }
        pc++; continue outer;
      }
      case Op.LdxB: case Op.LdxH: case Op.LdxW: case Op.LdxDW: case Op.LdxSB: case Op.LdxSH: case Op.LdxSW: {
        const size = op === Op.LdxDW ? 8 : op === Op.LdxW || op === Op.LdxSW ? 4 : op === Op.LdxH || op === Op.LdxSH ? 2 : 1;
        const id = mem.resolve(hi[s], lo[s], w >> 16, size, false);
        if (id < 0) { left += runLen[pc] - 1 - tail; st = m.memFault(pc, hi[s], lo[s], w >> 16, size, false); break outer; }
        const bb = bytes[id], o = mem.offset;
        switch (op) {
          case Op.LdxB: lo[d] = bb[o]; hi[d] = 0; break;
          case Op.LdxH: lo[d] = bb[o] | (bb[o + 1] << 8); hi[d] = 0; break;
          case Op.LdxW: lo[d] = bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24); hi[d] = id === CTX && o < 12 ? PKT : 0; break;
          case Op.LdxDW: lo[d] = bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24); hi[d] = bb[o + 4] | (bb[o + 5] << 8) | (bb[o + 6] << 16) | (bb[o + 7] << 24); break;
          case Op.LdxSW: lo[d] = bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24); hi[d] = lo[d] >> 31; break;
          case Op.LdxSH: lo[d] = ((bb[o] | (bb[o + 1] << 8)) << 16) >> 16; hi[d] = lo[d] >> 31; break;
          default: lo[d] = (bb[o] << 24) >> 24; hi[d] = lo[d] >> 31; break;
        }
        pc++; continue outer;
      }
      case Op.StB: case Op.StH: case Op.StW: case Op.StDW: case Op.StxB: case Op.StxH: case Op.StxW: case Op.StxDW: { let a: number, u: number;
        const size = op === Op.StB || op === Op.StxB ? 1 : op === Op.StH || op === Op.StxH ? 2 : op === Op.StW || op === Op.StxW ? 4 : 8;
        const id = mem.resolve(hi[d], lo[d], w >> 16, size, true);
        if (id < 0) { left += runLen[pc] - 1 - tail; st = m.memFault(pc, hi[d], lo[d], w >> 16, size, true); break outer; }
        if (op >= Op.StxB) { a = lo[s]; u = hi[s]; } else { a = code[i + 1]; u = a >> 31; }
        const bb = bytes[id], o = mem.offset;
        bb[o] = a;
        if (size >= 2) { bb[o + 1] = a >> 8; if (size >= 4) { bb[o + 2] = a >> 16; bb[o + 3] = a >> 24; if (size === 8) { bb[o + 4] = u; bb[o + 5] = u >> 8; bb[o + 6] = u >> 16; bb[o + 7] = u >> 24; } } }
        pc++; continue outer;
      }
      case Op.Atomic32: case Op.Atomic64: { let id: number, o: number;
        const size = op === Op.Atomic64 ? 8 : 4;
        id = hi[d] >>> 0; o = (lo[d] >>> 0) + (w >> 16);
        if (!(id < nreg && o >= wLo[id] && o + size <= wHi[id] && o >= rLo[id] && o + size <= rHi[id])) {
          id = mem.resolve(hi[d], lo[d], w >> 16, size, true);
          if (id < 0 || mem.resolve(hi[d], lo[d], w >> 16, size, false) < 0) { left += runLen[pc] - 1 - tail; st = m.memFault(pc, hi[d], lo[d], w >> 16, size, true); break outer; }
          o = mem.offset;
        }
        atomic(m, bytes[id], o, size, code[i + 1], s);
        pc++; continue outer;
      }
      case Op.CallHelper: {
        const fn = p.helperAt[pc];
        if (fn === undefined) { left += runLen[pc] - 1 - tail; st = m.setFault('invalid', pc, `call to helper ${code[i + 1]} that is not in the helper table at insn ${pc}`); break outer; }
        m.pc = pc;
        if (!callHelper(m, fn, pc)) { left += runLen[pc] - 1 - tail; st = S_FAULT; break outer; }
        bytes = mem.bytes; rLo = mem.readLo; rHi = mem.readHi; wLo = mem.writeLo; wHi = mem.writeHi; nreg = mem.count;
        pkb = bytes[PKT]; pkLo = rLo[PKT]; pkHi = rHi[PKT]; pkWHi = 0;
        stHi = 0; cxHi = 0;
        if (m.pending !== 0) { left += runLen[pc] - 1 - tail; st = m.takePending(pc); break outer; }
        pc++; continue outer;
      }
      case Op.CallLocal:
        m.pc = pc;
        if (!m.pushFrame(pc, pc + 1 + code[i + 1])) { st = S_FAULT; break outer; }
        pc = m.pc; enter = 1; continue outer;
      case Op.Callx: { let t: number;
        m.pc = pc;
        t = callIndirect(m, p, pc, d);
        bytes = mem.bytes; rLo = mem.readLo; rHi = mem.readHi; wLo = mem.writeLo; wHi = mem.writeHi; nreg = mem.count;
        pkb = bytes[PKT]; pkLo = rLo[PKT]; pkHi = rHi[PKT]; pkWHi = 0;
        stHi = 0; cxHi = 0;
        if (t === -1) { st = S_FAULT; break outer; }
        if (t === -2) { st = m.takePending(pc); break outer; }
        pc = t; enter = 1; continue outer;
      }
      case Op.Exit: // from a bpf-to-bpf callee
        m.popFrame(); pc = m.pc; enter = 1; continue outer;
      case Op.Stop:
        st = start === maxSteps && start < m.budgetLeft ? S_STEP : m.budgetFault(pc);
        break outer;
      default:
        left += runLen[pc] - 1 - tail;
        st = badInsn(m, p, pc); break outer;
    }
  }
  if (stopAt >= 0) { code[stopAt << 2] = saved; pd.stopAt = -1; }
  const executed = start - left;
  m.budgetLeft -= executed;
  m.insnCount += executed;
  m.pc = pc;
  return st;
}
/* eslint-enable prefer-const */

/** Atomic read-modify-write at bytes[o..o+size) with the operation in imm; src register s. */
export function atomic(m: Machine, bb: Uint8Array, o: number, size: number, op: number, s: number): void {
  const lo = m.lo, hi = m.hi;
  const oldLo = bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24);
  const oldHi = size === 8 ? bb[o + 4] | (bb[o + 5] << 8) | (bb[o + 6] << 16) | (bb[o + 7] << 24) : 0;
  const sLo = lo[s], sHi = size === 8 ? hi[s] : 0;
  let nLo: number, nHi: number;
  switch (op & 0xf0) {
    case 0x00: nLo = (oldLo + sLo) | 0; nHi = (oldHi + sHi + ((nLo >>> 0) < (oldLo >>> 0) ? 1 : 0)) | 0; break;
    case 0x40: nLo = oldLo | sLo; nHi = oldHi | sHi; break;
    case 0x50: nLo = oldLo & sLo; nHi = oldHi & sHi; break;
    case 0xa0: nLo = oldLo ^ sLo; nHi = oldHi ^ sHi; break;
    case 0xe0: nLo = sLo; nHi = sHi; break;
    default: { // cmpxchg: compare with r0 (its low half for the 32-bit form); r0 gets the old value
      const eq = size === 8 ? lo[0] === oldLo && hi[0] === oldHi : lo[0] === oldLo;
      nLo = eq ? sLo : oldLo; nHi = eq ? sHi : oldHi;
      lo[0] = oldLo; hi[0] = oldHi;
      break;
    }
  }
  if ((op & 1) !== 0 && op !== 0xf1) { lo[s] = oldLo; hi[s] = oldHi; }
  bb[o] = nLo; bb[o + 1] = nLo >> 8; bb[o + 2] = nLo >> 16; bb[o + 3] = nLo >> 24;
  if (size === 8) { bb[o + 4] = nHi; bb[o + 5] = nHi >> 8; bb[o + 6] = nHi >> 16; bb[o + 7] = nHi >> 24; }
}

/** The interpreter as an engine. */
export const interpreter: VmEngine = { name: 'interpreter', exec };

// ---------------------------------------------------------------------------------------------
// Stepping, breakpoints and undo (the debugger's entry point; the fast loop above is unchanged)

/** What one executed instruction changed, so it can be undone exactly. */
export interface StepRecord {
  /** The instruction that ran. */
  insn: number;
  /** Registers (lo,hi for r0..r10), pc, depth and the frame stack before the step. */
  lo: Int32Array;
  hi: Int32Array;
  pc: number;
  depth: number;
  frameRet: Int32Array;
  frameSaved: Int32Array;
  budgetLeft: number;
  insnCount: number;
  /** Memory bytes before the step: [region id, offset, old bytes]. */
  memory: { region: number; offset: number; bytes: Uint8Array }[];
  /** Packet boundaries before the step (helpers may move them). */
  packet: { data: number; dataEnd: number; dataMeta: number };
}

export type StepStatus = 'stepped' | 'exited' | 'fault' | 'breakpoint';

/**
 * Runs a loaded program under a debugger's control: single steps, continue to a breakpoint, and
 * step back through the undo history. Uses the same `exec` as fast runs.
 */
export class Stepper {
  readonly history: StepRecord[] = [];
  private readonly breakpoints = new Set<number>();
  private patched: LoadedProgram | undefined;
  done = false;

  constructor(readonly machine: Machine, readonly program: LoadedProgram, readonly maxHistory = 100_000) {
    machine.reset(program);
  }

  get pc(): number { return this.machine.pc; }
  get fault(): VmFault | undefined { return this.machine.fault; }

  setBreakpoints(insns: Iterable<number>): void {
    this.breakpoints.clear();
    for (const i of insns) this.breakpoints.add(i);
    this.patched = undefined;
  }

  private withBreaks(p: LoadedProgram): LoadedProgram {
    if (this.breakpoints.size === 0) return p;
    if (this.patched && this.patched.program === p.program) return this.patched;
    const c = p.code.code.slice(), packed = p.packed.slice();
    for (const i of this.breakpoints) {
      if (i >= 0 && i < c.length) { c[i] = BREAK_OPCODE; packed[i] = (packed[i] & ~0xff) | BREAK_OPCODE; }
    }
    this.patched = { ...p, code: { ...p.code, code: c }, packed };
    return this.patched;
  }

  /** Executes exactly one instruction, recording its undo information. */
  step(): StepStatus {
    if (this.done) return this.machine.fault ? 'fault' : 'exited';
    const m = this.machine;
    const rec = this.snapshot();
    const st = m.resume(interpreter, 1);
    this.history.push(rec);
    if (this.history.length > this.maxHistory) this.history.shift();
    return this.status(st);
  }

  /** Runs until a breakpoint (not stopping at the current pc), exit or fault. No undo history. */
  continue(): StepStatus {
    if (this.done) return this.machine.fault ? 'fault' : 'exited';
    const m = this.machine;
    // The instruction at pc runs unpatched (a breakpoint may sit on it); nothing is recorded: a
    // continued run keeps no undo history (the debugger probes packets this way, once per hit).
    this.history.length = 0;
    const first = this.status(m.resume(interpreter, 1));
    if (first !== 'stepped') return first;
    for (;;) {
      const cur = m.current!;
      const st = interpreter.exec(m, this.withBreaks(cur), Infinity);
      if (st === ST_TAILCALL) { m.current = m.pendingTarget!; m.pendingTarget = undefined; m.pending = 0; m.pc = 0; continue; }
      if (st === ST_BREAK) { this.history.length = 0; return 'breakpoint'; }
      this.history.length = 0;
      return this.status(st);
    }
  }

  /** Undoes the last step. Returns false when there is nothing to undo. */
  stepBack(): boolean {
    const rec = this.history.pop();
    if (!rec) return false;
    const m = this.machine;
    for (let i = rec.memory.length - 1; i >= 0; i--) {
      const w = rec.memory[i];
      m.memory.bytes[w.region].set(w.bytes, w.offset);
    }
    m.packet.set(rec.packet.data, rec.packet.dataEnd, rec.packet.dataMeta);
    m.lo.set(rec.lo); m.hi.set(rec.hi);
    m.frameRet.set(rec.frameRet); m.frameSaved.set(rec.frameSaved);
    m.pc = rec.pc; m.depth = rec.depth; m.budgetLeft = rec.budgetLeft; m.insnCount = rec.insnCount;
    m.fault = undefined;
    this.done = false;
    return true;
  }

  private status(st: number): StepStatus {
    if (st === ST_EXIT) { this.done = true; return 'exited'; }
    if (st === ST_FAULT) { this.done = true; return 'fault'; }
    return 'stepped';
  }

  /** Captures what the next instruction may change: registers, frames, and the bytes it may write. */
  private snapshot(): StepRecord {
    const m = this.machine, p = m.current!, pc = m.pc;
    const memory: StepRecord['memory'] = [];
    const code = p.code.code[pc];
    const cls = code & 7;
    const save = (region: number, offset: number, len: number): void => {
      memory.push({ region, offset, bytes: m.memory.bytes[region].slice(offset, offset + len) });
    };
    if (cls === 2 || cls === 3) {
      const d = p.code.dst[pc], size = [4, 2, 1, 8][(code >> 3) & 3];
      const id = m.memory.resolve(m.hi[d], m.lo[d], p.code.off[pc], size, true);
      if (id >= 0) save(id, m.memory.offset, size);
    } else if (code === 0x85 || code === 0x8d) {
      // A helper may write anywhere it is given a pointer to: keep the writable regions that are
      // small enough to copy (stack, packet, map values up to 64 KiB).
      for (let id = 1; id < m.memory.count; id++) {
        const len = m.memory.writeHi[id] - m.memory.writeLo[id];
        if (len > 0 && len <= 65536) save(id, m.memory.writeLo[id], len);
      }
      save(REGION_PACKET, 0, m.packet.buffer.length);
    }
    return {
      insn: pc, lo: m.lo.slice(), hi: m.hi.slice(), pc, depth: m.depth,
      frameRet: m.frameRet.slice(), frameSaved: m.frameSaved.slice(), budgetLeft: m.budgetLeft,
      insnCount: m.insnCount, memory,
      packet: { data: m.packet.data, dataEnd: m.packet.dataEnd, dataMeta: m.packet.dataMeta },
    };
  }
}

/** r10 of frame `depth` (for debugger views). */
export function framePointer(depth: number): number {
  return STACK_SIZE - MAX_BPF_STACK * depth;
}
