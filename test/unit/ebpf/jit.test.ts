import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../../extension/core/ebpf/asm';
import { parseConformance, runWithMem, testProgram, CONFORMANCE_HELPERS } from '../../../extension/core/ebpf/conformance';
import { interpreter } from '../../../extension/core/ebpf/interpreter';
import { assertSafeSource, compiled, jit, JIT_MAX_INSNS } from '../../../extension/core/ebpf/jit';
import { REGION_CTX, REGION_PACKET, XDP_PACKET_HEADROOM } from '../../../extension/core/ebpf/memory';
import { Machine, ST_EXIT, ST_FAULT, VmMapRef } from '../../../extension/core/ebpf/vm';

const HOSTILE = "x'); globalThis.pwned = 1; (\"`${globalThis.pwned = 2}`";

test('names from the object never reach the generated code: a hostile program and map names inject nothing', () => {
  const value = new Uint8Array(8);
  const map: VmMapRef = { index: 0, type: 2, name: HOSTILE, directValue: () => ({ bytes: value, writable: true }) };
  // r1 = &map value; *(u64 *)(r1 + 0) = 7; r0 = *(u64 *)(r1 + 0); exit
  const insns = Uint8Array.from([
    0x18, 0x21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x7a, 0x01, 0, 0, 7, 0, 0, 0,
    0x79, 0x10, 0, 0, 0, 0, 0, 0,
    0x95, 0, 0, 0, 0, 0, 0, 0,
  ]);
  const m = new Machine({ helpers: new Map([[1, { name: HOSTILE, fn: (vm) => vm.retNumber(1) }]]) });
  const p = m.load({ insns, maps: [map], name: HOSTILE });
  assert.equal(m.run(p, jit), ST_EXIT);
  assert.equal(m.r0(), 7n);
  const src = compiled(p).source;
  assert.ok(!src.includes('pwned') && !/['"`$]/.test(src), 'only numbers and fixed templates');
  assert.equal((globalThis as { pwned?: number }).pwned, undefined);
  // A fault message may name the region (it is data, not code).
  insns[16 + 2] = 8; // store at +8: past the 8-byte value
  const m2 = new Machine();
  assert.equal(m2.run(m2.load({ insns, maps: [map] }), jit), ST_FAULT);
  assert.equal(m2.fault?.access?.region, HOSTILE);
});

test('the source check refuses anything outside the template alphabet', () => {
  assert.doesNotThrow(() => assertSafeSource('r1l = (r1l + -5) | 0; if (r2h >>> 0 > 3) { pc = 4; continue; }'));
  for (const bad of ["a = 'x'", 'a = "x"', 'a = `x`', 'a = $x', 'a = \\u0041', 'a = x@y', 'a = #x']) {
    assert.throws(() => assertSafeSource(bad), /unexpected characters/, bad);
  }
});

test('the compiled function itself runs every fixture to the end (no hand-over to the interpreter)', () => {
  const dir = join(__dirname, 'fixtures');
  let ran = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.data'))) {
    const t = parseConformance(readFileSync(join(dir, f), 'utf8'));
    if (t.result === undefined) continue;
    const m = new Machine({ helpers: CONFORMANCE_HELPERS });
    const p = m.load({ insns: testProgram(t), maps: [] });
    m.packet.load(t.mem ?? new Uint8Array(0));
    m.reset(p);
    if (t.mem) { m.lo[1] = XDP_PACKET_HEADROOM; m.hi[1] = REGION_PACKET; m.lo[2] = t.mem.length; }
    else m.lo[1] = m.hi[1] = 0;
    assert.equal(compiled(p).run(m), ST_EXIT, f);
    assert.equal(m.r0(), t.result, f);
    // and the instruction count equals the interpreter's
    const m2 = new Machine({ helpers: CONFORMANCE_HELPERS });
    runWithMem(m2, m2.load({ insns: testProgram(t), maps: [] }), interpreter, t.mem);
    assert.equal(m.insnCount, m2.insnCount, `${f}: instructions counted`);
    ran++;
  }
  assert.ok(ran >= 10);
});

test('a budget that runs out inside a block faults at the same instruction as the interpreter', () => {
  const insns = assemble('mov %r0, 0\nl:\nadd %r0, 1\nadd %r0, 2\nadd %r0, 3\nja l\nexit').insns;
  for (const budget of [1, 2, 5, 6, 7, 100, 1001]) {
    const r = [interpreter, jit].map((engine) => {
      const m = new Machine({ insnBudget: budget });
      const st = m.run(m.load({ insns, maps: [] }), engine);
      return { st, pc: m.fault?.insn, r0: m.r0(), count: m.insnCount };
    });
    assert.deepEqual(r[1], r[0], `budget ${budget}`);
    assert.equal(r[0].st, ST_FAULT);
  }
  // A single-block loop keeps the straight-line layout: no dispatch switch.
  assert.doesNotMatch(compiled(new Machine().load({ insns, maps: [] })).source, /switch \(pc\)/);
});

test('resuming in the middle of a block (after single steps) continues correctly on the JIT', () => {
  const insns = assemble('mov %r0, 1\nadd %r0, 2\nlsh %r0, 4\nadd %r0, 5\nexit').insns;
  const m = new Machine();
  const p = m.load({ insns, maps: [] });
  m.reset(p);
  m.resume(jit, 2); // two single steps: pc = 2, mid-block
  assert.equal(m.pc, 2);
  assert.equal(m.resume(jit, Infinity), ST_EXIT);
  assert.equal(m.r0(), ((1n + 2n) << 4n) + 5n);
});

test('very long programs (beyond JIT_MAX_INSNS) run on the interpreter instead of generating huge code', () => {
  const n = JIT_MAX_INSNS + 10;
  const insns = new Uint8Array(n * 8);
  for (let i = 0; i < n - 1; i++) insns.set([0x07, 0, 0, 0, 1, 0, 0, 0], i * 8); // r0 += 1
  insns.set([0x95, 0, 0, 0, 0, 0, 0, 0], (n - 1) * 8);
  const m = new Machine();
  const p = m.load({ insns, maps: [] });
  assert.equal(m.run(p, jit), ST_EXIT);
  assert.equal(m.r0(), BigInt(n - 1));
  assert.equal(p.jit, undefined, 'nothing was compiled');
});

test('many helper calls compile in linear time', () => {
  const n = 20000;
  const insns = new Uint8Array(n * 8);
  for (let i = 0; i < n - 1; i++) insns.set([0x85, 0, 0, 0, 1, 0, 0, 0], i * 8);
  insns.set([0x95, 0, 0, 0, 0, 0, 0, 0], (n - 1) * 8);
  let calls = 0;
  const m = new Machine({ helpers: new Map([[1, { name: 'count', fn: (vm) => vm.retNumber(++calls) }]]) });
  const p = m.load({ insns, maps: [] });
  assert.equal(m.run(p, jit), ST_EXIT);
  assert.equal(m.r0(), BigInt(n - 1));
  assert.ok(typeof p.jit === 'object');
});

test('grouped packet loads: one check for the group, exact per-load faults when it fails', () => {
  // Three loads through r2 in one block; on a 14-byte packet the third (bytes 12..15) is out of bounds.
  const src = 'ldxw %r2, [%r1+0]\nldxb %r3, [%r2+0]\nldxh %r4, [%r2+4]\nldxw %r5, [%r2+12]\nmov %r0, %r3\nadd %r0, %r4\nexit';
  const insns = assemble(src).insns;
  for (const len of [16, 14]) {
    const r = [interpreter, jit].map((engine) => {
      const m = new Machine();
      m.packet.load(Uint8Array.from({ length: len }, (_, i) => i + 1));
      const st = m.run(m.load({ insns, maps: [] }), engine);
      return { st, fault: m.fault, r0: m.r0(), r3: st === ST_FAULT ? m.lo[3] : 0, r4: st === ST_FAULT ? m.lo[4] : 0, count: m.insnCount };
    });
    assert.deepEqual(r[1], r[0], `packet of ${len}`);
    if (len === 16) { assert.equal(r[0].st, ST_EXIT); assert.equal(r[0].r0, 1n + (5n | (6n << 8n))); }
    else { assert.equal(r[0].fault?.insn, 3); assert.equal(r[0].r3, 1); assert.equal(r[0].r4, 5 | (6 << 8)); }
  }
  assert.match(compiled(new Machine().load({ insns, maps: [] })).source, /gok2 = 1/, 'the loads were grouped');
});

test('compiled code is bound to the machine that loaded the program: another machine runs it on the interpreter, on its own packet', () => {
  // r0 = first packet byte
  const insns = assemble('ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r0, 0\nmov %r4, %r2\nadd %r4, 1\njgt %r4, %r3, out\nldxb %r0, [%r2+0]\nout:\nexit').insns;
  const a = new Machine(), b = new Machine();
  a.packet.load(Uint8Array.of(7, 1, 2));
  b.packet.load(Uint8Array.of(42, 1, 2));
  const p = a.load({ insns, maps: [] });
  assert.equal(a.run(p, jit), ST_EXIT);
  assert.equal(a.r0(), 7n);
  assert.equal(b.run(p, jit), ST_EXIT);
  assert.equal(b.r0(), 42n, "b's packet, not the one the code was compiled against");
  assert.equal(b.insnCount, 8);
  // The fixed regions' bytes never change under compiled code, and no window reaches past a
  // region's bytes (compiled code reads hinted regions through DataViews, which would throw).
  assert.throws(() => a.memory.setRegionBytes(REGION_PACKET, new Uint8Array(8), true), /fixed/);
  assert.throws(() => a.memory.setWindows(REGION_PACKET, 0, 4097, 0, 0), /do not fit the 4096 bytes of region 2 \(pkt\)/);
  assert.throws(() => a.memory.setWindows(REGION_PACKET, -1, 10, 0, 0), /do not fit/);
});

test('a fresh start whose budget is shorter than the program hands over to the interpreter with the fresh registers', () => {
  const insns = assemble('mov %r0, %r10\nadd %r0, %r1\nmov %r2, 5\nadd %r0, %r2\nexit').insns;
  const r = [interpreter, jit].map((engine) => {
    const m = new Machine({ insnBudget: 3 });
    m.lo.fill(-1); m.hi.fill(-1); // what a previous run left behind
    const st = m.run(m.load({ insns, maps: [] }), engine);
    return { st, fault: m.fault, lo: Array.from(m.lo), hi: Array.from(m.hi), count: m.insnCount };
  });
  assert.deepEqual(r[1], r[0]);
  assert.equal(r[0].st, ST_FAULT);
  assert.equal(r[0].fault?.insn, 3);
  // r0 = r10 + r1 as 64-bit pointer halves: (STACK, 4096) + (CTX, 0)
  assert.equal(r[0].lo[0], 4096);
  assert.equal(r[0].lo[2], 5);
});

/** Runs `asm` on both engines through Machine.run, `runs` times on one machine each. */
function bothEngines(asm: string, packet: Uint8Array, runs = 2, prepare?: (m: Machine) => void) {
  const insns = assemble(asm).insns;
  return [interpreter, jit].map((engine) => {
    const m = new Machine();
    m.packet.load(packet);
    const p = m.load({ insns, maps: [] });
    const results = [];
    for (let i = 0; i < runs; i++) {
      prepare?.(m);
      const st = m.run(p, engine);
      results.push({ st, r0: st === ST_EXIT ? m.r0() : undefined, fault: m.fault?.message, count: m.insnCount });
    }
    return { results, p };
  });
}

test('a 64-bit add whose carry the compiler did not expect leaves for the interpreter, and the program is compiled again without facts', () => {
  // r0 = (u32 from the packet) + 0x7fffffff: carries into the high half only for big packet words.
  const asm = 'ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r0, %r2\nadd %r0, 4\njgt %r0, %r3, out\nldxw %r0, [%r2+0]\nadd %r0, 0x7fffffff\nout:\nexit';
  const small = bothEngines(asm, Uint8Array.of(1, 0, 0, 0));
  assert.deepEqual(small[1].results, small[0].results);
  assert.equal(small[0].results[0].r0, 0x80000000n);
  assert.equal(compiled(small[1].p).speculative, true, 'no guard fired');
  const big = bothEngines(asm, Uint8Array.of(0xff, 0xff, 0xff, 0xff));
  assert.deepEqual(big[1].results, big[0].results);
  assert.equal(big[0].results[0].r0, 0xffffffffn + 0x7fffffffn); // 0x1_7ffffffe: the carry reached the high half
  assert.equal(compiled(big[1].p).speculative, false, 'recompiled without facts after the guard fired');
});

test('pointer arithmetic keeps its region: negative offsets from r10 and the packet pointers stay speculated', () => {
  const asm = [
    'ldxw %r2, [%r1+0]', 'ldxw %r3, [%r1+4]', 'mov %r4, %r2', 'add %r4, 16', 'mov %r0, 0', 'jgt %r4, %r3, out',
    'add %r4, -2', 'ldxh %r5, [%r4+0]', // bytes 14..15 of the packet
    'mov %r6, %r10', 'add %r6, -8', 'stxdw [%r6+0], %r5', 'ldxdw %r0, [%r10-8]',
    'mov %r7, %r3', 'sub %r7, %r2', 'add %r0, %r7', // + packet length
    'out:', 'exit',
  ].join('\n');
  const packet = Uint8Array.from({ length: 20 }, (_, i) => i);
  const r = bothEngines(asm, packet);
  assert.deepEqual(r[1].results, r[0].results);
  assert.equal(r[0].results[0].r0, BigInt(14 | (15 << 8)) + 20n);
  assert.equal(compiled(r[1].p).speculative, true, 'no guard fired');
});

test('a ctx->data that is not a packet offset below 2^31 leaves for the interpreter after the load, with the same fault', () => {
  const asm = 'ldxw %r2, [%r1+0]\nldxb %r0, [%r2+0]\nexit';
  const corrupt = (m: Machine): void => { m.memory.bytes[REGION_CTX].set([0, 0, 0, 0x80], 0); }; // data = 0x80000000
  const r = bothEngines(asm, Uint8Array.of(5, 6), 1, corrupt);
  assert.deepEqual(r[1].results, r[0].results);
  assert.match(r[0].results[0].fault ?? '', /invalid read of 1 byte at pkt\+0x80000000/);
  assert.equal(compiled(r[1].p).speculative, false);
});

test('a region hint that is wrong on some path leaves for the interpreter there and gives the same results', () => {
  // The linear hint pass sees r2 = r10 - 8 (stack) last; when the packet's first byte is 0 the
  // jump skips it and r2 is the packet pointer: the stack hint fails, the access is still valid.
  const asm = [
    'ldxw %r2, [%r1+0]', 'ldxw %r3, [%r1+4]', 'mov %r4, %r2', 'add %r4, 8', 'mov %r0, 0', 'jgt %r4, %r3, out',
    'ldxb %r5, [%r2+0]', 'stdw [%r10-8], 77', 'jeq %r5, 0, skip', 'mov %r2, %r10', 'add %r2, -8', 'skip:',
    'ldxdw %r0, [%r2+0]', 'out:', 'exit',
  ].join('\n');
  for (const first of [1, 0]) {
    const packet = Uint8Array.of(first, 2, 3, 4, 5, 6, 7, 8);
    const r = bothEngines(asm, packet, 3);
    assert.deepEqual(r[1].results, r[0].results, `first byte ${first}`);
    const want = first ? 77n : BigInt('0x0807060504030200');
    assert.equal(r[0].results[0].r0, want);
    assert.equal(compiled(r[1].p).speculative, first === 1, first ? 'hint right: facts kept' : 'hint wrong: compiled again without facts');
  }
});

test('a guard that fires inside a single-block loop hands the rest of the loop to the interpreter exactly', () => {
  // r0 += 0x40000000 ten times: the low half carries on the 4th and 8th round.
  const asm = 'mov %r0, 0\nmov %r1, 0\nl:\nadd %r0, 0x40000000\nadd %r1, 1\njlt %r1, 10, l\nexit';
  const r = bothEngines(asm, new Uint8Array(0), 2);
  assert.deepEqual(r[1].results, r[0].results);
  assert.equal(r[0].results[0].r0, 10n * 0x40000000n);
  assert.equal(r[0].results[0].count, 2 + 3 * 10 + 1);
  assert.equal(compiled(r[1].p).speculative, false);
});

test('programs with thousands of branches compile (flat layout past the nesting limit) and agree with the interpreter', () => {
  // 3000 x `jeq r1, 0, +0`, then r0 = 7: every jump makes a block; the straight-line layout would
  // nest 3000 labelled blocks, deeper than V8's parser goes.
  const k = 3000, insns = new Uint8Array((k + 2) * 8);
  for (let i = 0; i < k; i++) insns.set([0x15, 1, 0, 0, 0, 0, 0, 0], i * 8);
  insns.set([0xb7, 0, 0, 0, 7, 0, 0, 0], k * 8); insns.set([0x95, 0, 0, 0, 0, 0, 0, 0], (k + 1) * 8);
  const r = [interpreter, jit].map((engine) => {
    const m = new Machine();
    const st = m.run(m.load({ insns, maps: [] }), engine);
    return { st, r0: m.r0(), count: m.insnCount };
  });
  assert.deepEqual(r[1], r[0]);
  assert.deepEqual(r[0], { st: ST_EXIT, r0: 7n, count: k + 2 });
  assert.match(compiled(new Machine().load({ insns, maps: [] })).source, /switch \(pc\)/);
});
