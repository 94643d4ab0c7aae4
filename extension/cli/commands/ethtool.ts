import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { runEthtool } from '../../core/ethtool/executor';
import { DEFAULT_OPTIONS, NetvscDevice, type DeviceOptions } from '../../core/netvsc/device';
import { HOST_PROFILE_NAMES, HOST_PROFILES, isHostProfileName, type HostProfileName } from '../../core/netvsc/hostProfile';
import { readStateFile, writeStateFile, StateFileError } from '../../core/netvsc/stateFile';
import { loadXdpProgram, XdpLoadError, type EbpfXdpProgram } from '../../core/netvsc/xdpRunner';
import { UsageError, type CliCommand, type CliIO } from '../io';

/** The device options every device command takes: --state FILE, --host PROFILE, --cpus N. */
export interface DeviceArgs { state?: string; host: string; cpus: number; rest: string[]; options: Partial<DeviceOptions>; knobs: Record<string, number | boolean> }

/** Splits `[--state F] [--host P] [--cpus N] [--] ARGS…`; other options are left in `rest` for the caller. */
export function parseDeviceArgs(args: string[], extra: string[] = []): DeviceArgs & { extra: Map<string, string> } {
  const out: DeviceArgs & { extra: Map<string, string> } = { host: 'azure', cpus: 8, rest: [], extra: new Map(), options: {}, knobs: {} };
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { i++; break; }
    const val = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`option ${a} needs a value`);
      return v;
    };
    if (a === '--state') out.state = val();
    else if (a === '--host') {
      out.host = val();
      if (!isHostProfileName(out.host)) throw new UsageError(`unknown host profile '${out.host}' (one of ${HOST_PROFILE_NAMES.join(', ')})`);
    } else if (a === '--cpus') {
      const v = val();
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 4096) throw new UsageError(`--cpus must be an integer from 1 to 4096, got '${v}'`);
      out.cpus = Number(v);
    } else if (a === '--knob') {
      // Host knobs behind the profiles: numRecvQueues=4, numIndirectTableEntries=64, rsc=false, nvspVersion=0x50000, ...
      const v = val();
      const m = /^([A-Za-z0-9]+)=(.*)$/.exec(v);
      const sample = HOST_PROFILES.azure as unknown as Record<string, unknown>;
      if (!m || !(m[1] in sample) || m[1] === 'name' || m[1] === 'description') {
        throw new UsageError(`--knob: expected KEY=VALUE with KEY one of ${Object.keys(sample).filter((k) => k !== 'name' && k !== 'description').join(', ')}, got '${v}'`);
      }
      if (typeof sample[m[1]] === 'boolean') {
        if (m[2] !== 'true' && m[2] !== 'false') throw new UsageError(`--knob ${m[1]}: expected true or false, got '${m[2]}'`);
        out.knobs[m[1]] = m[2] === 'true';
      } else {
        const n = Number(m[2]);
        if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(m[2]) || !Number.isSafeInteger(n)) throw new UsageError(`--knob ${m[1]}: expected a non-negative integer, got '${m[2]}'`);
        out.knobs[m[1]] = n;
      }
    } else if (a === '--opt') {
      const v = val();
      const m = /^([A-Za-z]+)=(.*)$/.exec(v);
      const key = m?.[1] as keyof DeviceOptions | undefined;
      if (!m || !key || !(key in DEFAULT_OPTIONS)) throw new UsageError(`--opt: expected KEY=VALUE with KEY one of ${Object.keys(DEFAULT_OPTIONS).join(', ')}, got '${v}'`);
      const def = DEFAULT_OPTIONS[key];
      const raw = m[2];
      let value: unknown = raw;
      if (typeof def === 'boolean') {
        if (raw !== 'true' && raw !== 'false') throw new UsageError(`--opt ${key}: expected true or false, got '${raw}'`);
        value = raw === 'true';
      } else if (typeof def === 'number') {
        if (!/^\d+$/.test(raw)) throw new UsageError(`--opt ${key}: expected a number, got '${raw}'`);
        value = Number(raw);
      } else if (key === 'statsLayout' && raw !== 'newest' && raw !== 'v5.8') throw new UsageError(`--opt statsLayout: expected newest or v5.8, got '${raw}'`);
      (out.options as Record<string, unknown>)[key] = value;
    } else if (extra.includes(a)) out.extra.set(a, val());
    else break;
  }
  out.rest = args.slice(i);
  return out;
}

