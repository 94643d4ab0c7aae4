// Opens what a person points a replay at: a capture (.pcap/.pcapng/.cap) or a traffic scenario
// (.json/.yaml/.yml, the packet layer's scenario format), as the device's PacketSource.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { openCaptureFile } from '../packet/fileSource';
import { generateScenario, parseScenario } from '../packet/scenario';
import { arenaFromGenerated, captureSource, type PacketSource } from '../netvsc/replay';

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
    const arena = arenaFromGenerated(generateScenario(parseScenario(readFileSync(path, 'utf8'), path)));
    return { source: arena, bytes: (i) => arena.arena.subarray(arena.offsets[i], arena.offsets[i] + arena.lengths[i]), close: () => {} };
  }
  throw new Error(`${path}: not a capture (${CAPTURE_EXTENSIONS.join(' ')}) or a scenario (${SCENARIO_EXTENSIONS.join(' ')})`);
}
