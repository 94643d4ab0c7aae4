// JIT vs interpreter on thousands of generated, valid programs: ALU64/ALU32 with edge-case
// operands, divisions (signed and unsigned, by zero), shifts, byte swaps, sign extension, stack
// and packet loads/stores (some out of bounds on purpose), atomics and forward jumps. Both
// engines must agree on r0 (every register after a fault, or when run through reset + resume),
// the fault (kind, instruction, message), the stack and the packet. Seeded: the same programs
// every run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { BpfInsn, encodeProgram } from '../../../extension/core/ebpf/isa';
import { interpreter } from '../../../extension/core/ebpf/interpreter';
import { jit } from '../../../extension/core/ebpf/jit';
import { REGION_STACK } from '../../../extension/core/ebpf/memory';
import { Machine, SeededEnv, ST_EXIT, VmEngine } from '../../../extension/core/ebpf/vm';

const EDGE = [0, 1, -1, 2, 3, 7, 31, 32, 33, 63, 64, 0x7fffffff, -0x80000000, 0xffff, 0x8000, -2, 255, 1000003];

export function generateProgram(rnd: () => number, len: number): BpfInsn[] {
  const pick = <T>(a: readonly T[]): T => a[rnd() % a.length];
  const imm = (): number => (rnd() & 3) === 0 ? rnd() | 0 : pick(EDGE);
  const reg = (): number => rnd() % 9; // r0..r8 (r9 = packet pointer, r10 = frame pointer)
  const out: BpfInsn[] = [];
  const I = (code: number, dst = 0, src = 0, off = 0, k = 0): void => { out.push({ code, dst, src, off, imm: k }); };
  // prologue: r9 = data, r8 = data_end, random r0..r7
  I(0x61, 9, 1, 0); I(0x61, 8, 1, 4);
  for (let r = 0; r < 8; r++) {
    if (rnd() & 1) { I(0x18, r, 0, 0, rnd() | 0); I(0, 0, 0, 0, (rnd() & 1) ? rnd() | 0 : pick(EDGE)); } else I(0xb7, r, 0, 0, imm());
  }
  const body = len;
  const start = out.length;
  while (out.length - start < body) {
    const left = body - (out.length - start);
    const kind = rnd() % 14;
    const cls = rnd() & 1 ? 0x07 : 0x04;
    switch (kind) {
      case 0: case 1: case 2: { // plain ALU
        const op = pick([0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0]);
        if (rnd() & 1) I(cls | op | 8, reg(), reg()); else I(cls | op, reg(), 0, 0, imm());
        break;
      }
      case 3: { // div / mod, signed or not, register or immediate (zero included)
        const op = rnd() & 1 ? 0x30 : 0x90, off = rnd() & 1;
        if (rnd() & 1) I(cls | op | 8, reg(), reg(), off); else I(cls | op, reg(), 0, off, pick(EDGE));
        break;
      }
      case 4: I(cls | 0x80, reg()); break; // neg
      case 5: { // byte swaps
        const w = pick([16, 32, 64]);
        I(pick([0xd4, 0xdc, 0xd7]), reg(), 0, 0, w);
        break;
      }
      case 6: I(cls | 0xb8, reg(), reg(), cls === 0x07 ? pick([8, 16, 32]) : pick([8, 16])); break; // movsx
      case 7: { // stack store then load
        const size = pick([1, 2, 4, 8]), sz = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 }[size]!;
        const off = -(size + (rnd() % (64 - size)));
        if (rnd() & 1) I(0x63 | sz, 10, reg(), off); else I(0x62 | sz, 10, 0, off, imm());
        I((rnd() & 3) === 0 && size < 8 ? 0x81 | sz : 0x61 | sz, reg(), 10, off);
        break;
      }
      case 8: { // packet load/store through r9 (64-byte packet; offsets sometimes out of bounds)
        const size = pick([1, 2, 4, 8]), sz = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 }[size]!;
        const off = (rnd() % 20) === 0 ? 64 - size + 1 + (rnd() % 8) : rnd() % (64 - size + 1);
        const how = rnd() % 3;
        if (how === 0) I((rnd() & 3) === 0 && size < 8 ? 0x81 | sz : 0x61 | sz, reg(), 9, off);
        else if (how === 1) I(0x63 | sz, 9, reg(), off);
        else I(0x62 | sz, 9, 0, off, imm());
        break;
      }
      case 9: { // atomics on an initialised stack slot
        const wide = rnd() & 1, off = -8 * (1 + (rnd() % 4));
        I(0x7a, 10, 0, off, imm());
        I(wide ? 0xdb : 0xc3, 10, reg(), off, pick([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]));
        break;
      }
      case 10: case 11: { // forward conditional jump (JMP or JMP32)
        const jcls = rnd() & 1 ? 0x05 : 0x06;
        const op = pick([0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]);
        const off = rnd() % Math.max(1, left);
        if (rnd() & 1) I(jcls | op | 8, reg(), reg(), off); else I(jcls | op, reg(), 0, off, imm());
        break;
      }
      case 12: I(0x05, 0, 0, rnd() % Math.max(1, left)); break; // forward ja
      default: { // variable shifts
        const op = pick([0x60, 0x70, 0xc0]);
        I(cls | op | 8, reg(), reg());
      }
    }
  }
  // Jumps were aimed within the body; anything past its end lands on the final exit.
  I(0x95);
  for (let i = start; i < out.length - 1; i++) {
    const c = out[i].code;
    if ((c & 7) === 5 || (c & 7) === 6) {
      if (i + 1 + out[i].off > out.length - 1) out[i].off = out.length - 1 - (i + 1);
      // never into the middle of an lddw
      const t = i + 1 + out[i].off;
      if (t > 0 && out[t - 1].code === 0x18) out[i].off++;
    }
  }
  return out;
}

