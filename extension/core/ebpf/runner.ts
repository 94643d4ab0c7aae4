// BPF_PROG_TEST_RUN for XDP, in the emulator (net/bpf/test_run.c, bpf_prog_test_run_xdp): the
// packet goes in with 256 bytes of headroom, the program runs `repeat` times on the same buffer
// (so head/tail changes accumulate, as in the kernel), and the result is the return value, the
// packet from data_meta to data_end, printk lines, the map changes and the average duration.
import { checkHelperCalls, HelperState, XDP_ACTION_NAMES, xdpHelpers, type XdpRedirect } from './helpers';
import { interpreter } from './interpreter';
import { compiled, jit } from './jit';
import type { BpfObject } from './loader';
import { ArrayMap, BpfMap, createMaps, type MapOptions } from './maps';
import { SKB_SHARED_INFO_SIZE, XDP_FRAME_SIZE, XDP_PACKET_HEADROOM } from './memory';
import { BpfMapType, lineInfoAt, type BpfProgram, type LineInfo } from './program';
import { Machine, SeededEnv, ST_EXIT, VmLoadError, type HelperTable, type LoadedProgram, type VmEngine, type VmFault, type VmProgram } from './vm';

export type EngineName = 'interpreter' | 'jit';

/** Engines by name; `registerEngine` adds more (e.g. an instrumented one for tests). */
const ENGINES = new Map<string, VmEngine>([['interpreter', interpreter], ['jit', jit]]);
export function registerEngine(name: string, engine: VmEngine): void { ENGINES.set(name, engine); }
export function engineByName(name: string): VmEngine {
  const e = ENGINES.get(name);
  if (!e) throw new RunError(`engine '${name}' is not available (have: ${[...ENGINES.keys()].join(', ')})`);
  return e;
}

/** ETH_HLEN: BPF_PROG_TEST_RUN rejects shorter XDP input with EINVAL. */
export const MIN_XDP_DATA = 14;
/** PAGE_SIZE - XDP_PACKET_HEADROOM - SKB_DATA_ALIGN(sizeof(struct skb_shared_info)). */
export const MAX_XDP_LINEAR_DATA = XDP_FRAME_SIZE - XDP_PACKET_HEADROOM - SKB_SHARED_INFO_SIZE;
/** printk lines kept per run() call; the rest are counted. */
export const MAX_PRINTK_LINES = 10_000;
/** Maps with more slots or value bytes than this are not diffed after a run (the cost would be per run). */
export const MAX_TRACKED_MAP_SLOTS = 1 << 16;
export const MAX_TRACKED_MAP_BYTES = 1 << 20;

/** A problem with the run request (the kernel's EINVAL cases), not with the program. */
export class RunError extends Error {
  constructor(message: string) { super(message); this.name = 'RunError'; }
}

/** An object's maps instantiated once, and its programs in the VM's form, sharing those maps. */
export class BpfObjectInstance {
  readonly maps: BpfMap[];
  readonly programs = new Map<string, VmProgram>();

  constructor(readonly object: BpfObject, opts: MapOptions = {}) {
    this.maps = createMaps(object.maps, { btf: object.btf, ...opts });
    for (const p of object.programs) this.programs.set(p.name, { insns: p.insns, maps: this.maps, name: p.name });
    // prog_array `.values = { [i] = &prog }`
    object.maps.forEach((def, i) => {
      const m = this.maps[i];
      if (def.initialPrograms && m instanceof ArrayMap) for (const [slot, name] of def.initialPrograms) m.setProgram(slot, this.programs.get(name));
    });
  }

  program(name?: string): { program: BpfProgram; vm: VmProgram } {
    const p = name === undefined ? this.object.programs[0] : this.object.programs.find((x) => x.name === name || x.section === name);
    if (!p) throw new RunError(name === undefined ? 'the object has no programs' : `no program or section '${name}' (have: ${this.object.programs.map((x) => `${x.section}:${x.name}`).join(', ')})`);
    return { program: p, vm: this.programs.get(p.name)! };
  }

  mapByName(name: string): BpfMap | undefined { return this.maps.find((m) => m.name === name); }
}

