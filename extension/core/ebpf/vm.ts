/**
 * The shared VM: the program form both engines (interpreter.ts, jit.ts) run, the machine state
 * they run it on, the helper-call interface, map references and the per-run environment.
 *
 * Registers are int32 halves (`lo[i]`, `hi[i]`, i = 0..10): exact 64-bit values without BigInt.
 * Pointers use the encoding of memory.ts (high half = region id, low half = offset).
 *
 * Semantics worth knowing:
 * - A run starts with r1 = ctx (REGION_CTX), r10 = top of frame 0, the rest 0. The stack is not
 *   cleared between runs (reading it uninitialised is the verifier's business, as in the kernel).
 * - bpf-to-bpf calls save r6-r9 and move r10 down 512 bytes; 8 frames at most.
 * - `callx` (0x8d): the register in dst holds a helper id (uBPF / bpf_conformance) or a code
 *   address from `lddw rX, func` (BPF_PSEUDO_FUNC).
 * - Tail calls are honoured from the program's own frame (depth 0), at most 33 per run.
 * - The budget counts executed instructions (an lddw counts once); both engines count alike.
 */
import {
  BPF_HELPER_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE, BpfDecodeError, checkProgram, decodeProgram, DEFAULT_INSN_BUDGET, DecodedProgram,
  MAX_BPF_STACK, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, OP_CALL, OP_LDDW,
} from './isa';
import { Memory, REGION_CODE, REGION_CTX, REGION_MAP_HANDLE, REGION_STACK, STACK_SIZE, XdpPacket } from './memory';

// Module-local copies (imported bindings become property reads once transpiled to CommonJS).
const CTX: number = REGION_CTX;
const STACK: number = REGION_STACK;
const STACK_TOP: number = STACK_SIZE;

// ---------------------------------------------------------------------------------------------
// Programs, maps, helpers

/**
 * A map as the VM sees it. The loader/maps side implements this; the VM only needs the number the
 * program uses for it and, for direct value access (`lddw` with src_reg 2: .rodata/.data/.bss and
 * array maps), the value bytes.
 */
export interface VmMapRef {
  /** Position in `VmProgram.maps`: the imm of `lddw rX, map` (src_reg 1 or 2). */
  readonly index: number;
  /** BPF_MAP_TYPE_* */
  readonly type: number;
  readonly name: string;
  /** Bytes the program may address directly via src_reg 2 (value of key 0), or undefined. */
  directValue?(): { bytes: Uint8Array; writable: boolean } | undefined;
}

/** A relocated program: raw kernel-encoded instructions plus the maps its `lddw`s name by number. */
export interface VmProgram {
  readonly insns: Uint8Array;
  readonly maps: readonly VmMapRef[];
  /** For messages only; never reaches generated code. */
  readonly name?: string;
}

/** A helper reads r1..r5 and writes r0 through the context; it must not throw. */
export type HelperFn = (vm: HelperContext) => void;
export interface HelperDef { readonly name: string; readonly fn: HelperFn }
/** helper id (the imm of `call N`) -> implementation. */
export type HelperTable = ReadonlyMap<number, HelperDef>;

/** Per-run environment: everything nondeterministic comes from here, so runs replay exactly. */
export interface VmEnv {
  /** Virtual clock in ns (bpf_ktime_get_ns); exact as a number up to 2^53. */
  nowNs: number;
  /** bpf_get_smp_processor_id */
  cpuId: number;
  /** A seeded u32 (bpf_get_prandom_u32). */
  random(): number;
  /** bpf_trace_printk output, one line per call. */
  printk(line: string): void;
}

