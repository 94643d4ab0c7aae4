// The plain dissector (plain.ts) against the full dissector (dissect.ts, itself checked against
// tshark in differential.test.ts): for every packet it takes, the items of every plain field must be
// the full dissector's, item for item (field, offset, length, value, depth, flags), in the same
// order; and it must take the plain shapes and decline tunnels and headers cut short.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildPacket, concatBytes, fragmentIp } from '../../../extension/core/packet/build';
import { FilterEngine } from '../../../extension/core/packet/columns';
import { DissectContext, dissectFrame, type FrameInfo } from '../../../extension/core/packet/dissect';
import { Dissection } from '../../../extension/core/packet/dissection';
import { F, FIELDS } from '../../../extension/core/packet/fields';
import { openCaptureFile } from '../../../extension/core/packet/fileSource';
import { compileFilter } from '../../../extension/core/packet/filter';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from '../../../extension/core/packet/flow';
import { dissectPlain, isPlainField, PLAIN_FIELDS, PlainFieldsWriter, walkPlain } from '../../../extension/core/packet/plain';
import { fieldsText } from '../../../extension/core/packet/dissection';
import { FieldsOutput } from '../../../extension/core/packet/fieldsOutput';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { generateScenario, parseScenario } from '../../../extension/core/packet/scenario';
import { CaptureSession } from '../../../extension/core/packet/session';
import { captureBytes } from '../../../extension/core/packet/writer';
import { corpusFrames } from './corpus';
import { tmpFile } from './tshark';

interface Item { fid: number; start: number; len: number; val: number; depth: number; flags: number }

function items(d: Dissection): Item[] {
  const out: Item[] = [];
  for (let i = 0; i < d.n; i++) out.push({ fid: d.fid[i], start: d.start[i] - d.origin, len: d.len[i], val: d.val[i], depth: d.depth[i], flags: d.flags[i] });
  return out;
}
const show = (it: Item[]) => it.map((x) => `${FIELDS[x.fid].abbrev}@${x.start}+${x.len}=${x.val} d${x.depth} f${x.flags}`).join('\n');

function info(len: number, origLen: number, linkType: number): FrameInfo {
  return { number: 7, tsSec: 1, tsNsec: 2, hasTime: true, relSec: 0, relNsec: 0, deltaSec: 0, deltaNsec: 0, capLen: len, origLen, iface: 0, linkType };
}

/** Compares plain and full on one packet under one mask; returns whether plain took it. */
function compare(pkt: Uint8Array, linkType: number, mask: number[], origLen = pkt.length, label = ''): boolean {
  const full = new Dissection();
  full.only(mask);
  dissectFrame(pkt, info(pkt.length, origLen, linkType), new DissectContext(), full);
  // In place inside a bigger buffer, as the CLI and the column fill read packets.
  const pad = 13;
  const big = new Uint8Array(pad + pkt.length + 40).fill(0xee);
  big.set(pkt, pad);
  const d = new Dissection();
  d.only(mask);
  const took = dissectPlain(big, pad, pkt.length, origLen, linkType, 7, d);
  if (!took) return false;
  const want = items(full);
  assert.equal(show(items(d)), show(want), `plain vs full ${label}`);
  // The column-fill form hands the same items to a sink.
  const got: Item[] = [];
  const w = new Uint8Array(FIELDS.length);
  for (const f of mask) w[f] = 1;
  assert.equal(walkPlain(big, pad, pkt.length, origLen, linkType, 7, w, {
    item: (fid, start, len, val) => { got.push({ fid, start, len, val, depth: 0, flags: 0 }); },
  }), true);
  assert.deepEqual(got.map((x) => [x.fid, x.start, x.len, x.val]), want.map((x) => [x.fid, x.start, x.len, x.val]), `sink ${label}`);
  return true;
}

function scenarioFrames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const name of ['mixed.yaml', 'syn-flood.yaml', 'fragments.json', 'qinq-and-mix.yaml']) {
    for (const p of generateScenario(parseScenario(readFileSync(`examples/scenarios/${name}`, 'utf8'), name))) out.push(p.data);
  }
  return out;
}

