/**
 * The debug runtime (the "mock runtime" of vscode-mock-debug): packets go through the receive
 * path one stage at a time, the XDP program runs under the program stepper, and the runtime
 * reports stops through a listener. It knows nothing of DAP; the session in
 * `extension/vscode/debug/` only translates.
 *
 * Speed: a packet no stop can happen in runs at full speed (one JIT run, no records). A
 * packet that may stop (a breakpoint without a packet filter, a filter that matches, the packet
 * asked for by `stopAtPacket`, a stage breakpoint) runs under the interpreter's stepper with undo
 * records (the JIT and the interpreter agree instruction for instruction: conformance suite).
 * When a fast packet ends in something that must stop (a fault, XDP_ABORTED, a drop, per the
 * exception filters) the world is rebuilt and replayed to that packet, which then runs recorded:
 * the device is deterministic, so the replay reaches the same state exactly. Reverse-continue
 * uses the same determinism: re-execute from packet 1, note the last position that would have
 * stopped, re-execute again to exactly there.
 */
import { formatInsn } from '../ebpf/disasm';
import { helperName } from '../ebpf/helperNames';
import { HelperState, xdpHelpers, XDP_ACTION_NAMES } from '../ebpf/helpers';
import { createMaps, type BpfMap } from '../ebpf/maps';
import { lineInfoAt, type BpfProgram, type LineInfo } from '../ebpf/program';
import { Machine, SeededEnv, VmLoadError, type LoadedProgram, type VmFault } from '../ebpf/vm';
import { NetvscDevice } from '../netvsc/device';
import type { HostProfileName } from '../netvsc/hostProfile';
import { evaluate, type CLocals, type EvalContext, type EvalResult } from './expression';
import { Dissection } from '../packet/dissection';
import { compileFilter, type DisplayFilter } from '../packet/filter';
import { PacketDissector, packetSummary } from './packetDissection';
import { eventStop, STAGE_ALIASES, stopMatches, type StageStop } from './stageTimeline';
import type { ProgramStepper } from './programStepper';
import { DebugXdpHook } from './xdpHook';
import { cLocals, VariablesModel } from './variables';
import { DataWatches, mapElementDataId, type DataBreakpointResult } from './watchpoints';
import { BreakpointTable, type BreakpointResult, type BreakpointSpec } from './breakpoints';

export { hitConditionMet, type BreakpointResult, type BreakpointSpec } from './breakpoints';

export { parseValueBytes } from './variables';
import { DebugSink } from './stageTimeline';
import { NetvscPipeline } from '../netvsc/pipeline';
import { NETIF_F_LRO } from '../netvsc/features';
import { Decision, Stage } from '../trace/codes';

// ---------------------------------------------------------------------------------------------
// What the runtime is given and what it reports

/** The packets of a trace (or a scenario), read on demand. */
export interface PacketSource {
  readonly name: string;
  readonly count: number;
  /** The bytes of packet i: a view that may be reused by the next call (copy it to keep it). */
  packet(i: number): Uint8Array;
  /** Capture time in ns (the virtual clock bpf_ktime_get_ns reads). */
  timeNs(i: number): number;
  /** Sent by the guest (TX: the device's transmit path, no XDP) rather than received. */
  isTx?(i: number): boolean;
}

export interface DebugTarget {
  program: BpfProgram;
  packets: PacketSource;
  /** Absolute path of the C source; line info is matched to it by file name. */
  sourcePath?: string;
  host?: HostProfileName;
  cpus?: number;
  vf?: 'none' | 'up' | 'down';
  seed?: number;
  /** Applies the launch's ethtool setup script to a new device (the replay calls it again). */
  setupDevice?: (dev: NetvscDevice) => void;
  /** The verifier's register types per instruction (kernel notation), when a verifier ran. */
  verifierTypes?: (insn: number) => readonly (string | undefined)[] | undefined;
  /** A verifier rejection found at launch: message and instruction. */
  rejection?: { message: string; insn: number };
}

export interface RunOptions {
  stopOnEntry?: boolean;
  /** 1-based packet number, or a display filter. */
  stopAtPacket?: number | string;
  /** Stage id where a `stopOnEntry`/`stopAtPacket` stop lands (default: the first stage). */
  stopAtStage?: string;
}

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'function breakpoint' | 'instruction breakpoint' | 'data breakpoint' | 'exception' | 'pause';

export interface StopInfo {
  reason: StopReason;
  description: string;
  /** Exception text (the kernel's message), for `exceptionInfo`. */
  text?: string;
  exceptionId?: string;
  hitBreakpointIds?: number[];
}

export interface RuntimeListener {
  stopped(s: StopInfo): void;
  output(category: 'console' | 'stdout' | 'stderr', text: string): void;
  terminated(): void;
}


export const EXCEPTION_FILTERS = [
  { filter: 'verifier', label: 'Verifier rejection', description: 'Stop at the source line the verifier rejects, with its message', default: true },
  { filter: 'fault', label: 'Out-of-bounds access (fault)', description: 'Stop where the program faults (a load or store outside the packet, stack or a map value)', default: true },
  { filter: 'aborted', label: 'XDP_ABORTED', description: 'Stop when a program returns XDP_ABORTED', default: false },
  { filter: 'drop', label: 'Any drop', description: 'Stop whenever a packet is dropped (XDP_DROP, XDP_ABORTED, fault)', default: false },
] as const;

/** A node of the VARIABLES view (the session turns children into variable references). */
export interface VarNode {
  name: string;
  value: string;
  type?: string;
  evaluateName?: string;
  memoryReference?: string;
  children?: () => VarNode[];
  /** Sets the value from text; returns the new display value. Throws with a message on bad input. */
  set?: (text: string) => string;
  /** A map element: what a data breakpoint on it is called (watchpoints.ts). */
  dataId?: string;
}

export interface FrameInfo {
  name: string;
  kind: 'program' | 'stage';
  /** Program frames: call depth and instruction. */
  depth?: number;
  insn?: number;
  line?: LineInfo;
  stage?: StageStop;
}

export interface ScopeInfo { name: string; hint?: 'registers' | 'locals' | 'arguments'; vars: () => VarNode[]; memoryReference?: string }

export interface DisassembledInsn { insn: number; address: string; text: string; bytes: string; line?: LineInfo }

// ---------------------------------------------------------------------------------------------
// The world: everything a replay rebuilds

/** printk output through the virtual clock's environment, forwarded with the packet number. */
class DebugEnv extends SeededEnv {
  onPrintk: ((line: string) => void) | undefined;
  /** The recorded run of a stopped packet is re-executed when stepped: print once, then. */
  mute = false;
  override printk(line: string): void { if (!this.mute) this.onPrintk?.(line); }
  /** The PRNG state, so a rewound run draws the same bpf_get_prandom_u32 values again. */
  randomState(): Uint32Array { return (this as unknown as { s: Uint32Array }).s.slice(); }
  setRandomState(st: Uint32Array): void { (this as unknown as { s: Uint32Array }).s.set(st); }
}

class World {
  readonly device: NetvscDevice;
  readonly maps: BpfMap[];
  readonly machine: Machine;
  readonly loaded: LoadedProgram;
  readonly helperState = new HelperState();
  readonly env: DebugEnv;
  readonly pipeline: NetvscPipeline;
  readonly sink = new DebugSink();
  readonly hook: DebugXdpHook;
  /** Notes for the Debug Console (set up once per session). */
  readonly notes: string[] = [];

