// .BTF and .BTF.ext against bpftool's dump and the C sources, and the value formatter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BtfKind, BTF_KIND_NAMES, parseBtf } from '../../../extension/core/ebpf/btf';
import { parseBtfExt } from '../../../extension/core/ebpf/btfExt';
import { BpfObjectError, parseElf } from '../../../extension/core/ebpf/elf';
import { EXAMPLES, FIXTURES, example, fixture, loadFile, tool } from '../../fixtures/xdp/harness';

const OBJECTS = [
  ...readdirSync(EXAMPLES).filter((f) => f.endsWith('.o')).map((f) => join(EXAMPLES, f)),
  ...readdirSync(FIXTURES).filter((f) => f.endsWith('.o')).map((f) => join(FIXTURES, f)),
];

function btfOf(path: string) {
  return parseBtf(parseElf(readFileSync(path)).section('.BTF')!.data);
}

test('every type matches `bpftool btf dump file` (kind, name, size, references, members)', () => {
  for (const path of OBJECTS) {
    const btf = btfOf(path);
    const dump = tool('bpftool', ['btf', 'dump', 'file', path]).stdout.split('\n');
    let cur: { id: number; members: string[] } | undefined;
    let count = 0;
    const checkMembers = () => {
      if (!cur) return;
      const t = btf.type(cur.id);
      const lines = cur.members;
      if (t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) {
        assert.equal(t.members!.length, lines.length, `${path} [${cur.id}] members`);
        lines.forEach((l, i) => {
          const m = /^'(.*)' type_id=(\d+) bits_offset=(\d+)(?: bitfield_size=(\d+))?/.exec(l)!;
          assert.equal(t.members![i].name || '(anon)', m[1]);
          assert.equal(t.members![i].type, Number(m[2]));
          assert.equal(t.members![i].bitOffset, Number(m[3]));
          assert.equal(t.members![i].bitSize, Number(m[4] ?? 0));
        });
      } else if (t.kind === BtfKind.ENUM) {
        lines.forEach((l, i) => {
          const m = /^'(.*)' val=(-?\d+)/.exec(l)!;
          assert.equal(t.enumValues![i].name, m[1]);
          assert.equal(Number(t.enumValues![i].value), Number(m[2]));
        });
      } else if (t.kind === BtfKind.FUNC_PROTO) {
        lines.forEach((l, i) => {
          const m = /^'(.*)' type_id=(\d+)/.exec(l)!;
          assert.equal(t.params![i].name || '(anon)', m[1]);
          assert.equal(t.params![i].type, Number(m[2]));
        });
      } else if (t.kind === BtfKind.DATASEC) {
        lines.forEach((l, i) => {
          const m = /^type_id=(\d+) offset=(\d+) size=(\d+)/.exec(l)!;
          assert.deepEqual([t.secinfo![i].type, t.secinfo![i].offset, t.secinfo![i].size], [Number(m[1]), Number(m[2]), Number(m[3])]);
        });
      }
    };
    for (const line of dump) {
      const h = /^\[(\d+)\] (\w+) '(.*?)'(.*)$/.exec(line);
      if (!h) { if (cur && line.startsWith('\t')) cur.members.push(line.trim()); continue; }
      checkMembers();
      const id = Number(h[1]);
      count++;
      const t = btf.type(id);
      assert.equal(BTF_KIND_NAMES[t.kind], h[2], `${path} [${id}] kind`);
      assert.equal(t.name || '(anon)', h[3], `${path} [${id}] name`);
      const field = (k: string) => { const m = new RegExp(`${k}=(\\d+)`).exec(h[4]); return m ? Number(m[1]) : undefined; };
      if (field('size') !== undefined) assert.equal(t.size, field('size'), `${path} [${id}] size`);
      if (field('type_id') !== undefined) assert.equal(t.kind === BtfKind.ARRAY ? t.elemType : t.type, field('type_id'), `${path} [${id}] type_id`);
      if (field('ret_type_id') !== undefined) assert.equal(t.type, field('ret_type_id'));
      if (field('nr_elems') !== undefined) assert.equal(t.nelems, field('nr_elems'));
      if (field('nr_bits') !== undefined) assert.equal(t.bits, field('nr_bits'));
      if (field('component_idx') !== undefined) assert.equal(t.componentIdx, field('component_idx'));
      cur = { id, members: [] };
    }
    checkMembers();
    assert.equal(btf.types.length - 1, count, `${path}: type count`);
  }
});