/** Edge shapes beyond the corpus: IP options, bogus lengths, tag stacks, extension headers, IP in IP. */
function edgeFrames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const tcp = buildPacket({ eth: {}, ip: { src: '10.1.0.1', dst: '10.1.0.2' }, l4: { tcp: { sport: 80, dport: 40000, flags: 0x18 } }, payload: 30 });
  out.push(tcp);
  const opts = buildPacket({ eth: { vlans: [{ vid: 7 }, { vid: 8 }] }, ip: { src: '1.2.3.4', dst: '5.6.7.8', options: new Uint8Array([1, 1, 0x94, 4, 0, 0, 1, 0]) }, l4: { udp: { sport: 1, dport: 2 } }, payload: 9 });
  out.push(opts);
  const badIhl = tcp.slice(); badIhl[14] = 0x44; out.push(badIhl); // header length 16
  const shortTot = tcp.slice(); shortTot[16] = 0; shortTot[17] = 10; out.push(shortTot); // total length < header
  const longTot = tcp.slice(); longTot[16] = 0x05; longTot[17] = 0xdc; out.push(longTot); // total length past the frame
  const badTcp = tcp.slice(); badTcp[14 + 20 + 12] = 0x30; out.push(badTcp); // TCP header length 12
  const q9100 = tcp.slice(); out.push(concatBytes(q9100.subarray(0, 12), new Uint8Array([0x91, 0x00, 0x20, 0x05]), q9100.subarray(12)));
  out.push(buildPacket({ eth: { vlans: [{ tpid: 0x88a8, vid: 100 }, { vid: 200 }] }, ip: { src: '9.9.9.9', dst: '8.8.8.8' }, l4: { icmp: { type: 8, id: 1, seq: 2 } }, payload: 4 }));
  const v6 = buildPacket({ eth: {}, ip: { version: 6, src: 'fe80::1', dst: 'ff02::1:ff00:1', hopByHop: new Uint8Array([5, 2, 0, 0]) }, l4: { tcp: { sport: 5, dport: 6 } }, payload: 3 });
  out.push(v6);
  out.push(...fragmentIp(buildPacket({ eth: {}, ip: { version: 6, src: '2001:db8::5', dst: '2001:db8::6' }, l4: { tcp: { sport: 7, dport: 8 } }, payload: 3000 }), 1280, { ipv6Id: 5 }));
  out.push(...fragmentIp(buildPacket({ eth: {}, ip: { src: '3.3.3.3', dst: '4.4.4.4', id: 9 }, l4: { icmp: { type: 8, id: 3, seq: 4 } }, payload: 3000 }), 1500));
  const noNext = v6.slice(); noNext[14 + 6] = 59; out.push(noNext); // IPv6 "no next header"
  const ipip = buildPacket({ eth: {}, ip: { src: '1.1.1.1', dst: '2.2.2.2' }, l4: { udp: { sport: 3, dport: 4 } }, payload: 2 });
  const outer = buildPacket({ eth: {}, ip: { src: '7.7.7.7', dst: '6.6.6.6' }, l4: { udp: { sport: 9, dport: 10 } }, payload: ipip.subarray(14) });
  const proto4 = outer.slice(); proto4[14 + 9] = 4; out.push(proto4.subarray(0, 14 + 20 + ipip.length - 14)); // IPv4 in IPv4
  return out;
}

const SINGLE_MASKS = PLAIN_FIELDS.map((f) => [f]);

test('the plain fields are what the full dissector stores for them, packet by packet (corpus, scenarios, edge shapes)', () => {
  let took = 0, all = 0;
  const frames = [...corpusFrames(), ...scenarioFrames(), ...edgeFrames()];
  for (const [k, pkt] of frames.entries()) {
    all++;
    if (compare(pkt, LINKTYPE_ETHERNET, PLAIN_FIELDS, pkt.length, `frame ${k}`)) took++;
    // Each field on its own: the slot plans must give the same items as the whole set.
    for (const m of SINGLE_MASKS) compare(pkt, LINKTYPE_ETHERNET, m, pkt.length, `frame ${k} ${FIELDS[m[0]].abbrev}`);
  }
  // Declined: the corpus's VXLAN, Geneve and 2 GRE frames and its TCP frame cut inside the TCP
  // header; the edge frames with an IP header length of 16, a total length below the header length,
  // a TCP header length of 12, and IPv4 in IPv4. Every other frame is plain.
  assert.equal(all - took, 9, `declined ${all - took} of ${all}`);
});

