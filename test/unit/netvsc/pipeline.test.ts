// Scenarios through the packet paths: the Azure fragment case on TX and RX, RSC and GRO,
// LRO+XDP, receive-buffer exhaustion, the VF data path, send-buffer fallback, checksum status,
// and a real clang-compiled XDP program's verdicts and counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { NetvscPipeline } from '../../../extension/core/netvsc/pipeline';
import { PacketTrace } from '../../../extension/core/trace/packetTrace';
import { EventLogSink } from '../../../extension/core/trace/sink';
import { Decision, Reason, Stage } from '../../../extension/core/trace/codes';
import { buildPacket, fragmentIp } from '../../../extension/core/packet/build';
import { parseIpAddress, portBytes, ToeplitzKey } from '../../../extension/core/netvsc/toeplitz';
import { NETVSC_HASH_KEY } from '../../../extension/core/netvsc/constants';
import { loadXdpProgram } from '../../../extension/core/netvsc/xdpRunner';
import { runEthtool } from '../../../extension/core/ethtool/executor';

const eth = (d: NetvscDevice, line: string) => runEthtool(d, line.split(' '));
const GUEST = '00:15:5d:00:00:01';

function rig(d: NetvscDevice) {
  const trace = new PacketTrace();
  const log = new EventLogSink();
  const p = new NetvscPipeline(d, { report: (...a) => { trace.report(...a); log.report(...a); } });
  let t = 0;
  return {
    trace, log, p,
    rx(frame: Uint8Array, dt = 100) { trace.begin(p.nextId, t, frame.length, 0); const id = p.receive(frame, 0, frame.length, t); t += dt; return id; },
    tx(frame: Uint8Array, more = false, dt = 100) { trace.begin(p.nextId, t, frame.length, 0); const id = p.transmit(frame, 0, frame.length, t, more); t += dt; return id; },
    flush() { p.flush(); },
  };
}
const udp = (src: string, dst: string, sport: number, dport: number, payload: number, eth = { src: '00:15:5d:00:00:02', dst: GUEST }) =>
  buildPacket({ eth, ip: { src, dst }, l4: { udp: { sport, dport } }, payload });
const tcp = (src: string, dst: string, sport: number, dport: number, seq: number, payload: number, flags = 0x10) =>
  buildPacket({ eth: { src: '00:15:5d:00:00:02', dst: GUEST }, ip: { src, dst }, l4: { tcp: { sport, dport, seq, flags } }, payload });
const toeplitz = new ToeplitzKey(Uint8Array.from(NETVSC_HASH_KEY));

test('TX, Azure fragment case: with L4 hashing (default) the first fragment carries ports and leaves on another queue; with `sd` all stay together', () => {
  const d = new NetvscDevice({ cpus: 8 });
  const r = rig(d);
  const queuesOf = (ids: number[]) => ids.map((id) => r.trace.queue(id));
  const flows = [0, 1, 2, 3, 4, 5].map((i) => fragmentIp(udp('10.0.0.2', `10.9.0.${i + 1}`, 5000 + i, 53, 3000, { src: GUEST, dst: '00:15:5d:00:00:02' }), 1500));
  let split = 0;
  for (const frags of flows) {
    assert.equal(frags.length, 3);
    const ids = frags.map((f) => r.tx(f));
    const hashes = ids.map((id) => r.trace.hash(id));
    assert.notEqual(hashes[0], hashes[1], 'the first fragment hashes with its ports, the others without');
    assert.equal(hashes[1], hashes[2]);
    const q = queuesOf(ids);
    if (q[0] !== q[1]) split++;
    assert.equal(r.trace.record(ids[0]).reason, 'L4 flow hash (sdfn)');
  }
  assert.ok(split >= 1, 'at least one datagram is split across TX queues');
  assert.equal(eth(d, '-N eth0 rx-flow-hash udp4 sd').exit, 0);
  for (const frags of flows) {
    const ids = frags.map((f) => r.tx(f));
    const q = queuesOf(ids);
    assert.ok(q.every((x) => x === q[0]), `L3 hashing keeps the fragments together: ${q}`);
    assert.equal(r.trace.record(ids[0]).reason, 'L3 address hash (sd)');
  }
});

