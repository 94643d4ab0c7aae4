import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { CaptureSession } from '../../../extension/core/packet/session';
import { memorySource } from '../../../extension/core/packet/capture';
import { openCapture } from '../../../extension/core/packet/reader';
import { corpusCapture } from './corpus';
import { FIELDS } from '../../../extension/core/packet/fields';
import { tmpFile } from './tshark';

const pcap = corpusCapture('pcap');
const pcapng = corpusCapture('pcapng');
const le32 = (b: Uint8Array, o: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(o, v, true);
const rd32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

/** Offsets of the pcap records (header of each). */
function pcapRecords(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let o = 24; o < b.length; o += 16 + rd32(b, o + 8)) out.push(o);
  return out;
}
function pcapngBlocks(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let o = 0; o < b.length; o += rd32(b, o + 4)) out.push(o);
  return out;
}

test('0-byte file, short file and wrong magic: one error at byte 0, no packets', () => {
  for (const [bytes, re] of [[new Uint8Array(0), /empty file/], [new Uint8Array([0xd4, 0xc3]), /too short/], [new TextEncoder().encode('hello world, not a capture'), /not a pcap or pcapng file: magic 0x68656c6c at byte 0/]] as const) {
    const c = openCaptureBytes(bytes);
    assert.equal(c.count, 0);
    assert.match(c.error!.message, re);
    assert.equal(c.error!.offset, 0);
  }
});

test('pcap: record running past the end keeps the packets before it and names the record offset', () => {
  const recs = pcapRecords(pcap);
  const cut = pcap.subarray(0, recs[5] + 20);
  const c = openCaptureBytes(cut);
  assert.equal(c.count, 5);
  assert.equal(c.error!.offset, recs[5]);
  assert.match(c.error!.message, new RegExp(`record at byte ${recs[5]}: \\d+ bytes of packet data run past the end of the file`));
  const s = new CaptureSession(c);
  s.prepare();
  assert.equal(s.dissect(4).n > 10, true);
});

test('pcap: a 4 GB captured length is refused without allocating it; a 4 GB snaplen in the header is accepted', () => {
  const b = pcap.slice();
  const recs = pcapRecords(b);
  le32(b, recs[2] + 8, 0xffffffff);
  const c = openCaptureBytes(b);
  assert.equal(c.count, 2);
  assert.match(c.error!.message, /captured length 4294967295 is bigger than the maximum of 262144/);
  assert.equal(c.error!.offset, recs[2] + 8);
  const h = pcap.slice();
  le32(h, 16, 0xffffffff);
  const ok = openCaptureBytes(h);
  assert.equal(ok.error, undefined);
  assert.equal(ok.count, pcapRecords(pcap).length);
});

test('pcap: truncated record header', () => {
  const recs = pcapRecords(pcap);
  const c = openCaptureBytes(pcap.subarray(0, recs[3] + 7));
  assert.equal(c.count, 3);
  assert.match(c.error!.message, new RegExp(`record header at byte ${recs[3]} truncated: 7 of 16 bytes`));
});

test('pcapng: block length not a multiple of 4, past the end, or with a mismatched trailer', () => {
  const blocks = pcapngBlocks(pcapng);
  const at = blocks[4]; // the third EPB
  const b1 = pcapng.slice(); le32(b1, at + 4, rd32(b1, at + 4) + 2);
  const c1 = openCaptureBytes(b1);
  assert.equal(c1.count, 2);
  assert.equal(c1.error!.offset, at + 4);
  assert.match(c1.error!.message, new RegExp(`block at byte ${at}: total length \\d+ is not a multiple of 4`));
  const b2 = pcapng.slice(); le32(b2, at + 4, 0x7ffffff0);
  assert.match(openCaptureBytes(b2).error!.message, new RegExp(`block at byte ${at}: total length 2147483632 runs past the end of the file`));
  const b3 = pcapng.slice(); const len = rd32(b3, at + 4); le32(b3, at + len - 4, len + 4);
  assert.match(openCaptureBytes(b3).error!.message, new RegExp(`block at byte ${at}: trailing length ${len + 4} differs from leading length ${len}`));
});

