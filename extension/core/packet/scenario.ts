/**
 * Traffic scenarios: a small JSON/YAML description that generates a deterministic packet sequence
 * with timestamps (same seed, same bytes), for users without a capture. No Node imports.
 *
 *   seed: 7                 # PRNG seed (default 1)
 *   start: 1700000000       # epoch seconds of the first packet (default 1700000000)
 *   mtu: 1500               # IP MTU used to fragment UDP datagrams (default 1500)
 *   flows:
 *     - type: tcp-bulk      # handshake, `bytes` of data in `mss` segments, ACK every 2nd, FIN
 *       src: 10.0.0.1       # IPv4 or IPv6 (both ends the same family)
 *       dst: 10.0.0.2
 *       sport: 40000
 *       dport: 5201
 *       bytes: 100000
 *       rate: 10000         # packets per second (default 1000)
 *       vlan: 100           # or [outer, inner] (outer is 802.1ad when two)
 *       direction: rx       # rx (to the VM) or tx (from the VM): carried in the pcapng EPB flags
 *     - { type: tcp-rr, ..., requests: 10, request: 100, response: 4000 }
 *     - { type: udp, ..., count: 10, size: 3000 }        # size > mtu fragments
 *     - { type: icmp-echo, ..., count: 4, size: 56 }
 *     - { type: syn-flood, dst: ..., dport: 80, count: 1000, sources: 198.51.100.0/24 }
 *     - { type: mix, count: 20, subnet: 10.9.0.0/16 }   # random flows of the kinds above
 *   Each flow may also give `start` (seconds after the scenario start).
 *
 * API
 *   parseScenario(text, name?) -> Scenario         JSON or YAML; throws ScenarioError with the path
 *   validateScenario(obj) -> Scenario              (`flows[2].rate: must be a positive number`)
 *   generateScenario(s) -> GeneratedPacket[]       sorted by time: { tsSec, tsNsec, data, direction, flow }
 */
import { parse as parseYaml } from 'yaml';
import { parseIPv4, parseIPv6 } from './addr';
import { buildPacket, fragmentIp, type EthSpec, type PacketSpec, type TcpOption } from './build';

export class ScenarioError extends Error {
  constructor(readonly path: string, message: string) { super(`${path}: ${message}`); }
}

export type FlowType = 'tcp-bulk' | 'tcp-rr' | 'udp' | 'icmp-echo' | 'syn-flood' | 'mix';
const FLOW_TYPES: FlowType[] = ['tcp-bulk', 'tcp-rr', 'udp', 'icmp-echo', 'syn-flood', 'mix'];

export interface FlowSpec {
  type: FlowType;
  src: string; dst: string;
  sport: number; dport: number;
  rate: number;
  start: number;
  vlan: number[];
  direction: 'rx' | 'tx';
  bytes: number; mss: number;
  requests: number; request: number; response: number;
  count: number; size: number;
  sources: string;
  subnet: string;
}

export interface Scenario { seed: number; start: number; mtu: number; flows: FlowSpec[] }

export interface GeneratedPacket { tsSec: number; tsNsec: number; data: Uint8Array; direction: 'rx' | 'tx'; flow: number }

