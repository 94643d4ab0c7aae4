// The CLI commands in-process (memoryIO) and one real process of the bundled CLI: state files
// carried across invocations, ethtool's streams and exit codes, rss-hash, run, replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';
import { openCaptureFile } from '../../../extension/core/packet/fileSource';
import { PcapWriter } from '../../../extension/core/packet/pcap';
import { buildPacket } from '../../../extension/core/packet/build';

const dir = mkdtempSync(join(tmpdir(), 'netvsc-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const run = async (...argv: string[]) => { const io = memoryIO(dir); const code = await main(argv, io); return { code, out: io.stdout, err: io.stderr }; };

test('ethtool with a state file: a change persists to the next invocation; errors keep ethtool streams and codes', async () => {
  let r = await run('ethtool', '--state', 'dev.json', '--host', 'ws2016', '--cpus', '4', '--', '-L', 'eth0', 'combined', '2');
  assert.deepEqual([r.code, r.out, r.err], [0, '', '']);
  r = await run('ethtool', '--state', 'dev.json', '--', '-l', 'eth0');
  assert.match(r.out, /Current hardware settings:\nRX:\t\tn\/a\nTX:\t\tn\/a\nOther:\t\tn\/a\nCombined:\t2\n$/);
  assert.match(r.out, /Pre-set maximums:\nRX:\t\tn\/a\nTX:\t\tn\/a\nOther:\t\tn\/a\nCombined:\t4\n/);
  r = await run('ethtool', '--state', 'dev.json', '--', '-G', 'eth0', 'rx', '999999');
  assert.deepEqual([r.code, r.out], [81, '']);
  assert.equal(r.err, 'netlink error: requested ring size exceeds maximum (offset 36)\nnetlink error: Invalid argument\n');
  r = await run('ethtool', '--host', 'ws2099', '--', '-k', 'eth0');
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown host profile 'ws2099'/);
});

test('a corrupt or newer state file: one line naming the file, exit 1, and the file is left as it was', async () => {
  writeFileSync(join(dir, 'bad.json'), '{ "format": "netvsc-lab-device", "version": 2 }');
  const r = await run('ethtool', '--state', 'bad.json', '--', '-i', 'eth0');
  assert.equal(r.code, 1);
  assert.equal(r.err, `netvsc-lab: ${join(dir, 'bad.json')}: state file version 2 is newer than this netvsc-lab understands (1); upgrade netvsc-lab\n`);
  assert.equal(readFileSync(join(dir, 'bad.json'), 'utf8'), '{ "format": "netvsc-lab-device", "version": 2 }');
});

test('ip: MTU error from the core in iproute2 style; xdp attach refused with LRO; a verifier-rejected object', async () => {
  let r = await run('ip', '--state', 'ip.json', '--', 'link', 'set', 'dev', 'eth0', 'mtu', '70000');
  assert.deepEqual([r.code, r.err], [2, 'Error: mtu greater than device maximum.\n']);
  const obj = resolve('examples/xdp/xdp_pass.o');
  r = await run('ip', '--state', 'ip.json', '--', 'link', 'set', 'dev', 'eth0', 'xdp', 'obj', obj, 'sec', 'xdp');
  assert.deepEqual([r.code, r.err], [2, 'Error: hv_netvsc: XDP: not support LRO.\n']);
  await run('ethtool', '--state', 'ip.json', '--', '-K', 'eth0', 'lro', 'off');
  r = await run('ip', '--state', 'ip.json', '--', 'link', 'set', 'dev', 'eth0', 'xdp', 'obj', obj, 'sec', 'xdp');
  assert.deepEqual([r.code, r.err], [0, '']);
  r = await run('ip', '--state', 'ip.json', '--', 'link', 'show', 'dev', 'eth0');
  assert.match(r.out, /^2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 xdp qdisc mq state UP/);
  assert.match(r.out, /\n {4}prog\/xdp id \d+ name xdp_pass/);
  r = await run('ip', '--state', 'ip.json', '--', 'link', 'set', 'dev', 'eth0', 'xdp', 'obj', resolve('examples/xdp/xdp_buggy_unchecked.o'), 'sec', 'xdp');
  assert.notEqual(r.code, 0);
  assert.match(r.err, /the verifier rejected program 'xdp_buggy_unchecked' at instruction \d+ \(.*xdp_buggy_unchecked\.c:\d+\):\n.*invalid access to packet/);
  r = await run('ip', '--', 'link', 'set', 'dev', 'eth9', 'up');
  assert.deepEqual([r.code, r.err], [1, 'Cannot find device "eth9"\n']);
});

test('rss-hash prints 0x%08x: Microsoft vector, IPv6, key option, bad input', async () => {
  assert.equal((await run('rss-hash', '--src', '66.9.149.187', '--dst', '161.142.100.80', '--sport', '2794', '--dport', '1766')).out, '0x51ccc178\n');
  assert.equal((await run('rss-hash', '--src', '66.9.149.187', '--dst', '161.142.100.80')).out, '0x323e8fc2\n');
  assert.equal((await run('rss-hash', '--src', '3ffe:2501:200:1fff::7', '--dst', '3ffe:2501:200:3::1', '--sport', '2794', '--dport', '1766')).out, '0x40207d3d\n');
  // An all-zero key hashes everything to 0.
  assert.equal((await run('rss-hash', '--src', '1.2.3.4', '--dst', '5.6.7.8', '--key', '00'.repeat(40))).out, '0x00000000\n');
  const bad = await run('rss-hash', '--src', '1.2.3', '--dst', '5.6.7.8');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--src: not an IPv4 or IPv6 address: '1\.2\.3'/);
});