test('sizes resolve through typedefs, modifiers, arrays and structs', () => {
  const btf = btfOf(fixture('btf_types.o'));
  const id = (name: string, kind: BtfKind) => btf.find(name, kind)[0];
  // sizeof() by the C rules: struct zoo is 80 bytes on BPF (u64 alignment), inner 4, either 4.
  assert.equal(btf.sizeOf(id('zoo', BtfKind.STRUCT)), 80);
  assert.equal(btf.sizeOf(id('inner', BtfKind.STRUCT)), 4);
  assert.equal(btf.sizeOf(id('either', BtfKind.UNION)), 4);
  assert.equal(btf.sizeOf(id('u32_t', BtfKind.TYPEDEF)), 4);
  assert.equal(btf.typeName(id('u32_t', BtfKind.TYPEDEF)), 'u32_t');
  assert.equal(btf.resolve(id('__s16', BtfKind.TYPEDEF)).name, 'short');
});

test('values format field by field: bitfields, enums, signed, char arrays, nested, unions, floats', () => {
  const btf = btfOf(fixture('btf_types.o'));
  const zoo = btf.find('zoo', BtfKind.STRUCT)[0];
  const b = new Uint8Array(80);
  const dv = new DataView(b.buffer);
  // small:3 = -3 (0b101), wide:5 = 17 (0b10001) at bit 3: byte 0 = 0b10001_101 = 0x8d.
  b[0] = 0x8d;
  dv.setUint32(4, 4, true); // color = BLUE
  b.set(new TextEncoder().encode('eth0'), 8);
  dv.setInt16(16, -2, true);
  dv.setUint16(18, 443, true); b[20] = 7; // in
  dv.setUint32(24, 0x04030201, true); // union
  dv.setUint32(28, 10, true); dv.setUint32(32, 20, true); dv.setUint32(36, 30, true);
  dv.setFloat32(40, 0.5, true);
  dv.setBigUint64(48, 0xdeadn, true); // opaque pointer
  dv.setBigUint64(56, 18446744073709551615n, true); // cv = u64 max
  dv.setInt32(64, -7, true);
  assert.equal(btf.format(zoo, b),
    '{small=-3, wide=17, color=BLUE, name="eth0", neg=-2, in={port=443, flags=7}, u={word=67305985, bytes=[1, 2, 3, 4]}, ' +
    'arr=[10, 20, 30], ratio=0.5, opaque=0xdead, cv=18446744073709551615, tagged=-7, tptr=0x0}');
  const tree = btf.describe(zoo, b);
  assert.equal(tree.children![5].name, 'in');
  assert.equal(tree.children![5].typeName, 'struct inner');
  assert.equal(tree.children![5].children![0].value, '443');
  // An enum value with no name prints as a number.
  assert.equal(btf.format(btf.find('color', BtfKind.ENUM)[0], Uint8Array.of(3, 0, 0, 0)), '3');
});

test('global data formats as its DATASEC once the loader fixes offsets from the symbols', () => {
  const obj = loadFile(example('xdp_config_printk.o'));
  const ro = obj.maps.find((m) => m.globalSection === '.rodata')!;
  // From the C source: min_len = 60, verbose = 1, and the bpf_printk format.
  assert.equal(obj.btf!.format(ro.valueTypeId, ro.initialValue!),
    '{min_len=60, verbose=1, xdp_config_printk.____fmt="len=%u proto=0x%x seen=%u"}');
  const data = obj.maps.find((m) => m.globalSection === '.data')!;
  assert.equal(obj.btf!.format(data.valueTypeId, data.initialValue!), '{last_proto=65535}');
});

