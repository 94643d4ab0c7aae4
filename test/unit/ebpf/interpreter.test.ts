import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../../extension/core/ebpf/asm';
import { runConformance } from '../../../extension/core/ebpf/conformance';
import { interpreter, Stepper } from '../../../extension/core/ebpf/interpreter';
import { jit } from '../../../extension/core/ebpf/jit';
import { REGION_PACKET, REGION_STACK, STACK_SIZE, XDP_PACKET_HEADROOM } from '../../../extension/core/ebpf/memory';
import { HelperDef, HelperTable, Machine, ST_EXIT, ST_FAULT, VmEngine, VmLoadError, VmMapRef } from '../../../extension/core/ebpf/vm';

const fixtures = join(__dirname, 'fixtures');
const engines: VmEngine[] = [interpreter, jit];

for (const engine of engines) {
  test(`hand-computed .data fixtures pass on the ${engine.name}`, () => {
    const files = readdirSync(fixtures).filter((f) => f.endsWith('.data'));
    assert.ok(files.length >= 10);
    for (const f of files) {
      const r = runConformance(readFileSync(join(fixtures, f), 'utf8'), engine);
      assert.ok(r.pass, `${f}: ${r.why}`);
    }
  });
}

/** Loads `asm` on a fresh machine with `packet` as the XDP frame. */
function setup(asm: string, opts: { packet?: number[]; helpers?: HelperTable; budget?: number; maps?: VmMapRef[] } = {}) {
  const m = new Machine({ helpers: opts.helpers, insnBudget: opts.budget });
  m.packet.load(Uint8Array.from(opts.packet ?? []));
  const p = m.load({ insns: assemble(asm).insns, maps: opts.maps ?? [] });
  return { m, p };
}

for (const engine of engines) {
  test(`${engine.name}: an out-of-bounds packet read is a fault record naming insn, address, size, region`, () => {
    // data/data_end come from ctx as full packet pointers; reading 4 bytes at data+12 of a
    // 14-byte packet crosses data_end.
    const { m, p } = setup(`
      ldxw %r2, [%r1+0]
      ldxw %r3, [%r1+4]
      mov %r0, 2
      ldxw %r4, [%r2+12]
      exit`, { packet: [...Array(14).keys()] });
    assert.equal(m.run(p, engine), ST_FAULT);
    assert.deepEqual(m.fault, {
      kind: 'memory', insn: 3,
      access: { address: `pkt+0x${(XDP_PACKET_HEADROOM + 12).toString(16)}`, size: 4, region: 'pkt', op: 'read' },
      message: `invalid read of 4 bytes at pkt+0x10c (outside the accessible part of pkt) at insn 3`,
    });
  });

  test(`${engine.name}: NULL and scalar dereferences are faults in "no region"; ctx is read-only`, () => {
    let s = setup('mov %r2, 0\nldxb %r0, [%r2+0]\nexit');
    assert.equal(s.m.run(s.p, engine), ST_FAULT);
    assert.equal(s.m.fault?.access?.region, 'no region');
    assert.equal(s.m.fault?.insn, 1);
    s = setup('mov %r0, 0\nstw [%r1+0], 5\nexit');
    assert.equal(s.m.run(s.p, engine), ST_FAULT);
    assert.deepEqual(s.m.fault?.access, { address: 'ctx+0x0', size: 4, region: 'ctx', op: 'write' });
    // stack below the 8 frames
    s = setup(`mov %r2, %r10\nsub %r2, ${STACK_SIZE + 8}\nstdw [%r2+0], 1\nexit`);
    assert.equal(s.m.run(s.p, engine), ST_FAULT);
    assert.equal(s.m.fault?.access?.op, 'write');
  });

  test(`${engine.name}: ctx fields become packet pointers; the program sees data_end - data`, () => {
    const { m, p } = setup('ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r0, %r3\nsub %r0, %r2\nexit', { packet: Array(60).fill(0xab) });
    m.reset(p); // reset + resume keeps every register after exit (Machine.run keeps only r0)
    assert.equal(m.resume(engine, Infinity), ST_EXIT);
    assert.equal(m.r0(), 60n);
    assert.equal(m.hi[2], REGION_PACKET);
    assert.equal(m.lo[2], XDP_PACKET_HEADROOM);
  });

  test(`${engine.name}: the instruction budget stops an endless loop with a clear error`, () => {
    const { m, p } = setup('mov %r0, 0\nl:\nadd %r0, 1\nja l\nexit', { budget: 10_001 });
    assert.equal(m.run(p, engine), ST_FAULT);
    assert.equal(m.fault?.kind, 'budget');
    assert.match(m.fault!.message, /instruction budget of 10001 exhausted at insn \d/);
    // 1 mov + 5000 (add, ja) pairs = 10001 instructions: r0 counted exactly 5000 adds.
    assert.equal(m.r0(), 5000n);
    assert.equal(m.insnCount, 10_001);
  });

  test(`${engine.name}: bpf-to-bpf calls deeper than 8 frames fault`, () => {
    // f calls itself forever: frames 1..7 succeed, the 8th call faults.
    const { m, p } = setup('call local f\nexit\nf:\ncall local f\nexit');
    assert.equal(m.run(p, engine), ST_FAULT);
    assert.equal(m.fault?.kind, 'call-depth');
    assert.equal(m.fault?.insn, 2);
    assert.equal(m.depth, 7);
  });

  test(`${engine.name}: helpers read r1-r5, write r0, may stop the program or tail-call`, () => {
    const target = { insns: assemble('mov %r0, 77\nexit').insns, maps: [], name: 'target' };
    const helpers: HelperTable = new Map<number, HelperDef>([
      [1, { name: 'sum', fn: (vm) => vm.retNumber(vm.argNumber(1) + vm.argNumber(2) + vm.argNumber(5)) }],
      [2, { name: 'neg', fn: (vm) => vm.retNumber(-22) }],
      [3, { name: 'stop', fn: (vm) => vm.stop(9, 0) }],
      [4, { name: 'tail', fn: (vm) => { if (!vm.tailCall(target)) vm.retNumber(-1); } }],
      [6, { name: 'throws', fn: () => { throw new Error('boom'); } }],
    ]);
    let s = setup('mov %r1, 1\nmov %r2, 2\nmov %r5, 40\ncall 1\nexit', { helpers });
    assert.equal(s.m.run(s.p, engine), ST_EXIT); assert.equal(s.m.r0(), 43n);
    s = setup('call 2\nexit', { helpers });
    s.m.run(s.p, engine); assert.equal(s.m.r0(), 2n ** 64n - 22n);
    s = setup('call local f\nmov %r0, 1\nexit\nf:\ncall 3\nmov %r0, 2\nexit', { helpers });
    assert.equal(s.m.run(s.p, engine), ST_EXIT); assert.equal(s.m.r0(), 9n);
    s = setup('call 4\nmov %r0, 5\nexit', { helpers });
    assert.equal(s.m.run(s.p, engine), ST_EXIT); assert.equal(s.m.r0(), 77n);
    s = setup('call 6\nexit', { helpers });
    assert.equal(s.m.run(s.p, engine), ST_FAULT);
    assert.match(s.m.fault!.message, /helper threw at insn 0: boom/);
  });

  test(`${engine.name}: tail calls stop at the kernel's limit of 33`, () => {
    // The program tail-calls itself; after 33 tail calls the helper fails and r0 = the count.
    const prog = { insns: new Uint8Array(0), maps: [] as VmMapRef[] };
    let calls = 0;
    const helpers: HelperTable = new Map<number, HelperDef>([[12, { name: 'tail', fn: (vm) => { if (vm.tailCall(prog)) calls++; else vm.retNumber(calls); } }]]);
    (prog as { insns: Uint8Array }).insns = assemble('call 12\nexit').insns;
    const m = new Machine({ helpers });
    const p = m.load(prog);
    assert.equal(m.run(p, engine), ST_EXIT);
    assert.equal(m.r0(), 33n);
  });
}