  constructor(t: DebugTarget) {
    this.device = new NetvscDevice({ host: t.host ?? 'azure', cpus: t.cpus ?? 8 });
    if (t.vf && t.vf !== 'none') this.device.addVf({ up: t.vf === 'up' });
    t.setupDevice?.(this.device);
    this.maps = createMaps(t.program.maps, { btf: t.program.btf });
    this.env = new DebugEnv(t.seed ?? 1);
    this.machine = new Machine({ helpers: xdpHelpers(this.helperState), env: this.env });
    this.loaded = this.machine.load({ insns: t.program.insns, maps: this.maps, name: t.program.name });
    this.hook = new DebugXdpHook(this.machine, this.loaded, t.program, this.helperState, t.program.name);
    // As with `ip link set dev eth0 xdp ...`: hv_netvsc refuses XDP while LRO is on.
    if ((this.device.features & NETIF_F_LRO) !== 0n) {
      this.device.setFeatures(NETIF_F_LRO, 0n);
      this.notes.push('LRO turned off on eth0 (hv_netvsc does not run XDP with LRO on: "XDP: not support LRO")');
    }
    const r = this.device.setXdp(this.hook);
    if (r.err) throw new Error(`attaching ${t.program.name} to eth0 failed: ${r.extack ?? `error ${r.err}`}`);
    this.pipeline = new NetvscPipeline(this.device, this.sink);
  }
}

/** A packet being probed (see probePacket). */
interface Probing {
  index: number;
  frame: Uint8Array;
  /** Its dissection as it arrived, made when a display-filter condition asks. */
  entry: Dissection | undefined;
  /** A breakpoint would stop in it. */
  stopped: boolean;
  /** Output held back: [category or 'printk', text]. */
  held: [('console' | 'stdout' | 'stderr' | 'printk'), string][];
}

/** One packet under the debugger. */
interface PacketRun {
  index: number;
  frame: Uint8Array;
  /** Stops up to the program (ending with the `xdp` stop), then after it (from the trace). */
  stops: StageStop[];
  /** Index in `stops` of the stop we are at. */
  at: number;
  /** The recorded program run, rewound to its start (undefined: the packet never reached XDP). */
  prog: ProgramStepper | undefined;
  /** What the device did after the program, as the pipeline reported it, and the verdict it saw. */
  afterXdp: StageStop[];
  recordedVerdict: number;
  /** Index of the `xdp` stop (-1: the program did not run for this packet), and that stop. */
  xdpAt: number;
  xdpStop: StageStop | undefined;
  /** The PRNG state the program's run started with. */
  rndAtRun: Uint32Array;
  inProgram: boolean;
  /** The program has run to its end (exit or fault). */
  xdpDone: boolean;
  verdict?: number;
  fault?: VmFault;
  /** The packet as it entered the device, dissected (conditions test it; the thread name shows it). */
  entry: Dissection;
  summary: string;
}

type Motion = 'continue' | 'stage' | 'packet-end' | 'to-end';

const SLICE_MS = 25;

export class DebugRuntime {
  private world!: World;
  private pkt: PacketRun | undefined;
  private exceptionFilters = new Set<string>(EXCEPTION_FILTERS.filter((f) => f.default).map((f) => f.filter));
  private pausing = false;
  private silent = false;
  private ended = false;
  private busy = false;
  private stopAtPacketFilter: DisplayFilter | undefined;
  /** The packet layer's dissector, with this session's conversation state. */
  private readonly dissector: PacketDissector;
  /** Scratch dissection for deciding whether a packet may stop (the full-speed path). */
  private readonly probe = new Dissection();
  private probeVersion = -1;
  private probeStopAt = false;
  /** printk lines so far (bounded), with the packet that printed them. */
  readonly printk: { packet: number; text: string }[] = [];
  private readonly vars = new VariablesModel(this);
  private readonly bps: BreakpointTable;
  private entryArmed: boolean;
  private readonly insnEntries: number[] = [];
  /** Counters for the packets run at full speed since the last summary line. */
  private fastCounts = new Int32Array(5);
  private fastFirst = -1;
  private readonly loadError: VmLoadError | undefined;

  constructor(readonly target: DebugTarget, readonly options: RunOptions, private readonly listener: RuntimeListener) {
    this.bps = new BreakpointTable(target.program, {
      evalContext: () => this.evalContext(),
      packetEntry: () => {
        const pr = this.probing;
        if (!pr) return this.pkt!.entry;
        return pr.entry ??= this.dissector.dissect(pr.frame, pr.index, new Dissection());
      },
      log: (category, text) => { if (this.probing) this.probing.held.push([category, text]); else this.out(category, text); },
    });
    try {
      this.world = new World(target);
    } catch (e) {
      if (!(e instanceof VmLoadError)) throw e;
      this.loadError = e;
    }
    this.dissector = new PacketDissector((i) => target.packets.timeNs(i));
    if (typeof options.stopAtPacket === 'string') this.stopAtPacketFilter = compileFilter(options.stopAtPacket);
    if (options.stopAtStage !== undefined && !STAGE_ALIASES[options.stopAtStage]) {
      throw new Error(`stopAtStage '${options.stopAtStage}' is not a stage (one of ${Object.keys(STAGE_ALIASES).join(', ')})`);
    }
    this.entryArmed = !!options.stopOnEntry;
    for (const n of this.world?.notes ?? []) listener.output('console', n + '\n');
    const code = target.program.insns;
    for (let i = 0; i * 8 < code.length; i++) { this.insnEntries.push(i); if (code[i * 8] === 0x18) i++; }
  }

  get program(): BpfProgram { return this.target.program; }
  get machine(): Machine { return this.world.machine; }
  /** The session's device as it is now (a step back rebuilds it: read it again after each stop). */
  get device(): NetvscDevice | undefined { return this.world?.device; }
  get maps(): readonly BpfMap[] { return this.world?.maps ?? []; }
  get packetNumber(): number | undefined { return this.pkt ? this.pkt.index + 1 : undefined; }
  get threadName(): string {
    const p = this.pkt;
    return p ? `Packet ${p.index + 1}: ${p.summary}` : `XDP ${this.program.name} on ${this.target.packets.name}`;
  }

  // -- breakpoints (breakpoints.ts holds them) --------------------------------------------------

  breakpointLines(file: string, line: number, endLine = line): number[] { return this.bps.breakpointLines(file, line, endLine); }
  setLineBreakpoints(file: string, lines: ({ line: number } & BreakpointSpec)[]): BreakpointResult[] { return this.bps.setLine(file, lines); }
  setInstructionBreakpoints(list: ({ insn: number } & BreakpointSpec)[]): BreakpointResult[] { return this.bps.setInstruction(list); }
  setFunctionBreakpoints(list: ({ name: string } & BreakpointSpec)[]): BreakpointResult[] { return this.bps.setFunction(list); }
  setExceptionFilters(filters: readonly string[]): void { this.exceptionFilters = new Set(filters); }

  /** Data breakpoints (map elements) by DAP dataId; see watchpoints.ts. */
  setDataBreakpoints(dataIds: readonly string[]): DataBreakpointResult[] { return this.watches.set(dataIds, this.maps); }

