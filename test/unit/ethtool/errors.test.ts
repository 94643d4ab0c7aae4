// Bad input and refused requests: ethtool's messages on stderr and its exit statuses, the
// kernel's extack with the attribute offset of the request (derived from the netlink layout:
// nlmsghdr 16 + genlmsghdr 4 + header nest 4 + "eth0" attribute 12 = first attribute at 36).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { runEthtool } from '../../../extension/core/ethtool/executor';
import { parseEthtool, tokenizeLine } from '../../../extension/core/ethtool/grammar';

const eth = (d: NetvscDevice, line: string) => runEthtool(d, line.split(' '));
const BAD = 'ethtool: bad command line argument(s)\nFor more information run ethtool -h\n';

test('unknown option, missing device, unknown flow type or letter: bad command line argument(s), exit 1', () => {
  const d = new NetvscDevice();
  for (const line of ['-z eth0', '-k', '-N eth0 rx-flow-hash tcp9 sdfn', '-N eth0 rx-flow-hash tcp4 sdq', '-n eth0 rx-flow-hash']) {
    assert.deepEqual(eth(d, line), { stdout: '', stderr: BAD, exit: 1 }, line);
  }
});

test('-G above the maximum: extack with the attribute offset, then strerror; exit 81; nothing changes', () => {
  const d = new NetvscDevice();
  assert.deepEqual(eth(d, '-G eth0 rx 18812'), { stdout: '', stderr: 'netlink error: requested ring size exceeds maximum (offset 36)\nnetlink error: Invalid argument\n', exit: 81 });
  assert.equal(eth(d, '-G eth0 rx 100 tx 2561').stderr, 'netlink error: requested ring size exceeds maximum (offset 44)\nnetlink error: Invalid argument\n');
  assert.equal(d.recvSectionCnt, 9709);
  assert.deepEqual(eth(d, '-G eth0 rx-buf-len 4096'), { stdout: '', stderr: 'netlink error: setting rx buf len not supported (offset 36)\nnetlink error: Operation not supported\n', exit: 81 });
  assert.equal(eth(d, '-G eth0 tx-push on').stderr, 'netlink error: setting tx push not supported (offset 36)\nnetlink error: Operation not supported\n');
  assert.equal(eth(d, '-G eth0 rx-mini 1').stderr, 'netlink error: requested ring size exceeds maximum (offset 36)\nnetlink error: Invalid argument\n');
});

test('-G parse errors use the netlink parser messages, exit 1', () => {
  const d = new NetvscDevice();
  assert.deepEqual(eth(d, '-G eth0 rx x'), { stdout: '', stderr: "ethtool (-G): invalid value 'x' for parameter 'rx'\n", exit: 1 });
  assert.equal(eth(d, '-G eth0 rx').stderr, "ethtool (-G): no value for parameter 'rx'\n");
  assert.equal(eth(d, '-G eth0 foo 1').stderr, "ethtool (-G): unknown parameter 'foo'\n");
  assert.equal(eth(d, '-G eth0 rx 1 rx 2').stderr, "ethtool (-G): duplicate parameter 'rx'\n");
});

test('-L: over the maximum (offset of the attribute), no channel left, rx N refused by the core; exit 1', () => {
  const d = new NetvscDevice({ cpus: 8 });
  assert.deepEqual(eth(d, '-L eth0 combined 9'), { stdout: '', stderr: 'netlink error: requested channel count exceeds maximum (offset 36)\nnetlink error: Invalid argument\n', exit: 1 });
  assert.equal(eth(d, '-L eth0 rx 1').stderr, 'netlink error: requested channel count exceeds maximum (offset 36)\nnetlink error: Invalid argument\n');
  assert.equal(eth(d, '-L eth0 combined 0').stderr, 'netlink error: requested channel counts would result in no RX or TX channel being configured\nnetlink error: Invalid argument\n');
  assert.deepEqual(eth(d, '-L eth0 combined 8'), { stdout: '', stderr: '', exit: 0 }); // unchanged: no driver call
});

test('-L below a user-set indirection table: refused with the highest queue used', () => {
  const d = new NetvscDevice({ cpus: 8 });
  assert.equal(eth(d, '-X eth0 equal 6').exit, 0);
  assert.deepEqual(eth(d, '-L eth0 combined 4'), { stdout: '', stderr: 'netlink error: requested channel counts are too low for existing indirection table (5)\nnetlink error: Invalid argument\n', exit: 1 });
});

test('-K: flag not followed by on/off; unknown feature names the bit offset; nothing requested', () => {
  const d = new NetvscDevice();
  assert.deepEqual(eth(d, '-K eth0 tx'), { stdout: '', stderr: "ethtool (-K): flag '(null)' for parameter '(null)' is not followed by 'on' or 'off'\n", exit: 1 });
  assert.equal(eth(d, '-K eth0 tx maybe').stderr, "ethtool (-K): flag 'maybe' for parameter '(null)' is not followed by 'on' or 'off'\n");
  assert.deepEqual(eth(d, '-K eth0 nosuch on'), { stdout: '', stderr: 'netlink error: bit name not found (offset 56)\nnetlink error: Operation not supported\n', exit: 92 });
  assert.deepEqual(eth(d, '-K eth0 ufo on'), { stdout: '', stderr: 'Could not change any device features\n', exit: 1 });
});

