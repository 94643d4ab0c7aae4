import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPacket, fragmentIp, buildArp } from '../../../extension/core/packet/build';
import {
  dissectFlow, FlowKeys, FLOW_FRAGMENT, FLOW_FIRST_FRAGMENT, FLOW_PORTS, FLOW_TCP, FLOW_TRUNCATED, FLOW_MALFORMED,
  FLOW_VLAN, FLOW_IPV6, FLOW_ARP, LINKTYPE_RAW, IPPROTO_UDP, IPPROTO_TCP, TCP_FLAG_SYN, TCP_FLAG_ACK,
} from '../../../extension/core/packet/flow';

const keys = new FlowKeys();

test('TCP over two stacked VLAN tags: tags, addresses as words, ports, seq/ack, payload', () => {
  const f = buildPacket({
    eth: { vlans: [{ tpid: 0x88a8, vid: 100, pcp: 3 }, { vid: 42 }] },
    ip: { src: '10.0.0.1', dst: '192.168.1.2', ttl: 7 },
    l4: { tcp: { sport: 12345, dport: 80, seq: 0xdeadbeef, ack: 5, flags: TCP_FLAG_SYN | TCP_FLAG_ACK, options: [{ kind: 'mss', value: 1460 }] } },
    payload: 10,
  });
  dissectFlow(f, 0, f.length, keys);
  assert.equal(keys.vlanCount, 2);
  assert.equal(keys.vlanTpid[0], 0x88a8);
  assert.equal(keys.vlanTci[0], (3 << 13) | 100);
  assert.equal(keys.vlanTci[1], 42);
  assert.ok(keys.status & FLOW_VLAN);
  assert.equal(keys.ethertype, 0x0800);
  assert.equal(keys.l3Offset, 22); // 14 + 2*4
  assert.equal(keys.src[0], 0x0a000001);
  assert.equal(keys.dst[0], 0xc0a80102);
  assert.equal(keys.srcAddrOffset, 22 + 12);
  assert.equal(keys.ttl, 7);
  assert.equal(keys.ipHeaderLength, 20);
  assert.equal(keys.ipTotalLength, 20 + 24 + 10);
  assert.equal(keys.l4Proto, IPPROTO_TCP);
  assert.equal(keys.srcPort, 12345);
  assert.equal(keys.dstPort, 80);
  assert.equal(keys.tcpSeq, 0xdeadbeef);
  assert.equal(keys.tcpAck, 5);
  assert.equal(keys.tcpFlags, 0x12);
  assert.equal(keys.tcpHeaderLength, 24);
  assert.equal(keys.payloadOffset, 22 + 20 + 24);
  assert.equal(keys.payloadLength, 10);
  assert.ok(keys.status & FLOW_TCP && keys.status & FLOW_PORTS);
  assert.equal(keys.status & (FLOW_TRUNCATED | FLOW_MALFORMED), 0);
});

test('IPv4 fragments: only the first carries ports; id, MF and byte offset of each', () => {
  const whole = buildPacket({ eth: {}, ip: { src: '1.1.1.1', dst: '2.2.2.2', id: 0x1234 }, l4: { udp: { sport: 5000, dport: 6000 } }, payload: 3000 });
  const frags = fragmentIp(whole, 1500);
  assert.equal(frags.length, 3); // 3008 bytes of UDP: 1480 + 1480 + 48
  const seen = frags.map((f) => { dissectFlow(f, 0, f.length, keys); return { ...keys, src: 0, dst: 0 }; });
  assert.deepEqual(seen.map((k) => k.fragmentOffset), [0, 1480, 2960]);
  assert.deepEqual(seen.map((k) => k.moreFragments), [true, true, false]);
  assert.deepEqual(seen.map((k) => k.fragmentId), [0x1234, 0x1234, 0x1234]);
  assert.deepEqual(seen.map((k) => (k.status & FLOW_PORTS) !== 0), [true, false, false]);
  assert.deepEqual(seen.map((k) => (k.status & FLOW_FIRST_FRAGMENT) !== 0), [true, false, false]);
  assert.ok(seen.every((k) => k.status & FLOW_FRAGMENT));
  assert.deepEqual(seen.map((k) => k.srcPort), [5000, 0, 0]);
  assert.equal(seen[0].l4Proto, IPPROTO_UDP);
});

test('IPv6 with hop-by-hop and fragment header: L4 found after the extension headers', () => {
  const whole = buildPacket({
    eth: {}, ip: { version: 6, src: '2001:db8::1', dst: '2001:db8::2', hopByHop: new Uint8Array([5, 2, 0, 0]), flowLabel: 0xabcde },
    l4: { udp: { sport: 53, dport: 1053 } }, payload: 2000,
  });
  dissectFlow(whole, 0, whole.length, keys);
  assert.ok(keys.status & FLOW_IPV6);
  assert.equal(keys.flowLabel, 0xabcde);
  assert.equal(keys.ipHeaderLength, 48);
  assert.equal(keys.src[0], 0x20010db8);
  assert.equal(keys.src[3], 1);
  assert.equal(keys.srcPort, 53);
  const frags = fragmentIp(whole, 1280, { ipv6Id: 77 });
  assert.ok(frags.length >= 2);
  dissectFlow(frags[0], 0, frags[0].length, keys);
  assert.equal(keys.fragmentId, 77);
  assert.equal(keys.ipHeaderLength, 56);
  assert.equal(keys.dstPort, 1053);
  assert.ok(keys.moreFragments);
  dissectFlow(frags[1], 0, frags[1].length, keys);
  assert.equal(keys.status & FLOW_PORTS, 0);
  assert.equal(keys.fragmentOffset, 1280 - 48 - 8 - ((1280 - 48 - 8) % 8) );
});

test('truncated and malformed frames are flagged, never throw', () => {
  const f = buildPacket({ eth: {}, ip: { src: '1.2.3.4', dst: '5.6.7.8' }, l4: { tcp: { sport: 1, dport: 2 } } });
  for (let n = 0; n < f.length; n++) {
    dissectFlow(f, 0, n, keys);
    assert.ok(keys.status & FLOW_TRUNCATED, `length ${n}`);
  }
  const bad = f.slice();
  bad[14] = 0x43; // IHL 3
  dissectFlow(bad, 0, bad.length, keys);
  assert.ok(keys.status & FLOW_MALFORMED);
  assert.equal(keys.status & FLOW_PORTS, 0);
});

test('raw IP link type and ARP', () => {
  const raw = buildPacket({ ip: { src: '9.9.9.9', dst: '8.8.8.8' }, l4: { udp: { sport: 7, dport: 9 } } });
  dissectFlow(raw, 0, raw.length, keys, LINKTYPE_RAW);
  assert.equal(keys.l3Offset, 0);
  assert.equal(keys.dstPort, 9);
  const arp = buildArp({ op: 1, senderMac: '00:11:22:33:44:55', senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' });
  dissectFlow(arp, 0, arp.length, keys);
  assert.ok(keys.status & FLOW_ARP);
});
