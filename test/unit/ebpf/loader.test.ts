// The loader: program layout and relocations against llvm-objdump/llvm-readelf, maps against the
// C sources, libbpf's naming of global-data maps, and the errors for what it cannot load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfObjectError, parseElf } from '../../../extension/core/ebpf/elf';
import { internalMapName, loadObject, progTypeOfSection } from '../../../extension/core/ebpf/loader';
import { lineInfoAt } from '../../../extension/core/ebpf/program';
import { example, fixture, loadFile, tool } from '../../fixtures/xdp/harness';

const imm = (b: Uint8Array, i: number) => new DataView(b.buffer, b.byteOffset + i * 8 + 4, 4).getInt32(0, true);
const srcReg = (b: Uint8Array, i: number) => b[i * 8 + 1] >> 4;

/** Function symbols of a section, from llvm-readelf: name -> [first insn, insn count]. */
function functions(path: string, secIndex: number): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const m of tool('llvm-readelf', ['-s', '--wide', path]).stdout.matchAll(/^\s*\d+:\s+([0-9a-f]{16})\s+(\d+)\s+FUNC\s+\w+\s+\w+\s+(\d+)\s+(\S+)$/gm)) {
    if (Number(m[3]) === secIndex) out.set(m[4], [parseInt(m[1], 16) / 8, Number(m[2]) / 8]);
  }
  return out;
}

test('bpf-to-bpf calls: callees from .text are appended and every call points at its callee', () => {
  const path = example('xdp_parse_calls.o');
  const obj = loadFile(path);
  assert.equal(obj.programs.length, 1);
  const p = obj.programs[0];
  const raw = parseElf(readFileSync(path));
  const textIdx = raw.sections.findIndex((s) => s.name === '.text');
  const text = raw.sections[textIdx].data, xdp = raw.section('xdp')!.data;
  const fns = functions(path, textIdx);
  // objdump: which .text offset each call's relocation means (libbpf: callee = sym/8 + imm + 1).
  const dump = tool('llvm-objdump', ['-dr', '--section=xdp', path]).stdout;
  const calls = [...dump.matchAll(/^\s+(\d+):\s+85 10 00 00 ([0-9a-f ]{11})\s+call (-?\d+)\n\s+[0-9a-f]+:\s+R_BPF_64_32\s+\.text/gm)]
    .map((m) => ({ insn: Number(m[1]), calleeInsn: Number(m[3]) + 1 }));
  assert.equal(calls.length, 2);
  // Layout: the program's own 35 insns, then each callee once, whole.
  assert.equal(p.insns.length, xdp.length + [...fns.values()].reduce((s, [, n]) => s + n * 8, 0));
  for (const c of calls) {
    const [name] = [...fns].find(([, [start]]) => start === c.calleeInsn)!;
    const piece = p.pieces.find((x) => x.name === name)!;
    assert.equal(c.insn + imm(p.insns, c.insn) + 1, piece.insn, `call at ${c.insn} reaches ${name}`);
    const [start, n] = fns.get(name)!;
    assert.deepEqual(p.insns.subarray(piece.insn * 8, (piece.insn + n) * 8), text.subarray(start * 8, (start + n) * 8), `${name} copied whole`);
  }
  // Everything else of the entry function is the section's bytes unchanged.
  for (let i = 0; i < xdp.length / 8; i++) {
    if (calls.some((c) => c.insn === i)) continue;
    assert.deepEqual(p.insns.subarray(i * 8, i * 8 + 8), xdp.subarray(i * 8, i * 8 + 8), `insn ${i}`);
  }
  // func_info in loaded indices; line info follows the pieces (C line numbers from the source).
  assert.deepEqual(p.funcInfo.map((f) => [f.name, f.insn]), [['xdp_parse_calls', 0], ['parse_eth', 35], ['tcp_dport', 54]]);
  assert.equal(lineInfoAt(p, 35)!.line, 19);
  assert.match(lineInfoAt(p, 35)!.text, /int parse_eth\(void \*data, void \*data_end, __u16 \*proto\)/);
  assert.equal(lineInfoAt(p, 54)!.line, 38);
});

