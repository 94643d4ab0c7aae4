import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disassembleConformance, formatInsn, objdumpLines } from '../../../extension/core/ebpf/disasm';
import { assemble } from '../../../extension/core/ebpf/asm';
import { encodeProgram, BpfInsn } from '../../../extension/core/ebpf/isa';

function need(file: string, pkg: string): void {
  if (!existsSync(file)) throw new Error(`${file} is missing: install the Debian package '${pkg}' (apt-get install -y ${pkg})`);
}

/** Every instruction form, with operands that exercise signs and widths. */
function allForms(): BpfInsn[] {
  const out: BpfInsn[] = [];
  const I = (code: number, dst = 1, src = 2, off = 0, imm = 0): void => { out.push({ code, dst, src, off, imm }); };
  for (const cls of [0x07, 0x04]) {
    for (let op = 0; op < 0xe0; op += 0x10) {
      if (op === 0xd0) { for (const w of [16, 32, 64]) { I(cls | op, 3, 0, 0, w); if (cls === 0x04) I(cls | op | 8, 3, 0, 0, w); } continue; }
      if (op === 0x80) { I(cls | op, 4, 0, 0, 0); continue; }
      I(cls | op | 8, 1, 2); I(cls | op, 5, 0, 0, -5); I(cls | op, 9, 0, 0, 0x7fffffff);
    }
    I(cls | 0xb8, 1, 2, 8); I(cls | 0xb8, 1, 2, 16); if (cls === 0x07) I(cls | 0xb8, 1, 2, 32);
    I(cls | 0x38, 1, 2, 1); I(cls | 0x98, 1, 2, 1); I(cls | 0x30, 1, 0, 1, 7); I(cls | 0x90, 1, 0, 1, -7);
  }
  for (const sz of [0x00, 0x08, 0x10, 0x18]) {
    I(0x61 | sz, 0, 1, 4); I(0x61 | sz, 7, 10, -2); I(0x62 | sz, 10, 0, -8, 7); I(0x62 | sz, 10, 0, -8, -1); I(0x63 | sz, 10, 1, -8);
    if (sz !== 0x18) I(0x81 | sz, 0, 1, 4);
  }
  for (const sz of [0x00, 0x18]) for (const a of [0, 1, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]) I(0xc3 | sz, 10, 1, -8, a);
  for (const cls of [0x05, 0x06]) {
    I(cls, 0, 0, cls === 5 ? 3 : 0, cls === 5 ? 0 : 3);
    for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) { I(cls | op | 8, 1, 2, -3); I(cls | op, 1, 0, 2, -7); }
  }
  I(0x85, 0, 0, 0, 1); I(0x85, 0, 1, 0, -1); I(0x95, 0, 0, 0, 0);
  for (const c of [0x20, 0x28, 0x30, 0x40, 0x48, 0x50]) I(c, 0, 1, 0, 12);
  for (const [lo, hi] of [[0x1234, 0], [-1, 0], [-1, -1], [0, -0x80000000], [0, 1]]) { I(0x18, 1, 0, 0, lo); I(0, 0, 0, 0, hi); }
  I(0x18, 1, 1, 0, 3); I(0, 0, 0, 0, 0);
  I(0x18, 1, 2, 0, 3); I(0, 0, 0, 0, 16);
  return out;
}

/** Encodings LLVM 14 decodes wrongly (it ignores the v4 fields): we print newer LLVM's form. */
function llvm14Misprints(bytes: Uint8Array, i: number): boolean {
  const code = bytes[i * 8], off = bytes[i * 8 + 2] | (bytes[i * 8 + 3] << 8), imm = bytes[i * 8 + 4];
  if ((code === 0xbf || code === 0xbc) && off !== 0) return true; // movsx
  if ([0x37, 0x3f, 0x34, 0x3c].includes(code) && off === 1) return true; // sdiv
  if (code === 0xc3 && imm === 1) return true; // 32-bit fetch add printed as a plain add
  return false;
}