test('the plain dissector declines tunnels and headers cut short, and matches at every truncation', () => {
  const corpus = corpusFrames();
  const vxlan = corpus.find((p) => p[14 + 9] === 17 && ((p[36] << 8) | p[37]) === 4789)!;
  const geneve = corpus.find((p) => p[14 + 9] === 17 && ((p[36] << 8) | p[37]) === 6081)!;
  const gre = corpus.find((p) => p[14 + 9] === 47)!;
  for (const p of [vxlan, geneve, gre]) assert.equal(compare(p, LINKTYPE_ETHERNET, PLAIN_FIELDS), false);
  // Every prefix of every edge frame, as captured with a small snaplen (origLen stays the wire length).
  for (const pkt of [...edgeFrames(), ...corpus.slice(0, 12)]) {
    for (let cut = 0; cut <= pkt.length; cut++) compare(pkt.subarray(0, cut), LINKTYPE_ETHERNET, PLAIN_FIELDS, pkt.length, `cut ${cut}`);
  }
  // A frame cut inside the Ethernet, IP and TCP headers is the full dissector's (malformed marker).
  const tcp = edgeFrames()[0];
  for (const cut of [10, 30, 40]) assert.equal(compare(tcp.subarray(0, cut), LINKTYPE_ETHERNET, PLAIN_FIELDS), false);
  assert.equal(compare(tcp.subarray(0, 60), LINKTYPE_ETHERNET, PLAIN_FIELDS, tcp.length), true); // cut in the payload: still plain
});

test('raw IP, Linux cooked (SLL, SLL2) and other link types', () => {
  for (const pkt of [...corpusFrames(), ...edgeFrames()]) {
    const ip = pkt.subarray(14);
    compare(ip, LINKTYPE_RAW, PLAIN_FIELDS);
    compare(ip, 12, PLAIN_FIELDS);
    const sll = concatBytes(new Uint8Array([0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]), pkt.subarray(12));
    assert.equal(sll.length, pkt.length + 2);
    compare(sll, LINKTYPE_LINUX_SLL, PLAIN_FIELDS);
    const sll2 = concatBytes(pkt.subarray(12, 14), new Uint8Array([0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0]), pkt.subarray(14));
    compare(sll2, LINKTYPE_LINUX_SLL2, PLAIN_FIELDS);
    assert.equal(compare(pkt, 147, PLAIN_FIELDS), true); // a user link type: data only, no plain field
  }
});

test('fuzz: thousands of mutated frames give the full dissector\'s items whenever the plain dissector takes them', () => {
  let seed = 0x2545f491;
  const rnd = (n: number) => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
  const base = [...corpusFrames(), ...edgeFrames()];
  const masks = [PLAIN_FIELDS, [F['ip.addr'], F['tcp.port'], F['udp.length']], [F['frame.len'], F['ip.src'], F['ip.dst'], F['tcp.srcport'], F['udp.dstport']]];
  let took = 0;
  const N = 6000;
  for (let t = 0; t < N; t++) {
    const src = base[rnd(base.length)];
    const pkt = src.slice(0, rnd(4) === 0 ? rnd(src.length + 1) : src.length);
    const flips = 1 + rnd(4);
    // Mutate the header bytes mostly (type, lengths, next-header fields), sometimes anywhere.
    for (let k = 0; k < flips && pkt.length; k++) pkt[rnd(Math.min(pkt.length, rnd(2) ? 80 : pkt.length))] = rnd(256);
    const lt = [LINKTYPE_ETHERNET, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL][rnd(4)];
    const orig = pkt.length + (rnd(3) === 0 ? rnd(3000) : 0);
    if (compare(pkt, lt, masks[rnd(masks.length)], orig, `fuzz ${t}`)) took++;
  }
  assert.ok(took > N / 3, `plain took ${took} of ${N}`);
});

