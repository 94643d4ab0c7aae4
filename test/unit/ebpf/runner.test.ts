// The BPF_PROG_TEST_RUN model on the example programs: actions and output packets as the C code
// decides them, map changes, printk, redirects, tail calls, faults; both engines agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrayMap } from '../../../extension/core/ebpf/maps';
import { BpfObjectInstance, RunError, XdpRunner, type EngineName } from '../../../extension/core/ebpf/runner';
import { buildPacket } from '../../../extension/core/packet/build';
import { example, fixture, hex, loadFile, tcp, udp } from '../../fixtures/xdp/harness';

const ENGINES: EngineName[] = ['interpreter', 'jit'];
function runner(path: string, engine: EngineName, program?: string, ncpus = 1) {
  const inst = new BpfObjectInstance(loadFile(path), { ncpus });
  return { inst, r: new XdpRunner(inst, program, { engine }) };
}

for (const engine of ENGINES) {
  test(`[${engine}] xdp_drop_udp: UDP to port 9 is dropped, everything else passes, short frames drop`, () => {
    const { r } = runner(example('xdp_drop_udp.o'), engine);
    assert.equal(r.run(udp(9)).retval, 1);
    assert.equal(r.run(udp(53)).retval, 2);
    assert.equal(r.run(tcp(9)).retval, 2);
    const arp = udp(9); arp[12] = 0x08; arp[13] = 0x06;
    assert.equal(r.run(arp).retval, 2);
    assert.equal(r.run(udp(9).subarray(0, 30)).retval, 1); // IPv4 header cut short
    const out = r.run(udp(9));
    assert.equal(hex(out.dataOut), hex(udp(9))); // no change to the packet
    assert.equal(out.action, 'XDP_DROP');
    assert.throws(() => r.run(new Uint8Array(13)), (e: unknown) => e instanceof RunError && /at least 14 \(ETH_HLEN\): EINVAL/.test((e as Error).message));
  });

  test(`[${engine}] xdp_count: per-queue per-CPU counters and per-protocol byte counts`, () => {
    const { inst, r } = runner(example('xdp_count.o'), engine, undefined, 2);
    const pkt = udp(53);
    const first = r.run(pkt, { rxQueueIndex: 3 });
    assert.equal(first.retval, 2);
    assert.deepEqual(first.mapChanges.map((c) => [c.map, c.kind, c.keyText]), [['rxq_packets', 'changed', '3'], ['proto_stats', 'added', '17']]);
    assert.equal(first.mapChanges[1].afterText, `{packets=1, bytes=${pkt.length}}`);
    for (let i = 0; i < 4; i++) r.run(pkt, { rxQueueIndex: 3 });
    const rxq = inst.mapByName('rxq_packets')!;
    const counts = rxq.lookupAllCpus(Uint8Array.of(3, 0, 0, 0))!.map((v) => v[0]);
    assert.deepEqual(counts, [5, 0]); // CPU 0 ran them all
    const stats = inst.mapByName('proto_stats')!;
    assert.equal(stats.formatValue(stats.lookup(Uint8Array.of(17))!), `{packets=5, bytes=${5 * pkt.length}}`);
    const tree = stats.describeValue(stats.lookup(Uint8Array.of(17))!)!;
    assert.deepEqual(tree.children!.map((c) => [c.name, c.typeName, c.value]), [['packets', '__u64', '5'], ['bytes', '__u64', String(5 * pkt.length)]]);
    assert.equal(stats.describeKey(Uint8Array.of(17))!.value, '17');
    // repeat=N runs N times (the counters see every run).
    r.run(tcp(80), { repeat: 10 });
    assert.equal(stats.formatValue(stats.lookup(Uint8Array.of(6))!), `{packets=10, bytes=${10 * tcp(80).length}}`);
  });

  test(`[${engine}] xdp_vlan_pop: the 802.1Q tag is removed and long frames are cut to 128 bytes`, () => {
    const { r } = runner(example('xdp_vlan_pop.o'), engine);
    const tagged = udp(53, { vlan: 10, payload: 150 });
    const plain = udp(53, { payload: 150 });
    const out = r.run(tagged);
    assert.equal(out.retval, 3);
    assert.equal(hex(out.dataOut), hex(plain.subarray(0, 128)));
    const small = r.run(udp(53, { vlan: 10 }));
    assert.equal(hex(small.dataOut), hex(udp(53)));
  });

  test(`[${engine}] xdp_redirect_map: an empty devmap slot passes, a filled one redirects`, () => {
    const { inst, r } = runner(example('xdp_redirect_map.o'), engine);
    assert.equal(r.run(udp(1), { rxQueueIndex: 2 }).retval, 2);
    const dev = inst.mapByName('tx_ports') as ArrayMap;
    assert.equal(dev.update(Uint8Array.of(2, 0, 0, 0), Uint8Array.of(5, 0, 0, 0)), 0);
    const out = r.run(udp(1), { rxQueueIndex: 10 }); // 10 & 7 = slot 2
    assert.equal(out.retval, 4);
    assert.deepEqual(out.redirect, { kind: 'devmap', target: 2, map: 'tx_ports', value: 5 });
    assert.equal(r.run(udp(1), { rxQueueIndex: 3 }).redirect, undefined);
  });

  test(`[${engine}] xdp_config_printk: printk lines, .bss/.data changes, .rodata config set before load`, () => {
    const obj = loadFile(example('xdp_config_printk.o'));
    let inst = new BpfObjectInstance(obj);
    let r = new XdpRunner(inst, undefined, { engine });
    const short = udp(53).subarray(0, 42);
    const res = r.run(short);
    assert.equal(res.retval, 1); // 42 < min_len 60
    assert.deepEqual(res.printk, ['len=42 proto=0x800 seen=1']);
    assert.deepEqual(res.mapChanges.map((c) => `${c.map}: ${c.beforeText} -> ${c.afterText}`), [
      'xdp_conf.bss: {dropped_short=0, seen=0} -> {dropped_short=1, seen=1}',
      'xdp_conf.data: {last_proto=65535} -> {last_proto=2048}',
    ]);
    // Patch the const volatile globals (min_len = 30, verbose = 0) before the program is loaded.
    inst = new BpfObjectInstance(obj);
    const ro = inst.mapByName('xdp_conf.rodata')!;
    ro.values.set([30, 0, 0, 0, 0], 0);
    r = new XdpRunner(inst, undefined, { engine });
    const again = r.run(short);
    assert.equal(again.retval, 2);
    assert.deepEqual(again.printk, []);
  });

  test(`[${engine}] tail calls through the prog_array initialised in the object`, () => {
    const { r } = runner(fixture('tail_call.o'), engine, 'xdp_tail_main');
    const pkt = (b: number) => { const p = udp(53); p[0] = b; return p; };
    assert.equal(r.run(pkt(1)).retval, 1); // slot 1 -> xdp_tail_target -> XDP_DROP
    assert.equal(r.run(pkt(0)).retval, 2); // empty slot: falls through
    assert.equal(r.run(pkt(7)).retval, 2); // past max_entries
  });

  test(`[${engine}] repeat runs on the same buffer: head changes accumulate as in the kernel`, () => {
    const { r } = runner(fixture('adjust_repeat.o'), engine);
    const pkt = udp(53);
    const out = r.run(pkt, { repeat: 3 });
    assert.equal(out.retval, 3);
    assert.equal(out.dataOut.length, pkt.length + 12);
    assert.equal(hex(out.dataOut.subarray(0, 12)), 'ab'.repeat(12));
    assert.equal(hex(out.dataOut.subarray(12)), hex(pkt));
  });

  test(`[${engine}] metadata comes out in front of the packet, as data_out starts at data_meta`, () => {
    const { r } = runner(fixture('adjust_limits.o'), engine);
    const pkt = udp(53); pkt[0] = 4; pkt[1] = 8; // adjust_meta(-8)
    const out = r.run(pkt);
    assert.equal(out.retval, 2);
    assert.equal(out.metaLen, 8);
    assert.equal(out.dataOut.length, pkt.length + 8);
    assert.equal(hex(out.dataOut.subarray(8)), hex(pkt));
  });

  test(`[${engine}] an unverified bad program faults with the instruction and source line; loops hit the budget`, () => {
    const inst = new BpfObjectInstance(loadFile(example('xdp_buggy_unchecked.o')));
    const r = new XdpRunner(inst, undefined, { engine });
    const out = r.run(buildPacket({ eth: {}, ip: { src: '1.1.1.1', dst: '2.2.2.2' } }).subarray(0, 20));
    assert.equal(out.retval, undefined);
    assert.equal(out.action, 'fault');
    assert.equal(out.fault!.kind, 'memory');
    assert.equal(out.fault!.insn, 6);
    assert.equal(out.faultLine!.line, 22);
    const loop = new XdpRunner(new BpfObjectInstance(loadFile(fixture('infinite_loop.o'))), undefined, { engine, insnBudget: 10_000 });
    const l = loop.run(udp(1));
    assert.equal(l.fault!.kind, 'budget');
  });
}

