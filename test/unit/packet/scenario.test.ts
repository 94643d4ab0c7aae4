import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { generateScenario, parseScenario, ScenarioError } from '../../../extension/core/packet/scenario';
import { dissectFlow, FlowKeys, FLOW_PORTS, FLOW_FRAGMENT, FLOW_TCP, FLOW_IPV6, TCP_FLAG_SYN } from '../../../extension/core/packet/flow';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';
import { openCaptureFile } from '../../../extension/core/packet/fileSource';
import { tmpFile, tshark, requireTshark } from './tshark';

test('validation names the path of the mistake', () => {
  const cases: [string, string][] = [
    ['flows: []', 'flows: must be a non-empty list of flows'],
    ['flows: [{type: udp}, {type: udp}, {type: udp, rate: -5}]', 'flows[2].rate: must be a positive number'],
    ['flows: [{type: teleport}]', 'flows[0].type: must be one of tcp-bulk, tcp-rr, udp, icmp-echo, syn-flood, mix, got "teleport"'],
    ['flows: [{type: udp, src: 10.0.0.300}]', 'flows[0].src: must be an IPv4 or IPv6 address, got "10.0.0.300"'],
    ['flows: [{type: udp, src: 10.0.0.1, dst: "2001:db8::1"}]', 'flows[0].dst: address family differs from src 10.0.0.1'],
    ['flows: [{type: udp, vlan: [1, 2, 3]}]', 'flows[0].vlan: at most two tags (outer, inner)'],
    ['flows: [{type: udp, vlan: [1, 5000]}]', 'flows[0].vlan[1]: must be an integer from 0 to 4095'],
    ['flows: [{type: udp, direction: up}]', 'flows[0].direction: must be "rx" or "tx", got "up"'],
    ['flows: [{type: udp, colour: red}]', 'flows[0].colour: unknown key'],
    ['mtu: 100\nflows: [{type: udp}]', 'mtu: must be an integer from 576 to 65535'],
    ['{"flows": [', 'scenario: not valid JSON/YAML'],
  ];
  for (const [text, msg] of cases) {
    assert.throws(() => parseScenario(text), (e: unknown) => e instanceof ScenarioError && e.message.startsWith(msg), text);
  }
});

test('generation is deterministic by seed and sorted by time', () => {
  const text = readFileSync('examples/scenarios/qinq-and-mix.yaml', 'utf8');
  const a = generateScenario(parseScenario(text));
  const b = generateScenario(parseScenario(text));
  assert.deepEqual(a.map((p) => [p.tsSec, p.tsNsec, [...p.data].join()]), b.map((p) => [p.tsSec, p.tsNsec, [...p.data].join()]));
  const c = generateScenario(parseScenario(text.replace('seed: 2024', 'seed: 2025')));
  assert.notDeepEqual(a.map((p) => [...p.data].join()), c.map((p) => [...p.data].join()));
  for (let i = 1; i < a.length; i++) assert.ok(a[i].tsSec * 1e9 + a[i].tsNsec >= a[i - 1].tsSec * 1e9 + a[i - 1].tsNsec);
});

test('what the flows produce: handshakes, fragment counts, VLAN tags, SYN-flood sources, IPv6', () => {
  const k = new FlowKeys();
  const s = parseScenario(`
seed: 5
flows:
  - { type: udp, src: 10.0.0.4, dst: 10.0.0.2, size: 3000, count: 4 }
  - { type: tcp-bulk, src: 10.0.0.1, dst: 10.0.0.2, bytes: 2896, mss: 1448, vlan: [10, 20], start: 1 }
  - { type: syn-flood, dst: 10.0.0.2, dport: 8080, count: 50, sources: 198.51.100.0/24, start: 2 }
  - { type: icmp-echo, src: "2001:db8::1", dst: "2001:db8::2", count: 2, start: 3 }
`);
  const pk = generateScenario(s);
  const byFlow = (f: number) => pk.filter((p) => p.flow === f).map((p) => dissectFlow(p.data, 0, p.data.length, new FlowKeys()));
  // UDP: 3008-byte datagram at MTU 1500 -> 1480 + 1480 + 48: three fragments, ports only in the first.
  const udp = byFlow(0);
  assert.equal(udp.length, 12);
  assert.equal(udp.filter((x) => x.status & FLOW_PORTS).length, 4);
  assert.ok(udp.every((x) => x.status & FLOW_FRAGMENT));
  // TCP bulk: SYN, SYN/ACK, ACK, 2 data segments + 1 ACK, FIN, FIN, ACK = 9 packets, QinQ tagged.
  const tcp = byFlow(1);
  assert.equal(tcp.length, 9);
  assert.ok(tcp.every((x) => x.status & FLOW_TCP && x.vlanCount === 2 && x.vlanTpid[0] === 0x88a8 && (x.vlanTci[0] & 0xfff) === 10 && (x.vlanTci[1] & 0xfff) === 20));
  assert.equal(tcp[0].tcpFlags, TCP_FLAG_SYN);
  assert.deepEqual(tcp.slice(3, 5).map((x) => x.payloadLength), [1448, 1448]);
  const syn = byFlow(2);
  assert.equal(syn.length, 50);
  assert.ok(syn.every((x) => x.tcpFlags === TCP_FLAG_SYN && x.dstPort === 8080 && x.src[0] >>> 8 === 0xc63364));
  assert.ok(new Set(syn.map((x) => x.src[0])).size > 20, 'many sources');
  const icmp = byFlow(3);
  assert.equal(icmp.length, 4);
  assert.ok(icmp.every((x) => x.status & FLOW_IPV6 && x.l4Proto === 58));
  void k;
});

test('netvsc-lab gen writes pcapng or pcap by extension; every example scenario reads cleanly in tshark', async () => {
  requireTshark();
  for (const name of readdirSync('examples/scenarios')) {
    for (const ext of ['pcapng', 'pcap']) {
      const out = tmpFile(`${name}.${ext}`);
      const io = memoryIO();
      assert.equal(await main(['gen', `examples/scenarios/${name}`, '-o', out], io), 0, io.stderr);
      const cap = openCaptureFile(out);
      assert.equal(cap.format, ext);
      assert.match(io.stdout, new RegExp(`: ${cap.count} packets\\n$`));
      cap.close();
      assert.equal(tshark(['-r', out]).stderr, '');
    }
  }
  const io = memoryIO();
  const bad = tmpFile('bad.yaml');
  writeFileSync(bad, 'flows:\n  - type: udp\n    rate: 0\n');
  assert.equal(await main(['gen', bad, '-o', tmpFile('x.pcapng')], io), 1);
  assert.match(io.stderr, /bad\.yaml: flows\[0\]\.rate: must be a positive number\n$/);
});

test('the example traces are exactly what their scenarios generate today', async () => {
  for (const [scen, trace] of [['mixed.yaml', 'mixed.pcapng'], ['fragments.json', 'fragments.pcap']]) {
    const out = tmpFile(`again-${trace}`);
    assert.equal(await main(['gen', `examples/scenarios/${scen}`, '-o', out], memoryIO()), 0);
    assert.ok(readFileSync(out).equals(readFileSync(`examples/traces/${trace}`)), `${trace} differs from a fresh generation of ${scen}`);
  }
});