test('BTF-defined maps take type, sizes and max_entries from BTF, as the C source declares them', () => {
  const obj = loadFile(example('xdp_count.o'));
  assert.deepEqual(obj.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.origin]), [
    ['rxq_packets', 6, 4, 8, 64, '.maps'], // BPF_MAP_TYPE_PERCPU_ARRAY, __u32 -> __u64, MAX_QUEUES
    ['proto_stats', 1, 1, 16, 256, '.maps'], // BPF_MAP_TYPE_HASH, __u8 -> struct proto_stats
  ]);
  assert.equal(obj.btf!.typeName(obj.maps[1].valueTypeId), 'struct proto_stats');
  assert.equal(obj.btf!.typeName(obj.maps[1].keyTypeId), '__u8');
  // lddw of a map: src_reg BPF_PSEUDO_MAP_FD, imm = map number (objdump shows the relocation at insn 6).
  const p = obj.programs[0];
  const dump = tool('llvm-objdump', ['-dr', example('xdp_count.o')]).stdout;
  const relocs = [...dump.matchAll(/^\s+(\d+):\s+18 .*\n\s+[0-9a-f]+:\s+R_BPF_64_64\s+(\w+)/gm)];
  assert.equal(relocs.length, 3);
  for (const [, insn, sym] of relocs) {
    assert.equal(srcReg(p.insns, Number(insn)), 1, `insn ${insn}`);
    assert.equal(obj.maps[imm(p.insns, Number(insn))].name, sym);
  }
});

test('.rodata/.data/.bss become one-entry arrays named as libbpf names them, lddw points into them', () => {
  const path = example('xdp_config_printk.o');
  const obj = loadFile(path);
  // libbpf: object-name prefix cut so that the name fits 15 characters.
  assert.equal(internalMapName('xdp_config_printk', '.rodata'), 'xdp_conf.rodata');
  assert.equal(internalMapName('xdp_sample', '.rodata'), 'xdp_samp.rodata');
  const sizes = Object.fromEntries([...tool('llvm-readelf', ['-S', '--wide', path]).stdout.matchAll(/\]\s+(\.\w+)\s+\w+\s+[0-9a-f]{16}\s+[0-9a-f]+\s+([0-9a-f]+)/g)].map((m) => [m[1], parseInt(m[2], 16)]));
  assert.deepEqual(obj.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]), [
    ['xdp_conf.rodata', 2, 4, sizes['.rodata'], 1, 0x480], // BPF_F_RDONLY_PROG | BPF_F_MMAPABLE
    ['xdp_conf.bss', 2, 4, sizes['.bss'], 1, 0x400],
    ['xdp_conf.data', 2, 4, sizes['.data'], 1, 0x400],
  ]);
  // Initial bytes: min_len = 60 (u32), verbose = 1; .data: last_proto = 0xffff; .bss zero.
  assert.deepEqual([...obj.maps[0].initialValue!.subarray(0, 5)], [60, 0, 0, 0, 1]);
  assert.deepEqual([...obj.maps[2].initialValue!], [0xff, 0xff]);
  assert.ok(obj.maps[1].initialValue!.every((b) => b === 0));
  // `seen++` (insn 2): lddw of symbol `seen` in .bss -> map value + the symbol's offset.
  const syms = Object.fromEntries([...tool('llvm-readelf', ['-s', '--wide', path]).stdout.matchAll(/^\s*\d+:\s+([0-9a-f]{16})\s+\d+\s+OBJECT\s+\w+\s+\w+\s+\d+\s+(\w+)$/gm)].map((m) => [m[2], parseInt(m[1], 16)]));
  const p = obj.programs[0];
  assert.equal(srcReg(p.insns, 2), 2);
  assert.equal(obj.maps[imm(p.insns, 2)].name, 'xdp_conf.bss');
  assert.equal(imm(p.insns, 3), syms.seen);
});

