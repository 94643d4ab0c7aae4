// ethtool 6.11 output for hv_netvsc, feature by feature, with the expected text written out
// from the formats of reference/netvsc-facts.md §10–11 (not from our output).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { runEthtool } from '../../../extension/core/ethtool/executor';

const eth = (d: NetvscDevice, line: string) => runEthtool(d, line.split(' '));

const K_AZURE = `Features for eth0:
rx-checksumming: on
tx-checksumming: on
	tx-checksum-ipv4: on
	tx-checksum-ip-generic: off [fixed]
	tx-checksum-ipv6: on
	tx-checksum-fcoe-crc: off [fixed]
	tx-checksum-sctp: off [fixed]
scatter-gather: on
	tx-scatter-gather: on
	tx-scatter-gather-fraglist: off [fixed]
tcp-segmentation-offload: on
	tx-tcp-segmentation: on
	tx-tcp-ecn-segmentation: off [fixed]
	tx-tcp-mangleid-segmentation: off
	tx-tcp6-segmentation: on
	tx-tcp-accecn-segmentation: off [fixed]
generic-segmentation-offload: on
generic-receive-offload: on
large-receive-offload: on
rx-vlan-offload: on [fixed]
tx-vlan-offload: on [fixed]
ntuple-filters: off [fixed]
receive-hashing: on
highdma: on [fixed]
rx-vlan-filter: off [fixed]
vlan-challenged: off [fixed]
tx-gso-robust: off [fixed]
tx-fcoe-segmentation: off [fixed]
tx-gre-segmentation: off [fixed]
tx-gre-csum-segmentation: off [fixed]
tx-ipxip4-segmentation: off [fixed]
tx-ipxip6-segmentation: off [fixed]
tx-udp_tnl-segmentation: off [fixed]
tx-udp_tnl-csum-segmentation: off [fixed]
tx-gso-partial: off [fixed]
tx-tunnel-remcsum-segmentation: off [fixed]
tx-sctp-segmentation: off [fixed]
tx-esp-segmentation: off [fixed]
tx-udp-segmentation: off [fixed]
tx-gso-list: off [fixed]
tx-nocache-copy: off
loopback: off [fixed]
rx-fcs: off [fixed]
rx-all: off [fixed]
tx-vlan-stag-hw-insert: off [fixed]
rx-vlan-stag-hw-parse: off [fixed]
rx-vlan-stag-filter: off [fixed]
l2-fwd-offload: off [fixed]
hw-tc-offload: off [fixed]
esp-hw-offload: off [fixed]
esp-tx-csum-hw-offload: off [fixed]
rx-udp_tunnel-port-offload: off [fixed]
tls-hw-tx-offload: off [fixed]
tls-hw-rx-offload: off [fixed]
rx-gro-hw: off [fixed]
tls-hw-record: off [fixed]
rx-gro-list: off
macsec-hw-offload: off [fixed]
rx-udp-gro-forwarding: off
hsr-tag-ins-offload: off [fixed]
hsr-tag-rm-offload: off [fixed]
hsr-fwd-offload: off [fixed]
hsr-dup-offload: off [fixed]
`;

test('-k on an Azure host (all offloads + RSC): the facts document text, to the character', () => {
  const r = eth(new NetvscDevice({ host: 'azure' }), '-k eth0');
  assert.equal(r.exit, 0);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, K_AZURE);
});

test('-k on hosts without RSC: large-receive-offload off [fixed], the rest unchanged (§1, §4)', () => {
  for (const host of ['ws2012', 'ws2012r2', 'ws2016'] as const) {
    const r = eth(new NetvscDevice({ host }), '-k eth0');
    assert.equal(r.stdout, K_AZURE.replace('large-receive-offload: on\n', 'large-receive-offload: off [fixed]\n'), host);
  }
  for (const host of ['ws2019', 'ws2022'] as const) assert.equal(eth(new NetvscDevice({ host }), '-k eth0').stdout, K_AZURE, host);
});

