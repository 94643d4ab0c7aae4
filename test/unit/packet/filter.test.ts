import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FilterEngine } from '../../../extension/core/packet/columns';
import { F } from '../../../extension/core/packet/fields';
import { compileFilter, FilterSyntaxError, type PacketAnnotations } from '../../../extension/core/packet/filter';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { generateScenario, parseScenario } from '../../../extension/core/packet/scenario';
import { CaptureSession } from '../../../extension/core/packet/session';
import { captureBytes } from '../../../extension/core/packet/writer';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';
import { corpusPackets } from './corpus';
import { NO_DEFRAG, requireTshark, tmpFile, tshark } from './tshark';

const FILTERS = [
  'tcp', 'udp && !dns', 'ip.src == 10.0.0.1', 'ip.addr == 10.0.0.0/24', 'ip.dst != 2.2.2.2', 'tcp.port in {5201, 1, 2}',
  'udp.port in {40000..40006, 9999}', 'eth.src[0:3] == 00:15:5d', 'eth.dst[-1] == 02', 'eth.src[1-2] == 15:5d', 'tcp.flags.syn == 1 and tcp.flags.ack == 0',
  'ip.flags.mf || ip.frag_offset > 0', 'ipv6.addr == 2001:db8::/32', 'ipv6.src == 2001:db8::1', 'dns.qry.name contains "example"',
  'dns.qry.name matches "^WWW\\\\."', 'frame.len >= 100 && frame.len <= 200', 'vlan.id == 5', 'ieee8021ad.id eq 100', 'not ip', '!(tcp || udp)',
  'tcp.seq_raw == 1000', 'tcp.seq == 1', 'tcp.options.mss_val ge 1400', 'icmp.checksum.status == 0', 'eth.dst == ff:ff:ff:ff:ff:ff',
  'vxlan.vni == 1234', 'geneve.vni == 77', 'gre.key == 0x5', '_ws.malformed', 'ip.ttl lt 64', 'frame.comment contains "queue=3"',
  'ip.proto == 17 or ip.proto == 47 and ip.len > 80', '(ip.proto == 17 or ip.proto == 47) and ip.len > 80', 'ipv6.fraghdr.more == 1',
  'arp.opcode == 2', 'tcp.len > 0', 'udp.length > 1000', 'tcp.srcport > tcp.dstport', 'udp.payload contains 00:01:02', 'eth.type == 0x86dd',
  'ip.dsfield.dscp == 46', 'tcp.flags.str contains "S"', 'frame.protocols contains "vxlan"', 'ip.id == 0x63', 'udp.checksum.status == 3',
  'tcp.window_size == 36', 'icmp.ident == 4660', 'ip.checksum == 0x1111', 'tcp.flags == 0x012', 'arp.src.proto_ipv4 == 10.0.0.9',
  'ipv6.flow == 0x12345', 'ip.flags.df == True', 'ip.addr != 10.0.0.1', 'tcp.options.sack_le', 'udp.srcport in {40005, 40007} && ip.flags.mf == 0',
];

