import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureBytes } from '../../../extension/core/packet/writer';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { CaptureSession } from '../../../extension/core/packet/session';
import { fieldsText } from '../../../extension/core/packet/dissection';
import { F } from '../../../extension/core/packet/fields';
import { corpusFrames } from './corpus';
import { requireTshark, tmpFile, tshark, tsharkFields } from './tshark';

const frames = corpusFrames();

test('pcapng with one IDB per queue and per-packet decision comments: tshark reads it without a warning', () => {
  requireTshark();
  const interfaces = [0, 1, 2, 3].map((q) => ({ linkType: 1, name: `eth0-rx-${q}`, description: `netvsc channel ${q}` }));
  const pk = frames.map((data, i) => ({
    tsSec: 1700000000, tsNsec: i * 1000, data, iface: i % 4, direction: (i % 2 ? 'tx' : 'rx') as 'rx' | 'tx',
    comments: [`queue=${i % 4} hash=0x${(i * 2654435761 >>> 0).toString(16)} xdp=XDP_PASS path=synthetic rsc=1`, ...(i === 3 ? ['drop=rx_buffer_full'] : [])],
  }));
  const bytes = captureBytes(pk, { format: 'pcapng', interfaces });
  const file = tmpFile('queues.pcapng', bytes);
  const r = tshark(['-r', file]);
  assert.equal(r.stderr, '', 'tshark printed no warning');
  const lines = tsharkFields(file, ['frame.interface_id', 'frame.interface_name', 'frame.comment', 'frame.packet_flags_direction', 'frame.time_epoch']).trim().split('\n');
  assert.equal(lines.length, frames.length);
  lines.forEach((l, i) => {
    const [ifId, name, comment, dir, t] = l.split('\t');
    assert.equal(Number(ifId), i % 4);
    assert.equal(name, `eth0-rx-${i % 4}`);
    assert.equal(comment, pk[i].comments.join(','));
    assert.equal(dir, i % 2 ? '0x00000002' : '0x00000001'); // epb_flags direction: 1 inbound, 2 outbound
    assert.equal(t, `1700000000.${String(i * 1000).padStart(9, '0')}`);
  });
  // Our reader reads back the same.
  const c = openCaptureBytes(bytes);
  assert.equal(c.interfaces.length, 4);
  assert.deepEqual(c.comments(3), pk[3].comments);
  assert.equal(c.interfaces[2].name, 'eth0-rx-2');
  assert.equal(c.interfaces[2].description, 'netvsc channel 2');
});

test('classic pcap (microsecond and nanosecond) and snaplen-cut records: tshark agrees on times and lengths', () => {
  requireTshark();
  for (const nanosecond of [false, true]) {
    const pk = frames.map((data, i) => ({ tsSec: 1700000100 + i, tsNsec: 987654321, data }));
    const bytes = captureBytes(pk, { format: 'pcap', nanosecond });
    const file = tmpFile(`w-${nanosecond}.pcap`, bytes);
    assert.equal(tshark(['-r', file]).stderr, '');
    const lines = tsharkFields(file, ['frame.time_epoch', 'frame.len']).trim().split('\n');
    lines.forEach((l, i) => assert.equal(l, `${1700000100 + i}.${nanosecond ? '987654321' : '987654000'}\t${frames[i].length}`));
  }
});

test('IP/TCP/UDP/ICMP checksums built by the builders verify in tshark, and our validation agrees with tshark\'s', () => {
  requireTshark();
  const file = tmpFile('csum.pcapng', captureBytes(frames.map((data, i) => ({ tsSec: i, tsNsec: 0, data })), { format: 'pcapng' }));
  const fields = ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status'];
  const on = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
  const theirs = tsharkFields(file, fields, on).split('\n');
  const s = new CaptureSession(openCaptureBytes(captureBytes(frames.map((data, i) => ({ tsSec: i, tsNsec: 0, data })), { format: 'pcapng' })), { validateChecksums: true });
  s.forEach((i, d) => assert.equal(fields.map((f) => fieldsText(d, F[f])).join('\t'), theirs[i], `frame ${i + 1}`));
  // Only the packets built with a deliberately wrong checksum are bad (0).
  const bad = theirs.map((l, i) => (l.split(/[\t,]/).includes('0') ? i + 1 : 0)).filter((x) => x);
  assert.deepEqual(bad, [14, 22]); // the echo reply stored with 0xbeef, the IPv4 header stored with 0x1111
});