test('-N rx-flow-hash refused by the driver: message on stderr but exit 0 (ethtool 6.11 quirk)', () => {
  const d = new NetvscDevice();
  for (const line of ['-N eth0 rx-flow-hash tcp4 s', '-N eth0 rx-flow-hash tcp4 sdf', '-N eth0 rx-flow-hash sctp4 sd', '-N eth0 rx-flow-hash tcp4 sdfnt']) {
    assert.deepEqual(eth(d, line), { stdout: '', stderr: 'Cannot change RX network flow hashing options: Operation not supported\n', exit: 0 }, line);
  }
  assert.equal(d.l4Hash, 0xf);
});

test('-X: key format and length errors exit 2; hash function, context and xfrm refusals exit 1', () => {
  const d = new NetvscDevice();
  assert.deepEqual(eth(d, '-X eth0 hkey 01:02'), { stdout: '', stderr: 'Key is too short for device (2 < 40)\n', exit: 2 });
  assert.equal(eth(d, `-X eth0 hkey ${Array(41).fill('aa').join(':')}`).stderr, 'Key is too long for device (41 > 40)\n');
  assert.deepEqual(eth(d, '-X eth0 hkey zz:01'), { stdout: '', stderr: 'Invalid RSS hash key format\n', exit: 2 });
  assert.deepEqual(eth(d, '-X eth0 hfunc md5'), { stdout: '', stderr: 'Unknown hash function: md5\n', exit: 1 });
  assert.deepEqual(eth(d, '-X eth0 hfunc xor'), { stdout: '', stderr: 'Cannot set RX flow hash configuration: Operation not supported\n', exit: 1 });
  assert.equal(eth(d, '-X eth0 context new equal 2').stderr, 'Cannot set RX flow hash configuration: Operation not supported\n');
  assert.equal(eth(d, '-X eth0 xfrm symmetric-xor').stderr, 'Cannot set RX flow hash configuration: Operation not supported\n');
  assert.equal(eth(d, '-X eth0 equal 9').stderr, 'Cannot set RX flow hash configuration: Invalid argument\n');
  assert.equal(eth(d, '-X eth0 equal 2 weight 1 1').stderr, 'Equal and weight options are mutually exclusive\n');
  assert.equal(eth(d, '-X eth0 weight 0 0').stderr, 'At least one weight must be non-zero\n');
  assert.equal(eth(d, '-X eth0 start 1').stderr, 'Start must be used with equal or weight options\n');
});

test('-X weight distributes the 128 entries like ethtool (partial sums), default restores i % n', () => {
  const d = new NetvscDevice({ cpus: 4 });
  assert.equal(eth(d, '-X eth0 weight 1 3').exit, 0);
  // entries 0..31 -> 0 (128*1/4), 32..127 -> 1
  assert.equal([...d.rxTable.subarray(0, 128)].filter((q) => q === 0).length, 32);
  assert.equal(d.rxTable[31], 0); assert.equal(d.rxTable[32], 1);
  assert.equal(d.rxfhConfigured, true);
  assert.equal(eth(d, '-X eth0 default').exit, 0);
  assert.deepEqual([...d.rxTable.subarray(0, 8)], [0, 1, 2, 3, 0, 1, 2, 3]);
  assert.equal(d.rxfhConfigured, false);
});

test('a device name other than eth0: the errors of each path', () => {
  const d = new NetvscDevice();
  assert.deepEqual(eth(d, '-k eth1'), { stdout: '', stderr: 'netlink error: no device matches name (offset 24)\nnetlink error: No such device\n', exit: 1 });
  assert.deepEqual(eth(d, '-i eth1'), { stdout: '', stderr: 'Cannot get driver information: No such device\n', exit: 71 });
  assert.deepEqual(eth(d, '-S eth1'), { stdout: '', stderr: 'Cannot get stats strings information: No such device\n', exit: 96 });
});

test('unsupported operations: Operation not supported', () => {
  const d = new NetvscDevice();
  assert.deepEqual(eth(d, '-c eth0'), { stdout: '', stderr: 'netlink error: Operation not supported\n', exit: 1 });
  assert.equal(eth(d, '-S eth0 zzz').stderr, "ethtool (-S): unknown parameter 'zzz'\n");
});

test('the grammar gives token roles and positions for diagnostics and completion', () => {
  const p = parseEthtool(tokenizeLine('ethtool -N eth0 rx-flow-hash udp4 sd   # comment'));
  assert.deepEqual(p.request, { kind: 'setNfc', dev: 'eth0', flowType: 'udp4', data: 0x30 });
  assert.deepEqual(p.roles, ['option', 'device', 'keyword', 'flowType', 'hashFields']);
  assert.deepEqual(p.tokens.map((t) => [t.start, t.end]), [[8, 10], [11, 15], [16, 28], [29, 33], [34, 36]]);
  const bad = parseEthtool(tokenizeLine('ethtool -G eth0 rx lots'));
  assert.equal(bad.error?.message, "invalid value 'lots' for parameter 'rx'");
  assert.deepEqual([bad.error?.token?.start, bad.error?.token?.end], [19, 23]);
  const kf = parseEthtool(['--offload', 'eth0', 'gro', 'off']);
  assert.deepEqual(kf.request?.kind, 'setFeatures');
});

test('--json is refused explicitly (not modelled) instead of printing text; --debug MASK is accepted', () => {
  const d = new NetvscDevice();
  assert.deepEqual(eth(d, '--json -k eth0'), { stdout: '', stderr: 'netvsc-lab: ethtool --json output is not modelled; run without --json\n', exit: 1 });
  assert.equal(eth(d, '--debug 0 -i eth0').exit, 0);
});
