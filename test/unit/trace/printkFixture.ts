// Test data for the printk-per-packet tests (unit and Chromium): fixtures/xdp_printk_port.c built
// by clang, a few frames, and what the program must print for each, derived from the frames'
// own fields (destination/source port, UDP length = 8 + payload), not from the emulator.
//
//   compilePrintkProgram() -> ELF bytes;  printkPackets() -> { frame, expect }[];  replayPrintk(opts)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { arenaFromGenerated, Replayer } from '../../../extension/core/netvsc/replay';
import { loadXdpProgram } from '../../../extension/core/netvsc/xdpRunner';
import { runEthtool } from '../../../extension/core/ethtool/executor';
import { buildPacket } from '../../../extension/core/packet/build';
import { PacketTrace, type PrintkLimits } from '../../../extension/core/trace/packetTrace';
import type { TraceSink } from '../../../extension/core/trace/sink';

export const GUEST = '00:15:5d:00:00:01';
const eth = { src: '00:15:5d:00:00:02', dst: GUEST };
export const HTML = '<script>alert(666)</script><img src=x onerror=alert(1)>&amp;';

/** fixtures/xdp_printk_port.c compiled by clang, as users build their programs. */
export function compilePrintkProgram(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-printk-'));
  const out = join(dir, 'xdp_printk_port.o');
  try {
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(__dirname, 'fixtures/xdp_printk_port.c'), '-o', out], { stdio: 'pipe' });
    return readFileSync(out);
  } catch (e) {
    throw new Error(`clang failed (Debian packages clang, libbpf-dev): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`, { cause: e });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Sent { frame: Uint8Array; expect: string[] }

/** The packets and, from the bytes built (ports, UDP length = 8 + payload), what the program must print. */
export function printkPackets(): Sent[] {
  const udp = (sport: number, dport: number, payload: number): Sent => {
    const frame = buildPacket({ eth, ip: { src: '10.0.0.3', dst: '10.0.0.2', ttl: 64, id: dport }, l4: { udp: { sport, dport } }, payload });
    const expect = [`dport=${dport} len=${8 + payload} q=0`]; // one channel: queue 0
    if (dport === 53) expect.push(`dns from ${sport} to 53`);
    if (dport === 666) expect.push(HTML);
    return { frame, expect };
  };
  const tcp = buildPacket({ eth, ip: { src: '10.0.0.3', dst: '10.0.0.2', ttl: 64, id: 1 }, l4: { tcp: { sport: 40000, dport: 443, seq: 1, ack: 1, flags: 0x18, window: 512 } }, payload: 30 });
  return [udp(5353, 53, 40), udp(1000, 80, 12), { frame: tcp, expect: [] }, udp(1001, 666, 20), udp(1002, 9, 100), udp(1003, 4242, 0)];
}

function printkDevice(): NetvscDevice {
  const d = new NetvscDevice({ mac: GUEST, cpus: 1 });
  runEthtool(d, ['-K', 'eth0', 'lro', 'off']);
  assert.equal(d.setXdp(loadXdpProgram(compilePrintkProgram(), { objectPath: 'xdp_printk_port.o' })).err, 0);
  return d;
}

/** The packets replayed through a one-channel device running the program; the Replayer's own trace. */
export function replayPrintk(opts: { sink?: TraceSink } = {}) {
  const sent = printkPackets();
  const src = arenaFromGenerated(sent.map((s, i) => ({ tsSec: 1700000000, tsNsec: i * 1000, data: s.frame, direction: 'rx' as const })));
  const rep = new Replayer(printkDevice(), src, opts.sink ? { sink: opts.sink } : {});
  rep.runAll();
  return { rep, sent, src };
}

/** The same replay into a trace with a small printk buffer (fed as the replay's extra sink, records begun by hand). */
export function replayPrintkBounded(limits: PrintkLimits) {
  const sent = printkPackets();
  const src = arenaFromGenerated(sent.map((s, i) => ({ tsSec: 1700000000, tsNsec: i * 1000, data: s.frame, direction: 'rx' as const })));
  const trace = new PacketTrace(limits);
  for (let i = 0; i < sent.length; i++) trace.begin(i, src.time(i), sent[i].frame.length, src.byteRef(i));
  new Replayer(printkDevice(), src, { sink: trace, trace: false }).runAll();
  return { trace, sent, src };
}

