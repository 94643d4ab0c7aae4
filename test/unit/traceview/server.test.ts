// The trace viewer's host side through its protocol: row pages, filters (counts from tshark on
// the same file), sort, detail tree (byte ranges by hand), path diagram (RSS hash from Microsoft's
// published verification vector), charts, copy (tshark -x), follow, export (read back by the
// packet layer and tshark), and request validation.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { decodeF64, decodeI16, decodeI8, decodeU32, decodeU8, toBase64, fromBase64 } from '../../../extension/core/traceview/b64';
import { commentTraceOf } from '../../../extension/core/traceview/commentTrace';
import { traceDocument } from '../../../extension/core/traceview/document';
import { formatTime } from '../../../extension/core/traceview/format';
import { deviceTraceOf } from '../../../extension/core/traceview/packetTraceSource';
import type { DetailNode, ViewRequest } from '../../../extension/core/traceview/protocol';
import { TraceViewServer } from '../../../extension/core/traceview/server';
import { makeFixture, MS_VECTOR_TEMPLATE, QUEUES, STEP_NS, T0_SEC, type Fixture } from './fixture';

const N = 5000;
let fx: Fixture;
let dir: string;
let file: string;
let srv: TraceViewServer;

function tshark(args: string[]): string {
  try {
    return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('tshark is missing: install the Debian package "tshark" (scripts/ensure-system-deps.mjs)', { cause: e });
    throw e;
  }
}

/** Packets i < n whose template index is t (the fixture cycles through its templates). */
function countOfTemplate(t: number, n: number, len: number): number { return t >= n ? 0 : Math.floor((n - 1 - t) / len) + 1; }

