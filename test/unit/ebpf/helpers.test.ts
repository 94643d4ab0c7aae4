// Helper semantics from the kernel's definitions: csum_diff's ones'-complement sum, printk's
// formats (bstr_printf), the head/tail/meta limits of an XDP frame, fib_lookup's return codes,
// and the load-time check of helper ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, AF_INET6, BPF_FIB_LKUP_RET_BLACKHOLE, BPF_FIB_LKUP_RET_FRAG_NEEDED, BPF_FIB_LKUP_RET_FWD_DISABLED,
  BPF_FIB_LKUP_RET_NO_NEIGH, BPF_FIB_LKUP_RET_NOT_FWDED, BPF_FIB_LKUP_RET_SUCCESS, BPF_FIB_LOOKUP_OUTPUT, FibTable } from '../../../extension/core/ebpf/fib';
import { adjustHead, adjustMeta, adjustTail, checkHelperCalls, csumDiff, HelperState, xdpHelpers } from '../../../extension/core/ebpf/helpers';
import { encodeProgram } from '../../../extension/core/ebpf/isa';
import { Memory, XdpPacket } from '../../../extension/core/ebpf/memory';
import { formatPrintk } from '../../../extension/core/ebpf/printk';

test('csum_diff: ones\' complement sum of ~from and to as 32-bit LE words, folded to 16 bits', () => {
  const to = Uint8Array.of(1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff);
  // 0x04030201 + 0xffffffff = 0x1_04030200 -> carry folded in: 0x04030201 -> 0x0403 + 0x0201
  assert.equal(csumDiff(undefined, 0, 0, to, 0, 8, 0), 0x0604);
  // ~0x04030201 + 0x04030201 = 0xffffffff ("negative zero") -> 0xffff
  assert.equal(csumDiff(Uint8Array.of(1, 2, 3, 4), 0, 4, Uint8Array.of(1, 2, 3, 4), 0, 4, 0), 0xffff);
  // the seed is added in: 0x10 + 0x04030201 = 0x04030211 -> 0x0403 + 0x0211
  assert.equal(csumDiff(undefined, 0, 0, Uint8Array.of(1, 2, 3, 4), 0, 4, 0x10), 0x0614);
  // replacing 10.0.0.1 by 10.0.0.2: ~0x0100000a + 0x0200000a = 0x1_00ffffff -> 0x01000000 -> 0x0100
  assert.equal(csumDiff(Uint8Array.of(10, 0, 0, 1), 0, 4, Uint8Array.of(10, 0, 0, 2), 0, 4, 0), 0x0100);
  // 0xee66119b folds with a carry: 0xee66 + 0x119b = 0x10001 -> 0x0002
  assert.equal(csumDiff(undefined, 0, 0, Uint8Array.of(0x9b, 0x11, 0x66, 0xee), 0, 4, 0), 2);
});

test('printk formats like the kernel (C printf rules for the allowed conversions)', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const a = (lo: number, hi = 0) => ({ lo, hi });
  const f = (fmt: string, ...args: { lo: number; hi: number }[]) => formatPrintk(enc(fmt), args, () => 'eth0');
  assert.equal(f('proto=%d ifindex=%d', a(17), a(1)), 'proto=17 ifindex=1');
  assert.equal(f('%d %u %x', a(-1), a(-1), a(255)), '-1 4294967295 ff');
  assert.equal(f('%X', a(0xabc)), 'ABC');
  assert.equal(f('%i', a(-5)), '-5');
  assert.equal(f('%lld %llu', a(-5, -1), a(-5, -1)), '-5 18446744073709551611');
  assert.equal(f('%lx', a(0x90abcdef | 0, 0x12345678)), '1234567890abcdef');
  assert.equal(f('[%5d|%-5d|%05d]', a(42), a(42), a(42)), '[   42|42   |00042]');
  assert.equal(f('%d%%', a(50)), '50%');
  assert.equal(f('%c%c', a(0x41), a(0x42)), 'AB');
  assert.equal(f('dev=%s', a(0, 9)), 'dev=eth0');
  assert.equal(f('%px', a(0x1000, 3)), '0000000300001000');
  // Rejected with -EINVAL: 4 arguments, unknown conversions, non-printable bytes.
  assert.equal(f('%d %d %d %d', a(1), a(2), a(3), a(4)), -22);
  assert.equal(f('%f', a(1)), -22);
  assert.equal(f('%n', a(1)), -22);
  assert.equal(formatPrintk(Uint8Array.of(0x41, 0x01), [], () => ''), -22);
  assert.equal(f('tab\there'), 'tab\there');
});

function frame(len: number): XdpPacket {
  const p = new XdpPacket(new Memory());
  assert.ok(p.load(new Uint8Array(len).fill(0x5a)));
  return p;
}

