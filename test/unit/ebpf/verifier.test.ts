// The verifier against what kernel 6.18 says for the same programs: the messages captured in the
// reference notes (ebpf-facts §4.2) for hand-assembled programs, and the kernel's logs for the
// C fixtures (the kernel-diff test re-checks those against the live kernel when it can).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeProgram, type BpfInsn } from '../../../extension/core/ebpf/isa';
import type { BpfMapDef, BpfProgram } from '../../../extension/core/ebpf/program';
import { verifyProgram } from '../../../extension/core/ebpf/verifier';
import { example, fixture, loadFile } from '../../fixtures/xdp/harness';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn => ({ code, dst, src, off, imm });
// A few encodings (RFC 9669): mov64 imm 0xb7, mov64 reg 0xbf, add64 imm 0x07, add64 reg 0x0f, ldxw 0x61,
// ldxb 0x71, ldxdw 0x79, stdw imm 0x7a, stxdw 0x7b, stxw 0x63, jgt reg 0x2d, jlt imm 0xa5, ja 0x05,
// jeq imm 0x15, call 0x85, exit 0x95, div64 imm 0x37, lddw 0x18.
const EXIT = I(0x95);
const movi = (d: number, v: number) => I(0xb7, d, 0, 0, v);
const lddwMap = (d: number, map: number, src = 1, off = 0): BpfInsn[] => [I(0x18, d, src, 0, map), I(0, 0, 0, 0, off)];

function prog(insns: BpfInsn[], maps: BpfMapDef[] = []): BpfProgram {
  return { name: 't', section: 'xdp', progType: 'xdp', frags: false, insns: encodeProgram(insns), maps, lineInfo: [], funcInfo: [], pieces: [], license: 'GPL' };
}
function mapDef(type: number, keySize: number, valueSize: number, maxEntries: number, flags = 0): BpfMapDef {
  return { name: `m${type}`, type, keySize, valueSize, maxEntries, flags, pinning: 0, numaNode: 0, mapExtra: 0, keyTypeId: 0, valueTypeId: 0, origin: '.maps' };
}
function rejects(p: BpfProgram, insn: number, message: string, opts = {}): void {
  const r = verifyProgram(p, opts);
  assert.equal(r.ok, false, `expected a rejection with '${message}'`);
  assert.equal(r.error!.message, message);
  assert.equal(r.error!.insn, insn);
}
const accepts = (p: BpfProgram, opts = {}) => {
  const r = verifyProgram(p, opts);
  assert.ok(r.ok, r.error?.message);
  return r;
};

test('the kernel messages for hand-assembled mistakes (ebpf-facts §4.2)', () => {
  rejects(prog([I(0xbf, 0, 2), EXIT]), 0, 'R2 !read_ok');
  rejects(prog([EXIT]), 0, 'R0 !read_ok');
  rejects(prog([I(0x7a, 10, 0, 8, 0), movi(0, 0), EXIT]), 0, 'invalid write to stack R10 off=8 size=8');
  rejects(prog([I(0x7a, 10, 0, -520, 0), movi(0, 0), EXIT]), 0, 'invalid write to stack R10 off=-520 size=8');
  rejects(prog([movi(10, 1), movi(0, 0), EXIT]), 0, 'frame pointer is read only');
  rejects(prog([movi(0, 0), EXIT, movi(0, 1), EXIT]), 2, 'unreachable insn 2');
  rejects(prog([I(0x05, 0, 0, 5), movi(0, 0), EXIT]), 0, 'jump out of range from insn 0 to 6');
  rejects(prog([movi(0, 0)]), 0, 'last insn is not an exit or jmp');
  rejects(prog([I(0xff), movi(0, 0), EXIT]), 0, 'unknown opcode ff');
  rejects(prog([movi(0, 1), I(0x37, 0, 0, 0, 0), EXIT]), 1, 'div by zero');
  rejects(prog([I(0x85, 0, 0, 0, 9999), EXIT]), 0, 'invalid func unknown#9999');
  // data_end + 1
  rejects(prog([I(0x61, 2, 1, 4), I(0x07, 2, 0, 0, 1), movi(0, 0), EXIT]), 1, 'R2 pointer arithmetic on pkt_end prohibited');
  // p = data + n with n unbounded; then p + 1 <= data_end proves nothing about p.
  rejects(prog([
    I(0x61, 2, 1, 0), I(0x61, 3, 1, 4), I(0x61, 4, 1, 12), I(0x0f, 2, 4), I(0xbf, 5, 2), I(0x07, 5, 0, 0, 1),
    movi(0, 0), I(0x2d, 5, 3, 1), I(0x71, 0, 2, 0), EXIT,
  ]), 8, 'invalid access to packet, off=0 size=1, R2(id=1,off=0,r=0)\nR2 offset is outside of the packet');
});

