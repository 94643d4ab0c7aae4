// The XDP program's bpf_printk output, per packet: a clang-compiled program prints each UDP
// datagram's destination port; replayed through the device, the trace keeps exactly those lines
// against the packet that printed them, the path diagram's XDP stage shows them, the pcapng export
// carries them as comments tshark reads without complaint, and the buffer overwrites its oldest
// lines with a "lines dropped" note when full.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GUEST, printkPackets, replayPrintk, replayPrintkBounded, type Sent } from './printkFixture';
import { buildPath } from '../../../extension/core/traceview/pathDiagram';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';
import { PcapWriter } from '../../../extension/core/packet/pcap';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { PacketTrace } from '../../../extension/core/trace/packetTrace';
import { traceToPcapng } from '../../../extension/core/trace/pcapngExport';
import { commentTraceOf } from '../../../extension/core/traceview/commentTrace';
import { traceDocument } from '../../../extension/core/traceview/document';
import { LiveCapture } from '../../../extension/core/traceview/liveCapture';
import { MergeLinks } from '../../../extension/core/traceview/mergeLinks';
import { deviceTraceOf } from '../../../extension/core/traceview/packetTraceSource';
import { TraceViewServer } from '../../../extension/core/traceview/server';

/** tshark reads `file` without warnings; packet i's comments are its decisions, then `printk: LINE` per line. */
function assertTsharkComments(file: string, sent: readonly Sent[]): void {
  // frame.comment in tshark 4.0 (pkt_comment before 3.6); every occurrence, joined by '|'.
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', '-e', 'frame.comment'], { encoding: 'utf8' });
  if (r.error) throw new Error(`tshark not runnable (Debian package tshark): ${r.error.message}`);
  assert.equal(r.status, 0, r.stderr);
  // Only tshark's notice about running as root may appear (CI containers); no read warnings.
  assert.equal(r.stderr.split('\n').filter((l) => l && !l.startsWith('Running as user')).join('\n'), '', 'tshark warned');
  const rows = r.stdout.trimEnd().split('\n');
  assert.equal(rows.length, sent.length);
  rows.forEach((row, i) => {
    const comments = row.split('|');
    assert.match(comments[0], /^wire=rx /);
    assert.deepEqual(comments.slice(1), sent[i].expect.map((l) => `printk: ${l}`), `packet ${i}`);
  });
}

test('each packet\'s printk lines are recorded against that packet, as the program prints them for its bytes', () => {
  const { rep, sent } = replayPrintk();
  const t = rep.trace!;
  assert.equal(t.count, sent.length);
  for (let i = 0; i < sent.length; i++) assert.deepEqual([...t.printkOf(i)], sent[i].expect, `packet ${i}`);
  assert.equal(t.record(4).verdict, 'XDP_DROP'); // printed, then dropped: its lines are still its own
  assert.equal(t.printkDropped, 0);
  assert.equal(t.printkLostNote(0), '');
  // The flat list (the CLI's --json xdpPrintk) keeps every line in order.
  assert.deepEqual(rep.pipeline.printk, sent.flatMap((s) => s.expect));
  const j = t.toJSON();
  assert.deepEqual(j.packets[0].printk, sent[0].expect);
  assert.equal(j.packets[2].printk, undefined);
});

test('the path diagram of packet k shows its printk lines in the XDP stage (also with a tee of sinks)', () => {
  const links = new MergeLinks();
  const { rep, sent, src } = replayPrintk({ sink: links });
  const cap = new LiveCapture(src);
  cap.sync(rep.trace!.count);
  const srv = new TraceViewServer(traceDocument('printk', cap, deviceTraceOf(rep.trace!, [], links)));
  for (let k = 0; k < sent.length; k++) {
    const xdp = srv.path(k).stages.find((s) => s.stage === 'xdp');
    assert.ok(xdp, `packet ${k} has an XDP stage`);
    assert.deepEqual(xdp.output ?? [], sent[k].expect, `packet ${k}`);
    assert.equal(xdp.outputNote, undefined);
  }
  assert.equal(srv.path(4).stages.find((s) => s.stage === 'xdp')!.decision, 'XDP_DROP');
});

