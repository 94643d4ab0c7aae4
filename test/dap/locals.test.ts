// C variables in the `netvsc` debugger (DWARF): the Locals scope, expandable by type, hovers and
// watches over C names, conditions on them, caller frames of bpf-to-bpf calls, and what has no
// location at the stop showing `<optimized out>`. DebugClient drives the standalone adapter on
// fixtures compiled with clang in the test. Expected values are computed by hand from the
// packets sent (ports, addresses, header offsets) and from llvm-dwarfdump's location lists
// (which variable is live where), never from the adapter.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildPacket, type PacketSpec } from '../../extension/core/packet/build';
import { lineOf, scopeVariables, tool, withClient, writeTrace } from './dap';

const ROOT = resolve(__dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/debug');
const LOCALS_C = join(FIXTURES, 'xdp_locals.c');
const DEBUG_C = join(FIXTURES, 'xdp_debug.c');

let tmp: string;
let adapter: string;
/** xdp_locals.c compiled here, for llvm-dwarfdump. */
let localsObj: string;



/**
 * llvm-dwarfdump's location list of variable `name` in `obj`: [lo, hi) byte ranges (the oracle
 * for "is it live at this instruction"). A single expression (no list) covers everything.
 */
function liveRanges(obj: string, name: string): [number, number][] | 'always' | 'none' {
  const text = tool('llvm-dwarfdump', ['--debug-info', obj], 'llvm');
  const blocks = text.split(/\n(?=0x[0-9a-f]+:\s+DW_TAG)/);
  const b = blocks.find((x) => /DW_TAG_(variable|formal_parameter)/.test(x) && x.includes(`DW_AT_name\t("${name}")`));
  assert.ok(b, `llvm-dwarfdump has no variable ${name}`);
  const loc = /DW_AT_location\t\(([\s\S]*?)\)\n\s+DW_AT_name/.exec(b!);
  if (!loc) return 'none';
  if (!loc![1].includes('loclist')) return 'always';
  return [...loc![1].matchAll(/\[0x([0-9a-f]+), 0x([0-9a-f]+)\)/g)].map((m) => [parseInt(m[1], 16), parseInt(m[2], 16)]);
}

const UDP = (src: string, dport: number): PacketSpec => ({
  eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { src, dst: '10.0.0.2' }, l4: { udp: { sport: 40000, dport } }, payload: 18,
});


before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'netvsc-locals-'));
  adapter = join(tmp, 'debugAdapter.js');
  localsObj = join(tmp, 'locals.o');
  tool('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', LOCALS_C, '-o', localsObj], 'clang');
  await esbuild.build({
    entryPoints: [join(ROOT, 'extension/vscode/debug/debugAdapter.ts')], outfile: adapter, bundle: true, platform: 'node',
    target: 'node20', format: 'cjs', external: ['vscode'], logLevel: 'error',
  });
});

after(() => { rmSync(tmp, { recursive: true, force: true }); });