/** A deterministic environment: xoshiro128** seeded by splitmix32, printk lines collected. */
export class SeededEnv implements VmEnv {
  nowNs = 0;
  cpuId = 0;
  readonly printkLines: string[] = [];
  private s = new Uint32Array(4);
  constructor(seed = 1) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  random(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
    return r;
  }
  printk(line: string): void { this.printkLines.push(line); }
}
const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** What a helper sees of the running VM. */
export interface HelperContext {
  /** r1..r5 as halves. */
  argLo(i: number): number;
  argHi(i: number): number;
  /** r`i` as a JS number: exact for values below 2^53 (sizes, flags, ids); negative int64 stays negative. */
  argNumber(i: number): number;
  /** The map a handle argument (from `lddw rX, map`) names, or undefined when r`i` is not a map handle. */
  mapArg(i: number): VmMapRef | undefined;
  /** Sets r0. */
  ret(lo: number, hi: number): void;
  /** Sets r0 from a safe integer (negative values become their two's complement, e.g. -EINVAL). */
  retNumber(n: number): void;
  readonly memory: Memory;
  readonly packet: XdpPacket;
  readonly env: VmEnv;
  /** Instruction index of the call being made. */
  readonly insnIndex: number;
  /** Ends the program now, as if it executed `exit` with r0 = (lo, hi). */
  stop(lo: number, hi: number): void;
  /** Stops the run with a fault naming the helper's reason. */
  abort(message: string): void;
  /**
   * bpf_tail_call: after the helper returns, continue in `target` (same ctx in r1, same stack),
   * never coming back. Returns false (do nothing, the helper returns its error) when the kernel's
   * limit of 33 tail calls is reached or the call is made from a bpf-to-bpf callee.
   */
  tailCall(target: VmProgram): boolean;
}

// ---------------------------------------------------------------------------------------------
// Faults and statuses

export type VmFaultKind = 'memory' | 'budget' | 'call-depth' | 'helper' | 'invalid' | 'abort';

export interface VmFault {
  kind: VmFaultKind;
  /** Index of the faulting instruction in the program that ran (the loader maps it to a source line). */
  insn: number;
  message: string;
  /** For memory faults. `region` is 'no region' when the address is in none. */
  access?: { address: string; size: number; region: string; op: 'read' | 'write' };
}

/** Engine return codes. */
export const ST_EXIT = 0;
export const ST_FAULT = 1;
/** The step budget ran out (single-stepping); `machine.pc` is the next instruction. */
export const ST_STEP = 2;
/** Reached a breakpoint; `machine.pc` is the breakpoint's instruction (not executed yet). */
export const ST_BREAK = 3;
/** A helper requested a tail call; the machine switches programs. */
export const ST_TAILCALL = 4;

/** Pending requests a helper leaves for the engine, checked once after each helper call. */
export const PENDING_NONE = 0;
export const PENDING_STOP = 1;
export const PENDING_TAILCALL = 2;
export const PENDING_ABORT = 3;

/** An engine runs `p` on `m` from `m.pc` until exit, fault, break or `maxSteps` instructions. */
export interface VmEngine {
  readonly name: string;
  exec(m: Machine, p: LoadedProgram, maxSteps: number): number;
  /**
   * Optional: runs `p` from instruction 0 without a step limit, with the registers a fresh run
   * starts with (r1 = ctx, r10 = top of the stack, the rest 0) whatever `m.lo`/`m.hi` hold.
   * On ST_EXIT only r0 is stored (the rest of `m.lo`/`m.hi` is unspecified: nothing reads a
   * finished run's other registers); on any other status `m.lo`/`m.hi` hold the registers as
   * `exec` would leave them (a fault shows them in the debugger; a tail call continues with
   * them). `Machine.run` uses it to skip the 22 initial and 20 final register stores.
   */
  start?(m: Machine, p: LoadedProgram): number;
}

// ---------------------------------------------------------------------------------------------
// Loaded programs

/** A program checked and bound to one machine (map regions resolved). Engines run this. */
export interface LoadedProgram {
  readonly program: VmProgram;
  /** The machine it was loaded on (map regions and the JIT's code are bound to it). */
  readonly machine: Machine;
  readonly code: DecodedProgram;
  /** Per slot: code | dst << 8 | src << 12, the interpreter's dispatch word (one load per step). */
  readonly packed: Int32Array;
  /** For `lddw` at slot i: the 64-bit value the register receives, resolved (pointers included). */
  readonly constLo: Int32Array;
  readonly constHi: Int32Array;
  /** For `call N` (helper) at slot i: the helper; undefined elsewhere. */
  readonly helperAt: (HelperFn | undefined)[];
  /** Engine caches: the JIT's compiled functions, the interpreter's predecoded form. */
  jit?: unknown;
  interp?: unknown;
}

export class VmLoadError extends Error {
  constructor(message: string, readonly insn: number) { super(message); }
}

export interface MachineOptions {
  helpers?: HelperTable;
  env?: VmEnv;
  /** Instructions per run before it stops with a 'budget' fault (default 1,000,000). */
  insnBudget?: number;
}

