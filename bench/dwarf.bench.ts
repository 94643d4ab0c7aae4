// C variables in the debugger. (1) The cost of the DWARF: parsing an object's DWARF (on the first
// Locals/C-name request) and the variables at one instruction, beside the reference measured in
// the same run: loading the same object (ELF, BTF, relocations, linking), which every launch pays.
// (2) Run to a stop at packet N with a line breakpoint conditioned on a C variable (`dport == 53`,
// read through DWARF at every hit), beside the same breakpoint conditioned on the register that
// holds it (`(r9 & 0xffff) == 53`, no DWARF) as the reference.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prepareLaunch } from '../extension/core/debug/launch';
import { DebugRuntime, type StopInfo } from '../extension/core/debug/runtime';
import { loadObject } from '../extension/core/ebpf/loader';
import { udpTraceParts } from './udpTrace';

const ROOT = resolve(__dirname, '..');
const PROGRAM = join(ROOT, 'test/fixtures/debug/xdp_locals.c');
const N = 20_000;
const tmp = mkdtempSync(join(tmpdir(), 'netvsc-dwarf-bench-'));
const obj = execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', PROGRAM, '-o', '-']);

function per(label: string, reps: number, fn: () => void): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  const us = ((performance.now() - t0) * 1000) / reps;
  console.log(`  ${label.padEnd(64)} ${us.toFixed(1).padStart(8)} µs`);
  return us;
}

console.log(`DWARF of ${PROGRAM.split('/').pop()} (${obj.length} bytes of object)`);
per('reference: loadObject (ELF, BTF, relocations, link)', 300, () => { loadObject(obj, { fileName: 'xdp_locals.o' }); });
per('loadObject + DWARF parse + variables at insn 0', 300, () => { loadObject(obj, { fileName: 'xdp_locals.o' }).programs[0].dwarf!.variablesAt(0); });
const dw = loadObject(obj, { fileName: 'xdp_locals.o' }).programs[0].dwarf!;
const count = loadObject(obj, { fileName: 'xdp_locals.o' }).programs[0].insns.length / 8;
let k = 0;
per('variables at one instruction (cached after the first)', 100_000, () => { dw.variablesAt(k++ % count); });

const parts = udpTraceParts(N);
const trace = join(tmp, 'bench.pcap');
writeFileSync(trace, Buffer.concat(parts));
const line = readFileSync(PROGRAM, 'utf8').split('\n').findIndex((l) => l.includes('bpf_map_update_elem(&flows')) + 1;

async function runTo(label: string | undefined, condition: string): Promise<number> {
  const prepared = await prepareLaunch({ program: PROGRAM, trace });
  let stop: StopInfo | undefined;
  let done!: () => void;
  const stopped = new Promise<void>((r) => { done = r; });
  const rt = new DebugRuntime(prepared.target, prepared.options, { stopped: (s) => { stop = s; done(); }, output: () => {}, terminated: () => done() });
  rt.setLineBreakpoints(PROGRAM, [{ line, condition }]);
  const t0 = performance.now();
  await rt.start();
  await stopped;
  const ms = performance.now() - t0;
  if (label) console.log(`  ${label.padEnd(64)} ${ms.toFixed(0).padStart(8)} ms   stopped: ${stop?.reason} at packet ${rt.packetNumber}`);
  return ms;
}

void (async () => {
  console.log(`\nRun to the one matching packet of ${N} (line ${line}, a condition at every hit; after one warm-up run of each)`);
  await runTo(undefined, '(r9 & 0xffff) == 53');
  await runTo(undefined, 'dport == 53');
  const ref = await runTo('reference: condition on the register, (r9 & 0xffff) == 53', '(r9 & 0xffff) == 53');
  const c = await runTo('condition on the C variable, dport == 53 (DWARF)', 'dport == 53');
  console.log(`  per packet: ${((c * 1000) / N).toFixed(1)} µs with the C name, ${((ref * 1000) / N).toFixed(1)} µs with the register`);
  rmSync(tmp, { recursive: true, force: true });
})();