test('a filter\'s column fill through the plain walker equals filtering full dissections (in memory, file window, packet copies)', () => {
  const pkts = [...generateScenario(parseScenario(readFileSync('examples/scenarios/qinq-and-mix.yaml', 'utf8'))),
    ...corpusFrames().map((data, i) => ({ tsSec: 1700000000 + i, tsNsec: 0, data }))];
  const bytes = captureBytes(pkts, { format: 'pcapng' });
  const filters = ['ip.addr == 10.9.0.0/16 && tcp.port in {5001..5004} || udp.length > 1000', 'vlan.id == 20 || ipv6', 'tcp.flags.syn == 1 && tcp.flags.ack == 0',
    'frame.len > 1000 && ip.ttl < 70', 'eth.src[0:3] == 00:15:5d && udp', 'icmp.type == 8 || icmpv6.type == 128', 'tcp.len > 100', 'ipv6.addr == 2001:db8::/32'];
  for (const f of filters) assert.ok(compileFilter(f).fields.every(isPlainField), f);
  const file = openCaptureFile(tmpFile('plain-filter.pcapng', bytes), { chunkSize: 4096 });
  const mem = openCaptureBytes(bytes);
  const copies = { ...mem, packetRef: undefined, source: { ...mem.source, bytes: undefined } }; // no in-place access
  try {
    for (const cap of [mem, file, copies]) {
      const engine = new FilterEngine(new CaptureSession(cap, { withComments: false }));
      const ref = new CaptureSession(openCaptureBytes(bytes), { withComments: false });
      for (const text of filters) {
        const got = engine.apply(text);
        const filter = compileFilter(text);
        const want = new Uint8Array(cap.count);
        ref.forEach((i, d) => { want[i] = filter.matchDissection(d, i) ? 1 : 0; });
        assert.deepEqual([...got].map((x, i) => (x ? i + 1 : 0)).filter(Boolean), [...want].map((x, i) => (x ? i + 1 : 0)).filter(Boolean), text);
        assert.ok(want.some((x) => x === 1) && want.some((x) => x === 0), `${text} matches some packets, not all`);
      }
    }
  } finally { file.close(); }
});

test('-T fields lines written straight from the headers (PlainFieldsWriter) equal the full dissector\'s text, fuzz included', () => {
  let seed = 0x1234567;
  const rnd = (n: number) => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
  const sets = [PLAIN_FIELDS, [F['frame.len'], F['ip.src'], F['ip.dst'], F['tcp.srcport'], F['udp.dstport']],
    [F['vlan.id'], F['ip.addr'], F['ipv6.addr'], F['tcp.port'], F['udp.port'], F['eth.addr'], F['ip.version'], F['tcp'], F['icmpv6']]];
  const writers = sets.map((ids) => new PlainFieldsWriter(ids));
  const base = [...corpusFrames(), ...scenarioFrames(), ...edgeFrames()];
  const full = new Dissection();
  let lines = 0;
  const check = (pkt: Uint8Array, orig: number, lt: number) => {
    const pad = 5;
    const big = new Uint8Array(pad + pkt.length + 8);
    big.set(pkt, pad);
    for (const [k, ids] of sets.entries()) {
      let got = '';
      const out = new FieldsOutput((t) => { got += t; });
      if (!writers[k].line(big, pad, pkt.length, orig, lt, 7, out)) continue;
      out.end();
      full.only(ids);
      dissectFrame(pkt, info(pkt.length, orig, lt), new DissectContext(), full);
      assert.equal(got, ids.map((id) => fieldsText(full, id)).join('\t') + '\n');
      lines++;
    }
  };
  for (const pkt of base) check(pkt, pkt.length, LINKTYPE_ETHERNET);
  for (let t = 0; t < 3000; t++) {
    const pkt = base[rnd(base.length)].slice();
    for (let k = 0; k < 1 + rnd(3); k++) pkt[rnd(Math.min(pkt.length, 70))] = rnd(256);
    check(pkt.subarray(0, rnd(5) === 0 ? rnd(pkt.length + 1) : pkt.length), pkt.length, [LINKTYPE_ETHERNET, LINKTYPE_RAW][rnd(2)]);
  }
  assert.ok(lines > 5000, `${lines} lines`);
});
