// Debugger speed. (1) Run to a stop at packet 100,000 of a trace (target < 1 s: packets no stop can
// happen in run at full speed): by `stopAtPacket`, and by a line breakpoint whose display-filter
// condition matches only that packet. The reference, measured in the same run, is the bare
// engine: the same 100,000 packets (already in memory) through Machine.run with no debugger at
// all, with the interpreter and with the JIT (the debugger's full-speed path uses the JIT).
// (2) How long one step request takes end to end over DAP (target < 50 ms): step over by line,
// by instruction, and step back, through the standalone adapter.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { prepareLaunch } from '../extension/core/debug/launch';
import { DebugRuntime, type StopInfo } from '../extension/core/debug/runtime';
import { HelperState, xdpHelpers } from '../extension/core/ebpf/helpers';
import { interpreter } from '../extension/core/ebpf/interpreter';
import { loadObject } from '../extension/core/ebpf/loader';
import { createMaps } from '../extension/core/ebpf/maps';
import { jit } from '../extension/core/ebpf/jit';
import { Machine, type VmEngine } from '../extension/core/ebpf/vm';
import { openCaptureFile } from '../extension/core/packet/fileSource';
import { NetvscDevice } from '../extension/core/netvsc/device';
import { NETIF_F_LRO } from '../extension/core/netvsc/features';
import { captureSource, Replayer } from '../extension/core/netvsc/replay';
import { loadXdpProgram } from '../extension/core/netvsc/xdpRunner';
import { udpTraceParts } from './udpTrace';

const ROOT = resolve(__dirname, '..');
const PROGRAM = join(ROOT, 'test/fixtures/debug/xdp_debug.c');
const N = 100_000;
const tmp = mkdtempSync(join(tmpdir(), 'netvsc-debug-bench-'));

const parts = udpTraceParts(N);
const trace = join(tmp, 'bench.pcap');
writeFileSync(trace, Buffer.concat(parts));

async function runTo(label: string, args: Record<string, unknown>, lineBp?: { line: number; condition: string }, back = false): Promise<number> {
  const prepared = await prepareLaunch({ program: PROGRAM, trace, ...args });
  let stop: StopInfo | undefined;
  let done!: () => void;
  const stopped = new Promise<void>((r) => { done = r; });
  const rt = new DebugRuntime(prepared.target, prepared.options, {
    stopped: (s) => { stop = s; done(); }, output: () => {}, terminated: () => done(),
  });
  if (lineBp) rt.setLineBreakpoints(PROGRAM, [lineBp]);
  const t0 = performance.now();
  await rt.start();
  await stopped;
  const ms = performance.now() - t0;
  console.log(`  ${label.padEnd(58)} ${ms.toFixed(0).padStart(6)} ms   stopped: ${stop?.reason} at packet ${rt.packetNumber}`);
  if (back) {
    // reverse-continue from there: re-executes the trace to find the previous stop (none: the start).
    const again = new Promise<void>((r) => { done = r; });
    const t1 = performance.now();
    await rt.reverseContinue();
    await again;
    console.log(`  ${'  then reverse-continue (no earlier stop: back to packet 1)'.padEnd(58)} ${(performance.now() - t1).toFixed(0).padStart(6)} ms   stopped: ${stop?.reason} at packet ${rt.packetNumber}`);
  }
  return ms;
}