test('bpf_xdp_adjust_head: the 256-byte headroom minus struct xdp_frame (40), and ETH_HLEN kept', () => {
  const p = frame(64);
  assert.equal(adjustHead(p, -216), 0);
  assert.equal(p.data, 40);
  assert.equal(adjustHead(p, -1), -22);
  assert.equal(adjustHead(p, 216 + 50), 0); // back, and 50 bytes into the packet: 14 left
  assert.equal(p.dataEnd - p.data, 14);
  assert.equal(adjustHead(p, 1), -22);
  // Metadata moves along with data.
  const q = frame(64);
  assert.equal(adjustMeta(q, -8), 0);
  q.buffer.set([1, 2, 3, 4, 5, 6, 7, 8], q.dataMeta);
  assert.equal(adjustHead(q, -4), 0);
  assert.deepEqual([...q.meta()], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(adjustHead(q, -(q.data - 40) + 7), -22); // would eat into the metadata's room
});

test('bpf_xdp_adjust_tail: grows up to the frame end less skb_shared_info (zeroed), shrinks to ETH_HLEN', () => {
  const p = frame(64);
  const room = 4096 - 320 - 256 - 64;
  assert.equal(adjustTail(p, room + 1), -22);
  p.buffer[256 + 64] = 0xee; // garbage past the end must come back as zeros
  assert.equal(adjustTail(p, room), 0);
  assert.equal(p.buffer[256 + 64], 0);
  assert.equal(adjustTail(p, -(room + 64 - 14)), 0);
  assert.equal(p.dataEnd - p.data, 14);
  assert.equal(adjustTail(p, -1), -22);
});

test('bpf_xdp_adjust_meta: a multiple of 4 (EACCES) within the headroom less struct xdp_frame (EINVAL)', () => {
  const p = frame(64);
  assert.equal(adjustMeta(p, -32), 0);
  assert.equal(adjustMeta(p, -4), 0); // 36 bytes: allowed since meta_len became a u8 limit
  assert.equal(adjustMeta(p, 30), -13); // 6 bytes left: not a multiple of 4
  assert.equal(adjustMeta(p, -(216 - 36)), 0); // all 216 bytes of usable headroom
  assert.equal(adjustMeta(p, -4), -22);
  assert.equal(adjustMeta(p, 216), 0);
  assert.equal(adjustMeta(p, 4), -22); // past data
});

test('fib_lookup: longest prefix, neighbours, blackhole, forwarding off, MTU, unknown family', () => {
  const fib = new FibTable();
  const mac = (n: number) => Uint8Array.of(2, 0, 0, 0, 0, n);
  fib.addDevice({ ifindex: 2, mac: mac(2), mtu: 1500, forwarding: true });
  fib.addDevice({ ifindex: 3, mac: mac(3), mtu: 9000, forwarding: false });
  fib.addRoute('10.0.0.0/8', 2, { gateway: '10.255.0.1' });
  fib.addRoute('10.1.0.0/16', 3);
  fib.addRoute('192.0.2.0/24', 2, { type: 'blackhole' });
  fib.addRoute('2001:db8::/32', 2);
  fib.addNeighbour('10.255.0.1', mac(0x99));
  const params = (family: number, dst: number[], ifindex = 2, totLen = 0) => {
    const b = new Uint8Array(64);
    const dv = new DataView(b.buffer);
    b[0] = family; dv.setUint16(6, totLen, true); dv.setUint32(8, ifindex, true);
    b.set(dst, 32);
    return b;
  };
  let b = params(AF_INET, [10, 9, 9, 9]);
  assert.equal(fib.lookup(b, 0, 0), BPF_FIB_LKUP_RET_SUCCESS);
  assert.equal(new DataView(b.buffer).getUint32(8, true), 2);
  assert.deepEqual([...b.subarray(52, 58)], [...mac(2)]);
  assert.deepEqual([...b.subarray(58, 64)], [...mac(0x99)]);
  assert.deepEqual([...b.subarray(32, 36)], [10, 255, 0, 1]); // the next hop replaces the destination
  assert.equal(fib.lookup(params(AF_INET, [10, 1, 2, 3]), 0, 0), BPF_FIB_LKUP_RET_NO_NEIGH);
  assert.equal(fib.lookup(params(AF_INET, [192, 0, 2, 1]), 0, 0), BPF_FIB_LKUP_RET_BLACKHOLE);
  assert.equal(fib.lookup(params(AF_INET, [8, 8, 8, 8]), 0, 0), BPF_FIB_LKUP_RET_NOT_FWDED);
  assert.equal(fib.lookup(params(AF_INET, [10, 9, 9, 9], 3), 0, 0), BPF_FIB_LKUP_RET_FWD_DISABLED);
  assert.equal(fib.lookup(params(AF_INET, [10, 9, 9, 9], 3), 0, BPF_FIB_LOOKUP_OUTPUT), BPF_FIB_LKUP_RET_SUCCESS);
  b = params(AF_INET, [10, 9, 9, 9], 2, 1600);
  assert.equal(fib.lookup(b, 0, 0), BPF_FIB_LKUP_RET_FRAG_NEEDED);
  assert.equal(new DataView(b.buffer).getUint16(6, true), 1500); // mtu_result
  assert.equal(fib.lookup(params(AF_INET6, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 0, 0), BPF_FIB_LKUP_RET_NO_NEIGH);
  assert.equal(fib.lookup(params(7, [1, 2, 3, 4]), 0, 0), -97);
});

test('helper ids are checked at load: unsupported ones by name, unknown ones as the kernel says', () => {
  const table = xdpHelpers(new HelperState());
  const prog = (id: number) => encodeProgram([
    { code: 0x85, dst: 0, src: 0, off: 0, imm: id }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ]);
  checkHelperCalls(prog(1), table);
  assert.throws(() => checkHelperCalls(prog(14), table), /insn 0: helper bpf_get_current_pid_tgid#14 is not available to this program type/);
  assert.throws(() => checkHelperCalls(prog(9999), table), /insn 0: invalid func unknown#9999/);
  for (const id of [1, 2, 3, 5, 6, 7, 8, 12, 23, 28, 44, 51, 54, 65, 69, 189, 190]) assert.ok(table.has(id), `helper ${id}`);
});
