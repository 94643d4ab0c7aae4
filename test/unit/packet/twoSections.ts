// One hand-built pcapng both reader suites read (encoded here, not by our writers): a big-endian
// section with two IDBs (ms and 2^-10 s resolutions), an NRB, EPBs with comments and a custom
// option, an unknown block, SPB, the obsolete PB and an ISB; then a little-endian section.
import { buildPacket } from '../../../extension/core/packet/build';
import { block, opt, utf8 } from './encode';

export const f1 = buildPacket({ eth: {}, ip: { src: '10.0.0.1', dst: '10.0.0.2' }, l4: { udp: { sport: 40005, dport: 40006 } }, payload: 60 });
export const f2 = buildPacket({ eth: {}, ip: { src: '10.0.0.3', dst: '10.0.0.4' }, l4: { tcp: { sport: 40002, dport: 40003, flags: 0x02 } } });
export const raw = buildPacket({ ip: { src: '192.0.2.1', dst: '192.0.2.2' }, l4: { icmp: { type: 8, id: 1, seq: 1 } }, payload: 8 });

export function twoSectionPcapng(): Uint8Array {
  const BE = false, LE = true;
  const parts: number[] = [];
  parts.push(...block(BE, 0x0a0d0d0a, (e) => { e.u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff); opt(e, 4, utf8('hand-built')); e.u32(0); }));
  parts.push(...block(BE, 1, (e) => { e.u16(1).u16(0).u32(0); opt(e, 2, utf8('eth0')); opt(e, 9, [3]); e.u32(0); })); // ms resolution
  parts.push(...block(BE, 1, (e) => { e.u16(101).u16(0).u32(256); opt(e, 2, utf8('tun0')); opt(e, 9, [0x80 | 10]); e.u32(0); })); // 2^-10 s
  parts.push(...block(BE, 4, (e) => { e.u16(1).u16(13).bytes([10, 0, 0, 1]).bytes(utf8('host-one\0')); e.pad4(); e.u16(0).u16(0); }));
  // EPB on interface 0: 1700000000123 ms, with two comments and a custom option.
  const ms = 1700000000123;
  parts.push(...block(BE, 6, (e) => {
    e.u32(0).u32(Math.floor(ms / 2 ** 32)).u32(ms % 2 ** 32).u32(f1.length).u32(f1.length).bytes(f1).pad4();
    opt(e, 1, utf8('first comment')); opt(e, 1, utf8('queue=2 verdict=XDP_PASS')); opt(e, 2989, [0, 0, 0x7e, 0x57, 1, 2, 3]); e.u32(0);
  }));
  parts.push(...block(BE, 0x12345, (e) => { e.u32(0xdeadbeef); })); // unknown: skipped
  // EPB on interface 1 (raw IP): 1700000001.5 s = (1700000001*1024 + 512) units of 2^-10 s.
  const units = 1700000001 * 1024 + 512;
  parts.push(...block(BE, 6, (e) => { e.u32(1).u32(Math.floor(units / 2 ** 32)).u32(units % 2 ** 32).u32(raw.length).u32(raw.length).bytes(raw); }));
  parts.push(...block(BE, 3, (e) => { e.u32(f2.length).bytes(f2); })); // SPB: interface 0, no timestamp
  parts.push(...block(BE, 2, (e) => { e.u16(0).u16(0).u32(Math.floor((ms + 5) / 2 ** 32)).u32((ms + 5) % 2 ** 32).u32(f2.length).u32(f2.length).bytes(f2).pad4(); opt(e, 1, utf8('old packet block')); e.u32(0); }));
  parts.push(...block(BE, 5, (e) => { e.u32(0).u32(0).u32(0); e.u32(0); }));
  // Second section, little-endian, its own interface 0 with the default microsecond resolution.
  parts.push(...block(LE, 0x0a0d0d0a, (e) => { e.u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff); }));
  parts.push(...block(LE, 1, (e) => { e.u16(1).u16(0).u32(0); }));
  const us = 1700000002000001;
  parts.push(...block(LE, 6, (e) => { e.u32(0).u32(Math.floor(us / 2 ** 32)).u32(us % 2 ** 32).u32(f1.length).u32(f1.length).bytes(f1); }));
  return new Uint8Array(parts);
}
