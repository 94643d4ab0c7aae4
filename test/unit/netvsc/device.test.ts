// Device state by the facts document: negotiation per host, rings, channels and re-attach,
// MTU, LRO/XDP rules, the VF data path switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { runEthtool } from '../../../extension/core/ethtool/executor';
import { TRANSPORT_INFO_IPV4_TCP, TRANSPORT_INFO_IPV4_UDP, TRANSPORT_INFO_IPV6_TCP, TRANSPORT_INFO_IPV6_UDP } from '../../../extension/core/netvsc/constants';
import type { XdpProgram } from '../../../extension/core/netvsc/xdp';

const eth = (d: NetvscDevice, line: string) => runEthtool(d, line.split(' '));
const fakeProg = { name: 'p', objectPath: 'p.o', section: 'xdp', out: { page: new Uint8Array(4096), data: 256, dataEnd: 256, dataMeta: 256, redirectOk: false, redirectIfindex: 0, printk: [] }, run: () => 2 } satisfies XdpProgram;

test('TX checksum mask per host: TCP only on NVSP 4 / 2012 R2, TCP+UDP on 2016+ (rndis_netdev_set_hwcaps)', () => {
  assert.equal(new NetvscDevice({ host: 'ws2012' }).txChecksumMask, TRANSPORT_INFO_IPV4_TCP | TRANSPORT_INFO_IPV6_TCP);
  assert.equal(new NetvscDevice({ host: 'ws2012r2' }).txChecksumMask, TRANSPORT_INFO_IPV4_TCP | TRANSPORT_INFO_IPV6_TCP);
  const all = TRANSPORT_INFO_IPV4_TCP | TRANSPORT_INFO_IPV4_UDP | TRANSPORT_INFO_IPV6_TCP | TRANSPORT_INFO_IPV6_UDP;
  assert.equal(new NetvscDevice({ host: 'ws2016' }).txChecksumMask, all);
  assert.equal(new NetvscDevice({ host: 'azure' }).txChecksumMask, 0x33);
  // NVSP <= 4 forces the UDP fields to "no change" even if the host claims UDP.
  const h = { ...new NetvscDevice({ host: 'ws2012' }).host, ip4TxCsum: 0x54, ip6TxCsum: 0x55 };
  assert.equal(new NetvscDevice({ host: h }).txChecksumMask, TRANSPORT_INFO_IPV4_TCP | TRANSPORT_INFO_IPV6_TCP);
});

test('GSO max: 65536 lowered to the host LSO max size; NDIS version by NVSP', () => {
  const d = new NetvscDevice();
  assert.equal(d.gsoMaxSize, 62780);
  assert.equal(d.ndisVersion, 0x0006001e);
  assert.equal(new NetvscDevice({ host: 'ws2012' }).ndisVersion, 0x00060001);
});

test('-G rx 10 reads back 11 (host answers whole 1728-byte sections of the page-rounded buffer); rx 5 clamps', () => {
  const d = new NetvscDevice();
  assert.equal(eth(d, '-G eth0 rx 10').exit, 0);
  assert.equal(d.recvSectionCnt, 11); // floor(roundup(10*1728, 4096) / 1728) = floor(20480/1728)
  assert.equal(eth(d, '-G eth0 rx 5 tx 5').exit, 0);
  assert.equal(d.recvSectionCnt, 11); // clamped to 10 sections -> again 11
  assert.equal(d.sendSectionCnt, 10);
  assert.equal(eth(d, '-G eth0 tx 171').exit, 0);
  assert.equal(d.sendSectionCnt, 171);
});

test('re-attach resets per-channel counters but keeps global and VF counters (struct netvsc_device is new)', () => {
  const d = new NetvscDevice();
  d.stats.queues[3] = 7; d.stats.global[0] = 5; d.stats.vfPcpu[0] = 9;
  assert.equal(eth(d, '-L eth0 combined 4').exit, 0);
  assert.equal(d.numChn, 4);
  assert.equal(d.stats.get('rx_queue_0_packets'), 0);
  assert.equal(d.stats.get('tx_scattered'), 5);
  assert.equal(d.stats.get('vf_rx_packets'), 9);
  assert.deepEqual([...d.txTable], Array.from({ length: 16 }, (_, i) => i % 4));
});

