// Readers against hand-built files (encoded here, not by our writers) with tshark as the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { openCaptureFile } from '../../../extension/core/packet/fileSource';
import { CaptureSession } from '../../../extension/core/packet/session';
import { fieldsText } from '../../../extension/core/packet/dissection';
import { F } from '../../../extension/core/packet/fields';
import { requireTshark, tmpFile, tsharkFields } from './tshark';
import { block, Enc } from './encode';
import { f1, f2, raw, twoSectionPcapng } from './twoSections';



function compare(bytes: Uint8Array, name: string, fields: string[]): void {
  const file = tmpFile(name, bytes);
  const theirs = tsharkFields(file, fields).split('\n').filter((l) => l !== '');
  const cap = openCaptureFile(file);
  assert.equal(cap.error, undefined, cap.error?.message);
  const s = new CaptureSession(cap);
  const ours: string[] = [];
  s.forEach((_i, d) => ours.push(fields.map((f) => fieldsText(d, F[f])).join('\t')));
  cap.close();
  assert.deepEqual(ours, theirs);
}

test('classic pcap, big-endian, microseconds, snaplen shorter than the packets', () => {
  requireTshark();
  const e = new Enc(false).u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(42).u32(1);
  for (const [k, f] of [f1, f2].entries()) {
    const cap = Math.min(42, f.length);
    e.u32(1700000000 + k).u32(999999 - k).u32(cap).u32(f.length).bytes(f.subarray(0, cap));
  }
  const bytes = new Uint8Array(e.parts);
  compare(bytes, 'be-us.pcap', ['frame.time_epoch', 'frame.len', 'frame.cap_len', 'ip.src', 'udp.srcport', 'tcp.srcport', 'frame.protocols']);
  const c = openCaptureBytes(bytes);
  assert.equal(c.count, 2);
  assert.equal(c.index.capLen[0], 42);
  assert.equal(c.index.origLen[0], f1.length);
  assert.equal(c.index.tsNsec[0], 999999000);
});

test('classic pcap, little-endian, nanoseconds, raw IP (101) and the 12/14 aliases', () => {
  requireTshark();
  for (const lt of [101, 12, 14]) {
    const e = new Enc(true).u32(0xa1b23c4d).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(lt);
    e.u32(1700000001).u32(123456789).u32(raw.length).u32(raw.length).bytes(raw);
    compare(new Uint8Array(e.parts), `raw-${lt}.pcap`, ['frame.time_epoch', 'frame.len', 'ip.src', 'icmp.type', 'icmp.checksum.status', 'frame.protocols']);
  }
});

test('pcapng: big-endian section with two IDBs, if_tsresol, EPB/SPB/PB, NRB, ISB, custom and unknown blocks, comments; then a little-endian section', () => {
  requireTshark();
  const BE = false;
  const bytes = twoSectionPcapng();
  // frame.interface_name is left out: tshark 4.0 names the second section's interface after the
  // first section's interface 0 ("eth0"); we name it from its own IDB ("unknown": it has none).
  compare(bytes, 'mixed.pcapng', ['frame.interface_id', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.comment', 'frame.protocols', 'ip.src']);
  const c = openCaptureBytes(bytes);
  assert.equal(c.count, 5);
  assert.equal(c.interfaces.length, 3);
  assert.deepEqual(c.comments(0), ['first comment', 'queue=2 verdict=XDP_PASS']);
  assert.deepEqual(c.customOptions(0).map((o) => [o.code, o.pen, [...o.data]]), [[2989, 0x7e57, [1, 2, 3]]]);
  assert.equal(c.names.get('10.0.0.1'), 'host-one');
  assert.equal(c.linkType(1), 101);
  assert.equal(c.index.tsNsec[1], 500000000);
  assert.equal(c.warnings.length, 0);
  assert.equal(c.interfaces[2].localIndex, 0);
  assert.equal(c.interfaces[2].section, 1);
  // A custom block (0xBAD) is skipped by our reader (tshark 4.0 shows it as a data record).
  const withCustom = new Uint8Array([
    ...block(BE, 0x0a0d0d0a, (e) => { e.u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff); }),
    ...block(BE, 1, (e) => { e.u16(1).u16(0).u32(0); }),
    ...block(BE, 0xbad, (e) => { e.u32(32473).u32(1); }),
    ...block(BE, 0x40000bad, (e) => { e.u32(32473).u32(2); }),
    ...block(BE, 6, (e) => { e.u32(0).u32(0).u32(1).u32(f2.length).u32(f2.length).bytes(f2); }),
  ]);
  const wc = openCaptureBytes(withCustom);
  assert.equal(wc.error, undefined);
  assert.equal(wc.count, 1);
  assert.deepEqual([...wc.packet(0)], [...f2]);
});

test('Linux cooked captures SLL (113) and SLL2 (276) dissect like tshark', () => {
  requireTshark();
  const ipPart = f1.subarray(14);
  const sll = new Enc(false).u16(0).u16(1).u16(6).bytes([0, 0x15, 0x5d, 0, 0, 1, 0, 0]).u16(0x0800).bytes(ipPart);
  const sll2 = new Enc(false).u16(0x0800).u16(0).u32(2).u16(1).u8(4).u8(6).bytes([0, 0x15, 0x5d, 0, 0, 1, 0, 0]).bytes(ipPart);
  for (const [lt, body] of [[113, sll], [276, sll2]] as const) {
    const e = new Enc(true).u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(lt);
    e.u32(1700000000).u32(0).u32(body.length).u32(body.length).bytes(body.parts);
    compare(new Uint8Array(e.parts), `sll-${lt}.pcap`, ['ip.src', 'ip.dst', 'udp.srcport', 'udp.length', 'ip.checksum']);
  }
});

test('index holds under 64 bytes per packet and random access returns the right bytes', () => {
  const e = new Enc(true).u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
  const n = 5000;
  for (let i = 0; i < n; i++) { const f = i % 2 ? f1 : f2; e.u32(i).u32(i).u32(f.length).u32(f.length).bytes(f); }
  const c = openCaptureBytes(new Uint8Array(e.parts));
  assert.equal(c.count, n);
  assert.ok(c.index.byteLength() / n < 64, `${c.index.byteLength() / n} bytes per packet`);
  assert.deepEqual([...c.packet(4321)], [...f1]);
  assert.deepEqual([...c.packet(4000)], [...f2]);
  assert.equal(c.index.tsSec[4321], 4321);
});
