// The verifier: an abstract interpreter over every path of a program, tracking what each register
// holds (ctx, packet pointers with their checked range, map values, stack, scalars with bounds)
// and rejecting what the kernel's verifier rejects in the common cases, in its words
// (kernel/bpf/verifier.c: do_check, check_mem_access, check_packet_access, check_helper_call,
// is_state_visited). States are pruned when an explored state covers the new one, so it ends.
import { BpfDecodeError, checkProgram, decodeProgram, type DecodedProgram } from './isa';
import { helperName, HELPER_NAMES } from './helperNames';
import { BPF_F_RDONLY_PROG, BpfMapType, lineInfoAt, MAP_TYPE_NAMES, type BpfMapDef, type BpfProgram, type LineInfo } from './program';
import {
  alu32, alu64, branchTaken, formatScalar, isConst, konst, lower32, refine, scalarEqual, scalarIncludes,
  toS64, unknownWidth, UNKNOWN, type Scalar,
} from './scalar';

export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;
const MAX_BPF_STACK = 512;
const MAX_CALL_FRAMES = 8;
const MAX_PACKET_OFF = 0xffff;
const BPF_MAX_VAR_OFF = 1 << 29;
/** Distinct register-state lines kept per instruction for the debugger. */
const MAX_STATES_SHOWN = 8;

/** Register types (enum bpf_reg_type), with the kernel's names. */
export const enum RT { NOT_INIT, SCALAR, CTX, PKT, PKT_END, PKT_META, MAP_PTR, MAP_VALUE, MAP_VALUE_OR_NULL, STACK }
const RT_NAMES = ['?', 'scalar', 'ctx', 'pkt', 'pkt_end', 'pkt_meta', 'map_ptr', 'map_value', 'map_value_or_null', 'fp'];

/** One register. Immutable: every change makes a new object, so states copy cheaply. */
interface Reg {
  readonly t: RT;
  /** Fixed offset of a pointer. */
  readonly off: number;
  /** Scalar value, or the variable part of a pointer's offset. */
  readonly s: Scalar;
  /** Packet pointers that share a variable offset / map lookups whose NULL checks go together. */
  readonly id: number;
  /** Packet range r: [ptr - off, ptr - off + r) is checked against data_end (pkt, pkt_meta). */
  readonly r: number;
  /** Map number (map_ptr, map_value, map_value_or_null). */
  readonly map: number;
  /** Frame of a stack pointer. */
  readonly frame: number;
}

const NOT_INIT: Reg = { t: RT.NOT_INIT, off: 0, s: UNKNOWN, id: 0, r: 0, map: -1, frame: 0 };
const ZERO = konst(0n);
const scalarReg = (s: Scalar): Reg => ({ ...NOT_INIT, t: RT.SCALAR, s });
const UNKNOWN_REG = scalarReg(UNKNOWN);
const ptr = (t: RT, extra: Partial<Reg> = {}): Reg => ({ ...NOT_INIT, t, s: ZERO, ...extra });

/** Stack byte states. */
const STACK_INVALID = 0, STACK_MISC = 1, STACK_ZERO = 2, STACK_SPILL = 3;

interface Frame {
  regs: Reg[];
  /** Byte i describes fp-512+i. */
  stack: Uint8Array;
  /** Known byte values of stored constants (-1 unknown): keys built on the stack stay constants. */
  vals: Int16Array;
  /** Spilled registers by 8-byte slot (slot k = fp-512+8k). */
  spills: (Reg | undefined)[];
  /** Instruction to return to (caller's call + 1); -1 for the main frame. */
  callsite: number;
  /** Deepest stack byte used, as a positive depth. */
  depth: number;
}

interface State { frames: Frame[] }

function copyFrame(f: Frame): Frame {
  return { regs: f.regs.slice(), stack: f.stack.slice(), vals: f.vals.slice(), spills: f.spills.slice(), callsite: f.callsite, depth: f.depth };
}
const copyState = (s: State): State => ({ frames: s.frames.map(copyFrame) });

function newFrame(callsite: number): Frame {
  const regs = new Array<Reg>(11).fill(NOT_INIT);
  return { regs, stack: new Uint8Array(MAX_BPF_STACK), vals: new Int16Array(MAX_BPF_STACK).fill(-1), spills: new Array(MAX_BPF_STACK / 8).fill(undefined), callsite, depth: 0 };
}

export interface VerifierError {
  /** Instruction index in the loaded program. */
  insn: number;
  /** The kernel's message (may be two lines, as the kernel prints them). */
  message: string;
  line?: LineInfo;
}

export interface VerifierResult {
  ok: boolean;
  error?: VerifierError;
  /** Instructions processed (the kernel's `processed N insns`). */
  processed: number;
  totalStates: number;
  peakStates: number;
  /** Per instruction: distinct register states seen before it, in the kernel's notation. */
  insnStates: (string[] | undefined)[];
  /** The log the kernel would end with (`processed … insns (limit 1000000) …`). */
  summary: string;
  /** Largest combined stack depth of a call chain. */
  stackDepth: number;
}

export interface VerifierOptions {
  /** Program type (default from the program, else 'xdp'). Helper availability depends on it. */
  progType?: string;
  /** Root / CAP_PERFMON loader (default true, as with bpftool): uninitialised stack reads are allowed. */
  privileged?: boolean;
  /** Processed-instruction limit (default 1,000,000). */
  complexityLimit?: number;
  /** Keep per-instruction register states (default true). */
  recordStates?: boolean;
}

class Reject extends Error {
  constructor(readonly insn: number, message: string) { super(message); }
}

// Helper argument kinds (a subset of enum bpf_arg_type).
const enum A { ANY, SCALAR, CTX, MAP, MAP_KEY, MAP_VALUE, MEM, MEM_OR_NULL, UNINIT_MEM, SIZE, SIZE_OR_ZERO, PROG_ARRAY }
const enum R { SCALAR, MAP_VALUE_OR_NULL }
interface Proto { args: A[]; ret: R; /** changes packet boundaries: invalidates packet pointers */ pktChange?: boolean }

const PROTOS: Record<number, Proto> = {
  1: { args: [A.MAP, A.MAP_KEY], ret: R.MAP_VALUE_OR_NULL },
  2: { args: [A.MAP, A.MAP_KEY, A.MAP_VALUE, A.SCALAR], ret: R.SCALAR },
  3: { args: [A.MAP, A.MAP_KEY], ret: R.SCALAR },
  5: { args: [], ret: R.SCALAR },
  // bpf_trace_printk_proto declares arg1 (fmt) and arg2 (its size) only: r3-r5 are not checked (may be unset).
  6: { args: [A.MEM, A.SIZE], ret: R.SCALAR },
  7: { args: [], ret: R.SCALAR },
  8: { args: [], ret: R.SCALAR },
  12: { args: [A.CTX, A.PROG_ARRAY, A.SCALAR], ret: R.SCALAR },
  23: { args: [A.SCALAR, A.SCALAR], ret: R.SCALAR },
  28: { args: [A.MEM_OR_NULL, A.SIZE_OR_ZERO, A.MEM_OR_NULL, A.SIZE_OR_ZERO, A.SCALAR], ret: R.SCALAR },
  42: { args: [], ret: R.SCALAR },
  44: { args: [A.CTX, A.SCALAR], ret: R.SCALAR, pktChange: true },
  51: { args: [A.MAP, A.SCALAR, A.SCALAR], ret: R.SCALAR },
  54: { args: [A.CTX, A.SCALAR], ret: R.SCALAR, pktChange: true },
  65: { args: [A.CTX, A.SCALAR], ret: R.SCALAR, pktChange: true },
  69: { args: [A.CTX, A.MEM, A.SIZE, A.SCALAR], ret: R.SCALAR },
  125: { args: [], ret: R.SCALAR },
  160: { args: [], ret: R.SCALAR },
  188: { args: [A.CTX], ret: R.SCALAR },
  189: { args: [A.CTX, A.SCALAR, A.UNINIT_MEM, A.SIZE], ret: R.SCALAR },
  190: { args: [A.CTX, A.SCALAR, A.MEM, A.SIZE], ret: R.SCALAR, pktChange: true },
};

