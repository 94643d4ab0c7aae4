/**
 * Test and bench data for the trace viewer: a pcap of N packets built from real frames
 * (`packet/build.ts`, every checksum right) and the device trace of them in the device engineer's
 * `PacketTrace`, with the RSS hash computed by the real Toeplitz code over the real key and the
 * queue read from the default indirection table. The XDP verdict follows a stated rule (UDP to
 * port 9 is XDP_DROP, like examples/xdp/xdp_drop_udp.c's discard port; the rest XDP_PASS).
 *
 *   makeFixture(n) -> { bytes, capture, trace, indirection, templates, expect }
 */
import { buildArp, buildPacket, fragmentIp } from '../../../extension/core/packet/build';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { NETVSC_HASH_KEY, ITAB_NUM } from '../../../extension/core/netvsc/constants';
import { ToeplitzKey } from '../../../extension/core/netvsc/toeplitz';
import { Counter, Decision, Reason, Stage } from '../../../extension/core/trace/codes';
import { PacketTrace } from '../../../extension/core/trace/packetTrace';
import type { Capture } from '../../../extension/core/packet/capture';

export const T0_SEC = 1700000000;
/** Index of the RSS verification flow among the templates. */
export const MS_VECTOR_TEMPLATE = 12;
/** Nanoseconds between packets. */
export const STEP_NS = 10_000;
export const QUEUES = 8;

export interface Template { frame: Uint8Array; kind: 'tcp' | 'udp' | 'udp-discard' | 'frag' | 'arp'; hash: number; hashed: boolean; sport: number; dport: number; src: string; dst: string }

function ipBytes(s: string): Uint8Array { return Uint8Array.from(s.split('.').map(Number)); }
function port(p: number): Uint8Array { return Uint8Array.of(p >> 8, p & 255); }

export function templates(): Template[] {
  const key = new ToeplitzKey(Uint8Array.from(NETVSC_HASH_KEY));
  const out: Template[] = [];
  const eth = { src: '00:15:5d:00:00:01', dst: '00:15:5d:00:00:02' };
  for (let f = 0; f < 12; f++) {
    const src = `10.0.${f}.${10 + f}`, dst = '10.1.0.1', sport = 40000 + f * 7, dport = 443;
    const frame = buildPacket({ eth, ip: { src, dst, ttl: 64, id: f }, l4: { tcp: { sport, dport, seq: 1000 * f, ack: 1, flags: 0x18, window: 512 } }, payload: 64 + f * 10 });
    // TCP: 4-tuple hash (src, dst, sport, dport) as the host computes it for NDIS_HASH_TCP_IPV4.
    out.push({ frame, kind: 'tcp', hash: key.hashTuple([ipBytes(src), ipBytes(dst), port(sport), port(dport)]), hashed: true, sport, dport, src, dst });
  }
  {
    // The flow of Microsoft's RSS verification suite ("Verifying the RSS Hash Calculation"):
    // 66.9.149.187:2794 -> 161.142.100.80:1766 hashes to 0x51ccc178 with the standard key.
    const src = '66.9.149.187', dst = '161.142.100.80', sport = 2794, dport = 1766;
    const frame = buildPacket({ eth, ip: { src, dst, ttl: 64, id: 77 }, l4: { tcp: { sport, dport, seq: 5, ack: 1, flags: 0x10, window: 1024 } }, payload: 20 });
    out.push({ frame, kind: 'tcp', hash: key.hashTuple([ipBytes(src), ipBytes(dst), port(sport), port(dport)]), hashed: true, sport, dport, src, dst });
  }
  for (let f = 0; f < 3; f++) {
    const src = `192.168.${f}.2`, dst = '192.168.100.1', sport = 5000 + f, dport = f === 2 ? 9 : 53;
    const frame = buildPacket({ eth, ip: { src, dst, ttl: 64, id: 100 + f }, l4: { udp: { sport, dport } }, payload: 40 });
    // UDP: the host hashes the addresses only.
    out.push({ frame, kind: dport === 9 ? 'udp-discard' : 'udp', hash: key.hashTuple([ipBytes(src), ipBytes(dst)]), hashed: true, sport, dport, src, dst });
  }
  const big = buildPacket({ eth, ip: { src: '172.16.0.5', dst: '172.16.0.9', ttl: 64, id: 0x4242 }, l4: { udp: { sport: 7000, dport: 7001 } }, payload: 2400 });
  for (const frame of fragmentIp(big, 1500)) {
    out.push({ frame, kind: 'frag', hash: key.hashTuple([ipBytes('172.16.0.5'), ipBytes('172.16.0.9')]), hashed: true, sport: 7000, dport: 7001, src: '172.16.0.5', dst: '172.16.0.9' });
  }
  out.push({ frame: buildArp({ op: 1, senderMac: eth.src, senderIp: '10.0.0.10', targetMac: '00:00:00:00:00:00', targetIp: '10.1.0.1' }), kind: 'arp', hash: 0, hashed: false, sport: 0, dport: 0, src: '', dst: '' });
  return out;
}

