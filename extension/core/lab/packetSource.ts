// Opens what a person points a replay at: a capture (.pcap/.pcapng/.cap) or a traffic scenario
// (.json/.yaml/.yml, the packet layer's scenario format), as the device's PacketSource.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { openCaptureFile } from '../packet/fileSource';
import { generateScenario, parseScenario } from '../packet/scenario';
import { ArenaSource, captureSource, type PacketSource } from '../netvsc/replay';

export interface OpenedSource {
  source: PacketSource;
  /** The bytes of packet i (for export and the trace viewer). */
  bytes(i: number): Uint8Array;
  close(): void;
}

export const CAPTURE_EXTENSIONS = ['.pcap', '.pcapng', '.cap'];
export const SCENARIO_EXTENSIONS = ['.json', '.yaml', '.yml'];

/** Throws an Error whose message names the file and, for captures, the byte offset of a fault. */
export function openPacketSource(path: string, deviceMac: string): OpenedSource {
  const ext = extname(path).toLowerCase();
  if (CAPTURE_EXTENSIONS.includes(ext)) {
    const cap = openCaptureFile(path);
    if (cap.error && cap.count === 0) {
      cap.close();
      throw new Error(`${path}: ${cap.error.message} (at byte ${cap.error.offset})`);
    }
    return { source: captureSource(cap, deviceMac), bytes: (i) => cap.packet(i), close: () => cap.close() };
  }
  if (SCENARIO_EXTENSIONS.includes(ext)) {
    const arena = scenarioArena(generateScenario(parseScenario(readFileSync(path, 'utf8'), path)));
    return { source: arena, bytes: (i) => arena.arena.subarray(arena.offsets[i], arena.offsets[i] + arena.lengths[i]), close: () => {} };
  }
  throw new Error(`${path}: not a capture (${CAPTURE_EXTENSIONS.join(' ')}) or a scenario (${SCENARIO_EXTENSIONS.join(' ')})`);
}

/** Lays generated packets end to end in one arena, times relative to the first packet. */
export function scenarioArena(pkts: { tsSec: number; tsNsec: number; data: Uint8Array; direction: 'rx' | 'tx' }[]): ArenaSource {
  const n = pkts.length;
  const offsets = new Uint32Array(n), lengths = new Uint32Array(n), times = new Float64Array(n), tx = new Uint8Array(n);
  let size = 0;
  for (const p of pkts) size += p.data.length;
  const arena = new Uint8Array(size);
  const t0 = n ? pkts[0].tsSec : 0;
  let off = 0;
  pkts.forEach((p, i) => {
    arena.set(p.data, off);
    offsets[i] = off; lengths[i] = p.data.length; off += p.data.length;
    times[i] = (p.tsSec - t0) * 1e9 + p.tsNsec;
    tx[i] = p.direction === 'tx' ? 1 : 0;
  });
  return new ArenaSource(arena, offsets, lengths, times, tx);
}
