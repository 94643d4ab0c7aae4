// FieldsOutput (bytes written digit by digit) against fieldsText (the tshark-checked strings), on
// every field of every packet of the corpus and scenarios, and on values at the edges of each way
// of writing (decimal widths, 2^31 and 2^32-1, hex widths, negatives, non-ASCII text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Dissection, fieldsText, ITEM_TEXT_TCPFLAGS } from '../../../extension/core/packet/dissection';
import { F, FIELDS } from '../../../extension/core/packet/fields';
import { FieldsOutput } from '../../../extension/core/packet/fieldsOutput';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { generateScenario, parseScenario } from '../../../extension/core/packet/scenario';
import { CaptureSession } from '../../../extension/core/packet/session';
import { captureBytes } from '../../../extension/core/packet/writer';
import { corpusCapture } from './corpus';

const IDS = FIELDS.filter((f) => !f.abbrev.startsWith('netvsc') && !f.abbrev.startsWith('xdp')).map((f) => f.id);

function viaOutput(d: Dissection, ids: number[], limit = 1 << 16): string {
  let s = '';
  const out = new FieldsOutput((t) => { s += t; }, limit);
  ids.forEach((id, k) => { if (k) out.tab(); out.field(d, id); });
  out.endLine();
  out.end();
  return s;
}

test('every field of every packet written as bytes equals fieldsText', () => {
  const caps = [corpusCapture('pcapng'), corpusCapture('pcap'),
    captureBytes(generateScenario(parseScenario(readFileSync('examples/scenarios/qinq-and-mix.yaml', 'utf8'))), { format: 'pcapng' })];
  let lines = 0;
  for (const bytes of caps) {
    new CaptureSession(openCaptureBytes(bytes)).forEach((_, d) => {
      assert.equal(viaOutput(d, IDS), IDS.map((id) => fieldsText(d, id)).join('\t') + '\n');
      lines++;
    });
  }
  assert.ok(lines > 100);
});

test('edge values: decimal widths, 2^31, 2^32-1, hex widths, negatives, addresses, non-ASCII text', () => {
  const d = new Dissection();
  d.reset(new Uint8Array([0xaa, 0xbb, 0xcc, 0x00, 0x01, 0xff]));
  const cases: [string, number, string][] = [
    ['frame.len', 0, '0'], ['frame.len', 9, '9'], ['frame.len', 10, '10'], ['frame.len', 99999, '99999'], ['frame.len', 100000, '100000'],
    ['tcp.seq_raw', 2147483647, '2147483647'], ['tcp.seq_raw', 2147483648, '2147483648'], ['tcp.seq_raw', 4294967295, '4294967295'],
    ['ip.checksum', 0, '0x0000'], ['ip.checksum', 0xabc, '0x0abc'], ['ip.id', 0x1234, '0x1234'], ['ip.dsfield', 0xb8, '0xb8'],
    ['ipv6.flow', 0x12345, '0x012345'], ['ipv6.tclass', 0x12, '0x00000012'], ['tcp.flags', 0x1ff, '0x01ff'], ['gre.key', 0xffffffff, '0xffffffff'],
    ['tcp.window_size_scalefactor', -1, '-1'], ['tcp.window_size_scalefactor', -2, '-2'], ['ip.flags.df', 1, '1'], ['ip.flags.df', 0, '0'],
    ['ip.src', 0, '0.0.0.0'], ['ip.src', 0xffffffff, '255.255.255.255'], ['ip.dst', 0x0a000001, '10.0.0.1'], ['ip.dst', 0xc0a80a64, '192.168.10.100'],
  ];
  for (const [abbrev, v, want] of cases) {
    d.n = 0;
    d.add(F[abbrev], 0, 4, v, 1);
    assert.equal(viaOutput(d, [F[abbrev]]), want + '\n', `${abbrev} = ${v}`);
  }
  d.n = 0;
  d.add(F['eth.src'], 0, 6, 0, 1);
  assert.equal(viaOutput(d, [F['eth.src']]), 'aa:bb:cc:00:01:ff\n');
  d.n = 0; d.strs.length = 0;
  d.addString(F['frame.comment'], 0, 0, 'queue=3 \u00fc \u{1f600}', 1);
  d.addString(F['frame.comment'], 0, 0, 'second', 1);
  d.add(F['tcp.flags.str'], 0, 2, 0x012, 2, ITEM_TEXT_TCPFLAGS);
  assert.equal(viaOutput(d, [F['frame.comment'], F['tcp.flags.str']]), 'queue=3 \u00fc \u{1f600},second\t\u00b7\u00b7\u00b7\u00b7\u00b7\u00b7\u00b7A\u00b7\u00b7S\u00b7\n');
});

test('lines flushed in small pieces, as text or as bytes, add up to the same output', () => {
  const bytes = corpusCapture('pcapng');
  let whole = '', pieces = '';
  const flushes: number[] = [];
  const a = new FieldsOutput((t) => { whole += t; });
  const b = new FieldsOutput((t) => { pieces += t; flushes.push(t.length); }, 100);
  const chunks: Uint8Array[] = [];
  const c = new FieldsOutput(() => assert.fail('text flush with flushBytes set'), 100, (x) => { chunks.push(x.slice()); });
  const ids = [F['frame.number'], F['frame.comment'], F['ip.src'], F['eth.dst'], F['tcp.flags.str'], F['dns.qry.name']];
  new CaptureSession(openCaptureBytes(bytes)).forEach((_, d) => {
    for (const o of [a, b, c]) { ids.forEach((id, k) => { if (k) o.tab(); o.field(d, id); }); o.endLine(); }
  });
  for (const o of [a, b, c]) o.end();
  const fromBytes = new TextDecoder().decode(Buffer.concat(chunks));
  assert.ok(flushes.length > 5);
  assert.equal(pieces, whole);
  assert.equal(fromBytes, whole);
  assert.match(whole, /queue=3 hash=0x1234abcd,xdp=XDP_PASS/);
});