test('run: a transcript with outputs, failures marked, kernel log lines; unknown commands name line:column', async () => {
  writeFileSync(join(dir, 's.ethtool'), '# demo\nethtool -N eth0 rx-flow-hash udp4 sd\nethtool -G eth0 rx 99999\nhost vf add serial 3\n');
  const r = await run('run', 's.ethtool');
  assert.equal(r.code, 1);
  assert.equal(r.out.split('\n').slice(0, 5).join('\n'), '$ ethtool -N eth0 rx-flow-hash udp4 sd\n$ ethtool -G eth0 rx 99999\nnetlink error: requested ring size exceeds maximum (offset 36)\nnetlink error: Invalid argument\n[exit 81]');
  assert.match(r.out, /\[kernel\] hv_netvsc \S+ eth0: Data path switched to VF: enP3s1\n/);
  writeFileSync(join(dir, 'bad.ethtool'), 'ethtool -i eth0\n  frobnicate eth0\n');
  const b = await run('run', 'bad.ethtool');
  assert.deepEqual([b.code, b.err], [2, "netvsc-lab run: bad.ethtool:2:3: unknown command 'frobnicate' (expected ethtool, ip or host)\n"]);
});

test('replay: a pcap through the device, summary, pcapng with per-packet comments, JSON trace; not-a-pcap refused', async () => {
  const w = new PcapWriter(1);
  const frames = [0, 1, 2, 3].map((i) => buildPacket({ eth: { src: '00:15:5d:00:00:02', dst: '00:15:5d:00:00:01' }, ip: { src: '10.0.0.1', dst: '10.0.0.2' }, l4: { tcp: { sport: 1000, dport: 80, seq: 1 + i * 100, flags: 0x10 } }, payload: 100 }));
  const parts = [w.header(), ...frames.map((f, i) => w.record(f, 1, i * 1000))];
  writeFileSync(join(dir, 'in.pcap'), Buffer.concat(parts));
  const r = await run('replay', '--pcap', 'in.pcap', '-o', 'out.pcapng', '--json', 'rep.json');
  assert.equal(r.err, '');
  assert.equal(r.code, 0);
  assert.match(r.out, /^replayed 4 packets \(4 rx, 0 tx, 616 bytes\) in [\d.]+ s on azure, 8 channel\(s\)\n/);
  assert.match(r.out, /\nRSC: 1 coalesced packets from 4 segments\n/);
  assert.match(r.out, /\npath: synthetic 4, vf 0\n/);
  const cap = openCaptureFile(join(dir, 'out.pcapng'));
  assert.equal(cap.count, 4);
  assert.match(cap.comments(0)[0], /^wire=rx \(154 bytes\); vf-path=synthetic; rsc=coalesced \(4 segments\); rss-hash=hashed \(0x[0-9a-f]{8} TCP 4-tuple/);
  assert.deepEqual([...cap.packet(2)], [...frames[2]]);
  cap.close();
  const j = JSON.parse(readFileSync(join(dir, 'rep.json'), 'utf8'));
  assert.equal(j.trace.packets.length, 4);
  assert.equal(j.trace.summary.rscSegments, 4);
  writeFileSync(join(dir, 'not.pcap'), 'hello world, not a capture');
  const bad = await run('replay', '--pcap', 'not.pcap');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^netvsc-lab replay: not\.pcap: not a pcap or pcapng file: magic 0x68656c6c\b.*\bbyte 0\)?\n$/);
  const both = await run('replay', '--pcap', 'in.pcap', '--scenario', 'x.json');
  assert.equal(both.code, 2);
});

