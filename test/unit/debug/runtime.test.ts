// The debug runtime in-process (no DAP): step back undoes a hash-map insert made by a helper,
// the evaluator reads ctx and packet memory, hit conditions and typed map values parse as
// documented, and a program the VM refuses to load stops as a verifier-style rejection.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebugRuntime, hitConditionMet, parseValueBytes, type DebugTarget, type PacketSource, type RunOptions, type StopInfo } from '../../../extension/core/debug/runtime';
import { loadObject } from '../../../extension/core/ebpf/loader';
import { SeededEnv } from '../../../extension/core/ebpf/vm';
import { buildPacket } from '../../../extension/core/packet/build';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { NetvscPipeline } from '../../../extension/core/netvsc/pipeline';
import { PacketTrace } from '../../../extension/core/trace/packetTrace';

let tmp: string;
before(() => { tmp = mkdtempSync(join(tmpdir(), 'netvsc-rt-')); });
after(() => rmSync(tmp, { recursive: true, force: true }));

function compile(name: string, src: string) {
  const c = join(tmp, `${name}.c`), o = join(tmp, `${name}.o`);
  writeFileSync(c, src);
  try {
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', c, '-o', o], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`clang failed: ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}; install the Debian package clang`, { cause: e });
  }
  return { prog: loadObject(readFileSync(o), { fileName: `${name}.o` }).programs[0], c };
}

const FRAME = buildPacket({ eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { src: '10.0.0.1', dst: '10.0.0.2' }, l4: { udp: { sport: 1, dport: 2 } }, payload: 22 });
const packets: PacketSource = { name: 'mem', count: 2, packet: () => FRAME, timeNs: (i) => i * 1000 };

