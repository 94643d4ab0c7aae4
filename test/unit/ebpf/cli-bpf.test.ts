// `netvsc-lab bpf run|verify|dump|compile`, in-process and through the built CLI bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryIO } from '../../../extension/cli/io';
import { main } from '../../../extension/cli/main';
import { PcapWriter } from '../../../extension/core/packet/pcap';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { EXAMPLES, ROOT, example, hex, tool, udp, tcp } from '../../fixtures/xdp/harness';

async function cli(args: string[], cwd = ROOT) {
  const io = memoryIO(cwd);
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

const LINE = /^Return value: (\d+), duration: \d+ns$/;

test('bpf run prints bpftool\'s line, with "(average)" only for repeat > 1, and writes data_out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-cli-'));
  try {
    let r = await cli(['bpf', 'run', example('xdp_drop_udp.o'), '--data-hex', hex(udp(9))]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out.trim(), LINE);
    assert.equal(LINE.exec(r.out.trim())![1], '1');
    r = await cli(['bpf', 'run', example('xdp_drop_udp.o'), '--data-hex', hex(udp(53)), '--repeat', '5', '--engine', 'interpreter']);
    assert.match(r.out.trim(), /^Return value: 2, duration \(average\): \d+ns$/);
    writeFileSync(join(dir, 'in.bin'), udp(53, { vlan: 9, payload: 300 }));
    r = await cli(['bpf', 'run', example('xdp_vlan_pop.o'), '--data-file', join(dir, 'in.bin'), '--data-out', join(dir, 'out.bin')]);
    assert.equal(LINE.exec(r.out.trim())![1], '3');
    assert.equal(hex(readFileSync(join(dir, 'out.bin'))), hex(udp(53, { payload: 300 }).subarray(0, 128)));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('bpf run --pcap runs every packet and writes a pcap of the results; --verbose shows printk and maps', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-cli-'));
  try {
    const w = new PcapWriter(1);
    const pkts = [udp(9), udp(53), tcp(22)];
    writeFileSync(join(dir, 'in.pcap'), Buffer.concat([w.header(), ...pkts.map((p, i) => w.record(p, i, 0))]));
    const r = await cli(['bpf', 'run', example('xdp_drop_udp.o'), '--pcap', join(dir, 'in.pcap'), '--data-out', join(dir, 'out.pcap')]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split('\n').map((l) => /^packet (\d): Return value: (\d), duration: \d+ns$/.exec(l)!.slice(1)), [['1', '1'], ['2', '2'], ['3', '2']]);
    const cap = openCaptureBytes(readFileSync(join(dir, 'out.pcap')));
    assert.equal(cap.count, 3);
    assert.equal(hex(cap.packet(1)), hex(pkts[1]));
    const v = await cli(['bpf', 'run', example('xdp_config_printk.o'), '--data-hex', hex(udp(53).subarray(0, 42)), '--verbose']);
    assert.match(v.out, /^ {2}action: XDP_DROP, 42 bytes out/m);
    assert.match(v.out, /^ {2}printk: len=42 proto=0x800 seen=1$/m);
    assert.match(v.out, /^ {2}map xdp_conf\.bss\[0\]: \{dropped_short=0, seen=0\} -> \{dropped_short=1, seen=1\}$/m);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('bpf verify: file:line:col errors in the kernel\'s words, exit 1; accepted programs exit 0', async () => {
  const bad = await cli(['bpf', 'verify', 'xdp_buggy_unchecked.o'], EXAMPLES);
  assert.equal(bad.code, 1);
  const lines = bad.out.split('\n');
  assert.equal(lines[0], 'xdp_buggy_unchecked.c:22:10: error: invalid access to packet, off=23 size=1, R1(id=0,off=23,r=14)');
  assert.equal(lines[1], 'xdp_buggy_unchecked.c:22:10: error: R1 offset is outside of the packet');
  assert.match(lines[2], /^\t; if \(ip->protocol == IPPROTO_ICMP\) .* @ xdp_buggy_unchecked\.c:22$/);
  assert.equal(lines[3], '\t6: (71) r1 = *(u8 *)(r1 + 23)');
  assert.match(lines[4], /^xdp_buggy_unchecked \(section xdp\): rejected at insn 6, processed 7 insns \(limit 1000000\)/);
  const ok = await cli(['bpf', 'verify', example('xdp_count.o')]);
  assert.equal(ok.code, 0);
  assert.match(ok.out, /^xdp_count \(section xdp\): accepted, processed \d+ insns \(limit 1000000\)/);
  const states = await cli(['bpf', 'verify', example('xdp_drop_udp.o'), '--states']);
  assert.match(states.out, /^; void \*data_end = \(void \*\)\(long\)ctx->data_end; @ xdp_drop_udp\.c:\d+$/m);
  assert.match(states.out, /^\d+: R0=\d+ R1=pkt\(r=14\) R2=pkt_end\(\) R3=pkt\(off=14,r=14\) R10=fp0$/m);
  // bpf run refuses what the verifier rejects unless told otherwise.
  const run = await cli(['bpf', 'run', 'xdp_buggy_unchecked.o', '--data-hex', hex(udp(1))], EXAMPLES);
  assert.equal(run.code, 1);
  assert.match(run.err, /rejected by the verifier \(use --no-verify to run it anyway\)/);
});

test('bpf dump: the instructions llvm-objdump prints, with source lines from BTF', async () => {
  const r = await cli(['bpf', 'dump', example('xdp_drop_udp.o'), '--no-raw']);
  assert.equal(r.code, 0);
  const ours = r.out.split('\n').filter((l) => /^\s+\d+:\t/.test(l));
  const theirs = tool('llvm-objdump', ['-d', '--no-show-raw-insn', '--section=xdp', example('xdp_drop_udp.o')]).stdout
    .split('\n').filter((l) => /^\s+\d+:\t/.test(l)).map((l) => l.replace(/ <\w+>$/, ''));
  assert.deepEqual(ours, theirs);
  assert.match(r.out, /^; \tif \(udp->dest == bpf_htons\(DROP_PORT\)\)$/m);
  const calls = await cli(['bpf', 'dump', example('xdp_parse_calls.o')]);
  assert.match(calls.out, /^\s+8:\t85 10 00 00 1a 00 00 00\tcall pc\+26 <parse_eth>$/m);
  assert.match(calls.out, /^0000000000000023 <parse_eth>:$/m);
  const maps = await cli(['bpf', 'dump', example('xdp_config_printk.o'), '--no-raw']);
  assert.match(maps.out, /^\s+2:\tr2 = map\[xdp_conf\.bss\]\[0\]\+4$/m);
});

test('bpf compile runs clang and reports its diagnostics as file:line:col', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-cli-'));
  try {
    const ok = await cli(['bpf', 'compile', example('xdp_pass.c'), '-o', join(dir, 'p.o')]);
    assert.equal(ok.code, 0, ok.err);
    const run = await cli(['bpf', 'run', join(dir, 'p.o'), '--data-hex', hex(udp(1))]);
    assert.equal(LINE.exec(run.out.trim())![1], '2');
    writeFileSync(join(dir, 'bad.c'), '#include <linux/bpf.h>\nint f(struct xdp_md *ctx)\n{\n\treturn ctx->nope;\n}\n');
    const bad = await cli(['bpf', 'compile', 'bad.c', '-o', 'bad.o'], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /bad\.c:4:14: error: no member named 'nope' in 'struct xdp_md'/);
    const missing = await cli(['bpf', 'compile', 'bad.c', '--clang', '/nonexistent/clang'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /clang not found at '\/nonexistent\/clang'/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('usage mistakes exit 2 with one line; bad objects exit 1 naming file and problem', async () => {
  let r = await cli(['bpf', 'run', example('xdp_pass.o')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^netvsc-lab bpf run: no input: give --data-hex, --data-file or --pcap\n/);
  r = await cli(['bpf', 'run', example('xdp_pass.o'), '--data-hex', 'zz']);
  assert.equal(r.code, 2);
  r = await cli(['bpf', 'run', example('xdp_pass.o'), '--data-hex', '00', '--engine', 'fast']);
  assert.match(r.err, /--engine must be jit or interpreter, not 'fast'/);
  r = await cli(['bpf', 'run', example('xdp_pass.o'), '--data-hex', '0011']);
  assert.equal(r.code, 1);
  assert.match(r.err, /packet is 2 bytes; XDP test runs need at least 14 \(ETH_HLEN\): EINVAL/);
  r = await cli(['bpf', 'verify', example('xdp_pass.c')]);
  assert.equal(r.code, 1);
  assert.equal(r.err.trim().split('\n').length, 1);
  assert.match(r.err, /xdp_pass\.c: ELF header: not an ELF file \(bad magic; expected 7f 45 4c 46\)/);
  r = await cli(['bpf', 'dump', example('xdp_pass.o'), '--section', 'nope']);
  assert.equal(r.code, 1);
});

test('the built CLI bundle runs the same commands', () => {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const r = spawnSync(process.execPath, ['dist/cli.js', 'bpf', 'run', example('xdp_drop_udp.o'), '--data-hex', hex(udp(9)), '--repeat', '100'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.trim(), /^Return value: 1, duration \(average\): \d+ns$/);
  const v = spawnSync(process.execPath, ['dist/cli.js', 'bpf', 'verify', example('xdp_buggy_unchecked.o')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(v.status, 1);
  assert.match(v.stdout, /xdp_buggy_unchecked\.c:22:10: error: R1 offset is outside of the packet/);
});
