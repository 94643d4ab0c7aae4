import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../../extension/core/lab/lab';
import { DeviceTreeModel } from '../../../extension/core/view/deviceTree';
import { NetvscDevice } from '../../../extension/core/netvsc/device';

function setup(host: 'azure' | 'ws2012' = 'azure') {
  const lab = new Lab();
  lab.addDevice({ host, cpus: 8 });
  return { lab, tree: new DeviceTreeModel(lab) };
}

test('roots are the devices; a device has the seven sections the issue names', () => {
  const { lab, tree } = setup();
  assert.deepEqual(tree.children(), ['eth0']);
  assert.deepEqual(tree.children('eth0').map((id) => tree.node(id)!.label),
    ['Host', 'Channels & queues', 'Offloads', 'RSS', 'Buffers', 'SR-IOV VF', 'XDP']);
  lab.addDevice({ host: 'ws2016' });
  assert.deepEqual(tree.children(), ['eth0', 'eth1']);
  assert.match(tree.node('eth1')!.description!, /^ws2016 · /);
  lab.removeDevice('eth0');
  assert.deepEqual(tree.children(), ['eth1']);
  assert.equal(tree.node('eth0'), undefined);
});

test('queues: one per channel (8 vCPUs on Azure -> 8 channels), with live counters', () => {
  const { lab, tree } = setup();
  assert.equal(tree.children('eth0/queues').length, 8);
  assert.match(tree.node('eth0/queues')!.description!, /^8 of 8 /);
  // counters live in the stats arrays the pipeline bumps: rx_queue_3_packets is field 3 of queue 3
  const d = lab.device('eth0')!;
  d.stats.queues[3 * 8 + 3] = 42;
  assert.match(tree.node('eth0/queues/3')!.description!, /^rx 42 /);
  lab.resetCounters('eth0');
  assert.match(tree.node('eth0/queues/3')!.description!, /^rx 0 /);
});

test('offloads mirror ethtool -k: LRO on by default on Azure (RSC), VLAN offloads fixed, toggle through ethtool', () => {
  const { lab, tree } = setup();
  const lro = tree.node('eth0/offloads/large-receive-offload')!;
  assert.equal(lro.description, 'on');
  assert.equal(lro.contextValue, 'offload-on');
  assert.equal(tree.node('eth0/offloads/rx-vlan-offload')!.contextValue, 'offload-fixed');
  assert.equal(tree.node('eth0/offloads/rx-vlan-offload')!.description, 'on [fixed]');
  // tx-checksumming is a group: its members are children, as the tab-indented lines of -k
  assert.deepEqual(tree.children('eth0/offloads/tx-checksumming').map((id) => id.split('/').pop()),
    ['tx-checksum-ipv4', 'tx-checksum-ip-generic', 'tx-checksum-ipv6', 'tx-checksum-fcoe-crc', 'tx-checksum-sctp']);
  assert.equal(lab.run('ethtool -K eth0 lro off').exit, 0);
  assert.equal(tree.node('eth0/offloads/large-receive-offload')!.description, 'off');
});

test('ws2012 (NVSP 4) has one channel, no RSS table, and LRO off [fixed]', () => {
  const { tree } = setup('ws2012');
  assert.equal(tree.children('eth0/queues').length, 1);
  assert.equal(tree.node('eth0/rss')!.description, 'one channel: not programmed');
  assert.equal(tree.node('eth0/offloads/large-receive-offload')!.description, 'off [fixed]');
  assert.match(tree.node('eth0/host/nvsp')!.description!, /^4\.0 /);
});

test('RSS: the default key and table, and rx-flow-hash levels that follow ethtool -N', () => {
  const { lab, tree } = setup();
  assert.equal(tree.node('eth0/rss/key')!.description,
    '6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa');
  const rows = tree.children('eth0/rss/indir');
  assert.equal(rows.length, 128 / 8);
  assert.equal(tree.node(rows[0])!.description, '0 1 2 3 4 5 6 7'); // default fill: i % channels
  assert.match(tree.node('eth0/rss/flow-udp4')!.description!, /^sdfn/);
  lab.run('ethtool -N eth0 rx-flow-hash udp4 sd');
  assert.match(tree.node('eth0/rss/flow-udp4')!.description!, /^sd /);
});

