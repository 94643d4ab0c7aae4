// The interpreter's fast path charges the instruction budget once per run (straight-line code up
// to a jump) and fuses clang's idioms into superinstructions. These tests pin down that neither
// is visible: the budget stops after exactly N instructions wherever N falls (also between the
// parts of a fused idiom), single steps visit every instruction, jumps and breakpoints may land in
// the middle of an idiom, and faults and call returns count exactly. Expected values are worked out
// by hand from the listings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../../extension/core/ebpf/asm';
import { interpreter, Stepper } from '../../../extension/core/ebpf/interpreter';
import { XDP_PACKET_HEADROOM } from '../../../extension/core/ebpf/memory';
import { Machine, ST_EXIT, ST_FAULT, ST_STEP } from '../../../extension/core/ebpf/vm';

// insn: 0 1 | loop 2..9 (8 insns; insn 7 counts in r0) | out: 10 11
const LOOP = `
  mov %r0, 0
  mov %r2, 1000
l:
  mov %r3, %r0
  add %r3, 7
  jgt %r3, %r2, out
  mov %r4, 5
  jne %r4, 5, out
  add %r0, 1
  jgt %r0, %r2, out
  ja l
out:
  mov %r0, 99
  exit`;

function load(asm: string, budget?: number, packet: number[] = []) {
  const m = new Machine({ insnBudget: budget });
  m.packet.load(Uint8Array.from(packet));
  const p = m.load({ insns: assemble(asm).insns, maps: [] });
  return { m, p };
}

test('the budget stops after exactly N instructions for every N, also between the parts of a fused idiom', () => {
  for (let budget = 1; budget <= 70; budget++) {
    const { m, p } = load(LOOP, budget);
    assert.equal(m.run(p, interpreter), ST_FAULT, `budget ${budget}`);
    assert.equal(m.insnCount, budget);
    if (budget < 2) { assert.equal(m.fault?.insn, budget); continue; }
    const q = Math.floor((budget - 2) / 8), rem = (budget - 2) % 8;
    assert.equal(m.fault?.kind, 'budget');
    assert.equal(m.fault?.insn, 2 + rem, `budget ${budget}: stops before insn ${2 + rem}`);
    assert.equal(m.pc, 2 + rem);
    assert.match(m.fault!.message, new RegExp(`instruction budget of ${budget} exhausted at insn ${2 + rem} `));
    assert.equal(m.lo[0], q + (rem >= 6 ? 1 : 0), `budget ${budget}: r0`);
    // r3: the mov (offset 0) and the add (offset 1) of the interrupted iteration
    if (rem === 1) assert.equal(m.lo[3], q, `budget ${budget}: r3 = r0, the add not done`);
    else if (rem >= 2) assert.equal(m.lo[3], q + 7);
    else if (q > 0) assert.equal(m.lo[3], q - 1 + 7);
  }
});

test('a run to the end counts every instruction once: 2 + 994 loops of 8 + 3 + 2', () => {
  const { m, p } = load(LOOP);
  assert.equal(m.run(p, interpreter), ST_EXIT);
  assert.equal(m.lo[0], 99);
  assert.equal(m.insnCount, 7959);
  assert.equal(m.budgetLeft, 1_000_000 - 7959);
});

test('single steps visit every instruction of the fused idioms in order, then a fast resume finishes exactly', () => {
  const { m, p } = load(LOOP);
  m.reset(p);
  const seen: number[] = [];
  for (let k = 0; k < 21; k++) {
    seen.push(m.pc);
    assert.equal(m.resume(interpreter, 1), ST_STEP);
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4]);
  assert.equal(m.insnCount, 21);
  assert.equal(m.lo[0], 2);
  assert.equal(m.lo[3], 9);
  // From the middle of the third iteration (next: insn 5) to the end at full speed.
  assert.equal(m.resume(interpreter, Infinity), ST_EXIT);
  assert.equal(m.lo[0], 99);
  assert.equal(m.insnCount, 7959);
});

