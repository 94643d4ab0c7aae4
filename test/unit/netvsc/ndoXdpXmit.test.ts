// XDP_REDIRECT as the driver and xdp_do_redirect() handle it: back out of eth0 through
// netvsc_ndoxdp_xmit (queue smp_processor_id() % real_num_tx_queues, tx_queue_N_xdp_xmit, sent
// directly), delegated to the VF when the data path is the VF, to the VF itself, and refused
// for a device without ndo_xdp_xmit (lo), a device that is down, or a frame longer than the
// target's MTU + 14 + 4 (xdp_ok_fwd_dev). A real clang-compiled program decides by UDP port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetvscDevice } from '../../../extension/core/netvsc/device';
import { NetvscPipeline } from '../../../extension/core/netvsc/pipeline';
import { PacketTrace } from '../../../extension/core/trace/packetTrace';
import { buildPacket } from '../../../extension/core/packet/build';
import { loadXdpProgram, type EbpfXdpProgram } from '../../../extension/core/netvsc/xdpRunner';
import { runEthtool } from '../../../extension/core/ethtool/executor';

const eth = (d: NetvscDevice, line: string) => { const r = runEthtool(d, line.split(' ')); assert.equal(r.exit, 0, `ethtool ${line}: ${r.stderr}`); };

let obj: Uint8Array | undefined;
function compile(): Uint8Array {
  if (obj) return obj;
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-redirect-'));
  try {
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(__dirname, 'fixtures/xdp_redirect.c'), '-o', join(dir, 'r.o')], { stdio: 'pipe' });
    return (obj = readFileSync(join(dir, 'r.o')));
  } catch (e) {
    throw new Error(`clang failed (Debian packages clang, libbpf-dev): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`, { cause: e });
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

function setup(cpus: number, opts: { redirectDevices?: number[] } = {}) {
  const d = new NetvscDevice({ cpus });
  eth(d, '-K eth0 lro off');
  const prog = loadXdpProgram(compile(), { engine: 'jit' }) as EbpfXdpProgram;
  assert.equal(d.setXdp(prog).err, 0);
  const trace = new PacketTrace();
  const p = new NetvscPipeline(d, trace, opts);
  let t = 0;
  const rx = (dport: number, payload = 100) => {
    const f = buildPacket({ eth: { src: '00:15:5d:00:00:02', dst: d.mac }, ip: { src: '10.0.0.3', dst: '10.0.0.2' }, l4: { udp: { sport: 1000, dport } }, payload });
    trace.begin(p.nextId, t, f.length, 0);
    const id = p.receive(f, 0, f.length, t);
    t += 100;
    return id;
  };
  return { d, prog, trace, p, rx };
}

test('redirect to eth0 itself: tx_queue_N_xdp_xmit on the queue of the CPU that ran NAPI, packets/bytes at completion', () => {
  // 4 vCPUs, 4 channels, every packet steered to channel 3, whose NAPI runs on CPU 3 (channels are
  // never more than vCPUs): netvsc_ndoxdp_xmit sends on TX queue 3 % 4 = 3.
  const { d, trace, p, rx } = setup(4);
  eth(d, '-L eth0 combined 4');
  eth(d, '-X eth0 weight 0 0 0 1');
  const ids = [rx(2), rx(2), rx(2)];
  for (const id of ids) {
    assert.equal(trace.queue(id), 3);
    assert.equal(trace.record(id).verdict, 'XDP_REDIRECT');
    assert.equal(trace.record(id).dropReason, null);
  }
  assert.equal(d.stats.get('tx_queue_3_xdp_xmit'), 3); // at once
  assert.equal(d.stats.get('tx_queue_3_packets'), 0); // not completed yet
  p.flush();
  assert.equal(d.stats.get('rx_queue_3_xdp_redirect'), 3);
  assert.equal(d.stats.get('rx_queue_3_packets'), 3);
  assert.equal(d.stats.get('tx_queue_3_packets'), 3);
  assert.equal(d.stats.get('tx_queue_3_bytes'), 3 * (14 + 20 + 8 + 100));
  for (const q of [0, 1, 2]) assert.equal(d.stats.get(`tx_queue_${q}_xdp_xmit`), 0);
  // Sent directly, like XDP_TX: no send-buffer section, nothing batched.
  assert.equal(d.stats.get('tx_send_full'), 0);
});

test('redirect through a devmap entry naming eth0 is the same ndo_xdp_xmit; an empty slot takes the miss action', () => {
  const { d, prog, p, rx, trace } = setup(1);
  const first = rx(4); // slot 0 empty: bpf_redirect_map returns XDP_DROP (its flags)
  assert.equal(trace.record(first).verdict, 'XDP_DROP');
  const devmap = prog.instance.mapByName('tx_port')!;
  assert.equal(devmap.update(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(d.ifindex, 0, 0, 0)), 0);
  const id = rx(4);
  p.flush();
  assert.equal(trace.record(id).verdict, 'XDP_REDIRECT');
  assert.equal(d.stats.get('tx_queue_0_xdp_xmit'), 1);
  assert.equal(d.stats.get('tx_queue_0_packets'), 1);
  assert.equal(d.stats.get('rx_queue_0_xdp_drop'), 1);
});

test('with the VF as data path, ndo_xdp_xmit is the VF\'s: no netvsc TX counters; redirect to the VF needs it up', () => {
  const { d, p, rx, trace } = setup(1);
  assert.equal(d.addVf({ up: true }).err, 0);
  assert.ok(d.vfCarriesTx);
  assert.equal(d.vf!.ifindex, 3);
  const self = rx(2), toVf = rx(3);
  p.flush();
  for (const id of [self, toVf]) assert.equal(trace.record(id).dropReason, null);
  assert.equal(d.stats.get('tx_queue_0_xdp_xmit'), 0);
  assert.equal(d.stats.get('tx_queue_0_packets'), 0);
  assert.equal(d.setVfUp(false).err, 0);
  const down = rx(3);
  assert.equal(trace.record(down).dropReason, 'xdp-redirect-failed'); // xdp_ok_fwd_dev: target not IFF_UP
});

test('redirect failures: lo has no ndo_xdp_xmit, a frame pushed past MTU + 18; the lab\'s other devices are reachable', () => {
  const { d, p, rx, trace } = setup(1, { redirectDevices: [4] });
  const lo = rx(1);
  // 1500-byte IP packet + 20 pushed bytes = 1534 > 1500 + 14 + 4.
  const big = rx(5, 1500 - 28);
  const small = rx(5, 100);
  p.flush();
  assert.equal(trace.record(lo).dropReason, 'xdp-redirect-failed');
  assert.equal(trace.record(big).dropReason, 'xdp-redirect-failed');
  assert.equal(trace.record(small).dropReason, null);
  assert.equal(d.stats.get('rx_queue_0_xdp_drop'), 2);
  assert.equal(d.stats.get('tx_queue_0_xdp_xmit'), 1);
  assert.equal(d.stats.get('tx_queue_0_bytes'), 14 + 20 + 8 + 100 + 20);
});
