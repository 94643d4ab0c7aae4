/**
 * The session's breakpoints: C source lines (resolved through BTF line info to the instructions
 * that start each line; a line without code moves to the next line that has some), instructions,
 * and pipeline stages (function breakpoints), each with an optional condition (a display filter
 * over the packet, or a C-like expression over registers), a hit count and a log message.
 */
import type { BpfProgram } from '../ebpf/program';
import { lineInfoAt } from '../ebpf/program';
import { evaluate, type EvalContext } from './expression';
import type { Dissection } from '../packet/dissection';
import { compileFilter, type DisplayFilter } from '../packet/filter';
import { isPacketCondition } from './packetDissection';
import { STAGE_ALIASES, stopMatches, type StageStop } from './stageTimeline';

export interface BreakpointSpec { condition?: string; hitCondition?: string; logMessage?: string }
export interface BreakpointResult { id: number; verified: boolean; line?: number; message?: string; insn?: number }
export interface BreakpointHit { ids: number[]; kind: 'breakpoint' | 'instruction breakpoint' }

interface Breakpoint {
  id: number;
  condition?: string;
  /** Display-filter condition (the packet layer's compiler), or undefined for an expression. */
  filter?: DisplayFilter;
  hitCondition?: string;
  logMessage?: string;
  hits: number;
  /** Line breakpoints: the file they were set in (its base name). */
  file?: string;
}

/** What conditions and log messages need from the runtime at a stop. */
export interface BreakpointHost {
  evalContext(): EvalContext;
  /** The packet as it entered the program, dissected (display-filter conditions). */
  packetEntry(): Dissection;
  log(category: 'console' | 'stderr', text: string): void;
}

const basename = (p: string): string => p.split(/[\\/]/).pop() ?? p;

export class BreakpointTable {
  /** Instruction -> line breakpoints / instruction breakpoints there; stage target -> stage breakpoints. */
  readonly lineBps = new Map<number, Breakpoint[]>();
  readonly insnBps = new Map<number, Breakpoint[]>();
  readonly funcBps = new Map<string, Breakpoint[]>();
  private nextId = 1;
  /** Bumped whenever the breakpoints change (the runtime rebuilds its field mask). */
  version = 0;

  constructor(private readonly program: BpfProgram, private readonly host: BreakpointHost) {}

  get hasProgramBreakpoints(): boolean { return this.lineBps.size > 0 || this.insnBps.size > 0; }

  private make(spec: BreakpointSpec): Breakpoint {
    const bp: Breakpoint = { id: this.nextId++, hits: 0, condition: spec.condition?.trim() || undefined, hitCondition: spec.hitCondition?.trim() || undefined, logMessage: spec.logMessage };
    if (bp.condition && isPacketCondition(bp.condition)) bp.filter = compileFilter(bp.condition);
    return bp;
  }

  /** Lines of `file` that have code (line info records, line 0 skipped), with the instructions starting them. */
  private codeLines(file: string): Map<number, number[]> {
    const base = basename(file);
    const out = new Map<number, number[]>();
    const li = this.program.lineInfo;
    for (let k = 0; k < li.length; k++) {
      const r = li[k];
      if (r.line === 0 || basename(r.file) !== base) continue;
      const prev = k > 0 ? li[k - 1] : undefined;
      if (prev && prev.line === r.line && prev.file === r.file) continue; // same line continues
      let list = out.get(r.line);
      if (!list) out.set(r.line, list = []);
      list.push(r.insn);
    }
    return out;
  }

  /** Lines of `file` in [line, endLine] that have code (where a breakpoint can sit). */
  breakpointLines(file: string, line: number, endLine = line): number[] {
    return [...this.codeLines(file).keys()].filter((l) => l >= line && l <= endLine).sort((a, b) => a - b);
  }

  /** Source breakpoints for one file (replacing its previous ones): each moves to the next line with code. */
  setLine(file: string, lines: ({ line: number } & BreakpointSpec)[]): BreakpointResult[] {
    this.version++;
    const base = basename(file);
    for (const [insn, list] of this.lineBps) {
      const keep = list.filter((b) => b.file !== base);
      if (keep.length) this.lineBps.set(insn, keep); else this.lineBps.delete(insn);
    }
    const code = this.codeLines(file);
    const sorted = [...code.keys()].sort((a, b) => a - b);
    return lines.map((l) => {
      const bp = this.make(l);
      bp.file = base;
      const line = sorted.find((x) => x >= l.line);
      if (line === undefined) return { id: bp.id, verified: false, message: sorted.length ? `no code at or after line ${l.line} in ${base}` : `${base} has no line info in this program (compile with -g)` };
      const insns = code.get(line)!;
      for (const i of insns) { const list = this.lineBps.get(i) ?? []; list.push(bp); this.lineBps.set(i, list); }
      return { id: bp.id, verified: true, line, insn: insns[0], message: line !== l.line ? `moved to line ${line}, the next line with code` : undefined };
    });
  }

  setInstruction(list: ({ insn: number } & BreakpointSpec)[]): BreakpointResult[] {
    this.insnBps.clear();
    this.version++;
    const n = this.program.insns.length / 8;
    return list.map((b) => {
      const bp = this.make(b);
      if (!Number.isInteger(b.insn) || b.insn < 0 || b.insn >= n) return { id: bp.id, verified: false, message: `instruction ${b.insn} is outside the program (0..${n - 1})` };
      const l = this.insnBps.get(b.insn) ?? [];
      l.push(bp);
      this.insnBps.set(b.insn, l);
      return { id: bp.id, verified: true, insn: b.insn, line: lineInfoAt(this.program, b.insn)?.line };
    });
  }

