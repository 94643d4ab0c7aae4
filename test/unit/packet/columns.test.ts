// The column cache's storage: occurrences of any count per packet, columns that start 4 bytes wide
// and widen on a value a Uint32Array cannot hold, capacity projected early and grown late.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldColumns } from '../../../extension/core/packet/columns';
import { Dissection } from '../../../extension/core/packet/dissection';
import { F } from '../../../extension/core/packet/fields';

/** Packet i's occurrences of the field, as the fake dissector stores them. */
function occurrences(i: number): number[] {
  if (i < 1500) return i % 700 === 5 ? [i] : []; // nearly nothing in the first part: the early projection is too small
  if (i === 3000) return [-1, 1.5, 4294967296, 4294967295]; // values a Uint32Array cannot hold
  return i % 3 === 0 ? [] : [i, i + 1, i * 1000]; // then three per packet: the columns grow late
}

test('columns keep every occurrence exactly: sparse then dense packets, values past uint32', () => {
  const n = 6000;
  const cols = new FieldColumns(n, () => new Uint8Array(0));
  const d = new Dissection();
  const fid = F['frame.len'], other = F['tcp.seq_raw'];
  cols.extract([fid, other], (i) => {
    d.reset(new Uint8Array(0));
    for (const v of occurrences(i)) d.add(fid, 0, 0, v, 1);
    if (i % 2) d.add(other, 0, 0, 7, 1);
    return d;
  });
  for (let i = 0; i < n; i++) {
    const want = occurrences(i);
    assert.equal(cols.count(fid, i), want.length, `packet ${i}`);
    want.forEach((v, k) => assert.equal(cols.num(fid, i, k), v, `packet ${i} occurrence ${k}`));
    assert.equal(cols.count(other, i), i % 2);
    if (i % 2) assert.equal(cols.num(other, i, 0), 7);
  }
  assert.equal(cols.str(fid, 3000, 1), '1.5');
});
