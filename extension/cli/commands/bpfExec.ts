import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runConformance } from '../../core/ebpf/conformance';
import { interpreter } from '../../core/ebpf/interpreter';
import { jit } from '../../core/ebpf/jit';
import type { VmEngine } from '../../core/ebpf/vm';
import { UsageError, type CliCommand } from '../io';

/** `netvsc-lab bpf exec FILE.data…`: runs tests in the bpf_conformance `.data` format. */
export const bpfExecCommand: CliCommand = {
  name: 'bpf exec',
  summary: 'run eBPF tests in the bpf_conformance .data format (PASS / FAIL per file)',
  usage: [
    'Usage: netvsc-lab bpf exec [--engine interpreter|jit|both] FILE.data [FILE.data ...]',
    '',
    'Assembles the `-- asm` (or `-- raw`) program of each file, runs it with r1 = the `-- mem` bytes',
    'and r2 = their length, and compares r0 with `-- result` (or expects the `-- error`).',
    'Prints PASS or FAIL: <why> per file (prefixed with the file name when several are given);',
    'exits 1 if any file fails. --engine both (the default) runs the interpreter and the JIT.',
  ].join('\n'),
  run(args, io) {
    let engines: VmEngine[] = [interpreter, jit];
    const files: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--engine') {
        const v = args[++i];
        if (v === 'interpreter') engines = [interpreter];
        else if (v === 'jit') engines = [jit];
        else if (v === 'both') engines = [interpreter, jit];
        else throw new UsageError(`--engine must be interpreter, jit or both, not '${v ?? ''}'`);
      } else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else files.push(a);
    }
    if (files.length === 0) throw new UsageError('no .data file given');
    let failed = 0;
    for (const f of files) {
      const prefix = files.length > 1 ? `${f}: ` : '';
      let text: string;
      try {
        text = readFileSync(resolve(io.cwd, f), 'utf8');
      } catch (e) {
        failed++;
        io.out(`${prefix}FAIL: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
        continue;
      }
      const whyNot: string[] = [];
      for (const engine of engines) {
        const r = runConformance(text, engine);
        if (!r.pass) whyNot.push(engines.length > 1 ? `${engine.name}: ${r.why}` : r.why);
      }
      if (whyNot.length === 0) io.out(`${prefix}PASS\n`);
      else { failed++; io.out(`${prefix}FAIL: ${whyNot.join('; ')}\n`); }
    }
    return failed > 0 ? 1 : 0;
  },
};