function bareEngine(engine: VmEngine): number {
  const obj = loadObject(execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', PROGRAM, '-o', '-']), { fileName: 'xdp_debug.o' });
  const prog = obj.programs[0];
  const hs = new HelperState();
  const m = new Machine({ helpers: xdpHelpers(hs) });
  const loaded = m.load({ insns: prog.insns, maps: createMaps(prog.maps, { btf: prog.btf }), name: prog.name });
  const frames: Uint8Array[] = [];
  for (let i = 1; i < parts.length; i++) frames.push(parts[i].subarray(16));
  const t0 = performance.now();
  for (const f of frames) { m.packet.load(f); hs.reset(); m.run(loaded, engine); }
  const ms = performance.now() - t0;
  console.log(`  ${`reference: bare Machine.run (${engine.name}), same packets in memory`.padEnd(58)} ${ms.toFixed(0).padStart(6)} ms`);
  return ms;
}

/** The device alone: the same trace through NetvscPipeline with the program attached (JIT), no debugger, no trace. */
function deviceReplay(): number {
  const dev = new NetvscDevice({ host: 'azure', cpus: 8 });
  dev.setFeatures(NETIF_F_LRO, 0n);
  const obj = execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', PROGRAM, '-o', '-']);
  const r = dev.setXdp(loadXdpProgram(obj, { objectPath: 'xdp_debug.o', engine: 'jit' }));
  if (r.err) throw new Error(`attach failed: ${r.extack}`);
  const cap = openCaptureFile(trace);
  const rep = new Replayer(dev, captureSource(cap, dev.mac), { trace: false });
  const t0 = performance.now();
  rep.runAll(1 << 30);
  const ms = performance.now() - t0;
  cap.close();
  console.log(`  ${'reference: device replay (pipeline + XDP JIT), no debugger'.padEnd(58)} ${ms.toFixed(0).padStart(6)} ms`);
  return ms;
}

async function stepLatency(): Promise<void> {
  const adapter = join(ROOT, 'dist/debugAdapter.js');
  await esbuild.build({ entryPoints: [join(ROOT, 'extension/vscode/debug/debugAdapter.ts')], outfile: adapter, bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'], sourcemap: true, logLevel: 'error' });
  const dc = new DebugClient('node', adapter, 'netvsc');
  dc.defaultTimeout = 60_000;
  await dc.start();
  try {
    await dc.initializeRequest({ adapterID: 'netvsc', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    const init = dc.waitForEvent('initialized');
    const first = dc.waitForEvent('stopped');
    await dc.launchRequest({ program: PROGRAM, trace, stopAtPacket: N, stopAtStage: 'xdp' } as DebugProtocol.LaunchRequestArguments);
    await init;
    await dc.configurationDoneRequest();
    await first;
    const entered = dc.waitForEvent('stopped');
    await dc.stepInRequest({ threadId: 1 });
    await entered;
    const time = async (label: string, n: number, req: () => Promise<unknown>): Promise<void> => {
      const t: number[] = [];
      for (let i = 0; i < n; i++) {
        const ev = dc.waitForEvent('stopped');
        const t0 = performance.now();
        await req();
        await ev;
        await dc.stackTraceRequest({ threadId: 1 });
        t.push(performance.now() - t0);
      }
      t.sort((a, b) => a - b);
      console.log(`  ${label.padEnd(58)} median ${t[t.length >> 1].toFixed(2)} ms, max ${t[t.length - 1].toFixed(2)} ms   (target < 50 ms)`);
    };
    await time('step over by instruction (+ stackTrace)', 20, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    await time('step back by instruction (+ stackTrace)', 20, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    await time('step over by line (+ stackTrace)', 6, () => dc.nextRequest({ threadId: 1 }));
    await time('step back by line (+ stackTrace)', 6, () => dc.stepBackRequest({ threadId: 1 }));
  } finally {
    await dc.stop();
  }
}

async function main(): Promise<void> {
  console.log(`run to packet ${N} of a ${N}-packet trace (target < 1000 ms):`);
  bareEngine(interpreter);
  bareEngine(jit);
  deviceReplay();
  await runTo('warm-up (not a figure): stopAtPacket 20000', { stopAtPacket: 20000 });
  await runTo(`stopAtPacket: ${N}`, { stopAtPacket: N });
  await runTo(`line breakpoint, condition 'frame.number == ${N}'`, {}, { line: 38, condition: `frame.number == ${N}` });
  await runTo(`line breakpoint, condition 'udp.dstport == 53'`, {}, { line: 38, condition: 'udp.dstport == 53' });
  // A condition over program state cannot be decided from the packet: every packet is probed
  // (interpreter, pausing only at the breakpoint's instructions to evaluate it).
  await runTo(`line breakpoint, condition '*(u8 *)(ctx->data + 37) == 53'`, {}, { line: 38, condition: '*(u8 *)(ctx->data + 37) == 53' }, true);
  console.log('step requests over DAP (stopped at packet 100000, inside the program):');
  await stepLatency();
}

main().finally(() => rmSync(tmp, { recursive: true, force: true })).catch((e) => { console.error(e); process.exit(1); });