test('legacy SEC("maps") definitions, several programs per section, other program types, prog_array values', () => {
  const legacy = loadFile(fixture('legacy_maps.o'));
  assert.deepEqual(legacy.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.origin]), [['old_counts', 2, 4, 8, 8, 'maps']]);

  const multi = loadFile(fixture('multi_prog.o'));
  assert.deepEqual(multi.programs.map((p) => [p.name, p.section, p.progType, p.frags, p.insns.length / 8]), [
    ['prog_first', 'xdp/first', 'xdp', false, 2], ['prog_second', 'xdp/first', 'xdp', false, 2],
    ['prog_frags', 'xdp.frags', 'xdp', true, 2], ['prog_tc', 'tc', 'sched_cls', false, 2],
  ]);
  assert.equal(multi.license, 'GPL');
  assert.equal(progTypeOfSection('kprobe/do_sys_open'), 'kprobe');
  assert.equal(progTypeOfSection('socket'), 'socket_filter');
  assert.equal(progTypeOfSection('mystery'), 'unspec');

  // Map of maps: the inner shape from `__array(values, struct inner)`; pinning by name (1).
  const mim = loadFile(fixture('map_in_map.o')).maps[0];
  assert.deepEqual([mim.type, mim.keySize, mim.valueSize, mim.maxEntries, mim.pinning], [12, 4, 4, 2, 1]);
  assert.deepEqual([mim.inner!.type, mim.inner!.keySize, mim.inner!.valueSize, mim.inner!.maxEntries], [2, 4, 4, 4]);

  const tail = loadFile(fixture('tail_call.o'));
  const jt = tail.maps.find((m) => m.name === 'jump_table')!;
  assert.equal(jt.type, 3);
  assert.deepEqual([...jt.initialPrograms!], [[1, 'xdp_tail_target']]);
});

test('an object without BTF loads with a warning and no line info; BTF maps then cannot load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-loader-'));
  try {
    tool('clang', ['-O2', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', example('xdp_drop_udp.c'), '-o', join(dir, 'nobtf.o')]);
    const obj = loadObject(readFileSync(join(dir, 'nobtf.o')), { fileName: 'nobtf.o' });
    assert.equal(obj.programs.length, 1);
    assert.equal(obj.programs[0].lineInfo.length, 0);
    assert.match(obj.warnings[0], /nobtf\.o: no \.BTF section \(compile with -g\)/);
    assert.equal(obj.programs[0].insns.length, loadFile(example('xdp_drop_udp.o')).programs[0].insns.length);
    tool('clang', ['-O2', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', example('xdp_count.c'), '-o', join(dir, 'nobtf_maps.o')]);
    assert.throws(() => loadObject(readFileSync(join(dir, 'nobtf_maps.o'))), /section \.maps: BTF-defined maps need the \.BTF section \(compile with -g\)/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('unknown relocations and relocations on the wrong instruction are errors naming section and insn', () => {
  const good = new Uint8Array(readFileSync(example('xdp_count.o')));
  const elf = parseElf(good);
  const rel = elf.sections.find((s) => s.name === '.relxdp')!;
  const dv = new DataView(good.buffer);
  const b = good.slice();
  new DataView(b.buffer).setUint32(rel.offset + 8, 7, true); // type 7 does not exist for BPF
  const firstInsn = Number(dv.getBigUint64(rel.offset, true)) / 8;
  assert.throws(() => loadObject(b, { fileName: 'x.o' }), (e: unknown) => e instanceof BpfObjectError &&
    e.message === `x.o: section xdp insn ${firstInsn}: unsupported relocation type 7 against 'rxq_packets'`);
  const c = good.slice();
  new DataView(c.buffer).setBigUint64(rel.offset, 0n, true); // R_BPF_64_64 moved onto insn 0 (a load)
  assert.throws(() => loadObject(c, { fileName: 'x.o' }), /x\.o: section xdp insn 0: R_BPF_64_64 relocation against 'rxq_packets' is not on an lddw \(opcode 0x61\)/);
  const d = good.slice();
  new DataView(d.buffer).setUint32(rel.offset + 8, 2, true); // ABS64 in code
  assert.throws(() => loadObject(d), /unsupported relocation type 2 \(R_BPF_64_ABS64\)/);
});
