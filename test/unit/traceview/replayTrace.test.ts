// The viewer over real replays through the device model: a pcapng written with the replay's
// decision comments shows the same device columns and stages as the trace records it came from,
// and a live replay grows the viewer's views as it runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { captureSource, Replayer } from '../../../extension/core/netvsc/replay';
import { buildScenario } from '../../../extension/core/netvsc/scenario';
import { PcapngWriter } from '../../../extension/core/packet/pcapng';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { commentTraceOf, parseDecisionComment } from '../../../extension/core/traceview/commentTrace';
import { traceDocument } from '../../../extension/core/traceview/document';
import { LiveCapture } from '../../../extension/core/traceview/liveCapture';
import { MergeLinks } from '../../../extension/core/traceview/mergeLinks';
import { deviceTraceOf } from '../../../extension/core/traceview/packetTraceSource';
import { TraceViewServer } from '../../../extension/core/traceview/server';
import { makeFixture } from './fixture';

const N = 1900;

function replay() {
  const fx = makeFixture(N);
  const dev = new NetvscDevice({ mac: '00:15:5d:00:00:02' }); // the fixture's destination: every frame is RX
  const rep = new Replayer(dev, captureSource(fx.capture, dev.mac));
  return { fx, dev, rep };
}

test('decision comments parse into stages', () => {
  assert.deepEqual(parseDecisionComment('wire=rx (118 bytes); vf-path=synthetic; rss-hash=hashed (0x51ccc178 TCP 4-tuple (addresses + ports)); channel=queue (0)'), [
    { stage: 'wire', decision: 'rx', reason: '118 bytes' },
    { stage: 'vf-path', decision: 'synthetic' },
    { stage: 'rss-hash', decision: 'hashed', reason: '0x51ccc178 TCP 4-tuple (addresses + ports)' },
    { stage: 'channel', decision: 'queue', reason: '0' },
  ]);
});

test('a replay\'s pcapng shows the same device columns as the trace records', () => {
  const { fx, rep } = replay();
  rep.runAll();
  const t = rep.trace!;
  assert.equal(t.count, N);
  const w = new PcapngWriter();
  const parts = [w.shb('test'), w.idb({ linkType: 1, name: 'eth0' })];
  for (let i = 0; i < N; i++) parts.push(w.epb({ iface: 0, tsSec: fx.capture.index.tsSec[i], tsNsec: fx.capture.index.tsNsec[i], data: fx.capture.packet(i), comments: [t.comment(i)] }));
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { bytes.set(p, o); o += p.length; }
  const back = openCaptureBytes(bytes, 'replay.pcapng');
  const fromComments = commentTraceOf(back)!;
  const fromRecords = deviceTraceOf(t);
  assert.ok(fromComments, 'replay comments recognised');
  for (let i = 0; i < N; i++) {
    assert.equal(fromComments.queue(i), fromRecords.queue(i), `queue of ${i}`);
    assert.equal(fromComments.hash(i), fromRecords.hash(i), `hash of ${i}`);
    assert.equal(fromComments.hashValid(i), fromRecords.hashValid(i), `hash valid of ${i}`);
    assert.equal(fromComments.xdp(i), fromRecords.xdp(i), `xdp of ${i}`);
    assert.equal(fromComments.drop(i), fromRecords.drop(i), `drop of ${i}`);
    assert.equal(fromComments.path(i), fromRecords.path(i), `path of ${i}`);
  }
  // Through the server: the path diagram of a packet matches the records' stages.
  const srv = new TraceViewServer(traceDocument('replay.pcapng', back, fromComments));
  const p = srv.path(12);
  assert.deepEqual(p.stages.map((s) => s.stage), t.stagesOf(12).map((s) => s.stage));
  assert.equal(srv.view('netvsc.queue == 0', null).total, [...Array(N).keys()].filter((i) => t.queue(i) === 0).length);
  // A capture without replay comments has no device trace.
  assert.equal(commentTraceOf(fx.capture), undefined);
});

