// The trace the debugger benchmarks run to: n UDP packets over 64 flows, every one to port 1000
// except the last (port 53), as pcap records (parts[0] is the file header).
import { buildPacket } from '../extension/core/packet/build';
import { PcapWriter } from '../extension/core/packet/pcap';

export function udpTraceParts(n: number): Uint8Array[] {
  const w = new PcapWriter(1);
  const parts: Uint8Array[] = [w.header()];
  for (let i = 0; i < n; i++) {
    parts.push(w.record(buildPacket({
      eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { src: `10.1.${i & 63}.1`, dst: '10.0.0.2' },
      l4: { udp: { sport: 40000 + (i & 63), dport: i === n - 1 ? 53 : 1000 } }, payload: 18,
    }), 1700000000 + Math.floor(i / 1000), (i % 1000) * 1000));
  }
  return parts;
}