before(() => {
  fx = makeFixture(N);
  dir = mkdtempSync(join(tmpdir(), 'ntv-'));
  file = join(dir, 'fixture.pcap');
  writeFileSync(file, fx.bytes);
  srv = new TraceViewServer(traceDocument(file, fx.capture, deviceTraceOf(fx.trace, fx.indirection)), {
    exportPcapng: async (bytes, name) => { writeFileSync(join(dir, name), bytes); return { message: `wrote ${name}` }; },
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('base64 columns', () => {
  test('match Node\'s base64 for every length mod 3 and round-trip typed arrays', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 100, 12289]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
      assert.equal(toBase64(b), Buffer.from(b).toString('base64'));
      assert.deepEqual(fromBase64(Buffer.from(b).toString('base64')), b);
    }
    const f = new Float64Array([0.5, -1e300, 1700000000.000001]);
    assert.deepEqual(decodeF64(toBase64(f)), f);
    assert.throws(() => fromBase64('ab$d'), /invalid character at offset 2/);
  });
});

describe('time column', () => {
  test('relative, delta and absolute formats with the capture precision', () => {
    // 1700000000 s is 2023-11-14T22:13:20Z.
    assert.equal(formatTime('absolute', 1700000000, 123456789, 0, 0, 0, 9), '22:13:20.123456789');
    assert.equal(formatTime('absolute', 1700000000, 123456789, 0, 0, 0, 6), '22:13:20.123457');
    assert.equal(formatTime('relative', 1700000002, 5000, 0, 1700000001, 999999000, 9), '0.000006000'); // 2.000005 - 1.999999
    assert.equal(formatTime('delta', 0, 0, 0.00001, 0, 0, 6), '0.000010');
  });
});

async function call<T>(req: ViewRequest): Promise<T> {
  const r = await srv.handle(req);
  if (r.type === 'error') throw new Error(r.message);
  assert.equal(r.inReplyTo, req.id);
  return r.result as T;
}

describe('TraceViewServer', () => {
  test('open reports the capture and the device trace', async () => {
    const o = await call<{ count: number; timePrecision: number; hasDeviceTrace: boolean; firstSec: number; format: string }>({ type: 'open', id: 1 });
    assert.equal(o.count, N);
    assert.equal(o.format, 'pcap');
    assert.equal(o.timePrecision, 9); // nanosecond pcap magic
    assert.equal(o.firstSec, T0_SEC);
    assert.equal(o.hasDeviceTrace, true);
  });

  test('open with `first` returns the view and its first rows exactly as the separate requests do; a bad filter comes back without rows', async () => {
    const filter = 'udp.dstport == 9';
    const o = await call<{ count: number; first: { view: { viewId: number; total: number }; rows: unknown } }>({ type: 'open', id: 1, first: { filter, sort: { column: 'length', descending: true }, rows: 50 } });
    assert.equal(o.count, N);
    const v = srv.view(filter, { column: 'length', descending: true });
    assert.equal(o.first.view.viewId, v.viewId); // the same view (made once, cached by its filter and sort)
    assert.equal(o.first.view.total, v.total);
    assert.deepEqual(o.first.rows, srv.rows(v.viewId, 0, 50));
    const bad = await call<{ first: { view: { error?: { column: number } }; rows?: unknown } }>({ type: 'open', id: 2, first: { filter: 'udp.dstport ==', sort: null, rows: 50 } });
    assert.ok(bad.first.view.error);
    assert.equal(bad.first.rows, undefined);
    const wrong = await srv.handle({ type: 'open', id: 3, first: 7 } as unknown as ViewRequest);
    assert.deepEqual(wrong, { type: 'error', inReplyTo: 3, message: 'open: first must be an object' });
  });

  test('a row page carries every column for the rows asked', async () => {
    const v = srv.view('', null);
    assert.equal(v.total, N);
    const p = srv.rows(v.viewId, 100, 50);
    assert.equal(p.count, 50);
    const index = decodeU32(p.index), delta = decodeF64(p.delta), queue = decodeI16(p.queue), xdp = decodeI8(p.xdp);
    const len = fx.templates.length;
    for (let r = 0; r < 50; r++) {
      const i = 100 + r;
      const t = fx.templateOf(i);
      assert.equal(index[r], i);
      assert.ok(Math.abs(delta[r] - STEP_NS / 1e9) < 1e-12);
      if (t.src) assert.equal(p.source[r], t.src);
      if (t.kind === 'tcp') {
        assert.equal(p.protocol[r], 'TCP');
        assert.match(p.info[r], new RegExp(`^${t.sport} → ${t.dport} \\[`));
      }
      // queue = default indirection table (slot % channels) at hash % 128 slots
      if (t.hashed) assert.equal(queue[r], (t.hash % 128) % QUEUES);
      assert.equal(xdp[r], t.kind === 'udp-discard' ? 1 : 2);
    }
    assert.equal(len, 19);
  });

  test('rows past the end are cut, and a page is capped', async () => {
    const v = srv.view('', null);
    assert.equal(srv.rows(v.viewId, N - 3, 10).count, 3);
    assert.equal(srv.rows(v.viewId, N + 5, 10).count, 0);
    await assert.rejects(call({ type: 'rows', id: 9, viewId: 999, start: 0, count: 1 }), /view 999 is gone/);
  });

  test('filter counts agree with tshark -Y on the same file', () => {
    for (const f of ['udp.dstport == 9', 'tcp && ip.addr == 10.0.3.13', 'ip.flags.mf == 1 || ip.frag_offset > 0', 'tcp.port in {443, 1766}',
      'eth.src[0:3] == 00:15:5d', 'frame.len > 100 && !arp', 'tcp.seq == 1', 'udp.length == 48']) {
      const want = tshark(['-r', file, '-Y', f, '-T', 'fields', '-e', 'frame.number']).split('\n').filter(Boolean).length;
      const v = srv.view(f, null);
      assert.equal(v.error, undefined, f);
      assert.equal(v.total, want, f);
    }
  });

  test('device fields filter through the trace records', () => {
    const len = fx.templates.length;
    const discard = fx.templates.findIndex((t) => t.kind === 'udp-discard');
    assert.equal(srv.view('xdp.verdict == XDP_DROP', null).total, countOfTemplate(discard, N, len));
    const q = (fx.templates[MS_VECTOR_TEMPLATE].hash % 128) % QUEUES;
    const want = fx.templates.reduce((a, t, k) => a + (t.hashed && (t.hash % 128) % QUEUES === q || (!t.hashed && q === 0) ? countOfTemplate(k, N, len) : 0), 0);
    assert.equal(srv.view(`netvsc.queue == ${q}`, null).total, want);
  });

  test('a bad filter names the problem and its column', async () => {
    const r = await call<{ error?: { message: string; column: number } }>({ type: 'checkFilter', id: 3, filter: 'tcp.port == ' });
    assert.ok(r.error);
    assert.equal(r.error.column, 13); // one past the end: tshark says 'Unexpected end of filter expression'
    const r2 = await call<{ error?: { message: string; column: number } }>({ type: 'checkFilter', id: 4, filter: 'ip.src == 1.2.3.4 && nosuchfield' });
    assert.ok(r2.error);
    assert.equal(r2.error.column, 22); // where tshark puts its caret under nosuchfield
    assert.deepEqual(await call({ type: 'checkFilter', id: 5, filter: 'tcp' }), {});
  });

  test('completion lists registry fields by prefix', async () => {
    const r = await call<{ items: { name: string }[] }>({ type: 'complete', id: 6, prefix: 'tcp.fl' });
    assert.ok(r.items.some((i) => i.name === 'tcp.flags.syn'));
    assert.ok(r.items.every((i) => i.name.startsWith('tcp.fl')));
  });

  test('sort by length descending puts the longest frame first, ties in capture order', () => {
    const maxLen = Math.max(...fx.templates.map((t) => t.frame.length));
    const v = srv.view('', { column: 'length', descending: true });
    const p = srv.rows(v.viewId, 0, 3);
    const idx = decodeU32(p.index);
    const first = fx.templates.findIndex((t) => t.frame.length === maxLen);
    assert.deepEqual([...idx], [first, first + 19, first + 38]);
    assert.equal(decodeU32(p.length)[0], maxLen);
  });

  test('sort by source uses numeric order within addresses', () => {
    const v = srv.view('tcp', { column: 'source', descending: false });
    const p = srv.rows(v.viewId, 0, v.total);
    const seen = [...new Set(p.source)];
    // 10.0.2.12 before 10.0.10.20: numbers compare as numbers
    assert.ok(seen.indexOf('10.0.2.12') < seen.indexOf('10.0.10.20'));
    assert.equal(seen[seen.length - 1], '66.9.149.187');
  });

  test('locate finds a packet in a filtered view (or the next one)', () => {
    const v = srv.view('udp.dstport == 9', null);
    const discard = fx.templates.findIndex((t) => t.kind === 'udp-discard');
    assert.equal(srv.locate(v.viewId, discard + 19 * 3), 3);
    assert.equal(srv.locate(v.viewId, discard + 19 * 3 + 1), 4);
    assert.equal(srv.locate(v.viewId, N + 10), -1);
  });

  test('detail tree has Wireshark field names with the right byte ranges', () => {
    const d = srv.detail(0);
    const flat: DetailNode[] = [];
    const walk = (ns: DetailNode[]) => { for (const n of ns) { flat.push(n); if (n.children) walk(n.children); } };
    walk(d.tree);
    const byField = (f: string) => flat.find((n) => n.field === f)!;
    // Ethernet 14 bytes, IPv4 20 bytes: TCP source port at 34, destination at 36, seq at 38.
    assert.deepEqual([byField('tcp.srcport').offset, byField('tcp.srcport').length], [34, 2]);
    assert.equal(byField('tcp.srcport').label, 'Source Port: 40000');
    assert.deepEqual([byField('ip.src').offset, byField('ip.src').length], [26, 4]);
    assert.equal(byField('ip.src').label, 'Source Address: 10.0.0.10');
    assert.equal(byField('ip').label, 'Internet Protocol Version 4, Src: 10.0.0.10, Dst: 10.1.0.1');
    assert.equal(flat.some((n) => n.field === 'ip.addr'), false, 'hidden fields stay out of the tree');
    assert.deepEqual(fromBase64(d.bytes), fx.templates[0].frame);
  });

  test('path diagram: RSS stage carries the hash of Microsoft\'s verification vector and its slot and queue', () => {
    const p = srv.path(MS_VECTOR_TEMPLATE);
    const rss = p.stages.find((s) => s.stage === 'rss-hash')!;
    assert.match(rss.reason ?? '', /^0x51ccc178 /);
    const ch = p.stages.find((s) => s.stage === 'channel')!;
    const inputs = Object.fromEntries(ch.inputs);
    // 0x51ccc178 % 128 = 0x78 = 120; default table: 120 % 8 = 0
    assert.deepEqual([inputs.hash, inputs.slot, inputs['indirection[slot]']], ['0x51ccc178', '120', '0']);
    assert.equal(ch.reason, '0');
    assert.equal(p.stages[p.stages.length - 1].stage, 'deliver');
    const discard = fx.templates.findIndex((t) => t.kind === 'udp-discard');
    const xdp = srv.path(discard).stages.find((s) => s.stage === 'xdp')!;
    assert.equal(xdp.decision, 'XDP_DROP');
    assert.equal(xdp.outcome, 'drop');
  });

  test('path links the fragments of one datagram', () => {
    const first = fx.templates.findIndex((t) => t.kind === 'frag');
    const at = first + 19 * 40;
    const p = srv.path(at);
    // The fixture repeats the same datagram (same addresses, protocol, IP id) every 19 packets:
    // every fragment within the 512-packet search window belongs to it.
    const want: number[] = [];
    for (let j = at - 512; j <= at + 512; j++) if (fx.templateOf(j).kind === 'frag') want.push(j);
    assert.deepEqual(p.related, [{ kind: 'fragments of the same datagram', packets: want }]);
    assert.deepEqual(srv.path(0).related, []);
  });

  test('charts: per-queue counts add up and follow the indirection table', () => {
    const v = srv.view('', null);
    const c = srv.charts(v.viewId, 10);
    assert.equal(c.perQueue.reduce((a, b) => a + b, 0), N);
    assert.deepEqual(c.indirection, fx.indirection);
    assert.equal(c.throughput.reduce((a, b) => a + b, 0), fx.templates.reduce((a, t, k) => a + t.frame.length * countOfTemplate(k, N, 19), 0));
    const drops = c.verdicts.reduce((a, b) => a + b[2], 0); // index = XDP_DROP (1) + 1
    assert.equal(drops, countOfTemplate(fx.templates.findIndex((t) => t.kind === 'udp-discard'), N, 19));
    // 5000 packets 10 µs apart span 49.99 ms: ten buckets of 4.999 ms
    assert.ok(Math.abs(c.bucketSeconds - (N - 1) * STEP_NS / 1e9 / 10) < 1e-9, String(c.bucketSeconds));
  });

  test('copy as hex is tshark -x\'s dump of the frame', async () => {
    const r = await call<{ text: string }>({ type: 'copy', id: 7, packet: 3, as: 'hex' });
    const want = tshark(['-r', file, '-Y', 'frame.number == 4', '-x']).trimEnd();
    assert.equal(r.text, want);
  });

  test('follow gives a filter selecting exactly the flow, both directions', async () => {
    const r = await call<{ filter: string }>({ type: 'follow', id: 8, packet: 5 });
    assert.equal(r.filter, 'ip.addr == 10.0.5.15 && ip.addr == 10.1.0.1 && tcp.port == 40035 && tcp.port == 443');
    assert.equal(srv.view(r.filter, null).total, countOfTemplate(5, N, 19));
    const arp = await call<{ filter: string | null }>({ type: 'follow', id: 9, packet: 18 });
    assert.equal(arp.filter, null);
  });

  test('export writes the view as pcapng with the decisions as comments', async () => {
    const v = srv.view('udp.dstport == 9', null);
    const r = await call<{ message: string }>({ type: 'export', id: 10, viewId: v.viewId });
    assert.match(r.message, /fixture-filtered\.pcapng/);
    const out = join(dir, 'fixture-filtered.pcapng');
    const back = openCaptureBytes(new Uint8Array(readFileSync(out)));
    assert.equal(back.error, undefined);
    assert.equal(back.count, v.total);
    assert.match(back.comments(0)[0], /^wire=rx \(82 bytes\); .*xdp=XDP_DROP/);
    // The comments are the device's own format: the exported file opens again with its device columns.
    const again = commentTraceOf(back)!;
    assert.equal(again.xdp(0), 1);
    const firstExported = decodeU32(srv.rows(v.viewId, 0, 1).index)[0];
    assert.equal(again.queue(0), fx.trace.queue(firstExported));
    assert.equal(again.hash(0), fx.trace.hash(firstExported));
    const ts = tshark(['-r', out, '-T', 'fields', '-e', 'udp.dstport', '-e', 'frame.comment']).split('\n').filter(Boolean);
    assert.equal(ts.length, v.total);
    assert.ok(ts.every((l) => l.startsWith('9\t') && l.includes('rss-hash=hashed (0x')));
  });

  test('bad requests get one clear error, not an exception', async () => {
    await assert.rejects(call({ type: 'detail', id: 11, packet: N } as ViewRequest), /packet 5001 does not exist \(the trace has 5000\)/);
    await assert.rejects(call({ type: 'rows', id: 12, viewId: 1, start: 'x', count: 1 } as unknown as ViewRequest), /start must be an integer/);
    await assert.rejects(call({ type: 'view', id: 13, filter: '', sort: { column: 'bogus', descending: false } } as unknown as ViewRequest), /unknown column "bogus"/);
    await assert.rejects(call({ type: 'action', id: 14, kind: 'stepThrough', packet: 0 }), /not available in this viewer \(read-only\)/);
  });

  test('row flags and colour codes: XDP drops coloured by the XDP rule, fragments by theirs', () => {
    const v = srv.view('', null);
    const p = srv.rows(v.viewId, 0, 19);
    const colour = decodeU8(p.colour);
    const kinds = fx.templates.map((t) => t.kind);
    assert.equal(colour[kinds.indexOf('udp-discard')], 1); // rule 1: XDP drop (before the generic drop rule)
    assert.equal(colour[kinds.indexOf('frag')], 6); // rule 6: fragments
    assert.equal(colour[0], 9); // plain TCP
    assert.equal(colour[kinds.indexOf('udp')], 10); // plain UDP
    assert.equal(colour[kinds.indexOf('arp')], 0);
  });
});