test('-i: hv_netvsc, kernel release as version, N/A firmware, expansion-rom-version with a trailing space', () => {
  const d = new NetvscDevice({ options: { kernelRelease: '6.17.0-test' } });
  const r = eth(d, '-i eth0');
  assert.equal(r.stdout, `driver: hv_netvsc
version: 6.17.0-test
firmware-version: N/A
expansion-rom-version: 
bus-info: ${d.busInfo}
supports-statistics: yes
supports-test: no
supports-eeprom-access: no
supports-register-dump: yes
supports-priv-flags: no
`);
  assert.match(d.busInfo, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});

test('-g defaults: 18811/2560 maximums, 9709/170 current (§6, §7, §11)', () => {
  assert.equal(eth(new NetvscDevice(), '-g eth0').stdout, [
    'Ring parameters for eth0:', 'Pre-set maximums:', 'RX:\t\t\t18811', 'RX Mini:\t\tn/a', 'RX Jumbo:\t\tn/a', 'TX:\t\t\t2560',
    'TX push buff len:\tn/a', 'Current hardware settings:', 'RX:\t\t\t9709', 'RX Mini:\t\tn/a', 'RX Jumbo:\t\tn/a', 'TX:\t\t\t170',
    'RX Buf Len:\t\tn/a', 'CQE Size:\t\tn/a', 'TX Push:\t\toff', 'RX Push:\t\toff', 'TX push buff len:\tn/a', 'TCP data split:\t\tn/a', '',
  ].join('\n'));
});

test('-l: combined = min(64, CPUs, host queues, default 16); ws2012 (NVSP 4) has one channel', () => {
  const text = (max: number, cur: number) => ['Channel parameters for eth0:', 'Pre-set maximums:', 'RX:\t\tn/a', 'TX:\t\tn/a', 'Other:\t\tn/a',
    `Combined:\t${max}`, 'Current hardware settings:', 'RX:\t\tn/a', 'TX:\t\tn/a', 'Other:\t\tn/a', `Combined:\t${cur}`, ''].join('\n');
  assert.equal(eth(new NetvscDevice({ cpus: 8 }), '-l eth0').stdout, text(8, 8));
  assert.equal(eth(new NetvscDevice({ cpus: 32 }), '-l eth0').stdout, text(32, 32)); // max(16, default rss queues = 32)
  assert.equal(eth(new NetvscDevice({ cpus: 128 }), '-l eth0').stdout, text(64, 64));
  assert.equal(eth(new NetvscDevice({ cpus: 32, options: { legacyChannelDefault: true } }), '-l eth0').stdout, text(32, 8));
  assert.equal(eth(new NetvscDevice({ host: 'ws2012r2', cpus: 16 }), '-l eth0').stdout, text(8, 8)); // host has 8 queues
  assert.equal(eth(new NetvscDevice({ host: 'ws2012', cpus: 16 }), '-l eth0').stdout, text(1, 1));
});

test('-x with 4 rings: empty first line, %5u rows of 8, default key, toeplitz on (§2, §11)', () => {
  const rows = Array.from({ length: 16 }, (_, r) => `${String(r * 8).padStart(5)}:      0     1     2     3     0     1     2     3`);
  assert.equal(eth(new NetvscDevice({ cpus: 4 }), '-x eth0').stdout, ['', 'RX flow hash indirection table for eth0 with 4 RX ring(s):', ...rows,
    'RSS hash key:', '6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa',
    'RSS hash function:', '    toeplitz: on', '    xor: off', '    crc32: off', 'RSS input transformation:', '    symmetric-xor: off', ''].join('\n'));
  assert.equal(rows[0], '    0:      0     1     2     3     0     1     2     3');
  assert.equal(rows[15], '  120:      0     1     2     3     0     1     2     3');
});

test('-x on one channel: no table (Operation not supported) and an all-zero key: RSS never programmed', () => {
  const out = eth(new NetvscDevice({ host: 'ws2012' }), '-x eth0').stdout.split('\n');
  assert.deepEqual(out.slice(0, 5), ['', 'RX flow hash indirection table for eth0 with 1 RX ring(s):', 'Operation not supported', 'RSS hash key:', Array(40).fill('00').join(':')]);
});

test('-n rx-flow-hash: TCP/UDP default L4 (sdfn), IP types and others (§2, §11)', () => {
  const d = new NetvscDevice();
  const l4 = ' use these fields for computing Hash flow key:\nIP SA\nIP DA\nL4 bytes 0 & 1 [TCP/UDP src port]\nL4 bytes 2 & 3 [TCP/UDP dst port]\n\n';
  assert.equal(eth(d, '-n eth0 rx-flow-hash tcp4').stdout, 'TCP over IPV4 flows' + l4);
  assert.equal(eth(d, '-n eth0 rx-flow-hash udp6').stdout, 'UDP over IPV6 flows' + l4);
  assert.equal(eth(d, '-n eth0 rx-flow-hash sctp4').stdout, 'SCTP over IPV4 flows use these fields for computing Hash flow key:\nNone\n');
  assert.equal(eth(d, '-n eth0 rx-flow-hash ether').stdout, ' use these fields for computing Hash flow key:\nNone\n');
  const r = eth(d, '-N eth0 rx-flow-hash udp4 sd');
  assert.deepEqual([r.stdout, r.stderr, r.exit], ['', '', 0]);
  assert.equal(eth(d, '-n eth0 rx-flow-hash udp4').stdout, 'UDP over IPV4 flows use these fields for computing Hash flow key:\nIP SA\nIP DA\n\n');
  assert.equal(eth(d, '-N eth0 rx-flow-hash udp4 nfds').exit, 0); // letters are a bitmask: any order
  assert.equal(eth(d, '-n eth0 rx-flow-hash udp4').stdout, 'UDP over IPV4 flows' + l4);
});

test('-n without arguments: ring count, then the rule-count failure on stderr, exit 1', () => {
  const r = eth(new NetvscDevice({ cpus: 4 }), '-n eth0');
  assert.equal(r.stdout, '4 RX rings available\n');
  assert.equal(r.stderr, 'rxclass: Cannot get RX class rule count: Operation not supported\nRX classification rule retrieval failed\n');
  assert.equal(r.exit, 1);
});

test('-S: 11 global + 5 vf + 8 per channel + 8 per CPU, in the driver order (§10)', () => {
  const d = new NetvscDevice({ cpus: 2 });
  const lines = eth(d, '-S eth0').stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'NIC statistics:');
  const names = lines.slice(1).map((l) => { assert.match(l, /^ {5}[a-z0-9_]+: \d+$/); return l.trim().split(':')[0]; });
  assert.equal(names.length, 11 + 5 + 8 * 2 + 8 * 2);
  assert.deepEqual(names.slice(0, 16), ['tx_scattered', 'tx_no_memory', 'tx_no_space', 'tx_too_big', 'tx_busy', 'tx_send_full', 'rx_comp_busy',
    'rx_no_memory', 'stop_queue', 'wake_queue', 'vlan_error', 'vf_rx_packets', 'vf_rx_bytes', 'vf_tx_packets', 'vf_tx_bytes', 'vf_tx_dropped']);
  assert.deepEqual(names.slice(16, 24), ['tx_queue_0_packets', 'tx_queue_0_bytes', 'tx_queue_0_xdp_xmit', 'rx_queue_0_packets', 'rx_queue_0_bytes',
    'rx_queue_0_xdp_drop', 'rx_queue_0_xdp_redirect', 'rx_queue_0_xdp_tx']);
  assert.deepEqual(names.slice(32, 40), ['cpu0_rx_packets', 'cpu0_rx_bytes', 'cpu0_tx_packets', 'cpu0_tx_bytes', 'cpu0_vf_rx_packets',
    'cpu0_vf_rx_bytes', 'cpu0_vf_tx_packets', 'cpu0_vf_tx_bytes']);
  assert.equal(names[names.length - 1], 'cpu1_vf_tx_bytes');
});

