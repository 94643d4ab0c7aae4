// The columnar trace: cost per packet, random access, per-stage decisions, summary, exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { Replayer } from '../../../extension/core/netvsc/replay';
import { buildScenario } from '../../../extension/core/netvsc/scenario';
import { PacketTrace } from '../../../extension/core/trace/packetTrace';
import { Decision, Stage } from '../../../extension/core/trace/codes';

test('under 32 bytes of trace per packet at a million records (fixed chunks, no doubling)', () => {
  const t = new PacketTrace();
  for (let i = 0; i < 1_000_000; i++) t.begin(i, i, 60, i * 76);
  assert.ok(t.recordBytes <= 29, `record is ${t.recordBytes} bytes`);
  assert.ok(t.bytesPerPacket() < 32, `${t.bytesPerPacket()} bytes/packet`);
  assert.equal(t.byteRef(999_999), 999_999 * 76);
  assert.throws(() => t.record(1_000_000), /out of range/);
});

test('a replay fills records the views read back: per-stage decisions, summary, JSON', () => {
  const src = buildScenario({ flows: [
    { dir: 'rx', proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 80, packets: 6, payload: 500, pushEvery: 6, burst: 6 },
    { dir: 'tx', proto: 'udp', src: '10.0.0.2', dst: '10.0.0.9', sport: 53, dport: 5353, packets: 2, payload: 100 },
  ], guestMac: '00:15:5d:00:00:01' });
  const d = new NetvscDevice({ mac: '00:15:5d:00:00:01' });
  const rep = new Replayer(d, src);
  rep.runAll(3); // several slices
  const t = rep.trace!;
  assert.equal(t.count, 8);
  const s = t.summary();
  assert.equal(s.rx, 6); assert.equal(s.tx, 2);
  assert.equal(s.rscCoalesced, 1); assert.equal(s.rscSegments, 6);
  const head = [...Array(t.count).keys()].find((i) => t.record(i).flags.includes('rsc'))!;
  const stages = t.stagesOf(head).map((x) => x.stage);
  assert.deepEqual(stages, ['wire', 'vf-path', 'rsc', 'rss-hash', 'channel', 'recv-buffer', 'checksum', 'gro', 'deliver']);
  const tx = [...Array(t.count).keys()].find((i) => t.record(i).direction === 'tx')!;
  assert.deepEqual(t.stagesOf(tx).map((x) => x.stage), ['wire', 'tx-hash', 'tx-queue', 'tx-checksum', 'tx-send']);
  assert.match(t.comment(head), /^wire=rx .*rsc=coalesced \(6 segments\).*channel=queue \(\d\)/);
  const j = JSON.parse(JSON.stringify(t.toJSON({ stages: true })));
  assert.equal(j.version, 1);
  assert.equal(j.packets.length, 8);
  assert.equal(j.packets[head].stages[2].decision, 'coalesced');
  assert.equal(s.perQueue.reduce((a, q) => a + q.rxPackets + q.txPackets, 0), 8);
});

test('the sink interface records decisions in the columns (one packet by hand)', () => {
  const t = new PacketTrace();
  t.begin(0, 5, 100, 24);
  t.report(Stage.Wire, 0, Decision.Rx, 0, 0, 100);
  t.report(Stage.RssHash, 0, Decision.Hashed, 1, 0, 0xdeadbeef);
  t.report(Stage.Channel, 0, Decision.Queue, 0, 0, 3);
  t.report(Stage.Xdp, 0, Decision.XdpDrop, 0, 2, 1);
  const r = t.record(0);
  assert.deepEqual([r.hash, r.queue, r.verdict, r.dropReason, r.time, r.byteRef], [0xdeadbeef, 3, 'XDP_DROP', 'xdp-drop', 5, 24]);
  assert.deepEqual(t.summary().counters, { rx_queue_N_xdp_drop: 1 });
});

test('stepping: one packet at a time yields its stage events; runFor slices by time and finishes', () => {
  const src = buildScenario({ flows: [{ dir: 'rx', proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, packets: 3, payload: 10 }] });
  const rep = new Replayer(new NetvscDevice(), src);
  const ev = rep.step();
  assert.deepEqual(ev.map((e) => e.stage), [Stage.Wire, Stage.VfPath, Stage.RssHash, Stage.Channel, Stage.Rsc, Stage.RecvBuffer, Stage.Checksum, Stage.Gro, Stage.Deliver]);
  assert.ok(ev.every((e) => e.packet === 0));
  assert.equal(rep.position, 1);
  assert.equal(rep.runFor(1000), true);
  assert.equal(rep.trace!.count, 3);
});

test('pcapng export: tshark reads every packet, its decision comment and its direction', async () => {
  const { traceToPcapng } = await import('../../../extension/core/trace/pcapngExport');
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const src = buildScenario({ flows: [
    { dir: 'rx', proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, packets: 2, payload: 10 },
    { dir: 'tx', proto: 'udp', src: '10.0.0.2', dst: '10.0.0.1', sport: 2, dport: 1, packets: 1, payload: 10 },
  ] });
  const rep = new Replayer(new NetvscDevice(), src);
  rep.runAll();
  const bytes = traceToPcapng(rep.trace!, { bytes: (i) => src.arena.subarray(src.offsets[i], src.offsets[i] + src.lengths[i]), time: (i) => src.time(i), isTx: (i) => src.isTx(i) });
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-pcapng-'));
  try {
    writeFileSync(join(dir, 't.pcapng'), bytes);
    const r = spawnSync('tshark', ['-r', join(dir, 't.pcapng'), '-T', 'fields', '-E', 'separator=|', '-e', 'frame.comment', '-e', 'frame.len', '-e', 'frame.p2p_dir', '-e', 'udp.dstport'], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'tshark must be installed (Debian package tshark)');
    const rows = r.stdout.trim().split('\n').map((l) => l.split('|'));
    assert.equal(rows.length, 3);
    for (let i = 0; i < 3; i++) {
      assert.equal(rows[i][0], rep.trace!.comment(i));
      assert.equal(Number(rows[i][1]), src.lengths[i]);
    }
    assert.deepEqual(rows.map((x) => x[0].startsWith('wire=tx')), [false, false, true].map((_, i) => src.isTx(i)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deterministic: the same seed and traffic give the same trace and counters; another seed moves TX hashes', () => {
  const flows = [
    { dir: 'rx' as const, proto: 'tcp' as const, src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 80, packets: 50, payload: 300, pushEvery: 7, burst: 4 },
    { dir: 'tx' as const, proto: 'udp' as const, src: '10.0.0.2', dst: '10.0.9.9', sport: 53, dport: 5353, packets: 20, payload: 2000, mtu: 1500 },
  ];
  const go = (seed: number) => {
    const src = buildScenario({ flows });
    const d = new NetvscDevice({ options: { seed } });
    const rep = new Replayer(d, src);
    rep.runAll(17);
    return { json: JSON.stringify(rep.trace!.toJSON({ stages: true })), stats: JSON.stringify(d.stats.ethtoolStats()), d, rep };
  };
  const a = go(7), b = go(7), c = go(8);
  assert.equal(a.json, b.json);
  assert.equal(a.stats, b.stats);
  const txHashes = (r: ReturnType<typeof go>) => [...Array(r.rep.trace!.count).keys()].filter((i) => r.rep.trace!.record(i).direction === 'tx').map((i) => r.rep.trace!.hash(i));
  assert.notDeepEqual(txHashes(a), txHashes(c), 'the boot-time hash seed changes TX flow hashes');
});
