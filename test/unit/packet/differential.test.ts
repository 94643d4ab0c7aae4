import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';
import { fieldsText } from '../../../extension/core/packet/dissection';
import { FIELDS, FT } from '../../../extension/core/packet/fields';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { generateScenario, parseScenario } from '../../../extension/core/packet/scenario';
import { CaptureSession } from '../../../extension/core/packet/session';
import { captureBytes } from '../../../extension/core/packet/writer';
import { corpusCapture } from './corpus';
import { requireTshark, tmpFile, tsharkFields } from './tshark';

/** Every registered Wireshark field (protocol items and the emulator's own fields excluded). */
const ALL = FIELDS.filter((f) => f.type !== FT.PROTOCOL && !f.abbrev.startsWith('netvsc') && !f.abbrev.startsWith('xdp')).map((f) => f.abbrev);

function compareAll(file: string, bytes: Uint8Array): void {
  const lines = tsharkFields(file, ALL).split('\n');
  const cap = openCaptureBytes(bytes);
  assert.equal(cap.error, undefined);
  const session = new CaptureSession(cap);
  const ids = ALL.map((a) => FIELDS.find((f) => f.abbrev === a)!.id);
  const mismatches = new Map<string, { n: number; first: string }>();
  session.forEach((i, d) => {
    const theirs = lines[i].split('\t');
    ids.forEach((id, k) => {
      const ours = fieldsText(d, id);
      if (ours === theirs[k]) return;
      const m = mismatches.get(ALL[k]) ?? { n: 0, first: `frame ${i + 1}: tshark "${theirs[k]}" ours "${ours}"` };
      m.n++;
      mismatches.set(ALL[k], m);
    });
  });
  assert.equal(lines.length - 1, cap.count, 'packet count');
  assert.deepEqual([...mismatches].map(([f, m]) => `${f} (${m.n} packets) first ${m.first}`), []);
}

test('every field of every packet of the protocol corpus equals tshark (pcapng)', () => {
  requireTshark();
  const bytes = corpusCapture('pcapng');
  compareAll(tmpFile('corpus.pcapng', bytes), bytes);
});

test('the same corpus as classic pcap (nanosecond) equals tshark', () => {
  requireTshark();
  const bytes = corpusCapture('pcap');
  compareAll(tmpFile('corpus.pcap', bytes), bytes);
});

for (const name of ['mixed.yaml', 'syn-flood.yaml', 'fragments.json', 'qinq-and-mix.yaml']) {
  test(`scenario ${name}: every field of every packet equals tshark`, () => {
    requireTshark();
    const pkts = generateScenario(parseScenario(readFileSync(`examples/scenarios/${name}`, 'utf8'), name));
    const bytes = captureBytes(pkts, { format: 'pcapng' });
    compareAll(tmpFile(`${name}.pcapng`, bytes), bytes);
  });
}

test('netvsc-lab dissect prints byte for byte what tshark -T fields prints', async () => {
  requireTshark();
  const file = tmpFile('corpus-cli.pcapng', corpusCapture('pcapng'));
  const fields = ['frame.number', 'frame.time_epoch', 'eth.src', 'vlan.id', 'ip.src', 'ip.dst', 'ip.flags', 'ip.frag_offset', 'ipv6.addr',
    'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.seq', 'tcp.seq_raw', 'tcp.options.sack_le', 'udp.port', 'udp.checksum.status', 'icmp.checksum.status',
    'vxlan.vni', 'geneve.vni', 'gre.key', 'dns.qry.name', 'frame.comment', 'frame.protocols'];
  const io = memoryIO();
  const code = await main(['dissect', file, ...fields.flatMap((f) => ['-e', f])], io);
  assert.equal(io.stderr, '');
  assert.equal(code, 0);
  assert.equal(io.stdout, tsharkFields(file, fields));
});