  /** The dataId for "Break on Value Change" on an expression that names a map element (`proto_count[17]`). */
  dataIdOf(expr: string): { dataId: string | null; description: string } {
    try {
      const r = this.evaluate(expr).result;
      if (r.mapValue) return { dataId: mapElementDataId(r.mapValue.map, r.mapValue.key), description: expr };
      if (r.type === 'map_value_or_null') return { dataId: null, description: `${expr}: no such element yet (watch an element that exists)` };
    } catch (e) {
      return { dataId: null, description: (e as Error).message };
    }
    return { dataId: null, description: 'only map elements can be watched (their values outlive a packet)' };
  }

  private readonly watches = new DataWatches();
  private hitIds: number[] = [];
  private hitKind: StopReason = 'breakpoint';
  private hitDesc = 'breakpoint';

  /**
   * The stepper's test at instruction `insn` (not yet executed): breakpoints there, and data
   * breakpoints whose element the previous instruction changed.
   */
  private readonly isBreak = (insn: number): boolean => {
    const h = this.bps.atInsn(insn);
    const changed = this.watches.size > 0 && this.watches.changed(this.world.maps);
    if (!h && !changed) return false;
    this.hitIds = [...(h?.ids ?? []), ...(changed ? this.watches.ids() : [])];
    this.hitKind = h ? h.kind : 'data breakpoint';
    this.hitDesc = changed ? this.watches.describeFired(this.world.maps) : 'breakpoint';
    return true;
  };


  // -- running -----------------------------------------------------------------------------------

  /** Starts the run after configuration: a verifier stop, an entry stop, or continue. */
  async start(): Promise<void> {
    if (this.loadError || this.target.rejection) {
      const insn = this.loadError?.insn ?? this.target.rejection!.insn;
      const msg = this.loadError?.message ?? this.target.rejection!.message;
      const li = this.lineOf(insn);
      const where = li ? `; ${li.text.trim()} @ ${basename(li.file)}:${li.line}` : `insn ${insn}`;
      this.out('stderr', `verifier: ${msg}\n${where}\n`);
      if (this.exceptionFilters.has('verifier')) {
        this.rejectedAt = insn;
        this.listener.stopped({ reason: 'exception', exceptionId: 'verifier', description: 'Verifier rejection', text: msg });
        return;
      }
      if (this.loadError) { this.end(); return; }
      this.out('console', `the kernel would not load ${this.program.name}; running it in the emulator anyway\n`);
    }
    await this.continue();
  }

  private rejectedAt: number | undefined;

  async continue(): Promise<void> {
    if (this.leaveRejection()) return;
    await this.forward('continue');
  }

  /** After a verifier stop: the emulator runs the program anyway (unless the VM cannot load it). True: session over. */
  private leaveRejection(): boolean {
    if (this.rejectedAt === undefined) return false;
    this.rejectedAt = undefined;
    if (this.loadError) { this.end(); return true; }
    this.out('console', `the kernel would not load ${this.program.name}; running it in the emulator anyway\n`);
    return false;
  }

  /** Step over: by instruction, by source line inside the program, or to the next stage. */
  async next(granularity: 'instruction' | 'line' = 'line'): Promise<void> {
    if (this.leaveRejection()) return;
    const p = this.pkt;
    if (p?.inProgram) { this.programStep(granularity === 'instruction' ? 'insn' : 'over'); return; }
    await this.forward('stage');
  }

  async stepIn(granularity: 'instruction' | 'line' = 'line'): Promise<void> {
    if (this.leaveRejection()) return;
    const p = this.pkt;
    if (p?.inProgram) { this.programStep(granularity === 'instruction' ? 'insn' : 'into'); return; }
    if (p && p.prog && p.at === p.xdpAt && !p.xdpDone) {
      p.inProgram = true;
      this.stop({ reason: 'step', description: `entered ${this.program.name}` });
      return;
    }
    await this.forward('stage');
  }

  async stepOut(): Promise<void> {
    if (this.leaveRejection()) return;
    const p = this.pkt;
    if (p?.inProgram) { this.programStep('out'); return; }
    await this.forward('packet-end');
  }

  pause(): void { this.pausing = true; }

  private stop(s: StopInfo): void {
    this.flushFast();
    this.watches.rebase(this.maps); // a value changes from what it is at this stop
    if (!this.silent) this.listener.stopped(s);
  }

  private out(category: 'console' | 'stdout' | 'stderr', text: string): void {
    if (!this.silent) this.listener.output(category, text);
  }

  private end(): void {
    if (this.ended) return;
    this.flushFast();
    this.ended = true;
    this.pkt = undefined;
    this.out('console', `end of ${this.target.packets.name}: ${this.target.packets.count} packets\n`);
    this.listener.terminated();
  }

  /** A step inside the program; leaving it moves on to the XDP decision stop. */
  private programStep(kind: 'insn' | 'over' | 'into' | 'out'): void {
    const p = this.pkt!, prog = p.prog!;
    this.watches.rebase(this.maps); // edits made while stopped are not changes the program made
    if (p.xdpDone) { this.afterProgram(p); this.stop({ reason: 'step', description: 'program finished' }); return; }
    let r: string;
    if (kind === 'insn') {
      r = prog.stepInsn();
      if (r === 'stepped' && this.isBreak(prog.pc)) r = 'breakpoint';
    } else r = prog.stepLine(kind, this.isBreak);
    if (r === 'breakpoint') { this.stop({ reason: this.hitKind, description: this.hitDesc, hitBreakpointIds: this.hitIds }); return; }
    if (r === 'stepped' || r === 'step') { this.stop({ reason: 'step', description: 'step' }); return; }
    const s = this.programEnded(p);
    this.stop(s ?? { reason: 'step', description: p.stops[p.at].text });
  }

  /** After the program's last instruction: a fault stop, or the stops after XDP. */
  private programEnded(p: PacketRun): StopInfo | undefined {
    p.xdpDone = true;
    const m = this.world.machine;
    if (p.prog!.status === 'fault') {
      p.fault = m.fault;
      if (this.exceptionFilters.has('fault')) {
        return { reason: 'exception', exceptionId: 'fault', description: 'Out-of-bounds access', text: this.faultText(m.fault!) };
      }
    }
    this.afterProgram(p);
    return this.stageStop(p);
  }

  private faultText(f: VmFault): string {
    const li = this.lineOf(f.insn);
    return `${f.message}${li && li.line ? ` — ${basename(li.file)}:${li.line}: ${li.text.trim()}` : ''}`;
  }

  /** Leaves the program: the stops after it are what the device did (from its trace). */
  private afterProgram(p: PacketRun): void {
    const m = this.world.machine;
    p.inProgram = false;
    const v = p.prog!.status === 'fault' ? 0 : m.lo[0] >>> 0;
    p.verdict = v;
    p.stops.length = p.xdpAt;
    if (v === p.recordedVerdict) p.stops.push(...p.afterXdp);
    else {
      // The user changed registers or memory: the device saw another verdict; say so.
      p.stops.push({ id: 'xdp', text: `XDP program: ${actionName(v)} (changed in the debugger; the device saw ${actionName(p.recordedVerdict)})`, drop: v <= 1 });
    }
    p.at = p.xdpAt;
    this.out('console', `packet ${p.index + 1}: ${actionName(v)}${p.fault ? ` (fault: ${p.fault.message})` : ''} (${p.summary})\n`);
  }