test('line_info texts are the C source lines at those line numbers; func_info names the functions', () => {
  let records = 0;
  for (const path of OBJECTS) {
    const elf = parseElf(readFileSync(path));
    const btf = parseBtf(elf.section('.BTF')!.data);
    const ext = parseBtfExt(elf.section('.BTF.ext')!.data, btf);
    for (const [sec, info] of ext) {
      assert.ok(elf.section(sec), `${path}: .BTF.ext names section ${sec}`);
      for (const l of info.lineInfo) {
        const src = [join(EXAMPLES, basename(l.fileName)), join(FIXTURES, basename(l.fileName))].find(existsSync)!;
        const lines = readFileSync(src, 'utf8').split('\n');
        if (l.line === 0) continue;
        assert.equal(l.lineText, lines[l.line - 1], `${path} ${sec}+${l.insnOff}: line ${l.line}`);
        assert.ok(l.col <= lines[l.line - 1].length + 1, 'column within the line');
        assert.equal(l.insnOff % 8, 0);
        records++;
      }
      const funcs = elf.symbols.filter((y) => y.type === 2 && elf.sections[y.shndx]?.name === sec);
      for (const f of info.funcInfo) {
        const name = btf.type(f.typeId).name;
        const sym = funcs.find((y) => y.name === name);
        assert.ok(sym, `${path}: func_info ${name} is a function symbol in ${sec}`);
        assert.equal(sym!.value, f.insnOff);
      }
    }
  }
  assert.ok(records > 100, `line records checked: ${records}`);
});

test('corrupt BTF gives clear errors', () => {
  const good = parseElf(readFileSync(example('xdp_count.o'))).section('.BTF')!.data.slice();
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const err = (b: Uint8Array, re: RegExp) => assert.throws(() => parseBtf(b), (e: unknown) => e instanceof BpfObjectError && re.test(e.message), String(re));
  err(good.subarray(0, 10), /^\.BTF: section is 10 bytes, shorter than the 24-byte header/);
  let b = good.slice(); b[0] = 0;
  err(b, /bad magic 0xeb00/);
  b = good.slice(); dv(b).setUint32(12, 0x7fffffff, true);
  err(b, /type section \[0, \+2147483647\) runs past the end/);
  b = good.slice(); dv(b).setUint32(12, 10, true); // type_len cut inside the first record's tail
  err(b, /type 1 at byte 0 is truncated|type 1 .* truncated/);
  // First type record: PTR -> refer to a type that does not exist.
  b = good.slice(); dv(b).setUint32(24 + 8, 99999, true);
  err(b, /type 1 refers to type 99999, which does not exist/);
  b = good.slice(); dv(b).setUint32(24, 0xffffff, true);
  err(b, /name of type 1: string offset 16777215 is outside the string table/);
  b = good.slice(); dv(b).setUint32(24 + 4, 31 << 24, true);
  err(b, /type 1 has unknown kind 31/);
});

test('kinds clang 14 does not emit (ENUM64, signed ENUM) parse from hand-built BTF', () => {
  // Strings: "\0u64e\0A\0B\0s8e\0M\0"
  const strs = new TextEncoder().encode('\0u64e\0A\0B\0s8e\0M\0');
  const types: number[] = [];
  const u32 = (...v: number[]) => types.push(...v);
  // [1] ENUM64 'u64e' size 8, 2 values: A = 1<<40, B = 2 (kind 19, vlen 2, unsigned)
  u32(1, (19 << 24) | 2, 8, 6, 0, 256, 8, 2, 0);
  // [2] ENUM 's8e' size 1 signed (kind_flag), M = -1
  u32(10, (1 << 31) | (6 << 24) | 1, 1, 14, 0xffffffff);
  const typeBytes = new Uint8Array(new Uint32Array(types).buffer);
  const hdr = new DataView(new ArrayBuffer(24));
  hdr.setUint16(0, 0xeb9f, true); hdr.setUint8(2, 1); hdr.setUint32(4, 24, true);
  hdr.setUint32(8, 0, true); hdr.setUint32(12, typeBytes.length, true);
  hdr.setUint32(16, typeBytes.length, true); hdr.setUint32(20, strs.length, true);
  const blob = new Uint8Array(24 + typeBytes.length + strs.length);
  blob.set(new Uint8Array(hdr.buffer)); blob.set(typeBytes, 24); blob.set(strs, 24 + typeBytes.length);
  const btf = parseBtf(blob);
  assert.equal(btf.type(1).kind, BtfKind.ENUM64);
  assert.deepEqual(btf.type(1).enumValues, [{ name: 'A', value: 1n << 40n }, { name: 'B', value: 2n }]);
  assert.equal(btf.sizeOf(1), 8);
  const v = new Uint8Array(8); new DataView(v.buffer).setBigUint64(0, 1n << 40n, true);
  assert.equal(btf.format(1, v), 'A');
  assert.equal(btf.format(2, Uint8Array.of(0xff)), 'M');
  assert.equal(btf.format(2, Uint8Array.of(0xfe)), '-2');
});