test('RX, the same datagram: the host hashes IP fragments and UDP by addresses only, so all land on one queue', () => {
  const d = new NetvscDevice({ cpus: 8 });
  const r = rig(d);
  const frags = fragmentIp(udp('10.0.0.3', '10.0.0.2', 5000, 53, 3000), 1500);
  const ids = frags.map((f) => r.rx(f));
  const expected = toeplitz.hashTuple([parseIpAddress('10.0.0.3')!, parseIpAddress('10.0.0.2')!]);
  for (const id of ids) {
    assert.equal(r.trace.hash(id), expected);
    assert.equal(r.trace.queue(id), d.rxTable[expected % 128]);
    assert.equal(r.trace.record(id).reason, 'IP fragment: 2-tuple (addresses only)');
  }
  // Two unfragmented UDP flows between the same hosts, different ports: same hash (no UDP hash type).
  const a = r.rx(udp('10.0.0.3', '10.0.0.2', 1111, 53, 100));
  const b = r.rx(udp('10.0.0.3', '10.0.0.2', 2222, 53, 100));
  assert.equal(r.trace.hash(a), expected);
  assert.equal(r.trace.hash(b), expected);
  assert.equal(r.trace.record(a).reason, 'UDP: host hashes addresses only (no UDP hash type)');
  // TCP: the 4-tuple.
  const t = r.rx(tcp('10.0.0.3', '10.0.0.2', 40000, 80, 1, 100, 0x18));
  assert.equal(r.trace.hash(t), toeplitz.hashTuple([parseIpAddress('10.0.0.3')!, parseIpAddress('10.0.0.2')!, portBytes(40000), portBytes(80)]));
});

test('RSC: the host coalesces in-order TCP segments into one packet (segment count, coalesced length) when LRO is on', () => {
  const d = new NetvscDevice();
  const r = rig(d);
  const ids = [0, 1, 2, 3].map((i) => r.rx(tcp('10.0.0.5', '10.0.0.2', 40000, 80, 1000 + i * 500, 500)));
  r.rx(tcp('10.0.0.5', '10.0.0.2', 40000, 80, 3000, 500, 0x18)); // PSH ends the run
  r.flush();
  assert.equal(r.trace.record(ids[0]).rscSegments, 5);
  assert.ok(r.trace.record(ids[1]).flags.includes('rsc-absorbed'));
  const q = r.trace.queue(ids[0]);
  assert.equal(d.stats.get(`rx_queue_${q}_packets`), 1, 'one skb for the coalesced packet');
  assert.equal(d.stats.get(`rx_queue_${q}_bytes`), 554 + 4 * 500);
  // LRO off: five packets, merged by GRO instead (one NAPI poll).
  const d2 = new NetvscDevice();
  eth(d2, '-K eth0 lro off');
  const r2 = rig(d2);
  const ids2 = [0, 1, 2, 3].map((i) => r2.rx(tcp('10.0.0.5', '10.0.0.2', 40000, 80, 1000 + i * 500, 500)));
  r2.flush();
  assert.equal(d2.stats.get(`rx_queue_${q}_packets`), 4);
  assert.equal(r2.trace.record(ids2[0]).groMerged, 3);
  assert.ok(r2.trace.record(ids2[3]).flags.includes('gro-absorbed'));
  eth(d2, '-K eth0 gro off');
  const r3 = rig(d2);
  const ids3 = [0, 1].map((i) => r3.rx(tcp('10.0.0.5', '10.0.0.2', 40000, 80, 1000 + i * 500, 500)));
  r3.flush();
  assert.equal(r3.trace.record(ids3[0]).groMerged, 0);
  assert.ok(!r3.trace.record(ids3[1]).flags.includes('gro-absorbed'));
});