test('jumps may land in the middle of an idiom', () => {
  // 3 is the add of `mov r3, r1; add r3, 5`: r3 stays 10 + 5. Executed: 0 1 3 4 5.
  let s = load('mov %r3, 10\nja mid\nmov %r3, %r1\nmid:\nadd %r3, 5\nmov %r0, %r3\nexit');
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.equal(s.m.lo[0], 15);
  assert.equal(s.m.insnCount, 5);
  // 3 is the jne of `mov r0, 7; jne r0, 7`: r0 = 1 is not 7, taken. Executed: 0 1 3 5.
  s = load('mov %r0, 1\nja t\nmov %r0, 7\nt:\njne %r0, 7, done\nmov %r0, 3\ndone:\nexit');
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.equal(s.m.lo[0], 1);
  assert.equal(s.m.insnCount, 4);
});

test('a breakpoint on the second part of an idiom stops there, with the first part done', () => {
  const { m, p } = load(LOOP);
  const st = new Stepper(m, p);
  st.setBreakpoints([3]);
  assert.equal(st.continue(), 'breakpoint');
  assert.equal(m.pc, 3);
  assert.equal(m.insnCount, 3); // 0 1 2
  assert.equal(m.lo[3], 0); // mov r3, r0 done; add r3, 7 not yet
  assert.equal(st.continue(), 'breakpoint');
  assert.equal(m.pc, 3);
  assert.equal(m.insnCount, 11);
  assert.equal(m.lo[0], 1);
  assert.equal(m.lo[3], 1);
  st.setBreakpoints([]);
  assert.equal(st.continue(), 'exited');
  assert.equal(m.lo[0], 99);
});

test('a fault after a fused bounds check names its instruction and counts up to it', () => {
  // data + 20 <= data_end passes on a 30-byte packet; the 4-byte read at data + 28 does not.
  const { m, p } = load(`
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]
    mov %r4, %r2
    add %r4, 20
    jgt %r4, %r3, out
    ldxw %r0, [%r2+28]
  out:
    exit`, undefined, Array(30).fill(1));
  assert.equal(m.run(p, interpreter), ST_FAULT);
  assert.equal(m.fault?.insn, 5);
  assert.deepEqual(m.fault?.access, { address: `pkt+0x${(XDP_PACKET_HEADROOM + 28).toString(16)}`, size: 4, region: 'pkt', op: 'read' });
  assert.equal(m.insnCount, 6);
  assert.equal(m.lo[4], XDP_PACKET_HEADROOM + 20);
});

test('`mov r0, K; exit` in a bpf-to-bpf callee returns to the caller', () => {
  // Executed: 0 (call) 3 4 (callee) 1 2.
  const { m, p } = load('call local f\nadd %r0, 1\nexit\nf:\nmov %r0, 41\nexit');
  assert.equal(m.run(p, interpreter), ST_EXIT);
  assert.equal(m.lo[0], 42);
  assert.equal(m.insnCount, 5);
  assert.equal(m.depth, 0);
});

test('a program past the superinstruction limit (70,001 insns in one run) counts and stops exactly', () => {
  // 23,333 x (mov r1, r0; add r1, 1; mov r0, r1): mov + add pairs that fuse below the limit.
  const asm = `mov %r0, 0\n${'mov %r1, %r0\nadd %r1, 1\nmov %r0, %r1\n'.repeat(23_333)}exit`;
  let s = load(asm);
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.equal(s.m.lo[0], 23_333);
  assert.equal(s.m.insnCount, 1 + 3 * 23_333 + 1);
  s = load(asm, 50_000);
  assert.equal(s.m.run(s.p, interpreter), ST_FAULT);
  assert.equal(s.m.fault?.insn, 50_000);
  assert.equal(s.m.insnCount, 50_000);
  // 1 + 3k insns done: r0 = k after 16,666 triples, and insn 49,999 (a mov r1, r0) ran too.
  assert.equal(s.m.lo[0], 16_666);
  assert.equal(s.m.lo[1], 16_666);
});

