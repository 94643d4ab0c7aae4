// Load + verify of a ~1,000-instruction clang object (test/fixtures/xdp/xdp_big.o), beside the
// kernel doing the same through `bpftool prog load` (root only) measured in the same run.
// Target: under 20 ms for our load + verify.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject } from '../extension/core/ebpf/loader';
import { verifyProgram } from '../extension/core/ebpf/verifier';

const OBJ = join(__dirname, '..', 'test', 'fixtures', 'xdp', 'xdp_big.o');
const bytes = readFileSync(OBJ);

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const fmt = (ms: number) => `${ms.toFixed(2).padStart(8)} ms`;

function measure(fn: () => void, rounds: number): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

const program = loadObject(bytes, { fileName: OBJ }).programs[0];
const insns = program.insns.length / 8;
const first = measure(() => verifyProgram(loadObject(bytes).programs[0], { recordStates: false }), 1);
for (let i = 0; i < 20; i++) verifyProgram(loadObject(bytes).programs[0], { recordStates: false });
const load = measure(() => loadObject(bytes), 50);
const both = measure(() => verifyProgram(loadObject(bytes).programs[0], { recordStates: false }), 50);
const withStates = measure(() => verifyProgram(loadObject(bytes).programs[0]), 10);
const v = verifyProgram(program, { recordStates: false });

console.log(`object: ${OBJ.replace(/.*\/test\//, 'test/')} — ${insns} instructions, ${program.maps.length} maps`);
console.log(`netvsc-lab load (ELF+BTF+relocations)      ${fmt(load)}   (median of 50)`);
console.log(`netvsc-lab load + verify                   ${fmt(both)}   (median of 50; first, cold: ${first.toFixed(1)} ms)   target < 20 ms`);
console.log(`netvsc-lab load + verify, register states  ${fmt(withStates)}   (median of 10; what the debugger asks for)`);
console.log(`  verifier: ${v.summary}`);

// The kernel: bpftool prog load (process start, libbpf open, map creation, BPF_PROG_LOAD with the verifier).
const pin = `/sys/fs/bpf/netvsc_bench_${process.pid}`;
const kernel: number[] = [];
let why = '';
for (let i = 0; i < 10; i++) {
  const t = process.hrtime.bigint();
  const r = spawnSync('bpftool', ['prog', 'load', OBJ, pin], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  rmSync(pin, { force: true });
  if (r.error || r.status !== 0) { why = r.error ? String(r.error.message) : r.stderr.split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status}`; break; }
  kernel.push(ms);
}
const spawnOnly = measure(() => { spawnSync('bpftool', ['version']); }, 5);
if (kernel.length) {
  console.log(`bpftool prog load (kernel verifier)        ${fmt(median(kernel))}   (median of ${kernel.length}; includes ~${spawnOnly.toFixed(1)} ms to start bpftool)`);
  const d = spawnSync('bpftool', ['-d', 'prog', 'load', OBJ, pin], { encoding: 'utf8' });
  rmSync(pin, { force: true });
  const vt = /verification time (\d+) usec/.exec(d.stderr);
  const pr = /processed (\d+) insns/.exec(d.stderr);
  if (vt) console.log(`  kernel: verification time ${(Number(vt[1]) / 1000).toFixed(2)} ms with the log on (bpftool -d), processed ${pr?.[1]} insns`);
} else {
  console.log(`bpftool prog load: not measured (${why || 'bpf() refused'})`);
}