test('receive-buffer exhaustion: -G rx 10 gives 11 sections; a burst of 15 within one poll loses 4 (host side)', () => {
  const d = new NetvscDevice({ cpus: 1 });
  eth(d, '-G eth0 rx 10');
  const r = rig(d);
  const ids = Array.from({ length: 15 }, (_, i) => r.rx(udp('10.0.0.7', '10.0.0.2', 1000 + i, 53, 100), 10));
  r.flush();
  const dropped = ids.filter((id) => r.trace.record(id).dropReason === 'recv-buffer-full');
  assert.equal(dropped.length, 4);
  assert.deepEqual(dropped, ids.slice(11));
  assert.equal(d.stats.get('rx_queue_0_packets'), 11);
  assert.equal(r.p.hostRecvBufferDrops, 4);
  assert.equal(r.trace.summary().drops['recv-buffer-full'], 4);
  // After the poll the sections are back: the next burst is delivered.
  const later = r.rx(udp('10.0.0.7', '10.0.0.2', 999, 53, 100), 10);
  assert.equal(r.trace.record(later).dropReason, null);
});

test('checksum status: CHECKSUM_UNNECESSARY only for a valid TCP/UDP checksum the host offloads and with rx on', () => {
  const d = new NetvscDevice();
  eth(d, '-K eth0 lro off');
  const r = rig(d);
  const good = r.rx(tcp('10.0.0.8', '10.0.0.2', 1, 2, 1, 100, 0x18));
  const badFrame = tcp('10.0.0.8', '10.0.0.2', 1, 2, 1, 100, 0x18);
  badFrame[badFrame.length - 1] ^= 0xff;
  const bad = r.rx(badFrame);
  const u = r.rx(udp('10.0.0.8', '10.0.0.2', 1, 2, 100));
  r.flush();
  assert.ok(r.trace.record(good).flags.includes('csum-unnecessary'));
  assert.ok(!r.trace.record(bad).flags.includes('csum-unnecessary'));
  assert.ok(r.trace.record(u).flags.includes('csum-unnecessary'));
  const old = new NetvscDevice({ host: 'ws2012' });
  const ro = rig(old);
  const u2 = ro.rx(udp('10.0.0.8', '10.0.0.2', 1, 2, 100));
  assert.ok(!ro.trace.record(u2).flags.includes('csum-unnecessary'), 'TCP-only host: UDP stays CHECKSUM_NONE');
  eth(d, '-K eth0 rx off');
  const off = r.rx(tcp('10.0.0.8', '10.0.0.2', 1, 2, 1, 100, 0x18));
  assert.ok(!r.trace.record(off).flags.includes('csum-unnecessary'));
});

test('TX checksum: UDP on a TCP-only host is checksummed in software (not in tx_checksum_mask)', () => {
  const d = new NetvscDevice({ host: 'ws2012' });
  const r = rig(d);
  const id = r.tx(udp('10.0.0.2', '10.0.0.9', 1, 53, 100, { src: GUEST, dst: '00:15:5d:00:00:02' }));
  assert.ok(r.log.events.some((e) => e.stage === Stage.TxChecksum && e.decision === Decision.SwCsum && e.reason === Reason.CsumNotInMask));
  assert.deepEqual(r.trace.stagesOf(id)[3], { stage: 'tx-checksum', decision: 'sw-checksum', detail: 'skb_checksum_help: type not in tx_checksum_mask' });
  const az = rig(new NetvscDevice());
  az.tx(udp('10.0.0.2', '10.0.0.9', 1, 53, 100, { src: GUEST, dst: '00:15:5d:00:00:02' }));
  assert.ok(az.log.events.some((e) => e.stage === Stage.TxChecksum && e.decision === Decision.HwCsum));
});