/**
 * Machine state: registers, call frames, memory, packet, environment. Implements the helper
 * context. One machine runs one program at a time; engines keep all resumable state here so a
 * run can be single-stepped.
 */
export class Machine implements HelperContext {
  readonly lo = new Int32Array(11);
  readonly hi = new Int32Array(11);
  readonly memory = new Memory();
  readonly packet: XdpPacket;
  env: VmEnv;
  helpers: HelperTable;
  insnBudget: number;

  /** Next instruction to run. */
  pc = 0;
  /** Call depth (0 = the program itself). */
  depth = 0;
  /** Per frame: the return pc, and the caller's r6..r9 (lo,hi pairs: 8 ints per frame). */
  readonly frameRet = new Int32Array(MAX_CALL_FRAMES);
  readonly frameSaved = new Int32Array(MAX_CALL_FRAMES * 8);
  /** Instructions left in this run's budget. */
  budgetLeft = 0;
  /** Instructions executed in this run. */
  insnCount = 0;
  tailCalls = 0;
  fault: VmFault | undefined;
  pending = PENDING_NONE;
  pendingTarget: LoadedProgram | undefined;
  /** The program running now. */
  current: LoadedProgram | undefined;
  /** Instruction index of the helper call in progress. */
  insnIndex = 0;

  private readonly loaded = new WeakMap<VmProgram, LoadedProgram>();
  private readonly mapRegions = new Map<VmMapRef, number>();

  constructor(opts: MachineOptions = {}) {
    this.packet = new XdpPacket(this.memory);
    this.env = opts.env ?? new SeededEnv(1);
    this.helpers = opts.helpers ?? new Map();
    this.insnBudget = opts.insnBudget ?? DEFAULT_INSN_BUDGET;
  }

