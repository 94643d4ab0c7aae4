// The `netvsc` debug adapter over DAP: DebugClient (from @vscode/debugadapter-testsupport)
// drives the standalone adapter `node dist/debugAdapter.js` on XDP programs compiled with clang
// in the test. Expected lines come from the fixture sources (found by their text) and from
// llvm-objdump's own line table (DWARF), never from the adapter.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildPacket, type PacketSpec } from '../../extension/core/packet/build';
import { lineOf, scopeVariables, tool, withClient, writeTrace } from './dap';

const ROOT = resolve(__dirname, '../..');
const ADAPTER = join(ROOT, 'dist/debugAdapter.js');
const FIXTURES = join(ROOT, 'test/fixtures/debug');
const DEBUG_C = join(FIXTURES, 'xdp_debug.c');
const OOB_C = join(FIXTURES, 'xdp_oob.c');



/** Lines llvm-objdump's DWARF line table attributes code to in `section` (the oracle for "has code"). */
function dwarfLines(obj: string, section: string): Set<number> {
  const text = tool('llvm-objdump', ['-d', '-l', '--no-show-raw-insn', `--section=${section}`, obj], 'llvm');
  const out = new Set<number>();
  for (const m of text.matchAll(/^; \S+\.c:(\d+)$/gm)) if (Number(m[1]) > 0) out.add(Number(m[1]));
  return out;
}

let tmp: string;
let dwarf: Set<number>;
/** Lines with code in the whole object (program and the .text sub-program). */
let dwarfAll: Set<number>;
const insnLines: number[] = [];
/** llvm-objdump -dr of the xdp section: instruction text and the relocation against it, if any. */
let objdumpXdp: { text: string; reloc?: string }[];

const udp = (src: string, dport: number, payload = 18): PacketSpec => ({
  eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { src, dst: '10.0.0.2' }, l4: { udp: { sport: 40000, dport } }, payload,
});
const tcp = (dport: number): PacketSpec => ({
  eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { src: '10.0.0.1', dst: '10.0.0.2' }, l4: { tcp: { sport: 40001, dport, flags: 0x02 } }, payload: 0,
});


const FRAMES = [udp('10.0.0.1', 1000), buildPacket(tcp(80)), udp('10.0.0.1', 53), udp('10.0.0.9', 53)].map((f) => (f instanceof Uint8Array ? f : buildPacket(f)));

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'netvsc-dap-'));
  await esbuild.build({
    entryPoints: [join(ROOT, 'extension/vscode/debug/debugAdapter.ts')], outfile: ADAPTER, bundle: true, platform: 'node',
    target: 'node20', format: 'cjs', external: ['vscode'], sourcemap: true, logLevel: 'error',
  });
  const obj = join(tmp, 'xdp_debug.o');
  tool('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', DEBUG_C, '-o', obj], 'clang');
  dwarf = dwarfLines(obj, 'xdp');
  // The line each instruction of the xdp section belongs to, in instruction order (llvm-objdump -l).
  let cur = 0;
  for (const l of tool('llvm-objdump', ['-d', '-l', '--no-show-raw-insn', '--section=xdp', obj], 'llvm').split('\n')) {
    const m = /^; \S+\.c:(\d+)$/.exec(l);
    if (m) { cur = Number(m[1]); continue; }
    const insn = /^\s*(\d+):/.exec(l);
    if (insn) insnLines[Number(insn[1])] = cur;
  }
  dwarfAll = new Set([...dwarf, ...dwarfLines(obj, '.text')]);
  objdumpXdp = [];
  for (const l of tool('llvm-objdump', ['-dr', '--no-show-raw-insn', '--section=xdp', obj], 'llvm').split('\n')) {
    const rel = /^\s+[0-9a-f]+:\s+(R_BPF_\w+)\s+(\S+)/.exec(l);
    if (rel) { objdumpXdp[objdumpXdp.length - 1].reloc = `${rel[1]} ${rel[2]}`; continue; }
    const insn = /^\s*\d+:\s+(.*)$/.exec(l);
    if (insn) objdumpXdp.push({ text: insn[1].replace(/ <\w+>$/, '').trim() });
  }
});

after(() => { rmSync(tmp, { recursive: true, force: true }); });