test('VF and XDP sections are empty until a VF or a program is there', () => {
  const { lab, tree } = setup();
  assert.deepEqual(tree.children('eth0/vf'), []);
  assert.equal(tree.node('eth0/vf')!.description, 'none');
  lab.device('eth0')!.addVf();
  assert.match(tree.node('eth0/vf')!.description!, /^enP1s1 up, data path VF$/);
  assert.ok(tree.children('eth0/vf').includes('eth0/vf/vf_rx_packets'));
  assert.equal(tree.node('eth0/xdp')!.description, 'not attached');
});

test('the lab routes commands to the device they name and answers unknown programs like a shell', () => {
  const { lab } = setup();
  lab.addDevice({ host: 'ws2012' });
  assert.match(lab.run('ethtool -l eth1').stdout, /Combined:\t1\n$/);
  assert.match(lab.run('ethtool -l eth0').stdout, /Combined:\t8\n$/);
  const r = lab.run('tcpdump -i eth0');
  assert.deepEqual(r, { stdout: '', stderr: 'tcpdump: command not found\n', exit: 127 });
});

test('ip link goes to the device it names, also through its VF, and answers a missing one like iproute2', () => {
  const { lab } = setup();
  lab.addDevice({ host: 'ws2016' });
  assert.deepEqual(lab.run('ip link set dev eth1 mtu 9000'), { stdout: '', stderr: '', exit: 0 });
  assert.equal(lab.device('eth1')!.mtu, 9000);
  assert.equal(lab.device('eth0')!.mtu, 1500);
  const shown = lab.run('ip link show').stdout;
  assert.match(shown, /^\d+: eth0: /m);
  assert.match(shown, /^\d+: eth1: .*mtu 9000/m);
  assert.equal(lab.run('ip link set dev eth7 up').stderr, 'Cannot find device "eth7"\n');
  lab.device('eth0')!.addVf();
  assert.equal(lab.run('ip link set dev enP1s1 down').exit, 0);
  assert.equal(lab.device('eth0')!.dataPathIsVf, false);
});