  /** Stop checks when arriving at stop `p.at`. */
  private stageStop(p: PacketRun): StopInfo | undefined {
    const st = p.stops[p.at];
    if (st.event?.stage === Stage.Xdp && st.event.decision === Decision.XdpAborted && this.exceptionFilters.has('aborted')) {
      return { reason: 'exception', exceptionId: 'aborted', description: 'XDP_ABORTED', text: st.text };
    }
    if (st.drop && this.exceptionFilters.has('drop')) {
      return { reason: 'exception', exceptionId: 'drop', description: 'Packet dropped', text: st.text };
    }
    const ids = this.bps.atStop(st);
    if (ids.length) return { reason: 'function breakpoint', description: st.text, hitBreakpointIds: ids };
    return undefined;
  }

  /** Packet `i` through the device (receive, or transmit for TX packets). Returns true for TX. */
  private runPacket(i: number): boolean {
    const frame = this.target.packets.packet(i);
    this.prepare(i);
    if (this.target.packets.isTx?.(i)) { this.world.pipeline.transmit(frame, 0, frame.length, this.curTimeNs); return true; }
    this.world.pipeline.receive(frame, 0, frame.length, this.curTimeNs);
    return false;
  }

  /** Packet `i` gets its bytes' time and printk owner. */
  private prepare(i: number): void {
    const w = this.world;
    this.runningPacket = i;
    this.curTimeNs = this.target.packets.timeNs(i);
    w.env.onPrintk ??= this.onPrintk;
    w.hook.beforeRun ??= (q) => { this.world.env.nowNs = this.curTimeNs; this.world.env.cpuId = q; };
  }

  private curTimeNs = 0;
  private runningPacket = 0;
  private readonly onPrintk = (line: string): void => {
    if (this.probing) { this.probing.held.push(['printk', line]); return; }
    const n = this.runningPacket + 1;
    this.printk.push({ packet: n, text: line });
    if (this.printk.length > 10_000) this.printk.shift();
    this.out('stdout', `[packet ${n}] ${line}\n`);
  };

  /**
   * Runs packet `i` through the device with its trace recorded and its XDP run recorded, then
   * rewinds the program so the user steps through it; the packet waits at its first stop.
   */
  private beginPacket(i: number): PacketRun {
    const w = this.world;
    const frame = this.target.packets.packet(i).slice();
    this.prepare(i);
    w.sink.follow(w.pipeline.nextId, true);
    w.hook.recording = true; w.hook.ran = false; w.hook.stepper = undefined;
    let rndAtRun = w.env.randomState();
    w.hook.beforeRecordedRun = () => { rndAtRun = w.env.randomState(); };
    w.env.mute = true;
    try {
      if (this.target.packets.isTx?.(i)) w.pipeline.transmit(frame, 0, frame.length, this.curTimeNs);
      else w.pipeline.receive(frame, 0, frame.length, this.curTimeNs);
    } finally {
      w.hook.recording = false;
      w.env.mute = false;
      w.hook.beforeRecordedRun = undefined;
    }
    const events = w.sink.events;
    const prog = w.hook.ran ? (w.hook.stepper as ProgramStepper | undefined) : undefined;
    const xi = prog ? events.findIndex((e) => e.stage === Stage.Xdp) : -1;
    const stops = (xi >= 0 ? events.slice(0, xi) : events).map(eventStop);
    let afterXdp: StageStop[] = [], recordedVerdict = -1, xdpAt = -1;
    if (prog && xi >= 0) {
      xdpAt = stops.length;
      const q = events.find((e) => e.stage === Stage.Channel)?.value ?? 0;
      stops.push({ id: 'xdp', text: `XDP program: about to run ${this.program.name} on queue ${q}`, drop: false });
      afterXdp = events.slice(xi).map(eventStop);
      recordedVerdict = prog.status === 'fault' ? 0 : events[xi].value & 0xff;
      while (prog.stepBack()) { /* rewind to the first instruction */ }
      w.env.setRandomState(rndAtRun); // stepping it again draws the same random numbers
    }
    const entry = this.dissector.dissect(frame, i, new Dissection());
    const p: PacketRun = {
      index: i, frame, stops, at: 0, prog: xdpAt >= 0 ? prog : undefined, afterXdp, recordedVerdict, xdpAt, xdpStop: stops[xdpAt], rndAtRun,
      inProgram: false, xdpDone: false, entry, summary: packetSummary(entry),
    };
    this.pkt = p;
    return p;
  }

  /** Could packet `i` stop anywhere? (decides full speed vs recorded) */
  private mayStop(i: number): boolean {
    if (this.entryArmed) return true;
    const sp = this.options.stopAtPacket;
    if (typeof sp === 'number' && sp === i + 1) return true;
    return this.breakpointsMayStop(i, !this.stopAtPacketFilter || this.stopAtDone);
  }

  /** Could a breakpoint (or, unless `filterDone`, the `stopAtPacket` filter) stop in packet `i`? */
  private breakpointsMayStop(i: number, filterDone: boolean): boolean {
    if (this.bps.funcBps.size) return true;
    if (filterDone && !this.bps.hasProgramBreakpoints) return false; // the common fast case: nothing to test
    // Dissect only when a filter asks, once per packet, storing only the fields the filters read.
    if (this.probeVersion !== this.bps.version || this.probeStopAt !== !filterDone) {
      this.probeVersion = this.bps.version; this.probeStopAt = !filterDone;
      this.probe.only([...this.bps.filterFields(), ...(filterDone ? [] : this.stopAtPacketFilter!.fields)]);
    }
    let ready = false;
    const packet = (): Dissection => {
      if (!ready) { this.dissector.dissect(this.target.packets.packet(i), i, this.probe); ready = true; }
      return this.probe;
    };
    if (this.stopAtPacketFilter && !this.stopAtDone && this.stopAtPacketFilter.matchDissection(packet(), 0)) return true;
    return this.bps.mayStopIn(packet);
  }

  private stopAtDone = false;

  /** Is this packet the one `stopOnEntry`/`stopAtPacket` asks for? */
  private isRequestedPacket(p: PacketRun): boolean {
    if (this.entryArmed) return true;
    const sp = this.options.stopAtPacket;
    if (typeof sp === 'number') return sp === p.index + 1;
    return !!this.stopAtPacketFilter && !this.stopAtDone && this.stopAtPacketFilter.matchDissection(p.entry, 0);
  }

  /** Forward motion through stages and packets until a stop (or the end of the trace). */
  private async forward(motion: Motion): Promise<void> {
    if (this.busy || this.ended) return;
    this.busy = true;
    this.watches.rebase(this.maps);
    try {
      const s = await this.forwardInner(motion);
      if (s) this.stop(s); else if (!this.silent) this.end();
    } finally {
      this.busy = false;
    }
  }