test('pcapng: an EPB naming an interface that does not exist', () => {
  const blocks = pcapngBlocks(pcapng);
  const b = pcapng.slice();
  le32(b, blocks[5] + 8, 7);
  const c = openCaptureBytes(b);
  assert.equal(c.count, 3);
  assert.equal(c.error!.offset, blocks[5] + 8);
  assert.match(c.error!.message, /enhanced packet block at byte \d+: interface 7 does not exist \(section has 1\)/);
});

test('CLI: a directory, a missing file and a damaged file each give one line, no stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-dir-'));
  const io = memoryIO();
  assert.equal(await main(['dissect', dir, '-e', 'frame.number'], io), 1);
  assert.match(io.stderr, /is a directory, not a capture file\n$/);
  assert.equal(io.stderr.split('\n').length, 2);
  const io2 = memoryIO();
  assert.equal(await main(['stats', join(dir, 'nope.pcap')], io2), 1);
  assert.match(io2.stderr, /nope\.pcap: no such file\n$/);
  const recs = pcapRecords(pcap);
  const file = tmpFile('cut.pcap', pcap.subarray(0, recs[4] + 30));
  const io3 = memoryIO();
  assert.equal(await main(['dissect', file, '-e', 'frame.number'], io3), 1);
  assert.equal(io3.stdout, '1\n2\n3\n4\n');
  assert.match(io3.stderr, new RegExp(`record at byte ${recs[4]}: `));
  assert.doesNotMatch(io3.stderr + io2.stderr + io.stderr, /\n\s+at /);
});

test('fuzz: thousands of seeded mutations through readers and dissectors never throw, hang or over-read', () => {
  let seed = 12345;
  const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296; };
  const bases = [pcap, pcapng];
  let errors = 0, packets = 0;
  for (let n = 0; n < 3000; n++) {
    const base = bases[n % 2];
    let b = base.slice();
    const kind = Math.floor(rnd() * 5);
    const flips = 1 + Math.floor(rnd() * 8);
    if (kind === 0) for (let k = 0; k < flips; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    else if (kind === 1) b = b.subarray(0, Math.floor(rnd() * b.length));
    else if (kind === 2) { const o = Math.floor(rnd() * (b.length - 4)) & ~3; le32(b, o, [0xffffffff, 0x80000000, 0, 1, 13, Math.floor(rnd() * 4294967296)][Math.floor(rnd() * 6)]); }
    else if (kind === 3) { // corrupt bytes inside packets only (headers stay valid): dissector fuzzing
      for (let k = 0; k < flips * 4; k++) { const o = 60 + Math.floor(rnd() * (b.length - 60)); b[o] ^= 1 << Math.floor(rnd() * 8); }
    } else { const o = Math.floor(rnd() * b.length); b = new Uint8Array([...b.subarray(0, o), ...b.subarray(o, o + 64), ...b.subarray(o)]); }
    let maxRead = 0;
    const src = memorySource(b);
    const spy = { ...src, read: (o: number, l: number) => { maxRead = Math.max(maxRead, Math.min(l, b.length)); return src.read(o, l); } };
    const c = openCapture(spy, { chunkSize: 4096 });
    if (c.error) {
      errors++;
      assert.match(c.error.message, /byte \d+|empty file|too short|bytes/, c.error.message);
      assert.ok(c.error.offset >= 0 && c.error.offset <= b.length);
    }
    assert.ok(maxRead <= Math.max(4096, 16 * 1024 * 1024 + 4096), 'read bounded by the chunk or a validated block');
    const s = new CaptureSession(c);
    s.forEach((i, d) => {
      packets++;
      assert.ok(d.n > 0);
      for (let k = 0; k < d.n; k++) assert.ok(d.start[k] >= 0 && d.start[k] + d.len[k] <= Math.max(d.buf.length, c.index.capLen[i]) + 0, `${FIELDS[d.fid[k]].abbrev} [${d.start[k]}+${d.len[k]}] out of the ${d.buf.length}-byte packet`);
      c.comments(i);
    });
  }
  assert.ok(errors > 300 && packets > 10000, `${errors} errors, ${packets} packets`);
});
