import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldSum, onesSum, internetChecksum, ipv4HeaderChecksum, incrementalUpdate16, incrementalUpdate32, verifies } from '../../../extension/core/packet/checksum';

test('RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2', () => {
  const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(foldSum(onesSum(b, 0, b.length)), 0xddf2);
  assert.equal(internetChecksum(b, 0, b.length), 0x220d);
});

test('IPv4 header checksum of a well-known header (4500 0073 ... c0a8 00c7) is b861', () => {
  const h = new Uint8Array([0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7]);
  assert.equal(ipv4HeaderChecksum(h, 0), 0xb861);
  assert.ok(verifies(h, 0, 20));
});

test('odd length pads with a zero byte', () => {
  assert.equal(onesSum(new Uint8Array([0x12, 0x34, 0x56]), 0, 3), 0x1234 + 0x5600);
});

test('incremental update (RFC 1624) equals recomputation for random word changes', () => {
  let seed = 1;
  const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 8; };
  for (let n = 0; n < 500; n++) {
    const b = new Uint8Array(20);
    for (let i = 0; i < 20; i++) b[i] = rnd() & 255;
    b[10] = b[11] = 0;
    const c = internetChecksum(b, 0, 20);
    const at = 2 * (rnd() % 10);
    if (at === 10) continue;
    const old = (b[at] << 8) | b[at + 1];
    const nw = rnd() & 0xffff;
    b[at] = nw >> 8; b[at + 1] = nw & 255;
    const expect = internetChecksum(b, 0, 20);
    const got = incrementalUpdate16(c, old, nw);
    // 0x0000 and 0xffff are the same value in ones' complement arithmetic.
    assert.equal(got % 0xffff, expect % 0xffff, `case ${n}`);
  }
  const b = new Uint8Array([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  const c = ipv4HeaderChecksum(b, 0);
  b[12] = 192; b[13] = 168; b[14] = 7; b[15] = 9;
  assert.equal(incrementalUpdate32(c, 0x0a000001, 0xc0a80709) % 0xffff, ipv4HeaderChecksum(b, 0) % 0xffff);
});