  /**
   * Checks a program (structure, helper ids, map numbers) and binds it to this machine.
   * Throws VmLoadError naming the instruction.
   */
  load(program: VmProgram): LoadedProgram {
    const cached = this.loaded.get(program);
    if (cached) return cached;
    let code: DecodedProgram;
    try {
      code = decodeProgram(program.insns);
      checkProgram(code);
    } catch (e) {
      if (e instanceof BpfDecodeError) throw new VmLoadError(e.message, e.insn);
      throw e;
    }
    const n = code.length;
    const constLo = new Int32Array(n), constHi = new Int32Array(n);
    const helperAt: (HelperFn | undefined)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const op = code.code[i];
      if (op === OP_LDDW) {
        const src = code.src[i], imm = code.imm[i], next = code.imm[i + 1];
        switch (src) {
          case 0: constLo[i] = imm; constHi[i] = next; break;
          case BPF_PSEUDO_MAP_FD:
          case BPF_PSEUDO_MAP_IDX:
            this.mapAt(program, imm, i);
            constLo[i] = imm; constHi[i] = REGION_MAP_HANDLE;
            break;
          case BPF_PSEUDO_MAP_VALUE:
          case BPF_PSEUDO_MAP_IDX_VALUE: {
            const map = this.mapAt(program, imm, i);
            const region = this.mapValueRegion(map, i);
            constLo[i] = next; constHi[i] = region;
            break;
          }
          case BPF_PSEUDO_FUNC: constLo[i] = i + 1 + imm; constHi[i] = REGION_CODE; break;
          default: throw new VmLoadError(`unsupported ld_imm64 src_reg ${src} at insn ${i}`, i);
        }
        i++;
      } else if (op === OP_CALL) {
        const src = code.src[i];
        if (src === BPF_HELPER_CALL) {
          const h = this.helpers.get(code.imm[i]);
          if (!h) throw new VmLoadError(`invalid func unknown#${code.imm[i]} at insn ${i}`, i);
          helperAt[i] = h.fn;
        } else if (src !== 1) {
          throw new VmLoadError(`kfunc calls are not supported (insn ${i})`, i);
        }
      }
    }
    const packed = new Int32Array(n);
    for (let i = 0; i < n; i++) packed[i] = code.code[i] | (code.dst[i] << 8) | (code.src[i] << 12);
    const p: LoadedProgram = { program, machine: this, code, packed, constLo, constHi, helperAt, jit: undefined, interp: undefined }; // one shape from the start
    this.loaded.set(program, p);
    return p;
  }

  private mapAt(program: VmProgram, index: number, insn: number): VmMapRef {
    const map = index >= 0 ? program.maps[index] : undefined;
    if (!map) throw new VmLoadError(`ld_imm64 at insn ${insn} names map ${index}, but the program has ${program.maps.length}`, insn);
    return map;
  }

  private mapValueRegion(map: VmMapRef, insn: number): number {
    let id = this.mapRegions.get(map);
    if (id === undefined) {
      const v = map.directValue?.();
      if (!v) throw new VmLoadError(`map '${map.name}' has no directly addressable value (ld_imm64 at insn ${insn})`, insn);
      id = this.memory.addRegion(map.name, v.bytes, v.writable);
      this.memory.markStatic();
      this.mapRegions.set(map, id);
    }
    return id;
  }

  /**
   * Prepares a run of `p` from its first instruction: registers cleared, r1 = ctx, r10 = top of
   * the stack. The packet and ctx fields are whatever the caller loaded.
   */
  reset(p: LoadedProgram): void {
    this.resetRegisters();
    this.resetState(p);
  }

  /** The registers of a fresh run: r1 = ctx, r10 = top of frame 0, the rest 0. */
  resetRegisters(): void {
    // Unrolled: measured ~3x cheaper than a loop or fill() for 11 + 11 slots, once per run.
    const lo = this.lo, hi = this.hi;
    lo[0] = 0; lo[1] = 0; lo[2] = 0; lo[3] = 0; lo[4] = 0; lo[5] = 0; lo[6] = 0; lo[7] = 0; lo[8] = 0; lo[9] = 0; lo[10] = STACK_TOP;
    hi[0] = 0; hi[1] = CTX; hi[2] = 0; hi[3] = 0; hi[4] = 0; hi[5] = 0; hi[6] = 0; hi[7] = 0; hi[8] = 0; hi[9] = 0; hi[10] = STACK;
  }

  /** Everything `reset` prepares except the registers. */
  private resetState(p: LoadedProgram): void {
    this.pc = 0; this.depth = 0; this.tailCalls = 0; this.insnCount = 0;
    this.budgetLeft = this.insnBudget;
    this.fault = undefined; this.pending = PENDING_NONE; this.pendingTarget = undefined;
    this.current = p;
    if (this.memory.hasDynamic()) this.memory.resetDynamic();
  }

  /**
   * Runs `p` to completion with `engine` (after `reset`). Returns ST_EXIT (r0 in lo[0]/hi[0]; the
   * other registers are unspecified, see VmEngine.start) or ST_FAULT (`fault` set, all registers
   * as at the faulting instruction). Follows tail calls.
   */
  run(p: LoadedProgram, engine: VmEngine): number {
    if (engine.start === undefined) {
      this.reset(p);
      return this.resume(engine, Infinity);
    }
    this.resetState(p);
    const st = engine.start(this, p);
    if (st !== ST_TAILCALL) return st;
    this.enterTailCall();
    return this.resume(engine, Infinity);
  }

  /** Continues the current run for at most `maxSteps` instructions. */
  resume(engine: VmEngine, maxSteps: number): number {
    for (;;) {
      const p = this.current!;
      const st = engine.exec(this, p, maxSteps);
      if (st !== ST_TAILCALL) return st;
      this.enterTailCall();
      if (maxSteps !== Infinity) return ST_STEP;
    }
  }

  /** After ST_TAILCALL: the pending target becomes the current program, from its first instruction. */
  private enterTailCall(): void {
    this.current = this.pendingTarget!;
    this.pendingTarget = undefined;
    this.pending = PENDING_NONE;
    this.pc = 0;
  }

  // -- engine support (called on slow paths) --------------------------------------------------

  /** Records a memory fault at `pc`. Returns ST_FAULT. */
  memFault(pc: number, hi: number, lo: number, off: number, size: number, write: boolean): number {
    const op = write ? 'write' : 'read';
    const address = this.memory.describe(hi, lo, off);
    const region = this.memory.regionName(hi, lo, off);
    this.fault = {
      kind: 'memory', insn: pc, access: { address, size, region, op },
      message: `invalid ${op} of ${size} byte${size === 1 ? '' : 's'} at ${address} (${region === 'no region' ? 'no region' : `outside the accessible part of ${region}`}) at insn ${pc}`,
    };
    return ST_FAULT;
  }

  setFault(kind: VmFaultKind, pc: number, message: string): number {
    this.fault = { kind, insn: pc, message };
    return ST_FAULT;
  }

  budgetFault(pc: number): number {
    return this.setFault('budget', pc, `instruction budget of ${this.insnBudget} exhausted at insn ${pc} (the kernel's limit is 1000000 processed insns; endless loop?)`);
  }

  /**
   * Enters a bpf-to-bpf call at `pc` (the call instruction) to `target`: saves the return pc and
   * r6..r9, moves r10 down one 512-byte frame. Returns false (fault set) when 8 frames are in use.
   */
  pushFrame(pc: number, target: number): boolean {
    const d = this.depth;
    if (d + 1 >= MAX_CALL_FRAMES) {
      this.setFault('call-depth', pc, `the call stack of ${MAX_CALL_FRAMES} frames is too deep at insn ${pc}`);
      return false;
    }
    this.frameRet[d] = pc + 1;
    const s = this.frameSaved, o = d * 8, lo = this.lo, hi = this.hi;
    s[o] = lo[6]; s[o + 1] = hi[6]; s[o + 2] = lo[7]; s[o + 3] = hi[7];
    s[o + 4] = lo[8]; s[o + 5] = hi[8]; s[o + 6] = lo[9]; s[o + 7] = hi[9];
    lo[10] = (lo[10] - MAX_BPF_STACK) | 0;
    this.depth = d + 1;
    this.pc = target;
    return true;
  }

  /** Returns from a callee: restores r6..r9 and r10; sets `pc` to the return address. */
  popFrame(): void {
    const d = --this.depth;
    const s = this.frameSaved, o = d * 8, lo = this.lo, hi = this.hi;
    lo[6] = s[o]; hi[6] = s[o + 1]; lo[7] = s[o + 2]; hi[7] = s[o + 3];
    lo[8] = s[o + 4]; hi[8] = s[o + 5]; lo[9] = s[o + 6]; hi[9] = s[o + 7];
    lo[10] = (lo[10] + MAX_BPF_STACK) | 0;
    this.pc = this.frameRet[d];
  }

  /**
   * After a helper set `pending`: turns it into an engine status. For PENDING_STOP the program
   * ends (from any depth) with the r0 the helper gave.
   */
  takePending(pc: number): number {
    const what = this.pending;
    this.pending = PENDING_NONE;
    if (what === PENDING_STOP) { this.depth = 0; return ST_EXIT; }
    if (what === PENDING_TAILCALL) { this.tailCalls++; return ST_TAILCALL; }
    if (!this.fault) this.setFault('helper', pc, `helper aborted at insn ${pc}`);
    return ST_FAULT;
  }

  // -- HelperContext -------------------------------------------------------------------------
  argLo(i: number): number { return this.lo[i]; }
  argHi(i: number): number { return this.hi[i]; }
  argNumber(i: number): number { return this.hi[i] * 0x100000000 + (this.lo[i] >>> 0); }
  mapArg(i: number): VmMapRef | undefined {
    if (this.hi[i] !== REGION_MAP_HANDLE) return undefined;
    return this.current?.program.maps[this.lo[i]];
  }
  ret(lo: number, hi: number): void { this.lo[0] = lo; this.hi[0] = hi; }
  retNumber(n: number): void {
    this.lo[0] = n | 0;
    this.hi[0] = Math.floor(n / 0x100000000) | 0;
  }
  stop(lo: number, hi: number): void { this.ret(lo, hi); this.pending = PENDING_STOP; }
  abort(message: string): void {
    this.fault = { kind: 'helper', insn: this.insnIndex, message: `${message} (insn ${this.insnIndex})` };
    this.pending = PENDING_ABORT;
  }
  tailCall(target: VmProgram): boolean {
    if (this.depth !== 0 || this.tailCalls >= MAX_TAIL_CALL_CNT) return false;
    let loaded: LoadedProgram;
    try {
      loaded = this.load(target);
    } catch {
      return false;
    }
    this.pendingTarget = loaded;
    this.pending = PENDING_TAILCALL;
    return true;
  }

  /** r0 as an unsigned 64-bit BigInt (API convenience; not for hot paths). */
  r0(): bigint {
    return (BigInt(this.hi[0] >>> 0) << 32n) | BigInt(this.lo[0] >>> 0);
  }
}
