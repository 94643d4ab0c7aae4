/**
 * The eBPF instruction set (RFC 9669; kernel `include/uapi/linux/bpf.h`, `bpf_common.h`).
 *
 * A program is a `Uint8Array` of 8-byte little-endian `struct bpf_insn` slots:
 *   byte 0 `code`, byte 1 `dst_reg:4 | src_reg:4` (dst in the low nibble), bytes 2-3 `off` (s16),
 *   bytes 4-7 `imm` (s32). `ld_imm64` (`lddw`, code 0x18) takes two slots; the second carries the
 *   upper 32 bits in its imm and must otherwise be zero.
 */

// Instruction classes: code & 0x07.
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// Load/store size: code & 0x18.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// Load/store mode: code & 0xe0.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

// ALU operations: code & 0xf0.
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Jump operations: code & 0xf0.
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;

// Operand source: code & 0x08. For ALU-class END it selects the byte order instead.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

// Atomic operations (imm of a BPF_STX | BPF_ATOMIC instruction).
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;

// ld_imm64 src_reg subtypes.
/** imm = map number (index into the program's map list); the register gets a map handle. */
export const BPF_PSEUDO_MAP_FD = 1;
/** imm = map number, next imm = byte offset; the register points into the map's value (global data). */
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
/** imm = instruction offset relative to the next instruction; the register holds a callback address. */
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// call src_reg subtypes.
/** imm = helper id. */
export const BPF_HELPER_CALL = 0;
/** imm = callee offset relative to the next instruction (bpf-to-bpf call). */
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** Some full opcodes that code compares against. */
export const OP_LDDW = BPF_LD | BPF_IMM | BPF_DW; // 0x18
export const OP_CALL = BPF_JMP | BPF_CALL; // 0x85
export const OP_CALLX = BPF_JMP | BPF_CALL | BPF_X; // 0x8d
export const OP_EXIT = BPF_JMP | BPF_EXIT; // 0x95
export const OP_JA = BPF_JMP | BPF_JA; // 0x05
export const OP_GOTOL = BPF_JMP32 | BPF_JA; // 0x06

export const MAX_BPF_REG = 11; // r0..r10
export const BPF_REG_FP = 10;
export const MAX_BPF_STACK = 512;
export const MAX_CALL_FRAMES = 8;
export const MAX_TAIL_CALL_CNT = 33;
/** The kernel's BPF_COMPLEXITY_LIMIT_INSNS, used as the per-run instruction budget by default. */
export const DEFAULT_INSN_BUDGET = 1_000_000;
/** The kernel's BPF_MAXINSNS for privileged loads is 1M as well. */
export const MAX_PROGRAM_INSNS = 1_000_000;

/** One decoded instruction slot. */
export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** A program decoded into parallel typed arrays, one entry per 8-byte slot. */
export interface DecodedProgram {
  readonly length: number;
  readonly code: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
}

export class BpfDecodeError extends Error {
  constructor(message: string, readonly insn: number) {
    super(message);
  }
}

export function insnClass(code: number): number {
  return code & 0x07;
}

/** Decodes slot `index` of `bytes`. */
export function decodeInsn(bytes: Uint8Array, index: number): BpfInsn {
  const o = index * 8;
  if (o < 0 || o + 8 > bytes.length) throw new BpfDecodeError(`instruction ${index} is past the end of the program`, index);
  return {
    code: bytes[o],
    dst: bytes[o + 1] & 0x0f,
    src: bytes[o + 1] >>> 4,
    off: ((bytes[o + 2] | (bytes[o + 3] << 8)) << 16) >> 16,
    imm: bytes[o + 4] | (bytes[o + 5] << 8) | (bytes[o + 6] << 16) | (bytes[o + 7] << 24),
  };
}

/** Encodes one instruction into `out` at slot `index`. */
export function encodeInsn(out: Uint8Array, index: number, insn: BpfInsn): void {
  const o = index * 8;
  out[o] = insn.code;
  out[o + 1] = (insn.dst & 0x0f) | ((insn.src & 0x0f) << 4);
  out[o + 2] = insn.off & 0xff;
  out[o + 3] = (insn.off >> 8) & 0xff;
  out[o + 4] = insn.imm & 0xff;
  out[o + 5] = (insn.imm >> 8) & 0xff;
  out[o + 6] = (insn.imm >> 16) & 0xff;
  out[o + 7] = (insn.imm >>> 24) & 0xff;
}

export function encodeProgram(insns: readonly BpfInsn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((insn, i) => encodeInsn(out, i, insn));
  return out;
}

