/**
 * A `netvsc` launch configuration turned into what the runtime runs: the XDP program (a `.c`
 * compiled with clang, or a `.o`), its section, the packets (a pcap/pcapng trace), the host
 * profile, the VF state and the ethtool setup script. Every mistake becomes one LaunchError
 * naming the attribute and the file (and line, for scripts and compile errors).
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { BpfObjectError } from '../ebpf/elf';
import { loadObject } from '../ebpf/loader';
import { verifyProgram } from '../ebpf/verifier';
import type { BpfProgram } from '../ebpf/program';
import { runEthtool } from '../ethtool/executor';
import { compileBpf } from '../lsp/clangRun';
import { NetvscDevice } from '../netvsc/device';
import { HOST_PROFILE_NAMES, type HostProfileName } from '../netvsc/hostProfile';
import { CAPTURE_EXTENSIONS, openPacketSource } from '../lab/packetSource';
import { captureSource, type FrameRef, type PacketSource as ReplaySource } from '../netvsc/replay';
import { ChunkedReader, type Capture } from '../packet/capture';
import { openCaptureFile } from '../packet/fileSource';
import { compileFilter } from '../packet/filter';
import type { DebugTarget, PacketSource, RunOptions } from './runtime';
import { STAGE_ALIASES } from './stageTimeline';

/** The launch attributes (CONTRIBUTES.json declares the same with their JSON schema). */
export interface NetvscLaunchArguments {
  /** The XDP program: a C file (compiled with clang -O2 -g -target bpf) or an object file. */
  program: string;
  /** ELF section (SEC name) or program name; default: the first XDP program. */
  section?: string;
  trace?: string;
  scenario?: string;
  host?: string;
  setupScript?: string;
  vf?: 'none' | 'up' | 'down';
  stopOnEntry?: boolean;
  stopAtPacket?: number | string;
  stopAtStage?: string;
  /** Base for relative paths (the workspace folder). */
  cwd?: string;
  /** clang to use (default: `clang` on PATH). */
  clangPath?: string;
  /** Seed of the virtual environment (bpf_get_prandom_u32). */
  seed?: number;
  cpus?: number;
}

export class LaunchError extends Error {}

export interface PreparedLaunch {
  target: DebugTarget;
  options: RunOptions;
  /** Things worth telling the user in the Debug Console. */
  notes: string[];
}

function fileFor(attr: string, p: string, cwd: string): string {
  const abs = isAbsolute(p) ? p : resolve(cwd, p);
  if (!existsSync(abs)) throw new LaunchError(`${attr}: ${abs} does not exist`);
  return abs;
}

/**
 * The packets of a capture or a scenario, through the same opener the replay uses (so packet
 * numbers, times and RX/TX direction agree with the trace viewer: frames from the device's MAC
 * are TX).
 */
export function openPackets(attr: string, path: string, deviceMac: string): PacketSource & { close(): void } {
  let opened: { source: ReplaySource; close(): void };
  try {
    if (CAPTURE_EXTENSIONS.includes(extname(path).toLowerCase())) {
      // A capture read through 4 MB chunks (one read per chunk, not per packet) for full-speed runs.
      const cap = openCaptureFile(path);
      if (cap.error && cap.count === 0) {
        cap.close();
        const at = /byte \d+/.test(cap.error.message) ? '' : ` (at byte ${cap.error.offset})`;
        throw new Error(`${path}: ${cap.error.message}${at}`);
      }
      const reader = new ChunkedReader(cap.source);
      const idx = cap.index;
      const chunked: Capture = { ...cap, packet: (i) => reader.view(idx.dataOffset[i], idx.capLen[i]) ?? cap.packet(i) };
      opened = { source: captureSource(chunked, deviceMac), close: () => cap.close() };
    } else opened = openPacketSource(path, deviceMac);
  } catch (e) {
    throw new LaunchError(`${attr}: ${(e as Error).message}`, { cause: e });
  }
  const src = opened.source;
  const ref: FrameRef = { buf: new Uint8Array(0), off: 0, len: 0 };
  return {
    name: path.split(/[\\/]/).pop() ?? path,
    count: src.count,
    packet: (i) => { src.frame(i, ref); return ref.buf.subarray(ref.off, ref.off + ref.len); },
    timeNs: (i) => src.time(i),
    isTx: (i) => src.isTx(i),
    close: () => opened.close(),
  };
}