test('-d: generic hex dump of the 16-entry send table (u32 little endian, i % channels)', () => {
  const r = eth(new NetvscDevice({ cpus: 3 }), '-d eth0');
  const le = (v: number) => `${v.toString(16).padStart(2, '0')} 00 00 00 `;
  const row = (o: number, vals: number[]) => `0x${o.toString(16).padStart(4, '0')}:\t\t${vals.map(le).join('')}`;
  assert.equal(r.stdout, `Offset\t\tValues\n------\t\t------\n${row(0, [0, 1, 2, 0])}\n${row(16, [1, 2, 0, 1])}\n${row(32, [2, 0, 1, 2])}\n${row(48, [0, 1, 2, 0])}\n`);
});

test('-K tx off: the checksum members change, TSO follows as side effects [not requested] (netdev_fix_features)', () => {
  const d = new NetvscDevice();
  const r = eth(d, '-K eth0 tx off');
  assert.equal(r.exit, 0);
  assert.equal(r.stdout, 'Actual changes:\ntx-checksum-ipv4: off\ntx-checksum-ipv6: off\ntx-tcp-segmentation: off [not requested]\ntx-tcp6-segmentation: off [not requested]\n');
  assert.match(eth(d, '-k eth0').stdout, /\ntcp-segmentation-offload: off\n\ttx-tcp-segmentation: off \[requested on\]\n/);
  assert.deepEqual(eth(d, '-K eth0 gro off'), { stdout: '', stderr: '', exit: 0 });
  assert.match(eth(d, '-k eth0').stdout, /\ngeneric-receive-offload: off\n/);
});