test('llvm-objdump -d (LLVM 14) prints every instruction it can decode exactly as we do', () => {
  need('/usr/bin/clang', 'clang');
  need('/usr/bin/llvm-objdump', 'llvm');
  const bytes = encodeProgram(allForms());
  const dir = mkdtempSync(join(tmpdir(), 'disasm-'));
  try {
    const quads: string[] = [];
    for (let i = 0; i < bytes.length; i += 8) {
      let v = 0n;
      for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(bytes[i + k]);
      quads.push(`\t.quad 0x${v.toString(16).padStart(16, '0')}`);
    }
    writeFileSync(join(dir, 'forms.s'), `\t.text\n\t.globl f\nf:\n${quads.join('\n')}\n`);
    execFileSync('clang', ['-target', 'bpf', '-c', join(dir, 'forms.s'), '-o', join(dir, 'forms.o')]);
    const dump = execFileSync('llvm-objdump', ['-d', join(dir, 'forms.o')], { encoding: 'utf8' });
    const theirs = dump.split('\n').filter((l) => /^\s+\d+:\t/.test(l));
    const ours = objdumpLines(bytes, { symbols: [{ name: 'f', insn: 0 }] });
    assert.equal(ours.length, theirs.length, 'one line per instruction');
    let compared = 0;
    for (let k = 0; k < theirs.length; k++) {
      const index = Number(theirs[k].trim().split(':')[0]);
      const text = theirs[k].split('\t').pop()!;
      const mine = ours[k].split('\t').pop()!;
      assert.notEqual(mine, '<unknown>', `we decode every valid instruction (insn ${index})`);
      if (text === '<unknown>' || llvm14Misprints(bytes, index)) continue;
      assert.equal(ours[k], theirs[k], `insn ${index}`);
      compared++;
    }
    assert.ok(compared >= 150, `compared ${compared} lines with llvm-objdump`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ISA v4 and forms LLVM 14 cannot decode use newer LLVM syntax', () => {
  const p = encodeProgram([
    { code: 0xbf, dst: 1, src: 2, off: 8, imm: 0 },
    { code: 0x3f, dst: 1, src: 2, off: 1, imm: 0 },
    { code: 0x97, dst: 1, src: 0, off: 0, imm: 3 },
    { code: 0x91, dst: 0, src: 1, off: 4, imm: 0 },
    { code: 0xd7, dst: 1, src: 0, off: 0, imm: 16 },
    { code: 0x06, dst: 0, src: 0, off: 0, imm: -2 },
    { code: 0x62, dst: 10, src: 0, off: -8, imm: 7 },
    { code: 0xc3, dst: 10, src: 1, off: -4, imm: 0xe1 },
  ]);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => formatInsn(p, i)), [
    'r1 = (s8)r2', 'r1 s/= r2', 'r1 %= 3', 'r0 = *(s8 *)(r1 + 4)', 'r1 = bswap16 r1', 'gotol -2',
    '*(u32 *)(r10 - 8) = 7', 'w1 = xchg32_32(r10 - 4, w1)',
  ]);
});

test('conformance-syntax disassembly re-assembles to the same bytes', () => {
  // The syntax has no legacy packet loads and no pseudo lddw: leave those out (with both lddw slots).
  const all = allForms(), kept: BpfInsn[] = [];
  for (let i = 0; i < all.length; i++) {
    const f = all[i];
    if ([0x20, 0x28, 0x30, 0x40, 0x48, 0x50].includes(f.code)) continue;
    if (f.code === 0x18) { if (f.src === 0) kept.push(f, all[i + 1]); i++; continue; }
    kept.push(f);
  }
  const bytes = encodeProgram(kept);
  const text = disassembleConformance(bytes).join('\n');
  assert.deepEqual(assemble(text).insns, bytes);
});

test('a clang-compiled XDP program disassembles exactly as llvm-objdump -d prints it', () => {
  need('/usr/bin/clang', 'clang');
  need('/usr/include/bpf/bpf_helpers.h', 'libbpf-dev');
  const dir = mkdtempSync(join(tmpdir(), 'disasm-'));
  try {
    writeFileSync(join(dir, 'x.c'), `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int xdp_prog(struct xdp_md *ctx) {
  unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
  unsigned sum = 0;
  for (int i = 0; i < 32; i++) { if (d + i + 1 > e) break; sum += d[i] * (i + 1); sum ^= sum >> 3; }
  if (d + 14 > e) return XDP_ABORTED;
  if (d[12] == 0x86 && d[13] == 0xdd) return XDP_PASS;
  return (sum & 1) ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`);
    for (const cpu of ['v1', 'v2', 'v3']) {
      const obj = join(dir, `x-${cpu}.o`), bin = join(dir, `x-${cpu}.bin`);
      execFileSync('clang', ['-O2', '-g', '-target', 'bpf', `-mcpu=${cpu}`, '-I/usr/include/x86_64-linux-gnu', '-c', join(dir, 'x.c'), '-o', obj]);
      execFileSync('llvm-objcopy', ['-O', 'binary', '--only-section=xdp', obj, bin]);
      const bytes = new Uint8Array(readFileSync(bin));
      // Text symbols (functions and LBB labels) give objdump its <name> annotations.
      const symbols = execFileSync('llvm-nm', ['--defined-only', obj], { encoding: 'utf8' }).split('\n')
        .map((l) => l.split(' ')).filter((f) => f.length === 3 && (f[1] === 't' || f[1] === 'T'))
        .map((f) => ({ name: f[2], insn: parseInt(f[0], 16) / 8 }));
      const theirs = execFileSync('llvm-objdump', ['-d', obj], { encoding: 'utf8' }).split('\n').filter((l) => /^\s+\d+:\t/.test(l));
      assert.ok(theirs.length > 20);
      assert.deepEqual(objdumpLines(bytes, { symbols }), theirs, `-mcpu=${cpu}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