test('send buffer: small packets batched into one 6144-byte section; no free section -> tx_send_full and page buffers; large -> page buffers', () => {
  const d = new NetvscDevice({ cpus: 1 });
  eth(d, '-G eth0 tx 10');
  const r = rig(d);
  const small = () => udp('10.0.0.2', '10.0.0.9', 1, 53, 100, { src: GUEST, dst: '00:15:5d:00:00:02' });
  const batch = [r.tx(small(), true), r.tx(small(), true), r.tx(small(), false)];
  assert.deepEqual(batch.map((id) => r.log.forPacket(id).find((e) => e.stage === Stage.TxSend)!.decision), [Decision.NewSection, Decision.Batched, Decision.Batched]);
  // 9 more single sends use the other 9 sections; the 11th and 12th find none free.
  const singles = Array.from({ length: 11 }, () => r.tx(small(), false));
  const decisions = singles.map((id) => r.log.forPacket(id).find((e) => e.stage === Stage.TxSend)!.decision);
  assert.equal(decisions.filter((x) => x === Decision.NewSection).length, 9);
  assert.equal(decisions.filter((x) => x === Decision.PageBuffer).length, 2);
  assert.equal(d.stats.get('tx_send_full'), 2);
  const big = r.tx(buildPacket({ eth: { src: GUEST, dst: '00:15:5d:00:00:02' }, ip: { src: '10.0.0.2', dst: '10.0.0.9' }, l4: { udp: { sport: 1, dport: 2 } }, payload: 7000 }));
  const e = r.log.forPacket(big).find((x) => x.stage === Stage.TxSend)!;
  assert.deepEqual([e.decision, e.reason], [Decision.PageBuffer, Reason.TooLargeForSection]);
  assert.equal(d.stats.get('tx_send_full'), 2, 'a large packet is not a send-full event');
  assert.equal(d.stats.get('tx_queue_0_packets'), 0, 'TX statistics count at completion');
  r.flush();
  assert.equal(d.stats.get('tx_queue_0_packets'), 15);
  const after = r.tx(small());
  assert.equal(r.log.forPacket(after).find((x) => x.stage === Stage.TxSend)!.decision, Decision.NewSection, 'completions returned the sections');
});

test('VF data path: traffic goes through the VF and its counters; back to the synthetic path when the VF goes down', () => {
  const d = new NetvscDevice({ cpus: 2 });
  d.addVf();
  const r = rig(d);
  r.rx(udp('10.0.0.3', '10.0.0.2', 1, 2, 100));
  r.tx(udp('10.0.0.2', '10.0.0.3', 1, 2, 100, { src: GUEST, dst: '00:15:5d:00:00:02' }));
  assert.equal(d.stats.get('vf_rx_packets'), 1);
  assert.equal(d.stats.get('vf_rx_bytes'), 142);
  assert.equal(d.stats.get('vf_tx_packets'), 1);
  const q = (n: string) => d.stats.ethtoolStats().filter(([k]) => k.startsWith(n)).reduce((a, [, v]) => a + v, 0);
  assert.equal(q('rx_queue_'), 0);
  assert.equal(d.stats.get('cpu0_vf_rx_packets')! + d.stats.get('cpu1_vf_rx_packets')!, 1);
  d.setVfUp(false);
  const id = r.rx(udp('10.0.0.3', '10.0.0.2', 1, 2, 100));
  assert.equal(r.trace.record(id).path, 'synthetic');
  assert.equal(d.stats.get('vf_rx_packets'), 1);
  assert.equal(q('rx_queue_') > 0, true);
});