test('paired loads through one base: both values, the right fault, ctx pointers, a base the second load overwrites', () => {
  const pkt = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  // second of the pair out of bounds (byte 13 of 13): the first ran, the fault names insn 2
  let s = load('ldxw %r2, [%r1+0]\nldxb %r3, [%r2+11]\nldxb %r4, [%r2+13]\nexit', undefined, pkt);
  assert.equal(s.m.run(s.p, interpreter), ST_FAULT);
  assert.equal(s.m.fault?.insn, 2);
  assert.equal(s.m.lo[3], 21);
  assert.equal(s.m.insnCount, 3);
  // first of the pair out of bounds: nothing of the pair ran
  s = load('ldxw %r2, [%r1+0]\nmov %r4, 7\nldxh %r3, [%r2+12]\nldxh %r4, [%r2+0]\nexit', undefined, pkt);
  assert.equal(s.m.run(s.p, interpreter), ST_FAULT);
  assert.equal(s.m.fault?.insn, 2);
  assert.equal(s.m.lo[4], 7);
  assert.equal(s.m.insnCount, 3);
  // ctx->data_end and ctx->data: full packet pointers; then byte pairs, the second overwriting its base
  s = load('ldxw %r3, [%r1+4]\nldxw %r2, [%r1+0]\nldxb %r6, [%r2+1]\nldxb %r2, [%r2+0]\nexit', undefined, pkt);
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.deepEqual([s.m.hi[3], s.m.lo[3]], [2, XDP_PACKET_HEADROOM + 13]);
  assert.deepEqual([s.m.lo[6], s.m.hi[6], s.m.lo[2], s.m.hi[2]], [11, 0, 10, 0]);
  assert.equal(s.m.insnCount, 5);
  // the same pair from the stack (not the packet): little-endian halves
  s = load('stw [%r10-8], 0x04030201\nldxh %r3, [%r10-8]\nldxh %r4, [%r10-6]\nmov %r0, %r3\nexit');
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.deepEqual([s.m.lo[3], s.m.lo[4]], [0x0201, 0x0403]);
});

test('`rA = rB; rA += rC` reads rC after the move and carries into the high half', () => {
  let s = load('mov %r2, 5\nmov %r3, 7\nmov %r3, %r2\nadd %r3, %r3\nmov %r0, %r3\nexit');
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.equal(s.m.r0(), 10n);
  s = load('lddw %r2, 0xffffffff\nmov %r4, 1\nmov %r3, %r2\nadd %r3, %r4\nmov %r0, %r3\nexit');
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.equal(s.m.r0(), 0x100000000n);
  assert.equal(s.m.insnCount, 6); // the lddw counts once
});

test('the bounds check with the return value set in between: exact stops, and moves that alias its registers', () => {
  const prog = (mid: string): string => `
    mov %r1, 100
    mov %r2, 120
    mov %r3, %r1
    ${mid}
    jgt %r3, %r2, out
    mov %r0, 1
  out:
    exit`;
  const plain = prog('add %r3, 14\nmov %r0, 9');
  let s = load(plain);
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.deepEqual([s.m.lo[0], s.m.insnCount], [1, 8]); // 114 > 120 is false: falls through to r0 = 1
  for (let budget = 1; budget <= 7; budget++) {
    s = load(plain, budget);
    assert.equal(s.m.run(s.p, interpreter), ST_FAULT);
    assert.deepEqual([s.m.fault?.insn, s.m.insnCount], [budget, budget]);
    assert.equal(s.m.lo[0], budget <= 4 ? 0 : budget <= 6 ? 9 : 1, `budget ${budget}: r0`);
    assert.equal(s.m.lo[3], budget <= 2 ? 0 : budget === 3 ? 100 : 114, `budget ${budget}: r3`);
  }
  // rZ is rA: the compare sees 0 (not taken); rZ is rC: it sees the new bound 200 (not taken)
  for (const mid of ['add %r3, 140\nmov %r3, 0', 'add %r3, 30\nmov %r2, 200']) {
    s = load(prog(mid));
    assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
    assert.equal(s.m.lo[0], 1, mid);
  }
  // and taken when it should be: 100 + 30 > 120, r0 stays the 9 set in between
  s = load(prog('add %r3, 30\nmov %r0, 9'));
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.deepEqual([s.m.lo[0], s.m.insnCount], [9, 7]);
});