/** ethtool_rxfh_indir_default(): slot i -> queue i % channels. */
export function defaultIndirection(channels = QUEUES): number[] {
  return Array.from({ length: ITAB_NUM }, (_, i) => i % channels);
}

export interface Fixture {
  bytes: Uint8Array;
  capture: Capture;
  trace: PacketTrace;
  indirection: number[];
  templates: Template[];
  /** Template of packet i. */
  templateOf(i: number): Template;
}

export function makeFixture(n: number): Fixture {
  const tpl = templates();
  let size = 24;
  for (let i = 0; i < n; i++) size += 16 + tpl[i % tpl.length].frame.length;
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, 0xa1b23c4d, true); // nanosecond pcap
  dv.setUint16(4, 2, true); dv.setUint16(6, 4, true);
  dv.setUint32(16, 262144, true); dv.setUint32(20, 1, true);
  let o = 24;
  for (let i = 0; i < n; i++) {
    const f = tpl[i % tpl.length].frame;
    const ns = i * STEP_NS;
    dv.setUint32(o, T0_SEC + Math.floor(ns / 1e9), true);
    dv.setUint32(o + 4, ns % 1e9, true);
    dv.setUint32(o + 8, f.length, true);
    dv.setUint32(o + 12, f.length, true);
    bytes.set(f, o + 16);
    o += 16 + f.length;
  }
  const capture = openCaptureBytes(bytes, `fixture-${n}.pcap`);
  const indirection = defaultIndirection();
  const trace = new PacketTrace();
  for (let i = 0; i < n; i++) {
    const t = tpl[i % tpl.length];
    trace.begin(i, i * STEP_NS / 1e9, t.frame.length, 0);
    trace.report(Stage.Wire, i, Decision.Rx, Reason.None, Counter.None, t.frame.length);
    trace.report(Stage.VfPath, i, Decision.Synthetic, Reason.None, Counter.None, 0);
    trace.report(Stage.Rsc, i, Decision.Single, Reason.LroOff, Counter.None, 1);
    if (t.hashed) trace.report(Stage.RssHash, i, Decision.Hashed, t.kind === 'tcp' ? Reason.Tcp4Tuple : t.kind === 'frag' ? Reason.Fragment2Tuple : Reason.Ip2Tuple, Counter.None, t.hash);
    else trace.report(Stage.RssHash, i, Decision.None, Reason.NonIp, Counter.None, 0);
    const q = t.hashed ? indirection[t.hash % ITAB_NUM] : 0;
    trace.report(Stage.Channel, i, Decision.Queue, Reason.None, Counter.RxQueuePackets, q);
    trace.report(Stage.RecvBuffer, i, Decision.Section, Reason.None, Counter.None, 0);
    if (t.kind === 'udp-discard') trace.report(Stage.Xdp, i, Decision.XdpDrop, Reason.None, Counter.RxQueueXdpDrop, 1);
    else trace.report(Stage.Xdp, i, Decision.XdpPass, Reason.None, Counter.None, 2);
    trace.report(Stage.Checksum, i, Decision.Unnecessary, Reason.HostVerified, Counter.None, 0);
    trace.report(Stage.Gro, i, Decision.GroHeld, Reason.None, Counter.None, 0);
    trace.report(Stage.Deliver, i, Decision.Delivered, Reason.None, Counter.None, 0);
  }
  return { bytes, capture, trace, indirection, templates: tpl, templateOf: (i) => tpl[i % tpl.length] };
}
