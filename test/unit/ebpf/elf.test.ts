// The ELF reader against llvm-readelf on real clang objects, and its errors on broken files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfObjectError, parseElf, SHT_NOBITS } from '../../../extension/core/ebpf/elf';
import { EXAMPLES, FIXTURES, example, tool } from '../../fixtures/xdp/harness';

const OBJECTS = [
  ...readdirSync(EXAMPLES).filter((f) => f.endsWith('.o')).map((f) => join(EXAMPLES, f)),
  ...readdirSync(FIXTURES).filter((f) => f.endsWith('.o')).map((f) => join(FIXTURES, f)),
];

const TYPES: Record<string, number> = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, REL: 9, NOBITS: 8, LLVM_ADDRSIG: 0x6fff4c03 };
const STT: Record<string, number> = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 };
const RELOC: Record<string, number> = { R_BPF_64_64: 1, R_BPF_64_ABS64: 2, R_BPF_64_ABS32: 3, R_BPF_64_NODYLD32: 4, R_BPF_64_32: 10 };

test('sections match llvm-readelf -S for every example and fixture object', () => {
  assert.ok(OBJECTS.length >= 15, `expected the example and fixture objects, found ${OBJECTS.length}`);
  for (const path of OBJECTS) {
    const elf = parseElf(readFileSync(path));
    const out = tool('llvm-readelf', ['-S', '--wide', path]).stdout;
    const rows = [...out.matchAll(/^\s*\[\s*(\d+)\]\s+(\S*)\s+([A-Z_]+)\s+[0-9a-f]{16}\s+([0-9a-f]+)\s+([0-9a-f]+)/gm)];
    assert.equal(elf.sections.length, rows.length, path);
    for (const [, idx, name, type, off, size] of rows) {
      const s = elf.sections[Number(idx)];
      assert.equal(s.name, Number(idx) === 0 ? '' : name, `${path} section ${idx}`);
      assert.equal(s.type, TYPES[type], `${path} ${name} type`);
      assert.equal(s.offset, parseInt(off, 16), `${path} ${name} offset`);
      assert.equal(s.size, parseInt(size, 16), `${path} ${name} size`);
      assert.equal(s.data.length, s.type === SHT_NOBITS || s.type === 0 ? 0 : s.size);
    }
  }
});

test('symbols and relocations match llvm-readelf -s -r', () => {
  for (const path of OBJECTS) {
    const elf = parseElf(readFileSync(path));
    const syms = [...tool('llvm-readelf', ['-s', '--wide', path]).stdout.matchAll(/^\s*(\d+):\s+([0-9a-f]{16})\s+(\d+)\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s*(\S*)$/gm)];
    assert.equal(elf.symbols.length, syms.length, path);
    for (const [, n, value, size, type, , ndx, name] of syms) {
      const s = elf.symbols[Number(n)];
      assert.equal(s.name, name, `${path} symbol ${n}`);
      assert.equal(s.value, parseInt(value, 16));
      assert.equal(s.size, Number(size));
      assert.equal(s.type, STT[type]);
      if (/^\d+$/.test(ndx)) assert.equal(s.shndx, Number(ndx));
    }
    const out = tool('llvm-readelf', ['-r', '--wide', path]).stdout;
    for (const block of out.split(/Relocation section /).slice(1)) {
      const secName = /^'\.rel(.*?)'/.exec(block)![1];
      const target = elf.sections.findIndex((s) => s.name === secName);
      const rows = [...block.matchAll(/^([0-9a-f]{16})\s+[0-9a-f]{16}\s+(R_BPF_\w+)\s+[0-9a-f]{16}\s+(\S+)/gm)];
      const ours = elf.relocations.get(target) ?? [];
      assert.equal(ours.length, rows.length, `${path} .rel${secName}`);
      rows.forEach(([, off, type, sym], i) => {
        assert.equal(ours[i].offset, parseInt(off, 16));
        assert.equal(ours[i].type, RELOC[type]);
        assert.equal(elf.symbols[ours[i].symbol].name, sym);
      });
    }
  }
});

function expectError(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parseElf(bytes), (e: unknown) => e instanceof BpfObjectError && pattern.test(e.message), `expected ${pattern}`);
}

test('bad files give one clear error naming the problem and where', () => {
  const good = readFileSync(example('xdp_count.o'));
  const copy = () => new Uint8Array(good);
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

  expectError(new Uint8Array(0), /ELF header: file is 0 bytes, shorter than the 64-byte ELF64 header/);
  expectError(good.subarray(0, 40), /file is 40 bytes/);
  expectError(new TextEncoder().encode('#!/bin/sh\necho this is not an object file at all, just a shell script with some text in it\n'), /not an ELF file \(bad magic/);
  let b = copy(); b[4] = 1;
  expectError(b, /ELF class 1 is not ELFCLASS64/);
  b = copy(); b[5] = 2;
  expectError(b, /not little-endian.*big-endian \(bpfeb\)/);
  b = copy(); dv(b).setUint16(18, 62, true);
  expectError(b, /machine 62 is not EM_BPF \(247\)/);
  b = copy(); dv(b).setUint16(16, 2, true);
  expectError(b, /ELF type 2 is not ET_REL/);
  // Truncated: the section header table is at the end of clang's objects.
  expectError(good.subarray(0, good.length - 100), /section headers at 0x[0-9a-f]+ do not fit in the file|past the end of the file/);
  // A section whose contents run past the end of the file.
  const elf = parseElf(good);
  const shoff = Number(dv(good).getBigUint64(40, true));
  const xdp = elf.sections.findIndex((s) => s.name === 'xdp');
  b = copy(); dv(b).setBigUint64(shoff + xdp * 64 + 32, 0x100000n, true);
  expectError(b, new RegExp(`section ${xdp}: contents \\[0x40, 0x100040\\) run past the end of the file`));
  // A bogus section count: no allocation proportional to it, just an error.
  b = copy(); dv(b).setUint16(60, 0xfff0, true);
  expectError(b, /65520 section headers .* do not fit in the file/);
  // A name offset outside the section-name string table.
  b = copy(); dv(b).setUint32(shoff + xdp * 64, 0xffffff, true);
  expectError(b, new RegExp(`name of section ${xdp}: string offset 16777215 is outside the string table`));
  // A relocation naming a symbol past the symbol table.
  const relIdx = elf.sections.findIndex((s) => s.name === '.relxdp');
  b = copy(); dv(b).setUint32(elf.sections[relIdx].offset + 12, 9999, true);
  expectError(b, /section \.relxdp: relocation 0 names symbol 9999, past the symbol table/);
});

test('a host (x86-64) object from clang is refused as not EM_BPF', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-elf-'));
  writeFileSync(join(dir, 'host.c'), 'int f(void) { return 1; }\n');
  tool('clang', ['-c', join(dir, 'host.c'), '-o', join(dir, 'host.o')]);
  expectError(readFileSync(join(dir, 'host.o')), /machine 62 is not EM_BPF \(247\): not an eBPF object/);
  rmSync(dir, { recursive: true });
});
