// Random instruction streams never make the VM throw or hang: loading either accepts the program
// or throws a VmLoadError naming an instruction; running ends in exit or a fault record, within
// the budget, identically on the interpreter and the JIT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { interpreter } from '../../../extension/core/ebpf/interpreter';
import { jit } from '../../../extension/core/ebpf/jit';
import { HelperDef, Machine, SeededEnv, ST_EXIT, ST_FAULT, VmLoadError } from '../../../extension/core/ebpf/vm';
import { runConformance } from '../../../extension/core/ebpf/conformance';

/** Opcodes that exist, so that a good share of the streams get past the loader. */
const VALID = [
  0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd7,
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x94, 0x9c, 0xa4, 0xac, 0xb4, 0xbc, 0xc4, 0xcc, 0xd4, 0xdc,
  0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb,
  0x05, 0x06, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd,
  0x16, 0x1e, 0x26, 0x2e, 0x36, 0x3e, 0x46, 0x4e, 0x56, 0x5e, 0x66, 0x6e, 0x76, 0x7e, 0xa6, 0xae, 0xb6, 0xbe, 0xc6, 0xce, 0xd6, 0xde,
  0x85, 0x8d, 0x95, 0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50,
];

test('random instruction streams: clean load errors or clean results, same on both engines', () => {
  const env = new SeededEnv(9669);
  const rnd = (): number => env.random();
  const helpers = new Map<number, HelperDef>([[1, { name: 'h1', fn: (vm) => vm.retNumber(vm.argNumber(1) & 0xffff) }]]);
  let loaded = 0, rejected = 0, faults = 0, exits = 0;
  for (let n = 0; n < 8000; n++) {
    const len = 1 + (rnd() % 24);
    const bytes = new Uint8Array(len * 8);
    for (let i = 0; i < len; i++) {
      const o = i * 8;
      const code = (rnd() % 10) !== 0 ? VALID[rnd() % VALID.length] : rnd() & 0xff;
      let dst = rnd() % 11, src = rnd() % 11;
      let off = (rnd() % 3) === 0 ? rnd() << 16 >> 16 : (rnd() % (2 * len + 1)) - len;
      let imm = (rnd() % 3) === 0 ? rnd() | 0 : [0, 1, 8, 16, 32, 64, -1, 0xe1, 0xf1, 0x41][rnd() % 10];
      if ((rnd() % 6) !== 0) {
        // mostly well-formed: zero the fields the class reserves, keep targets in range
        const cls = code & 7, x = (code & 8) !== 0;
        if (cls === 4 || cls === 7) {
          if (dst === 10) dst = 0;
          off = (code & 0xf0) === 0x30 || (code & 0xf0) === 0x90 ? off & 1 : (code & 0xf0) === 0xb0 && x ? [0, 8, 16][rnd() % 3] : 0;
          if (x) imm = 0; else src = 0;
          if ((code & 0xf0) === 0xd0) { imm = [16, 32, 64][rnd() % 3]; src = 0; }
          if ((code & 0xf0) === 0x80) { imm = 0; src = 0; }
        } else if (cls === 5 || cls === 6) {
          off = (rnd() % (len + 1)) - i - 1 + (rnd() % 2);
          if (code === 0x06) { imm = off; off = 0; dst = 0; src = 0; } else if (code === 0x05) { imm = 0; dst = 0; src = 0; }
          else if (code === 0x85) { dst = 0; off = 0; src = rnd() % 2; imm = src === 1 ? (rnd() % len) - i - 1 : 1; }
          else if (code === 0x8d) { src = 0; off = 0; imm = 0; }
          else if (code === 0x95) { dst = 0; src = 0; off = 0; imm = 0; }
          else if (x) imm = 0; else src = 0;
        } else if (cls === 1) { imm = 0; if (dst === 10) dst = 0; if (rnd() & 1) src = 10; off = (rnd() % 64) - 40; }
        else if (cls === 2) { src = 0; dst = rnd() & 1 ? 10 : dst; off = -(rnd() % 64); }
        else if (cls === 3 && code < 0xc0) { imm = 0; dst = rnd() & 1 ? 10 : dst; off = -(rnd() % 64); }
        else if (cls === 3) { dst = 10; off = -8 * (1 + (rnd() % 4)); imm = [0, 1, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1][rnd() % 10]; }
      }
      bytes[o] = code;
      bytes[o + 1] = (rnd() % 16) === 0 ? rnd() & 0xff : dst | (src << 4);
      bytes[o + 2] = off; bytes[o + 3] = off >> 8;
      bytes[o + 4] = imm; bytes[o + 5] = imm >> 8; bytes[o + 6] = imm >> 16; bytes[o + 7] = imm >>> 24;
    }
    if ((rnd() & 1) === 1) bytes.set([0x95, 0, 0, 0, 0, 0, 0, 0], (len - 1) * 8);
    const results = [interpreter, jit].map((engine) => {
      const m = new Machine({ helpers, insnBudget: 5000 });
      m.packet.load(new Uint8Array(40).fill(n & 0xff));
      let p;
      try {
        p = m.load({ insns: bytes, maps: [] });
      } catch (e) {
        assert.ok(e instanceof VmLoadError, `program ${n}: a load failure is a VmLoadError, got ${String(e)}`);
        assert.match(e.message, /insn \d+|program|multiple of 8/);
        return { rejected: e.message };
      }
      const st = m.run(p, engine);
      assert.ok(st === ST_EXIT || st === ST_FAULT, `program ${n}: status ${st}`);
      if (st === ST_FAULT) {
        assert.ok(m.fault && m.fault.insn >= 0 && m.fault.message.length > 0);
        assert.ok(m.insnCount <= 5000 + 64);
      }
      const regs = st === ST_EXIT ? 1 : 11; // after an exit only r0 is defined (VmEngine.start)
      return { st, lo: Array.from(m.lo.subarray(0, regs)), hi: Array.from(m.hi.subarray(0, regs)), fault: m.fault?.message, count: m.insnCount };
    });
    assert.ok(isDeepStrictEqual(results[0], results[1]), `program ${n}: ${JSON.stringify(results)}\nhex ${Buffer.from(bytes).toString("hex")}`);
    const r = results[0];
    if ('rejected' in r) rejected++; else { loaded++; if (r.st === ST_EXIT) exits++; else faults++; }
  }
  assert.ok(loaded > 300 && rejected > 300 && exits > 100 && faults > 100, JSON.stringify({ loaded, rejected, exits, faults }));
});