async function launchAt(dc: DebugClient, program: string, frames: Uint8Array[], bps: DebugProtocol.SourceBreakpoint[]): Promise<DebugProtocol.StoppedEvent> {
  await dc.initializeRequest({ adapterID: 'netvsc', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const init = dc.waitForEvent('initialized');
  const stopped = dc.waitForEvent('stopped');
  await dc.launchRequest({ program, trace: writeTrace(tmp, 't.pcap', frames) } as DebugProtocol.LaunchRequestArguments);
  await init;
  const set = (await dc.setBreakpointsRequest({ source: { path: program }, breakpoints: bps })).body.breakpoints;
  assert.ok(set.every((b) => b.verified), JSON.stringify(set));
  await dc.configurationDoneRequest();
  return (await stopped) as DebugProtocol.StoppedEvent;
}


async function kids(dc: DebugClient, v: DebugProtocol.Variable | undefined): Promise<Record<string, DebugProtocol.Variable>> {
  assert.ok(v && v.variablesReference > 0, `${v?.name} does not expand`);
  const list = (await dc.variablesRequest({ variablesReference: v!.variablesReference })).body.variables;
  return Object.fromEntries(list.map((x) => [x.name, x]));
}

const byName = (vars: DebugProtocol.Variable[]): Record<string, DebugProtocol.Variable> => Object.fromEntries(vars.map((v) => [v.name, v]));

async function evalIn(dc: DebugClient, expression: string, context: 'hover' | 'watch', frameId = 0): Promise<string> {
  return (await dc.evaluateRequest({ expression, context, frameId })).body.result;
}

describe('C variables in the netvsc debugger (DWARF locals)', () => {
  it('stops on a condition over a C variable and shows Locals first, with values from the packet', async () => {
    const line = lineOf(LOCALS_C, 'bpf_map_update_elem(&flows, &key, &one, BPF_ANY);');
    // Packet 1 goes to port 1000 and must not stop: the condition reads the C variable `dport`.
    const frames = [buildPacket(UDP('10.0.0.1', 1000)), buildPacket(UDP('10.0.0.1', 53))];
    await withClient(adapter, async (dc) => {
      const position = dc.waitForEvent('netvsc.position');
      const ev = await launchAt(dc, LOCALS_C, frames, [{ line, condition: 'dport == 53' }]);
      assert.equal(ev.body.reason, 'breakpoint');
      assert.equal(((await position) as DebugProtocol.Event).body.packet, 2);
      const st = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      assert.equal(st[0].line, line);
      assert.match(st[0].name, /xdp_locals/);

      const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
      assert.equal(scopes[0].name, 'Locals');
      assert.equal(scopes[0].presentationHint, 'locals');
      const v = byName(await scopeVariables(dc, 0, 'Locals'));
      for (const n of ['ctx', 'data', 'data_end', 'eth', 'ip', 'udp', 'dport', 'key', 'one']) assert.ok(v[n], `Locals has no ${n}: ${Object.keys(v).join(', ')}`);
      // 53 is the destination port we sent; `one` is the constant 1 stored on the stack.
      assert.equal(v.dport.value, '53');
      assert.equal(v.dport.type, 'int');
      assert.equal(v.one.value, '1');
      // The frame sits 256 bytes (XDP_PACKET_HEADROOM) into the page: eth at 0x100, ip 14 bytes on, udp 34.
      assert.equal(v.eth.value, 'pkt+0x100');
      assert.equal(v.eth.type, 'struct ethhdr *');
      assert.equal(v.ip.value, 'pkt+0x10e');
      assert.equal(v.udp.value, 'pkt+0x122');
      // `data` has no location at all (clang keeps only eth); ctx and data_end as llvm-dwarfdump's ranges say.
      assert.equal(liveRanges(localsObj, 'data'), 'none');
      assert.equal(v.data.value, '<optimized out>');
      const insn = Number(BigInt(st[0].instructionPointerReference!)) / 8;
      const live = (n: string): boolean => { const r = liveRanges(localsObj, n); return r === 'always' || (r !== 'none' && r.some(([lo, hi]) => insn * 8 >= lo && insn * 8 < hi)); };
      assert.equal(v.ctx.value, live('ctx') ? 'ctx+0x0' : '<optimized out>');
      assert.equal(v.data_end.value, live('data_end') ? 'pkt+0x13c' : '<optimized out>'); // 0x100 + the 60-byte frame

      // Pointers into the packet expand to the header's members; __be16 shows the number as stored.
      const eth = await kids(dc, v.eth);
      assert.equal(eth.h_proto.value, '8'); // 0x0800 on the wire, little-endian 0x0008
      assert.equal(eth.h_proto.evaluateName, 'eth->h_proto');
      assert.equal(eth.h_dest.value, '{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}');
      const ip = await kids(dc, v.ip);
      assert.equal(ip.protocol.value, '17');
      assert.equal(ip.ihl.value, '5'); // bitfields: ihl is the low nibble of 0x45 (little-endian)
      assert.equal(ip.version.value, '4');
      // The stack struct: 10.0.0.1 as the u32 stored (0a 00 00 01 little-endian), the port, the protocol, flags:3 = 5.
      const key = await kids(dc, v.key);
      assert.equal(key.saddr.value, String(0x0100000a));
      assert.equal(key.dport.value, '53');
      assert.equal(key.proto.value, '17');
      assert.equal(key.flags.value, '5');
      assert.equal(key.spare.value, '0');
      assert.equal(v.key.value, '{saddr = 16777226, dport = 53, proto = 17, flags = 5, spare = 0}');

      // Hover and watch go through the same reader; member access, deref and pointer arithmetic.
      assert.equal(await evalIn(dc, 'ip->protocol', 'hover'), '17');
      assert.equal(await evalIn(dc, 'ip->protocol', 'watch'), '17');
      assert.equal(await evalIn(dc, 'eth->h_proto', 'watch'), '8');
      assert.equal(await evalIn(dc, 'udp->dest', 'watch'), String(0x3500)); // htons(53) read little-endian
      assert.equal(await evalIn(dc, 'key.dport + 1', 'watch'), '54');
      assert.equal(await evalIn(dc, '(*ip).ttl == ip->ttl', 'watch'), 'true');
      // C pointer arithmetic: ip + 1 is 20 bytes on (sizeof(struct iphdr)), where udp starts; void * counts bytes.
      assert.equal(await evalIn(dc, 'ip + 1', 'watch'), 'pkt+0x122');
      assert.equal(await evalIn(dc, 'ip + 1 == udp', 'watch'), 'true');
      assert.equal(await evalIn(dc, 'data_end - eth', 'watch'), '60'); // the 60-byte frame
      // key sits at r10 - 8 (llvm-dwarfdump: DW_OP_fbreg +8 in a 16-byte frame); r10 is the top of the 4096-byte stack.
      assert.equal(await evalIn(dc, '&key', 'watch'), 'stack+0xff8');
      // `ip` alone is the C variable; `ip.src` (dotted) stays the packet field.
      assert.equal(await evalIn(dc, 'ip', 'watch'), 'pkt+0x10e');
      assert.equal(await evalIn(dc, 'ip.src', 'watch'), '10.0.0.1');
      assert.equal(await evalIn(dc, 'dport == 53 && ip->protocol == 17', 'watch'), 'true');
      // An expandable result for a watch of a pointer to a struct.
      const w = (await dc.evaluateRequest({ expression: 'ip', context: 'watch', frameId: 0 })).body;
      assert.ok(w.variablesReference > 0);
      const wk = byName((await dc.variablesRequest({ variablesReference: w.variablesReference })).body.variables);
      assert.equal(wk.protocol.value, '17');
      // Registers are still there, after Locals.
      assert.equal(scopes[1].name, 'Registers');

      // setVariable: a member of the stack struct, a packet byte through a pointer, a local in a register.
      const keyRef = v.key.variablesReference, ipRef = v.ip.variablesReference;
      assert.equal((await dc.setVariableRequest({ variablesReference: keyRef, name: 'dport', value: '5353' })).body.value, '5353');
      assert.equal(await evalIn(dc, 'key.dport', 'watch'), '5353');
      assert.equal(await evalIn(dc, '*(u16 *)(r10 - 4)', 'watch'), '5353'); // where key.dport lives (fbreg +8, offset 4)
      assert.equal((await dc.setVariableRequest({ variablesReference: ipRef, name: 'ttl', value: '7' })).body.value, '7');
      assert.equal(await evalIn(dc, 'ip.ttl', 'watch'), '7'); // the packet field, dissected from the rewritten bytes
      const localsRef = (await dc.scopesRequest({ frameId: 0 })).body.scopes[0].variablesReference;
      const eth2 = byName((await dc.variablesRequest({ variablesReference: localsRef })).body.variables).eth;
      assert.equal((await dc.setVariableRequest({ variablesReference: localsRef, name: 'eth', value: 'r10' })).body.value, 'stack+0x1000');
      assert.equal(await evalIn(dc, 'r8', 'watch'), await evalIn(dc, 'r10', 'watch')); // eth lives in r8
      assert.notEqual(eth2.value, 'stack+0x1000');
      await assert.rejects(dc.setVariableRequest({ variablesReference: localsRef, name: 'dport', value: '1' }), /cannot be changed/); // a computed value (DW_OP_stack_value)
    });
  });

  it('shows <optimized out> for a variable outside its location ranges, live ones by their register', async () => {
    const line = lineOf(LOCALS_C, 'if (ip->protocol != IPPROTO_UDP)');
    await withClient(adapter, async (dc) => {
      const obj = localsObj;
      await launchAt(dc, LOCALS_C, [buildPacket(UDP('10.0.0.1', 53))], [{ line }]);
      const st = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      const insn = Number(BigInt(st[0].instructionPointerReference!)) / 8;
      // The oracle: llvm-dwarfdump says dport's range starts later than this instruction, eth's covers it.
      const dportRanges = liveRanges(obj, 'dport');
      assert.ok(Array.isArray(dportRanges) && dportRanges.every(([lo, hi]) => insn * 8 < lo || insn * 8 >= hi), `fixture: dport is live at insn ${insn}`);
      const ethRanges = liveRanges(obj, 'eth');
      assert.ok(ethRanges === 'always' || (Array.isArray(ethRanges) && ethRanges.some(([lo, hi]) => insn * 8 >= lo && insn * 8 < hi)));
      const v = byName(await scopeVariables(dc, 0, 'Locals'));
      assert.equal(v.dport.value, '<optimized out>');
      assert.equal(v.eth.value, 'pkt+0x100');
      assert.equal(await evalIn(dc, 'dport', 'hover'), '<optimized out>');
      // In a condition an optimized-out value is an error (it is not a number), never a silent false.
      await assert.rejects(dc.evaluateRequest({ expression: 'dport == 53', context: 'watch', frameId: 0 }), /not a number/);
    });
  });

  it('reads a caller frame of a bpf-to-bpf call: callee-saved registers and its own stack', async () => {
    const line = lineOf(DEBUG_C, 'return bpf_ntohs(udp->dest);');
    await withClient(adapter, async (dc) => {
      await launchAt(dc, DEBUG_C, [buildPacket(UDP('10.0.0.1', 53))], [{ line }]);
      const st = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      assert.match(st[0].name, /udp_dport/);
      assert.match(st[1].name, /xdp_debug/);
      const callee = byName(await scopeVariables(dc, st[0].id, 'Locals'));
      // llvm-dwarfdump: ip is in r1 only until `r1 += 20` (0x30), then r1 is udp.
      assert.equal(callee.ip.value, '<optimized out>');
      assert.equal(callee.udp.value, 'pkt+0x122');
      assert.equal(callee.data_end.value, 'pkt+0x13c'); // r2, the caller's data_end: 0x100 + 60
      const caller = byName(await scopeVariables(dc, st[1].id, 'Locals'));
      // eth lives in r8 (callee-saved), key on the caller's stack (r10 - 4): the protocol number.
      assert.equal(caller.eth.value, 'pkt+0x100');
      assert.equal(caller.key.value, '17');
      assert.equal(caller.ip.value, 'pkt+0x10e');
      assert.equal(await evalIn(dc, 'key', 'watch', st[1].id), '17');
      assert.equal(await evalIn(dc, 'ip->protocol', 'hover', st[1].id), '17');
      // data_end is in r6 of the caller: 60 bytes past eth (a 60-byte frame).
      assert.equal(await evalIn(dc, 'data_end - eth', 'watch', st[1].id), '60');
    });
  });

  it('lists an inlined function\'s variables in the frame of its instructions, beside the caller\'s', async () => {
    // llvm-dwarfdump: where is_dns was inlined (DW_TAG_inlined_subroutine low_pc).
    const text = tool('llvm-dwarfdump', ['--debug-info', localsObj], 'llvm');
    const low = /DW_TAG_inlined_subroutine\n\s+DW_AT_abstract_origin\t\(0x[0-9a-f]+ "is_dns"\)\n\s+DW_AT_low_pc\t\((0x[0-9a-f]+)\)/.exec(text);
    assert.ok(low, 'is_dns is not inlined in the fixture');
    await withClient(adapter, async (dc) => {
      await dc.initializeRequest({ adapterID: 'netvsc', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      const init = dc.waitForEvent('initialized');
      const stopped = dc.waitForEvent('stopped');
      await dc.launchRequest({ program: LOCALS_C, trace: writeTrace(tmp, 'i.pcap', [buildPacket(UDP('10.0.0.1', 53))]) } as DebugProtocol.LaunchRequestArguments);
      await init;
      const bp = (await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: low![1] }] })).body.breakpoints as DebugProtocol.Breakpoint[];
      assert.equal(bp[0].verified, true);
      await dc.configurationDoneRequest();
      await stopped;
      const vars = await scopeVariables(dc, 0, 'Locals');
      const port = vars.find((x) => x.name === 'port');
      assert.ok(port, `no inlined 'port' in ${vars.map((x) => x.name).join(', ')}`);
      assert.match(port!.type ?? '', /inlined is_dns/);
      assert.equal(port!.value, '<optimized out>'); // the inlined instance gives it no location
      // Two `udp`s: is_dns's parameter (no location) first, then xdp_locals' (r8 + 34) with its value.
      const udps = vars.filter((x) => x.name === 'udp').map((x) => x.value);
      assert.deepEqual(udps, ['<optimized out>', 'pkt+0x122']);
      assert.equal(vars.find((x) => x.name === 'dport')!.value, '53');
    });
  });

  it('reads global data by C name through the program\'s .rodata/.data/.bss maps', async () => {
    const globals = join(FIXTURES, 'xdp_globals.c');
    const line = lineOf(globals, 'stats.pass++;');
    await withClient(adapter, async (dc) => {
      await launchAt(dc, globals, [buildPacket(UDP('10.0.0.1', 53))], [{ line }]);
      // The initialisers in the source; seen_packets is 1 once this packet's increment is stored:
      // llvm-objdump shows the store after the lddw of seen_packets, the stop is where BTF line info puts the line.
      const obj = join(tmp, 'globals.o');
      tool('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', globals, '-o', obj], 'clang');
      const dis = tool('llvm-objdump', ['-dr', '--no-show-raw-insn', '--section=xdp', obj], 'llvm');
      const lddw = Number(new RegExp(String.raw`^\s*(\d+):[^\n]*\n\s+[0-9a-f]+:\s+R_BPF_64_64\s+seen_packets`, 'm').exec(dis)![1]);
      const store = [...dis.matchAll(/^\s*(\d+):\s+\*\(u64 \*\)\(r\d \+ 0\) = r\d$/gm)].map((m) => Number(m[1])).find((i) => i > lddw)!;
      const st = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      const insn = Number(BigInt(st[0].instructionPointerReference!)) / 8;
      assert.equal(await evalIn(dc, 'blocked_port', 'watch'), '53');
      assert.equal(await evalIn(dc, 'seen_packets', 'hover'), insn > store ? '1' : '0');
      assert.equal(await evalIn(dc, 'stats.drop', 'watch'), '2'); // this packet passes: drop keeps its initialiser
      assert.match(await evalIn(dc, 'stats', 'watch'), /^\{pass = [12], drop = 2\}$/); // pass: 1, or 2 once incremented
      assert.match(await evalIn(dc, '&stats', 'watch'), /\.data\+0x0$/);
    });
  });
});
