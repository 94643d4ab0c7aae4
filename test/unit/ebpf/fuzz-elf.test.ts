// Seeded mutations of real clang objects through the loader, the verifier and a short run: only
// our typed errors may come out — never another exception, a hang or a huge allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfObjectError, parseElf } from '../../../extension/core/ebpf/elf';
import { UnknownHelperError } from '../../../extension/core/ebpf/helpers';
import { encodeProgram } from '../../../extension/core/ebpf/isa';
import { loadObject } from '../../../extension/core/ebpf/loader';
import { BpfMapError } from '../../../extension/core/ebpf/maps';
import { BpfObjectInstance, RunError, XdpRunner } from '../../../extension/core/ebpf/runner';
import { verifyProgram } from '../../../extension/core/ebpf/verifier';
import { EXAMPLES, FIXTURES, udp } from '../../fixtures/xdp/harness';

const SEEDS = [
  ...readdirSync(EXAMPLES).filter((f) => f.endsWith('.o')).map((f) => join(EXAMPLES, f)),
  ...readdirSync(FIXTURES).filter((f) => f.endsWith('.o') && f !== 'too_large_loop.o').map((f) => join(FIXTURES, f)),
].map((p) => ({ path: p, bytes: new Uint8Array(readFileSync(p)) }));

/** xorshift32: the same mutations every run. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % n; };
}

const TYPED = [BpfObjectError, BpfMapError, RunError, UnknownHelperError];
const PACKET = udp(53);

/** Interesting places to hit: the ELF header, section headers, and the BTF/relocation/code bytes. */
function regions(bytes: Uint8Array): [number, number][] {
  const out: [number, number][] = [[0, 64]];
  try {
    const elf = parseElf(bytes);
    const shoff = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(40, true));
    out.push([shoff, elf.sections.length * 64]);
    for (const s of elf.sections) if (s.size && s.type !== 8) out.push([s.offset, s.size]);
  } catch { /* the seed is valid; ignore */ }
  return out;
}

function mutate(base: Uint8Array, r: (n: number) => number): Uint8Array {
  const b = base.slice();
  const kind = r(10);
  if (kind === 0) return b.subarray(0, r(b.length)); // truncate
  const regs = regions(base);
  const edits = 1 + r(6);
  for (let i = 0; i < edits; i++) {
    const [off, len] = regs[r(regs.length)];
    const at = off + r(Math.max(1, len));
    if (at >= b.length) continue;
    switch (r(5)) {
      case 0: b[at] ^= 1 << r(8); break;
      case 1: b[at] = r(256); break;
      case 2: for (let k = 0; k < 4 && at + k < b.length; k++) b[at + k] = 0xff; break; // a huge u32
      case 3: for (let k = 0; k < 4 && at + k < b.length; k++) b[at + k] = 0; break;
      default: { const v = r(0x10000); b[at] = v & 0xff; if (at + 1 < b.length) b[at + 1] = v >> 8; }
    }
  }
  return b;
}