test('register division by zero is allowed (the ISA defines it); a register divisor needs no check', () => {
  accepts(prog([movi(0, 7), movi(1, 0), I(0x3f, 0, 1), EXIT]));
});

test('C fixtures: the kernel\'s verdicts and messages (from its logs)', () => {
  const cases: [string, number, string][] = [
    ['map_null_deref.o', 7, "R0 invalid mem access 'map_value_or_null'"],
    ['map_value_oob.o', 10, 'invalid access to map value, value_size=8 off=8 size=8\nR1 min value is outside of the allowed memory range'],
    ['ctx_write.o', 1, 'invalid bpf_context access off=0 size=4'],
    ['infinite_loop.o', 3, 'infinite loop detected at insn 3'],
    ['stale_pkt_ptr.o', 12, "R6 invalid mem access 'scalar'"],
    ['map_value_var_oob.o', 18, 'invalid access to map value, value_size=16 off=255 size=1\nR1 max value is outside of the allowed memory range'],
    ['rodata_write.o', 3, 'write into map forbidden, value_size=4 off=0 size=4'],
    ['helper_pkt_arg.o', 8, 'invalid access to packet, off=0 size=8, R3(id=0,off=0,r=0)\nR3 offset is outside of the packet'],
  ];
  for (const [file, insn, message] of cases) rejects(loadFile(fixture(file)).programs[0], insn, message);
  const big = verifyProgram(loadFile(fixture('too_large_loop.o')).programs[0], { recordStates: false });
  assert.equal(big.error!.message, 'BPF program is too large. Processed 1000001 insn');
  assert.match(big.summary, /^processed 1000001 insns \(limit 1000000\)/);
});

test('every example verifies except the deliberately buggy one, which fails where the kernel says', () => {
  for (const f of ['xdp_pass', 'xdp_drop_udp', 'xdp_count', 'xdp_parse_calls', 'xdp_vlan_pop', 'xdp_redirect_map', 'xdp_config_printk']) {
    for (const p of loadFile(example(`${f}.o`)).programs) accepts(p);
  }
  const bug = loadFile(example('xdp_buggy_unchecked.o')).programs[0];
  const r = verifyProgram(bug);
  assert.equal(r.error!.message, 'invalid access to packet, off=23 size=1, R1(id=0,off=23,r=14)\nR1 offset is outside of the packet');
  assert.equal(r.error!.insn, 6);
  assert.equal(r.error!.line!.line, 22);
  assert.match(r.error!.line!.text, /if \(ip->protocol == IPPROTO_ICMP\)/);
  // Register states in the kernel's notation (its log: `R1=pkt(r=0)`, `R3=pkt(off=14,r=14)`).
  assert.deepEqual(r.insnStates[3], ['R0=1 R1=pkt(r=0) R2=pkt_end() R10=fp0']);
  assert.deepEqual(r.insnStates[6], ['R0=1 R1=pkt(r=14) R2=pkt_end() R3=pkt(off=14,r=14) R10=fp0']);
  for (const f of ['adjust_limits', 'adjust_repeat', 'csum_store', 'tail_call', 'legacy_maps', 'multi_prog', 'btf_types']) {
    for (const p of loadFile(fixture(`${f}.o`)).programs) accepts(p);
  }
});

