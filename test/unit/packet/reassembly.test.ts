import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPacket, fragmentIp } from '../../../extension/core/packet/build';
import { FragmentIndex } from '../../../extension/core/packet/reassembly';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { captureBytes } from '../../../extension/core/packet/writer';

test('fragments of one datagram link to each other; the first carries the ports; interleaved datagrams stay apart', () => {
  const a = fragmentIp(buildPacket({ eth: {}, ip: { src: '10.0.0.1', dst: '10.0.0.2', id: 7 }, l4: { udp: { sport: 5000, dport: 6000 } }, payload: 4000 }), 1500);
  const b = fragmentIp(buildPacket({ eth: {}, ip: { src: '10.0.0.1', dst: '10.0.0.2', id: 8 }, l4: { udp: { sport: 5001, dport: 6001 } }, payload: 2000 }), 1500);
  const v6 = fragmentIp(buildPacket({ eth: {}, ip: { version: 6, src: '2001:db8::1', dst: '2001:db8::2' }, l4: { udp: { sport: 7, dport: 8 } }, payload: 3000 }), 1280, { ipv6Id: 99 });
  const whole = buildPacket({ eth: {}, ip: { src: '10.0.0.1', dst: '10.0.0.2', id: 9 }, l4: { udp: { sport: 1, dport: 2 } }, payload: 10 });
  // Capture order: a2, b0, a0, whole, b1, a1, v6 (reversed), a's last fragment arrives before its first.
  const frames = [a[2], b[0], a[0], whole, b[1], a[1], ...v6.slice().reverse()];
  const cap = openCaptureBytes(captureBytes(frames.map((data, i) => ({ tsSec: i, tsNsec: 0, data })), { format: 'pcapng' }));
  const fi = FragmentIndex.build(cap);
  const ga = fi.group(0)!;
  assert.deepEqual(ga.frames, [0, 2, 5]);
  assert.deepEqual(ga.offsets, [2960, 0, 1480]); // 1480-byte payloads (1500 - 20)
  assert.equal(ga.first, 2);
  assert.equal(ga.last, 0);
  assert.deepEqual([ga.srcPort, ga.dstPort], [5000, 6000]);
  assert.equal(ga.complete, true);
  assert.equal(fi.group(5), ga);
  const gb = fi.group(1)!;
  assert.deepEqual(gb.frames, [1, 4]);
  assert.deepEqual([gb.srcPort, gb.dstPort], [5001, 6001]);
  assert.equal(fi.group(3), undefined, 'an unfragmented datagram has no group');
  const g6 = fi.group(6)!;
  assert.equal(g6.version, 6);
  assert.equal(g6.id, 99);
  assert.equal(g6.frames.length, v6.length);
  assert.equal(g6.first, 6 + v6.length - 1);
  assert.deepEqual([g6.srcPort, g6.dstPort], [7, 8]);
  assert.equal(g6.complete, true);
});

test('a missing middle fragment leaves the group incomplete', () => {
  const a = fragmentIp(buildPacket({ eth: {}, ip: { src: '10.0.0.1', dst: '10.0.0.2', id: 7 }, l4: { udp: { sport: 5000, dport: 6000 } }, payload: 4000 }), 1500);
  const cap = openCaptureBytes(captureBytes([a[0], a[2]].map((data, i) => ({ tsSec: i, tsNsec: 0, data })), { format: 'pcap' }));
  const g = FragmentIndex.build(cap).group(1)!;
  assert.deepEqual(g.frames, [0, 1]);
  assert.equal(g.complete, false);
});
