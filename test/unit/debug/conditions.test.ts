// Breakpoint display-filter conditions and the evaluator's packet fields, through the path the
// debugger uses (the packet layer's compileFilter + matchDissection on PacketDissector's
// dissection; evaluate() for `ip.src` in WATCH), checked against tshark on the same capture:
// which frames a filter matches (`tshark -Y`), and field values (`tshark -T fields`).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate, type EvalContext } from '../../../extension/core/debug/expression';
import { isPacketCondition, PacketDissector } from '../../../extension/core/debug/packetDissection';
import { Dissection } from '../../../extension/core/packet/dissection';
import { compileFilter, FilterSyntaxError } from '../../../extension/core/packet/filter';
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

/** The frames dissected as the debugger does (one session's dissector, in trace order). */
function dissected(): Dissection[] {
  const dis = new PacketDissector((i) => (1000 + i) * 1e9);
  return FRAMES.map((fr, i) => dis.dissect(fr, i, new Dissection()));
}

describe('display-filter breakpoint conditions', () => {
  it('match the same frames as tshark -Y, and are told apart from register expressions', () => {
    const ds = dissected();
    for (const f of FILTERS) {
      const expected = tshark(['-Y', f, '-T', 'fields', '-e', 'frame.number']).trim().split('\n').filter(Boolean).map(Number);
      assert.equal(isPacketCondition(f), true, `'${f}' is a display filter`);
      const filter = compileFilter(f);
      const got = ds.map((d, i) => (filter.matchDissection(d, 0) ? i + 1 : 0)).filter(Boolean);
      assert.deepEqual(got, expected, `filter '${f}'`);
    }
  });

  it('the evaluator reads packet fields with the text tshark -T fields prints', () => {
    const fields = ['frame.len', 'eth.src', 'eth.type', 'vlan.id', 'ip.src', 'ip.dst', 'ip.ttl', 'ip.proto', 'ip.len', 'ipv6.src', 'ipv6.dst',
      'udp.srcport', 'udp.dstport', 'udp.length', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'icmp.type', 'arp.opcode'];
    const rows = tshark(['-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])]).trim().split('\n');
    const ds = dissected();
    rows.forEach((row, i) => {
      const want = row.split('|');
      const ctx: EvalContext = { reg: () => undefined, memory: undefined, maps: [], packet: () => ds[i] };
      fields.forEach((f, k) => {
        if (want[k] === '') {
          assert.throws(() => evaluate(f, ctx), new RegExp(`the packet has no field '${f.replace(/\./g, '\\.')}'`), `frame ${i + 1} ${f}: tshark has none`);
          return;
        }
        const r = evaluate(f, ctx);
        assert.equal(r.text, want[k], `frame ${i + 1} ${f}`);
        // Numbers compare in conditions by value: tshark's text (decimal or 0x hex) is the same number.
        if (/^(0x[0-9a-f]+|\d+)$/.test(want[k])) assert.equal(r.value, BigInt(want[k]), `frame ${i + 1} ${f} value`);
      });
    });
  });

  it('tells register expressions from filters by the field registry, and keeps the column of filter errors', () => {
    assert.equal(isPacketCondition('r0 == 2'), false);
    assert.equal(isPacketCondition('not udp'), true);
    assert.equal(isPacketCondition('ip.proto == 17 && r0 > 1'), false); // mixed: the evaluator's
    assert.equal(isPacketCondition('proto_count[17] > 0'), false);
    // 'udp.dstport == ' is 15 characters: the missing value is at column 16 (1-based).
    assert.throws(() => compileFilter('udp.dstport == '), (e: unknown) => e instanceof FilterSyntaxError && e.column === 16 && /expected a value after "=="/.test(e.message));
    // The bad literal starts at column 11.
    assert.throws(() => compileFilter('ip.src == 300.1.1.1'), (e: unknown) => e instanceof FilterSyntaxError && e.column === 11 && /not a valid IPv4 address/.test(e.message));
    assert.throws(() => compileFilter('(udp'), /expected "\)"/);
  });
});