test('the pcapng export carries the lines as packet comments tshark reads without warnings; the viewer reads them back', () => {
  const { rep, sent, src } = replayPrintk();
  const bytes = traceToPcapng(rep.trace!, { bytes: (i) => sent[i].frame, time: (i) => src.time(i), isTx: () => false });
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-printk-pcapng-'));
  try {
    const file = join(dir, 'out.pcapng');
    writeFileSync(file, bytes);
    assertTsharkComments(file, sent);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const back = openCaptureBytes(bytes, 'out.pcapng');
  const srv = new TraceViewServer(traceDocument('out.pcapng', back, commentTraceOf(back)!));
  for (let k = 0; k < sent.length; k++) assert.deepEqual(srv.path(k).stages.find((s) => s.stage === 'xdp')!.output ?? [], sent[k].expect, `packet ${k}`);
});

test('netvsc-lab replay --xdp PROG.c -o out.pcapng: the file carries each packet\'s printk lines; --json keeps the flat xdpPrintk list', async () => {
  const sent = printkPackets();
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-printk-cli-'));
  try {
    const w = new PcapWriter(1);
    writeFileSync(join(dir, 'in.pcap'), Buffer.concat([w.header(), ...sent.map((s, i) => w.record(s.frame, 1, i * 1000))]));
    writeFileSync(join(dir, 'lro.ethtool'), 'ethtool -K eth0 lro off\n');
    const io = memoryIO(dir);
    const code = await main(['replay', '--pcap', 'in.pcap', '--state', 'dev.json', '--cpus', '1', '--guest-mac', GUEST, '--script', 'lro.ethtool',
      '--xdp', resolve(__dirname, 'fixtures/xdp_printk_port.c'), '-o', 'out.pcapng', '--json', 'r.json'], io);
    assert.equal(io.stderr, '');
    assert.equal(code, 0);
    assertTsharkComments(join(dir, 'out.pcapng'), sent);
    const j = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { xdpPrintk: string[] };
    assert.deepEqual(j.xdpPrintk, sent.flatMap((s) => s.expect));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full printk buffer overwrites the oldest packets\' lines and says how many were dropped', () => {
  const t = new PacketTrace({ maxLines: 5, maxChars: 1000 });
  for (let i = 0; i < 6; i++) t.begin(i, i, 60, 0);
  t.printk(0, ['a0', 'b0']);
  t.printk(1, ['a1']);
  t.printk(3, ['a3', 'b3']);
  assert.equal(t.printkLineCount, 5);
  t.printk(4, ['a4', 'b4', 'c4']); // needs 3 more: packets 0 (2 lines) and 1 (1 line) go, oldest first
  assert.deepEqual([...t.printkOf(0)], []);
  assert.deepEqual([...t.printkOf(1)], []);
  assert.deepEqual([...t.printkOf(3)], ['a3', 'b3']);
  assert.deepEqual([...t.printkOf(4)], ['a4', 'b4', 'c4']);
  assert.equal(t.printkDropped, 3);
  assert.equal(t.printkLineCount, 5);
  assert.match(t.printkLostNote(0), /^3 earlier printk lines dropped .*packets up to 2 were overwritten/);
  assert.notEqual(t.printkLostNote(1), '');
  assert.equal(t.printkLostNote(3), ''); // its lines are all there
  assert.equal(t.printkLostNote(5), ''); // after every overwritten packet
  // One run longer than the whole buffer keeps its newest lines.
  t.printk(5, ['1', '2', '3', '4', '5', '6', '7']);
  assert.deepEqual([...t.printkOf(5)], ['3', '4', '5', '6', '7']);
  assert.equal(t.printkDropped, 3 + 2 + 5);
  // The character bound counts too.
  const c = new PacketTrace({ maxLines: 100, maxChars: 10 });
  c.begin(0, 0, 60, 0); c.begin(1, 0, 60, 0);
  c.printk(0, ['123456']);
  c.printk(1, ['abcdef']);
  assert.deepEqual([...c.printkOf(0)], []);
  assert.deepEqual([...c.printkOf(1)], ['abcdef']);
  assert.equal(c.printkCharCount, 6);
});

test('the viewer model carries the dropped-lines note for an overwritten packet', () => {
  const { trace: t, sent } = replayPrintkBounded({ maxLines: 1 });
  // Buffer of one line: only the last line printed (packet 5's) survives.
  assert.deepEqual([...t.printkOf(5)], sent[5].expect);
  const dropped = sent.slice(0, 5).reduce((a, s) => a + s.expect.length, 0);
  assert.equal(t.printkDropped, dropped);
  const stage = buildPath(deviceTraceOf(t).stages(0)).find((s) => s.stage === 'xdp')!;
  assert.equal(stage.output, undefined);
  assert.match(stage.outputNote ?? '', new RegExp(`^${dropped} earlier printk lines dropped .*packets up to 5 were overwritten`));
  assert.deepEqual(buildPath(deviceTraceOf(t).stages(5)).find((s) => s.stage === 'xdp')!.output, sent[5].expect);
});