/** Splits raw instruction bytes into typed arrays. The length must be a multiple of 8. */
export function decodeProgram(bytes: Uint8Array): DecodedProgram {
  if (bytes.length % 8 !== 0) {
    throw new BpfDecodeError(`program size ${bytes.length} is not a multiple of 8 (struct bpf_insn)`, Math.floor(bytes.length / 8));
  }
  const n = bytes.length / 8;
  const code = new Uint8Array(n), dst = new Uint8Array(n), src = new Uint8Array(n);
  const off = new Int16Array(n), imm = new Int32Array(n);
  for (let i = 0, o = 0; i < n; i++, o += 8) {
    code[i] = bytes[o];
    dst[i] = bytes[o + 1] & 0x0f;
    src[i] = bytes[o + 1] >>> 4;
    off[i] = bytes[o + 2] | (bytes[o + 3] << 8);
    imm[i] = bytes[o + 4] | (bytes[o + 5] << 8) | (bytes[o + 6] << 16) | (bytes[o + 7] << 24);
  }
  return { length: n, code, dst, src, off, imm };
}

/** Byte size of a load/store of `code`. */
export function accessSize(code: number): 1 | 2 | 4 | 8 {
  switch (code & 0x18) {
    case BPF_B: return 1;
    case BPF_H: return 2;
    case BPF_W: return 4;
    default: return 8;
  }
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * Structural checks the kernel makes before its verifier walks the paths (`bpf_check` ->
 * `resolve_pseudo_ldimm64`, `check_subprogs`, `do_check`'s reserved-field checks): known opcodes,
 * zero reserved fields, registers r0-r10 (r10 read-only), complete `lddw` pairs, jump and call
 * targets inside the program and never into the second slot of an `lddw`. After this, every
 * instruction the interpreter and the JIT can reach is one they implement. Throws
 * `BpfDecodeError` naming the instruction. Messages follow the kernel's wording where it has one.
 */
export function checkProgram(p: DecodedProgram): void {
  const n = p.length;
  if (n === 0) throw new BpfDecodeError('empty program', 0);
  if (n > MAX_PROGRAM_INSNS) throw new BpfDecodeError(`program too large: ${n} insns (max ${MAX_PROGRAM_INSNS})`, 0);
  const secondSlot = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (p.code[i] === OP_LDDW) {
      if (i + 1 >= n) throw new BpfDecodeError(`invalid bpf_ld_imm64 insn at insn ${i}: incomplete lddw`, i);
      secondSlot[i + 1] = 1;
      i++;
    }
  }
  const fail = (i: number, why: string): never => { throw new BpfDecodeError(`${why} at insn ${i}`, i); };
  const jumpTarget = (i: number, t: number): void => {
    if (t < 0 || t >= n) throw new BpfDecodeError(`jump out of range from insn ${i} to ${t}`, i);
    if (secondSlot[t]) throw new BpfDecodeError(`jump into the middle of ldimm64 insn ${t - 1} from insn ${i}`, i);
  };
  for (let i = 0; i < n; i++) {
    const code = p.code[i], dst = p.dst[i], src = p.src[i], off = p.off[i], imm = p.imm[i];
    const cls = code & 7;
    if (dst > 10) fail(i, `invalid dst register r${dst}`);
    if (src > 10) fail(i, `invalid src register r${src}`);
    switch (cls) {
      case BPF_ALU:
      case BPF_ALU64: {
        const op = code & 0xf0, x = (code & BPF_X) !== 0;
        if (dst === BPF_REG_FP) fail(i, 'frame pointer is read only');
        if (op === BPF_NEG) {
          if (x || src !== 0 || off !== 0 || imm !== 0) fail(i, 'BPF_NEG uses reserved fields');
        } else if (op === BPF_END) {
          if (src !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64)) fail(i, 'BPF_END uses reserved fields');
          if (cls === BPF_ALU64 && x) fail(i, `unknown opcode ${hex2(code)}`);
        } else if (op === BPF_MOV) {
          if (x) {
            if (imm !== 0) fail(i, 'BPF_MOV uses reserved fields');
            const sx = cls === BPF_ALU64 ? (off === 8 || off === 16 || off === 32) : (off === 8 || off === 16);
            if (off !== 0 && !sx) fail(i, 'BPF_MOV uses reserved fields');
          } else if (src !== 0 || off !== 0) fail(i, 'BPF_MOV uses reserved fields');
        } else if (op <= BPF_END) {
          if (x ? imm !== 0 : src !== 0) fail(i, 'BPF_ALU uses reserved fields');
          const signedOk = op === BPF_DIV || op === BPF_MOD;
          if (off !== 0 && !(signedOk && off === 1)) fail(i, 'BPF_ALU uses reserved fields');
        } else fail(i, `unknown opcode ${hex2(code)}`);
        break;
      }
      case BPF_JMP:
      case BPF_JMP32: {
        const op = code & 0xf0, x = (code & BPF_X) !== 0;
        if (op === BPF_JA) {
          if (x || dst !== 0 || src !== 0) fail(i, 'BPF_JA uses reserved fields');
          if (cls === BPF_JMP) {
            if (imm !== 0) fail(i, 'BPF_JA uses reserved fields');
            jumpTarget(i, i + 1 + off);
          } else {
            if (off !== 0) fail(i, 'BPF_JA uses reserved fields');
            jumpTarget(i, i + 1 + imm);
          }
        } else if (op === BPF_CALL) {
          if (cls !== BPF_JMP) fail(i, `unknown opcode ${hex2(code)}`);
          if (x) {
            // callx: the target (a helper id here, as uBPF and the conformance suite define it) is in dst.
            if (src !== 0 || off !== 0 || imm !== 0) fail(i, 'BPF_CALL uses reserved fields');
          } else {
            if (off !== 0 || dst !== 0 || src > BPF_PSEUDO_KFUNC_CALL) fail(i, 'BPF_CALL uses reserved fields');
            if (src === BPF_PSEUDO_CALL) jumpTarget(i, i + 1 + imm);
          }
        } else if (op === BPF_EXIT) {
          if (cls !== BPF_JMP || x || dst !== 0 || src !== 0 || off !== 0 || imm !== 0) fail(i, 'BPF_EXIT uses reserved fields');
        } else if (op <= BPF_JSLE) {
          if (x ? imm !== 0 : src !== 0) fail(i, 'BPF_JMP/JMP32 uses reserved fields');
          jumpTarget(i, i + 1 + off);
        } else fail(i, `unknown opcode ${hex2(code)}`);
        break;
      }
      case BPF_LD: {
        if (code === OP_LDDW) {
          if (dst === BPF_REG_FP) fail(i, 'frame pointer is read only');
          if (off !== 0 || src > BPF_PSEUDO_MAP_IDX_VALUE) fail(i, 'invalid bpf_ld_imm64 insn');
          if (p.code[i + 1] !== 0 || p.dst[i + 1] !== 0 || p.src[i + 1] !== 0 || p.off[i + 1] !== 0) fail(i, 'invalid bpf_ld_imm64 insn');
          if (src === BPF_PSEUDO_FUNC) jumpTarget(i, i + 1 + imm);
          i++;
          break;
        }
        const mode = code & 0xe0, size = code & 0x18;
        if ((mode !== BPF_ABS && mode !== BPF_IND) || size === BPF_DW) fail(i, `unknown opcode ${hex2(code)}`);
        if (dst !== 0 || off !== 0 || (mode === BPF_ABS && src !== 0)) fail(i, 'BPF_LD_[ABS|IND] uses reserved fields');
        break;
      }
      case BPF_LDX: {
        const mode = code & 0xe0;
        if (mode !== BPF_MEM && !(mode === BPF_MEMSX && (code & 0x18) !== BPF_DW)) fail(i, `unknown opcode ${hex2(code)}`);
        if (imm !== 0) fail(i, 'BPF_LDX uses reserved fields');
        if (dst === BPF_REG_FP) fail(i, 'frame pointer is read only');
        break;
      }
      case BPF_ST: {
        if ((code & 0xe0) !== BPF_MEM) fail(i, `unknown opcode ${hex2(code)}`);
        if (src !== 0) fail(i, 'BPF_ST uses reserved fields');
        break;
      }
      case BPF_STX: {
        const mode = code & 0xe0;
        if (mode === BPF_MEM) {
          if (imm !== 0) fail(i, 'BPF_STX uses reserved fields');
        } else if (mode === BPF_ATOMIC) {
          const size = code & 0x18;
          if (size !== BPF_W && size !== BPF_DW) fail(i, `unknown opcode ${hex2(code)}`);
          if (!isAtomicOp(imm)) fail(i, `BPF_ATOMIC uses invalid atomic opcode ${hex2(imm & 0xff)}`);
        } else fail(i, `unknown opcode ${hex2(code)}`);
        break;
      }
    }
  }
}

export function isAtomicOp(imm: number): boolean {
  switch (imm) {
    case BPF_ADD: case BPF_ADD | BPF_FETCH:
    case BPF_OR: case BPF_OR | BPF_FETCH:
    case BPF_AND: case BPF_AND | BPF_FETCH:
    case BPF_XOR: case BPF_XOR | BPF_FETCH:
    case BPF_XCHG: case BPF_CMPXCHG:
      return true;
    default:
      return false;
  }
}
