// Launch configurations: each mistake is one LaunchError naming the attribute (and file / line),
// an ethtool setup script configures the device the packets go through, and a scenario file
// works like a trace.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LaunchError, prepareLaunch } from '../../../extension/core/debug/launch';
import { DebugRuntime, type StopInfo } from '../../../extension/core/debug/runtime';
import { buildPacket } from '../../../extension/core/packet/build';
import { PcapWriter } from '../../../extension/core/packet/pcap';

const PROGRAM = resolve(__dirname, '../../fixtures/debug/xdp_debug.c');
let tmp: string, trace: string;

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'netvsc-launch-'));
  trace = join(tmp, 't.pcap');
  const w = new PcapWriter(1);
  const f = buildPacket({ eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { src: '10.0.0.1', dst: '10.0.0.2' }, l4: { tcp: { sport: 1234, dport: 80, flags: 0x02 } }, payload: 0 });
  writeFileSync(trace, Buffer.concat([w.header(), w.record(f, 1, 0), w.record(f, 2, 0)]));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

async function launchError(args: Parameters<typeof prepareLaunch>[0]): Promise<string> {
  try {
    await prepareLaunch(args);
  } catch (e) {
    assert.ok(e instanceof LaunchError, `expected a LaunchError, got ${e}`);
    return e.message;
  }
  assert.fail('launch succeeded');
}

describe('launch configuration', () => {
  it('names the attribute and the problem', async () => {
    assert.match(await launchError({ program: join(tmp, 'nope.c'), trace }), /^program: .*nope\.c does not exist$/);
    assert.match(await launchError({ program: PROGRAM }), /^trace: missing/);
    assert.match(await launchError({ program: PROGRAM, trace, section: 'tc' }), /^section: 'tc' is not an XDP program of .*\(XDP programs: xdp \(xdp_debug\)\)$/);
    assert.match(await launchError({ program: PROGRAM, trace, host: 'ws2008' }), /^host: 'ws2008' is not a host profile/);
    assert.match(await launchError({ program: PROGRAM, trace, stopAtPacket: 3 }), /^stopAtPacket: 3 is past the last packet of the trace \(2\)$/);
    // The packet layer's filter compiler: 'udp.dstport ==' is 14 characters, the value is missing at column 15.
    assert.match(await launchError({ program: PROGRAM, trace, stopAtPacket: 'udp.dstport ==' }), /^stopAtPacket: 'udp\.dstport ==': expected a value after "==" \(column 15\)$/);
    assert.match(await launchError({ program: PROGRAM, trace, stopAtStage: 'nowhere' }), /^stopAtStage: 'nowhere' is not a stage/);
    const bad = join(tmp, 'bad.c');
    writeFileSync(bad, '#include <linux/bpf.h>\nint f(void) { return undeclared; }\n');
    assert.match(await launchError({ program: bad, trace }), /^program: .*bad\.c:2:\d+: error: use of undeclared identifier 'undeclared'$/);
    const notPcap = join(tmp, 'x.pcap');
    writeFileSync(notPcap, 'hello world, not a capture');
    assert.match(await launchError({ program: PROGRAM, trace: notPcap }), /^trace: .*x\.pcap: not a pcap or pcapng file: magic 0x68656c6c at byte 0$/);
  });

  it('a failing setup script line is named by file and line number', async () => {
    const script = join(tmp, 'setup.ethtool');
    writeFileSync(script, '# channels\nethtool -L eth0 combined 2\n\nethtool -L eth0 combined 99\n');
    assert.match(await launchError({ program: PROGRAM, trace, setupScript: script }), /^setupScript: .*setup\.ethtool:4: ethtool -L eth0 combined 99: /);
  });

  it('the setup script configures the device: one channel means no RSS hash', async () => {
    const script = join(tmp, 'one.ethtool');
    writeFileSync(script, 'ethtool -L eth0 combined 1\n');
    const prepared = await prepareLaunch({ program: PROGRAM, trace, setupScript: script, stopAtPacket: 1, stopAtStage: 'xdp' });
    let stop: StopInfo | undefined;
    const rt = new DebugRuntime(prepared.target, prepared.options, { stopped: (s) => { stop = s; }, output: () => {}, terminated: () => {} });
    await rt.start();
    assert.equal(stop?.reason, 'step');
    const names = rt.stack().map((f) => f.name);
    // With a single channel netvsc programs no RSS: every packet lands on queue 0.
    assert.ok(names.some((n) => /^RSS: .*one channel: no RSS/.test(n)), names.join(' | '));
    assert.ok(names.some((n) => /^channel: queue 0$/.test(n)), names.join(' | '));
  });

  it('a scenario file works like a trace (generated packets, same stops)', async () => {
    const scen = join(tmp, 'dns.yaml');
    writeFileSync(scen, 'seed: 3\nflows:\n  - { type: udp, src: 10.0.0.1, dst: 10.0.0.2, sport: 40000, dport: 53, count: 3, size: 40 }\n');
    const prepared = await prepareLaunch({ program: PROGRAM, scenario: scen, stopAtPacket: 'udp.dstport == 53', stopAtStage: 'xdp' });
    assert.equal(prepared.target.packets.count, 3);
    let stop: StopInfo | undefined;
    const rt = new DebugRuntime(prepared.target, prepared.options, { stopped: (s) => { stop = s; }, output: () => {}, terminated: () => {} });
    await rt.start();
    assert.equal(stop?.reason, 'step');
    assert.match(rt.threadName, /^Packet 1: 10\.0\.0\.1 → 10\.0\.0\.2 UDP 40000 → 53$/);
    assert.match(rt.stack()[0].name, /^XDP program: about to run xdp_debug/);
    assert.match(await launchError({ program: PROGRAM, scenario: scen, trace }), /^trace and scenario: give one of them/);
  });

  it('with the VF up the packets take the VF data path, and the XDP program runs there', async () => {
    const prepared = await prepareLaunch({ program: PROGRAM, trace, vf: 'up', stopAtPacket: 1, stopAtStage: 'xdp' });
    const rt = new DebugRuntime(prepared.target, prepared.options, { stopped: () => {}, output: () => {}, terminated: () => {} });
    await rt.start();
    const names = rt.stack().map((f) => f.name);
    assert.match(names[0], /^XDP program: about to run xdp_debug/);
    assert.ok(names.some((n) => /^data path: vf/.test(n)), names.join(' | '));
    assert.ok(!names.some((n) => /^receive buffer/.test(n)), 'the VF path has no netvsc receive buffer');
  });
});