/** Loads an XDP program from an object file, or compiles a C file with clang first. */
export function cliXdpLoader(cwd: string): (path: string, section?: string) => EbpfXdpProgram {
  return (path: string, section?: string) => {
    const abs = isAbsolute(path) ? path : resolve(cwd, path);
    let bytes: Uint8Array;
    if (abs.endsWith('.c')) {
      const dir = mkdtempSync(join(tmpdir(), 'netvsc-lab-xdp-'));
      try {
        execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', abs, '-o', join(dir, 'prog.o')], { stdio: ['ignore', 'ignore', 'pipe'] });
        bytes = readFileSync(join(dir, 'prog.o'));
      } catch (e) {
        const err = e as { code?: string; stderr?: Buffer };
        if (err.code === 'ENOENT') throw new XdpLoadError(`${path}: clang is not installed (Debian package 'clang')`);
        throw new XdpLoadError(`${path}: clang failed:\n${err.stderr?.toString().trim() ?? String(e)}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      try { bytes = readFileSync(abs); } catch { throw new XdpLoadError(`${path}: cannot read the object file`); }
    }
    return loadXdpProgram(bytes, { objectPath: abs, section, engine: 'jit' });
  };
}

/** The device of a command: from the state file when it exists, else new with the profile. */
export function openDevice(d: DeviceArgs, io: CliIO): NetvscDevice {
  const path = d.state ? resolve(io.cwd, d.state) : undefined;
  if (path) {
    const dev = readStateFile(path, cliXdpLoader(io.cwd));
    if (dev) return dev;
  }
  const host = { ...HOST_PROFILES[d.host as HostProfileName], ...d.knobs };
  return new NetvscDevice({ host, cpus: d.cpus, options: d.options });
}

export function saveDevice(d: DeviceArgs, dev: NetvscDevice, io: CliIO): void {
  if (d.state) writeStateFile(resolve(io.cwd, d.state), dev);
}

/** Runs `fn` and turns state-file and XDP-load problems into one line and exit 1. */
export function withDevice(io: CliIO, fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StateFileError || e instanceof XdpLoadError) { io.err(`netvsc-lab: ${e.message}\n`); return 1; }
    throw e;
  }
}

export const ethtoolCommand: CliCommand = {
  name: 'ethtool',
  summary: 'Run one ethtool command against the emulated hv_netvsc device',
  usage: 'Usage: netvsc-lab ethtool [--state FILE] [--host PROFILE] [--cpus N] [--opt KEY=VALUE]… [--knob KEY=VALUE]… -- ARGS…\n' +
    `  PROFILE: ${HOST_PROFILE_NAMES.join(', ')} (default azure); N: vCPUs (default 8)\n` +
    `  --opt (new devices): ${Object.keys(DEFAULT_OPTIONS).join(', ')} (older-kernel variants, seed)\n` +
    '  --knob KEY=VALUE (new devices): a host answer behind the profile, e.g. numRecvQueues=4, numIndirectTableEntries=64, rsc=false\n' +
    '  The device is read from FILE (created when absent) and written back after the command.\n' +
    '  Example: netvsc-lab ethtool --state dev.json -- -K eth0 lro off',
  run(args, io) {
    const d = parseDeviceArgs(args);
    return withDevice(io, () => {
      const dev = openDevice(d, io);
      const r = runEthtool(dev, d.rest);
      io.out(r.stdout);
      io.err(r.stderr);
      saveDevice(d, dev, io);
      return r.exit;
    });
  },
};

export default ethtoolCommand;