/** initialize, launch, configure (breakpoints etc.), configurationDone. */
async function launch(dc: DebugClient, args: Record<string, unknown>, configure: () => Promise<void> = async () => {}): Promise<void> {
  await dc.initializeRequest({ adapterID: 'netvsc', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const init = dc.waitForEvent('initialized');
  await dc.launchRequest({ program: DEBUG_C, trace: writeTrace(tmp, 't.pcap', FRAMES), ...args } as DebugProtocol.LaunchRequestArguments);
  await init;
  await configure();
  await dc.configurationDoneRequest();
}

async function top(dc: DebugClient): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
}

async function act(dc: DebugClient, what: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const ev = dc.waitForEvent('stopped');
  await what();
  return (await ev) as DebugProtocol.StoppedEvent;
}


async function children(dc: DebugClient, v: DebugProtocol.Variable): Promise<DebugProtocol.Variable[]> {
  assert.ok(v.variablesReference > 0, `${v.name} has no children`);
  return (await dc.variablesRequest({ variablesReference: v.variablesReference })).body.variables;
}

async function registers(dc: DebugClient): Promise<Record<string, string>> {
  const regs = await scopeVariables(dc, 0, 'Registers');
  return Object.fromEntries(regs.map((r) => [r.name, `${r.type} = ${r.value}`]));
}

describe('netvsc debug adapter (DAP, standalone)', () => {
  it('moves a breakpoint on a line without code to the next line with code and stops there', async () => {
    const blank = lineOf(DEBUG_C, 'struct iphdr *ip = (void *)(eth + 1);');
    const expected = [...dwarf].filter((l) => l >= blank).sort((a, b) => a - b)[0];
    assert.ok(!dwarf.has(blank), 'fixture assumption: the declaration line has no code of its own');
    await withClient(ADAPTER, async (dc) => {
      let bps: DebugProtocol.Breakpoint[] = [];
      const stopped = dc.waitForEvent('stopped');
      const position = dc.waitForEvent('netvsc.position');
      await launch(dc, {}, async () => {
        bps = (await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line: blank }] })).body.breakpoints;
        // breakpointLocations lists the lines with code, callee included: llvm-objdump's DWARF line
        // table, except that BTF line info puts a function's first instruction on its declaration
        // line where DWARF puts it on the opening brace.
        const locs = await dc.customRequest('breakpointLocations', { source: { path: DEBUG_C }, line: 1, endLine: 60 });
        const text = readFileSync(DEBUG_C, 'utf8').split('\n');
        const want = [...dwarfAll].map((l) => (text[l - 1].trim() === '{' ? l - 1 : l)).sort((a, b) => a - b);
        assert.deepEqual((locs.body.breakpoints as { line: number }[]).map((b) => b.line), want);
      });
      assert.equal(bps[0].verified, true);
      assert.equal(bps[0].line, expected);
      const ev = (await stopped) as DebugProtocol.StoppedEvent;
      assert.equal(ev.body.reason, 'breakpoint');
      const frames = await top(dc);
      assert.equal(frames[0].line, expected);
      assert.equal(frames[0].source?.path, DEBUG_C);
      assert.match(frames[0].name, /xdp_debug/);
      // The packet's stages are the outer frames.
      // The packet's stages, as the device's pipeline reported them, are the outer frames.
      const names = frames.map((f) => f.name).join(' | ');
      assert.match(names, /\| receive buffer: section[^|]*\| host RSC: [^|]*\| channel: queue \d+ \| RSS: [^|]*\| data path: synthetic \| wire: rx, 60 bytes$/);
      const pos = (await position) as DebugProtocol.Event;
      assert.deepEqual({ packet: pos.body.packet, stage: pos.body.stage, inProgram: pos.body.inProgram }, { packet: 1, stage: 'xdp', inProgram: true });
      const threads = (await dc.threadsRequest()).body.threads;
      assert.match(threads[0].name, /^Packet 1: 10\.0\.0\.1 → 10\.0\.0\.2 UDP 40000 → 1000/);
    });
  });

  it('steps over line by line along the path a UDP packet takes', async () => {
    const first = lineOf(DEBUG_C, 'if ((void *)(eth + 1) > data_end)');
    const path = [first, lineOf(DEBUG_C, 'if (eth->h_proto'), lineOf(DEBUG_C, 'if ((void *)(ip + 1) > data_end)'),
      lineOf(DEBUG_C, '__u32 key = ip->protocol;'), lineOf(DEBUG_C, '__u64 *cnt = bpf_map_lookup_elem'), lineOf(DEBUG_C, 'if (cnt)'),
      lineOf(DEBUG_C, '*cnt += 1;'), lineOf(DEBUG_C, 'if (ip->protocol != IPPROTO_UDP)'), lineOf(DEBUG_C, 'int dport = udp_dport(ip, data_end);')];
    const notTaken = [lineOf(DEBUG_C, 'return XDP_ABORTED;'), lineOf(DEBUG_C, 'return XDP_PASS;'), path[2] + 1];
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, {}, async () => { await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line: first }] }); });
      await stopped;
      const seen: number[] = [];
      for (let n = 0; n < 40; n++) {
        const f = (await top(dc))[0];
        if (!f.source) break; // left the program: a stage frame
        if (seen[seen.length - 1] !== f.line) seen.push(f.line);
        await act(dc, () => dc.nextRequest({ threadId: 1 }));
      }
      let k = 0;
      for (const l of seen) if (l === path[k]) k++;
      assert.equal(k, path.length, `visited ${seen.join(',')}; expected ${path.join(',')} in this order`);
      for (const l of seen) {
        assert.ok(dwarf.has(l), `stopped at line ${l}, which llvm-objdump says has no code`);
        assert.ok(!notTaken.includes(l), `stopped at line ${l} of a branch the packet does not take (${seen.join(',')})`);
      }
      // After the program: its verdict (XDP_PASS for port 1000), then what the device did next.
      assert.match((await top(dc))[0].name, /^XDP program: XDP_PASS/);
      const after: string[] = [];
      for (let n = 0; n < 3; n++) { await act(dc, () => dc.nextRequest({ threadId: 1 })); after.push((await top(dc))[0].name); }
      assert.match(after[0], /^checksum: /);
      assert.match(after[1], /^GRO: /);
      assert.match(after[2], /^delivered: delivered, 60 bytes$/);
    });
  });

  it('steps by line from the program entry where line info goes backwards (29 before 28)', async () => {
    // Straight-line code at the entry (no branch before insn 5): the stops are the line changes
    // along instructions 0..5, with BTF's declaration line for the function's first instruction.
    const text = readFileSync(DEBUG_C, 'utf8').split('\n');
    const want: number[] = [];
    for (let i = 0; i <= 5; i++) {
      const raw = insnLines[i];
      if (raw === undefined) continue;
      const l = text[raw - 1].trim() === '{' ? raw - 1 : raw;
      if (want[want.length - 1] !== l) want.push(l);
    }
    assert.ok(want.indexOf(lineOf(DEBUG_C, 'void *data_end')) < want.indexOf(lineOf(DEBUG_C, 'void *data =')), `fixture assumption: data_end is loaded first (${want})`);
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, { stopAtPacket: 1, stopAtStage: 'xdp' });
      await stopped;
      await act(dc, () => dc.stepInRequest({ threadId: 1 }));
      const seen = [(await top(dc))[0].line];
      while (seen.length < want.length) {
        await act(dc, () => dc.nextRequest({ threadId: 1 }));
        seen.push((await top(dc))[0].line);
      }
      assert.deepEqual(seen, want);
    });
  });

  it('steps into the bpf-to-bpf callee and shows it as a frame', async () => {
    const call = lineOf(DEBUG_C, 'int dport = udp_dport(ip, data_end);');
    const lo = lineOf(DEBUG_C, 'static __attribute__((noinline)) int udp_dport'), hi = lo + 6;
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, {}, async () => { await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line: call }] }); });
      await stopped;
      await act(dc, () => dc.stepInRequest({ threadId: 1 }));
      const frames = await top(dc);
      assert.equal(frames[0].name, 'udp_dport');
      assert.ok(frames[0].line >= lo && frames[0].line <= hi, `callee line ${frames[0].line} outside ${lo}..${hi}`);
      assert.match(frames[1].name, /xdp_debug/);
      assert.equal(frames[1].line, call);
      await act(dc, () => dc.stepOutRequest({ threadId: 1 }));
      const back = await top(dc);
      assert.match(back[0].name, /xdp_debug/);
    });
  });

  it('steps back to the previous line with the previous register values', async () => {
    const line = lineOf(DEBUG_C, '__u32 key = ip->protocol;');
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, {}, async () => { await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line }] }); });
      await stopped;
      const before = await registers(dc);
      // r1 = data + sizeof(ethhdr) + sizeof(iphdr), just compared with data_end: the verifier's
      // packet pointer at offset 34 with a checked range of 34 bytes.
      assert.match(before.r1, /^pkt\(off=34,r=34\) = /);
      assert.match(before.r10, /^fp0 = /);
      await act(dc, () => dc.nextRequest({ threadId: 1 }));
      const moved = (await top(dc))[0].line;
      assert.notEqual(moved, line);
      assert.notDeepEqual(await registers(dc), before);
      await act(dc, () => dc.stepBackRequest({ threadId: 1 }));
      assert.equal((await top(dc))[0].line, line);
      assert.deepEqual(await registers(dc), before);
      // Instruction granularity: one step forward and back is the identity too.
      await act(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
      await act(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
      assert.deepEqual(await registers(dc), before);
    });
  });

  it('shows the packet as a dissection tree, the map entries, and reads the packet bytes', async () => {
    const line = lineOf(DEBUG_C, 'if (ip->protocol != IPPROTO_UDP)');
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, {}, async () => { await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line }] }); });
      await stopped;
      const pkt = await scopeVariables(dc, 0, 'Packet');
      const ip = pkt.find((v) => v.name.startsWith('Internet Protocol Version 4'));
      assert.ok(ip, pkt.map((v) => v.name).join(' | '));
      const ipf = await children(dc, ip);
      assert.equal(ipf.find((v) => v.name === 'ip.src')?.value, '10.0.0.1');
      assert.equal(ipf.find((v) => v.name === 'ip.proto')?.value, '17');
      const udpNode = pkt.find((v) => v.name.startsWith('User Datagram Protocol'))!;
      assert.equal((await children(dc, udpNode)).find((v) => v.name === 'udp.dstport')?.value, '1000');
      // proto_count[17] was incremented once by this (first) packet.
      const maps = await scopeVariables(dc, 0, 'Maps');
      const pc = maps.find((v) => v.name === 'proto_count')!;
      const entries = await children(dc, pc);
      assert.deepEqual(entries.map((e) => [e.name, e.value]), [['[17]', '1']]);
      // readMemory on the packet's reference returns the frame the test built.
      const bytes = pkt.find((v) => v.name === 'bytes')!;
      assert.equal(bytes.memoryReference, 'pkt');
      const mem = await dc.customRequest('readMemory', { memoryReference: bytes.memoryReference, offset: 0, count: FRAMES[0].length + 16 });
      assert.deepEqual(new Uint8Array(Buffer.from(mem.body.data, 'base64')), FRAMES[0]);
      assert.equal(mem.body.unreadableBytes, 16);
      // Evaluate: a display-filter field, a load through a cast, a map lookup.
      assert.equal((await dc.evaluateRequest({ expression: 'ip.dst', context: 'watch' })).body.result, '10.0.0.2');
      assert.equal((await dc.evaluateRequest({ expression: '*(u16 *)(r8 + 12)', context: 'watch' })).body.result, String(0x0008));
      assert.equal((await dc.evaluateRequest({ expression: 'proto_count[17]', context: 'watch' })).body.result, '1');
      // writeMemory into the packet, seen by a load through the ctx's data pointer.
      await dc.customRequest('writeMemory', { memoryReference: 'pkt', offset: 12, data: Buffer.from([0x86, 0xdd]).toString('base64') });
      assert.equal((await dc.evaluateRequest({ expression: '*(u16 *)(ctx->data + 12)', context: 'watch' })).body.result, String(0xdd86));
      // setVariable on a register.
      const regsRef = (await dc.scopesRequest({ frameId: 0 })).body.scopes.find((x) => x.name === 'Registers')!.variablesReference;
      await dc.variablesRequest({ variablesReference: regsRef });
      const set = await dc.setVariableRequest({ variablesReference: regsRef, name: 'r3', value: '0x1234' });
      assert.equal(set.body.value, '4660 (0x1234)');
      assert.equal((await dc.evaluateRequest({ expression: 'r3', context: 'watch' })).body.result, '4660');
      // setVariable on a map entry, seen by a later lookup.
      const ref = pc.variablesReference;
      await dc.setVariableRequest({ variablesReference: ref, name: '[17]', value: '41' });
      assert.equal((await dc.evaluateRequest({ expression: 'proto_count[17]', context: 'watch' })).body.result, '41');
    });
  });

  it('a display-filter condition stops only on matching packets', async () => {
    const line = lineOf(DEBUG_C, '__u32 key = ip->protocol;');
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, {}, async () => {
        await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line, condition: 'udp.dstport == 53' }] });
      });
      await stopped;
      const names: string[] = [];
      names.push((await dc.threadsRequest()).body.threads[0].name);
      await act(dc, () => dc.continueRequest({ threadId: 1 }));
      names.push((await dc.threadsRequest()).body.threads[0].name);
      const done = dc.waitForEvent('terminated');
      await dc.continueRequest({ threadId: 1 });
      await done;
      assert.match(names[0], /^Packet 3: 10\.0\.0\.1 → 10\.0\.0\.2 UDP 40000 → 53/);
      assert.match(names[1], /^Packet 4: 10\.0\.0\.9 → 10\.0\.0\.2 UDP 40000 → 53/);
    });
  });

  it('stops on an out-of-bounds read at its source line, with the fault', async () => {
    const line = lineOf(OOB_C, 'if (data[200] == 7)');
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, { program: OOB_C });
      // First the verifier: the kernel refuses the load at that line with its message.
      const rej = (await stopped) as DebugProtocol.StoppedEvent;
      assert.equal(rej.body.reason, 'exception');
      assert.equal((await top(dc))[0].line, line);
      const vinfo = (await dc.exceptionInfoRequest({ threadId: 1 })).body;
      assert.equal(vinfo.exceptionId, 'verifier');
      assert.match(vinfo.description ?? '', /^invalid access to packet, off=200 size=1, R1\(id=0,off=200,r=0\)\nR1 offset is outside of the packet$/);
      // Run it anyway: the emulator faults at the same line.
      const ev = await act(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(ev.body.reason, 'exception');
      const frames = await top(dc);
      assert.equal(frames[0].line, line);
      assert.match(frames[0].name, /xdp_oob/);
      const info = (await dc.exceptionInfoRequest({ threadId: 1 })).body;
      assert.equal(info.exceptionId, 'fault');
      // A 1-byte load at data + 200 of a 60-byte frame: the packet starts after 256 bytes of headroom.
      assert.match(info.description ?? '', /invalid read of 1 byte at pkt\+0x1c8/);
    });
  });

  it('disassembles like llvm-objdump and stops at an instruction breakpoint', async () => {
    await withClient(ADAPTER, async (dc) => {
      let callAddr = '';
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, {}, async () => {
        const d = await dc.customRequest('disassemble', { memoryReference: '0x0', instructionOffset: 0, instructionCount: objdumpXdp.length });
        const ins = d.body.instructions as DebugProtocol.DisassembledInstruction[];
        assert.equal(ins.length, objdumpXdp.length);
        objdumpXdp.forEach((o, k) => {
          // Relocated instructions differ from the object file by design: the map load names the
          // map (the loader made it a map reference), the call names the appended callee.
          if (o.reloc === 'R_BPF_64_64 proto_count') assert.match(ins[k].instruction, /; map proto_count$/);
          else if (o.reloc === 'R_BPF_64_32 .text') assert.match(ins[k].instruction, /^call \d+\s+; udp_dport$/);
          else assert.equal(ins[k].instruction.replace(/\s+;.*$/, ''), o.text, `instruction ${k}`);
        });
        assert.ok(objdumpXdp.some((o) => o.reloc === 'R_BPF_64_64 proto_count') && objdumpXdp.some((o) => o.reloc === 'R_BPF_64_32 .text'));
        const call = ins.find((i) => /^call 1\b/.test(i.instruction))!;
        assert.match(call.instruction, /bpf_map_lookup_elem/);
        callAddr = call.address;
        const r = await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: callAddr }] });
        assert.equal(r.body.breakpoints[0].verified, true);
      });
      const ev = (await stopped) as DebugProtocol.StoppedEvent;
      assert.equal(ev.body.reason, 'instruction breakpoint');
      assert.equal((await top(dc))[0].instructionPointerReference, callAddr);
    });
  });

  it('logpoints print without stopping, hit counts pick the n-th hit, reverse continue finds the previous hit', async () => {
    const eth = lineOf(DEBUG_C, 'if ((void *)(eth + 1) > data_end)');
    const key = lineOf(DEBUG_C, '__u32 key = ip->protocol;');
    const dport = lineOf(DEBUG_C, 'int dport = udp_dport(ip, data_end);');
    await withClient(ADAPTER, async (dc) => {
      const logs: string[] = [];
      dc.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.output.startsWith('log ')) logs.push(e.body.output.trim()); });
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, {}, async () => {
        await dc.setBreakpointsRequest({
          source: { path: DEBUG_C },
          breakpoints: [
            { line: key, logMessage: 'log proto={ip.proto} dst={ip.dst}' },
            { line: eth, hitCondition: '3' },
          ],
        });
      });
      // Every packet reaches the bounds check: the third hit is packet 3.
      const ev = (await stopped) as DebugProtocol.StoppedEvent;
      assert.equal(ev.body.reason, 'breakpoint');
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 3:/);
      assert.equal((await top(dc))[0].line, eth);
      // Packets 1 and 2 passed the logpoint (both IPv4: UDP then TCP) without stopping.
      assert.deepEqual(logs, ['log proto=17 dst=10.0.0.2', 'log proto=6 dst=10.0.0.2']);
      // Forward to the call line of packet 3, then reverse-continue: back at the bounds check.
      await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line: eth }, { line: dport }] });
      const fwd = await act(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(fwd.body.reason, 'breakpoint');
      assert.equal((await top(dc))[0].line, dport);
      const back = await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
      assert.equal(back.body.reason, 'breakpoint');
      assert.equal((await top(dc))[0].line, eth);
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 3:/);
    });
  });

  it('steps back from the first stage of a packet to the end of the previous one, exactly (replay)', async () => {
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, { stopAtPacket: 3 });
      await stopped;
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 3:/);
      // Packets 1 (UDP) and 2 (TCP) ran: one count each.
      const counts = async (): Promise<string[]> => [
        (await dc.evaluateRequest({ expression: 'proto_count[17]', context: 'watch' })).body.result,
        (await dc.evaluateRequest({ expression: 'proto_count[6]', context: 'watch' })).body.result,
      ];
      assert.deepEqual(await counts(), ['1', '1']);
      await act(dc, () => dc.stepBackRequest({ threadId: 1 }));
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 2: 10\.0\.0\.1 → 10\.0\.0\.2 TCP 40001 → 80/);
      assert.match((await top(dc))[0].name, /^delivered: /);
      assert.deepEqual(await counts(), ['1', '1']);
      // Back through packet 2's stages into its program: before its first instruction ran, the TCP count was 0.
      for (let n = 0; n < 100; n++) {
        const f = (await top(dc))[0];
        if (/xdp_debug/.test(f.name) && f.instructionPointerReference === '0x00000000') break;
        await act(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
      }
      assert.equal((await top(dc))[0].instructionPointerReference, '0x00000000');
      assert.deepEqual(await counts(), ['1', '0']); // an array map: key 6 exists and holds 0
    });
  });

  it('stops at a pipeline stage by function breakpoint, and steps stage by stage', async () => {
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, { stopAtPacket: 3 }, async () => {
        await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'drop' }] });
      });
      const first = (await stopped) as DebugProtocol.StoppedEvent;
      assert.equal(first.body.reason, 'step');
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 3:/);
      assert.match((await top(dc))[0].name, /^wire: rx, 60 bytes$/);
      // Packet 3 is UDP to port 53: the program returns XDP_DROP, so the 'drop' stage breakpoint hits.
      const ev = await act(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(ev.body.reason, 'function breakpoint');
      const frames = await top(dc);
      assert.match(frames[0].name, /^XDP program: XDP_DROP/);
      assert.match(frames[1].name, /^receive buffer: /);
      // Step back from the drop stage lands inside the program, on its last instruction (exit).
      await act(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
      const inProg = await top(dc);
      assert.match(inProg[0].name, /xdp_debug/);
      assert.match((await dc.customRequest('disassemble', { memoryReference: inProg[0].instructionPointerReference!, instructionCount: 1 })).body.instructions[0].instruction, /^exit/);
    });
  });

  /** What a stop shows: packet, line, registers, the packet's bytes, the map's counts. */
  async function snapshot(dc: DebugClient): Promise<{ thread: string; line: number; regs: Record<string, string>; bytes: string; stack: string; counts: string[] }> {
    const mem = await dc.customRequest('readMemory', { memoryReference: 'pkt', offset: 0, count: 128 });
    // The whole stack region (every frame's 512 bytes).
    const stack = (await dc.customRequest('readMemory', { memoryReference: 'stack+0', offset: 0, count: 4096 })).body.data as string;
    const ev = async (e: string): Promise<string> => (await dc.evaluateRequest({ expression: e, context: 'watch' })).body.result;
    return {
      thread: (await dc.threadsRequest()).body.threads[0].name, line: (await top(dc))[0].line, regs: await registers(dc),
      bytes: mem.body.data as string, stack, counts: [await ev('proto_count[17]'), await ev('proto_count[6]')],
    };
  }

  it('reverse-continue goes back across packets to each earlier hit with the state it had, then to the start', async () => {
    const dport = lineOf(DEBUG_C, 'int dport = udp_dport(ip, data_end);');
    const eth = lineOf(DEBUG_C, 'if ((void *)(eth + 1) > data_end)');
    // UDP (the only packets reaching the udp_dport call) are packets 2 and 5; packet 7 is the TCP one to port 87.
    const frames = [buildPacket(tcp(81)), buildPacket(udp('10.0.0.1', 1002)), buildPacket(tcp(83)), buildPacket(tcp(84)),
      buildPacket(udp('10.0.0.1', 1005)), buildPacket(tcp(86)), buildPacket(tcp(87)), buildPacket(tcp(88))];
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, { trace: writeTrace(tmp, 'rev.pcap', frames) }, async () => {
        await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line: dport }, { line: eth, condition: 'tcp.dstport == 87' }] });
      });
      await stopped;
      const fwd2 = await snapshot(dc);
      const fwd5 = await snapshot((await act(dc, () => dc.continueRequest({ threadId: 1 })), dc));
      await act(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 7: .*TCP 40001 → 87/);
      assert.equal((await top(dc))[0].line, eth);
      // Going forward: packet 2 saw 1 TCP (packet 1) and itself; packet 5 saw 3 TCP (1, 3, 4) and 2 UDP.
      assert.match(fwd2.thread, /^Packet 2: .*UDP 40000 → 1002/);
      assert.equal(fwd2.line, dport);
      assert.deepEqual(fwd2.counts, ['1', '1']);
      assert.deepEqual(new Uint8Array(Buffer.from(fwd2.bytes, 'base64')), frames[1]);
      // The program's `key` (ip->protocol = 17) sits somewhere in its stack frame by then.
      assert.ok(Buffer.from(fwd2.stack, 'base64').includes(Buffer.from([17, 0, 0, 0])), 'key = 17 not on the stack');
      assert.match(fwd5.thread, /^Packet 5: .*UDP 40000 → 1005/);
      assert.deepEqual(fwd5.counts, ['2', '3']);

      const back5 = await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
      assert.equal(back5.body.reason, 'breakpoint');
      assert.deepEqual(await snapshot(dc), fwd5);
      const back2 = await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
      assert.equal(back2.body.reason, 'breakpoint');
      assert.deepEqual(await snapshot(dc), fwd2);
      // Nothing earlier: the very start, packet 1 at its first stage, before any program ran.
      const start = await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
      assert.equal(start.body.reason, 'entry');
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 1: .*TCP 40001 → 81/);
      const frs = await top(dc);
      assert.equal(frs.length, 1);
      assert.match(frs[0].name, /^wire: rx, /);
      // And forward again from there: the same hits in the same order.
      await act(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.deepEqual(await snapshot(dc), fwd2);
    });
  });

  it('reverse-continue finds a display-filter breakpoint three packets back, and honours hit counts as a forward run would', async () => {
    const eth = lineOf(DEBUG_C, 'if ((void *)(eth + 1) > data_end)');
    const key = lineOf(DEBUG_C, '__u32 key = ip->protocol;');
    const frames = [buildPacket(tcp(81)), buildPacket(udp('10.0.0.1', 1002)), buildPacket(udp('10.0.0.1', 3003)), buildPacket(tcp(84)),
      buildPacket(udp('10.0.0.1', 1005)), buildPacket(tcp(86)), buildPacket(tcp(87))];
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, { trace: writeTrace(tmp, 'rev3.pcap', frames) }, async () => {
        await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line: key, condition: 'tcp.dstport == 86' }] });
      });
      await stopped;
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 6:/);
      // Set now (after packet 3 went by): only packet 3 is UDP to port 3003.
      await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line: key, condition: 'tcp.dstport == 86' }, { line: eth, condition: 'udp.dstport == 3003' }] });
      const back = await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
      assert.equal(back.body.reason, 'breakpoint');
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 3: .*UDP 40000 → 3003/);
      assert.equal((await top(dc))[0].line, eth);
      // Packets 1 (TCP) and 2 (UDP) ran; packet 3's program has not run yet.
      assert.deepEqual([(await dc.evaluateRequest({ expression: 'proto_count[17]', context: 'watch' })).body.result,
        (await dc.evaluateRequest({ expression: 'proto_count[6]', context: 'watch' })).body.result], ['1', '1']);
      const start = await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
      assert.equal(start.body.reason, 'entry');

      // Hit count '% 2' on the bounds check (every packet reaches it once): forward it stops at packets 2, 4, 6;
      // backwards from 6 it stops where a forward run would, 4 then 2 (the hit number counted from packet 1).
      await dc.setBreakpointsRequest({ source: { path: DEBUG_C }, breakpoints: [{ line: eth, hitCondition: '% 2' }] });
      const seen: string[] = [];
      for (let k = 0; k < 3; k++) {
        await act(dc, () => dc.continueRequest({ threadId: 1 }));
        seen.push(/^Packet (\d+)/.exec((await dc.threadsRequest()).body.threads[0].name)![1]);
      }
      assert.deepEqual(seen, ['2', '4', '6']);
      const backSeen: string[] = [];
      for (let k = 0; k < 2; k++) {
        const ev = await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
        assert.equal(ev.body.reason, 'breakpoint');
        backSeen.push(/^Packet (\d+)/.exec((await dc.threadsRequest()).body.threads[0].name)![1]);
      }
      assert.deepEqual(backSeen, ['4', '2']);
      // The counts went back with the position: forward from packet 2 the next stop is packet 4 again.
      await act(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 4:/);
    });
  });

  it('a data breakpoint on a map element stops right after each write to it, forwards and in reverse, skipping packets that leave it alone', async () => {
    await withClient(ADAPTER, async (dc) => {
      const entry = dc.waitForEvent('stopped');
      await launch(dc, { stopAtPacket: 1, stopAtStage: 'xdp' });
      await entry;
      // Capabilities and what can be watched: a map element yes (even while it is zero), a register no.
      const info = await dc.customRequest('dataBreakpointInfo', { name: 'proto_count[17]' }) as DebugProtocol.DataBreakpointInfoResponse;
      assert.equal(info.body.dataId, 'map:proto_count:11000000'); // key 17 as a little-endian u32
      assert.deepEqual(info.body.accessTypes, ['write']);
      const reg = await dc.customRequest('dataBreakpointInfo', { name: 'r1' }) as DebugProtocol.DataBreakpointInfoResponse;
      assert.equal(reg.body.dataId, null);
      const set = await dc.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }, { dataId: 'map:nope:00' }] }) as DebugProtocol.SetDataBreakpointsResponse;
      assert.deepEqual(set.body.breakpoints.map((b) => b.verified), [true, false]);
      const id = set.body.breakpoints[0].id;
      // FRAMES: UDP, TCP, UDP, UDP: proto_count[17] changes in packets 1, 3 and 4, not in 2.
      const incLine = lineOf(DEBUG_C, '*cnt += 1');
      const seen: [string, string, string][] = [];
      const note = async (ev: DebugProtocol.StoppedEvent) => {
        assert.equal(ev.body.reason, 'data breakpoint');
        assert.deepEqual(ev.body.hitBreakpointIds, [id]);
        const f = (await top(dc))[0];
        // Stopped after the store of `*cnt += 1`: on its line or the next line with code.
        assert.ok(f.line >= incLine && f.line <= incLine + 2, `stopped at line ${f.line}`);
        const thread = (await dc.threadsRequest()).body.threads[0].name;
        seen.push([/^Packet (\d+):/.exec(thread)![1], (await dc.evaluateRequest({ expression: 'proto_count[17]', context: 'watch' })).body.result, ev.body.text ?? '']);
      };
      for (let k = 0; k < 3; k++) await note(await act(dc, () => dc.continueRequest({ threadId: 1 })));
      assert.deepEqual(seen, [['1', '1', 'proto_count[17]: 0 → 1'], ['3', '2', 'proto_count[17]: 1 → 2'], ['4', '3', 'proto_count[17]: 2 → 3']]);
      // No more changes: the trace ends.
      const ended = dc.waitForEvent('terminated');
      await dc.continueRequest({ threadId: 1 });
      await ended;
    });
    await withClient(ADAPTER, async (dc) => {
      const first = dc.waitForEvent('stopped');
      await launch(dc, {}, async () => {
        await dc.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: 'map:proto_count:11000000' }] });
      });
      assert.equal(((await first) as DebugProtocol.StoppedEvent).body.reason, 'data breakpoint');
      await act(dc, () => dc.continueRequest({ threadId: 1 }));
      await act(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 4:/);
      // From the VARIABLES view: the element's node gives the same dataId.
      const pc = (await scopeVariables(dc, 0, 'Maps')).find((v) => v.name === 'proto_count')!;
      const el = (await children(dc, pc)).find((v) => v.name === '[17]')!;
      const fromView = await dc.customRequest('dataBreakpointInfo', { variablesReference: pc.variablesReference, name: el.name }) as DebugProtocol.DataBreakpointInfoResponse;
      assert.equal(fromView.body.dataId, 'map:proto_count:11000000');
      const back: string[] = [];
      for (let k = 0; k < 2; k++) {
        const ev = await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
        assert.equal(ev.body.reason, 'data breakpoint');
        back.push(`${/^Packet (\d+):/.exec((await dc.threadsRequest()).body.threads[0].name)![1]}=${(await dc.evaluateRequest({ expression: 'proto_count[17]', context: 'watch' })).body.result}`);
      }
      assert.deepEqual(back, ['3=2', '1=1']);
      assert.equal((await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }))).body.reason, 'entry');
    });
  });

  it('reverse-continue stops at an earlier exception-filter stop (a drop in a packet that ran at full speed)', async () => {
    await withClient(ADAPTER, async (dc) => {
      const stopped = dc.waitForEvent('stopped');
      // FRAMES: packets 3 and 4 are UDP to port 53, which the program drops (XDP_DROP).
      await launch(dc, {}, async () => { await dc.setExceptionBreakpointsRequest({ filters: ['drop'] }); });
      const first = (await stopped) as DebugProtocol.StoppedEvent;
      assert.equal(first.body.reason, 'exception');
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 3:/);
      const fwd3 = (await top(dc)).map((f) => f.name);
      assert.match(fwd3[0], /^XDP program: XDP_DROP/);
      await act(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 4:/);
      const back = await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
      assert.equal(back.body.reason, 'exception');
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 3:/);
      assert.deepEqual((await top(dc)).map((f) => f.name), fwd3);
      assert.equal((await dc.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'drop');
      const start = await act(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
      assert.equal(start.body.reason, 'entry');
      assert.match((await dc.threadsRequest()).body.threads[0].name, /^Packet 1:/);
    });
  });
});
