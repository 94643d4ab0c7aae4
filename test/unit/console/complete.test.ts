// The console completes from the same code as the .ethtool language server, against the live device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeCommandLine } from '../../../extension/core/lsp/ethtoolAssist';
import { snapshotDevice } from '../../../extension/core/lsp/ethtoolScript';
import { Lab } from '../../../extension/core/lab/lab';

const lab = new Lab();
const eth0 = lab.addDevice({ host: 'azure', cpus: 8 });
const c = (line: string) => completeCommandLine(line, line.length, snapshotDevice(eth0)).map((i) => i.label);

test('completes programs, ethtool options and the device name by position', () => {
  assert.ok(c('eth').includes('ethtool'));
  const opts = c('ethtool -');
  for (const o of ['-i', '-k', '-K', '-g', '-G', '-l', '-L', '-n', '-N', '-x', '-X', '-S', '-d', '-h']) assert.ok(opts.includes(o), o);
  assert.deepEqual(c('ethtool -l e'), ['eth0']);
});

test('completes -K feature words and their on|off values', () => {
  const feats = c('ethtool -K eth0 ');
  for (const f of ['lro', 'gro', 'tso', 'rx-lro', 'large-receive-offload', 'rxhash']) assert.ok(feats.includes(f), f);
  assert.deepEqual([...c('ethtool -K eth0 lro ')].sort(), ['off', 'on']);
});

test('completes -L parameters and rx-flow-hash with the two field sets netvsc accepts', () => {
  for (const p of ['rx', 'tx', 'other', 'combined']) assert.ok(c('ethtool -L eth0 ').includes(p), p);
  const flows = c('ethtool -N eth0 rx-flow-hash ');
  for (const f of ['tcp4', 'udp4', 'tcp6', 'udp6']) assert.ok(flows.includes(f));
  assert.deepEqual([...c('ethtool -N eth0 rx-flow-hash udp4 ')].sort(), ['sd', 'sdfn']);
});

test('the live device state shapes the candidates: channel counts follow the host', () => {
  // combined takes 1..max channels: 8 on an 8-vCPU Azure VM
  const counts = c('ethtool -L eth0 combined ');
  assert.ok(counts.includes('8') && !counts.includes('9'), counts.join(' '));
});

test('what may come next after a prefix: features, on/off, ring keywords, flow types, hash functions', () => {
  assert.deepEqual(c('ethtool -K eth0 lr'), ['lro']);
  assert.ok(c('ethtool -K eth0 rx-gro').includes('rx-gro-list'));
  const ring = c('ethtool -G eth0 rx 10 ');
  assert.ok(!ring.includes('rx') && ring.includes('tx') && ring.includes('tcp-data-split'), ring.join(' '));
  assert.deepEqual([...c('ethtool -N eth0 rx-flow-hash ud')].sort(), ['udp4', 'udp6']);
  assert.deepEqual([...c('ethtool -X eth0 hfunc ')].sort(), ['crc32', 'toeplitz', 'xor']);
});