test('map lookups: an ARRAY with a constant in-range key cannot miss (6.x); a HASH must be NULL-checked', () => {
  const body = (maps: BpfMapDef[]) => prog([
    I(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
    I(0xbf, 2, 10), I(0x07, 2, 0, 0, -4), ...lddwMap(1, 0), I(0x85, 0, 0, 0, 1),
    I(0x79, 0, 0, 0), EXIT,
  ], maps);
  accepts(body([mapDef(2, 4, 8, 4)]));
  rejects(body([mapDef(1, 4, 8, 4)]), 6, "R0 invalid mem access 'map_value_or_null'");
  // Key 9 of a 4-entry array may miss.
  const p = body([mapDef(2, 4, 8, 4)]);
  p.insns[4] = 9;
  rejects(p, 6, "R0 invalid mem access 'map_value_or_null'");
  // The map argument must be a map.
  rejects(prog([movi(1, 0), I(0xbf, 2, 10), I(0x07, 2, 0, 0, -8), I(0x85, 0, 0, 0, 1), EXIT]), 3, 'R1 type=scalar expected=map_ptr');
});

test('.rodata is read-only for the program; reads of it are known constants', () => {
  const ro = mapDef(2, 4, 8, 1, 0x80);
  ro.initialValue = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0);
  rejects(prog([...lddwMap(1, 0, 2, 4), I(0x62, 1, 0, 0, 5), movi(0, 0), EXIT], [ro]), 2, 'write into map forbidden, value_size=8 off=4 size=4');
  // `if (config) <bad access>` with config = 0 in .rodata: the bad branch is dead, as in the kernel.
  accepts(prog([...lddwMap(1, 0, 2, 0), I(0x61, 2, 1, 0), movi(0, 2), I(0x15, 2, 0, 1, 0), I(0x79, 0, 10, 8), EXIT], [ro]));
});

test('packet pointers survive a spill to the stack; adjust_head invalidates them', () => {
  const pre = [I(0x61, 2, 1, 0), I(0x61, 3, 1, 4), I(0xbf, 4, 2), I(0x07, 4, 0, 0, 14), movi(0, 1), I(0x2d, 4, 3, 4)];
  // r2 checked for 14 bytes; spill it, reload into r5, read byte 13.
  accepts(prog([...pre, I(0x7b, 10, 2, -8), I(0x79, 5, 10, -8), I(0x71, 0, 5, 13), movi(0, 2), EXIT]));
  // After bpf_xdp_adjust_head the old pointer is a scalar.
  rejects(prog([...pre, I(0xbf, 6, 2), movi(2, 0), I(0x85, 0, 0, 0, 44), I(0x71, 0, 6, 0), EXIT]), 9, "R6 invalid mem access 'scalar'");
});

test('returning a pointer from XDP: allowed when privileged (no return range for plain XDP), not otherwise', () => {
  const p = loadFile(fixture('ret_ctx_pointer.o')).programs[0];
  accepts(p);
  rejects(p, 1, 'R0 leaks addr as return value', { privileged: false });
});

test('bounded loops terminate; uninitialised stack reads depend on privilege', () => {
  const loop = accepts(prog([movi(0, 0), movi(1, 0), I(0x0f, 0, 1), I(0x07, 1, 0, 0, 1), I(0xa5, 1, 0, -3, 4), EXIT]));
  assert.ok(loop.processed > 4 * 3 && loop.processed < 100);
  const read = prog([I(0x79, 0, 10, -8), EXIT]);
  accepts(read);
  rejects(read, 0, 'invalid read from stack R10 off=-8 size=8', { privileged: false });
});

test('a bpf-to-bpf callee gets the caller\'s stack pointer and its own frame', () => {
  const r = accepts(loadFile(example('xdp_parse_calls.o')).programs[0]);
  // parse_eth (insn 35) is entered with R3 pointing into the caller's stack.
  assert.ok(r.insnStates[35]!.some((s) => s.startsWith('frame1: ') && s.includes('R3=fp-2')), r.insnStates[35]!.join('\n'));
});