test('truncated and odd-sized programs are load errors, not exceptions', () => {
  for (let size = 0; size < 40; size++) {
    const m = new Machine();
    const bytes = new Uint8Array(size).fill(0x18);
    assert.throws(() => m.load({ insns: bytes, maps: [] }), VmLoadError);
  }
});

test('random .data files: a verdict with a reason, never an exception', () => {
  const pieces = ['-- asm', '-- mem', '-- raw', '-- result', '-- error', '-- c', '-- bogus', '# x', 'mov %r0, 1', 'exit', 'ldxw %r0, [%r1+2]',
    'ja -1', 'call 5', 'call %r1', 'aa bb', 'zz', '0x95', '0x5566778800000018', '18446744073709551616', '95 00 00 00 00 00 00 00',
    '0x1', '7', '', 'lddw %r0, 0x1', 'jeq %r0, 1, +0', 'mov %r1, -1'];
  const env = new SeededEnv(42);
  for (let n = 0; n < 3000; n++) {
    const text = Array.from({ length: 1 + (env.random() % 9) }, () => pieces[env.random() % pieces.length]).join('\n');
    for (const engine of [interpreter, jit]) {
      const r = runConformance(text, engine);
      assert.equal(typeof r.pass, 'boolean');
      if (!r.pass) assert.ok(r.why.length > 0, JSON.stringify(text));
    }
  }
});
