import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeCommandLine } from '../../../extension/core/console/complete';

const c = (line: string) => completeCommandLine(line, line.length, ['eth0', 'eth1']);

test('completes programs, ethtool options and device names by position', () => {
  assert.ok(c('eth').candidates.includes('ethtool'));
  assert.equal(c('eth').start, 0);
  const opts = c('ethtool -').candidates;
  for (const o of ['-i', '-k', '-K', '-g', '-G', '-l', '-L', '-n', '-N', '-x', '-X', '-S', '-d', '-h']) assert.ok(opts.includes(o), o);
  assert.deepEqual(c('ethtool -l e').candidates, ['eth0', 'eth1']);
  assert.equal(c('ethtool -l e').start, 11);
});

test('completes -K feature words and their on|off values alternately', () => {
  const feats = c('ethtool -K eth0 ').candidates;
  for (const f of ['lro', 'gro', 'tso', 'rx-lro', 'large-receive-offload', 'rxhash']) assert.ok(feats.includes(f), f);
  assert.deepEqual(c('ethtool -K eth0 lro ').candidates, ['on', 'off']);
  assert.ok(c('ethtool -K eth0 lro off ').candidates.includes('gro'));
});

test('completes -L and -G parameters, skipping ones already given', () => {
  assert.deepEqual(c('ethtool -L eth0 ').candidates, ['rx', 'tx', 'other', 'combined']);
  assert.deepEqual(c('ethtool -L eth0 combined 4 ').candidates, ['rx', 'tx', 'other']);
  assert.deepEqual(c('ethtool -L eth0 combined ').candidates, []);
  assert.deepEqual(c('ethtool -G eth0 tx-push ').candidates, ['on', 'off']);
});

test('completes rx-flow-hash, its flow types and the two field sets netvsc accepts', () => {
  assert.deepEqual(c('ethtool -N eth0 ').candidates, ['rx-flow-hash']);
  const flows = c('ethtool -N eth0 rx-flow-hash ').candidates;
  for (const f of ['tcp4', 'udp4', 'tcp6', 'udp6']) assert.ok(flows.includes(f));
  assert.deepEqual(c('ethtool -N eth0 rx-flow-hash udp4 ').candidates, ['sd', 'sdfn']);
});

test('completes the ip link subset', () => {
  assert.deepEqual(c('ip ').candidates, ['link']);
  assert.deepEqual(c('ip link ').candidates, ['set', 'show']);
  assert.deepEqual(c('ip link set dev ').candidates, ['eth0', 'eth1']);
  assert.deepEqual(c('ip link set dev eth0 ').candidates, ['mtu', 'xdp', 'up', 'down']);
  assert.deepEqual(c('ip link set dev eth0 xdp ').candidates, ['obj', 'off']);
});