test('XDP shows the attached program and its maps, entries decoded through BTF', async () => {
  const { readFileSync, mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { loadXdpProgram } = await import('../../../extension/core/netvsc/xdpRunner');
  const { openPacketSource } = await import('../../../extension/core/lab/packetSource');
  const { Replayer } = await import('../../../extension/core/netvsc/replay');
  const lab = new Lab({ loadXdp: (p, sec) => loadXdpProgram(readFileSync(p), { objectPath: p, section: sec }) });
  const tree = new DeviceTreeModel(lab);
  const dev = lab.addDevice({ host: 'azure', cpus: 2 });
  // The driver refuses XDP while LRO is on: the real error text, and nothing attached.
  assert.equal(lab.run('ip link set dev eth0 xdp obj examples/xdp/xdp_count.o sec xdp').stderr, 'Error: hv_netvsc: XDP: not support LRO.\n');
  assert.equal(tree.node('eth0/xdp')!.description, 'not attached');
  lab.run('ethtool -K eth0 lro off');
  assert.equal(lab.run('ip link set dev eth0 xdp obj examples/xdp/xdp_count.o sec xdp').exit, 0);
  assert.equal(tree.node('eth0/xdp')!.description, 'xdp_count (xdp)');
  // iproute2 attaches with XDP_FLAGS_UPDATE_IF_NOEXIST unless -force (ip/iplink_xdp.c): a second
  // program is refused by dev_xdp_attach(), and -force replaces it.
  assert.equal(lab.run('ip link set dev eth0 xdp obj examples/xdp/xdp_pass.o').stderr, 'Error: XDP program already attached.\n');
  assert.equal(lab.run('ip -force link set dev eth0 xdp obj examples/xdp/xdp_pass.o').exit, 0);
  assert.equal(tree.node('eth0/xdp')!.description, 'xdp_pass_all (xdp)');
  assert.equal(lab.run('ip -force link set dev eth0 xdp obj examples/xdp/xdp_count.o sec xdp').exit, 0);
  // A refused -K changes only what was asked for: the view hears of it and shows ethtool's words.
  const seen: string[] = [];
  lab.events.on('changed', (e) => seen.push(`${e.dev}:${e.what}`));
  assert.equal(lab.run('ethtool -K eth0 lro on').exit, 1);
  assert.ok(seen.includes('eth0:command'));
  assert.equal(tree.node('eth0/offloads/large-receive-offload')!.description, 'off [requested on]');
  const maps = tree.children('eth0/xdp/maps').map((id) => tree.node(id)!);
  assert.deepEqual(maps.map((m) => m.label), ['rxq_packets', 'proto_stats']);
  assert.match(maps[1].description!, /^hash, 0 of 256 entries$/);
  // 7 UDP datagrams of 100 payload bytes: 14 + 20 + 8 + 100 = 142 bytes each on the wire.
  const dir = mkdtempSync(join(tmpdir(), 'tree-xdp-'));
  writeFileSync(join(dir, 's.yaml'), 'flows:\n  - { type: udp, src: 10.0.0.1, dst: 10.0.0.2, sport: 1000, dport: 53, count: 7, size: 100 }\n');
  new Replayer(dev, openPacketSource(join(dir, 's.yaml'), dev.mac).source).runAll();
  const [entry] = tree.children('eth0/xdp/maps/1').map((id) => tree.node(id)!);
  assert.equal(entry.label, '17'); // IPPROTO_UDP, the __u8 key
  assert.match(entry.description!, /packets\D+7\b/);
  assert.match(entry.description!, /bytes\D+994\b/); // 7 × 142
});

test('host vf add/remove through the lab: the VF joins the device it names and the kernel log is the output', () => {
  const { lab, tree } = setup();
  lab.addDevice({ host: 'azure' });
  const r = lab.run('host vf add dev eth1');
  assert.equal(r.exit, 0);
  // netvsc-facts §5: "Data path switched to VF: <vf>" when the VF comes up
  assert.match(r.stdout, /Data path switched to VF: enP1s1/);
  assert.equal(tree.node('eth0/vf')!.description, 'none');
  assert.match(tree.node('eth1/vf')!.description!, /^enP1s1 up, data path VF$/);
  assert.equal(lab.run('host vf remove dev eth1').exit, 0);
  assert.equal(tree.node('eth1/vf')!.description, 'none');
  assert.equal(lab.run('host vf add dev eth9').stderr, 'host vf: no such device\n');
});

test('a followed device (a debug session\'s) shows read-only beside the lab\'s, and follows a rebuilt one', () => {
  const { lab, tree } = setup();
  let session: NetvscDevice | undefined = new NetvscDevice({ host: 'ws2016', cpus: 2 });
  const events: string[] = [];
  lab.events.on('devices', (e) => events.push(`devices:${e.added ?? ''}${e.removed ?? ''}`));
  lab.events.on('changed', (e) => events.push(`changed:${e.dev}:${e.what}`));
  lab.follow('debug', () => session);
  assert.deepEqual(tree.children(), ['eth0', 'debug']);
  const root = tree.node('debug')!;
  assert.equal(root.label, 'debug (eth0)');
  assert.equal(root.contextValue, 'device-followed');
  assert.match(root.description!, /^ws2016 · 2 ch /);
  // no inline actions on a device the lab does not own: ethtool lines still show, without context
  assert.equal(tree.node('debug/offloads/large-receive-offload')!.contextValue, undefined);
  assert.equal(tree.node('debug/offloads/large-receive-offload')!.description, 'off [fixed]'); // no RSC before WS2019
  // commands still go to the lab's own devices only
  assert.match(lab.run('ethtool -l eth0').stdout, /Combined:\t8\n$/);
  // a step back rebuilds the session's device: the view reads the new one
  session = new NetvscDevice({ host: 'ws2012', cpus: 2 });
  lab.follow('debug', () => session);
  assert.match(tree.node('debug')!.description!, /^ws2012 · 1 ch /);
  lab.unfollow('debug');
  assert.deepEqual(tree.children(), ['eth0']);
  assert.deepEqual(events, ['devices:debug', 'changed:eth0:command', 'changed:debug:followed', 'devices:debug']);
});
