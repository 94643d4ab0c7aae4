import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BpfObjectError } from '../../core/ebpf/elf';
import { loadObject, type BpfObject } from '../../core/ebpf/loader';
import { BpfMapError } from '../../core/ebpf/maps';
import { BpfObjectInstance, RunError, XdpRunner, type EngineName, type XdpRunResult } from '../../core/ebpf/runner';
import { formatVerifierError } from './bpfVerify';
import { verifyProgram } from '../../core/ebpf/verifier';
import { openCaptureBytes } from '../../core/packet/reader';
import { PcapWriter } from '../../core/packet/pcap';
import { UsageError, type CliCommand, type CliIO } from '../io';

/** Reads and loads an object file; load problems become one-line errors naming the file. */
export function readObject(path: string, io: CliIO): BpfObject {
  const full = resolve(io.cwd, path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(full);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  try {
    return loadObject(bytes, { fileName: path });
  } catch (e) {
    if (e instanceof BpfObjectError) throw new Error(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Reads an object (warnings to stderr) and picks its programs: all of them, or the one whose
 * section or name is `section`. An object without a match is an error naming what it has.
 */
export function readPrograms(path: string, section: string | undefined, io: CliIO): { object: BpfObject; programs: BpfObject['programs'] } {
  const object = readObject(path, io);
  for (const w of object.warnings) io.err(`warning: ${w}\n`);
  const programs = section === undefined ? object.programs : object.programs.filter((p) => p.section === section || p.name === section);
  if (programs.length === 0) {
    throw new Error(section === undefined ? `${path}: no programs` : `${path}: no program or section '${section}' (have: ${object.programs.map((p) => `${p.section}:${p.name}`).join(', ')})`);
  }
  return { object, programs };
}

/** Value of `--name V` at args[i]; throws a usage error when it is missing. */
export function optionValue(args: string[], i: number): string {
  const v = args[i + 1];
  if (v === undefined || (v.startsWith('--') && v.length > 2)) throw new UsageError(`${args[i]} needs a value`);
  return v;
}

function parseCount(name: string, v: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > 0xffffffff) throw new UsageError(`${name} must be an integer >= ${min}, not '${v}'`);
  return Number(v);
}

function parseHex(v: string): Uint8Array {
  const clean = v.replace(/[\s:]/g, '').replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new UsageError(`--data-hex must be pairs of hex digits, not '${v.length > 40 ? v.slice(0, 40) + '…' : v}'`);
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** bpftool's line: `Return value: 2, duration (average): 38ns` (" (average)" only when repeat > 1). */
export function bpftoolLine(r: XdpRunResult, repeat: number): string {
  return `Return value: ${r.retval}, duration${repeat > 1 ? ' (average)' : ''}: ${r.durationNs}ns`;
}

export const bpfRunCommand: CliCommand = {
  name: 'bpf run',
  summary: 'run an XDP program of a clang object on packets, like `bpftool prog run`',
  usage: [
    'Usage: netvsc-lab bpf run OBJ.o [--section SEC] (--data-hex HEX | --data-file F | --pcap F)',
    '                          [--repeat N] [--queue Q] [--ifindex N] [--data-out F]',
    '                          [--engine jit|interpreter] [--no-verify] [--verbose]',
    '',
    'Verifies the program, then runs it as BPF_PROG_TEST_RUN does (256 bytes of headroom, the',
    'program repeated N times on the same buffer) and prints bpftool\'s line:',
    '  Return value: 2, duration (average): 38ns',
    '--pcap runs every packet of a pcap/pcapng file (one line each, prefixed `packet N:`).',
    '--data-out writes the packet after the program (a pcap file with --pcap).',
    '--verbose also prints the action, printk lines, the redirect target and map changes.',
    '--section picks a program by section or function name (default: the first one).',
  ].join('\n'),
  run(args, io) {
    let obj: string | undefined, section: string | undefined, dataOut: string | undefined;
    let input: { kind: 'hex' | 'file' | 'pcap'; value: string } | undefined;
    let repeat = 1, queue = 0, ifindex = 1, engine: EngineName = 'jit', verify = true, verbose = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const setInput = (kind: 'hex' | 'file' | 'pcap') => {
        if (input) throw new UsageError('give only one of --data-hex, --data-file and --pcap');
        input = { kind, value: optionValue(args, i) }; i++;
      };
      switch (a) {
        case '--section': section = optionValue(args, i); i++; break;
        case '--data-hex': setInput('hex'); break;
        case '--data-file': case '--data-in': setInput('file'); break;
        case '--pcap': setInput('pcap'); break;
        case '--repeat': repeat = parseCount('--repeat', optionValue(args, i), 0) || 1; i++; break;
        case '--queue': queue = parseCount('--queue', optionValue(args, i), 0); i++; break;
        case '--ifindex': ifindex = parseCount('--ifindex', optionValue(args, i), 1); i++; break;
        case '--data-out': dataOut = optionValue(args, i); i++; break;
        case '--engine': {
          const v = optionValue(args, i); i++;
          if (v !== 'jit' && v !== 'interpreter') throw new UsageError(`--engine must be jit or interpreter, not '${v}'`);
          engine = v;
          break;
        }
        case '--no-verify': verify = false; break;
        case '--verbose': case '-v': verbose = true; break;
        default:
          if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
          if (obj) throw new UsageError(`unexpected argument '${a}' (one object file only)`);
          obj = a;
      }
    }
    if (!obj) throw new UsageError('no object file given');
    if (!input) throw new UsageError('no input: give --data-hex, --data-file or --pcap');

    const object = readObject(obj, io);
    let packets: Uint8Array[];
    if (input.kind === 'hex') packets = [parseHex(input.value)];
    else {
      let bytes: Uint8Array;
      try { bytes = readFileSync(resolve(io.cwd, input.value)); } catch (e) { throw new Error(`cannot read ${input.value}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e }); }
      if (input.kind === 'file') packets = [bytes];
      else {
        const cap = openCaptureBytes(bytes, input.value);
        if (cap.error && cap.count === 0) throw new Error(`${input.value}: ${cap.error.message}`);
        packets = [];
        for (let i = 0; i < cap.count; i++) packets.push(cap.packet(i).slice());
        if (cap.error) io.err(`netvsc-lab bpf run: warning: ${input.value}: ${cap.error.message} (running the ${cap.count} packets before it)\n`);
      }
    }

    let instance: BpfObjectInstance;
    try {
      instance = new BpfObjectInstance(object);
    } catch (e) {
      if (e instanceof BpfMapError) throw new Error(`${obj}: ${e.message}`, { cause: e });
      throw e;
    }
    let runner: XdpRunner;
    try {
      const { program } = instance.program(section);
      if (program.progType !== 'xdp') throw new RunError(`program '${program.name}' (section ${program.section}) is of type ${program.progType}; only XDP programs can be run`);
      if (verify) {
        const v = verifyProgram(program, { recordStates: false });
        if (!v.ok) {
          io.err(formatVerifierError(obj, program, v.error!, io.cwd));
          io.err(`${program.name}: rejected by the verifier (use --no-verify to run it anyway)\n`);
          return 1;
        }
      }
      runner = new XdpRunner(instance, program.name, { engine });
    } catch (e) {
      if (e instanceof RunError) throw new Error(e.message, { cause: e });
      throw e;
    }

    const outs: Uint8Array[] = [];
    let status = 0;
    packets.forEach((pkt, n) => {
      const prefix = input!.kind === 'pcap' ? `packet ${n + 1}: ` : '';
      let r: XdpRunResult;
      try {
        r = runner.run(pkt, { repeat, rxQueueIndex: queue, ingressIfindex: ifindex });
      } catch (e) {
        if (e instanceof RunError) { io.err(`netvsc-lab bpf run: ${prefix}${e.message}\n`); status = 1; outs.push(new Uint8Array(0)); return; }
        throw e;
      }
      if (r.fault) {
        const l = r.faultLine;
        io.err(`netvsc-lab bpf run: ${prefix}fault: ${r.fault.message}${l && l.line ? ` (${l.file}:${l.line}: ${l.text.trim()})` : ''}\n`);
        status = 1;
        outs.push(r.dataOut);
        return;
      }
      io.out(prefix + bpftoolLine(r, repeat) + '\n');
      if (verbose) {
        io.out(`  action: ${r.action}${r.redirect ? ` -> ${r.redirect.kind} ${r.redirect.map ? `${r.redirect.map}[${r.redirect.target}]` : r.redirect.target}${r.redirect.value !== undefined ? ` (${r.redirect.value})` : ''}` : ''}, ${r.dataOut.length} bytes out${r.metaLen ? ` (${r.metaLen} of metadata)` : ''}, ${r.insnCount} insns\n`);
        for (const line of r.printk) io.out(`  printk: ${line}\n`);
        if (r.printkDropped) io.out(`  printk: … ${r.printkDropped} more lines\n`);
        for (const c of r.mapChanges) {
          io.out(`  map ${c.map}[${c.keyText}]: ${c.kind === 'added' ? `added ${c.afterText}` : c.kind === 'removed' ? `removed (was ${c.beforeText})` : `${c.beforeText} -> ${c.afterText}`}\n`);
        }
      }
      outs.push(r.dataOut);
    });
    if (dataOut) {
      let bytes: Uint8Array;
      if (input.kind === 'pcap') {
        const w = new PcapWriter(1);
        const parts = [w.header(), ...outs.map((o, i) => w.record(o, i, 0))];
        bytes = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
        let off = 0;
        for (const p of parts) { bytes.set(p, off); off += p.length; }
      } else bytes = outs[0];
      if (dataOut === '-') io.out(Buffer.from(bytes).toString('hex') + '\n');
      else writeFileSync(resolve(io.cwd, dataOut), bytes);
    }
    return status;
  },
};