test('thousands of mutated objects: only typed errors, no other exception, no hang', () => {
  const r = rng(Number(process.env.FUZZ_SEED ?? 0x5eed1234));
  const started = Date.now();
  const outcomes = { loaded: 0, rejectedAtLoad: 0, verified: 0, ran: 0 };
  let n = 0;
  for (; n < 4000 && Date.now() - started < 12_000; n++) {
    const seed = SEEDS[r(SEEDS.length)];
    const bytes = mutate(seed.bytes, r);
    const where = `mutation ${n} of ${seed.path}`;
    try {
      const obj = loadObject(bytes, { fileName: 'fuzz.o' });
      outcomes.loaded++;
      for (const p of obj.programs) {
        const v = verifyProgram(p, { complexityLimit: 20_000, recordStates: false });
        if (!v.ok) { assert.ok(v.error!.message.length > 0, where); continue; }
        outcomes.verified++;
        if (p.progType !== 'xdp') continue;
        const run = new XdpRunner(new BpfObjectInstance(obj), p.name, { insnBudget: 20_000 }).run(PACKET);
        assert.ok(run.retval !== undefined || run.fault, where);
        outcomes.ran++;
      }
    } catch (e) {
      if (!TYPED.some((T) => e instanceof T)) {
        assert.fail(`${where}: untyped ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack}`);
      }
      assert.ok((e as Error).message.length > 0 && !/NaN|\[object /.test((e as Error).message), `${where}: ${(e as Error).message}`);
      outcomes.rejectedAtLoad++;
    }
  }
  assert.ok(n >= 1000, `only ${n} mutations ran in the time budget`);
  // The mix must exercise every stage, not just the ELF header checks.
  assert.ok(outcomes.rejectedAtLoad > 100 && outcomes.loaded > 100 && outcomes.ran > 50, JSON.stringify(outcomes));
});

test('random bytes and zero-length input are rejected as not ELF', () => {
  const r = rng(42);
  for (let i = 0; i < 200; i++) {
    const b = Uint8Array.from({ length: r(300) }, () => r(256));
    assert.throws(() => loadObject(b), BpfObjectError);
  }
});

test('random instruction streams: the verifier always answers, and what it accepts never faults at run time', (t) => {
  const r = rng(Number(process.env.FUZZ_SEED ?? 0xb0f));
  const maps = [
    { name: 'arr', type: 2, keySize: 4, valueSize: 16, maxEntries: 4, flags: 0, pinning: 0, numaNode: 0, mapExtra: 0, keyTypeId: 0, valueTypeId: 0, origin: '.maps' as const },
    { name: 'h', type: 1, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0, pinning: 0, numaNode: 0, mapExtra: 0, keyTypeId: 0, valueTypeId: 0, origin: '.maps' as const },
  ];
  const reg = () => [0, 2, 4, 5, 6, 7, 8, 9, 1, 3][r(10)];
  const started = Date.now();
  let accepted = 0, ran = 0, n = 0;
  for (; n < 3000 && Date.now() - started < 6000; n++) {
    const len = 8 + r(24);
    // Scalars in the registers clang would have filled, so most programs get past `!read_ok`.
    const out: number[][] = [0, 5, 6, 7, 8, 9].map((d) => [0xb7, d, 0, 0, r(16)]);
    // Most programs start the way clang's do: packet pointers and a checked range.
    if (r(3)) out.push([0x61, 2, 1, 0, 0], [0x61, 3, 1, 4, 0], [0xbf, 4, 2, 0, 0], [0x07, 4, 0, 0, 8 + r(40)], [0x2d, 4, 3, 1, 0], [0x95, 0, 0, 0, 0]);
    while (out.length < len) {
      const left = len - out.length;
      switch (r(14)) {
        case 0: out.push([0xb7, reg(), 0, 0, r(64) - 8]); break; // mov imm
        case 1: out.push([0xbf, reg(), reg(), 0, 0]); break; // mov reg
        case 2: out.push([[0x07, 0x17, 0x57, 0x47, 0x77, 0x67, 0x37, 0x97][r(8)], reg(), 0, 0, r(32)]); break; // alu imm
        case 3: out.push([[0x0f, 0x1f, 0x5f, 0x4f, 0x3f][r(5)], reg(), reg(), 0, 0]); break; // alu reg
        case 4: out.push([[0x71, 0x69, 0x61, 0x79][r(4)], reg(), reg(), r(40) - 8, 0]); break; // ldx
        case 5: out.push([[0x73, 0x6b, 0x63, 0x7b][r(4)], r(2) ? 10 : reg(), reg(), -8 * (1 + r(8)) + r(8), 0]); break; // stx
        case 6: out.push([0x7a, 10, 0, -8 * (1 + r(8)), r(100)]); break; // st imm on the stack
        case 7: out.push([[0x15, 0x55, 0x25, 0xa5, 0x2d, 0xad, 0x65][r(7)], reg(), reg(), r(Math.max(1, Math.min(left, 6))), r(20)]); break; // jumps forward
        case 8: out.push([0x85, 0, 0, 0, [1, 5, 7, 8, 44, 65, 2, 3][r(8)]]); break; // helper call
        case 9: if (left >= 2) out.push([0x18, reg(), 1, 0, r(2)], [0, 0, 0, 0, 0]); break; // lddw map
        case 10: out.push([0xbf, 2, 10, 0, 0], [0x07, 2, 0, 0, -8]); break; // r2 = fp - 8
        case 11: out.push([0x15, 0, 0, 1, 0]); break; // if r0 == 0 skip one
        case 12: out.push([0x05, 0, 0, -(1 + r(3)), 0]); break; // a backward jump (loop)
        default: out.push([0x95, 0, 0, 0, 0]); break;
      }
    }
    out.push([0xb7, 0, 0, 0, 2], [0x95, 0, 0, 0, 0]);
    const insns = encodeProgram(out.map(([code, dst, src, off, imm]) => ({ code, dst, src, off, imm })));
    const prog = { name: 'rnd', section: 'xdp', progType: 'xdp', frags: false, insns, maps, lineInfo: [], funcInfo: [], pieces: [], license: 'GPL' };
    const v = verifyProgram(prog, { complexityLimit: 50_000, recordStates: false });
    assert.ok(v.ok || v.error!.message.length > 0);
    if (!v.ok) continue;
    accepted++;
    const obj = { name: 'rnd', programs: [prog], maps, license: 'GPL', kernVersion: 0, warnings: [] };
    const res = new XdpRunner(new BpfObjectInstance(obj), 'rnd', { engine: 'interpreter', insnBudget: 100_000 }).run(PACKET);
    // Sound verification: an accepted program never touches memory it may not (helpers only fail softly).
    assert.ok(!res.fault || res.fault.kind === 'budget', `program ${n} passed the verifier but faulted: ${res.fault?.message}\n${out.map((x) => x.join(',')).join('\n')}`);
    ran++;
  }
  assert.ok(n >= 500 && accepted >= 50 && ran === accepted, `${n} programs, ${accepted} accepted, ${ran} ran`);
  t.diagnostic(`random programs: ${n}, accepted by the verifier and run: ${accepted}`);
});