/** Registers are immutable, so each one's text is computed once. */
const regText = new WeakMap<Reg, string>();

/** The kernel's `R1=ctx() R2=pkt(off=14,r=14) R10=fp0` for one register. */
function formatReg(r: Reg, maps: readonly BpfMapDef[]): string {
  let t = regText.get(r);
  if (t === undefined) { t = formatRegText(r, maps); regText.set(r, t); }
  return t;
}

function formatRegText(r: Reg, maps: readonly BpfMapDef[]): string {
  const mapText = (m: number) => {
    const d = maps[m];
    return d ? `map=${d.name},ks=${d.keySize},vs=${d.valueSize}` : `map=${m}`;
  };
  const idText = r.id ? `id=${r.id},` : '';
  const varText = isConst(r.s) ? '' : `,var_off=${formatScalar(r.s)}`;
  switch (r.t) {
    case RT.SCALAR: return formatScalar(r.s);
    case RT.CTX: return r.off ? `ctx(off=${r.off})` : 'ctx()';
    case RT.PKT: case RT.PKT_META: {
      const o = r.off + Number(isConst(r.s) ? r.s.tv : 0n);
      return `${RT_NAMES[r.t]}(${idText}${o ? `off=${o},` : ''}r=${r.r}${varText})`;
    }
    case RT.PKT_END: return 'pkt_end()';
    case RT.MAP_PTR: return `map_ptr(${mapText(r.map)})`;
    case RT.MAP_VALUE: return `map_value(${mapText(r.map)}${r.off ? `,off=${r.off}` : ''}${varText})`;
    case RT.MAP_VALUE_OR_NULL: return `map_value_or_null(${idText}${mapText(r.map)})`;
    case RT.STACK: return `fp${r.off === 0 ? '0' : r.off}`;
    default: return '?';
  }
}

function formatState(st: State, maps: readonly BpfMapDef[]): string {
  const f = st.frames[st.frames.length - 1];
  const parts: string[] = [];
  f.regs.forEach((r, i) => { if (r.t !== RT.NOT_INIT) parts.push(`R${i}=${formatReg(r, maps)}`); });
  for (let slot = MAX_BPF_STACK / 8 - 1; slot >= 0; slot--) {
    const off = -(MAX_BPF_STACK - slot * 8);
    const sp = f.spills[slot];
    if (sp) { parts.push(`fp${off}=${formatReg(sp, maps)}`); continue; }
    let s = '', any = false;
    for (let b = 7; b >= 0; b--) {
      const v = f.stack[slot * 8 + b];
      if (v !== STACK_INVALID) any = true;
      s += v === STACK_MISC ? 'm' : v === STACK_ZERO ? '0' : '?';
    }
    if (any) parts.push(`fp${off}=${s}`);
  }
  return (st.frames.length > 1 ? `frame${st.frames.length - 1}: ` : '') + parts.join(' ');
}

// --- state comparison for pruning -------------------------------------------------------------

function regSafe(o: Reg, n: Reg, exact: boolean): boolean {
  if (exact) return regEqual(o, n);
  if (o.t === RT.NOT_INIT) return true;
  if (o.t !== n.t) return false;
  switch (o.t) {
    case RT.SCALAR: return scalarIncludes(o.s, n.s);
    case RT.PKT: case RT.PKT_META:
      // A bigger checked range in the new state is fine; the variable part must be covered.
      return o.off === n.off && o.r <= n.r && scalarIncludes(o.s, n.s) && (o.id === n.id || isConst(o.s));
    case RT.MAP_VALUE: case RT.MAP_VALUE_OR_NULL:
      return o.map === n.map && o.off === n.off && scalarIncludes(o.s, n.s) && (o.t === RT.MAP_VALUE || o.id === n.id);
    default:
      return o.off === n.off && o.map === n.map && o.frame === n.frame && scalarEqual(o.s, n.s);
  }
}

function regEqual(a: Reg, b: Reg): boolean {
  return a.t === b.t && a.off === b.off && a.id === b.id && a.r === b.r && a.map === b.map && a.frame === b.frame && scalarEqual(a.s, b.s);
}

/**
 * Whether old state `o` covers new state `n` at instruction `pc`. Registers that are dead there
 * (never read before being written, by the static liveness in `live`) do not matter, which is
 * what lets states prune where the kernel's read marks would let them.
 */
function statesCover(o: State, n: State, exact: boolean, live: Uint16Array, pc: number): boolean {
  if (o.frames.length !== n.frames.length) return false;
  const top = o.frames.length - 1;
  for (let fi = 0; fi <= top; fi++) {
    const of = o.frames[fi], nf = n.frames[fi];
    if (of.callsite !== nf.callsite) return false;
    // A caller frame resumes after its call: r0-r5 are overwritten there.
    const mask = fi === top ? live[pc] : live[o.frames[fi + 1].callsite] & ~0x3f;
    for (let i = 0; i < 10; i++) if ((mask >> i) & 1 && !regSafe(of.regs[i], nf.regs[i], exact)) return false;
    for (let b = 0; b < MAX_BPF_STACK; b++) {
      const ov = of.stack[b], nv = nf.stack[b];
      if (exact ? ov !== nv : ov !== STACK_INVALID && ov !== nv && !(ov === STACK_MISC && nv === STACK_ZERO)) return false;
      if (ov !== STACK_INVALID && of.vals[b] >= 0 && of.vals[b] !== nf.vals[b]) return false;
    }
    for (let k = 0; k < of.spills.length; k++) {
      const os = of.spills[k], ns = nf.spills[k];
      if (!os) continue;
      if (!ns || !regSafe(os, ns, exact)) return false;
    }
  }
  return true;
}

interface Checkpoint { state: State; branches: number; parent: Checkpoint | undefined; hit: number; miss: number }
interface Pending { insn: number; state: State; parent: Checkpoint | undefined }

/** Verifies one program. Never throws for bad programs: the verdict is in the result. */
export function verifyProgram(program: BpfProgram, opts: VerifierOptions = {}): VerifierResult {
  return new Verifier(program, opts).run();
}

class Verifier {
  private readonly code!: DecodedProgram;
  private readonly maps: readonly BpfMapDef[];
  private readonly privileged: boolean;
  private readonly limit: number;
  private readonly progType: string;
  private readonly record: boolean;
  private readonly insnStates: (string[] | undefined)[] = [];
  private readonly prunePoint: Uint8Array;
  /** Per instruction: bit r set when register r may be read before it is written from there on. */
  private live: Uint16Array = new Uint16Array(0);
  private readonly explored = new Map<number, Checkpoint[]>();
  private processed = 0;
  private totalStates = 0;
  private peakStates = 0;
  private nextId = 1;
  private stackDepth = 0;
  private insnsSinceCheckpoint = 0;
  private jmpsSinceCheckpoint = 0;
  private decodeError: VerifierError | undefined;