test('the loader rejects unknown helpers and bad map numbers, naming the instruction', () => {
  assert.throws(() => setup('mov %r0, 0\ncall 9999\nexit'), (e: unknown) => e instanceof VmLoadError && e.insn === 1 && /invalid func unknown#9999 at insn 1/.test(e.message));
  const prog = new Uint8Array(24);
  prog.set([0x18, 0x11, 0, 0, 3, 0, 0, 0], 0); // lddw r1, map 3 (src_reg 1)
  prog.set([0x95], 16);
  assert.throws(() => new Machine().load({ insns: prog, maps: [] }), /names map 3, but the program has 0/);
  assert.throws(() => new Machine().load({ insns: new Uint8Array(12), maps: [] }), /not a multiple of 8/);
  assert.throws(() => new Machine().load({ insns: Uint8Array.from([0x05, 0, 5, 0, 0, 0, 0, 0]), maps: [] }), /jump out of range from insn 0 to 6/);
});

test('map handles and direct value access (src_reg 1 and 2) resolve to map regions', () => {
  const value = new Uint8Array(16);
  const data: VmMapRef = { index: 0, type: 2, name: 'xdp.data', directValue: () => ({ bytes: value, writable: true }) };
  const ro: VmMapRef = { index: 1, type: 2, name: 'xdp.rodata', directValue: () => ({ bytes: Uint8Array.from([5, 0, 0, 0]), writable: false }) };
  const seen: (VmMapRef | undefined)[] = [];
  const helpers: HelperTable = new Map<number, HelperDef>([[1, { name: 'lookup', fn: (vm) => { seen.push(vm.mapArg(1)); vm.retNumber(0); } }]]);
  const insns = new Uint8Array(8 * 10);
  let k = 0;
  const put = (b: number[]): void => { insns.set(b, k * 8); k++; };
  put([0x18, 0x21, 0, 0, 0, 0, 0, 0]); put([0, 0, 0, 0, 8, 0, 0, 0]); // r1 = &data + 8
  put([0x62, 0x01, 0, 0, 42, 0, 0, 0]); // *(u32 *)(r1 + 0) = 42
  put([0x18, 0x22, 0, 0, 1, 0, 0, 0]); put([0, 0, 0, 0, 0, 0, 0, 0]); // r2 = &rodata
  put([0x61, 0x20, 0, 0, 0, 0, 0, 0]); // r0 = *(u32 *)(r2 + 0)
  put([0x18, 0x11, 0, 0, 1, 0, 0, 0]); put([0, 0, 0, 0, 0, 0, 0, 0]); // r1 = map 1
  put([0x85, 0, 0, 0, 1, 0, 0, 0]); // call 1 (r0 = 0)
  put([0x95, 0, 0, 0, 0, 0, 0, 0]);
  for (const engine of engines) {
    const m = new Machine({ helpers });
    const p = m.load({ insns, maps: [data, ro] });
    assert.equal(m.run(p, engine), ST_EXIT, m.fault?.message);
    assert.equal(value[8], 42);
    assert.equal(seen.pop(), ro);
    // rodata is read-only
    const bad = new Uint8Array(insns);
    bad.set([0x62, 0x02, 0, 0, 1, 0, 0, 0], 5 * 8); // *(u32 *)(r2 + 0) = 1
    const m2 = new Machine({ helpers });
    assert.equal(m2.run(m2.load({ insns: bad, maps: [data, ro] }), engine), ST_FAULT);
    assert.deepEqual(m2.fault?.access, { address: 'xdp.rodata+0x0', size: 4, region: 'xdp.rodata', op: 'write' });
  }
});

test('single-stepping, breakpoints and stepping back restore registers and memory exactly', () => {
  const { m, p } = setup(`
    mov %r0, 1
    stdw [%r10-8], 0x55
    lsh %r0, 3
    ldxdw %r2, [%r10-8]
    add %r0, %r2
    exit`);
  const s = new Stepper(m, p);
  assert.equal(s.step(), 'stepped'); assert.equal(m.pc, 1); assert.equal(m.r0(), 1n);
  assert.equal(s.step(), 'stepped');
  const stack = m.memory.bytes[REGION_STACK];
  assert.equal(stack[STACK_SIZE - 8], 0x55);
  assert.ok(s.stepBack());
  assert.equal(stack[STACK_SIZE - 8], 0, 'the store is undone');
  assert.equal(m.pc, 1);
  s.setBreakpoints([4]);
  assert.equal(s.continue(), 'breakpoint');
  assert.equal(m.pc, 4);
  assert.equal(m.lo[0], 8);
  assert.equal(s.continue(), 'exited');
  assert.equal(m.r0(), 8n + 0x55n);
  // Fresh run, step to the end, then all the way back to the start.
  const t = new Stepper(m, p);
  while (t.step() === 'stepped');
  assert.equal(m.r0(), 0x5dn);
  let back = 0;
  while (t.stepBack()) back++;
  assert.equal(back, 6);
  assert.equal(m.pc, 0);
  assert.equal(m.lo[0], 0);
  // Memory is back to what it was when t started: the first run's store (the stack is not
  // cleared between runs, as in the kernel; the verifier forbids reading it uninitialised).
  assert.equal(stack[STACK_SIZE - 8], 0x55);
  assert.equal(t.stepBack(), false);
});

test('legacy packet loads (LD_ABS/LD_IND) read big-endian from packet data; out of bounds ends with r0 = 0', () => {
  // r6 = 2; r0 = ntohs(*(u16 *)(data + 12)) ; r7 = r0 ; r0 = *(u8 *)(data + r6 + 1) ; r0 += r7 ; exit
  const insns = Uint8Array.from([
    0xb7, 0x06, 0, 0, 2, 0, 0, 0,
    0x28, 0, 0, 0, 12, 0, 0, 0,
    0xbf, 0x07, 0, 0, 0, 0, 0, 0,
    0x50, 0x60, 0, 0, 1, 0, 0, 0,
    0x0f, 0x70, 0, 0, 0, 0, 0, 0,
    0x95, 0, 0, 0, 0, 0, 0, 0,
  ]);
  const packet = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
  packet[12] = 0x86; packet[13] = 0xdd;
  for (const engine of engines) {
    const m = new Machine();
    m.packet.load(packet);
    assert.equal(m.run(m.load({ insns, maps: [] }), engine), ST_EXIT);
    assert.equal(m.r0(), 0x86ddn + 4n); // byte at offset 3 is 4
    const oob = new Uint8Array(insns);
    oob[8 + 4] = 19; // u16 at 19..20 of a 20-byte packet: out of bounds
    const m2 = new Machine();
    m2.packet.load(packet);
    m2.lo[0] = 5;
    assert.equal(m2.run(m2.load({ insns: oob, maps: [] }), engine), ST_EXIT);
    assert.equal(m2.r0(), 0n);
    assert.equal(m2.insnCount, 2);
  }
});
