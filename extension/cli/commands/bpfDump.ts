import { formatInsn, insnSlots } from '../../core/ebpf/disasm';
import { lineInfoIndexAt, type BpfProgram } from '../../core/ebpf/program';
import { UsageError, type CliCommand } from '../io';
import { optionValue, readPrograms } from './bpfRun';

/** One loaded instruction, with map references and bpf-to-bpf calls named as `bpftool prog dump xlated` does. */
function insnText(p: BpfProgram, i: number): string {
  const o = i * 8;
  const op = p.insns[o], src = p.insns[o + 1] >> 4, dst = p.insns[o + 1] & 0xf;
  const imm = p.insns[o + 4] | (p.insns[o + 5] << 8) | (p.insns[o + 6] << 16) | (p.insns[o + 7] << 24);
  if (op === 0x18 && (src === 1 || src === 2)) {
    const m = p.maps[imm]?.name ?? `#${imm}`;
    const next = p.insns[o + 12] | (p.insns[o + 13] << 8) | (p.insns[o + 14] << 16) | (p.insns[o + 15] << 24);
    return src === 1 ? `r${dst} = map[${m}]` : `r${dst} = map[${m}][0]+${next}`;
  }
  if (op === 0x85 && src === 1) {
    const target = i + 1 + imm;
    const fn = p.pieces.find((x) => x.insn === target)?.name;
    return `call pc${imm < 0 ? '' : '+'}${imm}${fn ? ` <${fn}>` : ''}`;
  }
  return formatInsn(p.insns, i);
}

/** The program's instructions with `; source` lines where the source line changes (like `llvm-objdump -S`). */
export function dumpProgram(p: BpfProgram, raw: boolean): string[] {
  const out: string[] = [];
  let lastLine = '';
  const n = p.insns.length / 8;
  for (let i = 0; i < n; i += insnSlots(p.insns, i)) {
    const piece = p.pieces.find((x) => x.insn === i);
    if (piece) {
      if (out.length) out.push('');
      out.push(`${i.toString(16).padStart(16, '0')} <${piece.name}>:`);
    }
    const li = lineInfoIndexAt(p.lineInfo, i);
    // Like llvm-objdump -S: a source line is printed when the line number changes.
    const l = li >= 0 ? p.lineInfo[li] : undefined;
    if (l && l.line && `${l.file}:${l.line}` !== lastLine) {
      lastLine = `${l.file}:${l.line}`;
      out.push(`; ${l.text}`);
    }
    const slots = Math.min(insnSlots(p.insns, i), n - i);
    const bytes = raw ? Array.from(p.insns.subarray(i * 8, (i + slots) * 8), (b) => b.toString(16).padStart(2, '0')).join(' ') + '\t' : '';
    out.push(`${String(i).padStart(8)}:\t${bytes}${insnText(p, i)}`);
  }
  return out;
}

export const bpfDumpCommand: CliCommand = {
  name: 'bpf dump',
  summary: 'disassemble the loaded programs of a clang object, interleaved with source lines',
  usage: [
    'Usage: netvsc-lab bpf dump OBJ.o [--section SEC] [--no-raw] [--maps]',
    '',
    'Prints each program as the loader lays it out (sub-programs appended, map references',
    'resolved), like `llvm-objdump -d -S`: `; source text` lines from BTF line info, then',
    '`   N:\\t<bytes>\\t<instruction>`. --no-raw drops the bytes column; --maps lists the maps.',
  ].join('\n'),
  run(args, io) {
    let obj: string | undefined, section: string | undefined, raw = true, maps = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--section') { section = optionValue(args, i); i++; }
      else if (a === '--no-raw' || a === '--no-show-raw-insn') raw = false;
      else if (a === '--maps') maps = true;
      else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else if (obj) throw new UsageError(`unexpected argument '${a}' (one object file only)`);
      else obj = a;
    }
    if (!obj) throw new UsageError('no object file given');
    const { object, programs: progs } = readPrograms(obj, section, io);
    if (maps) {
      io.out('Maps:\n');
      object.maps.forEach((m, i) => io.out(`  ${i}: ${m.name}  type ${m.type}  key ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}  flags 0x${m.flags.toString(16)}\n`));
      io.out('\n');
    }
    progs.forEach((p, k) => {
      if (k) io.out('\n');
      io.out(`Disassembly of program ${p.name} (section ${p.section}, ${p.insns.length / 8} insns):\n\n`);
      io.out(dumpProgram(p, raw).join('\n') + '\n');
    });
    return 0;
  },
};
