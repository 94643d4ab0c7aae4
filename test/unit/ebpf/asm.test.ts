import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, AsmError } from '../../../extension/core/ebpf/asm';

/** The same program in the conformance syntax (ours) and LLVM's BPF assembly (clang's). */
const PAIRS: [string, string][] = [
  ['mov %r0, 1', 'r0 = 1'],
  ['mov32 %r1, -13', 'w1 = -13'],
  ['add %r1, %r2', 'r1 += r2'],
  ['sub32 %r3, 7', 'w3 -= 7'],
  ['mul %r4, %r5', 'r4 *= r5'],
  ['div32 %r1, %r2', 'w1 /= w2'],
  ['or %r1, 0x7fffffff', 'r1 |= 2147483647'],
  ['and32 %r1, 255', 'w1 &= 255'],
  ['lsh %r1, 3', 'r1 <<= 3'],
  ['rsh32 %r1, %r2', 'w1 >>= w2'],
  ['arsh %r1, 4', 'r1 s>>= 4'],
  ['neg %r1', 'r1 = -r1'],
  ['neg32 %r1', 'w1 = -w1'],
  ['xor %r1, %r2', 'r1 ^= r2'],
  ['mov %r1, %r2', 'r1 = r2'],
  ['be16 %r0', 'r0 = be16 r0'],
  ['le64 %r0', 'r0 = le64 r0'],
  ['ldxw %r0, [%r1+4]', 'r0 = *(u32 *)(r1 + 4)'],
  ['ldxh %r0, [%r1-2]', 'r0 = *(u16 *)(r1 - 2)'],
  ['ldxb %r0, [%r1]', 'r0 = *(u8 *)(r1 + 0)'],
  ['ldxdw %r0, [%r10-8]', 'r0 = *(u64 *)(r10 - 8)'],
  ['stxdw [%r10-8], %r0', '*(u64 *)(r10 - 8) = r0'],
  ['stxb [%r10-1], %r3', '*(u8 *)(r10 - 1) = r3'],
  ['lock add [%r10-8], %r1', 'lock *(u64 *)(r10 - 8) += r1'],
  ['jeq %r1, %r2, +1', 'if r1 == r2 goto +1'],
  ['jgt %r1, 5, -1', 'if r1 > 5 goto -1'],
  ['jsle32 %r1, -3, +0', 'if w1 s<= -3 goto +0'],
  ['jne32 %r1, 0xfffffffc, +2', 'if w1 != -4 goto +2'],
  ['ja +3', 'goto +3'],
  ['call 7', 'call 7'],
  ['exit', 'exit'],
  ['lddw %r1, 0x1122334455667788', 'r1 = 0x1122334455667788 ll'],
];