  private async forwardInner(motion: Motion): Promise<StopInfo | undefined> {
    const p = this.pkt;
    if (p) {
      const s = this.advance(p, motion);
      if (s) return s;
    }
    let i = p ? p.index + 1 : 0;
    const n = this.target.packets.count;
    let sliceStart = Date.now();
    for (; i < n; i++) {
      if (this.pausing) {
        this.pausing = false;
        this.beginPacket(i);
        return { reason: 'pause', description: `paused at packet ${i + 1}` };
      }
      if (motion === 'stage' || motion === 'packet-end' || this.mayStop(i)) {
        if (motion === 'continue' && this.probeDecides(i)) {
          const before = this.bps.hitCounts();
          if (this.probePacket(i)) {
            this.bps.setHitCounts(before); // the recorded re-run counts this packet's hits again
            return await this.replayTo(i, 'continue');
          }
          if ((i & 15) === 0 && Date.now() - sliceStart > SLICE_MS) {
            await new Promise((r) => setTimeout(r, 0));
            sliceStart = Date.now();
          }
          continue;
        }
        const q = this.beginPacket(i);
        if (this.isRequestedPacket(q)) {
          this.stopAtDone = true;
          const first = this.entryArmed;
          this.entryArmed = false;
          const want = this.options.stopAtStage ? STAGE_ALIASES[this.options.stopAtStage] : undefined;
          if (!want || stopMatches(q.stops[0], want)) return { reason: first ? 'entry' : 'step', description: `packet ${i + 1}` };
          const s = this.advanceToStage(q, want);
          if (s) return s;
        }
        if (motion === 'stage') return { reason: 'step', description: `packet ${i + 1}` };
        const s0 = this.stageStop(q);
        if (s0) return s0;
        const s = this.advance(q, motion);
        if (s) return s;
        continue;
      }
      if (this.fastPacket(i)) return await this.replayTo(i, 'continue');
      if ((i & 255) === 0 && Date.now() - sliceStart > SLICE_MS) {
        await new Promise((r) => setTimeout(r, 0));
        sliceStart = Date.now();
      }
    }
    this.pkt = undefined;
    return undefined;
  }

  /** Moves the packet forward to the stop `want` names (stops on the way still count). */
  private advanceToStage(p: PacketRun, want: string): StopInfo | undefined {
    while (!stopMatches(p.stops[p.at], want)) {
      if (p.prog && p.at === p.xdpAt && !p.xdpDone) {
        p.inProgram = true;
        const r = p.prog.run(this.isBreak);
        if (r === 'breakpoint') return { reason: this.hitKind, description: this.hitDesc, hitBreakpointIds: this.hitIds };
        const s = this.programEnded(p);
        if (s) return s;
        continue;
      }
      if (p.at >= p.stops.length - 1) return undefined;
      p.at++;
    }
    return { reason: 'step', description: `${p.stops[p.at].text} (packet ${p.index + 1})` };
  }

  /**
   * Advances within the packet. 'stage': to the next stop; 'packet-end': to the last stop;
   * 'continue': to a stop or the end of the packet (undefined); 'to-end': ignoring stops.
   */
  private advance(p: PacketRun, motion: Motion): StopInfo | undefined {
    const quiet = motion === 'to-end';
    const isBreak = quiet ? () => false : this.isBreak;
    for (;;) {
      if (p.prog && (p.inProgram || (p.at === p.xdpAt && !p.xdpDone))) {
        if (!p.inProgram) {
          p.inProgram = true;
          if (!quiet && this.isBreak(p.prog.pc)) return { reason: this.hitKind, description: this.hitDesc, hitBreakpointIds: this.hitIds };
        }
        if (p.xdpDone) this.afterProgram(p);
        else {
          const r = p.prog.run(isBreak);
          if (r === 'breakpoint') return { reason: this.hitKind, description: this.hitDesc, hitBreakpointIds: this.hitIds };
          const s = this.programEnded(p);
          if (s && !quiet) return s;
          if (p.inProgram) this.afterProgram(p); // a fault stop passed over quietly
        }
        if (motion === 'stage') return { reason: 'step', description: p.stops[p.at].text };
        continue;
      }
      if (p.at >= p.stops.length - 1) return undefined;
      p.at++;
      // The stop in front of the program is never the last: the program's verdict adds the rest.
      const last = p.at === p.stops.length - 1 && !(p.prog && p.at === p.xdpAt && !p.xdpDone);
      if (!quiet) {
        const s = this.stageStop(p);
        if (s) return s;
      }
      if (motion === 'stage') return { reason: 'step', description: p.stops[p.at].text };
      if (motion === 'packet-end' && last) return { reason: 'step', description: p.stops[p.at].text };
      if (motion === 'to-end' && last) return undefined;
    }
  }

  /** Runs packet `i` through the device at full speed. Returns a stop if its outcome must be shown (after a replay). */
  private fastPacket(i: number): boolean {
    const w = this.world;
    w.sink.follow(w.pipeline.nextId, false);
    w.hook.ran = false; w.hook.fault = undefined;
    if (this.runPacket(i)) return false; // TX: no XDP; its stage stops made it a recorded packet
    return this.outcomeStops(i);
  }

  /** Counts the outcome of packet `i` just run unrecorded; true if an exception filter or a data breakpoint stops on it. */
  private outcomeStops(i: number): boolean {
    const w = this.world;
    let action = 5;
    if (w.hook.ran) { action = w.hook.fault ? 0 : w.machine.lo[0] >>> 0; if (action > 4) action = 0; }
    if (this.fastFirst < 0) this.fastFirst = i;
    this.fastCounts[action]++;
    const f = this.exceptionFilters;
    if ((w.hook.fault && f.has('fault')) || (w.hook.ran && action === 0 && f.has('aborted')) || (w.sink.dropped && f.has('drop'))) {
      return true;
    }
    // A watched map element this packet changed: re-run recorded to stop after the write.
    return this.watches.size > 0 && this.watches.changed(w.maps);
  }

  /**
   * Runs packet `i` probed: the program in the interpreter, pausing only at breakpoint
   * instructions, where each breakpoint is evaluated exactly as a recorded walk evaluates it (the
   * same state, the same order, hit counts advancing), with no undo records; exception filters
   * as for a full-speed packet. Log and printk lines are held: `release` prints them when the
   * packet did not stop (a packet that stops is re-run recorded, which prints them).
   * Valid while no stage (function) breakpoint exists: stage stops need the recorded walk.
   */
  private probePacket(i: number): boolean {
    const w = this.world;
    const frame = this.target.packets.packet(i);
    const pr: Probing = { index: i, frame, entry: undefined, stopped: false, held: [] };
    w.sink.follow(w.pipeline.nextId, false);
    w.hook.ran = false; w.hook.fault = undefined;
    if (this.probeVersionInsns !== this.bps.version) {
      this.probeVersionInsns = this.bps.version;
      this.probeInsns = new Set([...this.bps.lineBps.keys(), ...this.bps.insnBps.keys()]);
    }
    this.probing = pr;
    w.hook.probe = { insns: this.probeInsns, at: (pc) => { if (this.isBreak(pc)) pr.stopped = true; } };
    try {
      if (this.runPacket(i)) return false;
    } finally {
      w.hook.probe = undefined;
      this.probing = undefined;
    }
    const stops = this.outcomeStops(i) || pr.stopped;
    if (!stops) this.release(pr);
    return stops;
  }

  /** Prints what a probed packet held back. */
  private release(pr: Probing): void {
    for (const [cat, text] of pr.held) {
      if (cat === 'printk') { this.runningPacket = pr.index; this.onPrintk(text); } else this.out(cat, text);
    }
  }

  private probing: Probing | undefined;
  private probeInsns: ReadonlySet<number> = new Set();
  private probeVersionInsns = -1;

  /** Can packet `i` stop only at program breakpoints or exception filters (so a probe decides)? */
  private probeDecides(i: number): boolean {
    if (this.bps.funcBps.size || this.entryArmed) return false;
    const sp = this.options.stopAtPacket;
    if (typeof sp === 'number' && sp === i + 1) return false;
    return !this.stopAtPacketFilter || this.stopAtDone;
  }