function tsharkMatches(file: string, filter: string): number[] {
  const out = tshark(['-r', file, ...NO_DEFRAG, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).stdout;
  return out.split('\n').filter((l) => l).map(Number);
}

function check(bytes: Uint8Array, name: string) {
  const file = tmpFile(name, bytes);
  const session = new CaptureSession(openCaptureBytes(bytes));
  const engine = new FilterEngine(session);
  const bad: string[] = [];
  for (const text of FILTERS) {
    const expect = tsharkMatches(file, text);
    const bitmap = engine.apply(text);
    const ours = [...bitmap].flatMap((m, i) => (m ? [i + 1] : []));
    if (JSON.stringify(ours) !== JSON.stringify(expect)) bad.push(`${text}: tshark [${expect}] ours [${ours}]`);
    // The dissection path (what `dissect -Y` uses) agrees with the columnar path.
    const f = compileFilter(text);
    const direct: number[] = [];
    session.forEach((i, d) => { if (f.matchDissection(d, i)) direct.push(i + 1); });
    if (JSON.stringify(direct) !== JSON.stringify(ours)) bad.push(`${text}: columns [${ours}] dissection [${direct}]`);
  }
  assert.deepEqual(bad, []);
}

test('display filters select the same frames as tshark -Y on the protocol corpus', () => {
  requireTshark();
  check(captureBytes(corpusPackets(), { format: 'pcapng' }), 'filter-corpus.pcapng');
});

test('display filters select the same frames as tshark -Y on a scenario capture', () => {
  requireTshark();
  const pk = generateScenario(parseScenario(readFileSync('examples/scenarios/mixed.yaml', 'utf8')));
  check(captureBytes(pk, { format: 'pcapng' }), 'filter-mixed.pcapng');
});

test('netvsc-lab dissect -Y prints the frames tshark -Y prints', async () => {
  requireTshark();
  const file = tmpFile('filter-cli.pcapng', captureBytes(corpusPackets(), { format: 'pcapng' }));
  for (const y of ['udp.port in {40005, 4789}', 'tcp.flags.syn == 1']) {
    const io = memoryIO();
    assert.equal(await main(['dissect', file, '-e', 'frame.number', '-e', 'ip.src', '-Y', y], io), 0);
    assert.equal(io.stdout, tshark(['-r', file, ...NO_DEFRAG, '-Y', y, '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src']).stdout);
  }
});

test('syntax errors point at the column of the mistake', () => {
  const cases: [string, number, RegExp][] = [
    ['ip.src == 1.2.3', 11, /"1.2.3" is not a valid IPv4 address for ip.src/],
    ['tcp.port in {80, 443', 13, /unterminated set/],
    ['tcp.port in {80 443}', 17, /"443" was unexpected in this set/],
    ['foo.bar == 1', 1, /"foo.bar" is neither a field nor a protocol name/],
    ['(tcp && udp', 12, /expected "\)" to close the "\(" at column 1/],
    ['tcp.port ==', 12, /expected a value after "=="/],
    ['tcp and', 8, /filter ends where a field name was expected/],
    ['ip.src == 1.1.1.1 )', 19, /unexpected "\)"/],
    ['eth.src[0:3 == 00', 8, /unterminated slice|bad slice/],
    ['dns.qry.name matches "(["', 22, /bad regular expression/],
    ['tcp.port == 80 $', 16, /unexpected character '\$'/],
    ['xdp.verdict == XDP_JUMP', 16, /"XDP_JUMP" is not a valid integer for xdp.verdict/],
    ['', 1, /empty filter/],
  ];
  for (const [text, col, re] of cases) {
    assert.throws(() => compileFilter(text), (e: unknown) => e instanceof FilterSyntaxError && e.column === col && re.test(e.message), `${text}`);
  }
});

test("the emulator's fields come from caller-supplied annotations", () => {
  const bytes = captureBytes(corpusPackets(), { format: 'pcapng' });
  const session = new CaptureSession(openCaptureBytes(bytes));
  const n = session.count;
  const queue = Array.from({ length: n }, (_, i) => i % 4);
  const verdict = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 2));
  const path = Array.from({ length: n }, (_, i) => (i < 5 ? 1 : 0));
  const drop = Array.from({ length: n }, (_, i) => (i === 7 ? 'rx_buffer_full' : undefined));
  const rsc = Array.from({ length: n }, (_, i) => (i === 2 ? 3 : undefined));
  const ann: PacketAnnotations = {
    value(fid, i) {
      if (fid === F['netvsc.queue']) return queue[i];
      if (fid === F['netvsc.hash']) return (i * 0x9e3779b1) >>> 0;
      if (fid === F['xdp.verdict']) return verdict[i];
      if (fid === F['netvsc.path']) return path[i];
      if (fid === F['netvsc.drop_reason']) return drop[i];
      if (fid === F['netvsc.rsc.segments']) return rsc[i];
      return undefined;
    },
  };
  const engine = new FilterEngine(session, ann);
  const frames = (t: string) => [...engine.apply(t)].flatMap((m, i) => (m ? [i] : []));
  const all = [...Array(n).keys()];
  assert.deepEqual(frames('netvsc.queue == 2'), all.filter((i) => queue[i] === 2));
  assert.deepEqual(frames('xdp.verdict == XDP_DROP'), all.filter((i) => verdict[i] === 1));
  assert.deepEqual(frames('xdp.verdict == "xdp_pass" && udp'), frames('udp').filter((i) => verdict[i] === 2));
  assert.deepEqual(frames('netvsc.path == vf'), [0, 1, 2, 3, 4]);
  assert.deepEqual(frames('netvsc.drop_reason'), [7]);
  assert.deepEqual(frames('netvsc.drop_reason contains "buffer"'), [7]);
  assert.deepEqual(frames('netvsc.rsc.segments >= 2'), [2]);
  assert.deepEqual(frames('netvsc.queue in {0, 1} and not xdp.verdict == 1'), all.filter((i) => queue[i] <= 1 && verdict[i] !== 1));
  assert.deepEqual(frames('netvsc.hash[0] == 0x9e'), all.filter((i) => ((i * 0x9e3779b1) >>> 0) >>> 24 === 0x9e));
  assert.deepEqual(frames('netvsc'), all);
});