/**
 * Runs `insns` on each engine twice: through `Machine.run` (what `bpf run` and the device use:
 * after an exit only r0 is defined, after a fault every register) and through `reset` + `resume`
 * (the stepping / conformance entry: every register, whatever the status).
 */
export function runBoth(insns: Uint8Array, packet: Uint8Array, engines: VmEngine[] = [interpreter, jit]) {
  return engines.map((engine) => {
    const m = new Machine({ env: new SeededEnv(1), insnBudget: 100_000 });
    m.packet.load(packet);
    m.memory.bytes[REGION_STACK].fill(0);
    const p = m.load({ insns, maps: [] });
    const st = m.run(p, engine);
    const regs = st === ST_EXIT ? 1 : 11;
    const run = {
      st, lo: Array.from(m.lo.subarray(0, regs)), hi: Array.from(m.hi.subarray(0, regs)), fault: m.fault,
      stack: Buffer.from(m.memory.bytes[REGION_STACK]).toString('hex'),
      packet: Buffer.from(m.packet.contents()).toString('hex'),
      count: m.insnCount,
    };
    const m2 = new Machine({ env: new SeededEnv(1), insnBudget: 100_000 });
    m2.packet.load(packet);
    m2.memory.bytes[REGION_STACK].fill(0);
    const p2 = m2.load({ insns, maps: [] });
    m2.reset(p2);
    const st2 = m2.resume(engine, Infinity);
    const resumed = { st: st2, lo: Array.from(m2.lo), hi: Array.from(m2.hi), count: m2.insnCount };
    return { ...run, resumed };
  });
}

test('JIT and interpreter agree on 3000 generated programs', () => {
  const env = new SeededEnv(20261126);
  const rnd = (): number => env.random();
  const packet = new Uint8Array(64);
  let faults = 0, exits = 0;
  for (let n = 0; n < 3000; n++) {
    for (let i = 0; i < 64; i++) packet[i] = rnd() & 0xff;
    const prog = generateProgram(rnd, 10 + (rnd() % 50));
    const insns = encodeProgram(prog);
    const [a, b] = runBoth(insns, packet);
    if (!isDeepStrictEqual(a, b)) {
      const { stack: sa, ...ra } = a, { stack: sb, ...rb } = b;
      assert.deepEqual({ ...rb, stackSame: sa === sb }, { ...ra, stackSame: true }, `program ${n} differs:\n${Buffer.from(insns).toString('hex')}`);
    }
    if (a.st === 0) exits++; else faults++;
  }
  // The generator must exercise both outcomes.
  assert.ok(exits > 1500 && faults > 50, `exits ${exits}, faults ${faults}`);
});

