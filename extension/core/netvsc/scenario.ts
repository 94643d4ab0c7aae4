// A small traffic-scenario format for replay and the benchmark: flows of TCP/UDP packets, RX or
// TX, optionally IP-fragmented, built with the packet layer's builders into one arena.
// { "seed": 1, "flows": [ { "dir": "rx", "proto": "tcp", "src": "10.0.0.1", "dst": "10.0.0.2",
//   "sport": 40000, "dport": 80, "packets": 100, "payload": 1400, "mtu": 1500, "intervalNs": 1000 } ] }
import { buildPacket, fragmentIp } from '../packet/build';
import { l4Checksum, pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../packet/checksum';
import { TCP_FLAG_ACK, TCP_FLAG_PSH } from '../packet/flow';
import { ArenaSource } from './replay';

export interface ScenarioFlow {
  dir?: 'rx' | 'tx';
  proto: 'tcp' | 'udp';
  src: string; dst: string; sport: number; dport: number;
  packets: number;
  payload?: number;
  /** IP-fragment each datagram to this MTU. */
  mtu?: number;
  /** Virtual time between this flow's packets (default 1000 ns). */
  intervalNs?: number;
  /** Set PSH on every Nth TCP segment (ends RSC/GRO runs). */
  pushEvery?: number;
  /** Packets the flow sends back to back before the next flow's turn (default 1: round robin). */
  burst?: number;
}

export interface Scenario { seed?: number; flows: ScenarioFlow[]; guestMac?: string }

export class ScenarioError extends Error {}

/** Frames of one scenario live in one arena; this bounds it (a typo in `packets` must not eat the machine). */
export const MAX_ARENA_BYTES = 2 ** 30;

/** Validates a parsed scenario JSON; the message names the flow and field. */
export function checkScenario(j: unknown, where: string): Scenario {
  const bad = (m: string): never => { throw new ScenarioError(`${where}: ${m}`); };
  if (typeof j !== 'object' || j === null || !Array.isArray((j as Scenario).flows)) bad("expected an object with a 'flows' array");
  const s = j as Scenario;
  s.flows.forEach((f, i) => {
    if (f.proto !== 'tcp' && f.proto !== 'udp') bad(`flows[${i}].proto must be "tcp" or "udp"`);
    for (const k of ['src', 'dst'] as const) if (typeof f[k] !== 'string') bad(`flows[${i}].${k} must be an address string`);
    for (const k of ['sport', 'dport'] as const) if (!Number.isInteger(f[k]) || f[k] < 0 || f[k] > 65535) bad(`flows[${i}].${k} must be a port number`);
    if (!Number.isInteger(f.packets) || f.packets < 0 || f.packets > 50_000_000) bad(`flows[${i}].packets must be an integer 0..50000000`);
    if (f.payload !== undefined && (!Number.isInteger(f.payload) || f.payload < 0 || f.payload > 65000)) bad(`flows[${i}].payload must be 0..65000`);
  });
  return s;
}

/**
 * Builds the scenario's frames, flows interleaved packet by packet in time order. Each flow's
 * template frames are built once; the arena repeats them with the TCP sequence advanced.
 */
export function buildScenario(s: Scenario): ArenaSource {
  const guest = s.guestMac ?? '00:15:5d:00:00:01';
  const peer = '00:15:5d:00:00:02';
  type Tpl = { frames: Uint8Array[]; flow: ScenarioFlow };
  const tpls: Tpl[] = s.flows.map((f) => {
    const tx = f.dir === 'tx';
    const eth = { src: tx ? guest : peer, dst: tx ? peer : guest };
    const v6 = f.src.includes(':');
    const ip = v6 ? { version: 6 as const, src: f.src, dst: f.dst } : { src: f.src, dst: f.dst };
    const l4 = f.proto === 'tcp' ? { tcp: { sport: f.sport, dport: f.dport, seq: 1, flags: TCP_FLAG_ACK } } : { udp: { sport: f.sport, dport: f.dport } };
    const frame = buildPacket({ eth, ip, l4, payload: f.payload ?? 64 });
    const frames = f.mtu && !v6 ? fragmentIp(frame, f.mtu) : f.mtu && v6 ? fragmentIp(frame, f.mtu, { ipv6Id: 1 }) : [frame];
    return { frames, flow: f };
  });
  let total = 0;
  let bytes = 0;
  for (const t of tpls) { total += t.flow.packets * t.frames.length; bytes += t.flow.packets * t.frames.reduce((a, b) => a + b.length, 0); }
  if (bytes > MAX_ARENA_BYTES) throw new ScenarioError(`scenario needs ${bytes} bytes of frames, over the ${MAX_ARENA_BYTES} byte limit: fewer packets or smaller payloads`);
  const arena = new Uint8Array(bytes);
  const offsets = new Uint32Array(total), lengths = new Uint32Array(total), times = new Float64Array(total), tx = new Uint8Array(total);
  // Round-robin over flows by time: flow i's packet n is at n * interval + i.
  const next = tpls.map(() => 0);
  const seq = tpls.map(() => 1);
  let k = 0, o = 0;
  let remaining = total;
  while (remaining > 0) {
    let best = -1, bestT = Infinity;
    for (let i = 0; i < tpls.length; i++) {
      if (next[i] >= tpls[i].flow.packets) continue;
      const b = tpls[i].flow.burst ?? 1;
      const n = next[i];
      const t = Math.floor(n / b) * b * (tpls[i].flow.intervalNs ?? 1000) + i * 0.01 + (n % b) * 1e-5;
      if (t < bestT) { bestT = t; best = i; }
    }
    const t = tpls[best];
    const n = next[best]++;
    for (const fr of t.frames) {
      arena.set(fr, o);
      if (t.flow.proto === 'tcp' && t.frames.length === 1) {
        const l4 = 14 + (fr[14] >> 4 === 6 ? 40 : (fr[14] & 15) * 4);
        const s0 = seq[best];
        arena[o + l4 + 4] = s0 >>> 24; arena[o + l4 + 5] = (s0 >>> 16) & 255; arena[o + l4 + 6] = (s0 >>> 8) & 255; arena[o + l4 + 7] = s0 & 255;
        if (t.flow.pushEvery && (n + 1) % t.flow.pushEvery === 0) arena[o + l4 + 13] |= TCP_FLAG_PSH;
        fixTcpChecksum(arena, o, fr.length, l4);
      }
      offsets[k] = o; lengths[k] = fr.length; times[k] = bestT; tx[k] = t.flow.dir === 'tx' ? 1 : 0;
      o += fr.length; k++; remaining--;
    }
    if (t.flow.proto === 'tcp') seq[best] = (seq[best] + (t.flow.payload ?? 64)) >>> 0;
  }
  return new ArenaSource(arena, offsets, lengths, times, tx);
}

/** Recomputes the TCP checksum after the sequence number changed (set-up time, not per replayed packet). */
function fixTcpChecksum(b: Uint8Array, o: number, len: number, l4: number): void {
  const v6 = b[o + 14] >> 4 === 6;
  const tcpLen = len - l4;
  const pseudo = v6 ? pseudoHeaderSumV6(b, o + 22, o + 38, 6, tcpLen) : pseudoHeaderSumV4(b, o + 26, o + 30, 6, tcpLen);
  const c = l4Checksum(b, o + l4, tcpLen, pseudo, o + l4 + 16);
  b[o + l4 + 16] = c >> 8; b[o + l4 + 17] = c & 255;
}
