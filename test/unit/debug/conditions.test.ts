// Breakpoint display-filter conditions and the debugger's packet fields, checked against tshark
// on the same capture: which frames a filter matches (`tshark -Y`), and field values
// (`tshark -T fields`). Both the full dissection and the fast flow-dissector lookup are checked.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePacketCondition, FilterSyntaxError, isPacketCondition, treeLookup } from '../../../extension/core/debug/packetCondition';
import { dissectPacket, FastFields, fieldOccurrences } from '../../../extension/core/debug/packetFields';
import { buildArp, buildPacket } from '../../../extension/core/packet/build';
import { PcapWriter } from '../../../extension/core/packet/pcap';

const eth = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const FRAMES: Uint8Array[] = [
  buildPacket({ eth, ip: { src: '10.0.0.1', dst: '10.0.0.2' }, l4: { udp: { sport: 40000, dport: 53 } }, payload: 12 }),
  buildPacket({ eth, ip: { src: '10.0.0.3', dst: '192.168.1.7', ttl: 3 }, l4: { tcp: { sport: 443, dport: 51000, flags: 0x12 } }, payload: 0 }),
  buildPacket({ eth: { ...eth, vlans: [{ vid: 100 }] }, ip: { src: '10.0.0.1', dst: '10.0.0.9' }, l4: { udp: { sport: 53, dport: 40001 } }, payload: 30 }),
  buildPacket({ eth, ip: { version: 6, src: 'fe80::1', dst: '2001:db8::2' }, l4: { udp: { sport: 1000, dport: 53 } }, payload: 8 }),
  buildPacket({ eth, ip: { src: '172.16.0.1', dst: '10.0.0.2' }, l4: { icmp: { type: 8, id: 1, seq: 1 } }, payload: 16 }),
  buildArp({ eth: { src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' }, op: 1, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' }),
  buildPacket({ eth, ip: { src: '10.0.0.2', dst: '10.0.0.1' }, l4: { tcp: { sport: 22, dport: 50000, flags: 0x02 } }, payload: 0 }),
];

const FILTERS = [
  'udp', 'tcp', 'ip', 'ipv6', 'arp', 'vlan', 'icmp',
  'udp.dstport == 53', 'udp.port == 53', 'udp.port != 53', 'tcp.port in {22, 443}',
  'ip.src == 10.0.0.1', 'ip.addr == 10.0.0.2', 'ip.dst == 10.0.0.0/24', 'ip.addr != 10.0.0.1',
  'ip.ttl < 10', 'ip.proto == 6 && tcp.flags.syn == 1', 'tcp.flags == 0x12', 'not udp', '!(ip.src == 10.0.0.1) and ip',
  'udp or icmp', 'frame.len > 70', 'frame.number >= 3 && frame.number <= 5', 'vlan.id == 100', 'eth.src == 02:00:00:00:00:01',
  'ipv6.dst == 2001:db8::2', 'ip.len gt 40', 'udp.length le 20', 'arp.opcode == 1', 'tcp.srcport eq 443 || udp.srcport eq 53',
];

let tmp: string;
let pcap: string;

function tshark(args: string[]): string {
  try {
    return execFileSync('tshark', ['-n', '-r', pcap, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`tshark failed (${(e as Error).message}); install the Debian package tshark`, { cause: e });
  }
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'netvsc-cond-'));
  pcap = join(tmp, 'c.pcap');
  const w = new PcapWriter(1);
  writeFileSync(pcap, Buffer.concat([w.header(), ...FRAMES.map((f, i) => w.record(f, 1000 + i, 0))]));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('display-filter breakpoint conditions', () => {
  it('match the same frames as tshark -Y, through the dissection tree and through the fast lookup', () => {
    const fast = new FastFields();
    for (const f of FILTERS) {
      const expected = tshark(['-Y', f, '-T', 'fields', '-e', 'frame.number']).trim().split('\n').filter(Boolean).map(Number);
      const pred = compilePacketCondition(f);
      const viaTree = FRAMES.map((fr, i) => (pred(treeLookup(dissectPacket(fr, i + 1))) ? i + 1 : 0)).filter(Boolean);
      const viaFast = FRAMES.map((fr, i) => { fast.reset(fr, i + 1); return pred(fast.lookup) ? i + 1 : 0; }).filter(Boolean);
      assert.deepEqual(viaTree, expected, `filter '${f}' (tree)`);
      assert.deepEqual(viaFast, expected, `filter '${f}' (fast)`);
    }
  });

  it('field values agree with tshark -T fields', () => {
    const fields = ['frame.len', 'eth.src', 'eth.type', 'vlan.id', 'ip.src', 'ip.dst', 'ip.ttl', 'ip.proto', 'ip.len', 'ipv6.src', 'ipv6.dst',
      'udp.srcport', 'udp.dstport', 'udp.length', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'icmp.type', 'arp.opcode'];
    const rows = tshark(['-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])]).trim().split('\n');
    rows.forEach((row, i) => {
      const want = row.split('|');
      const tree = dissectPacket(FRAMES[i], i + 1);
      fields.forEach((f, k) => {
        const got = fieldOccurrences(tree, f)[0];
        if (want[k] === '') { assert.equal(got, undefined, `frame ${i + 1} ${f}: tshark has none, we have ${got?.text}`); return; }
        assert.ok(got, `frame ${i + 1} ${f}: missing (tshark: ${want[k]})`);
        const v = got.value!;
        // tshark prints hex fields (eth.type, tcp.flags) as 0x...; compare numerically.
        if (v.kind === 'uint') assert.equal(v.n, Number(want[k]), `frame ${i + 1} ${f}`);
        else assert.equal(got.text, want[k], `frame ${i + 1} ${f}`);
      });
    });
  });

  it('rejects what is not a packet filter, naming the column', () => {
    assert.equal(isPacketCondition('r0 == 2'), false);
    assert.equal(isPacketCondition('udp.dstport == 53'), true);
    assert.throws(() => compilePacketCondition('udp.dstport == '), (e: unknown) => e instanceof FilterSyntaxError && /expected a value after '==' \(column 16\)/.test(e.message));
    assert.throws(() => compilePacketCondition('ip.src == 300.1.1.1'), /not a valid IPv4 address \(column 11\)/);
    assert.throws(() => compilePacketCondition('(udp'), /expected '\)'/);
  });
});
