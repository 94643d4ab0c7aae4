/**
 * The XDP program stepper: one run of a loaded program on one packet, under the debugger's
 * control. Instruction steps and their undo records come from the interpreter's `Stepper`; this
 * adds what the records cannot see (map elements inserted or deleted by helpers), source-line
 * stepping over BTF line info (lines can go backwards and line 0 means "compiler generated"),
 * bpf-to-bpf call frames, and breakpoints by instruction index.
 */
import { OP_CALL } from '../ebpf/isa';
import { framePointer, Stepper, type StepStatus } from '../ebpf/interpreter';
import { BpfMap } from '../ebpf/maps';
import { funcInfoAt, lineInfoAt, type BpfProgram, type LineInfo } from '../ebpf/program';
import type { LoadedProgram, Machine } from '../ebpf/vm';

/** Helper ids whose effect on a map is not a write to VM memory. */
const HELPER_MAP_UPDATE = 2;
const HELPER_MAP_DELETE = 3;

interface MapUndo { step: number; map: BpfMap; entries: { key: Uint8Array; values: Uint8Array[] }[] }

export interface ProgramFrame {
  /** 0 = the entry function. */
  depth: number;
  /** Instruction the frame is at: the next one for the top frame, the call for callers. */
  insn: number;
  func: string;
  line: LineInfo | undefined;
  /** r10 of the frame (offset in the stack region). */
  fp: number;
}

export type StepGranularity = 'instruction' | 'line';

export class ProgramStepper {
  readonly stepper: Stepper;
  private readonly mapUndo: MapUndo[] = [];
  /** Set when the run has ended (exit or fault). */
  status: 'running' | 'exited' | 'fault' = 'running';

  constructor(readonly machine: Machine, readonly loaded: LoadedProgram, readonly program: BpfProgram) {
    this.stepper = new Stepper(machine, loaded, 2_000_000);
  }

  get pc(): number { return this.machine.pc; }
  get depth(): number { return this.machine.depth; }
  /** Steps recorded (the run can be undone this far). */
  get steps(): number { return this.stepper.history.length; }

  /** The source line of an instruction, skipping nothing (line 0 comes back as it is). */
  lineAt(insn: number): LineInfo | undefined { return lineInfoAt(this.program, insn); }

  /** Executes one instruction with its undo record. */
  stepInsn(): StepStatus {
    if (this.status !== 'running') return this.status === 'fault' ? 'fault' : 'exited';
    const m = this.machine, p = this.loaded, pc = m.pc;
    if (p.code.code[pc] === OP_CALL && p.code.src[pc] === 0 && (p.code.imm[pc] === HELPER_MAP_UPDATE || p.code.imm[pc] === HELPER_MAP_DELETE)) {
      const map = m.mapArg(1);
      if (map instanceof BpfMap) this.mapUndo.push({ step: this.stepper.history.length, map, entries: map.entries() });
    }
    const st = this.stepper.step();
    if (st === 'exited') this.status = 'exited';
    else if (st === 'fault') this.status = 'fault';
    return st;
  }

  /** Undoes one instruction (registers, memory, packet bounds, map elements). */
  stepBack(): boolean {
    if (!this.stepper.stepBack()) return false;
    const n = this.stepper.history.length;
    while (this.mapUndo.length && this.mapUndo[this.mapUndo.length - 1].step >= n) {
      const u = this.mapUndo.pop()!;
      u.map.clear();
      for (const e of u.entries) u.map.update(e.key, e.values.length > 1 ? e.values : e.values[0]);
    }
    this.status = 'running';
    return true;
  }

  /** Call frames, innermost first. */
  frames(): ProgramFrame[] {
    const m = this.machine, out: ProgramFrame[] = [];
    for (let d = m.depth; d >= 0; d--) {
      const insn = d === m.depth ? m.pc : m.frameRet[d] - 1;
      out.push({ depth: d, insn, func: funcInfoAt(this.program, insn)?.name ?? this.program.name, line: this.lineAt(insn), fp: framePointer(d) });
    }
    return out;
  }

  /**
   * One source-level step. `into`: stop at the first instruction of a different, non-zero line at
   * any depth; `over`: the same, but not inside deeper calls; `out`: run until the frame returns,
   * then to the next line start. `isBreak(insn)` stops early (not at the starting instruction).
   * Returns the reason it stopped.
   */
  stepLine(kind: 'into' | 'over' | 'out', isBreak: (insn: number) => boolean): 'step' | 'breakpoint' | StepStatus {
    const startDepth = this.depth;
    const startLine = this.lineAt(this.pc)?.line ?? 0;
    for (;;) {
      const st = this.stepInsn();
      if (st !== 'stepped') return st;
      const pc = this.pc, d = this.depth;
      if (isBreak(pc)) return 'breakpoint';
      const li = this.lineAt(pc);
      if (!li || li.line === 0) continue;
      if (kind === 'out') { if (d < startDepth) return 'step'; continue; }
      if (kind === 'over' && d > startDepth) continue;
      if (li.line !== startLine || d !== startDepth) return 'step';
    }
  }

  /** Runs until a breakpoint instruction, exit or fault (recording undo history all the way). */
  run(isBreak: (insn: number) => boolean): 'breakpoint' | StepStatus {
    for (;;) {
      const st = this.stepInsn();
      if (st !== 'stepped') return st;
      if (isBreak(this.pc)) return 'breakpoint';
    }
  }
}
