/**
 * Assembler for the text syntax of the bpf_conformance suite (and uBPF): `mov %r0, 1`,
 * `ldxw %r0, [%r1+4]`, `jne32 %r1, 0xfffffffc, fail`, `lock fetch add [%r10-8], %r1`,
 * `call local f`, `lddw %r0, 0x1122334455667788`, labels (`name:`), `ja +3`, `#` comments.
 * Errors name line and column. The first `exit` also defines the label `exit`, as the suite's
 * assembler does.
 */
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CMPXCHG, BPF_DIV, BPF_DW, BPF_END,
  BPF_FETCH, BPF_H, BPF_JMP, BPF_JMP32, BPF_LDX, BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL,
  BPF_NEG, BPF_OR, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
  BpfInsn, encodeProgram, OP_CALL, OP_CALLX, OP_EXIT, OP_GOTOL, OP_JA, OP_LDDW,
} from './isa';

export class AsmError extends Error {
  constructor(readonly line: number, readonly column: number, readonly reason: string) {
    super(`${line}:${column}: ${reason}`);
  }
}

export const ALU_OPS: Record<string, number> = {
  add: BPF_ADD, sub: BPF_SUB, mul: BPF_MUL, div: BPF_DIV, sdiv: BPF_DIV, or: BPF_OR, and: BPF_AND,
  lsh: BPF_LSH, rsh: BPF_RSH, neg: BPF_NEG, mod: BPF_MOD, smod: BPF_MOD, xor: BPF_XOR, mov: BPF_MOV,
  arsh: BPF_ARSH,
};
export const JMP_OPS: Record<string, number> = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70,
  jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
};
export const ATOMIC_OPS: Record<string, number> = { add: BPF_ADD, or: BPF_OR, and: BPF_AND, xor: BPF_XOR };
const SIZES: Record<string, number> = { b: BPF_B, h: BPF_H, w: BPF_W, dw: BPF_DW };

interface Token { text: string; col: number }

/** Where each instruction came from, for messages and the debugger. */
export interface AsmResult {
  insns: Uint8Array;
  /** Source line (1-based) of each instruction slot (both slots of an lddw). */
  lines: number[];
  labels: Map<string, number>;
}

/** Splits a line into tokens (whitespace-separated, one trailing comma dropped), keeping columns. */
function tokenize(line: string): Token[] {
  const out: Token[] = [];
  const re = /[^\s]+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    let text = m[0];
    if (text.endsWith(',')) text = text.slice(0, -1);
    if (text.length > 0) out.push({ text, col: m.index + 1 });
  }
  return out;
}