  constructor(private readonly program: BpfProgram, opts: VerifierOptions) {
    this.maps = program.maps;
    this.privileged = opts.privileged ?? true;
    this.limit = opts.complexityLimit ?? BPF_COMPLEXITY_LIMIT_INSNS;
    this.progType = opts.progType ?? (program.progType === 'unspec' ? 'xdp' : program.progType);
    this.record = opts.recordStates ?? true;
    let code: DecodedProgram | undefined;
    try {
      code = decodeProgram(program.insns);
      checkProgram(code);
    } catch (e) {
      if (!(e instanceof BpfDecodeError)) throw e;
      this.decodeError = this.err(e.insn, e.message.replace(/ at insn \d+$/, ''));
    }
    this.code = code ?? decodeProgram(new Uint8Array(0));
    this.prunePoint = new Uint8Array(this.code.length + 1);
  }

  private err(insn: number, message: string): VerifierError {
    const line = lineInfoAt(this.program, insn);
    return { insn, message, line };
  }

  private result(error?: VerifierError): VerifierResult {
    return {
      ok: !error, error, processed: this.processed, totalStates: this.totalStates, peakStates: this.peakStates,
      insnStates: this.insnStates, stackDepth: this.stackDepth,
      summary: `processed ${this.processed} insns (limit ${this.limit}) max_states_per_insn ${this.maxStatesPerInsn()} total_states ${this.totalStates} peak_states ${this.peakStates} mark_read 0`,
    };
  }

  private maxStatesPerInsn(): number {
    let m = 0;
    for (const l of this.explored.values()) m = Math.max(m, l.length);
    return m;
  }

  run(): VerifierResult {
    if (this.decodeError) return this.result(this.decodeError);
    try {
      this.checkCfg();
      this.live = registerLiveness(this.code);
      this.doCheck();
    } catch (e) {
      if (e instanceof Reject) return this.result(this.err(e.insn, e.message));
      throw e;
    }
    return this.result();
  }

  /** check_subprogs + check_cfg: last instruction, reachability; marks prune points. */
  private checkCfg(): void {
    const c = this.code, n = c.length;
    const last = c.code[n - 1];
    if (n >= 2 && c.code[n - 2] === 0x18) { /* lddw as last: caught by checkProgram */ }
    if (last !== 0x95 && last !== 0x05 && last !== 0x06) throw new Reject(n - 1, 'last insn is not an exit or jmp');
    const seen = new Uint8Array(n);
    const work = [0];
    seen[0] = 1;
    const visit = (t: number) => { if (!seen[t]) { seen[t] = 1; work.push(t); } };
    while (work.length) {
      const i = work.pop()!;
      const op = c.code[i], cls = op & 7;
      if (op === 0x18) { seen[i + 1] = 1; visit(i + 2); continue; }
      if (cls === 5 || cls === 6) {
        const jop = op & 0xf0;
        if (jop === 0x90) continue; // exit
        // Prune points as the kernel's visit_insn marks them: conditional jumps themselves, the
        // targets of unconditional jumps, callee entries and the insns after calls.
        if (jop === 0x80) { // call
          if (c.src[i] === 1) { visit(i + 1 + c.imm[i]); this.prunePoint[i + 1 + c.imm[i]] = 1; }
          this.prunePoint[i + 1] = 1;
          visit(i + 1);
          continue;
        }
        const target = jop === 0x00 ? i + 1 + (cls === 6 ? c.imm[i] : c.off[i]) : i + 1 + c.off[i];
        if (jop === 0x00) this.prunePoint[target] = 1;
        else this.prunePoint[i] = 1;
        visit(target);
        if (jop !== 0x00) visit(i + 1);
        continue;
      }
      visit(i + 1);
    }
    for (let i = 0; i < n; i++) if (!seen[i]) throw new Reject(i, `unreachable insn ${i}`);
  }

  private record_(insn: number, st: State): void {
    if (!this.record) return;
    let l = this.insnStates[insn];
    if (!l) l = this.insnStates[insn] = [];
    if (l.length >= MAX_STATES_SHOWN) return;
    const s = formatState(st, this.maps);
    if (!l.includes(s)) l.push(s);
  }

  private doCheck(): void {
    const main = newFrame(-1);
    main.regs[1] = ptr(RT.CTX);
    main.regs[10] = ptr(RT.STACK, { frame: 0 });
    const stack: Pending[] = [{ insn: 0, state: { frames: [main] }, parent: undefined }];
    while (stack.length) {
      const p = stack.pop()!;
      this.walk(p.insn, p.state, p.parent, stack);
    }
  }

  /** Marks the end of a path: checkpoints with no live paths left become usable for pruning. */
  private finishPath(parent: Checkpoint | undefined): void {
    for (let c = parent; c; c = c.parent) {
      c.branches--;
      if (c.branches > 0) break;
    }
  }