export function parseScenario(text: string, name = 'scenario'): Scenario {
  let obj: unknown;
  try {
    obj = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ScenarioError(name, `not valid JSON/YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return validateScenario(obj);
}

function isObj(x: unknown): x is Record<string, unknown> { return typeof x === 'object' && x !== null && !Array.isArray(x); }

export function validateScenario(obj: unknown): Scenario {
  if (!isObj(obj)) throw new ScenarioError('(top)', 'must be an object with a "flows" list');
  const known = ['seed', 'start', 'mtu', 'flows'];
  for (const k of Object.keys(obj)) if (!known.includes(k)) throw new ScenarioError(k, `unknown key (expected one of ${known.join(', ')})`);
  const num = (path: string, v: unknown, dflt: number, check: (n: number) => string | null): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ScenarioError(path, `must be a number, got ${JSON.stringify(v)}`);
    const e = check(v);
    if (e) throw new ScenarioError(path, e);
    return v;
  };
  const int = (min: number, max: number) => (n: number) => (Number.isInteger(n) && n >= min && n <= max ? null : `must be an integer from ${min} to ${max}`);
  const pos = (n: number) => (n > 0 ? null : 'must be a positive number');
  const s: Scenario = {
    seed: num('seed', obj.seed, 1, int(0, 0xffffffff)),
    start: num('start', obj.start, 1700000000, int(0, 0xffffffff)),
    mtu: num('mtu', obj.mtu, 1500, int(576, 65535)),
    flows: [],
  };
  if (!Array.isArray(obj.flows) || obj.flows.length === 0) throw new ScenarioError('flows', 'must be a non-empty list of flows');
  obj.flows.forEach((raw: unknown, i: number) => {
    const p = `flows[${i}]`;
    if (!isObj(raw)) throw new ScenarioError(p, 'must be an object');
    const allowed = ['type', 'src', 'dst', 'sport', 'dport', 'rate', 'start', 'vlan', 'direction', 'bytes', 'mss', 'requests', 'request', 'response', 'count', 'size', 'sources', 'subnet'];
    for (const k of Object.keys(raw)) if (!allowed.includes(k)) throw new ScenarioError(`${p}.${k}`, 'unknown key');
    if (!FLOW_TYPES.includes(raw.type as FlowType)) throw new ScenarioError(`${p}.type`, `must be one of ${FLOW_TYPES.join(', ')}, got ${JSON.stringify(raw.type)}`);
    const type = raw.type as FlowType;
    const addr = (k: string, dflt: string): string => {
      const v = raw[k];
      if (v === undefined) return dflt;
      if (typeof v !== 'string' || (parseIPv4(v) === null && parseIPv6(v) === null)) throw new ScenarioError(`${p}.${k}`, `must be an IPv4 or IPv6 address, got ${JSON.stringify(v)}`);
      return v;
    };
    const cidr = (k: string, dflt: string): string => {
      const v = raw[k];
      if (v === undefined) return dflt;
      const m = typeof v === 'string' ? /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(v) : null;
      if (!m || parseIPv4(m[1]) === null || Number(m[2]) > 32) throw new ScenarioError(`${p}.${k}`, `must be an IPv4 prefix like 10.0.0.0/16, got ${JSON.stringify(v)}`);
      return v as string;
    };
    let vlan: number[] = [];
    if (raw.vlan !== undefined) {
      const list = Array.isArray(raw.vlan) ? raw.vlan : [raw.vlan];
      if (list.length > 2) throw new ScenarioError(`${p}.vlan`, 'at most two tags (outer, inner)');
      vlan = list.map((v, j) => num(`${p}.vlan${Array.isArray(raw.vlan) ? `[${j}]` : ''}`, v, 0, int(0, 4095)));
    }
    const dir = raw.direction ?? 'rx';
    if (dir !== 'rx' && dir !== 'tx') throw new ScenarioError(`${p}.direction`, `must be "rx" or "tx", got ${JSON.stringify(dir)}`);
    const f: FlowSpec = {
      type,
      src: addr('src', '10.0.0.1'), dst: addr('dst', '10.0.0.2'),
      sport: num(`${p}.sport`, raw.sport, 40000 + i, int(1, 65535)),
      dport: num(`${p}.dport`, raw.dport, 5201, int(1, 65535)),
      rate: num(`${p}.rate`, raw.rate, 1000, pos),
      start: num(`${p}.start`, raw.start, 0, (n) => (n >= 0 ? null : 'must be >= 0')),
      vlan, direction: dir,
      bytes: num(`${p}.bytes`, raw.bytes, 64000, int(1, 1 << 30)),
      mss: num(`${p}.mss`, raw.mss, 1448, int(1, 65495)),
      requests: num(`${p}.requests`, raw.requests, 4, int(1, 1e6)),
      request: num(`${p}.request`, raw.request, 100, int(1, 65000)),
      response: num(`${p}.response`, raw.response, 2000, int(1, 1 << 24)),
      count: num(`${p}.count`, raw.count, 10, int(1, 1e7)),
      size: num(`${p}.size`, raw.size, type === 'icmp-echo' ? 56 : 512, int(0, 65000)),
      sources: cidr('sources', '198.51.100.0/24'),
      subnet: cidr('subnet', '10.9.0.0/16'),
    };
    const v6 = (a: string) => parseIPv4(a) === null;
    if (v6(f.src) !== v6(f.dst)) throw new ScenarioError(`${p}.dst`, `address family differs from src ${f.src}`);
    if (f.type === 'udp' && v6(f.src) && f.size > 65535 - 8) throw new ScenarioError(`${p}.size`, 'too large');
    s.flows.push(f);
  });
  return s;
}

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Emit { t: number; data: Uint8Array; flow: number; direction: 'rx' | 'tx' }

export function generateScenario(s: Scenario): GeneratedPacket[] {
  const rnd = prng(s.seed);
  const out: Emit[] = [];
  let ipId = 1;
  const flows: FlowSpec[] = [];
  for (const f of s.flows) {
    if (f.type !== 'mix') { flows.push(f); continue; }
    const [base, bits] = f.subnet.split('/');
    const b = parseIPv4(base)!, span = 2 ** (32 - Number(bits));
    const host = () => { const w = (b + 1 + Math.floor(rnd() * Math.max(1, span - 2))) >>> 0; return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`; };
    const kinds: FlowType[] = ['tcp-bulk', 'tcp-rr', 'udp', 'icmp-echo'];
    for (let k = 0; k < f.count; k++) {
      const type = kinds[Math.floor(rnd() * kinds.length)];
      flows.push({
        ...f, type, src: host(), dst: host(), sport: 32768 + Math.floor(rnd() * 28000), dport: 5001 + Math.floor(rnd() * 4),
        start: f.start + rnd() * 0.01, bytes: 1000 + Math.floor(rnd() * 20000), requests: 1 + Math.floor(rnd() * 3),
        count: 1 + Math.floor(rnd() * 5), size: type === 'udp' ? 100 + Math.floor(rnd() * 3000) : 56,
      });
    }
  }
  flows.forEach((f, fi) => {
    const v6 = parseIPv4(f.src) === null;
    const eth: EthSpec = { vlans: f.vlan.map((vid, j) => ({ vid, tpid: f.vlan.length === 2 && j === 0 ? 0x88a8 : 0x8100 })) };
    const ip = (src: string, dst: string) => (v6 ? { version: 6 as const, src, dst } : { src, dst, id: (ipId++) & 0xffff, df: true });
    let t = f.start;
    const dt = 1 / f.rate;
    const emit = (spec: PacketSpec) => { out.push({ t, data: buildPacket(spec), flow: fi, direction: f.direction }); t += dt; };
    const tcpSeg = (fromClient: boolean, seq: number, ack: number, flags: number, payload = 0, options?: TcpOption[]) => emit({
      eth, ip: fromClient ? ip(f.src, f.dst) : ip(f.dst, f.src),
      l4: { tcp: { sport: fromClient ? f.sport : f.dport, dport: fromClient ? f.dport : f.sport, seq: seq >>> 0, ack: ack >>> 0, flags, window: 502, options } },
      payload,
    });
    switch (f.type) {
      case 'tcp-bulk': case 'tcp-rr': {
        let cs = Math.floor(rnd() * 0xffffffff), ss = Math.floor(rnd() * 0xffffffff);
        const synOpts: TcpOption[] = [{ kind: 'mss', value: f.mss }, { kind: 'sackPerm' }, { kind: 'timestamps', tsval: 1000, tsecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }];
        tcpSeg(true, cs, 0, 0x02, 0, synOpts); cs++;
        tcpSeg(false, ss, cs, 0x12, 0, synOpts); ss++;
        tcpSeg(true, cs, ss, 0x10);
        const send = (fromClient: boolean, total: number) => {
          let n = 0;
          for (let left = total; left > 0;) {
            const len = Math.min(left, f.mss);
            if (fromClient) { tcpSeg(true, cs, ss, left - len === 0 ? 0x18 : 0x10, len); cs += len; }
            else { tcpSeg(false, ss, cs, left - len === 0 ? 0x18 : 0x10, len); ss += len; }
            left -= len;
            if (++n % 2 === 0 || left === 0) { if (fromClient) tcpSeg(false, ss, cs, 0x10); else tcpSeg(true, cs, ss, 0x10); }
          }
        };
        if (f.type === 'tcp-bulk') send(true, f.bytes);
        else for (let r = 0; r < f.requests; r++) { send(true, f.request); send(false, f.response); }
        tcpSeg(true, cs, ss, 0x11); cs++;
        tcpSeg(false, ss, cs, 0x11); ss++;
        tcpSeg(true, cs, ss, 0x10);
        break;
      }
      case 'udp': {
        for (let k = 0; k < f.count; k++) {
          const frame = buildPacket({ eth, ip: ip(f.src, f.dst), l4: { udp: { sport: f.sport, dport: f.dport } }, payload: f.size });
          for (const frag of fragmentIp(frame, s.mtu, { ipv6Id: ipId++ })) { out.push({ t, data: frag, flow: fi, direction: f.direction }); t += dt; }
        }
        break;
      }
      case 'icmp-echo': {
        const id = Math.floor(rnd() * 65536);
        for (let k = 0; k < f.count; k++) {
          const l4 = (type: number) => (v6 ? { icmpv6: { type, id, seq: k + 1 } } : { icmp: { type, id, seq: k + 1 } });
          emit({ eth, ip: ip(f.src, f.dst), l4: l4(v6 ? 128 : 8), payload: f.size });
          emit({ eth, ip: ip(f.dst, f.src), l4: l4(v6 ? 129 : 0), payload: f.size });
        }
        break;
      }
      case 'syn-flood': {
        const [base, bits] = f.sources.split('/');
        const b = parseIPv4(base)!, span = 2 ** (32 - Number(bits));
        for (let k = 0; k < f.count; k++) {
          const w = (b + Math.floor(rnd() * span)) >>> 0;
          const src = v6 ? f.src : `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
          emit({ eth, ip: ip(src, f.dst), l4: { tcp: { sport: 1024 + Math.floor(rnd() * 64000), dport: f.dport, seq: Math.floor(rnd() * 0xffffffff), flags: 0x02, window: 64240 } } });
        }
        break;
      }
      default: break;
    }
  });
  // Stable merge by time (ties keep generation order), then absolute timestamps in whole ns.
  const order = out.map((_, i) => i).sort((a, b) => out[a].t - out[b].t || a - b);
  return order.map((i) => {
    const e = out[i];
    const ns = Math.round(e.t * 1e9);
    return { tsSec: s.start + Math.floor(ns / 1e9), tsNsec: ns % 1e9, data: e.data, direction: e.direction, flow: e.flow };
  });
}
