// Seeded mutations of real clang objects through the loader, the verifier and a short run: only
// our typed errors may come out — never another exception, a hang or a huge allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfObjectError, parseElf } from '../../../extension/core/ebpf/elf';
import { UnknownHelperError } from '../../../extension/core/ebpf/helpers';
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