test('-K of a fixed feature: Actual changes with [requested], "Could not change any device features", exit 1', () => {
  const r = eth(new NetvscDevice(), '-K eth0 highdma off');
  assert.deepEqual(r, { stdout: 'Actual changes:\nhighdma: on [requested off]\n', stderr: 'Could not change any device features\n', exit: 1 });
});

test('-S on an older kernel layout (≈5.6–5.8): 10 globals, 5 per queue (device option)', () => {
  const d = new NetvscDevice({ cpus: 1, options: { statsLayout: 'v5.8' } });
  const names = eth(d, '-S eth0').stdout.trimEnd().split('\n').slice(1).map((l) => l.trim().split(':')[0]);
  assert.equal(names.length, 10 + 5 + 5 + 8);
  assert.ok(!names.includes('vlan_error'));
  assert.deepEqual(names.slice(15, 20), ['tx_queue_0_packets', 'tx_queue_0_bytes', 'rx_queue_0_packets', 'rx_queue_0_bytes', 'rx_queue_0_xdp_drop']);
});

test('`ethtool eth0`: link modes and info, no Wake-on (no get_wol), the message level (8 spaces, names at column 31), link state', () => {
  const d = new NetvscDevice({ host: 'azure' });
  const r = eth(d, 'eth0');
  assert.equal(r.exit, 0);
  // The default msg_enable: DRV | PROBE | LINK | IFDOWN | IFUP | RX_ERR | TX_ERR = 0xf7 (netvsc's debug module parameter -1).
  assert.equal(r.stdout, [
    'Settings for eth0:',
    '\tSupported ports: [  ]',
    '\tSupported link modes:   Not reported',
    '\tSupported pause frame use: No',
    '\tSupports auto-negotiation: No',
    '\tSupported FEC modes: Not reported',
    '\tAdvertised link modes:  Not reported',
    '\tAdvertised pause frame use: No',
    '\tAdvertised auto-negotiation: No',
    '\tAdvertised FEC modes: Not reported',
    `\tSpeed: ${d.host.linkSpeedMbps}Mb/s`,
    '\tDuplex: Full',
    '\tAuto-negotiation: off',
    '\tPort: Other',
    '\tPHYAD: 0',
    '\tTransceiver: internal',
    '        Current message level: 0x000000f7 (247)',
    '                               drv probe link ifdown ifup rx_err tx_err',
    '\tLink detected: yes',
    '',
  ].join('\n'));
  d.msgLevel = 0x2001; // drv + hw
  assert.match(eth(d, 'eth0').stdout, /\n {8}Current message level: 0x00002001 \(8193\)\n {31}drv hw\n/);
});