test('a live replay grows the views as it runs', () => {
  const { rep } = replay();
  const cap = new LiveCapture(rep.source);
  const srv = new TraceViewServer(traceDocument('live', cap, deviceTraceOf(rep.trace!), { live: true }));
  assert.equal(srv.open().count, 0);
  rep.runSlice(500);
  cap.sync(rep.position);
  assert.equal(srv.grown().type, 'grown');
  assert.equal(srv.view('', null).total, 500);
  const tcp500 = srv.view('tcp', null).total;
  rep.runAll();
  cap.sync(rep.position);
  const ev = srv.grown();
  assert.deepEqual(ev, { type: 'grown', count: N });
  assert.equal(srv.view('', null).total, N);
  // 13 of every 19 fixture frames are TCP (12 flows and the RSS verification flow).
  assert.equal(srv.view('tcp', null).total, 13 * (N / 19));
  assert.ok(tcp500 < 13 * (N / 19));
  const page = srv.rows(srv.view('', null).viewId, N - 1, 1);
  assert.equal(page.count, 1);
});

/** Six in-order segments of one flow, PSH on the sixth: the host coalesces them into one receive. */
function rscReplay() {
  const src = buildScenario({ flows: [
    { dir: 'rx', proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 80, packets: 6, payload: 500, pushEvery: 6, burst: 6 },
  ], guestMac: '00:15:5d:00:00:01' });
  const links = new MergeLinks();
  const rep = new Replayer(new NetvscDevice({ mac: '00:15:5d:00:00:01' }), src, { sink: links });
  rep.runAll();
  const t = rep.trace!;
  const head = [...Array(t.count).keys()].find((i) => t.record(i).flags.includes('rsc'))!;
  const absorbed = [...Array(t.count).keys()].filter((i) => t.record(i).flags.includes('rsc-absorbed'));
  return { src, links, t, head, absorbed };
}

test('segments RSC coalesced are linked to their head both ways', () => {
  const { src, links, t, head, absorbed } = rscReplay();
  assert.equal(absorbed.length + 1, t.record(head).rscSegments); // the head carries all six segments
  const cap = new LiveCapture(src);
  cap.sync(t.count);
  const srv = new TraceViewServer(traceDocument('rsc', cap, deviceTraceOf(t, [], links)));
  assert.deepEqual(srv.path(head).related, [{ kind: 'segments RSC coalesced into this one', packets: absorbed }]);
  assert.deepEqual(srv.path(absorbed[0]).related, [{ kind: 'merged by RSC into', packets: [head] }]);
});

test('the RSC links survive an export: the reopened pcapng links the segments to their head both ways', async () => {
  const { traceToPcapng } = await import('../../../extension/core/trace/pcapngExport');
  const { src, links, t, head, absorbed } = rscReplay();
  assert.equal(absorbed.length, 5);
  const file = traceToPcapng(t, { bytes: (i) => src.arena.subarray(src.offsets[i], src.offsets[i] + src.lengths[i]), time: (i) => src.time(i), isTx: () => false },
    'eth0', (i) => links.mergedInto(i));
  const cap = openCaptureBytes(file);
  // the comment a person reads in Wireshark: 1-based frame numbers
  assert.ok(cap.comments(absorbed[0]).includes(`merged into frame ${head + 1} by RSC`), cap.comments(absorbed[0]).join(' | '));
  const reopened = commentTraceOf(cap)!;
  const srv = new TraceViewServer(traceDocument('reopened', cap, reopened));
  assert.deepEqual(srv.path(head).related, [{ kind: 'segments RSC coalesced into this one', packets: absorbed }]);
  assert.deepEqual(srv.path(absorbed[2]).related, [{ kind: 'merged by RSC into', packets: [head] }]);
  // and the viewer's own export, from the live trace, writes the same comment
  const live = new LiveCapture(src);
  live.sync(t.count);
  const liveSrv = new TraceViewServer(traceDocument('rsc', live, deviceTraceOf(t, [], links)));
  const exported = openCaptureBytes(liveSrv.exportPcapng(liveSrv.view('', null).viewId));
  assert.ok(exported.comments(absorbed[0]).includes(`merged into frame ${head + 1} by RSC`), exported.comments(absorbed[0]).join(' | '));
});
