// `ip -s [-s] link show`: the layout against this machine's own iproute2 (`ip -s link show lo`,
// read together with lo's counters in /sys so both see the same numbers), and the counters
// netvsc_get_stats64 adds up, from packets sent through the device by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { formatLinkStats64, runIpLink } from '../../../extension/core/ethtool/ipLink';
import { runEthtool } from '../../../extension/core/ethtool/executor';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { NetvscPipeline } from '../../../extension/core/netvsc/pipeline';
import type { LinkStats64 } from '../../../extension/core/netvsc/stats';
import { buildPacket } from '../../../extension/core/packet/build';

function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8' });
  } catch (e) {
    throw new Error(`ip ${args.join(' ')} failed (${(e as Error).message}); install the Debian package iproute2`, { cause: e });
  }
}

const sys = (name: string): number => Number(readFileSync(`/sys/class/net/lo/${name}`, 'utf8'));
function loStats(): { s: LinkStats64; carrier: number } {
  const st = (n: string) => sys(`statistics/${n}`);
  return {
    s: {
      rxBytes: st('rx_bytes'), rxPackets: st('rx_packets'), rxErrors: st('rx_errors'), rxDropped: st('rx_dropped'), rxMissed: st('rx_missed_errors'),
      multicast: st('multicast'), txBytes: st('tx_bytes'), txPackets: st('tx_packets'), txErrors: st('tx_errors'), txDropped: st('tx_dropped'),
    },
    carrier: sys('carrier_changes'),
  };
}

test('the statistics block is laid out as iproute2 lays it out (lo, -s and -s -s)', () => {
  for (const level of [1, 2]) {
    let done = false;
    // lo carries other tests' traffic: take a reading where /sys did not move around the `ip` call.
    for (let attempt = 0; attempt < 50 && !done; attempt++) {
      const before = loStats();
      const out = ip([...Array(level).fill('-s'), 'link', 'show', 'dev', 'lo']);
      const after = loStats();
      if (JSON.stringify(before) !== JSON.stringify(after)) continue;
      const block = out.split('\n').slice(2).join('\n'); // after the link line and link/loopback
      assert.equal(formatLinkStats64(before.s, level, before.carrier), block);
      done = true;
    }
    assert.ok(done, 'lo never stood still long enough to compare');
  }
});

test('wide numbers widen their column and the header with it', () => {
  const s: LinkStats64 = { rxBytes: 123456789012345, rxPackets: 12345678901, rxErrors: 0, rxDropped: 0, rxMissed: 0, multicast: 7, txBytes: 5, txPackets: 1, txErrors: 0, txDropped: 123456789 };
  assert.equal(formatLinkStats64(s, 1, 2), [
    // bytes: 15 digits -> its column is 15 wide ("RX: " takes 4 of them); packets 11; dropped 9 (from TX).
    '    RX:       bytes     packets errors   dropped  missed   mcast           ',
    '    123456789012345 12345678901      0         0       0       7 ',
    '    TX:       bytes     packets errors   dropped carrier collsns           ',
    '                  5           1      0 123456789       0       0 ',
    '',
  ].join('\n'));
});

test('netvsc_get_stats64: channels plus the VF, multicast from group destination MACs; ip -s link show prints it', () => {
  const d = new NetvscDevice({ cpus: 2 });
  const p = new NetvscPipeline(d);
  const frame = (dst: string, payload: number) => buildPacket({ eth: { src: '00:15:5d:00:00:02', dst }, ip: { src: '10.0.0.3', dst: '10.0.0.2' }, l4: { udp: { sport: 1, dport: 2 } }, payload });
  let t = 0;
  const rx = (f: Uint8Array) => p.receive(f, 0, f.length, t += 1000);
  rx(frame(d.mac, 100)); // 142 bytes, unicast
  rx(frame('ff:ff:ff:ff:ff:ff', 58)); // 100 bytes, broadcast
  rx(frame('01:00:5e:00:00:fb', 8)); // 50 bytes, multicast
  const tx = buildPacket({ eth: { src: d.mac, dst: '00:15:5d:00:00:02' }, ip: { src: '10.0.0.2', dst: '10.0.0.3' }, l4: { udp: { sport: 2, dport: 1 } }, payload: 18 });
  p.transmit(tx, 0, tx.length, t += 1000);
  p.flush();
  const s = d.stats.stats64();
  assert.deepEqual([s.rxPackets, s.rxBytes, s.multicast, s.txPackets, s.txBytes, s.txDropped], [3, 142 + 100 + 50, 2, 1, 60, 0]);
  // With the VF carrying the traffic, its totals are added (netvsc_get_vf_stats).
  assert.equal(d.addVf({ up: true }).err, 0);
  rx(frame(d.mac, 100));
  p.flush();
  const v = d.stats.stats64();
  assert.deepEqual([v.rxPackets, v.rxBytes, v.multicast], [4, 292 + 142, 2]);
  // The command: header lines, then the block.
  const r = runIpLink(d, ['-s', 'link', 'show', 'dev', 'eth0']);
  assert.equal(r.exit, 0);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^2: eth0: </);
  assert.equal(lines.slice(2).join('\n').split('    RX:')[1].split('\n')[1], `    ${'434'.padStart(10)} ${'4'.padStart(7)} ${'0'.padStart(6)} ${'0'.padStart(7)} ${'0'.padStart(7)} ${'2'.padStart(7)} `);
  // -s -s: the error lines too; transns counts the carrier going off and on at each attach.
  const r2 = runIpLink(d, ['-s', '-s', 'link', 'show', 'eth0']);
  assert.match(r2.stdout, /\n {4}TX errors: aborted {3}fifo {2}window heartbt transns\n {21}0 {6}0 {7}0 {7}0 {7}2 \n/);
  assert.equal(runEthtool(d, ['-L', 'eth0', 'combined', '1']).exit, 0); // a re-attach: off and on again
  assert.match(runIpLink(d, ['-s', '-s', 'link', 'show', 'eth0']).stdout, / {7}4 \n/);
  // Without -s nothing changes; an unknown option is still refused as iproute2 refuses it.
  assert.doesNotMatch(runIpLink(d, ['link', 'show', 'eth0']).stdout, /RX:/);
  assert.equal(runIpLink(d, ['-x', 'link', 'show']).stderr, 'Object "-x" is unknown, try "ip help".\n');
});