  private flushFast(): void {
    if (this.fastFirst < 0) return;
    const c = this.fastCounts;
    const names = [...XDP_ACTION_NAMES, 'not run (dropped before XDP)'];
    const parts = names.map((n, k) => (c[k] ? `${c[k]} ${n}` : '')).filter(Boolean).join(', ');
    const total = c.reduce((a, b) => a + b, 0);
    this.out('console', `packets ${this.fastFirst + 1}–${this.fastFirst + total}: ${parts}\n`);
    this.fastCounts.fill(0);
    this.fastFirst = -1;
  }

  /**
   * Rebuilds the world and runs packets 0..i-1 through it at full speed (silently), then packet
   * i recorded, with `motion` ('continue': to its first stop; 'to-end': to its last stop).
   */
  private async replayTo(i: number, motion: 'continue' | 'to-end'): Promise<StopInfo> {
    this.flushFast();
    const wasSilent = this.silent;
    this.silent = true;
    try {
      this.world = new World(this.target);
      const w = this.world;
      let sliceStart = Date.now();
      for (let k = 0; k < i; k++) {
        w.sink.follow(-1, false);
        this.runPacket(k);
        if ((k & 255) === 0 && Date.now() - sliceStart > SLICE_MS) {
          await new Promise((r) => setTimeout(r, 0)); // a long replay must not block the extension host
          sliceStart = Date.now();
        }
      }
      this.printk.length = 0;
      this.watches.rebase(w.maps); // packet i's changes are measured from here
    } finally {
      this.silent = wasSilent;
    }
    const p = this.beginPacket(i);
    if (motion === 'to-end') {
      const was = this.silent;
      this.silent = true;
      try { this.advance(p, 'to-end'); } finally { this.silent = was; }
      return { reason: 'step', description: `end of packet ${i + 1}` };
    }
    return this.stageStop(p) ?? this.advance(p, 'continue') ?? { reason: 'step', description: `end of packet ${i + 1}` };
  }

  // -- backwards -------------------------------------------------------------------------------

  /** Step back by instruction, source line, or stage; at a packet's start, to the previous packet's end. */
  async stepBack(granularity: 'instruction' | 'line' = 'line'): Promise<void> {
    const p = this.pkt;
    if (!p) { this.stop({ reason: 'step', description: 'nothing to step back to' }); return; }
    if (p.inProgram) {
      if (granularity === 'instruction') {
        if (!p.prog!.stepBack()) p.inProgram = false;
      } else this.lineBack(p);
      p.xdpDone = false;
      this.stop({ reason: 'step', description: 'step back' });
      return;
    }
    await this.stageBack(p);
    this.stop({ reason: 'step', description: 'step back' });
  }

  private async stageBack(p: PacketRun): Promise<void> {
    if (p.prog && p.xdpDone && p.at === p.xdpAt) {
      // From the XDP decision back into the program, at its last instruction.
      p.inProgram = true;
      p.prog.stepBack();
      p.xdpDone = false;
      p.fault = undefined;
      p.stops.length = p.xdpAt;
      p.stops.push({ id: 'xdp', text: `XDP program: running ${this.program.name}`, drop: false });
      return;
    }
    if (p.at > 0) { p.at--; return; }
    if (p.index === 0) return;
    await this.replayTo(p.index - 1, 'to-end');
  }

  /** Back to the first instruction of the previous source line (skipping line 0 and deeper frames). */
  private lineBack(p: PacketRun): void {
    const prog = p.prog!;
    const startDepth = prog.depth;
    const startLine = prog.lineAt(prog.pc)?.line ?? 0;
    const hist = prog.stepper.history;
    for (;;) {
      if (!prog.stepBack()) { p.inProgram = false; return; }
      const li = prog.lineAt(prog.pc);
      if (li && li.line !== 0 && li.line !== startLine && prog.depth <= startDepth) break;
      if (li && li.line !== 0 && prog.depth < startDepth) break;
    }
    // Then to the first instruction of that line's run.
    const line = prog.lineAt(prog.pc)!.line, depth = prog.depth;
    while (hist.length) {
      const prev = hist[hist.length - 1];
      const pl = prog.lineAt(prev.insn);
      if (prev.depth !== depth || !pl || pl.line !== line) break;
      prog.stepBack();
    }
  }

  /**
   * Backwards to the most recent earlier position where going forward would have stopped: a
   * line/instruction/stage breakpoint whose condition holds and whose hit condition is met, or
   * an enabled exception filter; across packets. Exact by deterministic re-execution: the world
   * is rebuilt and run from packet 1 to the current position (packets no breakpoint can stop in
   * at full speed, the others walked position by position, checking stops as a forward run
   * does, hit counts counted from the start of the trace), remembering the last stop; then it is
   * rebuilt again and run to exactly that position. Hit counts: a position counts as a stop when
   * the hit number a fresh forward run from packet 1 gives it meets the hit condition (so
   * reverse and forward stop at the same places), and the counts are set back to that number.
   * Logpoints never stop (nor print during the re-execution). Nothing earlier: the very start
   * (packet 1, its first stage), reason 'entry'. Without hit conditions the current packet is
   * searched first by rewinding it (no re-execution of the trace); stopAtPacket/stopOnEntry are
   * launch positions, not breakpoints, and are not reverse targets. Edits made in the debugger
   * (setVariable, writeMemory) are not part of the history: re-execution runs without them.
   */
  async reverseContinue(): Promise<void> {
    const p = this.pkt;
    if (!p) { this.stop({ reason: 'step', description: 'nothing to run back to' }); return; }
    if (this.busy || this.ended) return;
    this.busy = true;
    const wasSilent = this.silent;
    let stop: StopInfo;
    try {
      this.flushFast();
      this.silent = true;
      const key = positionKey(p);
      this.pausing = false;
      // Without hit conditions a stop depends only on the state there: look in this packet first.
      const here = this.bps.hasHitConditions ? undefined : this.lastStopInCurrent(p, key);
      let found = here ?? await this.lastStopBefore(p.index, key);
      if (found?.paused) {
        // Paused while re-executing: the world is at the start of that packet (hit counts too).
        this.beginPacket(found.packet);
        stop = { reason: 'pause', description: `paused at packet ${found.packet + 1} (while running back)` };
      } else if (here) {
        this.rewindPacket(p);
        this.walk(p, (seq) => seq === here.seq);
        stop = here.stop!;
      } else {
        if (found && found.seq < 0) found = await this.lastStopIn(found.packet, found.hits);
        await this.rebuildTo(found?.packet ?? 0);
        const q = this.beginPacket(found?.packet ?? 0);
        const target = found?.seq ?? -1;
        if (target >= 0) this.walk(q, (seq) => seq === target);
        this.bps.setHitCounts(found?.hits);
        stop = found?.stop ?? { reason: 'entry', description: 'start of the trace (no earlier breakpoint)' };
      }
      this.flushFast();
    } finally {
      this.silent = wasSilent;
      this.busy = false;
      this.pausing = false;
    }
    this.stop(stop);
  }