export interface XdpRunOptions {
  /** Runs of the program on the same buffer; 0 counts as 1 (as in the kernel). */
  repeat?: number;
  /** xdp_md.ingress_ifindex (default 1, loopback, as BPF_PROG_TEST_RUN without ctx_in). */
  ingressIfindex?: number;
  /** xdp_md.rx_queue_index (default 0). */
  rxQueueIndex?: number;
  /** Diff the maps before/after (default true). */
  trackMaps?: boolean;
}

export interface MapChange {
  map: string;
  kind: 'added' | 'removed' | 'changed';
  key: Uint8Array;
  /** Per CPU (one entry for ordinary maps). */
  before?: Uint8Array[];
  after?: Uint8Array[];
  /** BTF-formatted renderings. */
  keyText: string;
  beforeText?: string;
  afterText?: string;
}

export interface XdpRunResult {
  /** The program's r0 as u32 (XDP action), or undefined when the run faulted. */
  retval: number | undefined;
  /** `XDP_PASS` etc., or `fault`. */
  action: string;
  /** The packet after the program, from data_meta to data_end (what data_out gets). */
  dataOut: Uint8Array;
  /** Bytes of metadata at the start of dataOut. */
  metaLen: number;
  printk: string[];
  /** printk lines beyond MAX_PRINTK_LINES, not kept. */
  printkDropped: number;
  mapChanges: MapChange[];
  /** Average wall time per run in ns (like `duration` of the kernel's test run). */
  durationNs: number;
  /** Instructions executed in the last run. */
  insnCount: number;
  redirect?: XdpRedirect;
  fault?: VmFault;
  /** The fault's source line (from line info). */
  faultLine?: LineInfo;
}

export interface RunnerOptions {
  engine?: EngineName | VmEngine;
  /** Seed of bpf_get_prandom_u32 (default 1). */
  seed?: number;
  /** CPU the program runs on (bpf_get_smp_processor_id, per-CPU map slot). */
  cpu?: number;
  /** Virtual ns added to the clock before each run (bpf_ktime_get_ns), default 1000. */
  clockStepNs?: number;
  insnBudget?: number;
}

/** Runs one XDP program of an instance. Keeps its machine, so repeated runs cost no set-up. */
export class XdpRunner {
  readonly machine: Machine;
  readonly state = new HelperState();
  readonly env: SeededEnv;
  readonly helpers: HelperTable;
  readonly engine: VmEngine;
  readonly program: BpfProgram;
  readonly loaded: LoadedProgram;
  private readonly clockStep: number;

  constructor(readonly instance: BpfObjectInstance, programName?: string, opts: RunnerOptions = {}) {
    const { program, vm } = instance.program(programName);
    this.program = program;
    this.engine = typeof opts.engine === 'object' ? opts.engine : engineByName(opts.engine ?? 'interpreter');
    this.env = new SeededEnv(opts.seed ?? 1);
    this.env.cpuId = opts.cpu ?? 0;
    this.clockStep = opts.clockStepNs ?? 1000;
    this.helpers = xdpHelpers(this.state);
    checkHelperCalls(program.insns, this.helpers);
    this.machine = new Machine({ helpers: this.helpers, env: this.env, insnBudget: opts.insnBudget });
    try {
      this.loaded = this.machine.load(vm);
    } catch (e) {
      if (e instanceof VmLoadError) {
        const l = lineInfoAt(program, e.insn);
        throw new RunError(`${program.name}: ${e.message}${l && l.line ? ` (${l.file}:${l.line})` : ''}`);
      }
      throw e;
    }
    // Compile now, so the first run's duration is the program's and not the JIT's (tail-call
    // targets in prog_arrays load and compile lazily through the machine).
    if (this.engine === jit) compiled(this.loaded);
  }

