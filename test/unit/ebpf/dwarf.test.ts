// The DWARF reader against llvm-dwarfdump (the oracle): clang-compiled objects (DWARF 5 with
// .debug_loclists/.debug_addr/.debug_str_offsets, and DWARF 4 with .debug_loc), every variable and
// parameter of every function with its C type, and its location at every instruction of the
// function (which ranges, which operations). Then values read from a hand-made frame, and the
// instruction mapping of `.text` sub-programs appended by the loader.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadObject } from '../../../extension/core/ebpf/loader';
import { DwarfInfo, DwarfReader, typeName, DW_TAG, type Die, type DwarfVariable } from '../../../extension/core/ebpf/dwarf';
import { expressionAt } from '../../../extension/core/ebpf/dwarfLoc';
import { childrenOf, formatValue, type ValueMemory } from '../../../extension/core/ebpf/dwarfValue';
import { parseElf } from '../../../extension/core/ebpf/elf';

const ROOT = resolve(__dirname, '../../..');
const FIX = join(ROOT, 'test/fixtures/debug');

function tool(name: string, args: string[], pkg: string): string {
  try {
    return execFileSync(name, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`${name} failed (${(e as Error).message}); install the Debian package ${pkg}`, { cause: e });
  }
}

/** More C shapes than the fixtures: unions, enums, 2-D arrays, qualifiers, a lexical block, a no-inline callee. */
const SHAPES_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
enum colour { RED = 1, GREEN = 2, BLUE = -3 };
union word { __u32 v; __u8 b[4]; };
struct cell { __s8 s:3; __u8 u:5; const volatile __u16 q; };
static __attribute__((noinline)) int mix(int a, int b) { int t = a * 3 + b; return t ^ (t >> 2); }
SEC("xdp")
int shapes(struct xdp_md *ctx)
{
	__u32 grid[2][3] = { { ctx->rx_queue_index, 2, 3 }, { 4, 5, ctx->ingress_ifindex } };
	union word w = { .v = ctx->ingress_ifindex };
	struct cell c = { .s = -2, .u = 17, .q = 9 };
	enum colour col = ctx->rx_queue_index ? BLUE : GREEN;
	int sum = 0;
	for (int i = 0; i < 2; i++) {
		int row = grid[i][0] + grid[i][2];
		sum += mix(row, w.b[i]);
	}
	volatile int seen = sum + c.s + c.q + col;
	return seen > 7 ? XDP_PASS : XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
`;

interface OracleVar { func: string; name: string; type: string; location: 'none' | { expr: string } | { ranges: [number, number, string][] } }

/** llvm-dwarfdump --debug-info: variables and parameters inside subprograms (and their blocks). */
function dwarfdumpVars(obj: string): OracleVar[] {
  const text = tool('llvm-dwarfdump', ['--debug-info', '--debug-loclists', obj], 'llvm');
  const out: OracleVar[] = [];
  const blocks = text.split(/\n(?=0x[0-9a-f]+:\s+(?:DW_TAG|NULL))/);
  // Track nesting by indentation: a subprogram with code opens a function.
  let func = '', funcIndent = -1;
  for (const b of blocks) {
    const head = /^0x[0-9a-f]+:(\s+)(DW_TAG_\w+|NULL)/.exec(b);
    if (!head) continue;
    const indent = head[1].length;
    if (funcIndent >= 0 && indent <= funcIndent) { func = ''; funcIndent = -1; }
    const tag = head[2];
    const name = /DW_AT_name\t\("([^"]*)"\)/.exec(b)?.[1];
    if (tag === 'DW_TAG_subprogram') {
      if (/DW_AT_low_pc/.test(b)) { func = name ?? ''; funcIndent = indent; }
      continue;
    }
    if (!func || (tag !== 'DW_TAG_variable' && tag !== 'DW_TAG_formal_parameter') || !name) continue;
    const type = /DW_AT_type\t\(0x[0-9a-f]+ "([^"]*)"\)/.exec(b)?.[1] ?? 'void';
    const loc = /DW_AT_location\t\(([\s\S]*?)\)\n\s+DW_AT_/.exec(b + '\n  DW_AT_end')?.[1];
    let location: OracleVar['location'] = 'none';
    if (loc && /loclist = |^0x[0-9a-f]+: /.test(loc)) {
      location = { ranges: [...loc.matchAll(/\[0x([0-9a-f]+), 0x([0-9a-f]+)\): ([^\n]*)/g)].map((m) => [parseInt(m[1], 16), parseInt(m[2], 16), normOps(m[3])]) };
    } else if (loc) location = { expr: normOps(loc) };
    out.push({ func, name, type, location });
  }
  return out;
}

/** dwarfdump's operation text with register aliases and convert's type details dropped. */
function normOps(s: string): string {
  return s.replace(/ W\d+/g, (m) => m).replace(/DW_OP_convert \(0x[0-9a-f]+\) "[^"]*"/g, 'DW_OP_convert').replace(/\s+/g, ' ').trim();
}

const SIMPLE: Record<number, string> = {
  0x06: 'DW_OP_deref', 0x12: 'DW_OP_dup', 0x13: 'DW_OP_drop', 0x16: 'DW_OP_swap', 0x1a: 'DW_OP_and', 0x1c: 'DW_OP_minus',
  0x1e: 'DW_OP_mul', 0x1f: 'DW_OP_neg', 0x20: 'DW_OP_not', 0x21: 'DW_OP_or', 0x22: 'DW_OP_plus', 0x24: 'DW_OP_shl',
  0x25: 'DW_OP_shr', 0x26: 'DW_OP_shra', 0x27: 'DW_OP_xor',
};

/** Our expression bytes in dwarfdump's notation (the operations clang emits for BPF). */
function formatOps(expr: Uint8Array): string {
  const r = new DwarfReader(expr, 'test');
  const out: string[] = [];
  const sgn = (v: bigint): string => (v < 0n ? `-${-v}` : `+${v}`);
  while (r.pos < r.end) {
    const op = r.u8();
    if (op >= 0x30 && op <= 0x4f) out.push(`DW_OP_lit${op - 0x30}`);
    else if (op >= 0x50 && op <= 0x6f) out.push(`DW_OP_reg${op - 0x50} W${op - 0x50}`);
    else if (op >= 0x70 && op <= 0x8f) out.push(`DW_OP_breg${op - 0x70} W${op - 0x70}${sgn(r.slebBig())}`);
    else if (op === 0x91) out.push(`DW_OP_fbreg ${sgn(r.slebBig())}`);
    else if (op === 0x9f) out.push('DW_OP_stack_value');
    else if (op === 0xa8) { r.uleb(); out.push('DW_OP_convert'); }
    else if (op === 0x93) out.push(`DW_OP_piece 0x${r.uleb().toString(16)}`);
    else if (op === 0x10) out.push(`DW_OP_constu 0x${r.ulebBig().toString(16)}`);
    else if (op === 0x11) out.push(`DW_OP_consts ${sgn(r.slebBig())}`);
    else if (op === 0x23) out.push(`DW_OP_plus_uconst 0x${r.ulebBig().toString(16)}`);
    else if (op === 0x03) { r.u64Big(); out.push('DW_OP_addr'); }
    else if (SIMPLE[op]) out.push(SIMPLE[op]);
    else out.push(`op 0x${op.toString(16)}`);
  }
  return out.join(', ');
}

/** Our variables, with the function (subprogram with code) they belong to. */
function ourVars(info: DwarfInfo): { func: string; v: DwarfVariable; sec: number; ranges: [number, number][] }[] {
  const out: { func: string; v: DwarfVariable; sec: number; ranges: [number, number][] }[] = [];
  for (const f of info.functions) {
    const walk = (d: Die): void => {
      for (const c of d.children) {
        if (c.tag === DW_TAG.variable || c.tag === DW_TAG.formal_parameter) { const v = info.variable(c); if (v) out.push({ func: f.name, v, sec: f.sec, ranges: f.ranges }); }
        if (c.tag === DW_TAG.lexical_block || c.tag === DW_TAG.inlined_subroutine) walk(c);
      }
    };
    walk(f.die);
  }
  return out;
}

/** dwarfdump spells types without `struct`/`union`/`enum` and anonymous ones as `structure `. */
const dumpName = (s: string): string => s.replace(/\b(struct|union|enum) /g, '');

let tmp: string;
const objs: Record<string, string> = {};

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'netvsc-dwarf-'));
  writeFileSync(join(tmp, 'shapes.c'), SHAPES_C);
  const cc = (src: string, out: string, extra: string[] = []): void => {
    tool('clang', ['-O2', '-g', ...extra, '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', src, '-o', join(tmp, out)], 'clang');
    objs[out] = join(tmp, out);
  };
  cc(join(FIX, 'xdp_locals.c'), 'locals.o');
  cc(join(FIX, 'xdp_locals.c'), 'locals4.o', ['-gdwarf-4']);
  cc(join(FIX, 'xdp_debug.c'), 'debug.o');
  cc(join(tmp, 'shapes.c'), 'shapes.o');
  cc(join(tmp, 'shapes.c'), 'shapes4.o', ['-gdwarf-4']);
});

describe('DWARF of clang BPF objects (llvm-dwarfdump is the oracle)', () => {
  for (const name of ['locals.o', 'locals4.o', 'debug.o', 'shapes.o', 'shapes4.o']) {
    it(`${name}: every variable's name, type, and location at every instruction`, () => {
      const elf = parseElf(readFileSync(objs[name]));
      const info = new DwarfInfo(elf);
      const oracle = dwarfdumpVars(objs[name]);
      const ours = ourVars(info);
      assert.ok(oracle.length >= 5, `the oracle found only ${oracle.length} variables`);
      assert.deepEqual(ours.map((o) => `${o.func}:${o.v.name}`), oracle.map((o) => `${o.func}:${o.name}`));
      for (let k = 0; k < oracle.length; k++) {
        const o = oracle[k], { v, sec, ranges } = ours[k];
        const what = `${name} ${o.func}:${o.name}`;
        if (!o.type.startsWith('structure ') && !o.type.includes('::')) assert.equal(dumpName(typeName(v.type)), o.type, `${what}: type`);
        if (o.location === 'none') { assert.ok(v.location.kind === 'none' || v.location.kind === 'const', `${what}: has no location`); continue; }
        // At every instruction of the function: the expression dwarfdump lists for it, or none.
        for (const [lo, hi] of ranges) {
          for (let off = lo; off < hi; off += 8) {
            const got = expressionAt(info, v.location, { sec, off });
            const want: string | undefined = 'expr' in o.location ? o.location.expr : o.location.ranges.find(([a, b]) => off >= a && off < b)?.[2];
            assert.equal(got ? formatOps(got) : undefined, want, `${what} at 0x${off.toString(16)}`);
          }
        }
      }
    });
  }

  it('struct layouts match dwarfdump: member offsets, and bitfields counted from the least significant bit', () => {
    const info = new DwarfInfo(parseElf(readFileSync(objs['shapes.o'])));
    const c = ourVars(info).find((o) => o.v.name === 'c')!.v.type;
    assert.equal(typeName(c), 'struct cell');
    // dwarfdump: s bit_size 3 bit_offset 5, u bit_size 5 bit_offset 0 (from the MSB, byte_size 1); q at 2.
    const text = tool('llvm-dwarfdump', ['--debug-info', objs['shapes.o']], 'llvm');
    const member = (n: string): { off: number; bitSize?: number; msb?: number; size?: number } => {
      const m = new RegExp(`DW_AT_name\\t\\("${n}"\\)[\\s\\S]*?DW_AT_data_member_location\\t\\((0x[0-9a-f]+)\\)`).exec(text)!;
      const block = m[0];
      const num = (a: string): number | undefined => { const x = new RegExp(`${a}\\t\\((0x[0-9a-f]+)\\)`).exec(block); return x ? Number(x[1]) : undefined; };
      return { off: Number(m[1]), bitSize: num('DW_AT_bit_size'), msb: num('DW_AT_bit_offset'), size: num('DW_AT_byte_size') };
    };
    for (const m of c.members!) {
      const o = member(m.name);
      assert.equal(m.offset, o.off, m.name);
      assert.equal(m.bitSize, o.bitSize, m.name);
      if (o.bitSize !== undefined) assert.equal(m.bitOffset, o.size! * 8 - o.msb! - o.bitSize, m.name);
    }
    assert.equal(typeName(c.members!.find((m) => m.name === 'q')!.type), 'const volatile __u16');
    const grid = ourVars(info).find((o) => o.v.name === 'grid')!.v.type;
    assert.equal(typeName(grid), '__u32[2][3]');
    assert.equal(grid.size, 24);
    const col = ourVars(info).find((o) => o.v.name === 'col')!.v.type;
    assert.deepEqual(col.enumerators!.map((e) => [e.name, e.value]), [['RED', 1n], ['GREEN', 2n], ['BLUE', -3n]]);
  });

  it('reads values from a frame: registers, the stack (clang counts r10 offsets from r10 - stack size), bitfields', () => {
    const obj = loadObject(readFileSync(objs['locals.o']), { fileName: 'locals.o' });
    const p = obj.programs[0];
    const d = p.dwarf!;
    // llvm-objdump: the map update call `call 2`; key (fbreg +8) was stored at r10 - 8 .. r10 - 1, `one` at r10 - 16.
    const dis = tool('llvm-objdump', ['-d', '--no-show-raw-insn', '--section=xdp', objs['locals.o']], 'llvm');
    const callInsn = Number(/^\s*(\d+):\s+call 2$/m.exec(dis)![1]);
    const deepest = Math.max(...[...dis.matchAll(/\(r10 - (\d+)\)/g)].map((m) => Number(m[1])));
    const at = d.variablesAt(callInsn)!;
    assert.equal(at.func, 'xdp_locals');
    assert.equal(at.stackSize, Math.ceil(deepest / 8) * 8);
    // A stack of 4096 bytes, r10 at its top (region 3 in the VM's encoding); key's bytes by hand.
    const stack = new Uint8Array(4096);
    stack.set([0x0a, 0, 0, 1, 53, 0, 17, 0x05 | (3 << 3)], 4096 - 8);
    stack.set([1, 0, 0, 0, 0, 0, 0, 0], 4096 - 16);
    const STACK = 3n << 32n;
    const mem: ValueMemory = {
      read: (a, n) => (a >> 32n === 3n && Number(a & 0xffffffffn) + n <= 4096 ? stack.subarray(Number(a & 0xffffffffn), Number(a & 0xffffffffn) + n) : undefined),
      describe: (a) => `0x${a.toString(16)}`,
    };
    const regs: Record<number, bigint> = { 10: STACK | 4096n, 9: 53n, 8: (2n << 32n) | 0x100n };
    const frame = { reg: (i: number) => regs[i], read: mem.read };
    const v = (n: string): string => formatValue(d.read(d.lookup(callInsn, n)!, at, frame), mem);
    assert.equal(v('key'), '{saddr = 16777226, dport = 53, proto = 17, flags = 5, spare = 3}');
    assert.equal(v('one'), '1');
    assert.equal(v('dport'), '53');
    assert.equal(v('ip'), `0x${((2n << 32n) | 0x10en).toString(16)}`); // DW_OP_breg8 +14, stack_value
    assert.equal(v('ctx'), '<optimized out>'); // live only in [0, 0x20)
    // A caller frame without r0-r5: a variable in r1 is "not saved".
    const ctxAt0 = d.variablesAt(0)!;
    assert.equal(formatValue(d.read(d.lookup(0, 'ctx')!, ctxAt0, { reg: () => undefined, read: mem.read }), mem), '<not saved>');
    // DW_OP_convert: the u16 value of r9 truncated before widening to int.
    regs[9] = 0x12340035n;
    assert.equal(v('dport'), '53');
  });

  it('assembles a value from DW_OP_piece pieces, marking the bytes no piece holds', () => {
    // dwarfdump: union word w is [low byte of r6][nothing][r6 >> 16 as a u16] somewhere in shapes().
    const o = dwarfdumpVars(objs['shapes.o']).find((x) => x.name === 'w')!;
    assert.ok(typeof o.location === 'object' && 'ranges' in o.location);
    const range = o.location.ranges.find(([, , ops]) => ops === 'DW_OP_breg6 W6+0, DW_OP_convert, DW_OP_convert, DW_OP_stack_value, DW_OP_piece 0x1, DW_OP_piece 0x1, DW_OP_breg6 W6+0, DW_OP_lit16, DW_OP_shr, DW_OP_convert, DW_OP_convert, DW_OP_stack_value, DW_OP_piece 0x2');
    assert.ok(range, 'fixture: clang describes w in pieces');
    const p = loadObject(readFileSync(objs['shapes.o']), { fileName: 'shapes.o' }).programs[0];
    const d = p.dwarf!, insn = range![0] / 8;
    const at = d.variablesAt(insn)!;
    const mem: ValueMemory = { read: () => undefined, describe: (a) => a.toString(16) };
    const w = d.read(d.lookup(insn, 'w')!, at, { reg: (i) => (i === 6 ? 0x11223344n : undefined), read: mem.read });
    assert.equal(formatValue(w, mem), '{v = <optimized out>, b = {0x44, <optimized out>, 0x22, 0x11}}');
  });

  it('maps instructions of a .text sub-program appended after the entry function back to .text', () => {
    const obj = loadObject(readFileSync(objs['debug.o']), { fileName: 'debug.o' });
    const p = obj.programs[0];
    const piece = p.pieces.find((x) => x.section === '.text')!;
    assert.ok(piece && piece.insn > 0, 'the loader appends udp_dport');
    const d = p.dwarf!;
    assert.equal(d.variablesAt(piece.insn)!.func, 'udp_dport');
    assert.deepEqual(d.variablesAt(piece.insn)!.scopes[0].vars.map((v) => v.name), ['ip', 'data_end', 'udp']);
    assert.equal(d.variablesAt(0)!.func, 'xdp_debug');
    assert.equal(d.addressOf(piece.insn + 3)!.off, 24);
  });

  it('an inlined function shows its variables in the frame of its instructions', () => {
    const obj = loadObject(readFileSync(objs['locals.o']), { fileName: 'locals.o' });
    const d = obj.programs[0].dwarf!;
    const text = tool('llvm-dwarfdump', ['--debug-info', objs['locals.o']], 'llvm');
    const m = /DW_TAG_inlined_subroutine\n\s+DW_AT_abstract_origin\t\(0x[0-9a-f]+ "is_dns"\)\n\s+DW_AT_low_pc\t\((0x[0-9a-f]+)\)\n\s+DW_AT_high_pc\t\((0x[0-9a-f]+)\)/.exec(text)!;
    const insn = Number(m[1]) / 8;
    const at = d.variablesAt(insn)!;
    assert.equal(at.scopes[0].kind, 'inlined');
    assert.equal(at.scopes[0].name, 'is_dns');
    assert.deepEqual(at.scopes[0].vars.map((v) => v.name).sort(), ['port', 'udp']);
    assert.equal(at.scopes[1].name, 'xdp_locals');
    // Outside [low_pc, high_pc) there is no inlined scope.
    assert.notEqual(d.variablesAt(Number(m[2]) / 8)?.scopes[0].kind, 'inlined');
  });
});

