// The one-pass streaming reader (streamCapture) against the indexing reader (openCapture): the same
// records, bytes, timestamps, interfaces and comments, the same error and warnings on bad files, at
// window sizes that cut blocks in two; and `netvsc-lab dissect`, which streams, against the
// index-based session (and tshark) on a file with two sections, both byte orders, SPB/PB/EPB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';
import { memorySource } from '../../../extension/core/packet/capture';
import { fieldsText } from '../../../extension/core/packet/dissection';
import { FIELDS, FT } from '../../../extension/core/packet/fields';
import { openFileSource } from '../../../extension/core/packet/fileSource';
import { readPacketOptionsAt } from '../../../extension/core/packet/pcapng';
import { openCapture, streamCapture } from '../../../extension/core/packet/reader';
import { CaptureSession } from '../../../extension/core/packet/session';
import { corpusCapture } from './corpus';
import { twoSectionPcapng } from './twoSections';
import { requireTshark, tmpFile, tsharkFields } from './tshark';

const twoSections = twoSectionPcapng;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Every record as streamed, and as indexed, in comparable form. */
function bothWays(bytes: Uint8Array, chunkSize: number, viaFile: boolean) {
  const src = viaFile ? openFileSource(tmpFile(`stream-${chunkSize}.bin`, bytes)) : memorySource(bytes);
  const streamed: unknown[] = [];
  const scan = streamCapture(src, (p, res) => {
    const little = res.sectionLittleEndian[res.interfaces[p.iface].section];
    streamed.push([p.index, hex(p.buf.subarray(p.at, p.at + p.capLen)), p.capLen, p.origLen, p.tsSec, p.tsNsec, p.iface, p.block, p.dataOffset,
      readPacketOptionsAt(src, p.dataOffset, p.capLen, p.block, little).comments]);
  }, { chunkSize });
  const cap = openCapture(memorySource(bytes));
  const ix = cap.index;
  const indexed = Array.from({ length: cap.count }, (_, i) => [i, hex(cap.packet(i)), ix.capLen[i], ix.origLen[i], ix.tsSec[i], ix.tsNsec[i], ix.iface[i],
    ix.block[i], ix.dataOffset[i], cap.comments(i)]);
  if ('close' in src) (src as { close(): void }).close();
  return { streamed, indexed, scan, cap };
}

test('streamCapture hands over exactly the records the index holds, at any window size, from memory and from a file', () => {
  const files = [twoSections(), corpusCapture('pcapng'), corpusCapture('pcap'), new Uint8Array(readFileSync('examples/traces/mixed.pcapng')),
    new Uint8Array(readFileSync('examples/traces/fragments.pcap'))];
  for (const [k, bytes] of files.entries()) {
    for (const chunk of [64, 100, 1000, 4096, 1 << 20]) {
      for (const viaFile of [false, true]) {
        const { streamed, indexed, scan, cap } = bothWays(bytes, chunk, viaFile);
        assert.deepEqual(streamed, indexed, `file ${k} chunk ${chunk} ${viaFile ? 'file' : 'memory'}`);
        assert.equal(scan.error, undefined);
        assert.deepEqual(scan.interfaces, cap.interfaces);
        assert.deepEqual(scan.warnings, cap.warnings);
      }
    }
  }
  assert.equal(bothWays(twoSections(), 64, true).streamed.length, 5);
});

test('on a damaged file streaming gives the same packets before the fault, the same error and warnings', () => {
  const good = twoSections();
  const le32 = (b: Uint8Array, o: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(o, v, false);
  const cases: Uint8Array[] = [];
  for (const cut of [0, 3, 20, 60, 150, good.length - 3]) cases.push(good.slice(0, cut));
  const idb = new DataView(good.buffer, good.byteOffset).getUint32(4, false); // the SHB's length: the first IDB starts there
  const badLen = good.slice(); le32(badLen, idb + 4, 30); cases.push(badLen); // an IDB length that is not a multiple of 4
  const hugeCap = corpusCapture('pcap').slice(); new DataView(hugeCap.buffer).setUint32(24 + 8, 0xfffffff0, true); cases.push(hugeCap);
  const badSnap = corpusCapture('pcap').slice(); new DataView(badSnap.buffer).setUint32(16, 10, true); cases.push(badSnap); // warnings
  let errors = 0, warnings = 0, packets = 0;
  for (const [k, bytes] of cases.entries()) {
    for (const chunk of [64, 4096]) {
      const { streamed, indexed, scan, cap } = bothWays(bytes, chunk, true);
      assert.deepEqual(streamed, indexed, `case ${k}`);
      assert.deepEqual([scan.error?.offset, scan.error?.message], [cap.error?.offset, cap.error?.message], `case ${k}`);
      assert.deepEqual(scan.warnings, cap.warnings, `case ${k}`);
      if (scan.error) errors++;
      warnings += scan.warnings.length;
      packets += streamed.length;
    }
  }
  // Every case but the last is fatal; the last only warns (snaplen 10); cut files keep their first packets.
  assert.equal(errors, 2 * (cases.length - 1));
  assert.ok(warnings > 0 && packets > 0);
});

const ALL = FIELDS.filter((f) => f.type !== FT.PROTOCOL && !f.abbrev.startsWith('netvsc') && !f.abbrev.startsWith('xdp')).map((f) => f.abbrev);

test('netvsc-lab dissect (one streaming pass) prints what the indexed session dissects, every field, and what tshark prints', async () => {
  requireTshark();
  for (const [name, bytes] of [['two-sections.pcapng', twoSections()], ['corpus.pcapng', corpusCapture('pcapng')], ['corpus.pcap', corpusCapture('pcap')]] as const) {
    const file = tmpFile(name, bytes);
    const session = new CaptureSession(openCapture(memorySource(bytes)));
    let want = '';
    const ids = ALL.map((a) => FIELDS.find((f) => f.abbrev === a)!.id);
    session.forEach((_, d) => { want += ids.map((id) => fieldsText(d, id)).join('\t') + '\n'; });
    const io = memoryIO();
    assert.equal(await main(['dissect', file, ...ALL.flatMap((f) => ['-e', f])], io), 0, io.stderr);
    assert.equal(io.stdout, want, name);
    // The fields the readers' tshark test holds for such files (frame.interface_name aside: tshark 4.0
    // names a second section's interface after the first section's).
    const some = ['frame.number', 'frame.interface_id', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.comment', 'frame.protocols', 'ip.src', 'tcp.srcport'];
    const io2 = memoryIO();
    assert.equal(await main(['dissect', file, ...some.flatMap((f) => ['-e', f])], io2), 0);
    assert.equal(io2.stdout, tsharkFields(file, some), name);
  }
});
