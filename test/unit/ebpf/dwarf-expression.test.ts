// C names in the debugger's evaluator (WATCH, hovers, conditions), through DWARF, on the
// xdp_locals fixture compiled with clang and a frame laid out by hand (registers and stack bytes
// written in the test: the expected values come from those bytes, not from the reader); and the
// hover range for C source (what VS Code asks to evaluate under the mouse).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadObject } from '../../../extension/core/ebpf/loader';
import type { ProgramDwarf } from '../../../extension/core/ebpf/dwarfProgram';
import type { ValueMemory } from '../../../extension/core/ebpf/dwarfValue';
import { evaluate, hoverExpressionAt, type CLocals, type EvalContext } from '../../../extension/core/debug/expression';
import { Dissection } from '../../../extension/core/packet/dissection';

const ROOT = resolve(__dirname, '../../..');
let dwarf: ProgramDwarf;
let callInsn: number;

before(() => {
  const src = join(ROOT, 'test/fixtures/debug/xdp_locals.c');
  let obj: Buffer;
  try {
    obj = execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', src, '-o', '-']);
  } catch (e) { throw new Error(`clang failed (${(e as Error).message}); install the Debian package clang`, { cause: e }); }
  dwarf = loadObject(obj, { fileName: 'xdp_locals.o' }).programs[0].dwarf!;
  const dis = execFileSync('llvm-objdump', ['-d', '--no-show-raw-insn', '--section=xdp', '-'], { input: obj, encoding: 'utf8' });
  callInsn = Number(/^\s*(\d+):\s+call 2$/m.exec(dis)![1]);
});

/** Packet region 2 (offset 0x100: the frame), stack region 3 (4096 bytes, r10 at the top). */
function context(withLocals = true): EvalContext {
  const pkt = new Uint8Array(4096);
  // eth: dst 02:..:02, src 02:..:01, type 0x0800; ip: 45 00 .. ttl 64, proto 17, 10.0.0.1 -> 10.0.0.2; udp 40000 -> 53.
  pkt.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0x100);
  pkt.set([0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 0x10e);
  pkt.set([0x9c, 0x40, 0, 53, 0, 26, 0, 0], 0x122);
  const stack = new Uint8Array(4096);
  stack.set([10, 0, 0, 1, 53, 0, 17, 5], 4096 - 8);
  stack.set([1, 0, 0, 0, 0, 0, 0, 0], 4096 - 16);
  const regions: Record<string, Uint8Array> = { 2: pkt, 3: stack };
  const mem: ValueMemory = {
    read: (a, n) => { const b = regions[String(a >> 32n)], o = Number(a & 0xffffffffn); return b && o + n <= b.length ? b.subarray(o, o + n) : undefined; },
    describe: (a) => `${a >> 32n === 2n ? 'pkt' : a >> 32n === 3n ? 'stack' : '?'}+0x${(a & 0xffffffffn).toString(16)}`,
  };
  // eth in r8, dport in r9, data_end in r7 (llvm-dwarfdump's locations at the call).
  const regs: Record<number, bigint> = { 7: (2n << 32n) | 0x13cn, 8: (2n << 32n) | 0x100n, 9: 53n, 10: (3n << 32n) | 4096n };
  const at = dwarf.variablesAt(callInsn)!;
  const locals: CLocals = {
    mem,
    get: (name) => { const v = dwarf.lookup(callInsn, name); return v && dwarf.read(v, at, { reg: (i) => regs[i], read: mem.read }); },
  };
  return { reg: (i) => regs[i] ?? 0n, memory: undefined, packet: () => new Dissection(), maps: [], locals: withLocals ? locals : undefined };
}

const ev = (text: string, ctx = context()): string => evaluate(text, ctx).text;

describe('C expressions over DWARF variables', () => {
  it('reads variables, members through pointers and of structs, bitfields, elements and pointees', () => {
    assert.equal(ev('dport'), '53');
    assert.equal(ev('eth'), 'pkt+0x100');
    assert.equal(ev('eth->h_proto'), '8'); // 08 00 read little-endian
    assert.equal(ev('eth->h_source[5]'), "1 '\\001'"); // unsigned char: gdb's number and character
    assert.equal(ev('ip->ihl'), '5');
    assert.equal(ev('ip->version'), '4');
    assert.equal(ev('ip->ttl'), '64');
    assert.equal(ev('ip->saddr'), String(0x0100000a)); // inside iphdr's anonymous union
    assert.equal(ev('(*ip).protocol'), '17');
    assert.equal(ev('key.dport'), '53');
    assert.equal(ev('key.flags'), '5');
    assert.equal(ev('&key'), 'stack+0xff8');
    assert.equal(ev('*&one'), '1');
    assert.equal(ev('udp->dest'), String(0x3500));
    assert.equal(ev('data_end - eth'), '60');
    assert.equal(ev('(eth + 1) == ip'), 'true'); // sizeof(struct ethhdr) = 14
    assert.equal(ev('one + 41'), '42');
    assert.equal(evaluate('dport == 53 && ip->protocol == 17', context()).value, 1n);
    assert.equal(evaluate('dport - 54', context()).value, (1n << 64n) - 1n); // int arithmetic, unsigned 64-bit result
  });

  it('gives one clear error for a wrong member, operator or name', () => {
    assert.throws(() => ev('ip->nope'), /struct iphdr has no member 'nope'/);
    assert.throws(() => ev('ip.protocol'), /is not a packet field|is a pointer: use '->'/);
    assert.throws(() => ev('key->dport'), /'struct flow_key' is not a pointer: use '\.'/);
    assert.throws(() => ev('*dport'), /'int' is not a pointer/);
    assert.throws(() => ev('dport[1]'), /is not a C array or pointer/);
    assert.throws(() => ev('eth->h_source[9]'), /index 9 is outside the array \(6 elements\)/);
    assert.throws(() => ev('nosuchvar'), /unknown name 'nosuchvar'/);
    // Outside the program there are no C variables: a C name is unknown, a packet field still works.
    assert.throws(() => ev('dport', context(false)), /unknown name 'dport'/);
    assert.throws(() => ev('*r1', context(false)), /a load needs a pointer cast/);
    assert.throws(() => ev('eth', context(false)), /the packet has no field 'eth'/); // the protocol name, as before
  });

  it('keeps the evaluator\'s other names: registers and casts', () => {
    assert.equal(ev('r9'), '53');
    assert.equal(ev('w9 + 1'), '54');
    assert.equal(ev('(u8)r9'), '53');
  });
});

describe('hover range in C source', () => {
  const at = (line: string, word: string, k = 0): string | undefined => {
    const col = line.indexOf(word) + k;
    const r = hoverExpressionAt(line, col);
    return r && line.slice(r.start, r.end);
  };
  it('takes the member chain before the word, not after it', () => {
    const line = '\tif (ip->protocol != IPPROTO_UDP)';
    assert.equal(at(line, 'protocol'), 'ip->protocol');
    assert.equal(at(line, 'ip->'), 'ip');
    assert.equal(at(line, 'IPPROTO_UDP', 3), 'IPPROTO_UDP');
    assert.equal(at('\tkey . dport = 1;', 'dport'), 'key . dport');
    assert.equal(at('\tx = eth->h_dest[0];', 'h_dest'), 'eth->h_dest');
    assert.equal(at('\tif (a > 3)', 'if'), undefined);
    assert.equal(at('\treturn 53;', '53'), undefined);
    assert.equal(at('\tint dport = 1;', ' '), undefined);
  });
});