/** A runtime whose stops resolve one at a time. */
function start(target: DebugTarget, options: RunOptions) {
  const stops: StopInfo[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const rt = new DebugRuntime(target, options, {
    stopped: (s) => { stops.push(s); wake?.(); },
    output: () => {},
    terminated: () => { ended = true; wake?.(); },
  });
  const next = async (action: () => unknown): Promise<StopInfo | 'ended'> => {
    const n = stops.length;
    const p = new Promise<void>((r) => { wake = r; });
    await action();
    if (stops.length === n && !ended) await p;
    return stops.length > n ? stops[stops.length - 1] : 'ended';
  };
  return { rt, next };
}

const HASH_C = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("xdp")
int xdp_seen(struct xdp_md *ctx)
{
	__u32 key = 7;
	__u64 one = 1;
	bpf_map_update_elem(&seen, &key, &one, BPF_ANY);
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

const RAND_C = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} bucket SEC(".maps");

SEC("xdp")
int xdp_rand(struct xdp_md *ctx)
{
	__u32 key = bpf_get_prandom_u32() & 3;
	__u64 *v = bpf_map_lookup_elem(&bucket, &key);
	if (v) {
		*v += 1;
		return XDP_PASS;
	}
	__u64 one = 1;
	bpf_map_update_elem(&bucket, &key, &one, BPF_ANY);
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

describe('debug runtime', () => {
  it('step back undoes a hash-map insert done by bpf_map_update_elem, exactly', async () => {
    const { prog, c } = compile('hash', HASH_C);
    const { rt, next } = start({ program: prog, packets, sourcePath: c }, { stopAtPacket: 1, stopAtStage: 'xdp' });
    assert.equal((await next(() => rt.start())) as StopInfo !== undefined, true);
    await next(() => rt.stepIn());
    const seen = rt.maps.find((m) => m.name === 'seen')!;
    const callLine = HASH_C.split('\n').findIndex((l) => l.includes('bpf_map_update_elem')) + 1;
    // Step by instruction until the helper call has run (the map gains key 7 = 1).
    let steps = 0;
    while (seen.entries().length === 0 && steps < 50) { await next(() => rt.next('instruction')); steps++; }
    assert.deepEqual(seen.entries().map((e) => [e.key[0], e.values[0][0]]), [[7, 1]]);
    assert.equal(rt.lineOf(rt.stack()[0].insn! - 1)?.line, callLine);
    // One instruction back: the call is undone and the map is empty again.
    await next(() => rt.stepBack('instruction'));
    assert.equal(seen.entries().length, 0);
    // Forward again re-inserts it: replay after undo is exact.
    await next(() => rt.next('instruction'));
    assert.deepEqual(seen.entries().map((e) => [e.key[0], e.values[0][0]]), [[7, 1]]);
  });

  it('evaluates ctx fields, loads through casts and registers', async () => {
    const { prog, c } = compile('hash2', HASH_C);
    const { rt, next } = start({ program: prog, packets, sourcePath: c }, { stopAtPacket: 2, stopAtStage: 'xdp' });
    await next(() => rt.start());
    await next(() => rt.stepIn('instruction'));
    // At the first instruction r1 is the ctx; the packet sits after 256 bytes of headroom.
    assert.equal(rt.evaluate('ctx->data_end - ctx->data').result.value, BigInt(FRAME.length));
    assert.equal(rt.evaluate('*(u32 *)(r1 + 4)').result.value, BigInt(256 + FRAME.length));
    // The Ethernet type 0x0800 read little-endian as a u16, like the program's own loads.
    assert.equal(rt.evaluate('*(u16 *)(ctx->data + 12)').result.value, 0x0008n);
    assert.equal(rt.evaluate('*(u8 *)(ctx->data + 23)').result.value, 17n);
    assert.equal(rt.evaluate('(3 + 4) * 2 == 14 && !0').result.text, 'true');
    assert.equal(rt.evaluate('(u8)0x1234').result.value, 0x34n);
    assert.equal(rt.evaluate('(s8)0xff').result.text, '-1');
    assert.equal(rt.evaluate('udp.dstport').result.text, '2');
    assert.throws(() => rt.evaluate('*(u8 *)(ctx->data + 4000)'), /cannot read 1 byte at pkt\+/);
    assert.throws(() => rt.evaluate('r1 +'), /expected a value \(column 5\)/);
    assert.equal(rt.packetNumber, 2);
  });

  it('display-filter conditions pick the packets the fixture built to match, on the full-speed path', async () => {
    const { prog, c } = compile('cond', HASH_C);
    const eth = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
    // Only packet 2 is TCP to port 80; only packet 4 is UDP from 10.0.0.9 to port 53.
    const frames = [
      buildPacket({ eth, ip: { src: '10.0.0.1', dst: '10.0.0.2' }, l4: { udp: { sport: 1, dport: 53 } }, payload: 4 }),
      buildPacket({ eth, ip: { src: '10.0.0.9', dst: '10.0.0.2' }, l4: { tcp: { sport: 1, dport: 80, flags: 0x02 } }, payload: 0 }),
      buildPacket({ eth, ip: { src: '10.0.0.9', dst: '10.0.0.2' }, l4: { udp: { sport: 1, dport: 1000 } }, payload: 4 }),
      buildPacket({ eth, ip: { src: '10.0.0.9', dst: '10.0.0.2' }, l4: { udp: { sport: 1, dport: 53 } }, payload: 4 }),
    ];
    const src: PacketSource = { name: 'mem', count: frames.length, packet: (i) => frames[i], timeNs: (i) => i * 1000 };
    const { rt, next } = start({ program: prog, packets: src, sourcePath: c }, { stopAtPacket: 'ip.src == 10.0.0.9 && udp.dstport == 53', stopAtStage: 'xdp' });
    const callLine = HASH_C.split('\n').findIndex((l) => l.includes('bpf_map_update_elem')) + 1;
    const [bp] = rt.setLineBreakpoints(c, [{ line: callLine, condition: 'tcp.dstport == 80' }]);
    assert.equal(bp.verified, true);
    const first = await next(() => rt.start());
    assert.equal((first as StopInfo).reason, 'breakpoint');
    assert.equal(rt.packetNumber, 2);
    assert.match(rt.threadName, /^Packet 2: 10\.0\.0\.9 → 10\.0\.0\.2 TCP 1 → 80$/);
    // A register expression is not a display filter: it goes to the evaluator at the stop.
    rt.setLineBreakpoints(c, [{ line: callLine, condition: 'r1 == 12345' }]);
    await next(() => rt.continue());
    assert.equal(rt.packetNumber, 4);
    assert.equal(rt.evaluate('ip.src').result.text, '10.0.0.9');
  });

  it('packets the guest sends stop at the transmit stages, with the queue the device picked; reverse-continue finds them', async () => {
    const { prog, c } = compile('txstops', HASH_C);
    const guest = { src: '00:15:5d:00:00:01', dst: '02:00:00:00:00:09' };
    // RX, TX (UDP 5000 -> 53), RX, TX (TCP 40000 -> 80): the program runs on the RX ones only.
    const frames = [
      FRAME,
      buildPacket({ eth: guest, ip: { src: '10.0.0.2', dst: '10.9.0.1' }, l4: { udp: { sport: 5000, dport: 53 } }, payload: 10 }),
      FRAME,
      buildPacket({ eth: guest, ip: { src: '10.0.0.2', dst: '10.9.0.7' }, l4: { tcp: { sport: 40000, dport: 80, flags: 0x18 } }, payload: 10 }),
    ];
    const tx = new Set([1, 3]);
    const src: PacketSource = { name: 'mem', count: 4, packet: (i) => frames[i], timeNs: (i) => i * 1000, isTx: (i) => tx.has(i) };
    // The queues the device itself picks for them (the same device a plain replay builds).
    const dev = new NetvscDevice({ host: 'azure', cpus: 8 });
    const trace = new PacketTrace();
    const pipe = new NetvscPipeline(dev, trace);
    const want = frames.map((f, i) => { trace.begin(pipe.nextId, i * 1000, f.length, 0); return tx.has(i) ? pipe.transmit(f, 0, f.length, i * 1000) : pipe.receive(f, 0, f.length, i * 1000); });
    const { rt, next } = start({ program: prog, packets: src, sourcePath: c }, {});
    assert.deepEqual(rt.setFunctionBreakpoints([{ name: 'tx-queue' }]).map((b) => b.verified), [true]);
    const s1 = await next(() => rt.start()) as StopInfo;
    assert.equal(s1.reason, 'function breakpoint');
    assert.equal(rt.packetNumber, 2);
    const names = () => rt.stack().map((f) => f.name.split(':')[0]);
    assert.deepEqual(names(), ['TX queue', 'TX hash', 'wire']);
    assert.equal(rt.stack()[0].name, `TX queue: queue ${trace.queue(want[1])}, L4 flow hash (sdfn)`);
    assert.match(rt.stack()[1].name, new RegExp(`^TX hash: hashed, hash 0x${trace.hash(want[1]).toString(16).padStart(8, '0')}, L4 flow hash`));
    // Stage by stage to the end of the TX path, then on to the next packet (an RX one).
    await next(() => rt.next());
    assert.equal(names()[0], 'TX checksum');
    await next(() => rt.next());
    assert.equal(rt.stack()[0].name, `send: new-section, queue ${trace.queue(want[1])}`);
    await next(() => rt.continue());
    assert.equal(rt.packetNumber, 4);
    assert.equal(rt.stack()[0].name, `TX queue: queue ${trace.queue(want[3])}, L4 flow hash (sdfn)`);
    // Back to packet 2's stop by re-execution.
    assert.equal((await next(() => rt.reverseContinue()) as StopInfo).reason, 'function breakpoint');
    assert.equal(rt.packetNumber, 2);
    assert.equal(names()[0], 'TX queue');
  });

  it('conditions over registers and maps decided by probing stop exactly where the recorded walk stops, forwards and backwards, output once', async () => {
    const src = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} bucket SEC(".maps");

SEC("xdp")
int xdp_probe(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 38 > end)
		return XDP_PASS;
	__u32 port = data[37];
	__u32 key = bpf_get_prandom_u32() & 3;
	__u64 *v = bpf_map_lookup_elem(&bucket, &key);
	if (v)
		*v += port;
	bpf_printk("port %u key %u", port, key);
	return port == 99 ? XDP_ABORTED : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;
    const { prog, c } = compile('probe', src);
    const eth = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
    const frames = Array.from({ length: 40 }, (_, i) => buildPacket({ eth, ip: { src: '10.0.0.1', dst: '10.0.0.2' }, l4: { udp: { sport: 1, dport: i === 23 ? 99 : (i * 7) % 50 } }, payload: 4 }));
    const lineOf = (needle: string) => src.split('\n').findIndex((l) => l.includes(needle)) + 1;
    // The same session twice: B also has a stage breakpoint that never fires (no XDP_TX here),
    // which makes every packet a recorded walk; A's packets are decided by probes.
    const session = async (recorded: boolean) => {
      const out: string[] = [];
      let wake: (() => void) | undefined;
      const stops: StopInfo[] = [];
      const src2: PacketSource = { name: 'mem', count: frames.length, packet: (i) => frames[i], timeNs: (i) => i * 1000 };
      const rt = new DebugRuntime({ program: prog, packets: src2, sourcePath: c, seed: 3 }, {}, {
        stopped: (s) => { stops.push(s); wake?.(); }, output: (_c, t) => { if (!/^packets? \d/.test(t)) out.push(t); } /* per-packet verdict lines vs ranges: how A and B summarise */, terminated: () => wake?.(),
      });
      rt.setExceptionFilters(['fault', 'aborted']);
      rt.setLineBreakpoints(c, [
        { line: lineOf('if (v)'), condition: 'bucket[1] > 60 && bucket[1] < 120' },
        { line: lineOf('*v += port'), hitCondition: '% 9' },
        { line: lineOf('bpf_printk'), logMessage: 'b0={bucket[0]} r0={r0}' },
      ]);
      if (recorded) assert.deepEqual(rt.setFunctionBreakpoints([{ name: 'tx' }]).map((b) => b.verified), [true]);
      const snaps: unknown[] = [];
      const act = async (f: () => Promise<void>) => {
        const n = stops.length;
        const p = new Promise<void>((r) => { wake = r; });
        await f();
        if (stops.length === n) await p;
        const s = stops[stops.length - 1];
        const inProg = rt.stack()[0]?.kind === 'program';
        snaps.push({
          reason: s?.reason, exc: s?.exceptionId, packet: rt.packetNumber, line: rt.stack()[0]?.line?.line,
          regs: inProg ? Array.from({ length: 11 }, (_, r) => rt.evaluate(`r${r}`).result.text) : undefined,
          bucket: rt.maps.find((m) => m.name === 'bucket')!.entries().map((e) => e.values[0].join(',')),
          out: out.splice(0),
        });
      };
      await act(() => rt.start());
      for (let k = 0; k < 7; k++) await act(() => rt.continue());
      for (let k = 0; k < 5; k++) await act(() => rt.reverseContinue());
      for (let k = 0; k < 3; k++) await act(() => rt.continue());
      return snaps;
    };
    const probed = await session(false);
    const walked = await session(true);
    assert.deepEqual(probed, walked);
    // And they are real stops: a condition stop, a hit-count stop and the XDP_ABORTED packet (24) among them.
    const kinds = new Set(probed.map((s) => `${(s as { reason: string }).reason}/${(s as { exc?: string }).exc ?? ''}`));
    assert.ok(kinds.has('breakpoint/') && kinds.has('exception/aborted'), [...kinds].join(' '));
    assert.ok(probed.some((s) => (s as { packet: number }).packet === 24));
    // Each packet's printk and logpoint lines appear once going forward (none during re-execution).
    const firstRun = probed.slice(0, 6).flatMap((s) => (s as { out: string[] }).out).filter((l) => l.startsWith('[packet '));
    const nums = firstRun.map((l) => Number(/^\[packet (\d+)\]/.exec(l)![1]));
    assert.deepEqual(nums, [...nums].sort((a, b) => a - b));
    assert.equal(new Set(nums).size, nums.length);
  });

  it('hit conditions and typed map values follow VS Code and bpftool conventions', () => {
    // "5" means from the 5th hit on (VS Code's default hit condition semantics), "% 3" every third.
    assert.deepEqual([1, 4, 5, 6].map((h) => hitConditionMet('5', h)), [false, false, true, true]);
    assert.deepEqual([1, 2, 3, 6].map((h) => hitConditionMet('% 3', h)), [false, false, true, true]);
    assert.deepEqual([2, 3].map((h) => hitConditionMet('== 3', h)), [false, true]);
    assert.deepEqual([...parseValueBytes('0x0102', 4)], [2, 1, 0, 0]);
    assert.deepEqual([...parseValueBytes('01 02 03 04', 4)], [1, 2, 3, 4]);
    assert.throws(() => parseValueBytes('70000', 2), /does not fit 2 bytes/);
    assert.throws(() => parseValueBytes('zz', 1), /expected a number or 1 hex bytes/);
  });

  it('a program the VM refuses to load stops as a verifier rejection at its source line', async () => {
    const src = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
static long (*bogus_helper)(void) = (void *)9999;
SEC("xdp")
int xdp_bogus(struct xdp_md *ctx)
{
	return bogus_helper() ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;
    const { prog, c } = compile('bogus', src);
    const { rt, next } = start({ program: prog, packets, sourcePath: c }, {});
    rt.setExceptionFilters(['verifier']);
    const s = (await next(() => rt.start())) as StopInfo;
    assert.equal(s.reason, 'exception');
    assert.equal(s.exceptionId, 'verifier');
    assert.match(s.text!, /invalid func unknown#9999/);
    const line = src.split('\n').findIndex((l) => l.includes('return bogus_helper()')) + 1;
    assert.equal(rt.stack()[0].line?.line, line);
  });

  it('stepping a stopped packet replays exactly what the device saw: same random numbers, printk once', async () => {
    const src = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int xdp_rand(struct xdp_md *ctx)
{
	__u32 r = bpf_get_prandom_u32();
	bpf_printk("r=%u", r);
	return (r & 1) ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;
    const { prog, c } = compile('rand', src);
    const lines: string[] = [];
    const stops: StopInfo[] = [];
    let wake: (() => void) | undefined;
    const rt = new DebugRuntime({ program: prog, packets, sourcePath: c }, { stopAtPacket: 2, stopAtStage: 'xdp' }, {
      stopped: (s) => { stops.push(s); wake?.(); }, output: (cat, t) => { if (cat === 'stdout') lines.push(t.trim()); }, terminated: () => wake?.(),
    });
    const step = async (f: () => unknown): Promise<void> => { const p = new Promise<void>((r) => { wake = r; }); await f(); await p; };
    await step(() => rt.start());
    // The environment is seeded with 1: packet 1 drew the first number, packet 2 the second.
    const env = new SeededEnv(1);
    const r1 = env.random(), r2 = env.random();
    await step(() => rt.next()); // run the program (stage-level step over)
    const verdict = rt.stack()[0].name;
    assert.match(verdict, new RegExp(`^XDP program: ${r2 & 1 ? 'XDP_DROP' : 'XDP_PASS'}`));
    assert.doesNotMatch(verdict, /changed in the debugger/);
    assert.deepEqual(lines, [`[packet 1] r=${r1}`, `[packet 2] r=${r2}`]);
  });

  it('reverse-continue across packets restores random draws, map entries and registers exactly, with hit counts as forward', async () => {
    const { prog, c } = compile('rand', RAND_C);
    const src: PacketSource = { name: 'mem', count: 9, packet: () => FRAME, timeNs: (i) => i * 1000 };
    const { rt, next } = start({ program: prog, packets: src, sourcePath: c, seed: 7 }, {});
    const lookupLine = RAND_C.split('\n').findIndex((l) => l.includes('bpf_map_lookup_elem')) + 1;
    const [bp] = rt.setLineBreakpoints(c, [{ line: lookupLine, hitCondition: '% 3' }]);
    assert.equal(bp.verified, true);
    const bucket = () => rt.maps.find((m) => m.name === 'bucket')!;
    const snap = () => ({
      packet: rt.packetNumber, line: rt.stack()[0].line?.line,
      regs: Array.from({ length: 11 }, (_, r) => rt.evaluate(`r${r}`).result.value),
      entries: bucket().entries().map((e) => `${e.key[0]}=${e.values[0][0]}`).sort(),
    });
    const total = (e: string[]) => e.reduce((a, x) => a + Number(x.split('=')[1]), 0);
    // The line is reached once per packet: '% 3' stops at packets 3 and 6 (and 9).
    await next(() => rt.start());
    const f3 = snap();
    await next(() => rt.continue());
    const f6 = snap();
    assert.deepEqual([f3.packet, f6.packet], [3, 6]);
    // Each earlier packet counted once into some bucket (keys drawn by bpf_get_prandom_u32).
    assert.equal(total(f3.entries), 2);
    assert.equal(total(f6.entries), 5);
    // Move on through packet 6 and into 7, then back.
    rt.setLineBreakpoints(c, [{ line: lookupLine, hitCondition: '% 3' }, { line: lookupLine - 1, condition: 'frame.number == 7' }]);
    assert.equal((await next(() => rt.continue()) as StopInfo).reason, 'breakpoint');
    assert.equal(rt.packetNumber, 7);
    await next(() => rt.reverseContinue());
    assert.deepEqual(snap(), f6);
    await next(() => rt.reverseContinue());
    assert.deepEqual(snap(), f3);
    const s = await next(() => rt.reverseContinue()) as StopInfo;
    assert.equal(s.reason, 'entry');
    assert.equal(rt.packetNumber, 1);
    assert.equal(bucket().entries().length, 0);
    // Forward again: the same stops, the same state.
    await next(() => rt.continue());
    assert.deepEqual(snap(), f3);
  });

  it('reverse-continue stops at an earlier fault at its instruction, with the fault', async () => {
    const src = readFileSync(join(__dirname, '../../fixtures/debug/xdp_oob.c'), 'utf8');
    const { prog, c } = compile('oob', src);
    const three: PacketSource = { name: 'mem', count: 3, packet: () => FRAME, timeNs: (i) => i * 1000 };
    const { rt, next } = start({ program: prog, packets: three, sourcePath: c }, {});
    const faultLine = src.split('\n').findIndex((l) => l.includes('data[200]')) + 1;
    // With XDP_ABORTED on as well, continuing from a fault goes on to the next packet (one stop per fault).
    rt.setExceptionFilters(['fault', 'aborted']);
    const f1 = await next(() => rt.start()) as StopInfo;
    assert.equal(f1.reason, 'exception');
    assert.equal(rt.packetNumber, 1);
    await next(() => rt.continue());
    assert.equal(rt.packetNumber, 2);
    // Step on to the XDP decision of packet 2 (the fault is XDP_ABORTED), then run back.
    await next(() => rt.next());
    const back = await next(() => rt.reverseContinue()) as StopInfo;
    assert.equal(back.reason, 'exception');
    assert.equal(back.exceptionId, 'fault');
    assert.equal(rt.packetNumber, 2);
    assert.equal(rt.stack()[0].line?.line, faultLine);
    const back1 = await next(() => rt.reverseContinue()) as StopInfo;
    assert.equal(back1.exceptionId, 'fault');
    assert.equal(rt.packetNumber, 1);
    assert.equal(rt.stack()[0].line?.line, faultLine);
    assert.equal((await next(() => rt.reverseContinue()) as StopInfo).reason, 'entry');
  });

  it('pause while running back stops at the start of the packet the re-execution reached, in its state', async () => {
    const { prog, c } = compile('randpause', RAND_C);
    const n = 2000;
    const src: PacketSource = { name: 'mem', count: n, packet: () => FRAME, timeNs: (i) => i * 1000 };
    const { rt, next } = start({ program: prog, packets: src, sourcePath: c }, {});
    const lookupLine = RAND_C.split('\n').findIndex((l) => l.includes('bpf_map_lookup_elem')) + 1;
    // An expression condition: every packet is stepped (the slow path), going forward and back.
    rt.setLineBreakpoints(c, [{ line: lookupLine - 1, condition: 'r1 == 12345' }, { line: lookupLine, condition: `frame.number == ${n}` }]);
    await next(() => rt.start());
    assert.equal(rt.packetNumber, n);
    // The request runs until its first yield; the pause lands at the packet it has reached then.
    const s = await next(() => { const r = rt.reverseContinue(); rt.pause(); return r; }) as StopInfo;
    assert.equal(s.reason, 'pause');
    const k = rt.packetNumber!;
    assert.ok(k > 1 && k < n, `paused at packet ${k}`);
    assert.equal(rt.stack().length, 1);
    // Packets 1..k-1 each counted once into a bucket.
    const total = rt.maps.find((m) => m.name === 'bucket')!.entries().reduce((a, e) => a + Number(new DataView(e.values[0].buffer, e.values[0].byteOffset).getBigUint64(0, true)), 0);
    assert.equal(total, k - 1);
    // Forward from there reaches packet n's breakpoint again.
    await next(() => rt.continue());
    assert.equal(rt.packetNumber, n);
  });

  it('reverse-continue inside the packet goes back before a bpf_get_prandom_u32 call, which then draws the same number again', async () => {
    const { prog, c } = compile('randback', RAND_C);
    const src: PacketSource = { name: 'mem', count: 4, packet: () => FRAME, timeNs: (i) => i * 1000 };
    const { rt, next } = start({ program: prog, packets: src, sourcePath: c, seed: 3 }, {});
    const keyLine = RAND_C.split('\n').findIndex((l) => l.includes('bpf_get_prandom_u32')) + 1;
    rt.setLineBreakpoints(c, [{ line: keyLine, condition: 'frame.number == 3' }]);
    await next(() => rt.start());
    assert.equal(rt.packetNumber, 3);
    assert.equal(rt.stack()[0].line?.line, keyLine);
    // Run the helper call (r0 = the 32-bit draw after it returns).
    const draw = async (): Promise<bigint> => {
      for (let k = 0; k < 20; k++) {
        const before = rt.stack()[0].insn!;
        await next(() => rt.next('instruction'));
        if (rt.disassemble(rt.entryOf(before), 1)[0].text.startsWith('call')) return rt.evaluate('r0').result.value!;
      }
      throw new Error('no helper call within 20 instructions');
    };
    const first = await draw();
    await next(() => rt.next());
    const back = await next(() => rt.reverseContinue()) as StopInfo;
    assert.equal(back.reason, 'breakpoint');
    assert.equal(rt.packetNumber, 3);
    assert.equal(rt.stack()[0].line?.line, keyLine);
    assert.equal(await draw(), first);
  });
});