/**
 * A counted loop (r7 the counter) over random ALU work, packet loads through r9 and r6 = r9 + r7,
 * and stack traffic; sometimes with a forward jump inside the body (a loop of several blocks),
 * sometimes entered in the middle (clang's rotated loops), sometimes long enough to run out of the
 * budget. Exercises the JIT's loop layouts, its register facts and the guards that leave for the
 * interpreter in the middle of a loop.
 */
export function generateLoopProgram(rnd: () => number): BpfInsn[] {
  const pick = <T>(a: readonly T[]): T => a[rnd() % a.length];
  const imm = (): number => (rnd() & 3) === 0 ? rnd() | 0 : pick(EDGE);
  const reg = (): number => rnd() % 6; // r0..r5 (r6 = packet pointer + counter, r7 = counter)
  const out: BpfInsn[] = [];
  const I = (code: number, dst = 0, src = 0, off = 0, k = 0): void => { out.push({ code, dst, src, off, imm: k }); };
  I(0x61, 9, 1, 0); I(0x61, 8, 1, 4);
  for (let r = 0; r < 6; r++) I(0xb7, r, 0, 0, imm());
  I(0xb7, 7, 0, 0, 0);
  // Sometimes clang's rotated shape: jump over the body into the loop's increment first.
  const rotated = (rnd() % 3) === 0 ? out.length : -1;
  if (rotated >= 0) I(0x05);
  const head = out.length;
  const ops = 2 + (rnd() % 10);
  const jumpAt = (rnd() % 3) === 0 ? head + (rnd() % ops) : -1;
  let jumpIndex = -1;
  for (let n = 0; n < ops; n++) {
    if (out.length === jumpAt) { jumpIndex = out.length; I(0x55, reg(), 0, 0, pick([0, 1, 7])); } // jne, offset set below
    const cls = rnd() & 1 ? 0x07 : 0x04;
    switch (rnd() % 6) {
      case 0: case 1: {
        const op = pick([0x00, 0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0]);
        if (rnd() & 1) I(cls | op | 8, reg(), reg()); else I(cls | op, reg(), 0, 0, op >= 0x60 && op <= 0x70 || op === 0xc0 ? rnd() % 64 : imm());
        break;
      }
      case 2: { // packet load at a fixed offset (sometimes past the end of the 64-byte packet)
        const size = pick([1, 2, 4, 8]), sz = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 }[size]!;
        I(0x61 | sz, reg(), 9, (rnd() % 16) === 0 ? 64 - size + 1 : rnd() % (64 - size + 1));
        break;
      }
      case 3: // r6 = r9 + r7; load through it
        I(0xbf, 6, 9); I(0x0f, 6, 7); I(pick([0x71, 0x69]), reg(), 6, 0);
        break;
      case 4: { // stack store then load
        const off = -8 * (1 + (rnd() % 4));
        I(0x7b, 10, reg(), off); I(0x79, reg(), 10, off);
        break;
      }
      default: I(0x07, reg(), 0, 0, pick([0x40000000, 0x7fffffff, -1, -8, 2])); // adds that may carry
    }
  }
  if (jumpIndex >= 0) out[jumpIndex].off = Math.max(0, Math.min(2, out.length - jumpIndex - 1));
  if (rotated >= 0) out[rotated].off = out.length - (rotated + 1);
  I(0x07, 7, 0, 0, 1);
  const count = (rnd() % 15) === 0 ? 50_000 : 1 + (rnd() % 20);
  I(0xa5, 7, 0, head - (out.length + 1), count); // if r7 < count goto head
  I(0x95);
  return out;
}

test('JIT and interpreter agree on 1000 generated programs with loops', () => {
  const env = new SeededEnv(20261127);
  const rnd = (): number => env.random();
  const packet = new Uint8Array(64);
  let budget = 0, exits = 0;
  for (let n = 0; n < 1000; n++) {
    for (let i = 0; i < 64; i++) packet[i] = rnd() & 0xff;
    const insns = encodeProgram(generateLoopProgram(rnd));
    const [a, b] = runBoth(insns, packet);
    if (!isDeepStrictEqual(a, b)) assert.deepEqual(b, a, `program ${n} differs:\n${Buffer.from(insns).toString('hex')}`);
    if (a.st === 0) exits++; else if (a.fault?.kind === 'budget') budget++;
  }
  assert.ok(exits > 500 && budget > 8, `exits ${exits}, budget faults ${budget}`);
});