test('replay a scenario with the VF up and an XDP program compiled from C by clang', async () => {
  writeFileSync(join(dir, 'sc.json'), JSON.stringify({ flows: [{ dir: 'rx', proto: 'udp', src: '10.0.0.3', dst: '10.0.0.2', sport: 1, dport: 9, packets: 5, payload: 50 }, { dir: 'rx', proto: 'udp', src: '10.0.0.3', dst: '10.0.0.2', sport: 1, dport: 10, packets: 3, payload: 50 }] }));
  writeFileSync(join(dir, 'lro.ethtool'), 'ethtool -K eth0 lro off\n');
  const r = await run('replay', '--scenario', 'sc.json', '--script', 'lro.ethtool', '--xdp', resolve('examples/xdp/xdp_drop_udp.c'), '--vf', 'up');
  assert.equal(r.err, '');
  assert.match(r.out, /\nXDP verdicts: XDP_DROP 5, XDP_PASS 3\n/);
  assert.match(r.out, /\ndrops: xdp-drop 5\n/);
  assert.match(r.out, /\npath: synthetic 0, vf 8\n/);
  // Without the script LRO is on (Azure's default) and the driver refuses the program, as `ip link` would.
  const refused = await run('replay', '--scenario', 'sc.json', '--xdp', resolve('examples/xdp/xdp_drop_udp.c'));
  assert.equal(refused.code, 1);
  assert.equal(refused.err, `netvsc-lab replay: cannot attach ${resolve('examples/xdp/xdp_drop_udp.c')}: Error: hv_netvsc: XDP: not support LRO\n` +
    "  (LRO is on: turn it off first, e.g. --script with the line 'ethtool -K eth0 lro off')\n");
});

test('the bundled CLI as a process: stdout, stderr and the exit status reach the shell', async () => {
  const out = join(dir, 'cli.js');
  await esbuild.build({ entryPoints: ['extension/cli/main.ts'], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'silent' });
  assert.ok(existsSync(out));
  const p = spawnSync(process.execPath, [out, 'ethtool', '--', '-K', 'eth0', 'highdma', 'off'], { encoding: 'utf8' });
  assert.deepEqual([p.status, p.stdout, p.stderr], [1, 'Actual changes:\nhighdma: on [requested off]\n', 'Could not change any device features\n']);
  const q = spawnSync(process.execPath, [out, 'ethtool', '--', '-N', 'eth0', 'rx-flow-hash', 'tcp4', 's'], { encoding: 'utf8' });
  assert.deepEqual([q.status, q.stderr], [0, 'Cannot change RX network flow hashing options: Operation not supported\n']);
});