test('quirk: a user-set RSS table becomes all zeros on re-attach (newest); older kernels keep it', () => {
  const d = new NetvscDevice();
  assert.equal(eth(d, '-X eth0 equal 2 start 2').exit, 0);
  assert.deepEqual([...d.rxTable.subarray(0, 4)], [2, 3, 2, 3]);
  assert.equal(eth(d, '-G eth0 rx 4096').exit, 0);
  assert.ok(d.rxTable.subarray(0, 128).every((q) => q === 0));
  assert.match(eth(d, '-x eth0').stdout, /\n {4}0: {6}0 {5}0 {5}0/);
  const old = new NetvscDevice({ options: { legacyRxTableSurvives: true } });
  eth(old, '-X eth0 equal 2 start 2');
  eth(old, '-G eth0 rx 4096');
  assert.deepEqual([...old.rxTable.subarray(0, 4)], [2, 3, 2, 3]);
});

test('RSS key: -X hkey is kept and survives re-attach', () => {
  const d = new NetvscDevice();
  const key = Array.from({ length: 40 }, (_, i) => (i * 7) & 255);
  assert.equal(eth(d, `-X eth0 hkey ${key.map((b) => b.toString(16).padStart(2, '0')).join(':')}`).exit, 0);
  eth(d, '-L eth0 combined 2');
  assert.deepEqual([...d.rssKey], key);
});

test('MTU: range 68..65521, silently lowered to the host maximum frame size', () => {
  const d = new NetvscDevice();
  assert.deepEqual(d.setMtu(67), { err: -22, extack: 'mtu less than device minimum' });
  assert.deepEqual(d.setMtu(65522), { err: -22, extack: 'mtu greater than device maximum' });
  const h = { ...d.host, maxFrameMtu: 4000 };
  const small = new NetvscDevice({ host: h });
  assert.equal(small.setMtu(9000).err, 0);
  assert.equal(small.mtu, 4000);
  assert.equal(d.setMtu(9000).err, 0);
  assert.equal(eth(d, '-g eth0').stdout.split('\n')[2], `RX:\t\t\t${Math.floor(31 * 1024 * 1024 / d.recvSectionSize)}`);
});

test('XDP attach: refused with LRO on, allowed after lro off; MTU limit 3506 (buf_max <= 4096)', () => {
  const d = new NetvscDevice();
  assert.deepEqual(d.setXdp(fakeProg), { err: -95, extack: 'hv_netvsc: XDP: not support LRO' });
  assert.ok(d.log.some((l) => l.endsWith('XDP: not support LRO')));
  eth(d, '-K eth0 lro off');
  d.setMtu(3507);
  assert.deepEqual(d.setXdp(fakeProg), { err: -95, extack: 'hv_netvsc: XDP: mtu too large' });
  assert.ok(d.log.some((l) => l.endsWith('XDP: mtu:3507 too large, buf_max:4160')));
  d.setMtu(3506);
  assert.equal(d.setXdp(fakeProg).err, 0);
  // Raising the MTU past the limit with XDP attached fails and keeps the old MTU.
  assert.equal(d.setMtu(9000).err, -95);
  assert.equal(d.mtu, 3506);
});

test('LRO with XDP: -K lro on is refused by ndo_fix_features ("Skip LRO"), stays [requested on] after detach', () => {
  const d = new NetvscDevice();
  eth(d, '-K eth0 lro off');
  d.setXdp(fakeProg);
  const r = eth(d, '-K eth0 lro on');
  assert.deepEqual(r, { stdout: 'Actual changes:\nrx-lro: off [requested on]\n', stderr: 'Could not change any device features\n', exit: 1 });
  assert.ok(d.log.some((l) => l.endsWith('Skip LRO - unsupported with XDP')));
  d.setXdp(null);
  assert.match(eth(d, '-k eth0').stdout, /\nlarge-receive-offload: off \[requested on\]\n/);
  assert.equal(d.rscEnabled, false);
});

