/**
 * The reference interpreter: one `switch` over the raw opcode, registers as int32 halves in the
 * machine's typed arrays, every memory access checked against the region table (memory.ts).
 *
 * Debugging costs nothing on the fast path: single-stepping is the instruction budget set to 1
 * (the budget is counted anyway), and breakpoints are the debugger's trick of patching the opcode
 * with BREAK_OPCODE in a copy of the code (see `Stepper`).
 */
import { MAX_BPF_STACK } from './isa';
import { REGION_CODE, REGION_CTX, REGION_PACKET, STACK_SIZE } from './memory';
import {
  HelperFn, LoadedProgram, Machine, ST_BREAK, ST_EXIT, ST_FAULT, ST_STEP, ST_TAILCALL, VmEngine, VmFault,
} from './vm';

// Module-local copies: imported bindings are property reads through the module object once
// transpiled to CommonJS (tsx, esbuild), too slow for the hot loop.
const CTX: number = REGION_CTX;
const PKT: number = REGION_PACKET;

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
// The interpreter loop

/* eslint-disable prefer-const -- per-case scratch variables are declared once per case block */
function exec(m: Machine, p: LoadedProgram, maxSteps: number): number {
  const ops = p.packed, offs = p.code.off, imms = p.code.imm;
  const lo = m.lo, hi = m.hi, mem = m.memory;
  let bytes = mem.bytes, rLo = mem.readLo, rHi = mem.readHi, wLo = mem.writeLo, wHi = mem.writeHi, nreg = mem.count;
  let pc = m.pc;
  const start = m.budgetLeft < maxSteps ? m.budgetLeft : maxSteps;
  let left = start;
  // Small-integer locals initialised once so V8 keeps them untagged.
  // eslint-disable-next-line no-useless-assignment
  let st = ST_EXIT;
  // Scratch values are block-local to each case: shared loop-carried locals mixing int32 and
  // uint32 values would make V8 box them as heap numbers on every instruction.

  loop: for (;;) {
    if (left === 0) {
      st = start === maxSteps && start < m.budgetLeft ? ST_STEP : m.budgetFault(pc);
      break;
    }
    left--;
    // One load per instruction: code | dst << 8 | src << 12 (past the end: 0, an invalid opcode).
    const w = ops[pc] | 0, op = w & 0xff, d = (w >> 8) & 15, s = w >> 12;
    switch (op) {
      // ---- ALU64 ---------------------------------------------------------------------------
      case 0x07: { let t: number, a: number, b: number; a = lo[d]; b = imms[pc]; t = (a + b) | 0; hi[d] = (hi[d] + (b >> 31) + ((t >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = t; pc++; continue; }
      case 0x0f: { let t: number, a: number, b: number; a = lo[d]; b = lo[s]; t = (a + b) | 0; hi[d] = (hi[d] + hi[s] + ((t >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = t; pc++; continue; }
      case 0x17: { let a: number, b: number; a = lo[d]; b = imms[pc]; hi[d] = (hi[d] - (b >> 31) - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; lo[d] = (a - b) | 0; pc++; continue; }
      case 0x1f: { let a: number, b: number; a = lo[d]; b = lo[s]; hi[d] = (hi[d] - hi[s] - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; lo[d] = (a - b) | 0; pc++; continue; }
      case 0x27: { let a: number, b: number; a = lo[d]; b = imms[pc]; hi[d] = (Math.imul(hi[d], b) + Math.imul(a, b >> 31) + umulhi(a, b)) | 0; lo[d] = Math.imul(a, b); pc++; continue; }
      case 0x2f: { let a: number, b: number; a = lo[d]; b = lo[s]; hi[d] = (Math.imul(hi[d], b) + Math.imul(a, hi[s]) + umulhi(a, b)) | 0; lo[d] = Math.imul(a, b); pc++; continue; }
      case 0x37: case 0x3f: case 0x97: case 0x9f: { let u: number, b: number;
        const isX = (op & 8) !== 0;
        b = isX ? lo[s] : imms[pc]; u = isX ? hi[s] : b >> 31;
        const isMod = op >= 0x90;
        if (b === 0 && u === 0) { if (!isMod) { lo[d] = 0; hi[d] = 0; } pc++; continue; }
        if (offs[pc] === 1) sdivmod64(hi[d], lo[d], u, b); else udivmod64(hi[d], lo[d], u, b);
        if (isMod) { lo[d] = DIVRES[2]; hi[d] = DIVRES[3]; } else { lo[d] = DIVRES[0]; hi[d] = DIVRES[1]; }
        pc++; continue;
      }
      case 0x47: { let b: number; b = imms[pc]; lo[d] |= b; hi[d] |= b >> 31; pc++; continue; }
      case 0x4f: lo[d] |= lo[s]; hi[d] |= hi[s]; pc++; continue;
      case 0x57: { let b: number; b = imms[pc]; lo[d] &= b; hi[d] &= b >> 31; pc++; continue; }
      case 0x5f: lo[d] &= lo[s]; hi[d] &= hi[s]; pc++; continue;
      case 0xa7: { let b: number; b = imms[pc]; lo[d] ^= b; hi[d] ^= b >> 31; pc++; continue; }
      case 0xaf: lo[d] ^= lo[s]; hi[d] ^= hi[s]; pc++; continue;
      case 0x67: case 0x6f: { let t: number;
        t = (op === 0x6f ? lo[s] : imms[pc]) & 63;
        if (t >= 32) { hi[d] = lo[d] << (t - 32); lo[d] = 0; } else if (t !== 0) { hi[d] = (hi[d] << t) | (lo[d] >>> (32 - t)); lo[d] = lo[d] << t; }
        pc++; continue;
      }
      case 0x77: case 0x7f: { let t: number;
        t = (op === 0x7f ? lo[s] : imms[pc]) & 63;
        if (t >= 32) { lo[d] = hi[d] >>> (t - 32); hi[d] = 0; } else if (t !== 0) { lo[d] = (lo[d] >>> t) | (hi[d] << (32 - t)); hi[d] = hi[d] >>> t; }
        pc++; continue;
      }
      case 0xc7: case 0xcf: { let t: number;
        t = (op === 0xcf ? lo[s] : imms[pc]) & 63;
        if (t >= 32) { lo[d] = hi[d] >> (t - 32); hi[d] = hi[d] >> 31; } else if (t !== 0) { lo[d] = (lo[d] >>> t) | (hi[d] << (32 - t)); hi[d] = hi[d] >> t; }
        pc++; continue;
      }
      case 0x87: { let t: number; t = (-lo[d]) | 0; hi[d] = (~hi[d] + (t === 0 ? 1 : 0)) | 0; lo[d] = t; pc++; continue; }
      case 0xb7: { let b: number; b = imms[pc]; lo[d] = b; hi[d] = b >> 31; pc++; continue; }
      case 0xbf: { let t: number;
        const off = offs[pc];
        if (off === 0) { lo[d] = lo[s]; hi[d] = hi[s]; } else {
          t = off === 8 ? (lo[s] << 24) >> 24 : off === 16 ? (lo[s] << 16) >> 16 : lo[s];
          lo[d] = t; hi[d] = t >> 31;
        }
        pc++; continue;
      }
      case 0xd7: { let t: number, a: number;
        t = imms[pc];
        if (t === 16) { a = lo[d]; lo[d] = ((a & 0xff) << 8) | ((a >>> 8) & 0xff); hi[d] = 0; } else if (t === 32) { lo[d] = bswap32(lo[d]); hi[d] = 0; } else { a = lo[d]; lo[d] = bswap32(hi[d]); hi[d] = bswap32(a); }
        pc++; continue;
      }
      // ---- ALU32 ---------------------------------------------------------------------------
      case 0x04: lo[d] = (lo[d] + imms[pc]) | 0; hi[d] = 0; pc++; continue;
      case 0x0c: lo[d] = (lo[d] + lo[s]) | 0; hi[d] = 0; pc++; continue;
      case 0x14: lo[d] = (lo[d] - imms[pc]) | 0; hi[d] = 0; pc++; continue;
      case 0x1c: lo[d] = (lo[d] - lo[s]) | 0; hi[d] = 0; pc++; continue;
      case 0x24: lo[d] = Math.imul(lo[d], imms[pc]); hi[d] = 0; pc++; continue;
      case 0x2c: lo[d] = Math.imul(lo[d], lo[s]); hi[d] = 0; pc++; continue;
      case 0x34: case 0x3c: case 0x94: case 0x9c: { let a: number, b: number;
        b = (op & 8) !== 0 ? lo[s] : imms[pc];
        a = lo[d];
        const isMod = op >= 0x90;
        if (b === 0) { if (!isMod) lo[d] = 0; }
        else if (offs[pc] === 1) lo[d] = isMod ? (a % b) | 0 : (a / b) | 0;
        else lo[d] = isMod ? (a >>> 0) % (b >>> 0) : ((a >>> 0) / (b >>> 0)) >>> 0;
        hi[d] = 0; pc++; continue;
      }
      case 0x44: lo[d] |= imms[pc]; hi[d] = 0; pc++; continue;
      case 0x4c: lo[d] |= lo[s]; hi[d] = 0; pc++; continue;
      case 0x54: lo[d] &= imms[pc]; hi[d] = 0; pc++; continue;
      case 0x5c: lo[d] &= lo[s]; hi[d] = 0; pc++; continue;
      case 0xa4: lo[d] ^= imms[pc]; hi[d] = 0; pc++; continue;
      case 0xac: lo[d] ^= lo[s]; hi[d] = 0; pc++; continue;
      case 0x64: lo[d] <<= imms[pc] & 31; hi[d] = 0; pc++; continue;
      case 0x6c: lo[d] <<= lo[s] & 31; hi[d] = 0; pc++; continue;
      case 0x74: lo[d] = lo[d] >>> (imms[pc] & 31); hi[d] = 0; pc++; continue;
      case 0x7c: lo[d] = lo[d] >>> (lo[s] & 31); hi[d] = 0; pc++; continue;
      case 0xc4: lo[d] >>= imms[pc] & 31; hi[d] = 0; pc++; continue;
      case 0xcc: lo[d] >>= lo[s] & 31; hi[d] = 0; pc++; continue;
      case 0x84: lo[d] = (-lo[d]) | 0; hi[d] = 0; pc++; continue;
      case 0xb4: lo[d] = imms[pc]; hi[d] = 0; pc++; continue;
      case 0xbc: {
        const off = offs[pc];
        lo[d] = off === 8 ? (lo[s] << 24) >> 24 : off === 16 ? (lo[s] << 16) >> 16 : lo[s];
        hi[d] = 0; pc++; continue;
      }
      case 0xd4: { let t: number; t = imms[pc]; if (t === 16) lo[d] &= 0xffff; if (t !== 64) hi[d] = 0; pc++; continue; }
      case 0xdc: { let t: number, a: number;
        t = imms[pc];
        if (t === 16) { a = lo[d]; lo[d] = ((a & 0xff) << 8) | ((a >>> 8) & 0xff); hi[d] = 0; } else if (t === 32) { lo[d] = bswap32(lo[d]); hi[d] = 0; } else { a = lo[d]; lo[d] = bswap32(hi[d]); hi[d] = bswap32(a); }
        pc++; continue;
      }
      // ---- lddw and legacy packet loads ----------------------------------------------------
      case 0x18: lo[d] = p.constLo[pc]; hi[d] = p.constHi[pc]; pc += 2; continue;
      case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: { let t: number;
        t = op;
        const size = (t & 0x18) === 0x10 ? 1 : (t & 0x18) === 0x08 ? 2 : 4;
        const offset = t >= 0x40 ? lo[s] + imms[pc] : imms[pc];
        if (!loadPacketLegacy(m, pc, size, offset)) { m.depth = 0; st = ST_EXIT; break loop; }
        pc++; continue;
      }
      // ---- loads (one case per size: this is the hot path of packet parsing) ------------------
      case 0x71: { let id: number, o: number;
        id = hi[s] >>> 0; o = (lo[s] >>> 0) + offs[pc];
        if (!(id < nreg && o >= rLo[id] && o + 1 <= rHi[id])) {
          id = mem.resolve(hi[s], lo[s], offs[pc], 1, false);
          if (id < 0) { st = m.memFault(pc, hi[s], lo[s], offs[pc], 1, false); break loop; }
          o = mem.offset;
        }
        lo[d] = bytes[id][o]; hi[d] = 0; pc++; continue; }
      case 0x69: { let id: number, o: number;
        id = hi[s] >>> 0; o = (lo[s] >>> 0) + offs[pc];
        if (!(id < nreg && o >= rLo[id] && o + 2 <= rHi[id])) {
          id = mem.resolve(hi[s], lo[s], offs[pc], 2, false);
          if (id < 0) { st = m.memFault(pc, hi[s], lo[s], offs[pc], 2, false); break loop; }
          o = mem.offset;
        }
        const bb = bytes[id];
        lo[d] = bb[o] | (bb[o + 1] << 8); hi[d] = 0; pc++; continue;
      }
      case 0x61: { let id: number, o: number;
        id = hi[s] >>> 0; o = (lo[s] >>> 0) + offs[pc];
        if (!(id < nreg && o >= rLo[id] && o + 4 <= rHi[id])) {
          id = mem.resolve(hi[s], lo[s], offs[pc], 4, false);
          if (id < 0) { st = m.memFault(pc, hi[s], lo[s], offs[pc], 4, false); break loop; }
          o = mem.offset;
        }
        const bb = bytes[id];
        lo[d] = bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24);
        // ctx->data, data_end, data_meta: the verifier's ctx rewrite makes them full packet pointers
        hi[d] = id === CTX && o < 12 ? PKT : 0;
        pc++; continue;
      }
      case 0x79: case 0x81: case 0x89: case 0x91: { let t: number, id: number, o: number;
        t = op;
        const size = (t & 0x18) === 0x00 ? 4 : (t & 0x18) === 0x08 ? 2 : (t & 0x18) === 0x10 ? 1 : 8;
        id = hi[s] >>> 0; o = (lo[s] >>> 0) + offs[pc];
        if (!(id < nreg && o >= rLo[id] && o + size <= rHi[id])) {
          id = mem.resolve(hi[s], lo[s], offs[pc], size, false);
          if (id < 0) { st = m.memFault(pc, hi[s], lo[s], offs[pc], size, false); break loop; }
          o = mem.offset;
        }
        const bb = bytes[id];
        switch (t) {
          case 0x79: lo[d] = bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24); hi[d] = bb[o + 4] | (bb[o + 5] << 8) | (bb[o + 6] << 16) | (bb[o + 7] << 24); break;
          case 0x81: lo[d] = bb[o] | (bb[o + 1] << 8) | (bb[o + 2] << 16) | (bb[o + 3] << 24); hi[d] = lo[d] >> 31; break;
          case 0x89: lo[d] = ((bb[o] | (bb[o + 1] << 8)) << 16) >> 16; hi[d] = lo[d] >> 31; break;
          default: lo[d] = (bb[o] << 24) >> 24; hi[d] = lo[d] >> 31; break;
        }
        pc++; continue;
      }
      // ---- stores --------------------------------------------------------------------------
      case 0x62: case 0x6a: case 0x72: case 0x7a: case 0x63: case 0x6b: case 0x73: case 0x7b: { let t: number, u: number, id: number, o: number, a: number;
        t = op;
        const size = (t & 0x18) === 0x00 ? 4 : (t & 0x18) === 0x08 ? 2 : (t & 0x18) === 0x10 ? 1 : 8;
        id = hi[d] >>> 0; o = (lo[d] >>> 0) + offs[pc];
        if (!(id < nreg && o >= wLo[id] && o + size <= wHi[id])) {
          id = mem.resolve(hi[d], lo[d], offs[pc], size, true);
          if (id < 0) { st = m.memFault(pc, hi[d], lo[d], offs[pc], size, true); break loop; }
          o = mem.offset;
        }
        if (t & 1) { a = lo[s]; u = hi[s]; } else { a = imms[pc]; u = a >> 31; }
        const bb = bytes[id];
        bb[o] = a;
        if (size >= 2) { bb[o + 1] = a >> 8; if (size >= 4) { bb[o + 2] = a >> 16; bb[o + 3] = a >> 24; if (size === 8) { bb[o + 4] = u; bb[o + 5] = u >> 8; bb[o + 6] = u >> 16; bb[o + 7] = u >> 24; } } }
        pc++; continue;
      }
      // ---- atomics -------------------------------------------------------------------------
      case 0xc3: case 0xdb: { let id: number, o: number;
        const size = op === 0xdb ? 8 : 4;
        id = hi[d] >>> 0; o = (lo[d] >>> 0) + offs[pc];
        if (!(id < nreg && o >= wLo[id] && o + size <= wHi[id] && o >= rLo[id] && o + size <= rHi[id])) {
          id = mem.resolve(hi[d], lo[d], offs[pc], size, true);
          if (id < 0 || mem.resolve(hi[d], lo[d], offs[pc], size, false) < 0) { st = m.memFault(pc, hi[d], lo[d], offs[pc], size, true); break loop; }
          o = mem.offset;
        }
        atomic(m, bytes[id], o, size, imms[pc], s);
        pc++; continue;
      }
      // ---- jumps ---------------------------------------------------------------------------
      case 0x05: pc += 1 + offs[pc]; continue;
      case 0x06: pc += 1 + imms[pc]; continue;
      case 0x15: { let b: number; b = imms[pc]; pc += lo[d] === b && hi[d] === b >> 31 ? 1 + offs[pc] : 1; continue; }
      case 0x1d: pc += lo[d] === lo[s] && hi[d] === hi[s] ? 1 + offs[pc] : 1; continue;
      case 0x55: { let b: number; b = imms[pc]; pc += lo[d] !== b || hi[d] !== b >> 31 ? 1 + offs[pc] : 1; continue; }
      case 0x5d: pc += lo[d] !== lo[s] || hi[d] !== hi[s] ? 1 + offs[pc] : 1; continue;
      case 0x45: { let b: number; b = imms[pc]; pc += (lo[d] & b) !== 0 || (hi[d] & (b >> 31)) !== 0 ? 1 + offs[pc] : 1; continue; }
      case 0x4d: pc += (lo[d] & lo[s]) !== 0 || (hi[d] & hi[s]) !== 0 ? 1 + offs[pc] : 1; continue;
      case 0x2d: { let a: number, b: number; a = hi[d] >>> 0; b = hi[s] >>> 0; pc += a > b || (a === b && (lo[d] >>> 0) > (lo[s] >>> 0)) ? 1 + offs[pc] : 1; continue; }
      case 0x25: { let u: number, a: number, b: number; b = imms[pc]; a = hi[d] >>> 0; u = (b >> 31) >>> 0; pc += a > u || (a === u && (lo[d] >>> 0) > (b >>> 0)) ? 1 + offs[pc] : 1; continue; }
      case 0x35: case 0x3d: case 0xa5: case 0xad: case 0xb5: case 0xbd: { let t: number, u: number, b: number;
        // unsigned 64-bit compares: jgt jge jlt jle
        t = op;
        if (t & 8) { b = lo[s]; u = hi[s]; } else { b = imms[pc]; u = b >> 31; }
        const ah = hi[d] >>> 0, bh = u >>> 0, al = lo[d] >>> 0, bl = b >>> 0;
        const cmp = ah > bh ? 1 : ah < bh ? -1 : al > bl ? 1 : al < bl ? -1 : 0;
        const jop = t & 0xf0;
        const take = jop === 0x20 ? cmp > 0 : jop === 0x30 ? cmp >= 0 : jop === 0xa0 ? cmp < 0 : cmp <= 0;
        pc += take ? 1 + offs[pc] : 1; continue;
      }
      case 0x65: case 0x6d: case 0x75: case 0x7d: case 0xc5: case 0xcd: case 0xd5: case 0xdd: { let t: number, u: number, b: number;
        // signed 64-bit compares: jsgt jsge jslt jsle
        t = op;
        if (t & 8) { b = lo[s]; u = hi[s]; } else { b = imms[pc]; u = b >> 31; }
        const ah = hi[d], al = lo[d] >>> 0, bl = b >>> 0;
        const cmp = ah > u ? 1 : ah < u ? -1 : al > bl ? 1 : al < bl ? -1 : 0;
        const jop = t & 0xf0;
        const take = jop === 0x60 ? cmp > 0 : jop === 0x70 ? cmp >= 0 : jop === 0xc0 ? cmp < 0 : cmp <= 0;
        pc += take ? 1 + offs[pc] : 1; continue;
      }
      // JMP32: compare the low halves only.
      case 0x16: pc += lo[d] === imms[pc] ? 1 + offs[pc] : 1; continue;
      case 0x1e: pc += lo[d] === lo[s] ? 1 + offs[pc] : 1; continue;
      case 0x56: pc += lo[d] !== imms[pc] ? 1 + offs[pc] : 1; continue;
      case 0x5e: pc += lo[d] !== lo[s] ? 1 + offs[pc] : 1; continue;
      case 0x46: pc += (lo[d] & imms[pc]) !== 0 ? 1 + offs[pc] : 1; continue;
      case 0x4e: pc += (lo[d] & lo[s]) !== 0 ? 1 + offs[pc] : 1; continue;
      case 0x26: pc += (lo[d] >>> 0) > (imms[pc] >>> 0) ? 1 + offs[pc] : 1; continue;
      case 0x2e: pc += (lo[d] >>> 0) > (lo[s] >>> 0) ? 1 + offs[pc] : 1; continue;
      case 0x36: pc += (lo[d] >>> 0) >= (imms[pc] >>> 0) ? 1 + offs[pc] : 1; continue;
      case 0x3e: pc += (lo[d] >>> 0) >= (lo[s] >>> 0) ? 1 + offs[pc] : 1; continue;
      case 0xa6: pc += (lo[d] >>> 0) < (imms[pc] >>> 0) ? 1 + offs[pc] : 1; continue;
      case 0xae: pc += (lo[d] >>> 0) < (lo[s] >>> 0) ? 1 + offs[pc] : 1; continue;
      case 0xb6: pc += (lo[d] >>> 0) <= (imms[pc] >>> 0) ? 1 + offs[pc] : 1; continue;
      case 0xbe: pc += (lo[d] >>> 0) <= (lo[s] >>> 0) ? 1 + offs[pc] : 1; continue;
      case 0x66: pc += lo[d] > imms[pc] ? 1 + offs[pc] : 1; continue;
      case 0x6e: pc += lo[d] > lo[s] ? 1 + offs[pc] : 1; continue;
      case 0x76: pc += lo[d] >= imms[pc] ? 1 + offs[pc] : 1; continue;
      case 0x7e: pc += lo[d] >= lo[s] ? 1 + offs[pc] : 1; continue;
      case 0xc6: pc += lo[d] < imms[pc] ? 1 + offs[pc] : 1; continue;
      case 0xce: pc += lo[d] < lo[s] ? 1 + offs[pc] : 1; continue;
      case 0xd6: pc += lo[d] <= imms[pc] ? 1 + offs[pc] : 1; continue;
      case 0xde: pc += lo[d] <= lo[s] ? 1 + offs[pc] : 1; continue;
      // ---- calls and exit ------------------------------------------------------------------
      case 0x85: {
        if (s === 1) {
          m.pc = pc;
          if (!m.pushFrame(pc, pc + 1 + imms[pc])) { st = ST_FAULT; break loop; }
          pc = m.pc; continue;
        }
        const fn = p.helperAt[pc];
        if (fn === undefined) { st = m.setFault('invalid', pc, `call to helper ${imms[pc]} that is not in the helper table at insn ${pc}`); break loop; }
        m.pc = pc;
        if (!callHelper(m, fn, pc)) { st = ST_FAULT; break loop; }
        bytes = mem.bytes; rLo = mem.readLo; rHi = mem.readHi; wLo = mem.writeLo; wHi = mem.writeHi; nreg = mem.count;
        if (m.pending !== 0) { st = m.takePending(pc); break loop; }
        pc++; continue;
      }
      case 0x8d: { let t: number;
        m.pc = pc;
        t = callIndirect(m, p, pc, d);
        bytes = mem.bytes; rLo = mem.readLo; rHi = mem.readHi; wLo = mem.writeLo; wHi = mem.writeHi; nreg = mem.count;
        if (t === -1) { st = ST_FAULT; break loop; }
        if (t === -2) { st = m.takePending(pc); break loop; }
        pc = t; continue;
      }
      case 0x95:
        if (m.depth === 0) { st = ST_EXIT; break loop; }
        m.popFrame(); pc = m.pc; continue;
      case 0xff: // BREAK_OPCODE, patched in by the Stepper
        left++;
        st = ST_BREAK; break loop;
      default:
        st = badInsn(m, p, pc); break loop;
    }
  }
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
    const first = this.step();
    if (first !== 'stepped') return first;
    const m = this.machine;
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
