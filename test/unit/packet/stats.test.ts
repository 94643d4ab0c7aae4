import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';
import { generateScenario, parseScenario } from '../../../extension/core/packet/scenario';
import { captureBytes } from '../../../extension/core/packet/writer';
import { corpusPackets } from './corpus';
import { NO_DEFRAG, requireTshark, tmpFile, tshark } from './tshark';

test('the protocol hierarchy equals tshark -q -z io,phs', async () => {
  requireTshark();
  for (const [name, bytes] of [
    ['phs-corpus.pcapng', captureBytes(corpusPackets(), { format: 'pcapng' })],
    ['phs-mixed.pcapng', captureBytes(generateScenario(parseScenario(readFileSync('examples/scenarios/mixed.yaml', 'utf8'))), { format: 'pcapng' })],
  ] as const) {
    const file = tmpFile(name, bytes);
    const io = memoryIO();
    assert.equal(await main(['stats', file, '--phs-only'], io), 0);
    assert.equal(io.stdout, tshark(['-r', file, ...NO_DEFRAG, '-q', '-z', 'io,phs']).stdout);
  }
});

test('flow summary: fragments without ports are filed under their datagram\'s flow and counted', async () => {
  const pk = generateScenario(parseScenario('flows:\n  - { type: udp, src: 10.0.0.4, dst: 10.0.0.2, sport: 50000, dport: 9999, size: 3000, count: 4 }\n  - { type: icmp-echo, src: 10.0.0.5, dst: 10.0.0.2, count: 3, size: 56 }\n'));
  const file = tmpFile('flows.pcap', captureBytes(pk, { format: 'pcap' }));
  const io = memoryIO();
  assert.equal(await main(['stats', file, '--flows-only'], io), 0);
  const lines = io.stdout.trim().split('\n');
  const udp = lines.find((l) => l.startsWith('UDP'))!;
  // 4 datagrams x 3 fragments (1514 + 1514 + 82 bytes on the wire), 8 of them without ports.
  assert.match(udp, /^UDP\s+10\.0\.0\.2 9999\s+10\.0\.0\.4 50000\s+12\s+12440\s+[\d.]+\s+8 fragment\(s\) without ports$/);
  const icmp = lines.find((l) => l.startsWith('ICMP'))!;
  assert.match(icmp, /^ICMP\s+10\.0\.0\.2\s+10\.0\.0\.5\s+6\s+588\s/); // 3 x (request + reply) x 98 bytes
});