  run(data: Uint8Array, opts: XdpRunOptions = {}): XdpRunResult {
    if (data.length < MIN_XDP_DATA) throw new RunError(`packet is ${data.length} bytes; XDP test runs need at least ${MIN_XDP_DATA} (ETH_HLEN): EINVAL`);
    if (data.length > MAX_XDP_LINEAR_DATA) {
      throw new RunError(`packet is ${data.length} bytes; frames over ${MAX_XDP_LINEAR_DATA} bytes need multi-buffer (xdp.frags) support, which the emulator does not have`);
    }
    const repeat = Math.max(1, Math.floor(opts.repeat ?? 1));
    const ifindex = opts.ingressIfindex ?? 1;
    const rxq = opts.rxQueueIndex ?? 0;
    if (rxq !== 0 && !ifindex) throw new RunError('rx_queue_index needs an ingress_ifindex: EINVAL');
    const m = this.machine;
    m.packet.load(data);
    m.packet.setRxInfo(ifindex, rxq, 0);
    this.state.reset();
    this.env.printkLines.length = 0;
    const track = opts.trackMaps ?? true;
    const before = track ? this.instance.maps.map(snapshotMap) : [];

    let status = ST_EXIT;
    // performance.now(): available wherever core/ runs (Node, workers, webviews).
    const t0 = performance.now();
    for (let i = 0; i < repeat; i++) {
      this.env.nowNs += this.clockStep;
      this.state.redirect = undefined;
      status = m.run(this.loaded, this.engine);
      if (status !== ST_EXIT) break;
      if (this.env.printkLines.length > MAX_PRINTK_LINES * 2) this.env.printkLines.length = MAX_PRINTK_LINES;
    }
    const elapsed = (performance.now() - t0) * 1e6;
    const lines = this.env.printkLines;
    const printk = lines.slice(0, MAX_PRINTK_LINES);
    const result: XdpRunResult = {
      retval: status === ST_EXIT ? m.lo[0] >>> 0 : undefined,
      action: status === ST_EXIT ? XDP_ACTION_NAMES[m.lo[0] >>> 0] ?? `unknown action ${m.lo[0] >>> 0}` : 'fault',
      dataOut: m.packet.buffer.slice(m.packet.dataMeta, m.packet.dataEnd),
      metaLen: m.packet.data - m.packet.dataMeta,
      printk,
      printkDropped: Math.max(0, lines.length - printk.length),
      mapChanges: track ? this.instance.maps.flatMap((map, i) => diffMap(map, before[i])) : [],
      durationNs: Math.round(elapsed / repeat),
      insnCount: m.insnCount,
      redirect: this.state.redirect,
    };
    if (status !== ST_EXIT && m.fault) {
      result.fault = m.fault;
      result.faultLine = lineInfoAt(this.program, m.fault.insn);
    }
    lines.length = 0;
    return result;
  }
}

type Snapshot = Map<string, { key: Uint8Array; values: Uint8Array[] }> | undefined;

function hexKey(b: Uint8Array): string { return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''); }

function snapshotMap(map: BpfMap): Snapshot {
  if (map.maxEntries > MAX_TRACKED_MAP_SLOTS || map.values.length > MAX_TRACKED_MAP_BYTES || map.type === BpfMapType.PROG_ARRAY) return undefined;
  const s = new Map<string, { key: Uint8Array; values: Uint8Array[] }>();
  for (const e of map.entries()) s.set(hexKey(e.key), e);
  return s;
}

function sameValues(a: Uint8Array[], b: Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}

function diffMap(map: BpfMap, before: Snapshot): MapChange[] {
  if (!before) return [];
  const after = snapshotMap(map)!;
  const out: MapChange[] = [];
  const text = (v: Uint8Array[]) => v.length === 1 ? map.formatValue(v[0]) : `[${v.map((x) => map.formatValue(x)).join(', ')}]`;
  for (const [k, a] of after) {
    const b = before.get(k);
    if (!b) out.push({ map: map.name, kind: 'added', key: a.key, after: a.values, keyText: map.formatKey(a.key), afterText: text(a.values) });
    else if (!sameValues(a.values, b.values)) {
      out.push({ map: map.name, kind: 'changed', key: a.key, before: b.values, after: a.values, keyText: map.formatKey(a.key), beforeText: text(b.values), afterText: text(a.values) });
    }
  }
  for (const [k, b] of before) {
    if (!after.has(k)) out.push({ map: map.name, kind: 'removed', key: b.key, before: b.values, keyText: map.formatKey(b.key), beforeText: text(b.values) });
  }
  return out;
}