test('a header field test (load; rZ = K; jeq/jne): packet, stack and faulting loads, aliasing, exact stops', () => {
  const pkt = [0x08, 0x00, 17, 0xaa];
  const prog = (load: string, mid = 'mov %r0, 2', test = 'jne %r3, 17, out') => `
    ldxw %r2, [%r1+0]
    stw [%r10-4], 0x11
    ${load}
    ${mid}
    ${test}
    mov %r0, 1
  out:
    exit`;
  // ip->protocol == 17: falls through to r0 = 1 (7 insns); through the stack, the same
  for (const load of ['ldxb %r3, [%r2+2]', 'ldxb %r3, [%r10-4]']) {
    const s = load1(prog(load));
    assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
    assert.deepEqual([s.m.lo[0], s.m.lo[3], s.m.insnCount], [1, 17, 7], load);
  }
  // a u16 load (little-endian 0x0008) tested with jeq: not equal to 8 << 8, falls through
  let s = load1(prog('ldxh %r3, [%r2+0]', 'mov %r0, 2', 'jeq %r3, 2048, out'));
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.deepEqual([s.m.lo[0], s.m.lo[3]], [1, 8]);
  // the mov overwrites the tested register: 5 != 17, taken, r0 stays 0
  s = load1(prog('ldxb %r3, [%r2+2]', 'mov %r3, 5'));
  assert.equal(s.m.run(s.p, interpreter), ST_EXIT);
  assert.deepEqual([s.m.lo[0], s.m.insnCount], [0, 6]);
  // the load past data_end faults at insn 2, nothing after it ran
  s = load1(prog('ldxw %r3, [%r2+2]'));
  assert.equal(s.m.run(s.p, interpreter), ST_FAULT);
  assert.deepEqual([s.m.fault?.insn, s.m.insnCount, s.m.lo[0]], [2, 3, 0]);
  // budget stops inside the idiom
  for (let budget = 3; budget <= 5; budget++) {
    s = load1(prog('ldxb %r3, [%r2+2]'), budget);
    assert.equal(s.m.run(s.p, interpreter), ST_FAULT);
    assert.deepEqual([s.m.fault?.insn, s.m.insnCount], [budget, budget]);
    assert.deepEqual([s.m.lo[3], s.m.lo[0]], [budget >= 3 ? 17 : 0, budget >= 4 ? 2 : 0]);
  }
  function load1(asm: string, budget?: number) { return load(asm, budget, pkt); }
});

test('a left shift then or/and/shift right on the same register: 64-bit results, the register or-ed with itself', () => {
  const run = (asm: string): bigint => {
    const s = load(`lddw %r4, 0x80000001\nmov %r3, 0x7f\n${asm}\nmov %r0, %r4\nexit`);
    assert.equal(s.m.run(s.p, interpreter), ST_EXIT, asm);
    assert.equal(s.m.insnCount, 6, asm);
    return s.m.r0();
  };
  assert.equal(run('lsh %r4, 8\nor %r4, %r3'), 0x800000017fn);
  assert.equal(run('lsh %r4, 8\nor %r4, %r4'), 0x8000000100n);
  assert.equal(run('lsh %r4, 2\nand %r4, 60'), 4n);
  assert.equal(run('lsh %r4, 32\nrsh %r4, 32'), 0x80000001n);
  assert.equal(run('lsh %r4, 32\narsh %r4, 32'), 0xffffffff80000001n);
  assert.equal(run('lsh %r4, 32\narsh %r4, 60'), 0xfffffffffffffff8n);
});

test('a run that ended by an exception while cut short leaves no stop behind for the next one', () => {
  // A budget of 3 cuts the first run (insns 0-4) after insn 2: a Stop is patched in at insn 3.
  const { m, p } = load(LOOP, 3);
  const budgetFault = m.budgetFault;
  m.budgetFault = () => { throw new Error('thrown where the budget ends'); };
  assert.throws(() => m.run(p, interpreter), /thrown where the budget ends/);
  m.budgetFault = budgetFault;
  m.insnBudget = 1_000_000;
  m.reset(p);
  const seen: number[] = [];
  for (let k = 0; k < 8; k++) { seen.push(m.pc); assert.equal(m.resume(interpreter, 1), ST_STEP); }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(m.resume(interpreter, Infinity), ST_EXIT);
  assert.deepEqual([m.lo[0], m.insnCount], [99, 7959]);
});