test('interpreter and JIT give identical results on every example and fixture program', () => {
  const packets = [udp(9), udp(53, { vlan: 10, payload: 200 }), tcp(22), tcp(22, { vlan: 5 }), udp(9).subarray(0, 20)];
  const files = ['xdp_pass', 'xdp_drop_udp', 'xdp_count', 'xdp_parse_calls', 'xdp_vlan_pop', 'xdp_redirect_map', 'xdp_config_printk'].map((f) => example(`${f}.o`))
    .concat(['adjust_limits', 'adjust_repeat', 'csum_store', 'tail_call'].map((f) => fixture(`${f}.o`)));
  for (const f of files) {
    const obj = loadFile(f);
    for (const p of obj.programs) {
      const a = new XdpRunner(new BpfObjectInstance(obj), p.name, { engine: 'interpreter' });
      const b = new XdpRunner(new BpfObjectInstance(obj), p.name, { engine: 'jit' });
      for (const pkt of packets) {
        for (const q of [0, 1, 5]) {
          const x = a.run(pkt, { rxQueueIndex: q, repeat: 2 }), y = b.run(pkt, { rxQueueIndex: q, repeat: 2 });
          assert.equal(x.retval, y.retval, `${f} ${p.name}`);
          assert.equal(hex(x.dataOut), hex(y.dataOut));
          assert.deepEqual(x.printk, y.printk);
          assert.deepEqual(x.mapChanges.map((c) => c.afterText), y.mapChanges.map((c) => c.afterText));
        }
      }
    }
  }
  // The parse with bpf-to-bpf calls: TCP to port 22 drops, with or without a VLAN tag.
  const pc = new XdpRunner(new BpfObjectInstance(loadFile(example('xdp_parse_calls.o'))));
  assert.equal(pc.run(tcp(22)).retval, 1);
  assert.equal(pc.run(tcp(22, { vlan: 5 })).retval, 1);
  assert.equal(pc.run(tcp(80)).retval, 2);
  assert.equal(pc.run(udp(22)).retval, 2);
});
