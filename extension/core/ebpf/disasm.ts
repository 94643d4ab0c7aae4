/**
 * Disassemblers.
 *
 * `formatInsn` prints an instruction the way `llvm-objdump -d` (LLVM 14, the toolchain here)
 * does: `r0 = *(u32 *)(r1 + 4)`, `if r1 > r2 goto +3 <LBB0_2>`, `w1 += -5`, `r1 = 4660 ll`,
 * `lock *(u64 *)(r10 - 8) += r1`, `call 1`, `exit`. Where LLVM 14 prints `<unknown>` or ignores a
 * field (the ISA v4 forms movsx, sdiv/smod, ldsx, bswap, gotol; also mod, jset, BPF_ST and most
 * 32-bit atomics, which LLVM 14 cannot decode) we print what newer LLVM prints:
 * `r1 = (s8)r2`, `r1 s/= r2`, `r1 %= r2`, `r0 = *(s8 *)(r1 + 4)`, `r1 = bswap16 r1`, `gotol +3`,
 * `if r1 & r2 goto +1`, `*(u32 *)(r10 - 8) = 7`, `w1 = atomic_fetch_add((u32 *)(r10 - 8), w1)`.
 *
 * `formatConformance` prints the bpf_conformance assembler syntax (round-trips through asm.ts).
 */
import { ATOMIC_OPS, JMP_OPS } from './asm';
import { decodeInsn, OP_LDDW } from './isa';

/** A symbol in the section (function or label), as the ELF symbol table gives it. */
export interface DisasmSymbol { name: string; insn: number }

const SZ: Record<number, string> = { 0x00: 'u32', 0x08: 'u16', 0x10: 'u8', 0x18: 'u64' };
const SSZ: Record<number, string> = { 0x00: 's32', 0x08: 's16', 0x10: 's8' };
const ALU_SYM: Record<number, string> = {
  0x00: '+=', 0x10: '-=', 0x20: '*=', 0x30: '/=', 0x40: '|=', 0x50: '&=', 0x60: '<<=', 0x70: '>>=',
  0x90: '%=', 0xa0: '^=', 0xc0: 's>>=',
};
const JMP_SYM: Record<number, string> = {
  0x10: '==', 0x20: '>', 0x30: '>=', 0x40: '&', 0x50: '!=', 0x60: 's>', 0x70: 's>=', 0xa0: '<', 0xb0: '<=',
  0xc0: 's<', 0xd0: 's<=',
};
const ATOMIC_SYM: Record<number, string> = { 0x00: '+=', 0x40: '|=', 0x50: '&=', 0xa0: '^=' };
const ATOMIC_NAME: Record<number, string> = { 0x00: 'add', 0x40: 'or', 0x50: 'and', 0xa0: 'xor' };

