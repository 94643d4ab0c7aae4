import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { lineInfoAt, type BpfProgram } from '../../core/ebpf/program';
import { verifyProgram, type VerifierError } from '../../core/ebpf/verifier';
import { formatInsn } from '../../core/ebpf/disasm';
import { UsageError, type CliCommand } from '../io';
import { optionValue, readPrograms } from './bpfRun';

/**
 * `file:line:col: error: message` per line of the kernel's message (where line info exists, else
 * `OBJ.o: section S insn N: error: …`), then the source line and the instruction as the kernel's
 * log shows them.
 */
export function formatVerifierError(obj: string, p: BpfProgram, e: VerifierError, cwd = process.cwd()): string {
  const l = e.line && e.line.line ? e.line : undefined;
  const where = l ? `${sourcePath(l.file, obj, cwd)}:${l.line}${l.col ? `:${l.col}` : ''}` : `${obj}: section ${p.section} insn ${e.insn}`;
  const lines = e.message.split('\n').map((m) => `${where}: error: ${m}`);
  // The kernel's log line: `; <source> @ file.c:LINE` (it prints the base name).
  if (l) lines.push(`\t; ${l.text.trim()} @ ${basename(l.file)}:${l.line}`);
  if (e.insn >= 0 && e.insn * 8 < p.insns.length) {
    lines.push(`\t${e.insn}: (${p.insns[e.insn * 8].toString(16).padStart(2, '0')}) ${formatInsn(p.insns, e.insn)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * clang records the absolute source path of the machine that compiled the object in BTF; show one
 * the user can open: the source beside the object (a copied or cloned tree), else the recorded
 * path relative to the working directory when it exists here, else the base name.
 */
export function sourcePath(file: string, obj: string, cwd: string): string {
  const beside = join(dirname(obj), basename(file));
  if (existsSync(join(cwd, beside))) return beside;
  if (isAbsolute(file) && existsSync(file)) return relative(cwd, file) || file;
  return basename(file);
}

export const bpfVerifyCommand: CliCommand = {
  name: 'bpf verify',
  summary: 'run the verifier on the programs of a clang object (kernel wording, file:line)',
  usage: [
    'Usage: netvsc-lab bpf verify OBJ.o [--section SEC] [--states] [--unprivileged]',
    '',
    'Verifies each program (or the one named by --section) the way the kernel does before a load',
    'and prints `file:line: error: message` for a rejection, then the verdict per program:',
    '  xdp_count (section xdp): accepted, processed 82 insns (limit 1000000) ...',
    '--states prints the register state before every instruction (the kernel\'s notation).',
    '--unprivileged rejects uninitialised stack reads, as for a loader without CAP_PERFMON.',
    'Exit status: 0 all accepted, 1 any rejected.',
  ].join('\n'),
  run(args, io) {
    let obj: string | undefined, section: string | undefined, states = false, privileged = true;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--section') { section = optionValue(args, i); i++; }
      else if (a === '--states') states = true;
      else if (a === '--unprivileged') privileged = false;
      else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else if (obj) throw new UsageError(`unexpected argument '${a}' (one object file only)`);
      else obj = a;
    }
    if (!obj) throw new UsageError('no object file given');
    const { programs: progs } = readPrograms(obj, section, io);
    let rejected = 0;
    for (const p of progs) {
      const r = verifyProgram(p, { privileged, recordStates: states });
      if (states) {
        let last = '';
        for (let i = 0; i * 8 < p.insns.length; i++) {
          const l = lineInfoAt(p, i);
          const key = l ? `${l.file}:${l.line}` : '';
          if (l && key !== last && l.line) { io.out(`; ${l.text.trim()} @ ${basename(l.file)}:${l.line}\n`); last = key; }
          for (const s of r.insnStates[i] ?? []) io.out(`${i}: ${s}\n`);
          io.out(`${i}: (${p.insns[i * 8].toString(16).padStart(2, '0')}) ${formatInsn(p.insns, i)}\n`);
          if (p.insns[i * 8] === 0x18) i++;
        }
      }
      if (r.ok) io.out(`${p.name} (section ${p.section}): accepted, ${r.summary}\n`);
      else {
        rejected++;
        io.out(formatVerifierError(obj, p, r.error!, io.cwd));
        io.out(`${p.name} (section ${p.section}): rejected at insn ${r.error!.insn}, ${r.summary}\n`);
      }
    }
    return rejected ? 1 : 0;
  },
};
