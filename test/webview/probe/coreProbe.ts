// One deterministic workload through the extension/core modules a webview may use, returning
// plain JSON. The browser suite runs it in Node (through tsx) and, bundled by esbuild for the
// browser, in Chromium, and requires the two results to be identical: core stays browser-safe
// and behaves the same in both engines (typed arrays, 64-bit arithmetic split into halves, BigInt).
import { assemble } from '../../../extension/core/ebpf/asm';
import { runConformance } from '../../../extension/core/ebpf/conformance';
import { interpreter } from '../../../extension/core/ebpf/interpreter';
import { jit } from '../../../extension/core/ebpf/jit';
import { loadObject } from '../../../extension/core/ebpf/loader';
import { runEthtool } from '../../../extension/core/ethtool/executor';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { ToeplitzKey } from '../../../extension/core/netvsc/toeplitz';
import { buildPacket } from '../../../extension/core/packet/build';
import { internetChecksum } from '../../../extension/core/packet/checksum';
import { dissectFlow, FlowKeys } from '../../../extension/core/packet/flow';
import { PcapngWriter } from '../../../extension/core/packet/pcapng';
import { openCaptureBytes } from '../../../extension/core/packet/reader';

export interface ProbeInput {
  /** Conformance-format programs (bpf_conformance `.data` text). */
  conformance: Record<string, string>;
  /** ELF objects by file name, base64. */
  objects: Record<string, string>;
  /** RSS key and tuples to hash, hex. */
  toeplitz: { key: string; tuples: string[] };
  /** Byte strings (hex) to checksum. */
  checksums: string[];
}

export interface ProbeOutput {
  conformance: Record<string, { interpreter: string; jit: string; asmHex?: string }>;
  objects: Record<string, { name: string; section: string; progType: string; insns: number; insnsHash: string; lineInfo: number }[]>;
  toeplitz: string[];
  checksums: string[];
  packets: { hex: string; ethertype: number; l4Proto: number; srcPort: number; dstPort: number; ipTotalLength: number; status: number }[];
  ethtool: Record<string, { stdout: string; stderr: string; exit: number }>;
  pcapng: { bytes: number; hash: string; count: number; comments: string[][]; lengths: number[] };
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

function unbase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** FNV-1a 32 of bytes: a short fingerprint for large outputs. */
function fnv1a(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function outcome(text: string, engine: typeof interpreter): string {
  const o = runConformance(text, engine);
  return o.pass ? `0x${o.r0!.toString(16)}` : `FAIL(${o.rejected ?? ''}): ${o.why}`;
}

export function runProbe(input: ProbeInput): ProbeOutput {
  const conformance: ProbeOutput['conformance'] = {};
  for (const [name, text] of Object.entries(input.conformance)) {
    const asmText = text.slice(text.indexOf('-- asm') + 6, text.search(/\n-- (?!asm)/));
    let asmHex: string | undefined;
    try { asmHex = hex(assemble(asmText).insns); } catch { asmHex = undefined; }
    conformance[name] = { interpreter: outcome(text, interpreter), jit: outcome(text, jit), asmHex };
  }

  const objects: ProbeOutput['objects'] = {};
  for (const [file, b64] of Object.entries(input.objects)) {
    const obj = loadObject(unbase64(b64), { fileName: file });
    objects[file] = obj.programs.map((p) => ({
      name: p.name, section: p.section, progType: p.progType, insns: p.insns.length / 8, insnsHash: fnv1a(p.insns), lineInfo: p.lineInfo.length,
    }));
  }

  const key = new ToeplitzKey(unhex(input.toeplitz.key));
  const toeplitz = input.toeplitz.tuples.map((t) => `0x${key.hashTuple([unhex(t)]).toString(16).padStart(8, '0')}`);
  const checksums = input.checksums.map((c) => {
    const b = unhex(c);
    return `0x${internetChecksum(b, 0, b.length).toString(16).padStart(4, '0')}`;
  });

  const frames = [
    buildPacket({ eth: { src: '00:15:5d:01:02:03', dst: '00:15:5d:0a:0b:0c' }, ip: { src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 1 }, l4: { udp: { sport: 5000, dport: 53 } }, payload: 12 }),
    buildPacket({ eth: { vlans: [{ vid: 100, pcp: 3 }] }, ip: { src: '192.0.2.1', dst: '198.51.100.7', df: true }, l4: { tcp: { sport: 40000, dport: 443, seq: 1, flags: 0x02, window: 64240 } } }),
    buildPacket({ eth: {}, ip: { version: 6, src: '2001:db8::1', dst: '2001:db8::2' }, l4: { udp: { sport: 1234, dport: 4789 } }, payload: 40 }),
  ];
  const keys = new FlowKeys();
  const packets = frames.map((f) => {
    dissectFlow(f, 0, f.length, keys);
    return {
      hex: hex(f), ethertype: keys.ethertype, l4Proto: keys.l4Proto,
      srcPort: keys.srcPort, dstPort: keys.dstPort, ipTotalLength: keys.ipTotalLength, status: keys.status,
    };
  });

  const dev = new NetvscDevice({ host: 'azure', cpus: 4 });
  const ethtool: ProbeOutput['ethtool'] = {};
  for (const args of [['-i', 'eth0'], ['-k', 'eth0'], ['-l', 'eth0'], ['-x', 'eth0'], ['-g', 'eth0'], ['-L', 'eth0', 'combined', '2'], ['-x', 'eth0'], ['-S', 'eth0'], ['-L', 'eth0', 'combined', '99']]) {
    const r = runEthtool(dev, args);
    ethtool[`${Object.keys(ethtool).length} ethtool ${args.join(' ')}`] = { stdout: r.stdout, stderr: r.stderr, exit: r.exit };
  }

  const w = new PcapngWriter();
  const parts = [w.shb('probe'), w.idb({ linkType: 1, name: 'eth0' })];
  frames.forEach((f, i) => parts.push(w.epb({ iface: 0, tsSec: 1_700_000_000 + i, tsNsec: 123_456_789, data: f, comments: [`frame ${i}`] })));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { bytes.set(p, o); o += p.length; }
  const cap = openCaptureBytes(bytes, 'probe.pcapng');
  const pcapng = {
    bytes: bytes.length, hash: fnv1a(bytes), count: cap.count,
    comments: Array.from({ length: cap.count }, (_, i) => cap.comments(i)),
    lengths: Array.from({ length: cap.count }, (_, i) => cap.packet(i).length),
  };

  return { conformance, objects, toeplitz, checksums, packets, ethtool, pcapng };
}