  /** Follows one path until exit, a prune or a fork (the other branch goes on `stack`). */
  private walk(pc: number, st: State, parent: Checkpoint | undefined, stack: Pending[]): void {
    const c = this.code;
    for (;;) {
      if (++this.processed > this.limit) {
        throw new Reject(pc, `BPF program is too large. Processed ${this.processed} insn`);
      }
      if (this.prunePoint[pc]) {
        const r = this.visit(pc, st, parent);
        if (r === null) { this.finishPath(parent); return; }
        parent = r;
      }
      this.insnsSinceCheckpoint++;
      this.record_(pc, st);
      const f = st.frames[st.frames.length - 1];
      const regs = f.regs;
      const op = c.code[pc], cls = op & 7, dst = c.dst[pc], src = c.src[pc], off = c.off[pc], imm = c.imm[pc];
      switch (cls) {
        case 7: case 4: this.checkAlu(pc, st, op, dst, src, off, imm); pc++; break;
        case 1: { // LDX
          this.readReg(pc, regs, src);
          const size = [4, 2, 1, 8][(op >> 3) & 3];
          const v = this.memAccess(pc, st, src, off, size, false, undefined);
          this.setReg(f, dst, (op & 0xe0) === 0x80 ? scalarReg(UNKNOWN) : v);
          pc++;
          break;
        }
        case 2: case 3: { // ST / STX
          this.readReg(pc, regs, dst);
          const size = [4, 2, 1, 8][(op >> 3) & 3];
          if (cls === 3) {
            this.readReg(pc, regs, src);
            if ((op & 0xe0) === 0xc0) { this.checkAtomic(pc, st, op, dst, src, off, imm, size); pc++; break; }
            this.memAccess(pc, st, dst, off, size, true, regs[src]);
          } else {
            this.memAccess(pc, st, dst, off, size, true, scalarReg(konst(BigInt(imm))));
          }
          pc++;
          break;
        }
        case 0: { // LD
          if (op !== 0x18) throw new Reject(pc, 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
          const next = c.imm[pc + 1];
          if (src === 0) this.setReg(f, dst, scalarReg(konst((BigInt(next >>> 0) << 32n) | BigInt(imm >>> 0))));
          else if (src === 1 || src === 5) {
            if (!this.maps[imm]) throw new Reject(pc, `fd ${imm} is not pointing to valid bpf_map`);
            this.setReg(f, dst, ptr(RT.MAP_PTR, { map: imm }));
          } else if (src === 2 || src === 6) {
            const m = this.maps[imm];
            if (!m) throw new Reject(pc, `fd ${imm} is not pointing to valid bpf_map`);
            if (m.type !== BpfMapType.ARRAY) throw new Reject(pc, `map '${m.name}' of type ${MAP_TYPE_NAMES[m.type]} has no direct value access`);
            if (next < 0 || next >= m.valueSize) throw new Reject(pc, `invalid access to map value pointer, value_size=${m.valueSize} off=${next}`);
            this.setReg(f, dst, ptr(RT.MAP_VALUE, { map: imm, off: next }));
          } else throw new Reject(pc, `unsupported ld_imm64 src_reg ${src}`);
          pc += 2;
          break;
        }
        default: { // JMP / JMP32
          const jop = op & 0xf0;
          if (jop === 0x90) { // exit
            const next = this.checkExit(pc, st);
            if (next < 0) { this.finishPath(parent); return; }
            pc = next;
            break;
          }
          if (jop === 0x80) {
            if (op === 0x8d) throw new Reject(pc, 'unknown opcode 8d');
            if (src === 1) { pc = this.checkPseudoCall(pc, st, pc + 1 + imm); break; }
            if (src === 2) throw new Reject(pc, 'kernel function calls (kfuncs) are not supported');
            this.checkHelperCall(pc, st, imm);
            pc++;
            break;
          }
          if (jop === 0x00) { pc = pc + 1 + (cls === 6 ? imm : off); this.jmpsSinceCheckpoint++; break; }
          this.jmpsSinceCheckpoint++;
          const target = pc + 1 + off;
          const other = this.checkCondJump(pc, st, op, dst, src, imm);
          // other: [fallthrough state|undefined, taken state|undefined]
          const [fall, taken] = other;
          if (fall && taken) {
            if (parent) parent.branches++;
            stack.push({ insn: target, state: taken, parent });
            st = fall; pc++;
          } else if (taken) { st = taken; pc = target; }
          else if (fall) { st = fall; pc++; }
          else { this.finishPath(parent); return; }
          const depth = stack.length;
          if (depth > this.peakStates) this.peakStates = depth;
          break;
        }
      }
    }
  }

  /** is_state_visited: returns null to prune, else the (maybe new) parent checkpoint. */
  private visit(pc: number, st: State, parent: Checkpoint | undefined): Checkpoint | undefined | null {
    let list = this.explored.get(pc);
    if (list) {
      for (let i = 0; i < list.length; i++) {
        const old = list[i];
        if (old.branches > 0) {
          // A state on the current path that equals this one: the loop makes no progress.
          if (statesCover(old.state, st, true, this.live, pc)) throw new Reject(pc, `infinite loop detected at insn ${pc}`);
          continue;
        }
        if (statesCover(old.state, st, false, this.live, pc)) { old.hit++; return null; }
        old.miss++;
        if (old.miss > old.hit * 3 + 3 && list.length > 1) { list.splice(i, 1); i--; }
      }
    }
    // Add a checkpoint only every few instructions and jumps, as the kernel does, to bound memory.
    if (list && (this.insnsSinceCheckpoint < 8 || this.jmpsSinceCheckpoint < 2)) return parent;
    this.insnsSinceCheckpoint = 0;
    this.jmpsSinceCheckpoint = 0;
    if (!list) { list = []; this.explored.set(pc, list); }
    const cp: Checkpoint = { state: copyState(st), branches: 1, parent, hit: 0, miss: 0 };
    list.push(cp);
    this.totalStates++;
    return cp;
  }

  private readReg(pc: number, regs: Reg[], r: number): Reg {
    const v = regs[r];
    if (v.t === RT.NOT_INIT) throw new Reject(pc, `R${r} !read_ok`);
    return v;
  }

  private setReg(f: Frame, r: number, v: Reg): void {
    f.regs[r] = v;
  }

  // --- ALU ------------------------------------------------------------------------------------

  private checkAlu(pc: number, st: State, op: number, dst: number, src: number, off: number, imm: number): void {
    const f = st.frames[st.frames.length - 1];
    const regs = f.regs;
    const is64 = (op & 7) === 7;
    const aop = op & 0xf0;
    const useReg = (op & 0x08) !== 0;
    if (aop === 0xb0) { // mov
      let v: Reg;
      if (useReg) {
        v = this.readReg(pc, regs, src);
        if (off) { // movsx
          if (v.t !== RT.SCALAR) v = UNKNOWN_REG;
          else v = scalarReg(isConst(v.s) ? konst(is64 ? BigInt.asIntN(off, v.s.tv) : BigInt.asUintN(32, BigInt.asIntN(off, v.s.tv))) : is64 ? UNKNOWN : unknownWidth(4));
        } else if (!is64) v = v.t === RT.SCALAR ? scalarReg(lower32(v.s)) : UNKNOWN_REG;
      } else v = scalarReg(is64 ? konst(BigInt(imm)) : konst(BigInt(imm >>> 0)));
      regs[dst] = v;
      return;
    }
    if (aop === 0x80) { // neg
      const a = this.readReg(pc, regs, dst);
      if (a.t !== RT.SCALAR) throw new Reject(pc, `R${dst} pointer arithmetic with neg operator prohibited`);
      regs[dst] = scalarReg(isConst(a.s) ? (is64 ? konst(-a.s.tv) : konst(BigInt(-Number(a.s.tv & 0xffffffffn) >>> 0))) : is64 ? UNKNOWN : unknownWidth(4));
      return;
    }
    if (aop === 0xd0) { // end / bswap
      const a = this.readReg(pc, regs, dst);
      if (a.t !== RT.SCALAR) { regs[dst] = UNKNOWN_REG; return; }
      const width = imm;
      if (isConst(a.s)) {
        let v = a.s.tv & ((1n << BigInt(width)) - 1n);
        const toBe = is64 || (op & 0x08) !== 0;
        if (toBe) { let r = 0n; for (let i = 0; i < width / 8; i++) { r = (r << 8n) | (v & 0xffn); v >>= 8n; } v = r; }
        regs[dst] = scalarReg(konst(v));
      } else regs[dst] = scalarReg(width === 64 ? UNKNOWN : (op & 0x08) === 0 && !is64 ? alu64(0x50, a.s, konst((1n << BigInt(width)) - 1n)) : unknownWidth(width / 8));
      return;
    }
    const a = this.readReg(pc, regs, dst);
    const bReg = useReg ? this.readReg(pc, regs, src) : scalarReg(konst(is64 ? BigInt(imm) : BigInt(imm >>> 0)));
    if ((aop === 0x30 || aop === 0x90) && !useReg && imm === 0) throw new Reject(pc, 'div by zero');
    const opName = ({ 0x00: '+=', 0x10: '-=', 0x20: '*=', 0x30: '/=', 0x40: '|=', 0x50: '&=', 0x60: '<<=', 0x70: '>>=', 0x90: '%=', 0xa0: '^=', 0xc0: 's>>=' } as Record<number, string>)[aop] ?? '?';
    if (a.t === RT.SCALAR && bReg.t === RT.SCALAR) {
      regs[dst] = scalarReg(is64 ? alu64(aop, a.s, bReg.s) : alu32(aop, a.s, bReg.s));
      return;
    }
    // Pointer arithmetic.
    if (!is64) {
      if (this.privileged) { regs[dst] = scalarReg(unknownWidth(4)); return; }
      throw new Reject(pc, `R${dst} 32-bit pointer arithmetic prohibited`);
    }
    if (a.t !== RT.SCALAR && bReg.t !== RT.SCALAR) {
      if (aop === 0x10 && this.privileged) { regs[dst] = UNKNOWN_REG; return; } // ptr - ptr (allow_ptr_leaks)
      throw new Reject(pc, `R${dst} pointer ${opName} pointer prohibited`);
    }
    const [p, s, pr] = a.t !== RT.SCALAR ? [a, bReg.s, dst] : [bReg, a.s, src];
    if (aop !== 0x00 && !(aop === 0x10 && a.t !== RT.SCALAR)) {
      if (this.privileged && aop !== 0x10) { regs[dst] = UNKNOWN_REG; return; }
      throw new Reject(pc, aop === 0x10 ? `R${dst} tried to subtract pointer from scalar` : `R${dst} pointer arithmetic with ${opName} operator prohibited`);
    }
    if (p.t === RT.PKT_END) throw new Reject(pc, `R${pr} pointer arithmetic on pkt_end prohibited`);
    if (p.t === RT.MAP_VALUE_OR_NULL) throw new Reject(pc, `R${pr} pointer arithmetic on map_value_or_null prohibited, null-check it first`);
    if (p.t === RT.MAP_PTR) throw new Reject(pc, `R${pr} pointer arithmetic on map_ptr prohibited`);
    if (p.t === RT.CTX && !isConst(s)) throw new Reject(pc, `R${pr} pointer arithmetic on ctx with variable offset prohibited`);
    const sub = aop === 0x10;
    if (isConst(s)) {
      const k = Number(toS64(s.tv));
      const noff = sub ? p.off - k : p.off + k;
      if (Math.abs(noff) >= BPF_MAX_VAR_OFF) throw new Reject(pc, `value ${noff} makes ${RT_NAMES[p.t]} pointer be out of bounds`);
      regs[dst] = { ...p, off: noff };
      return;
    }
    if (s.smin <= -BigInt(BPF_MAX_VAR_OFF) || s.smin >= BigInt(BPF_MAX_VAR_OFF)) {
      if (p.t !== RT.PKT && p.t !== RT.PKT_META) throw new Reject(pc, `R${pr} unbounded memory access, make sure to bounds check any such access`);
    }
    const v = sub ? alu64(0x10, p.s, s) : alu64(0x00, p.s, s);
    // A variable offset gives packet pointers a new identity with no checked range (yet).
    if (p.t === RT.PKT || p.t === RT.PKT_META) regs[dst] = { ...p, s: v, id: this.nextId++, r: 0 };
    else regs[dst] = { ...p, s: v };
  }

  private checkAtomic(pc: number, st: State, op: number, dst: number, src: number, off: number, imm: number, size: number): void {
    const f = st.frames[st.frames.length - 1];
    const p = f.regs[dst];
    if (p.t === RT.PKT || p.t === RT.PKT_META || p.t === RT.CTX) throw new Reject(pc, `BPF_ATOMIC stores into R${dst} ${RT_NAMES[p.t]} is not allowed`);
    if (imm === 0xf1) this.readReg(pc, f.regs, 0);
    this.memAccess(pc, st, dst, off, size, false, undefined);
    this.memAccess(pc, st, dst, off, size, true, UNKNOWN_REG);
    if (imm === 0xf1) f.regs[0] = scalarReg(size === 8 ? UNKNOWN : unknownWidth(4));
    else if (imm & 1) f.regs[src] = scalarReg(size === 8 ? UNKNOWN : unknownWidth(4));
  }

  // --- memory ---------------------------------------------------------------------------------

  /** check_mem_access: returns the loaded value (reads) or stores `value` (writes). */
  private memAccess(pc: number, st: State, regno: number, insnOff: number, size: number, write: boolean, value: Reg | undefined): Reg {
    const f = st.frames[st.frames.length - 1];
    const reg = f.regs[regno];
    const off = reg.off + insnOff;
    switch (reg.t) {
      case RT.CTX: {
        if (write) throw new Reject(pc, `invalid bpf_context access off=${off} size=${size}`);
        return this.ctxLoad(pc, off, size);
      }
      case RT.PKT: case RT.PKT_META: {
        if (reg.s.smin < 0n) throw new Reject(pc, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
        if (off < 0 || off + size > reg.r) {
          throw new Reject(pc, `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${reg.r})\nR${regno} offset is outside of the packet`);
        }
        return write ? NOT_INIT : scalarReg(unknownWidth(size));
      }
      case RT.MAP_VALUE: {
        const m = this.maps[reg.map];
        const vs = m.valueSize;
        if (write && (m.flags & BPF_F_RDONLY_PROG)) throw new Reject(pc, `write into map forbidden, value_size=${vs} off=${off} size=${size}`);
        const smin = Number(reg.s.smin), umax = reg.s.umax;
        if (smin < 0 && off + smin < 0) throw new Reject(pc, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
        if (off + smin < 0 || off + smin + size > vs) throw new Reject(pc, `invalid access to map value, value_size=${vs} off=${off + smin} size=${size}\nR${regno} min value is outside of the allowed memory range`);
        if (umax >= BigInt(BPF_MAX_VAR_OFF)) throw new Reject(pc, `R${regno} unbounded memory access, make sure to bounds check any such access`);
        if (off + Number(umax) + size > vs) throw new Reject(pc, `invalid access to map value, value_size=${vs} off=${off + Number(umax)} size=${size}\nR${regno} max value is outside of the allowed memory range`);
        if (!write && (m.flags & BPF_F_RDONLY_PROG) && isConst(reg.s) && m.initialValue) {
          // Frozen .rodata: the verifier knows the bytes (this is how `if (config)` folds away).
          let v = 0n;
          for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(m.initialValue[off + Number(reg.s.tv) + i] ?? 0);
          return scalarReg(konst(v));
        }
        return write ? NOT_INIT : scalarReg(unknownWidth(size));
      }
      case RT.STACK: return this.stackAccess(pc, st, regno, reg, off, size, write, value);
      case RT.NOT_INIT: throw new Reject(pc, `R${regno} !read_ok`);
      default:
        throw new Reject(pc, `R${regno} invalid mem access '${RT_NAMES[reg.t]}'`);
    }
  }

  /** xdp_is_valid_access + the ctx rewrite: data/data_end/data_meta become packet pointers. */
  private ctxLoad(pc: number, off: number, size: number): Reg {
    const bad = () => new Reject(pc, `invalid bpf_context access off=${off} size=${size}`);
    if (this.progType !== 'xdp') {
      if (off < 0 || off % size) throw bad();
      return UNKNOWN_REG;
    }
    if (off < 0 || off >= 24 || off % size || size !== 4) throw bad();
    if (off === 0) return ptr(RT.PKT);
    if (off === 4) return ptr(RT.PKT_END);
    if (off === 8) return ptr(RT.PKT_META);
    return scalarReg(unknownWidth(4));
  }

  private stackAccess(pc: number, st: State, regno: number, reg: Reg, off: number, size: number, write: boolean, value: Reg | undefined): Reg {
    const frame = st.frames[reg.frame];
    if (!frame) throw new Reject(pc, `R${regno} points into the stack of a function that has returned`);
    const varLo = Number(reg.s.smin), varHi = Number(reg.s.smax);
    const what = write ? 'write to' : 'read from';
    if (!isConst(reg.s)) {
      if (reg.s.smax >= BigInt(BPF_MAX_VAR_OFF) || reg.s.smin <= -BigInt(BPF_MAX_VAR_OFF)) throw new Reject(pc, `invalid unbounded variable-offset ${write ? 'write to' : 'read from'} stack R${regno}`);
    }
    const lo = off + (isConst(reg.s) ? Number(toS64(reg.s.tv)) : varLo);
    const hi = off + (isConst(reg.s) ? Number(toS64(reg.s.tv)) : varHi) + size;
    if (lo < -MAX_BPF_STACK || hi > 0) throw new Reject(pc, `invalid ${what} stack R${regno} off=${off} size=${size}`);
    frame.depth = Math.max(frame.depth, -lo);
    this.stackDepth = Math.max(this.stackDepth, st.frames.reduce((s, f) => s + ((f.depth + 31) & ~31), 0));
    const base = MAX_BPF_STACK + lo;
    if (write) {
      const aligned = isConst(reg.s) && size === 8 && (base & 7) === 0;
      const slot = base >> 3;
      if (aligned && value && (value.t !== RT.SCALAR || !isConst(value.s) || value.s.tv !== 0n)) {
        frame.spills[slot] = value;
        frame.stack.fill(STACK_SPILL, base, base + 8);
        frame.vals.fill(-1, base, base + 8);
        return NOT_INIT;
      }
      const known = value && value.t === RT.SCALAR && isConst(value.s) && isConst(reg.s) ? value.s.tv : undefined;
      const zero = value && value.t === RT.SCALAR && isConst(value.s) && value.s.tv === 0n && isConst(reg.s);
      for (let b = base; b < MAX_BPF_STACK + hi - lo + lo && b < MAX_BPF_STACK; b++) {
        const s = b >> 3;
        if (frame.spills[s]) { // a partial overwrite destroys the spilled register
          frame.spills[s] = undefined;
          for (let k = s * 8; k < s * 8 + 8; k++) if (frame.stack[k] === STACK_SPILL) frame.stack[k] = STACK_MISC;
        }
        if (b < base + (hi - lo)) {
          frame.stack[b] = zero ? STACK_ZERO : STACK_MISC;
          frame.vals[b] = known === undefined ? -1 : Number((known >> BigInt(8 * (b - base))) & 0xffn);
        }
      }
      return NOT_INIT;
    }
    // Read.
    const slot = base >> 3;
    if (isConst(reg.s) && (base & 7) === 0 && frame.spills[slot]) {
      const sp = frame.spills[slot]!;
      if (size === 8) return sp;
      return scalarReg(sp.t === RT.SCALAR && isConst(sp.s) ? konst(sp.s.tv & ((1n << BigInt(size * 8)) - 1n)) : unknownWidth(size));
    }
    let allZero = true, allKnown = isConst(reg.s), v = 0n;
    for (let b = base + (hi - lo) - 1; b >= base; b--) {
      if (frame.vals[b] < 0 || frame.stack[b] === STACK_SPILL) allKnown = false;
      else v = (v << 8n) | BigInt(frame.vals[b]);
    }
    if (allKnown) return scalarReg(konst(v));
    for (let b = base; b < base + (hi - lo); b++) {
      const v = frame.stack[b];
      if (v === STACK_INVALID) {
        if (!this.privileged) throw new Reject(pc, `invalid read from stack R${regno} off=${off} size=${size}`);
        allZero = false;
      } else if (v !== STACK_ZERO) {
        const sp = frame.spills[b >> 3];
        if (!(sp && sp.t === RT.SCALAR && isConst(sp.s) && sp.s.tv === 0n)) allZero = false;
      }
    }
    return scalarReg(allZero && isConst(reg.s) ? ZERO : unknownWidth(size));
  }

  /** Checks that [reg+0, +size) may be read (or written) by a helper: check_helper_mem_access. */
  private helperMem(pc: number, st: State, regno: number, size: number, write: boolean): void {
    const reg = st.frames[st.frames.length - 1].regs[regno];
    if (size === 0) return;
    switch (reg.t) {
      case RT.STACK: {
        const off = reg.off + Number(isConst(reg.s) ? toS64(reg.s.tv) : reg.s.smin);
        if (off < -MAX_BPF_STACK || off + size > 0) {
          throw new Reject(pc, `invalid indirect access to stack R${regno} off=${off} size=${size}`);
        }
        const frame = st.frames[reg.frame];
        if (!frame) throw new Reject(pc, `R${regno} points into the stack of a function that has returned`);
        frame.depth = Math.max(frame.depth, -off);
        const base = MAX_BPF_STACK + off;
        if (write) {
          for (let b = base; b < base + size; b++) {
            if (frame.spills[b >> 3]) { frame.spills[b >> 3] = undefined; }
            frame.stack[b] = STACK_MISC;
            frame.vals[b] = -1;
          }
        } else if (!this.privileged) {
          for (let b = base; b < base + size; b++) {
            if (frame.stack[b] === STACK_INVALID) throw new Reject(pc, `invalid indirect read from stack R${regno} off ${off}+${b - base} size ${size}`);
          }
        }
        return;
      }
      case RT.PKT: case RT.PKT_META: case RT.MAP_VALUE:
        this.memAccess(pc, st, regno, 0, size, write && reg.t !== RT.PKT, write ? UNKNOWN_REG : undefined);
        return;
      default:
        throw new Reject(pc, `R${regno} type=${RT_NAMES[reg.t]} expected=fp, pkt, pkt_meta, map_key, map_value, mem`);
    }
  }

  // --- calls ----------------------------------------------------------------------------------

  private checkHelperCall(pc: number, st: State, id: number): void {
    const f = st.frames[st.frames.length - 1];
    const regs = f.regs;
    const proto = this.progType === 'xdp' ? PROTOS[id] : PROTOS[id];
    if (!proto) {
      if (HELPER_NAMES[id]) throw new Reject(pc, `program of this type cannot use helper ${helperName(id)}#${id}`);
      throw new Reject(pc, `invalid func unknown#${id}`);
    }
    let mapNo = -1;
    for (let i = 0; i < proto.args.length; i++) {
      const rn = i + 1;
      const kind = proto.args[i];
      const r = regs[rn];
      if (r.t === RT.NOT_INIT) throw new Reject(pc, `R${rn} !read_ok`);
      const expect = (ok: boolean, what: string) => { if (!ok) throw new Reject(pc, `R${rn} type=${RT_NAMES[r.t]} expected=${what}`); };
      switch (kind) {
        case A.ANY: break;
        case A.SCALAR: expect(r.t === RT.SCALAR, 'scalar'); break;
        case A.CTX:
          expect(r.t === RT.CTX, 'ctx');
          if (r.off) throw new Reject(pc, `dereference of modified ctx ptr R${rn} off=${r.off} disallowed`);
          break;
        case A.MAP: case A.PROG_ARRAY:
          expect(r.t === RT.MAP_PTR, 'map_ptr');
          mapNo = r.map;
          if (kind === A.PROG_ARRAY && this.maps[r.map].type !== BpfMapType.PROG_ARRAY) {
            throw new Reject(pc, `cannot pass map_type ${this.maps[r.map].type} into func ${helperName(id)}#${id}`);
          }
          if (id === 51 && ![BpfMapType.DEVMAP, BpfMapType.DEVMAP_HASH, BpfMapType.CPUMAP, BpfMapType.XSKMAP].includes(this.maps[r.map].type)) {
            throw new Reject(pc, `cannot pass map_type ${this.maps[r.map].type} into func ${helperName(id)}#${id}`);
          }
          if ((id === 1 || id === 2 || id === 3) && this.maps[r.map].type === BpfMapType.PROG_ARRAY) {
            throw new Reject(pc, `cannot pass map_type ${this.maps[r.map].type} into func ${helperName(id)}#${id}`);
          }
          break;
        case A.MAP_KEY: case A.MAP_VALUE: {
          const m = this.maps[mapNo];
          const size = kind === A.MAP_KEY ? m.keySize : m.valueSize;
          this.helperMem(pc, st, rn, size, false);
          if (kind === A.MAP_KEY) {
            // Remember a constant key (for the array lookup that cannot fail).
            this.lastKey = undefined;
            if (r.t === RT.STACK && isConst(r.s) && size <= 8) {
              const k = this.stackAccess(pc, st, rn, r, r.off, size, false, undefined);
              if (k.t === RT.SCALAR && isConst(k.s)) this.lastKey = k.s;
            }
          }
          break;
        }
        case A.MEM: case A.MEM_OR_NULL: case A.UNINIT_MEM: {
          const sizeReg = regs[rn + 1];
          if (kind === A.MEM_OR_NULL && r.t === RT.SCALAR && isConst(r.s) && r.s.tv === 0n) break;
          if (sizeReg.t !== RT.SCALAR) throw new Reject(pc, `R${rn + 1} type=${RT_NAMES[sizeReg.t]} expected=scalar`);
          if (sizeReg.s.smin < 0n) throw new Reject(pc, `R${rn + 1} min value is negative, either use unsigned or 'var &= const'`);
          if (sizeReg.s.umax >= BigInt(BPF_MAX_VAR_OFF)) throw new Reject(pc, `R${rn + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
          this.helperMem(pc, st, rn, Number(sizeReg.s.umax), kind === A.UNINIT_MEM);
          break;
        }
        case A.SIZE: case A.SIZE_OR_ZERO:
          expect(r.t === RT.SCALAR, 'scalar');
          if (kind === A.SIZE && r.s.umax === 0n) throw new Reject(pc, `R${rn} invalid zero-sized read`);
          break;
      }
    }
    // Caller-saved registers are gone after the call.
    for (let i = 1; i <= 5; i++) regs[i] = NOT_INIT;
    if (proto.ret === R.MAP_VALUE_OR_NULL) {
      const m = this.maps[mapNo];
      // Since 6.x an ARRAY lookup with a constant in-range key cannot fail: no NULL check needed.
      regs[0] = ptr(RT.MAP_VALUE_OR_NULL, { map: mapNo, id: this.nextId++ });
      if ((m.type === BpfMapType.ARRAY || m.type === BpfMapType.PERCPU_ARRAY) && this.lastKeyConstInRange(st, m)) regs[0] = ptr(RT.MAP_VALUE, { map: mapNo });
    } else regs[0] = UNKNOWN_REG;
    if (proto.pktChange) this.clearPacketPointers(st);
  }

  /** For the lookup just checked: was the key a known constant below max_entries? (recorded by helperMem's caller) */
  private lastKey: Scalar | undefined;
  private lastKeyConstInRange(_st: State, m: BpfMapDef): boolean {
    const k = this.lastKey;
    return !!k && isConst(k) && k.tv < BigInt(m.maxEntries);
  }

  private clearPacketPointers(st: State): void {
    for (const f of st.frames) {
      for (let i = 0; i < 11; i++) {
        const t = f.regs[i].t;
        if (t === RT.PKT || t === RT.PKT_END || t === RT.PKT_META) f.regs[i] = UNKNOWN_REG;
      }
      for (let k = 0; k < f.spills.length; k++) {
        const sp = f.spills[k];
        if (sp && (sp.t === RT.PKT || sp.t === RT.PKT_END || sp.t === RT.PKT_META)) f.spills[k] = UNKNOWN_REG;
      }
    }
  }

  private checkPseudoCall(pc: number, st: State, target: number): number {
    if (st.frames.length >= MAX_CALL_FRAMES) throw new Reject(pc, `the call stack of ${st.frames.length + 1} frames is too deep !`);
    const caller = st.frames[st.frames.length - 1];
    const callee = newFrame(pc + 1);
    for (let i = 1; i <= 5; i++) callee.regs[i] = caller.regs[i];
    callee.regs[10] = ptr(RT.STACK, { frame: st.frames.length });
    st.frames.push(callee);
    this.jmpsSinceCheckpoint++;
    return target;
  }

  /** Returns the next pc, or -1 when the program ends. */
  private checkExit(pc: number, st: State): number {
    const f = st.frames[st.frames.length - 1];
    const r0 = f.regs[0];
    if (r0.t === RT.NOT_INIT) throw new Reject(pc, 'R0 !read_ok');
    if (st.frames.length > 1) {
      st.frames.pop();
      const caller = st.frames[st.frames.length - 1];
      if (r0.t === RT.STACK && r0.frame >= st.frames.length) throw new Reject(pc, 'cannot return stack pointer to the caller');
      caller.regs[0] = r0;
      for (let i = 1; i <= 5; i++) caller.regs[i] = NOT_INIT;
      return f.callsite;
    }
    // Plain XDP programs have no return range check; a privileged loader may even return a
    // pointer (the kernel accepts `return (long)ctx;`), an unprivileged one may not.
    if (r0.t !== RT.SCALAR && !this.privileged) throw new Reject(pc, 'R0 leaks addr as return value');
    return -1;
  }

  // --- conditional jumps ----------------------------------------------------------------------

  /** Returns [fall-through state, taken state]; undefined where that path cannot happen. */
  private checkCondJump(pc: number, st: State, op: number, dst: number, src: number, imm: number): [State | undefined, State | undefined] {
    const f = st.frames[st.frames.length - 1];
    const a = this.readReg(pc, f.regs, dst);
    const useReg = (op & 0x08) !== 0;
    const b = useReg ? this.readReg(pc, f.regs, src) : scalarReg(konst((op & 7) === 6 ? BigInt(imm >>> 0) : BigInt(imm)));
    const jop = op & 0xf0;
    const is32 = (op & 7) === 6;

    if (a.t === RT.SCALAR && b.t === RT.SCALAR) {
      let x = a.s, y = b.s;
      if (is32) {
        x = lower32(x); y = lower32(y);
        // Signed 32-bit compares only match 64-bit ones when both values are small non-negative.
        const signedOp = jop === 0x60 || jop === 0x70 || jop === 0xc0 || jop === 0xd0;
        if (signedOp && (x.umax > 0x7fffffffn || y.umax > 0x7fffffffn)) return [copyState(st), st];
      }
      const t = branchTaken(jop, x, y);
      if (t === 1) return [undefined, st];
      if (t === 0) return [st, undefined];
      const taken = refine(jop, x, y, true);
      const fall = refine(jop, x, y, false);
      const mk = (r: [Scalar, Scalar] | undefined, base: State): State | undefined => {
        if (!r) return undefined;
        // 32-bit refinements only carry over when the value is known to fit in 32 bits.
        const s = base;
        const ff = s.frames[s.frames.length - 1];
        if (!is32 || a.s.umax <= 0xffffffffn) ff.regs[dst] = scalarReg(r[0]);
        if (useReg && (!is32 || b.s.umax <= 0xffffffffn)) ff.regs[src] = scalarReg(r[1]);
        return s;
      };
      const takenSt = taken ? mk(taken, copyState(st)) : undefined;
      const fallSt = fall ? mk(fall, st) : undefined;
      return [fallSt, takenSt];
    }

    // NULL checks: `if (r0 == 0)` on map_value_or_null.
    const isZero = (r: Reg) => r.t === RT.SCALAR && isConst(r.s) && r.s.tv === 0n;
    if ((jop === 0x10 || jop === 0x50) && !is32 && (isZero(b) || isZero(a))) {
      const p = isZero(b) ? a : b;
      if (p.t === RT.MAP_VALUE_OR_NULL) {
        const nullSt = copyState(st), okSt = st;
        this.markNull(nullSt, p.id, true);
        this.markNull(okSt, p.id, false);
        return jop === 0x10 ? [okSt, nullSt] : [nullSt, okSt];
      }
      if (p.t !== RT.SCALAR) {
        // Pointers other than map_value_or_null are never NULL.
        return jop === 0x10 ? [st, undefined] : [undefined, st];
      }
    }

    // Packet range checks: pkt' vs pkt_end (and pkt_meta' vs pkt).
    if (!is32) {
      const isData = (r: Reg) => r.t === RT.PKT;
      const isEnd = (r: Reg) => r.t === RT.PKT_END;
      const isMeta = (r: Reg) => r.t === RT.PKT_META;
      let pkt: Reg | undefined;
      let left = true;
      if ((isData(a) && isEnd(b)) || (isMeta(a) && isData(b))) pkt = a;
      else if ((isEnd(a) && isData(b)) || (isData(a) && isMeta(b))) { pkt = b; left = false; }
      if (pkt) {
        const takenSt = copyState(st), fallSt = st;
        // Normalise to "pkt' OP end": which branch proves pkt' <= end (closed) or pkt' < end (open)?
        const o = left ? jop : ({ 0x20: 0xa0, 0xa0: 0x20, 0x30: 0xb0, 0xb0: 0x30 } as Record<number, number>)[jop] ?? jop;
        switch (o) {
          case 0x20: this.goodPkt(fallSt, pkt, false); break; // pkt' > end: fall-through has pkt' <= end
          case 0x30: this.goodPkt(fallSt, pkt, true); break; // pkt' >= end: fall-through has pkt' < end
          case 0xa0: this.goodPkt(takenSt, pkt, true); break; // pkt' < end taken
          case 0xb0: this.goodPkt(takenSt, pkt, false); break; // pkt' <= end taken
          default: break;
        }
        return [fallSt, takenSt];
      }
    }
    if (a.t !== RT.SCALAR && b.t !== RT.SCALAR || this.privileged) return [copyState(st), st];
    throw new Reject(pc, `R${a.t !== RT.SCALAR ? dst : src} pointer comparison prohibited`);
  }

  /** find_good_pkt_pointers: every pointer with the same id gets range max(r, new range). */
  private goodPkt(st: State, p: Reg, rightOpen: boolean): void {
    if (p.off < 0 || (p.off === 0 && rightOpen)) return;
    if (p.s.umax > BigInt(MAX_PACKET_OFF) || Number(p.s.umax) + p.off > MAX_PACKET_OFF) return;
    const nr = p.off - (rightOpen ? 1 : 0);
    const upd = (r: Reg): Reg => (r.t === p.t && r.id === p.id && r.r < nr ? { ...r, r: nr } : r);
    for (const f of st.frames) {
      for (let i = 0; i < 11; i++) f.regs[i] = upd(f.regs[i]);
      for (let k = 0; k < f.spills.length; k++) if (f.spills[k]) f.spills[k] = upd(f.spills[k]!);
    }
  }

  private markNull(st: State, id: number, isNull: boolean): void {
    const upd = (r: Reg): Reg => {
      if (r.t !== RT.MAP_VALUE_OR_NULL || r.id !== id) return r;
      return isNull ? scalarReg(ZERO) : { ...r, t: RT.MAP_VALUE, id: 0 };
    };
    for (const f of st.frames) {
      for (let i = 0; i < 11; i++) f.regs[i] = upd(f.regs[i]);
      for (let k = 0; k < f.spills.length; k++) if (f.spills[k]) f.spills[k] = upd(f.spills[k]!);
    }
  }
}


/** Registers an instruction reads (`use`) and writes (`def`), as bit masks. */
function useDef(c: DecodedProgram, i: number): [number, number] {
  const op = c.code[i], cls = op & 7, d = 1 << c.dst[i], s = 1 << c.src[i], x = (op & 0x08) !== 0;
  switch (cls) {
    case 4: case 7: {
      const aop = op & 0xf0;
      if (aop === 0xb0) return [x ? s : 0, d];
      if (aop === 0x80 || aop === 0xd0) return [d, d];
      return [d | (x ? s : 0), d];
    }
    case 1: return [s, d];
    case 2: return [d, 0];
    case 3:
      if ((op & 0xe0) === 0xc0) {
        const imm = c.imm[i];
        if (imm === 0xf1) return [d | s | 1, 1];
        return [d | s, imm & 1 ? s : 0];
      }
      return [d | s, 0];
    case 0: return op === 0x18 ? [0, d] : [0x3f, 0x3f];
    default: {
      const jop = op & 0xf0;
      if (jop === 0x90) return [1, 0];
      if (jop === 0x80) return [0x3e, 0x3f];
      if (jop === 0x00) return [0, 0];
      return [d | (x ? s : 0), 0];
    }
  }
}

/** Backward dataflow over the control-flow graph: live-in register set of every instruction. */
function registerLiveness(c: DecodedProgram): Uint16Array {
  const n = c.length;
  const use = new Uint16Array(n), def = new Uint16Array(n), live = new Uint16Array(n + 1);
  const succ: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    [use[i], def[i]] = useDef(c, i);
    const op = c.code[i], cls = op & 7, jop = op & 0xf0;
    if (op === 0x18) { succ[i] = [i + 2]; succ[i + 1] = []; i++; continue; }
    if (cls === 5 || cls === 6) {
      if (jop === 0x90) succ[i] = [];
      else if (jop === 0x80) succ[i] = [i + 1];
      else if (jop === 0x00) succ[i] = [i + 1 + (cls === 6 ? c.imm[i] : c.off[i])];
      else succ[i] = [i + 1, i + 1 + c.off[i]];
    } else succ[i] = [i + 1];
  }
  for (let changed = true; changed;) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const t of succ[i] ?? []) if (t < n) out |= live[t];
      const v = use[i] | (out & ~def[i]);
      if (v !== live[i]) { live[i] = v; changed = true; }
    }
  }
  return live;
}
