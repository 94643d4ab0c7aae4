import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfDecodeError, checkProgram, decodeInsn, decodeProgram, encodeInsn, encodeProgram } from '../../../extension/core/ebpf/isa';

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.trim().split(/\s+/).filter(Boolean).map((b) => parseInt(b, 16)));

test('decodes struct bpf_insn exactly as clang encodes it (bytes from llvm-objdump of the sample)', () => {
  // 61 86 04 00 ...  = r6 = *(u32 *)(r8 + 4): dst in the low nibble, src in the high one
  assert.deepEqual(decodeInsn(bytes('61 86 04 00 00 00 00 00'), 0), { code: 0x61, dst: 6, src: 8, off: 4, imm: 0 });
  // 85 10 .. ff ff ff ff = call -1 with src_reg 1 (BPF_PSEUDO_CALL)
  assert.deepEqual(decodeInsn(bytes('85 10 00 00 ff ff ff ff'), 0), { code: 0x85, dst: 0, src: 1, off: 0, imm: -1 });
  // 2d 30 09 00 = if r0 > r3 goto +9 ; 55 04 f2 ff 20 00 00 00 = if r4 != 32 goto -14
  assert.deepEqual(decodeInsn(bytes('55 04 f2 ff 20 00 00 00'), 0), { code: 0x55, dst: 4, src: 0, off: -14, imm: 32 });
  // imm is signed 32-bit
  assert.equal(decodeInsn(bytes('b7 01 00 00 00 00 00 80'), 0).imm, -0x80000000);
});

test('encode is the inverse of decode for every byte pattern of a slot', () => {
  const out = new Uint8Array(8);
  for (let k = 0; k < 2000; k++) {
    const b = Uint8Array.from({ length: 8 }, (_, i) => (k * 131 + i * 71 + (k >> 3) * 29) & 0xff);
    encodeInsn(out, 0, decodeInsn(b, 0));
    assert.deepEqual(out, b);
  }
  const p = decodeProgram(encodeProgram([{ code: 0x18, dst: 1, src: 2, off: 0, imm: 3 }, { code: 0, dst: 0, src: 0, off: 0, imm: 16 }]));
  assert.equal(p.length, 2);
  assert.equal(p.src[0], 2);
  assert.equal(p.imm[1], 16);
});

/** The kernel's verifier messages for the same raw programs (ebpf-facts §4.2, kernel 6.18). */
test('structural checks reject what the kernel rejects before its path walk, in its words', () => {
  const reject = (hex: string, re: RegExp, insn: number): void => {
    assert.throws(() => checkProgram(decodeProgram(bytes(hex))), (e: unknown) => e instanceof BpfDecodeError && re.test(e.message) && e.insn === insn, hex);
  };
  reject('05 00 05 00 00 00 00 00 95 00 00 00 00 00 00 00', /^jump out of range from insn 0 to 6/, 0);
  reject('ff 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00', /^unknown opcode ff/, 0);
  reject('b7 0a 00 00 01 00 00 00 95 00 00 00 00 00 00 00', /^frame pointer is read only/, 0);
  reject('18 01 00 00 01 00 00 00', /incomplete lddw/, 0);
  reject('05 00 01 00 00 00 00 00 18 01 00 00 01 00 00 00 00 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00', /jump into the middle of ldimm64 insn 1 from insn 0/, 0);
  reject('18 01 00 00 01 00 00 00 00 01 00 00 00 00 00 00 95 00 00 00 00 00 00 00', /invalid bpf_ld_imm64 insn/, 0);
  reject('07 01 01 00 01 00 00 00 95 00 00 00 00 00 00 00', /BPF_ALU uses reserved fields/, 0);
  reject('bf 21 04 00 00 00 00 00 95 00 00 00 00 00 00 00', /BPF_MOV uses reserved fields/, 0); // movsx of 4 bits does not exist
  reject('db a1 00 00 02 00 00 00 95 00 00 00 00 00 00 00', /invalid atomic opcode 02/, 0);
  reject('85 00 00 00 01 00 00 00 85 10 00 00 05 00 00 00', /jump out of range from insn 1 to 7/, 1);
  reject('', /empty program/, 0);
  // accepted: all ISA v4 forms
  assert.doesNotThrow(() => checkProgram(decodeProgram(encodeProgram([
    { code: 0xbf, dst: 1, src: 2, off: 32, imm: 0 }, { code: 0x3c, dst: 1, src: 2, off: 1, imm: 0 },
    { code: 0x91, dst: 1, src: 10, off: -1, imm: 0 }, { code: 0xd7, dst: 1, src: 0, off: 0, imm: 64 },
    { code: 0x06, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ]))));
});