  setFunction(list: ({ name: string } & BreakpointSpec)[]): BreakpointResult[] {
    this.funcBps.clear();
    this.version++;
    return list.map((b) => {
      const bp = this.make(b);
      const id = STAGE_ALIASES[b.name.trim().toLowerCase()];
      if (!id) return { id: bp.id, verified: false, message: `'${b.name}' is not a stage; use one of ${Object.keys(STAGE_ALIASES).join(', ')}` };
      const l = this.funcBps.get(id) ?? [];
      l.push(bp);
      this.funcBps.set(id, l);
      return { id: bp.id, verified: true };
    });
  }

  private conditionHolds(bp: Breakpoint, report: boolean): boolean {
    if (!bp.condition) return true;
    try {
      return bp.filter ? bp.filter.matchDissection(this.host.packetEntry(), 0) : (evaluate(bp.condition, this.host.evalContext()).value ?? 0n) !== 0n;
    } catch (e) {
      if (report) this.host.log('stderr', `breakpoint condition '${bp.condition}': ${(e as Error).message}\n`);
      return true; // a broken condition stops, so the user sees it
    }
  }

  /** Condition, hit count, log message, going forward. True: stop. */
  private hit(bp: Breakpoint): boolean {
    if (!this.conditionHolds(bp, true)) return false;
    bp.hits++;
    if (bp.hitCondition && !hitConditionMet(bp.hitCondition, bp.hits)) return false;
    if (bp.logMessage !== undefined) {
      this.host.log('console', this.interpolate(bp.logMessage) + '\n');
      return false;
    }
    return true;
  }

  private interpolate(msg: string): string {
    return msg.replace(/\{([^}]+)\}/g, (_, e: string) => {
      try { return evaluate(e, this.host.evalContext()).text; } catch (err) { return `<${(err as Error).message}>`; }
    });
  }

  /** The breakpoints that stop at instruction `insn` (not yet executed), or undefined. */
  atInsn(insn: number): BreakpointHit | undefined {
    const a = this.lineBps.get(insn), b = this.insnBps.get(insn);
    if (!a && !b) return undefined;
    const ids: number[] = [];
    for (const bp of a ?? []) if (this.hit(bp)) ids.push(bp.id);
    const lineHit = ids.length > 0;
    for (const bp of b ?? []) if (this.hit(bp)) ids.push(bp.id);
    return ids.length ? { ids, kind: lineHit ? 'breakpoint' : 'instruction breakpoint' } : undefined;
  }

  /** Stage breakpoints that stop at `stop` going forward (conditions, hit counts, log messages apply). */
  atStop(stop: StageStop): number[] {
    const ids: number[] = [];
    for (const [target, bps] of this.funcBps) {
      if (!stopMatches(stop, target)) continue;
      for (const b of bps) if (this.hit(b)) ids.push(b.id);
    }
    return ids;
  }

  private *all(): Iterable<Breakpoint> {
    for (const m of [this.lineBps, this.insnBps, this.funcBps]) for (const list of m.values()) yield* list;
  }

  /** Does any breakpoint have a hit condition? (then a stop depends on the run before it) */
  get hasHitConditions(): boolean {
    for (const bp of this.all()) if (bp.hitCondition) return true;
    return false;
  }

  /** Every breakpoint's hit count (a reverse run restores the counts a position had going forward). */
  hitCounts(): Map<number, number> {
    const out = new Map<number, number>();
    for (const bp of this.all()) out.set(bp.id, bp.hits);
    return out;
  }

  /** Sets the hit counts (missing ids: 0, as at the start of the trace). */
  setHitCounts(counts?: ReadonlyMap<number, number>): void {
    for (const bp of this.all()) bp.hits = counts?.get(bp.id) ?? 0;
  }

  /** Field ids the program breakpoints' filter conditions read (what mayStopIn needs dissected). */
  filterFields(): number[] {
    const out = new Set<number>();
    for (const m of [this.lineBps, this.insnBps]) for (const list of m.values()) for (const bp of list) for (const f of bp.filter?.fields ?? []) out.add(f);
    return [...out];
  }

  /** Could a program breakpoint stop in this packet (dissected on demand)? Filter conditions are checked, others may. */
  mayStopIn(packet: () => Dissection): boolean {
    for (const m of [this.lineBps, this.insnBps]) {
      for (const list of m.values()) {
        for (const bp of list) if (!bp.filter || bp.filter.matchDissection(packet(), 0)) return true;
      }
    }
    return false;
  }
}

/** VS Code's hit conditions: `5` (the 5th hit and after), `>= 5`, `== 5`, `> 5`, `% 5`. */
export function hitConditionMet(cond: string, hits: number): boolean {
  const m = /^\s*(>=|==|>|<=|<|%)?\s*(\d+)\s*$/.exec(cond);
  if (!m) return true;
  const n = Number(m[2]);
  switch (m[1]) {
    case '==': return hits === n;
    case '>': return hits > n;
    case '<': return hits < n;
    case '<=': return hits <= n;
    case '%': return n > 0 && hits % n === 0;
    default: return hits >= n;
  }
}
