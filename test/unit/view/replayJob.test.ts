import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../../extension/core/lab/lab';
import { openPacketSource } from '../../../extension/core/lab/packetSource';
import { ReplayJob } from '../../../extension/core/lab/replayJob';
import { Replayer } from '../../../extension/core/netvsc/replay';
import { PER_QUEUE, Q_RX_PACKETS } from '../../../extension/core/netvsc/stats';

const dir = mkdtempSync(join(tmpdir(), 'replayjob-'));
const scenario = join(dir, 's.yaml');
// 4 RX UDP flows of 50 datagrams each (no fragmentation: 100-byte payloads).
writeFileSync(scenario, `seed: 3\nflows:\n${[1, 2, 3, 4].map((i) =>
  `  - { type: udp, src: 10.0.0.${i}, dst: 10.0.1.1, sport: ${40000 + i}, dport: 53, count: 50, size: 100 }`).join('\n')}\n`);

test('a replay job yields to the event loop between slices and ends with every packet counted', async () => {
  const lab = new Lab();
  const dev = lab.addDevice({ host: 'azure', cpus: 4 });
  const opened = openPacketSource(scenario, dev.mac);
  assert.equal(opened.source.count, 200);
  const job = new ReplayJob(new Replayer(dev, opened.source), 0, 16); // 16 packets a slice
  let turns = 0;
  const ticker = setInterval(() => { turns++; }, 0);
  const progress: number[] = [];
  job.events.on('progress', (p) => progress.push(p.done));
  const r = await job.run();
  clearInterval(ticker);
  assert.equal(r.cancelled, false);
  assert.ok(progress.length >= 200 / 16, `only ${progress.length} slices`);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
  assert.equal(progress.at(-1), 200);
  assert.ok(turns > 0, 'the event loop never ran during the replay');
  let rx = 0;
  for (let q = 0; q < dev.numChn; q++) rx += dev.stats.queues[q * PER_QUEUE + Q_RX_PACKETS];
  assert.equal(rx, 200);
});

test('a cancelled job stops early and says so', async () => {
  const dev = new Lab().addDevice();
  const opened = openPacketSource(scenario, dev.mac);
  const job = new ReplayJob(new Replayer(dev, opened.source), 0, 10);
  job.events.on('progress', (p) => { if (p.done >= 30) job.cancel(); });
  const r = await job.run();
  assert.equal(r.cancelled, true);
  assert.ok(job.replayer.position < 200);
});

test('opening something that is neither a capture nor a scenario names the file', () => {
  assert.throws(() => openPacketSource(join(dir, 'x.txt'), '00:15:5d:00:00:01'), /x\.txt: not a capture/);
  const bad = join(dir, 'bad.pcap');
  writeFileSync(bad, Buffer.from('not a pcap at all, really'));
  assert.throws(() => openPacketSource(bad, '00:15:5d:00:00:01'), /bad\.pcap: .*at byte 0/);
});