let compiled: Uint8Array | undefined;
/** Compiles fixtures/xdp_actions.c once with clang (a real BPF object, as users build them). */
function compileActions(): Uint8Array {
  if (compiled) return compiled;
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-xdp-'));
  const out = join(dir, 'xdp_actions.o');
  try {
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(__dirname, 'fixtures/xdp_actions.c'), '-o', out], { stdio: 'pipe' });
    compiled = readFileSync(out);
    return compiled;
  } catch (e) {
    throw new Error(`clang failed (Debian packages clang, libbpf-dev): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`, { cause: e });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('XDP (clang-compiled, JIT): verdicts and their counters, xdp_md queue/ifindex, head adjustment, REDIRECT', () => {
  const bytes = compileActions();
  const d = new NetvscDevice({ cpus: 1 });
  eth(d, '-K eth0 lro off');
  assert.equal(d.setXdp(loadXdpProgram(bytes, { objectPath: 'xdp_actions.o', engine: 'jit' })).err, 0);
  const r = rig(d);
  const ids = [9, 7, 1, 2, 3, 4, 5].map((port) => r.rx(udp('10.0.0.3', '10.0.0.2', 1000, port, 100)));
  r.flush();
  assert.deepEqual(ids.map((id) => r.trace.record(id).verdict), ['XDP_DROP', 'XDP_TX', 'XDP_ABORTED', 'XDP_REDIRECT', 'XDP_REDIRECT', 'XDP_PASS', 'XDP_PASS']);
  assert.equal(r.trace.record(ids[4]).dropReason, 'xdp-redirect-failed');
  assert.ok(r.trace.record(ids[5]).flags.includes('xdp-adjusted'));
  assert.equal(d.stats.get('rx_queue_0_xdp_drop'), 3); // DROP, ABORTED, failed REDIRECT
  assert.equal(d.stats.get('rx_queue_0_xdp_tx'), 1);
  assert.equal(d.stats.get('rx_queue_0_xdp_redirect'), 1);
  assert.equal(d.stats.get('rx_queue_0_packets'), 4); // TX, REDIRECT ok, 2 x PASS
  // The XDP_TX frame and the one redirected to eth0 itself (netvsc_ndoxdp_xmit) went back out.
  assert.equal(d.stats.get('tx_queue_0_packets'), 2);
  assert.equal(d.stats.get('tx_queue_0_xdp_xmit'), 1);
  assert.equal(r.p.printk[0], 'q=0 if=2 dport=9');
  // Older kernels: REDIRECT is an invalid action -> dropped.
  const old = new NetvscDevice({ cpus: 1, options: { xdpRedirectUnsupported: true } });
  eth(old, '-K eth0 lro off');
  old.setXdp(loadXdpProgram(bytes, { engine: 'interpreter' }));
  const ro = rig(old);
  const id = ro.rx(udp('10.0.0.3', '10.0.0.2', 1000, 2, 100));
  assert.equal(ro.trace.record(id).dropReason, 'xdp-invalid-action');
  assert.equal(old.stats.get('rx_queue_0_xdp_drop'), 1);
  assert.ok(old.log.some((l) => l.endsWith('invalid XDP action 4')));
});

test('XDP runs on the VF when the data path is the VF (ingress ifindex of the VF)', () => {
  const d = new NetvscDevice({ cpus: 1 });
  eth(d, '-K eth0 lro off');
  d.setXdp(loadXdpProgram(compileActions(), { engine: 'jit' }));
  d.addVf();
  const r = rig(d);
  const id = r.rx(udp('10.0.0.3', '10.0.0.2', 1000, 9, 100));
  assert.equal(r.trace.record(id).verdict, 'XDP_DROP');
  assert.equal(r.trace.record(id).path, 'vf');
  assert.equal(r.p.printk[0], 'q=0 if=3 dport=9');
});

test('a frame longer than MTU + 14 is dropped before the program runs', () => {
  const d = new NetvscDevice({ cpus: 1 });
  eth(d, '-K eth0 lro off');
  d.setXdp(loadXdpProgram(compileActions(), { engine: 'jit' }));
  d.setMtu(1000);
  const r = rig(d);
  const id = r.rx(udp('10.0.0.3', '10.0.0.2', 1000, 5, 1100));
  assert.equal(r.trace.record(id).dropReason, 'frame-too-long');
  assert.equal(r.p.printk.length, 0);
});

test('RSC keeps several flows open per queue: interleaved segments of two flows both coalesce', () => {
  const d = new NetvscDevice({ cpus: 1 });
  const r = rig(d);
  const a = [0, 1, 2].map((i) => [r.rx(tcp('10.0.0.5', '10.0.0.2', 40000, 80, 1 + i * 100, 100)), r.rx(tcp('10.0.0.6', '10.0.0.2', 40001, 80, 1 + i * 100, 100))]);
  r.flush();
  assert.equal(r.trace.record(a[0][0]).rscSegments, 3);
  assert.equal(r.trace.record(a[0][1]).rscSegments, 3);
  assert.equal(d.stats.get('rx_queue_0_packets'), 2);
  assert.equal(d.stats.get('rx_queue_0_bytes'), 2 * (154 + 2 * 100));
});

test('VLAN-tagged frames are marked (IEEE_8021Q_INFO); the skb hash is kept only with rx-hashing on', () => {
  const d = new NetvscDevice();
  const r = rig(d);
  const tagged = buildPacket({ eth: { src: '00:15:5d:00:00:02', dst: GUEST, vlans: [{ vid: 100 }] }, ip: { src: '10.0.0.3', dst: '10.0.0.2' }, l4: { udp: { sport: 1, dport: 2 } }, payload: 10 });
  const id = r.rx(tagged);
  assert.ok(r.trace.record(id).flags.includes('vlan'));
  assert.ok(r.trace.record(id).flags.includes('hash'));
  eth(d, '-K eth0 rxhash off');
  const id2 = r.rx(udp('10.0.0.3', '10.0.0.2', 1, 2, 10));
  assert.ok(!r.trace.record(id2).flags.includes('hash'));
  assert.equal(r.trace.queue(id2), r.trace.queue(id), 'the host still spreads by its hash');
});

test('GRO does not merge a segment whose ACK differs (tcp_gro_receive flushes)', () => {
  const d = new NetvscDevice({ cpus: 1 });
  eth(d, '-K eth0 lro off');
  const r = rig(d);
  const seg = (seq: number, ack: number) => buildPacket({ eth: { src: '00:15:5d:00:00:02', dst: GUEST }, ip: { src: '10.0.0.5', dst: '10.0.0.2' }, l4: { tcp: { sport: 1, dport: 2, seq, ack, flags: 0x10 } }, payload: 100 });
  const a = r.rx(seg(1, 500)); r.rx(seg(101, 500)); const c = r.rx(seg(201, 900));
  r.flush();
  assert.equal(r.trace.record(a).groMerged, 1);
  assert.ok(!r.trace.record(c).flags.includes('gro-absorbed'));
});

test('program tags match the kernel\'s (bpftool prog show on Linux 6.18: SHA-256) and ip link show prints them', async () => {
  const { progTag } = await import('../../../extension/core/netvsc/xdpRunner');
  const tags: Record<string, string> = { xdp_pass: '614b434cd8324ecc', xdp_drop_udp: '0a133d871efb9efc', xdp_count: 'cf9d684eb48b541a' };
  for (const [name, tag] of Object.entries(tags)) {
    const p = loadXdpProgram(readFileSync(`examples/xdp/${name}.o`), { objectPath: `${name}.o` });
    assert.equal(progTag(p.runner.program.insns), tag, name);
    assert.equal(p.tag, tag);
  }
  // Older kernels: SHA-1 (the well-known tag of `r0 = XDP_PASS; exit`).
  assert.equal(progTag(loadXdpProgram(readFileSync('examples/xdp/xdp_pass.o')).runner.program.insns, 'sha1'), '3b185187f1855c4c');
  const { runIpLink } = await import('../../../extension/core/ethtool/ipLink');
  const d = new NetvscDevice();
  eth(d, '-K eth0 lro off');
  d.setXdp(loadXdpProgram(readFileSync('examples/xdp/xdp_pass.o')));
  assert.match(runIpLink(d, ['link', 'show', 'dev', 'eth0']).stdout, /\n {4}prog\/xdp id \d+ name xdp_pass_all tag 614b434cd8324ecc jited \n$/);
});

test('TCP sockets keep their cached TX queue when the hash level changes; new sockets use the new level', () => {
  const d = new NetvscDevice({ cpus: 8 });
  const r = rig(d);
  const seg = (sport: number) => buildPacket({ eth: { src: GUEST, dst: '00:15:5d:00:00:02' }, ip: { src: '10.0.0.2', dst: '10.0.0.9' }, l4: { tcp: { sport, dport: 443, seq: 1, flags: 0x18 } }, payload: 50 });
  const first = r.tx(seg(33000));
  assert.equal(r.trace.record(first).reason, 'L4 flow hash (sdfn)');
  const again = r.tx(seg(33000));
  const txq = (id: number) => r.log.forPacket(id).find((e) => e.stage === Stage.TxQueue)!;
  assert.equal(txq(again).reason, Reason.SocketCache);
  eth(d, '-N eth0 rx-flow-hash tcp4 sd');
  const later = r.tx(seg(33000));
  assert.equal(txq(later).reason, Reason.SocketCache);
  assert.equal(r.trace.queue(later), r.trace.queue(first));
  assert.equal(r.trace.record(later).reason, 'L3 address hash (sd)', 'the hash itself follows the new level');
  const fresh = r.tx(seg(33001));
  assert.equal(txq(fresh).reason, Reason.L3Hash);
  assert.equal(r.trace.queue(fresh), d.txTable[r.trace.hash(fresh) & 15]);
});
