import { resolve } from 'node:path';
import { compileBpf } from '../../core/ebpf/clang';
import { UsageError, type CliCommand } from '../io';
import { optionValue } from './bpfRun';

export const bpfCompileCommand: CliCommand = {
  name: 'bpf compile',
  summary: 'compile XDP C with clang (-O2 -g -target bpf) and report its diagnostics',
  usage: [
    'Usage: netvsc-lab bpf compile PROG.c -o PROG.o [-I DIR]... [--clang PATH] [-- CLANG-ARGS...]',
    '',
    'Runs `clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c PROG.c -o PROG.o` and prints',
    'clang\'s diagnostics as `file:line:col: severity: message`. Exit status 1 when clang fails.',
  ].join('\n'),
  async run(args, io) {
    let src: string | undefined, out: string | undefined, clang: string | undefined;
    const includes: string[] = [];
    let extra: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '-o') { out = optionValue(args, i); i++; }
      else if (a === '--clang') { clang = optionValue(args, i); i++; }
      else if (a === '-I') { includes.push(optionValue(args, i)); i++; }
      else if (a.startsWith('-I') && a.length > 2) includes.push(a.slice(2));
      else if (a === '--') { extra = args.slice(i + 1); break; }
      else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else if (src) throw new UsageError(`unexpected argument '${a}' (one source file only)`);
      else src = a;
    }
    if (!src) throw new UsageError('no source file given');
    if (!out) out = src.replace(/\.c$/, '') + '.o';
    const r = await compileBpf(resolve(io.cwd, src), resolve(io.cwd, out), { clang, includes, extraArgs: extra, cwd: io.cwd });
    for (const d of r.diagnostics) io.err(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}\n`);
    if (!r.ok) {
      if (!r.diagnostics.length && r.stderr) io.err(r.stderr);
      io.err(`netvsc-lab bpf compile: clang failed (exit ${r.exitCode ?? 'killed'})\n`);
      return 1;
    }
    io.out(`${out}\n`);
    return 0;
  },
};