export function assemble(source: string, firstLine = 1): AsmResult {
  const insns: BpfInsn[] = [];
  const lines: number[] = [];
  const labels = new Map<string, number>();
  const fixups: { insn: number; label: string; line: number; col: number; field: 'off' | 'imm' }[] = [];
  const srcLines = source.split('\n');

  for (let li = 0; li < srcLines.length; li++) {
    const lineNo = firstLine + li;
    let text = srcLines[li].replace(/\r$/, '');
    const hash = text.indexOf('#');
    if (hash >= 0) text = text.slice(0, hash);
    const toks = tokenize(text);
    if (toks.length === 0) continue;
    const err = (t: Token | undefined, why: string): never => {
      throw new AsmError(lineNo, t ? t.col : text.length + 1, why);
    };

    // label definition
    if (toks.length === 1 && toks[0].text.endsWith(':')) {
      const name = toks[0].text.slice(0, -1);
      if (!/^[A-Za-z_.][\w.]*$/.test(name)) err(toks[0], `invalid label name '${name}'`);
      if (labels.has(name)) err(toks[0], `duplicate label '${name}'`);
      labels.set(name, insns.length);
      continue;
    }

    const mn = toks[0];
    const ops = toks.slice(1);
    const need = (n: number): void => {
      if (ops.length !== n) err(ops[n] ?? mn, `${mn.text} takes ${n} operand${n === 1 ? '' : 's'}, got ${ops.length}`);
    };
    const reg = (t: Token | undefined): number => {
      if (!t) return err(t, 'missing register operand');
      const m = /^%r(\d+)$/.exec(t.text);
      if (!m || Number(m[1]) > 10) return err(t, `invalid register '${t.text}'`);
      return Number(m[1]);
    };
    const imm32 = (t: Token | undefined): number => {
      if (!t) return err(t, 'missing immediate operand');
      const v = parseInteger(t.text);
      if (v === undefined) return err(t, `invalid immediate '${t.text}'`);
      const isHex = /^[-+]?0x/i.test(t.text);
      if (isHex ? v < -0x80000000n || v > 0xffffffffn : v < -0x80000000n || v > 0x7fffffffn) {
        return err(t, `immediate ${t.text} does not fit in 32 bits`);
      }
      return Number(BigInt.asIntN(32, v));
    };
    const memOperand = (t: Token | undefined): { reg: number; off: number } => {
      if (!t) return err(t, 'missing memory operand [%rN+off]');
      const m = /^\[(%r\d+)(?:([+-])([^\]]+))?\]$/.exec(t.text);
      if (!m) return err(t, `invalid memory operand '${t.text}', expected [%rN], [%rN+off] or [%rN-off]`);
      const r = reg({ text: m[1], col: t.col + 1 });
      if (!m[2]) return { reg: r, off: 0 };
      const v = parseInteger(m[3]);
      if (v === undefined) return err(t, `invalid offset '${m[2]}${m[3]}'`);
      const off = m[2] === '-' ? -v : v;
      if (off < -0x8000n || off > 0x7fffn) return err(t, `offset ${m[2]}${m[3]} does not fit in 16 bits`);
      return { reg: r, off: Number(off) };
    };
    /** A jump target: +N / -N (relative to the next instruction) or a label; `field` receives it. */
    const target = (t: Token | undefined, field: 'off' | 'imm'): number => {
      if (!t) return err(t, 'missing jump target');
      if (/^[+-]/.test(t.text)) {
        const v = parseInteger(t.text);
        const lim = field === 'off' ? 0x8000n : 0x80000000n;
        if (v === undefined || v < -lim || v >= lim) return err(t, `invalid jump offset '${t.text}'`);
        return Number(v);
      }
      if (!/^[A-Za-z_.][\w.]*$/.test(t.text)) return err(t, `invalid jump target '${t.text}'`);
      fixups.push({ insn: insns.length, label: t.text, line: lineNo, col: t.col, field });
      return 0;
    };
    const emit = (insn: Partial<BpfInsn> & { code: number }): void => {
      insns.push({ dst: 0, src: 0, off: 0, imm: 0, ...insn });
      lines.push(lineNo);
    };

    const name = mn.text;
    let m: RegExpExecArray | null;
    if (name === 'exit') {
      need(0);
      if (!labels.has('exit')) labels.set('exit', insns.length);
      emit({ code: OP_EXIT });
    } else if (name === 'lddw') {
      need(2);
      const dst = reg(ops[0]);
      const v = parseInteger(ops[1].text);
      if (v === undefined || v < -(1n << 63n) || v >= 1n << 64n) err(ops[1], `invalid 64-bit immediate '${ops[1].text}'`);
      const u = BigInt.asUintN(64, v!);
      emit({ code: OP_LDDW, dst, imm: Number(BigInt.asIntN(32, u)) });
      emit({ code: 0, imm: Number(BigInt.asIntN(32, u >> 32n)) });
    } else if ((m = /^(be|le|swap|bswap)(16|32|64)$/.exec(name))) {
      need(1);
      const code = m[1] === 'be' ? BPF_ALU | BPF_END | BPF_TO_BE : m[1] === 'le' ? BPF_ALU | BPF_END | BPF_TO_LE : BPF_ALU64 | BPF_END;
      emit({ code, dst: reg(ops[0]), imm: Number(m[2]) });
    } else if ((m = /^movsx(8|16|32)(32|64)$/.exec(name))) {
      need(2);
      const width = Number(m[1]), cls = m[2] === '64' ? BPF_ALU64 : BPF_ALU;
      if (cls === BPF_ALU && width === 32) err(mn, 'movsx3232 does not exist (movsx32 sign-extends 8 or 16 bits)');
      emit({ code: cls | BPF_MOV | BPF_X, dst: reg(ops[0]), src: reg(ops[1]), off: width });
    } else if ((m = /^(add|sub|mul|div|sdiv|or|and|lsh|rsh|neg|mod|smod|xor|mov|arsh)(32|64)?$/.exec(name))) {
      const cls = m[2] === '32' ? BPF_ALU : BPF_ALU64;
      const op = ALU_OPS[m[1]];
      const off = m[1] === 'sdiv' || m[1] === 'smod' ? 1 : 0;
      if (op === BPF_NEG) {
        need(1);
        emit({ code: cls | op, dst: reg(ops[0]) });
      } else {
        need(2);
        const dst = reg(ops[0]);
        if (ops[1].text.startsWith('%')) emit({ code: cls | op | BPF_X, dst, src: reg(ops[1]), off });
        else emit({ code: cls | op, dst, imm: imm32(ops[1]), off });
      }
    } else if ((m = /^ldx(s?)(b|h|w|dw)$/.exec(name))) {
      need(2);
      if (m[1] && m[2] === 'dw') err(mn, 'ldxsdw does not exist (a 64-bit load has nothing to sign-extend)');
      const dst = reg(ops[0]);
      const a = memOperand(ops[1]);
      emit({ code: BPF_LDX | (m[1] ? BPF_MEMSX : BPF_MEM) | SIZES[m[2]], dst, src: a.reg, off: a.off });
    } else if ((m = /^st(x?)(b|h|w|dw)$/.exec(name))) {
      need(2);
      const a = memOperand(ops[0]);
      if (m[1]) emit({ code: BPF_STX | BPF_MEM | SIZES[m[2]], dst: a.reg, src: reg(ops[1]), off: a.off });
      else emit({ code: BPF_ST | BPF_MEM | SIZES[m[2]], dst: a.reg, off: a.off, imm: imm32(ops[1]) });
    } else if (name === 'ja') {
      need(1);
      emit({ code: OP_JA, off: target(ops[0], 'off') });
    } else if (name === 'ja32' || name === 'gotol') {
      need(1);
      emit({ code: OP_GOTOL, imm: target(ops[0], 'imm') });
    } else if ((m = /^(jeq|jgt|jge|jset|jne|jsgt|jsge|jlt|jle|jslt|jsle)(32)?$/.exec(name))) {
      need(3);
      const cls = m[2] ? BPF_JMP32 : BPF_JMP;
      const dst = reg(ops[0]);
      if (ops[1].text.startsWith('%')) {
        const src = reg(ops[1]);
        emit({ code: cls | JMP_OPS[m[1]] | BPF_X, dst, src, off: target(ops[2], 'off') });
      } else {
        const imm = imm32(ops[1]);
        emit({ code: cls | JMP_OPS[m[1]], dst, imm, off: target(ops[2], 'off') });
      }
    } else if (name === 'call') {
      if (ops.length === 1 && ops[0].text.startsWith('%')) emit({ code: OP_CALLX, dst: reg(ops[0]) });
      else if (ops.length === 1) emit({ code: OP_CALL, imm: imm32(ops[0]) });
      else if (ops.length === 2 && ops[0].text === 'helper') emit({ code: OP_CALL, imm: imm32(ops[1]) });
      else if (ops.length === 2 && ops[0].text === 'runtime') emit({ code: OP_CALL, src: 2, imm: imm32(ops[1]) });
      else if (ops.length === 2 && ops[0].text === 'local') emit({ code: OP_CALL, src: 1, imm: target(ops[1], 'imm') });
      else if (ops.length === 2) err(ops[0], `invalid call mode '${ops[0].text}' (helper, local or runtime)`);
      else err(ops[0] ?? mn, `call takes 1 or 2 operands, got ${ops.length}`);
    } else if (name === 'lock') {
      // lock [fetch] add|and|or|xor[32] [%rD+off], %rS | lock xchg[32] ... | lock cmpxchg[32] ...
      const fetch = ops[0]?.text === 'fetch';
      const rest = fetch ? ops.slice(1) : ops;
      if (rest.length !== 3) err(rest[3] ?? mn, 'Invalid number of operands for lock');
      const am = /^(add|and|or|xor|xchg|cmpxchg)(32)?$/.exec(rest[0].text);
      if (!am) err(rest[0], `invalid atomic operation '${rest[0].text}'`);
      const size = am![2] ? BPF_W : BPF_DW;
      let imm: number;
      if (am![1] === 'xchg') imm = BPF_XCHG;
      else if (am![1] === 'cmpxchg') imm = BPF_CMPXCHG;
      else imm = ATOMIC_OPS[am![1]] | (fetch ? BPF_FETCH : 0);
      if (fetch && (am![1] === 'xchg' || am![1] === 'cmpxchg')) err(ops[0], `'fetch' is implied by ${am![1]}`);
      const a = memOperand(rest[1]);
      emit({ code: BPF_STX | BPF_ATOMIC | size, dst: a.reg, src: reg(rest[2]), off: a.off, imm });
    } else {
      err(mn, `unknown mnemonic '${name}'`);
    }
  }

  for (const f of fixups) {
    const at = labels.get(f.label);
    if (at === undefined) throw new AsmError(f.line, f.col, `unknown label '${f.label}'`);
    const rel = at - (f.insn + 1);
    if (f.field === 'off') {
      if (rel < -0x8000 || rel > 0x7fff) throw new AsmError(f.line, f.col, `jump to '${f.label}' is out of 16-bit range`);
      insns[f.insn].off = rel;
    } else insns[f.insn].imm = rel;
  }
  return { insns: encodeProgram(insns), lines, labels };
}

/** Parses a decimal or 0x-hex integer with optional sign; undefined if malformed. */
export function parseInteger(text: string): bigint | undefined {
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2]);
  return m[1] === '-' ? -v : v;
}