test('VF: join and data path switch with the driver\'s log lines; down/remove switch back', () => {
  const d = new NetvscDevice();
  assert.equal(d.addVf({ serial: 5 }).err, 0);
  assert.equal(d.dataPathIsVf, true);
  const tail = d.log.map((l) => l.replace(/^hv_netvsc \S+ eth0: /, ''));
  assert.deepEqual(tail.slice(-4), ['VF slot 5 added', 'mlx5_core enP5s1: joined to eth0', 'VF registering: enP5s1', 'Data path switched to VF: enP5s1']);
  d.setVfUp(false);
  assert.equal(d.dataPathIsVf, false);
  assert.equal(d.log[d.log.length - 1].endsWith('Data path switched from VF: enP5s1'), true);
  d.setVfUp(true);
  d.removeVf();
  assert.equal(d.vf, null);
  assert.equal(d.dataPathIsVf, false);
  assert.deepEqual(d.log.slice(-3).map((l) => l.replace(/^hv_netvsc \S+ eth0: /, '')), ['Data path switched from VF: enP5s1', 'VF unregistering: enP5s1', 'VF slot 5 removed']);
});

test('VF with another MAC does not match; features, MTU and XDP propagate to a joined VF', () => {
  const d = new NetvscDevice();
  assert.equal(d.addVf({ mac: '00:11:22:33:44:55' }).err, -19);
  eth(d, '-K eth0 lro off');
  d.addVf();
  d.setMtu(3000);
  assert.equal(d.vf!.mtu, 3000);
  eth(d, '-K eth0 gro off');
  assert.equal(d.vf!.features, d.features);
  d.setXdp(fakeProg);
  assert.equal(d.vf!.xdp, 'p');
  assert.equal(eth(d, '-G eth0 rx 100').exit, 0); // rings are not propagated
});

test('link down closes the VF too and switches the data path back', () => {
  const d = new NetvscDevice();
  d.addVf();
  d.setUp(false);
  assert.equal(d.vf!.up, false);
  assert.equal(d.dataPathIsVf, false);
});

test('MAC change goes to the VF first; multicast and zero addresses are refused; events report state and log lines', async () => {
  const { runIpLink } = await import('../../../extension/core/ethtool/ipLink');
  const d = new NetvscDevice();
  const seen: string[] = [];
  d.events.on('state', (e) => seen.push(`state:${e.what}`));
  d.events.on('log', (e) => seen.push(`log:${e.text}`));
  d.addVf({ serial: 2 });
  assert.deepEqual(runIpLink(d, ['link', 'set', 'dev', 'eth0', 'address', '00:15:5d:aa:bb:cc']), { stdout: '', stderr: '', exit: 0 });
  assert.equal(d.mac, '00:15:5d:aa:bb:cc');
  assert.equal(d.vf!.mac, '00:15:5d:aa:bb:cc');
  assert.deepEqual(runIpLink(d, ['link', 'set', 'dev', 'eth0', 'address', '01:00:5e:00:00:01']), { stdout: '', stderr: 'RTNETLINK answers: Cannot assign requested address\n', exit: 2 });
  assert.ok(seen.includes('log:Data path switched to VF: enP2s1'));
  assert.ok(seen.includes('state:datapath'));
  assert.ok(seen.includes('state:mac'));
});


test('TSO max follows the data path: the VF\'s while switched to it, netvsc\'s (host LSO max) otherwise', () => {
  const d = new NetvscDevice();
  assert.equal(d.tsoMaxSize, 62780);
  d.addVf();
  d.vf!.tsoMaxSize = 65536;
  assert.equal(d.tsoMaxSize, 65536);
  d.setVfUp(false);
  assert.equal(d.tsoMaxSize, 62780);
});