  /**
   * A new world with packets 0..k-1 run through it (silently): at full speed, or by `each`,
   * which may return true to end there (before that packet). Returns the packets run.
   */
  private async rebuildTo(k: number, each?: (i: number) => boolean): Promise<number> {
    this.world = new World(this.target);
    this.printk.length = 0;
    this.watches.rebase(this.world.maps);
    let sliceStart = Date.now();
    for (let i = 0; i < k; i++) {
      if (each) { if (each(i)) return i; } else { this.world.sink.follow(-1, false); this.runPacket(i); }
      if ((i & 15) === 0 && Date.now() - sliceStart > SLICE_MS) {
        await new Promise((r) => setTimeout(r, 0)); // a long replay must not block the extension host
        sliceStart = Date.now();
      }
    }
    return k;
  }

  /**
   * Pass 1: re-executes packets 0..last (the current one up to `key`, exclusive) and returns the
   * last stop. A packet run at full speed whose outcome stops (a fault, XDP_ABORTED, a drop)
   * comes back with `seq` -1: its position inside the packet is found by `lastStopIn`.
   */
  private async lastStopBefore(last: number, key: PositionKey): Promise<FoundStop | undefined> {
    let found: FoundStop | undefined;
    this.bps.setHitCounts(undefined);
    await this.rebuildTo(last + 1, (k) => {
      if (this.pausing) { found = { packet: k, seq: -1, hits: this.bps.hitCounts(), paused: true }; return true; }
      if (k !== last && this.bps.funcBps.size === 0 && this.breakpointsMayStop(k, true)) {
        const before = this.bps.hitCounts();
        if (this.probePacket(k)) found = { packet: k, seq: -1, hits: before };
      } else if (k === last || this.breakpointsMayStop(k, true)) {
        const q = this.beginPacket(k);
        this.walk(q, (seq) => {
          if (k === last && samePosition(q, key)) return true;
          const s = this.stopHere(q);
          if (s) found = { packet: k, seq, stop: s, hits: this.bps.hitCounts() };
          return false;
        });
      } else if (this.fastPacket(k)) found = { packet: k, seq: -1, hits: this.bps.hitCounts() };
      return false;
    });
    return found;
  }

  /**
   * The last stop in the current packet before `key`, found by rewinding the packet to its first
   * stop (undo records, the PRNG state of its run) and walking it again; the packet is left at `key`.
   */
  private lastStopInCurrent(p: PacketRun, key: PositionKey): FoundStop | undefined {
    let found: FoundStop | undefined;
    this.rewindPacket(p);
    this.watches.rebase(this.maps); // as at the packet's start
    this.walk(p, (seq) => {
      if (samePosition(p, key)) return true;
      const s = this.stopHere(p);
      if (s) found = { packet: p.index, seq, stop: s, hits: new Map() };
      return false;
    });
    return found;
  }

  /** Back to the packet's first stop, the program unrun (as `beginPacket` left it). */
  private rewindPacket(p: PacketRun): void {
    if (p.prog) {
      while (p.prog.stepBack()) { /* to the first instruction */ }
      this.world.env.setRandomState(p.rndAtRun);
      p.stops.length = p.xdpAt;
      p.stops.push(p.xdpStop!);
    }
    p.at = 0; p.inProgram = false; p.xdpDone = false; p.fault = undefined; p.verdict = undefined;
  }

  /** Pass 2 (for a packet pass 1 ran at full speed): its last stop, with hit counts from `hits`. */
  private async lastStopIn(k: number, hits: Map<number, number>): Promise<FoundStop | undefined> {
    await this.rebuildTo(k);
    this.bps.setHitCounts(hits);
    const q = this.beginPacket(k);
    let found: FoundStop | undefined;
    this.walk(q, (seq) => {
      const s = this.stopHere(q);
      if (s) found = { packet: k, seq, stop: s, hits: this.bps.hitCounts() };
      return false;
    });
    return found;
  }

  /**
   * Walks packet `p` from its first stop through every position a forward run could stop at,
   * in the order `forwardInner`/`advance` visit them: stage stops, each program instruction
   * (before it runs), the fault, the XDP decision and the stops after it. `visit(seq)` is called
   * at each (seq counts from 0); true halts there. Returns whether it halted.
   */
  private walk(p: PacketRun, visit: (seq: number) => boolean): boolean {
    let seq = 0;
    if (visit(seq++)) return true;
    for (;;) {
      if (p.prog && p.at === p.xdpAt && !p.xdpDone) {
        p.inProgram = true;
        for (;;) {
          if (visit(seq++)) return true;
          if (p.prog.stepInsn() !== 'stepped') break;
        }
        p.xdpDone = true;
        if (p.prog.status === 'fault') {
          p.fault = this.world.machine.fault;
          if (visit(seq++)) return true;
        }
        this.afterProgram(p);
        if (visit(seq++)) return true;
        continue;
      }
      if (p.at >= p.stops.length - 1) return false;
      p.at++;
      if (visit(seq++)) return true;
    }
  }

  /** Would a forward run stop where `p` is? (counts hits and evaluates conditions as forward does) */
  private stopHere(p: PacketRun): StopInfo | undefined {
    if (p.inProgram && !p.xdpDone) {
      return this.isBreak(p.prog!.pc) ? { reason: this.hitKind, description: `${this.hitDesc} (reverse)`, hitBreakpointIds: this.hitIds } : undefined;
    }
    if (p.inProgram) {
      const f = this.world.machine.fault;
      return f && this.exceptionFilters.has('fault') ? { reason: 'exception', exceptionId: 'fault', description: 'Out-of-bounds access', text: this.faultText(f) } : undefined;
    }
    // Continuing from a fault stop, `advance` moves past the XDP decision without checking it.
    if (p.fault && p.at === p.xdpAt && this.exceptionFilters.has('fault')) return undefined;
    return this.stageStop(p);
  }

  // -- inspection ------------------------------------------------------------------------------

  lineOf(insn: number): LineInfo | undefined { return lineInfoAt(this.program, insn); }

  /** Frames, innermost first: program frames (when inside it), then the packet's stages so far. */
  stack(): FrameInfo[] {
    const out: FrameInfo[] = [];
    if (this.rejectedAt !== undefined) {
      const li = this.lineOf(this.rejectedAt);
      return [{ name: `${this.program.name} (rejected by the verifier)`, kind: 'program', depth: 0, insn: this.rejectedAt, line: li }];
    }
    const p = this.pkt;
    if (!p) return out;
    if (p.inProgram) {
      for (const f of p.prog!.frames()) out.push({ name: f.depth === 0 ? `${f.func} (XDP)` : f.func, kind: 'program', depth: f.depth, insn: f.insn, line: f.line });
    }
    for (let k = p.at; k >= 0; k--) {
      const s = p.stops[k];
      out.push({ name: s.text, kind: 'stage', stage: s });
    }
    return out;
  }

  /** Where the session is, for views that follow it (trace viewer row, device tree): 1-based packet, stage id. */
  position(): { packet: number; stage: string; inProgram: boolean; source: string } | undefined {
    const p = this.pkt;
    if (!p) return undefined;
    return { packet: p.index + 1, stage: p.stops[p.at].id, inProgram: p.inProgram, source: this.target.packets.name };
  }

  /** The packet as the program sees it now (after its rewrites), or as it arrived. */
  currentPacket(): Uint8Array {
    const p = this.pkt;
    if (!p) return new Uint8Array(0);
    // Before the program runs (or when it never does) the packet is the frame as it arrived.
    const started = !!p.prog && (p.inProgram || p.xdpDone || p.at > p.xdpAt);
    return started ? this.world.machine.packet.contents() : p.frame;
  }