const addr = (base: number, off: number): string => `r${base} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;
const rel = (n: number): string => (n < 0 ? `${n}` : `+${n}`);

/** `<sym>` or `<sym+0xNN>` for a jump target, from the nearest symbol at or before it. */
function annotate(target: number, symbols: readonly DisasmSymbol[] | undefined): string {
  if (!symbols || symbols.length === 0) return '';
  let best: DisasmSymbol | undefined;
  for (const s of symbols) if (s.insn <= target && (!best || s.insn >= best.insn)) best = s;
  if (!best) return '';
  const delta = (target - best.insn) * 8;
  return delta === 0 ? ` <${best.name}>` : ` <${best.name}+0x${delta.toString(16)}>`;
}

/**
 * One instruction at slot `i` of `insns` in llvm-objdump's syntax. `symbols` (sorted or not)
 * annotate jump targets like objdump does from the symbol table.
 */
export function formatInsn(insns: Uint8Array, i: number, symbols?: readonly DisasmSymbol[]): string {
  const { code, dst, src, off, imm } = decodeInsn(insns, i);
  const cls = code & 7;
  const op = code & 0xf0;
  const x = (code & 8) !== 0;
  switch (cls) {
    case 4: case 7: {
      const r = cls === 7 ? 'r' : 'w';
      const d = `${r}${dst}`, s = x ? `${r}${src}` : `${imm}`;
      if (op === 0x80) return x ? '<unknown>' : `${d} = -${d}`;
      if (op === 0xd0) {
        if (cls === 7) return x ? '<unknown>' : `r${dst} = bswap${imm} r${dst}`;
        return `r${dst} = ${x ? 'be' : 'le'}${imm} r${dst}`;
      }
      if (op === 0xb0) {
        if (x && off !== 0) return `${d} = (s${off})${r}${src}`;
        return `${d} = ${s}`;
      }
      if ((op === 0x30 || op === 0x90) && off === 1) return `${d} s${op === 0x30 ? '/=' : '%='} ${s}`;
      const sym = ALU_SYM[op];
      return sym ? `${d} ${sym} ${s}` : '<unknown>';
    }
    case 5: case 6: {
      if (op === 0x00) {
        if (cls === 6) return `gotol ${rel(imm)}${annotate(i + 1 + imm, symbols)}`;
        return `goto ${rel(off)}${annotate(i + 1 + off, symbols)}`;
      }
      if (cls === 5 && code === 0x85) return `call ${imm}`;
      if (cls === 5 && code === 0x8d) return `callx r${imm}`;
      if (cls === 5 && code === 0x95) return 'exit';
      const sym = JMP_SYM[op];
      if (!sym) return '<unknown>';
      const r = cls === 5 ? 'r' : 'w';
      return `if ${r}${dst} ${sym} ${x ? `${r}${src}` : imm} goto ${rel(off)}${annotate(i + 1 + off, symbols)}`;
    }
    case 0: {
      if (code === OP_LDDW) {
        if (src !== 0) return `ld_pseudo\tr${dst}, ${src}, ${imm}`;
        const hi = (i + 1) * 8 + 8 <= insns.length ? decodeInsn(insns, i + 1).imm : 0;
        const v = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(imm >>> 0));
        return `r${dst} = ${v} ll`;
      }
      const mode = code & 0xe0, size = SZ[code & 0x18];
      if (mode === 0x20) return `r0 = *(${size} *)skb[${imm}]`;
      if (mode === 0x40) return `r0 = *(${size} *)skb[r${src}]`;
      return '<unknown>';
    }
    case 1: {
      const mode = code & 0xe0;
      if (mode === 0x60) return `r${dst} = *(${SZ[code & 0x18]} *)(${addr(src, off)})`;
      if (mode === 0x80 && SSZ[code & 0x18]) return `r${dst} = *(${SSZ[code & 0x18]} *)(${addr(src, off)})`;
      return '<unknown>';
    }
    case 2:
      if ((code & 0xe0) === 0x60) return `*(${SZ[code & 0x18]} *)(${addr(dst, off)}) = ${imm}`;
      return '<unknown>';
    case 3: {
      const mode = code & 0xe0, size = SZ[code & 0x18];
      if (mode === 0x60) return `*(${size} *)(${addr(dst, off)}) = r${src}`;
      if (mode !== 0xc0 || (size !== 'u32' && size !== 'u64')) return '<unknown>';
      const wide = size === 'u64';
      const r = wide ? 'r' : 'w';
      // LLVM 14 knows only the 32-bit `lock ... +=` form, printed with an r register.
      if (!wide && imm === 0x00) return `lock *(u32 *)(${addr(dst, off)}) += r${src}`;
      if (imm === 0xe1) return `${r}${src} = ${wide ? 'xchg_64' : 'xchg32_32'}(${addr(dst, off)}, ${r}${src})`;
      if (imm === 0xf1) return `${r}0 = ${wide ? 'cmpxchg_64' : 'cmpxchg32_32'}(${addr(dst, off)}, ${r}0, ${r}${src})`;
      const base = imm & 0xf0;
      if (!(base in ATOMIC_SYM) || (imm & 0x0e) !== 0 || imm > 0xff || imm < 0) return '<unknown>';
      if (imm & 1) return `${r}${src} = atomic_fetch_${ATOMIC_NAME[base]}((${size} *)(${addr(dst, off)}), ${r}${src})`;
      return `lock *(${size} *)(${addr(dst, off)}) ${ATOMIC_SYM[base]} ${r}${src}`;
    }
  }
  return '<unknown>';
}

/** Number of slots the instruction at `i` takes (2 for lddw). */
export function insnSlots(insns: Uint8Array, i: number): 1 | 2 {
  return insns[i * 8] === OP_LDDW ? 2 : 1;
}

export interface ObjdumpOptions {
  symbols?: readonly DisasmSymbol[];
  /** Print the raw bytes column (objdump's default; `--no-show-raw-insn` turns it off). */
  showRaw?: boolean;
}

/** The instruction lines of `llvm-objdump -d` for a section's bytes (no headers). */
export function objdumpLines(insns: Uint8Array, opts: ObjdumpOptions = {}): string[] {
  const out: string[] = [];
  const n = Math.floor(insns.length / 8);
  for (let i = 0; i < n; i += insnSlots(insns, i)) {
    const slots = Math.min(insnSlots(insns, i), n - i);
    let line = `${String(i).padStart(8)}:\t`;
    if (opts.showRaw !== false) {
      const bytes = Array.from(insns.subarray(i * 8, (i + slots) * 8), (b) => b.toString(16).padStart(2, '0'));
      line += `${bytes.join(' ')}\t`;
    }
    out.push(line + formatInsn(insns, i, opts.symbols));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The conformance suite's syntax

const CONF_ALU: Record<number, string> = Object.fromEntries(
  Object.entries({ add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, neg: 0x80, mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0 })
    .map(([k, v]) => [v, k]),
);
const CONF_JMP: Record<number, string> = Object.fromEntries(Object.entries(JMP_OPS).map(([k, v]) => [v, k]));
const CONF_ATOMIC: Record<number, string> = Object.fromEntries(Object.entries(ATOMIC_OPS).map(([k, v]) => [v, k]));
const CONF_SIZE: Record<number, string> = { 0x00: 'w', 0x08: 'h', 0x10: 'b', 0x18: 'dw' };
const mem = (r: number, off: number): string => (off === 0 ? `[%r${r}]` : `[%r${r}${off < 0 ? '-' : '+'}${Math.abs(off)}]`);

/** One instruction in the bpf_conformance assembler syntax (jump targets as +N/-N). */
export function formatConformance(insns: Uint8Array, i: number): string {
  const { code, dst, src, off, imm } = decodeInsn(insns, i);
  const cls = code & 7, op = code & 0xf0, x = (code & 8) !== 0;
  const bad = `.invalid 0x${code.toString(16).padStart(2, '0')}`;
  switch (cls) {
    case 4: case 7: {
      const sfx = cls === 4 ? '32' : '';
      if (op === 0xd0) return cls === 7 ? `bswap${imm} %r${dst}` : `${x ? 'be' : 'le'}${imm} %r${dst}`;
      if (op === 0x80) return `neg${sfx} %r${dst}`;
      if (op === 0xb0 && x && off !== 0) return `movsx${off}${cls === 4 ? '32' : '64'} %r${dst}, %r${src}`;
      let name = CONF_ALU[op];
      if (!name) return bad;
      if (off === 1 && (op === 0x30 || op === 0x90)) name = op === 0x30 ? 'sdiv' : 'smod';
      return `${name}${sfx} %r${dst}, ${x ? `%r${src}` : imm}`;
    }
    case 5: case 6: {
      if (op === 0x00) return cls === 6 ? `ja32 ${rel(imm)}` : `ja ${rel(off)}`;
      if (code === 0x85) return src === 1 ? `call local ${rel(imm)}` : src === 2 ? `call runtime ${imm}` : `call ${imm}`;
      if (code === 0x8d) return `call %r${dst}`;
      if (code === 0x95) return 'exit';
      const name = CONF_JMP[op];
      if (!name) return bad;
      return `${name}${cls === 6 ? '32' : ''} %r${dst}, ${x ? `%r${src}` : imm}, ${rel(off)}`;
    }
    case 0: {
      if (code !== OP_LDDW) return bad;
      const hi = (i + 1) * 8 + 8 <= insns.length ? decodeInsn(insns, i + 1).imm : 0;
      const v = (BigInt(hi >>> 0) << 32n) | BigInt(imm >>> 0);
      return `lddw %r${dst}, 0x${v.toString(16)}`;
    }
    case 1: return `ldx${(code & 0xe0) === 0x80 ? 's' : ''}${CONF_SIZE[code & 0x18]} %r${dst}, ${mem(src, off)}`;
    case 2: return `st${CONF_SIZE[code & 0x18]} ${mem(dst, off)}, ${imm}`;
    case 3: {
      if ((code & 0xe0) === 0x60) return `stx${CONF_SIZE[code & 0x18]} ${mem(dst, off)}, %r${src}`;
      const sfx = (code & 0x18) === 0x00 ? '32' : '';
      if (imm === 0xe1) return `lock xchg${sfx} ${mem(dst, off)}, %r${src}`;
      if (imm === 0xf1) return `lock cmpxchg${sfx} ${mem(dst, off)}, %r${src}`;
      const name = CONF_ATOMIC[imm & 0xf0];
      if (!name) return bad;
      return `lock ${imm & 1 ? 'fetch ' : ''}${name}${sfx} ${mem(dst, off)}, %r${src}`;
    }
  }
  return bad;
}

/** A whole program in conformance syntax, one instruction per line. */
export function disassembleConformance(insns: Uint8Array): string[] {
  const out: string[] = [];
  const n = Math.floor(insns.length / 8);
  for (let i = 0; i < n; i += insnSlots(insns, i)) out.push(formatConformance(insns, i));
  return out;
}