test('a scenario whose frames would not fit the arena limit is refused before allocating', async () => {
  writeFileSync(join(dir, 'huge.json'), JSON.stringify({ flows: [{ proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, packets: 40_000_000, payload: 1400 }] }));
  const r = await run('replay', '--scenario', 'huge.json');
  assert.equal(r.code, 1);
  assert.match(r.err, /^netvsc-lab replay: scenario needs \d+ bytes of frames, over the 1073741824 byte limit/);
  writeFileSync(join(dir, 'typo.json'), JSON.stringify({ flows: [{ proto: 'sctp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, packets: 1 }] }));
  assert.equal((await run('replay', '--scenario', 'typo.json')).err, 'netvsc-lab replay: typo.json: flows[0].proto must be "tcp" or "udp"\n');
});

test('--opt sets device options of a new device (older-kernel variants); bad keys are usage errors', async () => {
  const r = await run('ethtool', '--cpus', '32', '--opt', 'legacyChannelDefault=true', '--', '-l', 'eth0');
  assert.match(r.out, /Current hardware settings:\n(?:.*\n){3}Combined:\t8\n$/);
  const bad = await run('ethtool', '--opt', 'nosuch=1', '--', '-l', 'eth0');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--opt: expected KEY=VALUE with KEY one of kernelRelease, /);
});

test('the JSON report is streamed in batches and stays one valid document', async () => {
  writeFileSync(join(dir, 'many.json'), JSON.stringify({ flows: [{ proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, packets: 9000, payload: 20 }] }));
  const r = await run('replay', '--scenario', 'many.json', '--json', 'many-report.json');
  assert.equal(r.code, 0);
  const j = JSON.parse(readFileSync(join(dir, 'many-report.json'), 'utf8'));
  assert.equal(j.trace.packets.length, 9000);
  assert.deepEqual(j.trace.packets.map((p: { index: number }) => p.index).slice(4094, 4098), [4094, 4095, 4096, 4097]);
  assert.equal(j.trace.summary.packets, 9000);
  assert.equal(j.device.ethtoolStats.rx_queue_0_packets + j.device.ethtoolStats.rx_queue_1_packets >= 0, true);
  assert.ok(Array.isArray(j.trace.packets[0].stages));
});

test('--knob changes a host answer behind the profile: queue count, table size, RSC', async () => {
  let r = await run('ethtool', '--cpus', '16', '--knob', 'numRecvQueues=4', '--', '-l', 'eth0');
  assert.match(r.out, /Pre-set maximums:\n(?:.*\n){3}Combined:\t4\n/);
  r = await run('ethtool', '--cpus', '2', '--knob', 'numIndirectTableEntries=16', '--', '-x', 'eth0');
  assert.match(r.out, /with 2 RX ring\(s\):\n {4}0: {6}0 {5}1 {5}0 {5}1 {5}0 {5}1 {5}0 {5}1\n {4}8: {6}0 {5}1 {5}0 {5}1 {5}0 {5}1 {5}0 {5}1\nRSS hash key:/);
  r = await run('ethtool', '--knob', 'rsc=false', '--', '-k', 'eth0');
  assert.match(r.out, /\nlarge-receive-offload: off \[fixed\]\n/);
  const bad = await run('ethtool', '--knob', 'rsc=maybe', '--', '-k', 'eth0');
  assert.deepEqual([bad.code, bad.err.split('\n')[0]], [2, "netvsc-lab ethtool: --knob rsc: expected true or false, got 'maybe'"]);
});

test('replay --guest-mac: frames from that MAC in a capture are the guest\'s TX', async () => {
  const w = new PcapWriter(1);
  const out = buildPacket({ eth: { src: '00:15:5d:12:34:56', dst: '00:15:5d:00:00:02' }, ip: { src: '10.0.0.2', dst: '10.0.0.9' }, l4: { udp: { sport: 1, dport: 53 } }, payload: 20 });
  const inn = buildPacket({ eth: { src: '00:15:5d:00:00:02', dst: '00:15:5d:12:34:56' }, ip: { src: '10.0.0.9', dst: '10.0.0.2' }, l4: { udp: { sport: 53, dport: 1 } }, payload: 20 });
  writeFileSync(join(dir, 'dir.pcap'), Buffer.concat([w.header(), w.record(out, 1, 0), w.record(inn, 1, 1000)]));
  const r = await run('replay', '--pcap', 'dir.pcap', '--guest-mac', '00:15:5D:12:34:56');
  assert.match(r.out, /^replayed 2 packets \(1 rx, 1 tx, /);
  const bad = await run('replay', '--pcap', 'dir.pcap', '--guest-mac', 'ff:ff:ff:ff:ff:ff');
  assert.equal(bad.code, 2);
});

test('replay --scenario takes the house traffic-scenario format (YAML), TX from its direction', async () => {
  writeFileSync(join(dir, 'house.yaml'), 'seed: 3\nflows:\n  - { type: udp, src: 10.0.0.4, dst: 10.3.0.1, sport: 6002, dport: 53, count: 4, size: 3000, direction: tx }\n  - { type: udp, src: 10.3.0.1, dst: 10.0.0.4, sport: 53, dport: 6002, count: 2, size: 100, direction: rx }\n');
  const r = await run('replay', '--scenario', 'house.yaml');
  assert.equal(r.err, '');
  assert.match(r.out, /^replayed 14 packets \(2 rx, 12 tx, /); // 4 datagrams of 3000 bytes = 3 fragments each
  writeFileSync(join(dir, 'house-bad.yaml'), 'flows:\n  - { type: udp, src: 10.0.0.4, dst: 10.3.0.1, count: -1 }\n');
  const bad = await run('replay', '--scenario', 'house-bad.yaml');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^netvsc-lab replay: house-bad\.yaml/);
});