  /** The current packet (its current bytes) dissected; valid until the next call. */
  currentDissection(): Dissection {
    return this.dissector.dissect(this.currentPacket(), this.pkt?.index ?? 0, this.view);
  }

  private readonly view = new Dissection();

  private reg64(i: number): bigint {
    const m = this.world.machine;
    return (BigInt(m.hi[i] >>> 0) << 32n) | BigInt(m.lo[i] >>> 0);
  }

  /** `frame`: a program frame of `stack()` whose C variables names resolve to (default: the innermost). */
  evalContext(frame?: FrameInfo): EvalContext {
    const pr = this.probing;
    const inProg = !!pr || !!this.pkt?.inProgram;
    const m = this.world?.machine, dwarf = this.program.dwarf;
    let locals: CLocals | undefined, localsRead = false;
    const localsAt = (mm: Machine, depth: number, insn: number): CLocals | undefined => this.localsAt(mm, depth, insn);
    return {
      reg: (i) => (inProg ? this.reg64(i) : undefined),
      memory: this.world?.machine.memory,
      packet: () => (pr ? this.dissector.dissect(this.world.machine.packet.contents(), pr.index, this.view) : this.currentDissection()),
      maps: this.maps,
      // Read on first use: an expression without C names never touches the DWARF.
      get locals() {
        if (!localsRead) {
          localsRead = true;
          if (inProg && dwarf && m) locals = localsAt(m, frame?.depth ?? m.depth, frame?.insn ?? m.pc);
        }
        return locals;
      },
    };
  }

  /** The last frame's C variables (they read the machine when asked): a condition hits one place again and again. */
  private lastLocals: { m: Machine; depth: number; insn: number; locals: CLocals | undefined } | undefined;

  private localsAt(m: Machine, depth: number, insn: number): CLocals | undefined {
    const c = this.lastLocals;
    if (c && c.m === m && c.depth === depth && c.insn === insn) return c.locals;
    const locals = cLocals(m, this.program.dwarf!, depth, insn, this.maps);
    this.lastLocals = { m, depth, insn, locals };
    return locals;
  }

  /** Evaluates for WATCH / hover / REPL (in frame `frameIndex` of `stack()`). Throws EvalError with the column of the problem. */
  evaluate(expr: string, frameIndex?: number): { result: EvalResult; node?: VarNode } {
    const f = frameIndex !== undefined ? this.stack()[frameIndex] : undefined;
    const ctx = this.evalContext(f?.kind === 'program' ? f : undefined);
    const r = evaluate(expr, ctx);
    if (r.mapValue) {
      const { map, key, bytes } = r.mapValue;
      return { result: r, node: this.vars.mapEntryNode(map, key, bytes, expr) };
    }
    if (r.cvalue && ctx.locals) return { result: r, node: this.vars.cNode(expr, r.cvalue, expr, ctx.locals.mem) };
    return { result: r };
  }

  /** Scopes of frame `index` in `stack()`. */
  scopes(index: number): ScopeInfo[] {
    const f = this.stack()[index];
    if (!f || this.rejectedAt !== undefined) return [];
    return this.vars.scopes(f);
  }

  readMemory(ref: string, offset: number, count: number): { address: string; data: Uint8Array; unreadable: number } {
    return this.vars.readMemory(ref, offset, count);
  }

  writeMemory(ref: string, offset: number, data: Uint8Array): number { return this.vars.writeMemory(ref, offset, data); }

  // -- disassembly -----------------------------------------------------------------------------

  /** Instruction entries (one per instruction, ld_imm64 taking two slots). */
  disassemble(firstEntry: number, count: number): DisassembledInsn[] {
    const out: DisassembledInsn[] = [];
    const raw = this.program.insns;
    for (let k = firstEntry; k < firstEntry + count; k++) {
      // Nothing before the first instruction; past the last, placeholders at distinct addresses.
      if (k < 0) continue;
      if (k >= this.insnEntries.length) { out.push({ insn: -1, address: insnAddress(raw.length / 8 + (k - this.insnEntries.length)), text: '<no instruction>', bytes: '' }); continue; }
      const i = this.insnEntries[k];
      const len = raw[i * 8] === 0x18 ? 16 : 8;
      out.push({
        insn: i, address: insnAddress(i), text: formatInsn(raw, i) + this.insnNote(i),
        bytes: Array.from(raw.subarray(i * 8, i * 8 + len), (x) => x.toString(16).padStart(2, '0')).join(' '), line: this.lineOf(i),
      });
    }
    return out;
  }

  /** What objdump cannot know: the map an ld_imm64 names, the helper a call calls. */
  private insnNote(i: number): string {
    const raw = this.program.insns, o = i * 8, src = raw[o + 1] >> 4;
    const imm = raw[o + 4] | (raw[o + 5] << 8) | (raw[o + 6] << 16) | (raw[o + 7] << 24);
    if (raw[o] === 0x18 && src !== 0) return `  ; ${src === 1 || src === 5 ? 'map' : 'map value of'} ${this.program.maps[imm]?.name ?? `#${imm}`}`;
    if (raw[o] === 0x85 && src === 0) return `  ; ${helperName(imm)}`;
    if (raw[o] === 0x85 && src === 1) return `  ; ${this.program.funcInfo.find((f) => f.insn === i + 1 + imm)?.name ?? `insn ${i + 1 + imm}`}`;
    return '';
  }

  /** Entry index of instruction `insn` (for the disassembly request's base address). */
  entryOf(insn: number): number {
    let lo = 0, hi = this.insnEntries.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (this.insnEntries[mid] <= insn) lo = mid; else hi = mid - 1; }
    return lo;
  }
}

/** Instruction index -> the address shown in the DISASSEMBLY view (byte offset, 8 per slot). */
export function insnAddress(insn: number): string { return `0x${(insn * 8).toString(16).padStart(8, '0')}`; }

/** The DISASSEMBLY view's address (or an instruction reference + byte offset) -> instruction index. */
export function insnOfAddress(address: string, byteOffset = 0): number {
  const n = Number(BigInt(address.trim()) + BigInt(byteOffset));
  return Math.floor(n / 8);
}

/** Where a packet under the debugger is: the stop, and inside the program the steps taken. */
interface PositionKey { at: number; inProgram: boolean; xdpDone: boolean; steps: number }

function positionKey(p: PacketRun): PositionKey {
  return { at: p.at, inProgram: p.inProgram, xdpDone: p.xdpDone, steps: p.prog?.steps ?? 0 };
}

function samePosition(p: PacketRun, k: PositionKey): boolean {
  return p.at === k.at && p.inProgram === k.inProgram && p.xdpDone === k.xdpDone && (!p.inProgram || (p.prog?.steps ?? 0) === k.steps);
}

/** A stop a reverse run found: packet, position in `walk` order (-1: not yet known), hit counts there. */
interface FoundStop { packet: number; seq: number; stop?: StopInfo; hits: Map<number, number>; paused?: boolean }

/** `XDP_PASS`, or the kernel's word for an action it does not know. */
function actionName(v: number): string { return XDP_ACTION_NAMES[v] ?? `invalid XDP action ${v}`; }

function basename(p: string): string { return p.split(/[\\/]/).pop() ?? p; }