/** Runs an ethtool script on a device; the first failing line is an error naming it. */
export function applySetupScript(dev: NetvscDevice, text: string, where: string): void {
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, k) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const words = line.split(/\s+/);
    if (words[0] === 'ethtool') words.shift();
    const r = runEthtool(dev, words);
    if (r.exit !== 0) throw new LaunchError(`setupScript: ${where}:${k + 1}: ${line}: ${r.stderr.trim() || `exit ${r.exit}`}`);
  });
}

export async function prepareLaunch(args: NetvscLaunchArguments): Promise<PreparedLaunch> {
  const cwd = args.cwd ?? process.cwd();
  const notes: string[] = [];
  if (!args.program) throw new LaunchError('program: missing (the XDP .c or .o file to debug)');
  const progPath = fileFor('program', args.program, cwd);
  let bytes: Uint8Array;
  let sourcePath: string | undefined;
  if (progPath.endsWith('.c')) {
    const out = join(tmpdir(), 'netvsc-lab-debug', `${progPath.split(/[\\/]/).pop()!.replace(/\.c$/, '')}-${process.pid}-${Date.now()}.o`);
    const r = await compileBpf({ clangPath: args.clangPath ?? 'clang', sourcePath: progPath, outPath: out });
    if (r.toolError) throw new LaunchError(`program: cannot run clang (${r.toolError}); install the Debian package clang`);
    if (!r.object) {
      const e = r.messages.find((m) => m.severity === 'error' || m.severity === 'fatal error') ?? r.messages[0];
      throw new LaunchError(e ? `program: ${e.file || progPath}:${e.line}:${e.col}: ${e.severity}: ${e.message}` : `program: clang failed (exit ${r.exitCode})`);
    }
    bytes = r.object;
    sourcePath = progPath;
    notes.push(`compiled ${progPath} with clang -O2 -g -target bpf`);
  } else {
    bytes = readFileSync(progPath);
  }
  let program: BpfProgram;
  try {
    const obj = loadObject(bytes, { fileName: progPath.replace(/\.c$/, '.o') });
    notes.push(...obj.warnings);
    const xdp = obj.programs.filter((p) => p.progType === 'xdp');
    if (!xdp.length) throw new LaunchError(`program: ${progPath} has no XDP program (sections: ${obj.programs.map((p) => p.section).join(', ') || 'none'})`);
    const pick = args.section ? xdp.find((p) => p.section === args.section || p.name === args.section) : xdp[0];
    if (!pick) throw new LaunchError(`section: '${args.section}' is not an XDP program of ${progPath} (XDP programs: ${xdp.map((p) => `${p.section} (${p.name})`).join(', ')})`);
    program = pick;
  } catch (e) {
    if (e instanceof BpfObjectError) throw new LaunchError(`program: ${progPath}: ${e.message}`);
    throw e;
  }
  if (!sourcePath) {
    // A .o: find its source through the line info's file name.
    const f = program.lineInfo.find((l) => l.file)?.file;
    if (f) {
      // The recorded path is the compiling machine's: the source beside the object comes first.
      const beside = resolve(dirname(progPath), basename(f));
      const cand = isAbsolute(f) ? f : resolve(dirname(progPath), f);
      if (existsSync(beside)) sourcePath = beside;
      else if (existsSync(cand)) sourcePath = cand;
      else if (existsSync(resolve(cwd, f))) sourcePath = resolve(cwd, f);
    }
  }

  const host = (args.host ?? 'azure') as HostProfileName;
  if (!HOST_PROFILE_NAMES.includes(host)) throw new LaunchError(`host: '${args.host}' is not a host profile (${HOST_PROFILE_NAMES.join(', ')})`);

  if (args.trace && args.scenario) throw new LaunchError('trace and scenario: give one of them, not both');
  if (!args.trace && !args.scenario) throw new LaunchError('trace: missing (a .pcap/.pcapng file, or a "scenario" file, with the packets to debug)');
  const attr = args.trace ? 'trace' : 'scenario';
  const deviceMac = new NetvscDevice({ host, cpus: args.cpus ?? 8 }).mac;
  const packets = openPackets(attr, fileFor(attr, (args.trace ?? args.scenario)!, cwd), deviceMac);
  if (packets.count === 0) throw new LaunchError(`${attr}: ${args.trace ?? args.scenario} has no packets`);
  if (args.vf !== undefined && !['none', 'up', 'down'].includes(args.vf)) throw new LaunchError(`vf: '${args.vf}' must be none, up or down`);

  let setupDevice: ((d: NetvscDevice) => void) | undefined;
  if (args.setupScript) {
    const sp = fileFor('setupScript', args.setupScript, cwd);
    const text = readFileSync(sp, 'utf8');
    applySetupScript(new NetvscDevice({ host, cpus: args.cpus ?? 8 }), text, sp); // fail at launch, not later
    setupDevice = (d) => applySetupScript(d, text, sp);
  }

  const sap = args.stopAtPacket;
  if (typeof sap === 'number' && (!Number.isInteger(sap) || sap < 1)) throw new LaunchError(`stopAtPacket: ${sap} is not a packet number (1..${packets.count})`);
  if (typeof sap === 'number' && sap > packets.count) throw new LaunchError(`stopAtPacket: ${sap} is past the last packet of the trace (${packets.count})`);
  if (typeof sap === 'string') {
    try { compileFilter(sap); } catch (e) { throw new LaunchError(`stopAtPacket: '${sap}': ${(e as Error).message}`); }
  }
  if (args.stopAtStage !== undefined && !STAGE_ALIASES[args.stopAtStage]) {
    throw new LaunchError(`stopAtStage: '${args.stopAtStage}' is not a stage (${Object.keys(STAGE_ALIASES).join(', ')})`);
  }

  // The verifier's verdict and its per-instruction register states (the VARIABLES view shows them).
  const v = verifyProgram(program);
  const rejection = v.error ? { message: v.error.message, insn: v.error.insn } : undefined;
  notes.push(v.ok ? `verifier: ${v.summary}` : `verifier: the kernel would reject ${program.name} (insn ${v.error!.insn}); the emulator can still run it`);
  const verifierTypes = (insn: number) => registerTypes(v.insnStates[insn]);

  return {
    target: { program, packets, sourcePath, host, vf: args.vf ?? 'none', seed: args.seed, cpus: args.cpus, setupDevice, rejection, verifierTypes },
    options: { stopOnEntry: args.stopOnEntry, stopAtPacket: sap, stopAtStage: args.stopAtStage },
    notes,
  };
}

/**
 * Register types at an instruction from the verifier's states (`R1=pkt(off=34,r=34) R2=8 ...`):
 * a register's type is given only when every state reaching the instruction agrees on it.
 */
export function registerTypes(states: readonly string[] | undefined): (string | undefined)[] | undefined {
  if (!states || states.length === 0) return undefined;
  const per = states.map((st) => {
    const regs: (string | undefined)[] = [];
    for (const tok of st.split(' ')) {
      const m = /^R(\d+)=(.*)$/.exec(tok);
      if (m) regs[Number(m[1])] = /^-?\d+$/.test(m[2]) ? `scalar(=${m[2]})` : m[2];
    }
    return regs;
  });
  const out: (string | undefined)[] = [];
  for (let r = 0; r <= 10; r++) out[r] = per.every((p) => p[r] === per[0][r]) ? per[0][r] : undefined;
  return out;
}
