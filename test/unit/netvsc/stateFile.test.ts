// The state file: a device survives a round trip (configuration, tables, counters, VF), bad
// files are refused with one clear message, writes are atomic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { readStateFile, StateFileError, writeStateFile } from '../../../extension/core/netvsc/stateFile';
import { runEthtool } from '../../../extension/core/ethtool/executor';

const eth = (d: NetvscDevice, line: string) => runEthtool(d, line.split(' '));
const dir = mkdtempSync(join(tmpdir(), 'netvsc-state-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('round trip: every ethtool view reads the same after save and load', () => {
  const d = new NetvscDevice({ host: 'ws2016', cpus: 6 });
  for (const c of ['-K eth0 gro off', '-G eth0 rx 2048 tx 300', '-L eth0 combined 4', '-X eth0 weight 1 2 1', '-N eth0 rx-flow-hash udp4 sd']) assert.equal(eth(d, c).exit, 0, c);
  d.setMtu(4000);
  d.stats.global[5] = 3;
  d.addVf({ serial: 9 });
  const f = join(dir, 'dev.json');
  writeStateFile(f, d);
  const back = readStateFile(f)!;
  for (const c of ['-k eth0', '-g eth0', '-l eth0', '-x eth0', '-S eth0', '-i eth0', '-n eth0 rx-flow-hash udp4', '-d eth0']) {
    assert.deepEqual(eth(back, c), eth(d, c), c);
  }
  assert.equal(back.mtu, 4000);
  assert.equal(back.dataPathIsVf, true);
  assert.equal(back.vf?.name, 'enP9s1');
  assert.deepEqual(readdirSync(dir), ['dev.json'], 'no temporary file left behind');
});

test('a missing file is a new device (null); corrupt JSON, another format or a newer version are clear errors', () => {
  assert.equal(readStateFile(join(dir, 'none.json')), null);
  const bad = (name: string, text: string, re: RegExp) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    assert.throws(() => readStateFile(f), (e: unknown) => e instanceof StateFileError && re.test(e.message) && e.message.startsWith(f));
  };
  bad('corrupt.json', '{"format": "netvsc-lab-device", "version": 1,', /corrupt state file: not valid JSON/);
  bad('other.json', '{"format": "something-else", "version": 1}', /not a netvsc-lab state file/);
  bad('newer.json', '{"format": "netvsc-lab-device", "version": 99}', /version 99 is newer than this netvsc-lab understands \(1\)/);
  const good = JSON.parse(JSON.stringify(JSON.parse(readFileSync(join(dir, 'dev.json'), 'utf8'))));
  good.cpus = 0;
  bad('cpus.json', JSON.stringify(good), /field 'cpus' must be an integer in 1\.\.4096, got 0/);
});

test('an interrupted write leaves the old file intact (temporary file + rename)', () => {
  const f = join(dir, 'keep.json');
  const d = new NetvscDevice();
  writeStateFile(f, d);
  const before = readFileSync(f, 'utf8');
  const evil = new NetvscDevice();
  (evil as unknown as { stats: { toJSON(): never } }).stats.toJSON = () => { throw new Error('disk full'); };
  assert.throws(() => writeStateFile(f, evil), /disk full/);
  assert.equal(readFileSync(f, 'utf8'), before);
  assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')));
});
