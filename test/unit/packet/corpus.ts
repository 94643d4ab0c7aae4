// A capture covering every protocol the dissectors know, built with the packet builders.
import { buildArp, buildPacket, concatBytes, dnsQuery, fragmentIp, genevePayload, vxlanHeader } from '../../../extension/core/packet/build';
import { captureBytes, type PacketToWrite } from '../../../extension/core/packet/writer';

export function corpusFrames(): Uint8Array[] {
  const pk: Uint8Array[] = [];
  const synOpts = [{ kind: 'mss' as const, value: 1460 }, { kind: 'sackPerm' as const }, { kind: 'timestamps' as const, tsval: 1, tsecr: 0 }, { kind: 'nop' as const }, { kind: 'wscale' as const, shift: 7 }];
  pk.push(buildPacket({ eth: {}, ip: { src: '10.0.0.1', dst: '10.0.0.2', id: 0x1234, df: true, tos: 0xb9 }, l4: { tcp: { sport: 40000, dport: 5201, seq: 1000, flags: 0x02, options: synOpts } } }));
  pk.push(buildPacket({ eth: {}, ip: { src: '10.0.0.2', dst: '10.0.0.1' }, l4: { tcp: { sport: 5201, dport: 40000, seq: 5000, ack: 1001, flags: 0x12, options: [{ kind: 'mss', value: 1400 }, { kind: 'wscale', shift: 2 }] } } }));
  pk.push(buildPacket({ eth: {}, ip: { src: '10.0.0.1', dst: '10.0.0.2' }, l4: { tcp: { sport: 40000, dport: 5201, seq: 1001, ack: 5001, flags: 0x18, window: 300, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[5001, 5002], [5003, 5004]] }] } }, payload: 100 }));
  pk.push(buildPacket({ eth: {}, ip: { src: '10.0.0.2', dst: '10.0.0.1' }, l4: { tcp: { sport: 5201, dport: 40000, seq: 5001, ack: 1101, flags: 0x11, window: 9 } } }));
  pk.push(buildPacket({ eth: {}, ip: { src: '10.0.0.3', dst: '10.0.0.4' }, l4: { tcp: { sport: 1, dport: 2, seq: 777, ack: 888, flags: 0x10 } }, payload: 10 }));
  pk.push(buildPacket({ eth: {}, ip: { src: '10.0.0.4', dst: '10.0.0.3' }, l4: { tcp: { sport: 2, dport: 1, seq: 888, ack: 787, flags: 0x1ff, urgent: 3 } } }));
  pk.push(...fragmentIp(buildPacket({ eth: { vlans: [{ vid: 5, pcp: 2, dei: true }] }, ip: { src: '1.1.1.1', dst: '2.2.2.2', id: 99 }, l4: { udp: { sport: 40005, dport: 40006 } }, payload: 3000 }), 1500));
  pk.push(buildPacket({ eth: {}, ip: { version: 6, src: '2001:db8::1', dst: 'fe80::1', hopByHop: new Uint8Array([5, 2, 0, 0]), flowLabel: 0x12345, trafficClass: 0xb8 }, l4: { icmpv6: { type: 128, id: 7, seq: 9 } }, payload: 8 }));
  pk.push(...fragmentIp(buildPacket({ eth: {}, ip: { version: 6, src: '2001:db8::5', dst: '2001:db8::6' }, l4: { udp: { sport: 40007, dport: 40008 } }, payload: 2000 }), 1280, { ipv6Id: 0xabcdef }));
  pk.push(buildPacket({ eth: {}, ip: { src: '1.1.1.1', dst: '2.2.2.2' }, l4: { icmp: { type: 8, id: 0x1234, seq: 1 } }, payload: 56 }));
  pk.push(buildPacket({ eth: {}, ip: { src: '2.2.2.2', dst: '1.1.1.1' }, l4: { icmp: { type: 0, id: 0x1234, seq: 1, checksum: 0xbeef } }, payload: 56 }));
  pk.push(buildArp({ op: 1, senderMac: '00:15:5d:01:02:03', senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' }));
  pk.push(buildArp({ eth: { dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01' }, op: 2, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.9', targetMac: '00:15:5d:01:02:03', targetIp: '10.0.0.1' }));
  const inner = buildPacket({ eth: { src: '02:aa:bb:cc:dd:01', dst: '02:aa:bb:cc:dd:02' }, ip: { src: '192.168.0.1', dst: '192.168.0.2' }, l4: { udp: { sport: 1000, dport: 53 } }, payload: dnsQuery(0xabcd, 'www.example.com') });
  pk.push(buildPacket({ eth: {}, ip: { src: '10.1.1.1', dst: '10.1.1.2' }, l4: { udp: { sport: 50000, dport: 4789 } }, payload: concatBytes(vxlanHeader(1234), inner) }));
  pk.push(buildPacket({ eth: {}, ip: { src: '10.1.1.1', dst: '10.1.1.2' }, l4: { udp: { sport: 50001, dport: 6081 } }, payload: genevePayload(77, inner) }));
  pk.push(buildPacket({ eth: {}, ip: { src: '10.1.1.1', dst: '10.1.1.2' }, l4: { gre: { protocol: 0x0800, key: 5 } }, payload: inner.subarray(14) }));
  pk.push(buildPacket({ eth: {}, ip: { src: '10.1.1.1', dst: '10.1.1.3' }, l4: { gre: { protocol: 0x6558, checksum: true } }, payload: inner }));
  pk.push(buildPacket({ eth: { vlans: [{ tpid: 0x88a8, vid: 100, pcp: 5 }, { vid: 200 }] }, ip: { version: 6, src: '2001:db8::1', dst: '2001:db8::2', hopLimit: 3 }, l4: { udp: { sport: 40001, dport: 40002 } }, payload: 3 }));
  pk.push(buildPacket({ eth: {}, ip: { src: '1.1.1.1', dst: '2.2.2.2', options: new Uint8Array([0x94, 4, 0, 0, 1, 0]), checksum: 0x1111 }, l4: { udp: { sport: 40005, dport: 40006, checksum: 0x2222 } }, payload: 4 }));
  pk.push(buildPacket({ eth: {}, ip: { src: '1.1.1.1', dst: '2.2.2.2' }, l4: { udp: { sport: 40005, dport: 40006, checksum: 'zero' } }, payload: 4 }));
  pk.push(buildPacket({ eth: {}, ip: { src: '192.0.2.1', dst: '192.0.2.53' }, l4: { udp: { sport: 33333, dport: 53 } }, payload: dnsQuery(7, 'netvsc.example.org', 28) }));
  pk.push(buildPacket({ eth: {}, ip: { src: '1.1.1.1', dst: '2.2.2.2' }, l4: { tcp: { sport: 5, dport: 6 } } }).subarray(0, 40));
  pk.push(buildPacket({ eth: {}, ip: { src: '1.1.1.1', dst: '2.2.2.2' }, l4: { udp: { sport: 40009, dport: 40010 } }, payload: 2 }));
  return pk;
}

export function corpusPackets(): PacketToWrite[] {
  return corpusFrames().map((data, i) => ({ tsSec: 1700000000 + i, tsNsec: (i * 123456789) % 1e9, data, comments: i === 2 ? ['queue=3 hash=0x1234abcd', 'xdp=XDP_PASS'] : undefined }));
}

export function corpusCapture(format: 'pcap' | 'pcapng' = 'pcapng'): Uint8Array {
  return captureBytes(corpusPackets(), { format });
}