test('assembles to the same bytes as clang assembles the same instructions', () => {
  if (!existsSync('/usr/bin/clang')) throw new Error('clang missing: apt-get install -y clang');
  if (!existsSync('/usr/bin/llvm-objcopy')) throw new Error('llvm-objcopy missing: apt-get install -y llvm');
  const dir = mkdtempSync(join(tmpdir(), 'asm-'));
  try {
    writeFileSync(join(dir, 'p.s'), `\t.text\n${PAIRS.map(([, l]) => `\t${l}`).join('\n')}\n`);
    execFileSync('clang', ['-target', 'bpf', '-mcpu=v3', '-c', join(dir, 'p.s'), '-o', join(dir, 'p.o')]);
    execFileSync('llvm-objcopy', ['-O', 'binary', '--only-section=.text', join(dir, 'p.o'), join(dir, 'p.bin')]);
    const theirs = new Uint8Array(readFileSync(join(dir, 'p.bin')));
    const ours = assemble(PAIRS.map(([l]) => l).join('\n')).insns;
    // byte-for-byte, instruction by instruction for a readable failure
    let o = 0;
    for (const [mine] of PAIRS) {
      const one = assemble(mine).insns;
      assert.deepEqual(Array.from(one), Array.from(theirs.subarray(o, o + one.length)), mine);
      o += one.length;
    }
    assert.deepEqual(ours, theirs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('atomic operations carry the RFC 9669 imm codes (LLVM 14 cannot assemble the fetch forms)', () => {
  const imm = (src: string): number => new DataView(assemble(src).insns.buffer).getInt32(4, true);
  const code = (src: string): number => assemble(src).insns[0];
  assert.equal(imm('lock fetch add [%r10-8], %r1'), 0x01);
  assert.equal(imm('lock fetch or [%r10-8], %r1'), 0x41);
  assert.equal(imm('lock fetch and32 [%r10-4], %r1'), 0x51);
  assert.equal(imm('lock fetch xor [%r10-8], %r1'), 0xa1);
  assert.equal(imm('lock xor [%r10-8], %r1'), 0xa0);
  assert.equal(imm('lock xchg [%r10-8], %r1'), 0xe1);
  assert.equal(imm('lock cmpxchg32 [%r10-8], %r1'), 0xf1);
  assert.equal(code('lock add32 [%r10-4], %r1'), 0xc3);
  assert.equal(code('lock add [%r10-8], %r1'), 0xdb);
});

test('labels resolve relative to the next instruction; the first exit is the label `exit`', () => {
  const r = assemble('mov %r0, 0\njeq %r0, 0, done\nmov %r0, 1\ndone:\njne %r0, 0, exit\nexit\nja32 done');
  assert.deepEqual([r.insns[8 + 2], r.insns[8 * 3 + 2]], [1, 0]);
  assert.equal(new DataView(r.insns.buffer).getInt32(8 * 5 + 4, true), -3, 'ja32 keeps its target in imm');
  assert.equal(r.labels.get('exit'), 4);
  assert.deepEqual(r.lines, [1, 2, 3, 5, 6, 7]);
  const call = assemble('call local f\nexit\nf:\nexit').insns;
  assert.deepEqual(Array.from(call.subarray(0, 8)), [0x85, 0x10, 0, 0, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(assemble('call %r2').insns), [0x8d, 0x02, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(assemble('sdiv32 %r1, -3\nsmod %r1, %r2\nmovsx1664 %r1, %r2\nldxsb %r0, [%r1+1]\nbswap32 %r3').insns), [
    0x34, 0x01, 1, 0, 0xfd, 0xff, 0xff, 0xff, 0x9f, 0x21, 1, 0, 0, 0, 0, 0, 0xbf, 0x21, 16, 0, 0, 0, 0, 0,
    0x91, 0x10, 1, 0, 0, 0, 0, 0, 0xd7, 0x03, 0, 0, 32, 0, 0, 0,
  ]);
});

test('errors name line and column of the offending token', () => {
  const at = (src: string): [number, number, string] => {
    try { assemble(src); } catch (e) { if (e instanceof AsmError) return [e.line, e.column, e.reason]; throw e; }
    throw new Error('accepted');
  };
  assert.deepEqual(at('mov %r0, 1\n  or %r0, %r11'), [2, 11, "invalid register '%r11'"]);
  assert.deepEqual(at('ldxq %r0, [%r1]'), [1, 1, "unknown mnemonic 'ldxq'"]);
  assert.deepEqual(at('mov32 %r0, 2147483648'), [1, 12, 'immediate 2147483648 does not fit in 32 bits']);
  assert.deepEqual(at('mov32 %r0, -2147483649'), [1, 12, 'immediate -2147483649 does not fit in 32 bits']);
  assert.deepEqual(at('a:\na:\nexit'), [2, 1, "duplicate label 'a'"]);
  assert.deepEqual(at('ja nowhere\nexit'), [1, 4, "unknown label 'nowhere'"]);
  assert.deepEqual(at('stxw [%r10-32769], %r1'), [1, 6, 'offset -32769 does not fit in 16 bits']);
  assert.deepEqual(at('add %r0'), [1, 1, 'add takes 2 operands, got 1']);
  assert.deepEqual(at('lock fetch xchg [%r10-8], %r1'), [1, 6, "'fetch' is implied by xchg"]);
  assert.equal(at('exit # fine\nneg %r0, 1')[0], 2);
});

test('random text never escapes as anything but an AsmError with a position inside the text', () => {
  const vocab = ['mov', 'add32', 'ldxw', 'stxdw', 'lock', 'fetch', 'xchg', 'ja', 'jne32', 'call', 'local', 'lddw', 'exit', 'be16', 'movsx832',
    '%r0', '%r1,', '%r10', '%r11', '%r99', '[%r1+4]', '[%r10-8],', '[%r1+0x10000]', '[%r1', '0x', '0xffffffff', '-2147483649', '18446744073709551616',
    '+3', '-1', 'lbl', 'lbl:', ':', ',', '#', '  ', '\t', '\u00e9', '"', '[]'];
  let x = 0x12345678;
  const rnd = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
  let ok = 0, errors = 0;
  for (let n = 0; n < 5000; n++) {
    const lines: string[] = [];
    for (let l = 0; l < 1 + (rnd() % 5); l++) lines.push(Array.from({ length: rnd() % 5 }, () => vocab[rnd() % vocab.length]).join(rnd() & 1 ? ' ' : ''));
    const text = lines.join('\n');
    try {
      assemble(text);
      ok++;
    } catch (e) {
      assert.ok(e instanceof AsmError, `${JSON.stringify(text)} threw ${String(e)}`);
      assert.ok(e.line >= 1 && e.line <= lines.length && e.column >= 1 && e.column <= lines[e.line - 1].length + 1, `${JSON.stringify(text)}: ${e.message}`);
      errors++;
    }
  }
  assert.ok(ok > 100 && errors > 1000, `${ok} assembled, ${errors} rejected`);
});