describe('DWARF reader on corrupt input', () => {
  it('a truncated or mutated debug section gives one DwarfError naming section and offset, or values; never a crash', () => {
    const bytes = readFileSync(objs['locals.o']);
    const elf = parseElf(bytes);
    const targets = ['.debug_info', '.debug_abbrev', '.debug_loclists', '.debug_str_offsets', '.debug_addr', '.debug_rnglists', '.debug_str']
      .map((n) => elf.section(n)!).filter(Boolean);
    let seed = 12345;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
    const stack = new Uint8Array(4096);
    const frame = { reg: (i: number) => (i === 10 ? (3n << 32n) | 4096n : BigInt(i)), read: (a: bigint, n: number) => (a >> 32n === 3n && Number(a & 0xffffffffn) + n <= 4096 ? stack.subarray(0, n) : undefined) };
    const mem: ValueMemory = { read: frame.read, describe: (a) => a.toString(16) };
    let errors = 0;
    for (let round = 0; round < 300; round++) {
      const copy = new Uint8Array(bytes);
      const s = targets[rnd(targets.length)];
      const dv = new DataView(copy.buffer);
      if (round % 3 === 0) {
        // Truncate the section: its size in the section header shrinks.
        const shoff = Number(dv.getBigUint64(40, true));
        dv.setBigUint64(shoff + s.index * 64 + 32, BigInt(rnd(s.size)), true);
      } else {
        for (let k = 0; k < 1 + rnd(4); k++) copy[s.offset + rnd(s.size)] = rnd(256);
      }
      let obj;
      try { obj = loadObject(copy, { fileName: 'mutated.o' }); } catch (e) {
        // The ELF layer checks relocations against section sizes: a truncated relocated section is refused there.
        assert.match((e as Error).message, /^section \.rel\.debug_\w+: relocation \d+ at offset 0x[0-9a-f]+ is outside/);
        continue;
      }
      const p = obj.programs[0];
      const d = p.dwarf!;
      for (let i = 0; i < p.insns.length / 8; i++) {
        const at = d.variablesAt(i);
        if (!at) continue;
        for (const sc of at.scopes) {
          for (const v of sc.vars) {
            const val = d.read(v, at, frame);
            formatValue(val, mem);
            for (const c of childrenOf(val, v.name, mem).slice(0, 16)) { formatValue(c.value, mem); typeName(c.value.type); }
          }
        }
      }
      const at0 = d.variablesAt(0);
      if (at0) for (const g of d.globals()) formatValue(d.read(g, at0, { ...frame, global: (a) => (3n << 32n) | BigInt(a.off & 0xfff) }), mem);
      if (d.error) {
        errors++;
        assert.match(d.error, /^\.(rel)?\.?debug_\w+ offset 0x[0-9a-f]+: \S/, d.error);
        assert.ok(!d.error.includes('\n'));
      }
    }
    assert.ok(errors > 30, `only ${errors} of 300 mutations were noticed`);
  });
});
