// The Toeplitz hash against Microsoft's RSS verification vectors ("Verifying the RSS Hash
// Calculation", NDIS docs): the same 40-byte key the driver programs, independent expected values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NETVSC_HASH_KEY } from '../../../extension/core/netvsc/constants';
import { parseIpAddress, portBytes, ToeplitzKey } from '../../../extension/core/netvsc/toeplitz';

const key = new ToeplitzKey(Uint8Array.from(NETVSC_HASH_KEY));
const h = (src: string, dst: string, sport?: number, dport?: number) => {
  const parts = [parseIpAddress(src)!, parseIpAddress(dst)!];
  if (sport !== undefined) parts.push(portBytes(sport), portBytes(dport!));
  return key.hashTuple(parts);
};

test('IPv4 vectors: 2-tuple and TCP 4-tuple', () => {
  const v: [string, number, string, number, number, number][] = [
    ['66.9.149.187', 2794, '161.142.100.80', 1766, 0x323e8fc2, 0x51ccc178],
    ['199.92.111.2', 14230, '65.69.140.83', 4739, 0xd718262a, 0xc626b0ea],
    ['24.19.198.95', 12898, '12.22.207.184', 38024, 0xd2d0a5de, 0x5c2b394a],
    ['38.27.205.30', 48228, '209.142.163.6', 2217, 0x82989176, 0xafc7327f],
    ['153.39.163.191', 44251, '202.188.127.2', 1303, 0x5d1809c5, 0x10e828a2],
  ];
  for (const [src, sp, dst, dp, ip, tcp] of v) {
    assert.equal(h(src, dst), ip, `${src} -> ${dst} IPv4`);
    assert.equal(h(src, dst, sp, dp), tcp, `${src}:${sp} -> ${dst}:${dp} TCP`);
  }
});

test('IPv6 vectors: 2-tuple and TCP 4-tuple', () => {
  const v: [string, number, string, number, number, number][] = [
    ['3ffe:2501:200:1fff::7', 2794, '3ffe:2501:200:3::1', 1766, 0x2cc18cd5, 0x40207d3d],
    ['3ffe:501:8::260:97ff:fe40:efab', 14230, 'ff02::1', 4739, 0x0f0c461c, 0xdde51bbf],
    ['3ffe:1900:4545:3:200:f8ff:fe21:67cf', 44251, 'fe80::200:f8ff:fe21:67cf', 38024, 0x4b61e985, 0x02d1feef],
  ];
  for (const [src, sp, dst, dp, ip, tcp] of v) {
    assert.equal(h(src, dst), ip, `${src} -> ${dst} IPv6`);
    assert.equal(h(src, dst, sp, dp), tcp, `${src} -> ${dst} TCP/IPv6`);
  }
});

test('the byte-at-offset form equals the concatenated form (used by the packet path)', () => {
  const buf = new Uint8Array(64);
  buf.set([66, 9, 149, 187], 10);
  assert.equal(key.hash(buf, 10, 4) ^ key.hash(Uint8Array.of(0, 0, 0, 0, 161, 142, 100, 80), 0, 8), 0x323e8fc2);
});
