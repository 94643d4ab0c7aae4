/**
 * eBPF -> JavaScript compiler. A program becomes two functions over the same block code, built by
 * one factory per program and bound to the machine that loaded it (its register arrays and the
 * ctx/packet/stack bytes are constants V8 embeds): `start` (a fresh run from insn 0, registers as
 * constants, only r0 stored after an exit) and `run` (any leader, registers read from and stored
 * back to the machine). Registers are local int32 pairs (`r3l`, `r3h`); memory accesses are the
 * region checks of memory.ts inlined (hinted ones through DataViews over the fixed regions);
 * helpers are direct calls through the table.
 *
 * Layout: a program whose jumps all go forward, or back to the start of their own block (single-
 * block loops), is straight-line code (labelled blocks, jumps are `break`s, each such loop a
 * `for (;;)`); anything else (bpf-to-bpf calls, longer loops) is a `switch (pc)` in a loop.
 * In `start` of a straight-line program, register facts (known high halves, low-half bounds)
 * turn most 64-bit work into 32-bit work, behind guards that leave for the interpreter.
 *
 * Safety: the generated source is built ONLY from fixed templates in this file and numbers taken
 * from typed arrays (opcodes, register numbers 0-10 checked by `checkProgram`, offsets,
 * immediates, resolved constants). No string from the object (section, map, function names, BTF)
 * is ever spliced in; `assertSafeSource` re-checks the character set before `new Function`.
 *
 * Every local holds an int32 (results of `>>>` are `| 0`-ed), exactly what the interpreter's
 * Int32Array registers hold.
 *
 * Semantics are the interpreter's: the budget is charged per basic block (lazily in loop-free
 * code), and a block that does not fit in what is left, an entry in the middle of a block,
 * single-stepping or a failed speculation hands the run to the interpreter, which finishes it
 * exactly (same fault instruction, same count).
 */
import { OP_LDDW, BPF_PSEUDO_FUNC } from './isa';
import {
  atomic, bswap32, callHelper, callIndirect, DIVRES, interpreter, loadPacketLegacy, sdivmod64, udivmod64, umulhi,
} from './interpreter';
import { REGION_CTX, REGION_PACKET, REGION_STACK, STACK_SIZE } from './memory';
import { LoadedProgram, Machine, VmEngine } from './vm';

/**
 * Programs longer than this run on the interpreter: the generated source grows with the program
 * and a hostile 1M-instruction object must not turn into hundreds of MB of JavaScript.
 * (uBPF's UBPF_MAX_INSTS is the same number.)
 */
export const JIT_MAX_INSNS = 65536;

/** Return code of a compiled function: continue this run in the interpreter from `m.pc`. */
const FALLBACK = -1;

/** Numbers each compilation (see the factory's `seq`). */
let compileSeq = 0;

/** Return code of a compiled function: a speculation failed; continue in the interpreter from `m.pc`. */
const DEOPT = -2;

/** Straight-line layouts nest one labelled block per block leader: at most this many. */
const MAX_NESTED_LABELS = 400;

/** Facts are computed for programs up to this length (the pass keeps them per block leader). */
const MAX_FACT_INSNS = 8192;

/** Exit kinds of the generated epilogue. */
const XK_EXIT = 0, XK_MEMFAULT = 1, XK_FAULTSET = 2, XK_PENDING = 3, XK_FALLBACK = 4, XK_BAD = 5, XK_CALLDEPTH = 6, XK_DEOPT = 7;

export interface CompiledProgram {
  /** Runs from `m.pc` (must be a block leader) with `m.budgetLeft` and the registers in `m`; stores them all back. */
  run: (m: Machine) => number;
  /** VmEngine.start: a fresh run from insn 0 (registers as constants); after ST_EXIT only r0 is stored. */
  start: (m: Machine) => number;
  /** 1 where an instruction starts a block (a valid entry). */
  leaders: Uint8Array;
  /** The generated JavaScript (for inspection and the injection test). */
  source: string;
  /** `start` uses register facts and their guards (see RegFacts); false after a guard fired. */
  speculative: boolean;
}

const RT = { umulhi, udivmod64, sdivmod64, DIVRES, bswap32, callHelper, callIndirect, loadPacketLegacy, atomic };

const L = (r: number): string => `r${r}l`;
const H = (r: number): string => `r${r}h`;

/** Only identifiers, numbers, operators and punctuation of our own templates. */
export function assertSafeSource(src: string): void {
  if (!/^[A-Za-z0-9_\s;:{}()[\]=+\-*/%<>!&|^~?,.]*$/.test(src)) {
    throw new Error('JIT: generated source contains unexpected characters');
  }
}

export function compileProgram(p: LoadedProgram, speculate = true): CompiledProgram {
  const { code, dst, src, off, imm, length: n } = p.code;
  const leaders = new Uint8Array(n + 1);
  leaders[0] = 1;
  for (let i = 0; i < n; i++) {
    const c = code[i], cls = c & 7;
    if (c === OP_LDDW) {
      if (src[i] === BPF_PSEUDO_FUNC) leaders[i + 1 + imm[i]] = 1;
      i++;
      continue;
    }
    if (cls === 5 || cls === 6) {
      const op = c & 0xf0;
      if (c === 0x85) {
        if (src[i] === 1) { leaders[i + 1 + imm[i]] = 1; leaders[i + 1] = 1; }
      } else if (c === 0x8d) leaders[i + 1] = 1;
      else if (op === 0x90) leaders[i + 1] = 1;
      else if (c === 0x06) { leaders[i + 1 + imm[i]] = 1; leaders[i + 1] = 1; }
      else { leaders[i + 1 + off[i]] = 1; leaders[i + 1] = 1; }
    }
  }
  // A program without backward jumps and calls runs each instruction at most once: when the
  // budget covers its length at entry, the per-block budget compares can go (the counting stays).
  let acyclic = true;
  for (let i = 0; i < n; i++) {
    const c = code[i], cls = c & 7;
    if (c === OP_LDDW) { i++; continue; }
    if (cls !== 5 && cls !== 6) continue;
    if ((c === 0x85 && src[i] !== 0) || c === 0x8d) acyclic = false;
    else if ((c & 0xf0) !== 0x90 && (c === 0x06 ? imm[i] : off[i]) < 0) acyclic = false;
  }
  const helperSlots = collectHelpers(p);
  // Instructions some jump lands on.
  const jumpedTo = new Uint8Array(n + 1);
  for (let i = 0; i < n; i++) {
    const c = code[i], cls = c & 7;
    if (c === OP_LDDW) { i++; continue; }
    if ((cls !== 5 && cls !== 6) || c === 0x85 || c === 0x8d || (c & 0xf0) === 0x90) continue;
    const t = i + 1 + (c === 0x06 ? imm[i] : off[i]);
    if (t >= 0 && t <= n) jumpedTo[t] = 1;
  }
  // Per instruction: how many instructions of its block follow it. A run that leaves a block
  // early (fault, helper stop, ...) gives those back so the count matches the interpreter's.
  const restOfBlock = new Int32Array(n + 1);
  for (let i = n - 1, k = 0; i >= 0; i--) {
    if (i > 0 && code[i - 1] === OP_LDDW && (i < 2 || code[i - 2] !== OP_LDDW)) { restOfBlock[i] = k; continue; }
    restOfBlock[i] = k;
    k = leaders[i] ? 0 : k + 1;
  }
  // Acyclic code charges the budget lazily: `pend` instructions of the blocks run so far are not
  // yet taken off `left`; a jump, a fall-through into a jump target and every way out take them.
  let pend = 0;
  const giveBack = (i: number, extra = 0): string => {
    const g = restOfBlock[i] + extra - pend;
    return g > 0 ? ` left += ${g};` : g < 0 ? ` left -= ${-g};` : '';
  };
  const flush = (): string => (pend > 0 ? `left = (left - ${pend}) | 0; ` : '');
  // Block lengths (instructions, an lddw counts once as in the interpreter).
  const out: string[] = [];
  const emit = (s: string): void => { out.push(s); };
  const memCheck = (pc: number, base: number, o: number, size: number, write: boolean, extraRead: boolean): void => {
    if (!tableLocals) throw new Error('JIT: region table locals were not declared');
    const lo = write ? 'wLo' : 'rLo', hi = write ? 'wHi' : 'rHi';
    const extra = extraRead ? ` && o >= rLo[id] && o + ${size} <= rHi[id]` : '';
    emit(`id = ${H(base)} >>> 0; o = (${L(base)} >>> 0) + (${o});`);
    emit(`if (!(id < nreg && o >= ${lo}[id] && o + ${size} <= ${hi}[id]${extra})) {`);
    emit(`id = mem.resolve(${H(base)}, ${L(base)}, ${o}, ${size}, ${write});`);
    if (extraRead) emit(`if (id >= 0 && mem.resolve(${H(base)}, ${L(base)}, ${o}, ${size}, false) < 0) id = -1;`);
    emit(`if (id < 0) { fh = ${H(base)}; fl = ${L(base)}; fo = ${o}; fs = ${size}; fw = ${write}; xk = ${XK_MEMFAULT}; pc = ${pc};${giveBack(pc)} break L; }`);
    emit(`o = mem.offset; }`);
    emit(`b = bytes[id];`);
  };
  const syncOut = (regs: number[]): string => regs.map((r) => `lo[${r}] = ${L(r)}; hi[${r}] = ${H(r)};`).join(' ');
  const syncIn = (regs: number[]): string => regs.map((r) => `${L(r)} = lo[${r}]; ${H(r)} = hi[${r}];`).join(' ');
  // Registers the program can touch: only those get locals, loads at entry and stores at exit.
  // Calls need r0-r5 (helper ABI) and r6-r9 (callee-saved frames): programs with calls keep all.
  const usedSet = new Set<number>([0, 1, 10]);
  let hasCalls = false;
  for (let i = 0; i < n; i++) {
    usedSet.add(dst[i]); usedSet.add(src[i]);
    if (code[i] === 0x85 || code[i] === 0x8d || (code[i] & 0xe7) === 0x20 || (code[i] & 0xe7) === 0x40 || code[i] === 0xc3 || code[i] === 0xdb) hasCalls = true;
    if (code[i] === OP_LDDW) i++;
  }
  const ALL = hasCalls ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : [...usedSet].filter((r) => r <= 10).sort((a, b) => a - b);
  // Load groups: consecutive loads of one block through the same base register (not redefined in
  // between, no call) are checked once for their whole extent [min off, max off + size). If that
  // check fails, each load falls back to its own exact check, so faults stay per instruction.
  const isLoad = (c: number): boolean => (c & 7) === 1 && ((c & 0xe0) === 0x60 || (c & 0xe0) === 0x80);
  const loadSize = (c: number): number => ((c & 0x18) === 0x00 ? 4 : (c & 0x18) === 0x08 ? 2 : (c & 0x18) === 0x10 ? 1 : 8);
  // Region hints: which fixed region (ctx 1, pkt 2, stack 3) a load's or store's base register
  // most likely points into, from one linear pass that follows r1 = ctx, r10 = stack, the packet
  // pointers read from ctx->data/data_end/data_meta, moves and pointer arithmetic (control flow
  // ignored: a wrong hint only costs speed). A hinted access first tries that region's window,
  // held in locals, and takes the full region-table check when it does not match: still an exact
  // check, but on one known typed array, so V8 shares its map and length checks across accesses.
  const accessHint = new Int8Array(n);
  {
    const h = new Int8Array(11);
    h[1] = 1; h[10] = 3;
    for (let i = 0; i < n; i++) {
      const c = code[i], cls = c & 7, d = dst[i], s = src[i];
      if (c === OP_LDDW) { h[d] = 0; i++; continue; }
      if (isLoad(c)) {
        accessHint[i] = h[s];
        h[d] = h[s] === 1 && c === 0x61 && (off[i] === 0 || off[i] === 4 || off[i] === 8) ? 2 : 0;
      } else if ((cls === 2 || cls === 3) && (c & 0xe0) === 0x60) {
        accessHint[i] = h[d] === 1 ? 0 : h[d]; // ctx is read-only: stores to it take the full check
      } else if (cls === 7) {
        const op = c & 0xf0;
        if (op === 0xb0) h[d] = (c & 8) !== 0 && off[i] === 0 ? h[s] : 0;
        else if (op === 0x00) { if ((c & 8) !== 0 && h[d] === 0) h[d] = h[s]; }
        else if (op === 0x10) { if ((c & 8) !== 0 && h[s] !== 0) h[d] = 0; }
        else h[d] = 0;
      } else if (cls === 4 || (cls === 3 && (c & 0xe0) === 0xc0)) {
        h[d] = 0; h[0] = cls === 3 ? 0 : h[0]; if (cls === 3) h[s] = 0;
      } else if (c === 0x85 || c === 0x8d || (c & 0xe7) === 0x20 || (c & 0xe7) === 0x40) {
        h[0] = 0; h[1] = 0; h[2] = 0; h[3] = 0; h[4] = 0; h[5] = 0;
      }
    }
  }
  // Per hinted region: 1 read, 2 write, 3 both (only those window locals are declared).
  const hinted = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = accessHint[i];
    if (r !== 0) hinted.set(r, (hinted.get(r) ?? 0) | (isLoad(code[i]) ? 1 : 2));
  }
  const groupOf = new Int32Array(n).fill(-1);
  const groupExtent = new Map<number, [number, number]>();
  const groupBases = new Set<number>();
  for (let h = 0; h < n; h++) {
    if (!isLoad(code[h]) || groupOf[h] >= 0 || dst[h] === src[h]) continue;
    const base = src[h];
    let lo = off[h], hi = off[h] + loadSize(code[h]);
    const members = [h];
    for (let j = h + 1; j < n && !leaders[j]; j++) {
      const c = code[j], cls = c & 7;
      if (isLoad(c) && src[j] === base) {
        members.push(j);
        lo = Math.min(lo, off[j]); hi = Math.max(hi, off[j] + loadSize(c));
        if (dst[j] === base) break;
        continue;
      }
      if (c === OP_LDDW) { if (dst[j] === base) break; j++; continue; }
      if (cls === 5 || cls === 6 || (c & 0xe0) === 0xc0 && cls === 3) break; // jumps, calls, atomics
      if ((cls === 4 || cls === 7 || cls === 1) && dst[j] === base) break;
      if ((c & 0xe7) === 0x20 || (c & 0xe7) === 0x40) break; // legacy loads write r0..r5 conventions
    }
    if (members.length < 2) continue;
    for (const j of members) groupOf[j] = h;
    groupExtent.set(h, [lo, hi]);
    groupBases.add(base);
  }
  // The hinted regions' bytes (`x{r}b`, and DataViews `x{r}d` over them) are constants of the
  // compiled code (see the factory): only their windows live in locals, read from the memory's
  // fixed-region windows (a constant array too) and reloaded after helper calls (adjust_head
  // moves the packet's).
  const regionLocals = (decl: boolean): string => [...hinted].map(([r, rw]) => {
    const parts: string[] = [];
    if (rw & 1) parts.push(`x${r}rl = W[${4 * r}]`, `x${r}rh = W[${4 * r + 1}]`);
    if (rw & 2) parts.push(`x${r}wl = W[${4 * r + 2}]`, `x${r}wh = W[${4 * r + 3}]`);
    return decl ? `let ${parts.join(', ')};` : `${parts.join('; ')};`;
  }).join(' ');
  // Accesses without a hint (map values, helper buffers) check against the whole region table,
  // held in locals; a program whose accesses all have hints never loads it.
  let tableLocals = false;
  for (let i = 0; i < n && !tableLocals; i++) {
    const c = code[i], cls = c & 7;
    if (c === OP_LDDW) { i++; continue; }
    if (cls === 1 || cls === 2 || cls === 3) tableLocals = accessHint[i] === 0 || (cls === 3 && (c & 0xe0) === 0xc0);
  }
  const tableRefresh = tableLocals ? 'bytes = mem.bytes; rLo = mem.readLo; rHi = mem.readHi; wLo = mem.writeLo; wHi = mem.writeHi; nreg = mem.count; ' : '';
  const refreshMem = `${tableRefresh}${regionLocals(false)}`;
  /** A failed hint: the exact check through `mem.resolve`, then `slow` on the region's bytes `b`. */
  const resolveCheck = (pc: number, base: number, o: number, size: number, write: boolean): void => {
    emit(`id = mem.resolve(${H(base)}, ${L(base)}, ${o}, ${size}, ${write});`);
    emit(`if (id < 0) { fh = ${H(base)}; fl = ${L(base)}; fo = ${o}; fs = ${size}; fw = ${write}; xk = ${XK_MEMFAULT}; pc = ${pc};${giveBack(pc)} break L; }`);
    emit('o = mem.offset; b = mem.bytes[id];');
  };
  /** A hinted access: `fast` runs on region `r`'s constants when the window holds, `slow` after the full check. */
  const hintedAccess = (pc: number, base: number, o: number, size: number, write: boolean, r: number, fast: string, slow: string): void => {
    const w = write ? 'w' : 'r';
    emit(`o = (${L(base)} >>> 0) + (${o});`);
    if (speculating) {
      // Speculative code: a failed hint leaves for the interpreter before the access.
      emit(`if (!(${H(base)} === ${r} && o >= x${r}${w}l && o + ${size} <= x${r}${w}h)) { ${deopt(pc, false)} } ${fast}`);
      return;
    }
    emit(`if (${H(base)} === ${r} && o >= x${r}${w}l && o + ${size} <= x${r}${w}h) { ${fast} } else {`);
    resolveCheck(pc, base, o, size, write);
    emit(`${slow} }`);
  };
  // Acyclic programs (every jump forward, no bpf-to-bpf calls) compile to straight-line code: one
  // labelled block per jump target, all opened at the top, so a jump is a `break` to the block
  // that ends right before its target. No dispatch loop: V8 keeps the registers in machine
  // registers across the whole program instead of merging every local at a loop header.
  // Loops: a backward jump from i to t makes [t, i] a loop (t its header; the last such jump its
  // end). When loops nest (or are disjoint), every jump into a loop lands on its header, and
  // there are no bpf-to-bpf calls, the program is `structured`: it keeps the straight-line
  // layout, each loop a `for (;;)` (the back edges `continue` it, jumps out `break` to a
  // labelled block outside it); only the per-block budget compares come back. Anything else
  // runs in the switch.
  const loops = findLoops(p);
  const { loopEnd, midEntry } = loops;
  // Every label nests one block deeper, and V8's parser recurses per level: past a few hundred
  // (its stack overflows near 2000) the switch layout, which is flat, takes over.
  let labels = 0;
  for (let i = 1; i < n; i++) if (leaders[i]) labels++;
  const structured = loops.structured && labels <= MAX_NESTED_LABELS;
  if (!structured) acyclic = false; // the budget shortcuts of acyclic code assume its layout
  // Jumps from outside into the middle of loop t (at midEntry[t]): set sk{t} and enter at the top,
  // where sk{t} skips to the entry point.
  const midHeader = new Int32Array(n + 1).fill(-1);
  for (let t = 0; t < n; t++) if (midEntry[t] >= 0) midHeader[midEntry[t]] = t;
  const isLoopEnd = new Uint8Array(n + 1);
  for (let t = 0; t < n; t++) if (loopEnd[t] >= 0) isLoopEnd[loopEnd[t]] = 1;
  // The labelled block T_x ends right before insn x, so it opens at the start of the innermost
  // loop that has x inside (a header belongs to the loop around its own), or at the top (-1).
  const regionOf = new Int32Array(n + 1).fill(-1);
  if (structured) {
    const stack: number[] = [];
    for (let x = 0; x <= n; x++) {
      while (stack.length && loopEnd[stack[stack.length - 1]] < x) stack.pop();
      regionOf[x] = stack.length ? stack[stack.length - 1] : -1;
      if (x < n && loopEnd[x] >= 0) stack.push(x);
    }
  }
  // The labels each region (-1: the program, else a loop header) opens, outermost (largest x) first.
  const regionLabels = new Map<number, string[]>([[-1, [`T${n}: {`]]]);
  for (let x = n - 1; x > 0; x--) {
    if (!leaders[x]) continue;
    const list = regionLabels.get(regionOf[x]);
    if (list) list.push(`T${x}: {`); else regionLabels.set(regionOf[x], [`T${x}: {`]);
  }
  const labelsIn = (region: number): string => (regionLabels.get(region) ?? []).join(' ');
  let cur = 0, speculating = false;
  const targets = new Set<number>();
  /** Leaves for the interpreter when a speculation fails: before insn `i`, or after it. */
  const deopt = (i: number, after: boolean): string => `pc = ${after ? i + 1 : i}; xk = ${XK_DEOPT};${after ? giveBack(i) : giveBack(i, 1)} break L;`;
  const goTo = (target: number): string => {
    if (structured && target <= cur) return `continue B${target};`; // a back edge to the header of a loop around cur
    const lh = midHeader[target];
    if (structured && lh >= 0 && cur < lh) return `sk${lh} = 1; break T${lh};`; // into a loop's middle, from outside it
    if (!structured) return `pc = ${target}; continue L;`;
    targets.add(target);
    return `${flush()}break T${target};`;
  };
  const jump = (cond: string, target: number): void => { emit(`if (${cond}) { ${goTo(target)} }`); };

  /** The block code, using `facts` (leader -> facts) where given. */
  const genBody = (facts: Map<number, RegFacts> | undefined): string => {
  out.length = 0; targets.clear(); cur = 0; speculating = facts !== undefined; pend = 0;
  let cf: RegFacts | undefined;
  for (let i = 0; i < n; i++) {
    if (acyclic && leaders[i] && i > 0) {
      // Every way into a jump target arrives with nothing pending; a block nothing falls into
      // starts from what its jumps left (nothing).
      const prev = code[i - 1], prevLddw = i > 1 && code[i - 2] === OP_LDDW;
      if (jumpedTo[i]) { emit(flush()); pend = 0; } else if (!prevLddw && (prev === 0x05 || prev === 0x06 || prev === 0x95)) pend = 0;
    }
    if (structured && leaders[i] && i > 0) emit('}'); // closes T_i
    if (leaders[i]) {
      let len = 0;
      for (let j = i; j < n; j++) {
        if (j > i && leaders[j]) break;
        len++;
        if (code[j] === OP_LDDW) j++;
      }
      // `| 0`: int32 arithmetic (0 <= left <= the budget), no overflow check in V8's code.
      const check = `if (left < ${len}) { pc = ${i}; xk = ${XK_FALLBACK}; break L; } left = (left - ${len}) | 0;`;
      if (acyclic) pend += len;
      else if (!structured) emit(`case ${i}: ${check}`);
      else emit(`${loopEnd[i] >= 0 ? `B${i}: for (;;) { ${labelsIn(i)}${midEntry[i] >= 0 ? ` if (sk${i} === 1) { sk${i} = 0; break T${midEntry[i]}; }` : ''} ` : ''}${check}`);
    }
    cur = i;
    // Facts before (bf) and after (cf) this instruction, and what it speculates.
    if (leaders[i]) cf = facts?.get(i)?.copy();
    const bf = cf?.copy();
    const spec = cf ? transfer(p, cf, i) : SPEC_NONE;
    const c = code[i], d = dst[i], s = src[i], k = imm[i], of = off[i];
    const dl = L(d), dh = H(d), sl = L(s), sh = H(s);
    const kh = k >> 31;
    const isX = (c & 8) !== 0;
    const bl = isX ? sl : `(${k})`, bh = isX ? sh : `(${kh})`;
    switch (c) {
      // ALU64
      case 0x07: case 0x0f: case 0x17: case 0x1f: {
        const add = c < 0x10, op = add ? '+' : '-';
        if (bf && cf && !Number.isNaN(cf.hk[d])) {
          // Both high halves known: the result's is too, given the carry (borrow) the facts
          // expect; a guard leaves before the instruction when it is not that one.
          if (spec === SPEC_CARRY) {
            const carry = add ? `(t >>> 0) < (${dl} >>> 0)` : `(${dl} >>> 0) < (${bl} >>> 0)`;
            emit(`t = (${dl} ${op} ${bl}) | 0; if (${negOperand(p, bf, i) ? `!(${carry})` : carry}) { ${deopt(i, false)} } ${dl} = t; ${dh} = ${cf.hk[d]};`);
          } else emit(`${dl} = (${dl} ${op} ${bl}) | 0; ${dh} = ${cf.hk[d]};`);
        } else if (add) emit(`t = (${dl} + ${bl}) | 0; ${dh} = (${dh} + ${bh} + ((t >>> 0) < (${dl} >>> 0) ? 1 : 0)) | 0; ${dl} = t;`);
        else emit(`${dh} = (${dh} - ${bh} - ((${dl} >>> 0) < (${bl} >>> 0) ? 1 : 0)) | 0; ${dl} = (${dl} - ${bl}) | 0;`);
        break;
      }
      case 0x27: case 0x2f: emit(`t = Math.imul(${dl}, ${bl}); ${dh} = (Math.imul(${dh}, ${bl}) + Math.imul(${dl}, ${bh}) + umulhi(${dl}, ${bl})) | 0; ${dl} = t;`); break;
      case 0x37: case 0x3f: case 0x97: case 0x9f: {
        const isMod = c >= 0x90, fn = of === 1 ? 'sdivmod64' : 'udivmod64';
        const zero = isMod ? '' : `${dl} = 0; ${dh} = 0;`;
        const res = isMod ? `${dl} = DIVRES[2]; ${dh} = DIVRES[3];` : `${dl} = DIVRES[0]; ${dh} = DIVRES[1];`;
        emit(`if ((${bl} | ${bh}) === 0) { ${zero} } else { ${fn}(${dh}, ${dl}, ${bh}, ${bl}); ${res} }`);
        break;
      }
      case 0x47: case 0x4f: emit(`${dl} |= ${bl}; ${dh} |= ${bh};`); break;
      case 0x57: case 0x5f: emit(`${dl} &= ${bl}; ${dh} &= ${bh};`); break;
      case 0xa7: case 0xaf: emit(`${dl} ^= ${bl}; ${dh} ^= ${bh};`); break;
      case 0x67: case 0x77: case 0xc7: {
        const sh64 = k & 63;
        if (sh64 === 0) break;
        if (c === 0x67) emit(sh64 >= 32 ? `${dh} = ${dl} << ${sh64 - 32}; ${dl} = 0;` : `${dh} = (${dh} << ${sh64}) | (${dl} >>> ${32 - sh64}); ${dl} = ${dl} << ${sh64};`);
        else if (c === 0x77) emit(sh64 >= 32 ? `${dl} = (${dh} >>> ${sh64 - 32}) | 0; ${dh} = 0;` : `${dl} = (${dl} >>> ${sh64}) | (${dh} << ${32 - sh64}); ${dh} = (${dh} >>> ${sh64}) | 0;`);
        else emit(sh64 >= 32 ? `${dl} = ${dh} >> ${sh64 - 32}; ${dh} = ${dh} >> 31;` : `${dl} = (${dl} >>> ${sh64}) | (${dh} << ${32 - sh64}); ${dh} = ${dh} >> ${sh64};`);
        break;
      }
      case 0x6f: emit(`t = ${sl} & 63; if (t >= 32) { ${dh} = ${dl} << (t - 32); ${dl} = 0; } else if (t !== 0) { ${dh} = (${dh} << t) | (${dl} >>> (32 - t)); ${dl} = ${dl} << t; }`); break;
      case 0x7f: emit(`t = ${sl} & 63; if (t >= 32) { ${dl} = (${dh} >>> (t - 32)) | 0; ${dh} = 0; } else if (t !== 0) { ${dl} = (${dl} >>> t) | (${dh} << (32 - t)); ${dh} = (${dh} >>> t) | 0; }`); break;
      case 0xcf: emit(`t = ${sl} & 63; if (t >= 32) { ${dl} = ${dh} >> (t - 32); ${dh} = ${dh} >> 31; } else if (t !== 0) { ${dl} = (${dl} >>> t) | (${dh} << (32 - t)); ${dh} = ${dh} >> t; }`); break;
      case 0x87: emit(`t = (-${dl}) | 0; ${dh} = (~${dh} + (t === 0 ? 1 : 0)) | 0; ${dl} = t;`); break;
      case 0xb7: emit(`${dl} = ${k}; ${dh} = ${kh};`); break;
      case 0xbf:
        if (of === 0) emit(`${dl} = ${sl}; ${dh} = ${sh};`);
        else if (of === 32) emit(`${dl} = ${sl}; ${dh} = ${sl} >> 31;`);
        else emit(`${dl} = (${sl} << ${32 - of}) >> ${32 - of}; ${dh} = ${dl} >> 31;`);
        break;
      case 0xd7: case 0xdc:
        if (k === 16) emit(`${dl} = ((${dl} & 0xff) << 8) | ((${dl} >>> 8) & 0xff); ${dh} = 0;`);
        else if (k === 32) emit(`${dl} = bswap32(${dl}); ${dh} = 0;`);
        else emit(`t = ${dl}; ${dl} = bswap32(${dh}); ${dh} = bswap32(t);`);
        break;
      case 0xd4:
        if (k === 16) emit(`${dl} &= 0xffff; ${dh} = 0;`); else if (k === 32) emit(`${dh} = 0;`);
        break;
      // ALU32
      case 0x04: case 0x0c: emit(`${dl} = (${dl} + ${bl}) | 0; ${dh} = 0;`); break;
      case 0x14: case 0x1c: emit(`${dl} = (${dl} - ${bl}) | 0; ${dh} = 0;`); break;
      case 0x24: case 0x2c: emit(`${dl} = Math.imul(${dl}, ${bl}); ${dh} = 0;`); break;
      case 0x34: case 0x3c: case 0x94: case 0x9c: {
        const isMod = c >= 0x90;
        const op = of === 1
          ? (isMod ? `(${dl} % ${bl}) | 0` : `(${dl} / ${bl}) | 0`)
          : (isMod ? `((${dl} >>> 0) % (${bl} >>> 0)) | 0` : `((${dl} >>> 0) / (${bl} >>> 0)) | 0`);
        emit(`if (${bl} !== 0) ${dl} = ${op};${isMod ? '' : ` else ${dl} = 0;`} ${dh} = 0;`);
        break;
      }
      case 0x44: case 0x4c: emit(`${dl} |= ${bl}; ${dh} = 0;`); break;
      case 0x54: case 0x5c: emit(`${dl} &= ${bl}; ${dh} = 0;`); break;
      case 0xa4: case 0xac: emit(`${dl} ^= ${bl}; ${dh} = 0;`); break;
      case 0x64: emit(`${dl} <<= ${k & 31}; ${dh} = 0;`); break;
      case 0x6c: emit(`${dl} <<= ${sl} & 31; ${dh} = 0;`); break;
      case 0x74: emit(`${dl} = (${dl} >>> ${k & 31}) | 0; ${dh} = 0;`); break;
      case 0x7c: emit(`${dl} = (${dl} >>> (${sl} & 31)) | 0; ${dh} = 0;`); break;
      case 0xc4: emit(`${dl} >>= ${k & 31}; ${dh} = 0;`); break;
      case 0xcc: emit(`${dl} >>= ${sl} & 31; ${dh} = 0;`); break;
      case 0x84: emit(`${dl} = (-${dl}) | 0; ${dh} = 0;`); break;
      case 0xb4: emit(`${dl} = ${k}; ${dh} = 0;`); break;
      case 0xbc:
        if (of === 0) emit(`${dl} = ${sl}; ${dh} = 0;`);
        else emit(`${dl} = (${sl} << ${32 - of}) >> ${32 - of}; ${dh} = 0;`);
        break;
      // lddw and legacy packet loads
      case OP_LDDW:
        emit(`${dl} = ${p.constLo[i]}; ${dh} = ${p.constHi[i]};`);
        i++;
        break;
      case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: {
        const size = (c & 0x18) === 0x10 ? 1 : (c & 0x18) === 0x08 ? 2 : 4;
        const offset = c >= 0x40 ? `${sl} + (${k})` : `${k}`;
        emit(`t = loadPacketLegacy(m, ${i}, ${size}, ${offset}) ? 1 : 0; r0l = lo[0]; r0h = hi[0]; if (t === 0) { pc = ${i}; m.depth = 0; xk = ${XK_EXIT};${giveBack(i)} break L; }`);
        break;
      }
      // loads
      case 0x61: case 0x69: case 0x71: case 0x79: case 0x81: case 0x89: case 0x91: {
        const size = (c & 0x18) === 0x00 ? 4 : (c & 0x18) === 0x08 ? 2 : (c & 0x18) === 0x10 ? 1 : 8;
        const g = groupOf[i];
        const w32 = (B: string): string => `${B}[o] | (${B}[o + 1] << 8) | (${B}[o + 2] << 16) | (${B}[o + 3] << 24)`;
        // On a hinted region's constants: DataView reads (one unaligned load each in V8's code).
        const fastValue = (r: number, ctxHi: string): string => {
          const D = `x${r}d`;
          if (c === 0x61) return `${dl} = ${D}.getInt32(o, true); ${dh} = ${ctxHi};`;
          if (c === 0x69) return `${dl} = ${D}.getUint16(o, true); ${dh} = 0;`;
          if (c === 0x71) return `${dl} = x${r}b[o]; ${dh} = 0;`;
          if (c === 0x79) return `${dl} = ${D}.getInt32(o, true); ${dh} = ${D}.getInt32(o + 4, true);`;
          if (c === 0x81) return `${dl} = ${D}.getInt32(o, true); ${dh} = ${dl} >> 31;`;
          if (c === 0x89) return `${dl} = ${D}.getInt16(o, true); ${dh} = ${dl} >> 31;`;
          return `${dl} = ${D}.getInt8(o); ${dh} = ${dl} >> 31;`;
        };
        const value = (B: string, ctxHi: string): string => {
          if (c === 0x61) return `${dl} = ${w32(B)}; ${dh} = ${ctxHi};`;
          if (c === 0x69) return `${dl} = ${B}[o] | (${B}[o + 1] << 8); ${dh} = 0;`;
          if (c === 0x71) return `${dl} = ${B}[o]; ${dh} = 0;`;
          if (c === 0x79) return `${dl} = ${w32(B)}; ${dh} = ${B}[o + 4] | (${B}[o + 5] << 8) | (${B}[o + 6] << 16) | (${B}[o + 7] << 24);`;
          if (c === 0x81) return `${dl} = ${w32(B)}; ${dh} = ${dl} >> 31;`;
          if (c === 0x89) return `${dl} = ((${B}[o] | (${B}[o + 1] << 8)) << 16) >> 16; ${dh} = ${dl} >> 31;`;
          return `${dl} = (${B}[o] << 24) >> 24; ${dh} = ${dl} >> 31;`;
        };
        const r = accessHint[i];
        if (g < 0 && r !== 0) {
          hintedAccess(i, s, of, size, false, r, fastValue(r, r === 1 ? 'o < 12 ? 2 : 0' : '0'), value('b', 'id === 1 && o < 12 ? 2 : 0'));
          break;
        }
        if (g >= 0 && r !== 0) {
          // A group through a hinted base: one window check on the region's locals for the group.
          if (g === i) {
            const [gl, gh] = groupExtent.get(i)!;
            emit(`o = ${L(s)} >>> 0;`);
            const ok = `${H(s)} === ${r} && o + (${gl}) >= x${r}rl && o + (${gh}) <= x${r}rh`;
            if (speculating) emit(`if (!(${ok})) { ${deopt(i, false)} } go${s} = o;`);
            else emit(`if (${ok}) { gok${s} = 1; go${s} = o; } else gok${s} = 0;`);
          }
          if (speculating) { emit(`o = go${s} + (${of}); ${fastValue(r, r === 1 ? 'o < 12 ? 2 : 0' : '0')}`); break; }
          emit(`if (gok${s} === 1) { o = go${s} + (${of}); ${fastValue(r, r === 1 ? 'o < 12 ? 2 : 0' : '0')} } else {`);
          resolveCheck(i, s, of, size, false);
          emit(`${value('b', 'id === 1 && o < 12 ? 2 : 0')} }`);
          break;
        }
        if (g < 0) memCheck(i, s, of, size, false, false);
        else {
          if (g === i) {
            const [gl, gh] = groupExtent.get(i)!;
            emit(`id = ${H(s)} >>> 0; o = ${L(s)} >>> 0;`);
            emit(`if (id < nreg && o + (${gl}) >= rLo[id] && o + (${gh}) <= rHi[id]) { gok${s} = 1; gb${s} = bytes[id]; go${s} = o; gid${s} = id; } else gok${s} = 0;`);
          }
          emit(`if (gok${s} === 1) { b = gb${s}; o = go${s} + (${of}); id = gid${s}; } else {`);
          memCheck(i, s, of, size, false, false);
          emit('}');
        }
        emit(value('b', 'id === 1 && o < 12 ? 2 : 0'));
        break;
      }
      // stores
      case 0x62: case 0x6a: case 0x72: case 0x7a: case 0x63: case 0x6b: case 0x73: case 0x7b: {
        const size = (c & 0x18) === 0x00 ? 4 : (c & 0x18) === 0x08 ? 2 : (c & 0x18) === 0x10 ? 1 : 8;
        const vl = c & 1 ? sl : `(${k})`, vh = c & 1 ? sh : `(${kh})`;
        const store = (B: string): string => {
          let st = `${B}[o] = ${vl};`;
          if (size >= 2) st += ` ${B}[o + 1] = ${vl} >> 8;`;
          if (size >= 4) st += ` ${B}[o + 2] = ${vl} >> 16; ${B}[o + 3] = ${vl} >> 24;`;
          if (size === 8) st += ` ${B}[o + 4] = ${vh}; ${B}[o + 5] = ${vh} >> 8; ${B}[o + 6] = ${vh} >> 16; ${B}[o + 7] = ${vh} >> 24;`;
          return st;
        };
        const fastStore = (r: number): string => {
          const D = `x${r}d`;
          if (size === 1) return `x${r}b[o] = ${vl};`;
          if (size === 2) return `${D}.setInt16(o, ${vl}, true);`;
          if (size === 4) return `${D}.setInt32(o, ${vl}, true);`;
          return `${D}.setInt32(o, ${vl}, true); ${D}.setInt32(o + 4, ${vh}, true);`;
        };
        const r = accessHint[i];
        if (r !== 0) { hintedAccess(i, d, of, size, true, r, fastStore(r), store('b')); break; }
        memCheck(i, d, of, size, true, false);
        emit(store('b'));
        break;
      }
      case 0xc3: case 0xdb: {
        const size = c === 0xdb ? 8 : 4;
        memCheck(i, d, of, size, true, true);
        emit(`${syncOut(s === 0 ? [0] : [0, s])} atomic(m, b, o, ${size}, ${k}, ${s}); ${syncIn(s === 0 ? [0] : [0, s])}`);
        break;
      }
      // jumps
      case 0x05: emit(goTo(i + 1 + of)); break;
      case 0x06: emit(goTo(i + 1 + k)); break;
      case 0x15: case 0x1d: jump(`${dl} === ${bl} && ${dh} === ${bh}`, i + 1 + of); break;
      case 0x55: case 0x5d: jump(`${dl} !== ${bl} || ${dh} !== ${bh}`, i + 1 + of); break;
      case 0x45: case 0x4d: jump(`(${dl} & ${bl}) !== 0 || (${dh} & ${bh}) !== 0`, i + 1 + of); break;
      case 0x25: case 0x2d: case 0x35: case 0x3d: case 0xa5: case 0xad: case 0xb5: case 0xbd: {
        const op = c & 0xf0, rel = op === 0x20 ? '>' : op === 0x30 ? '>=' : op === 0xa0 ? '<' : '<=';
        const strict = op === 0x20 ? '>' : op === 0x30 ? '>' : op === 0xa0 ? '<' : '<';
        jump(`(${dh} >>> 0) ${strict} (${bh} >>> 0) || (${dh} === ${bh} && (${dl} >>> 0) ${rel} (${bl} >>> 0))`, i + 1 + of);
        break;
      }
      case 0x65: case 0x6d: case 0x75: case 0x7d: case 0xc5: case 0xcd: case 0xd5: case 0xdd: {
        const op = c & 0xf0, rel = op === 0x60 ? '>' : op === 0x70 ? '>=' : op === 0xc0 ? '<' : '<=';
        const strict = op === 0x60 || op === 0x70 ? '>' : '<';
        jump(`${dh} ${strict} ${bh} || (${dh} === ${bh} && (${dl} >>> 0) ${rel} (${bl} >>> 0))`, i + 1 + of);
        break;
      }
      case 0x16: case 0x1e: jump(`${dl} === ${bl}`, i + 1 + of); break;
      case 0x56: case 0x5e: jump(`${dl} !== ${bl}`, i + 1 + of); break;
      case 0x46: case 0x4e: jump(`(${dl} & ${bl}) !== 0`, i + 1 + of); break;
      case 0x26: case 0x2e: jump(`(${dl} >>> 0) > (${bl} >>> 0)`, i + 1 + of); break;
      case 0x36: case 0x3e: jump(`(${dl} >>> 0) >= (${bl} >>> 0)`, i + 1 + of); break;
      case 0xa6: case 0xae: jump(`(${dl} >>> 0) < (${bl} >>> 0)`, i + 1 + of); break;
      case 0xb6: case 0xbe: jump(`(${dl} >>> 0) <= (${bl} >>> 0)`, i + 1 + of); break;
      case 0x66: case 0x6e: jump(`${dl} > ${bl}`, i + 1 + of); break;
      case 0x76: case 0x7e: jump(`${dl} >= ${bl}`, i + 1 + of); break;
      case 0xc6: case 0xce: jump(`${dl} < ${bl}`, i + 1 + of); break;
      case 0xd6: case 0xde: jump(`${dl} <= ${bl}`, i + 1 + of); break;
      // calls and exit
      case 0x85:
        if (s === 1) {
          emit(`t = m.depth; if (t + 1 >= 8) { pc = ${i}; xk = ${XK_CALLDEPTH}; break L; }`);
          emit(`FR[t] = ${i + 1}; t <<= 3; FS[t] = r6l; FS[t + 1] = r6h; FS[t + 2] = r7l; FS[t + 3] = r7h; FS[t + 4] = r8l; FS[t + 5] = r8h; FS[t + 6] = r9l; FS[t + 7] = r9h;`);
          emit(`m.depth = (t >> 3) + 1; r10l = (r10l - 512) | 0; pc = ${i + 1 + k}; continue L;`);
        } else {
          const fnIndex = helperSlots.slot[i];
          if (fnIndex < 0) { emit(`pc = ${i}; xk = ${XK_BAD};${giveBack(i, 1)} break L;`); break; }
          emit(`${syncOut([1, 2, 3, 4, 5])} m.pc = ${i};`);
          emit(`if (!callHelper(m, HF[${fnIndex}], ${i})) { pc = ${i}; xk = ${XK_FAULTSET};${giveBack(i)} break L; }`);
          emit(`r0l = lo[0]; r0h = hi[0]; ${refreshMem}`);
          emit(`if (m.pending !== 0) { pc = ${i}; xk = ${XK_PENDING};${giveBack(i)} break L; }`);
        }
        break;
      case 0x8d:
        emit(`${syncOut(ALL)} m.pc = ${i}; t = callIndirect(m, P, ${i}, ${d}); ${syncIn(ALL)} ${refreshMem}`);
        emit(`if (t === -1) { pc = ${i}; xk = ${XK_FAULTSET}; break L; } if (t === -2) { pc = ${i}; xk = ${XK_PENDING}; break L; } pc = t; continue L;`);
        break;
      case 0x95:
        // Structured code has no calls and is entered at pc 0 with depth 0 only: exit ends the run.
        if (structured) { emit(`${flush()}pc = ${i}; xk = ${XK_EXIT}; break L;`); break; }
        emit(`if (m.depth === 0) { pc = ${i}; xk = ${XK_EXIT}; break L; }`);
        emit(`t = --m.depth; pc = FR[t]; t <<= 3; r6l = FS[t]; r6h = FS[t + 1]; r7l = FS[t + 2]; r7h = FS[t + 3]; r8l = FS[t + 4]; r8h = FS[t + 5]; r9l = FS[t + 6]; r9h = FS[t + 7]; r10l = (r10l + 512) | 0; continue L;`);
        break;
      default:
        emit(`pc = ${i}; xk = ${XK_BAD};${giveBack(i, 1)} break L;`);
    }
    if (spec === SPEC_CTXPTR) emit(`if (${dl} < 0) { ${deopt(cur, true)} }`);
    // A known high half is assigned as a constant, so V8 folds what reads it.
    if (cf && ((c & 7) === 7 || (c & 7) === 1) && !Number.isNaN(cf.hk[d])) emit(`${dh} = ${cf.hk[d]};`);
    if (structured && isLoopEnd[cur]) emit('break; }');
  }
  // Falling off the end, or a dynamic pc that is not a block: let the interpreter decide.
  if (structured) {
    emit(`${flush()}} pc = ${n}; xk = ${XK_BAD};`);
  } else {
    emit(`case ${n}: pc = ${n}; xk = ${XK_BAD}; break L;`);
    emit(`default: xk = ${XK_BAD}; break L;`);
  }
  return out.join('\n');
  };
  // `run` (any entry state) knows nothing; a fresh `start` of a structured program uses facts.
  const facts = speculate && structured && n <= MAX_FACT_INSNS ? leaderFacts(p, leaders, loopEnd) : undefined;
  const runCode = genBody(undefined);
  const startCode = facts ? genBody(facts) : runCode;

  // T_n outermost ... T_1 innermost: every block starts at the top, T_i ends right before insn i.
  const blocks = labelsIn(-1);
  const FRESH_LO = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, STACK_SIZE], FRESH_HI = [0, REGION_CTX, 0, 0, 0, 0, 0, 0, 0, 0, REGION_STACK];
  const unused = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((r) => !ALL.includes(r));
  /**
   * One function over the shared block code. `fresh`: the `start` entry (registers of a fresh
   * run are constants; an exit stores only r0, the one register a finished run defines; every
   * other way out stores all 22 halves, the unused registers their fresh values). Otherwise the
   * `run` entry: registers from m, all stored back on every way out (stepping, the debugger and
   * the conformance harness read them).
   */
  const fn = (fresh: boolean): string => {
    const blockCode = fresh ? startCode : runCode;
    const bail = fresh ? `{ m.resetRegisters(); return ${FALLBACK}; }` : `return ${FALLBACK};`;
    const regDecl = ALL.map((r) => (fresh ? `${L(r)} = ${FRESH_LO[r]}, ${H(r)} = ${FRESH_HI[r]}` : `${L(r)} = lo[${r}], ${H(r)} = hi[${r}]`)).join(', ');
    const freshOut = fresh && unused.length ? unused.map((r) => `lo[${r}] = ${FRESH_LO[r]}; hi[${r}] = ${FRESH_HI[r]};`).join(' ') : '';
    return [
      `function ${fresh ? 'start' : 'run'}(m) {`,
      `if (m !== M) ${bail}`,
      `let ${regDecl};`,
      tableLocals ? 'let bytes = mem.bytes, rLo = mem.readLo, rHi = mem.readHi, wLo = mem.writeLo, wHi = mem.writeHi, nreg = mem.count;' : '',
      'const start = m.budgetLeft; let left = start;',
      acyclic ? `if (left < ${n}) ${bail}` : '',
      `let pc = ${fresh ? 0 : 'm.pc'}, xk = 0, t = 0, id = 0, o = 0, b = x${REGION_CTX}b, fh = 0, fl = 0, fo = 0, fs = 0, fw = false;`,
      [...groupBases].map((r) => `let gok${r} = 0, gb${r} = b, go${r} = 0, gid${r} = 0;`).join(' '),
      [...midEntry].flatMap((e, t) => (e >= 0 ? [`let sk${t} = 0;`] : [])).join(' '),
      regionLocals(true),
      structured && !fresh ? `if (pc !== 0 || m.depth !== 0) ${bail}` : '',
      structured ? `L: { ${blocks}` : 'L: for (;;) { switch (pc) {',
      blockCode,
      structured ? '}' : '} }',
      fresh ? `if (xk === ${XK_EXIT}) { lo[0] = r0l; hi[0] = r0h; m.pc = pc; m.budgetLeft = left; m.insnCount += start - left; return 0; }` : '',
      `${syncOut(ALL)} ${freshOut}`,
      'm.pc = pc; m.budgetLeft = left; m.insnCount += start - left;',
      `switch (xk) {`,
      `case ${XK_EXIT}: return 0;`,
      `case ${XK_MEMFAULT}: return m.memFault(pc, fh, fl, fo, fs, fw);`,
      `case ${XK_FAULTSET}: return 1;`,
      `case ${XK_PENDING}: return m.takePending(pc);`,
      `case ${XK_CALLDEPTH}: m.pushFrame(pc, pc); return 1;`,
      `case ${XK_DEOPT}: return ${DEOPT};`,
      `default: return ${FALLBACK};`,
      '}',
      '}',
    ].join('\n');
  };
  // The machine the program was loaded on, its register arrays and its fixed regions' bytes are
  // constants of the factory: V8 embeds them in the optimised code (no loads through m per run).
  // The sequence number makes every compilation's source unique, so V8 never shares one function
  // between two compiled programs (a shared function would lose those constants).
  const body = [
    `const seq = ${++compileSeq};`,
    'const M = P.machine, lo = M.lo, hi = M.hi, mem = M.memory, FR = M.frameRet, FS = M.frameSaved;',
    'const W = mem.fixedWindows;',
    ...[REGION_CTX, REGION_PACKET, REGION_STACK].map((r) => `const x${r}b = mem.bytes[${r}], x${r}d = new DataView(x${r}b.buffer, x${r}b.byteOffset, x${r}b.byteLength);`),
    fn(false),
    fn(true),
    'return { run: run, start: start, seq: seq };',
  ].join('\n');
  assertSafeSource(body);

  const factory = new Function('P', 'HF', 'umulhi', 'udivmod64', 'sdivmod64', 'DIVRES', 'bswap32', 'callHelper', 'callIndirect', 'loadPacketLegacy', 'atomic', body) as (...a: unknown[]) => Pick<CompiledProgram, 'run' | 'start'>;
  const fns = factory(p, helperSlots.fns, RT.umulhi, RT.udivmod64, RT.sdivmod64, RT.DIVRES, RT.bswap32, RT.callHelper, RT.callIndirect, RT.loadPacketLegacy, RT.atomic);
  return { run: fns.run, start: fns.start, leaders, source: body, speculative: facts !== undefined };
}

// ---------------------------------------------------------------------------------------------
// Register facts: what a fresh start lets the compiler know about the high halves.
//
// Most eBPF values are 32-bit quantities or pointers whose high half is a region id. When the high
// half of a register is a known constant, the generated code assigns that constant (V8 then folds
// every compare and carry that reads it) instead of computing it. Facts come from a forward pass
// over a structured program from the registers of a fresh start. A 64-bit add or subtract of two
// known high halves is speculated not to carry out of the low half (a guard leaves for the
// interpreter, before the instruction, when it would), and a load of ctx->data/data_end/data_meta
// to stay below 2^31 (packet offsets are < 4096; a guard leaves after the load otherwise): so
// pointer arithmetic keeps its region id. A program whose guard ever fires is compiled again
// without facts (`CompiledProgram.speculative` false).

const FULL = 0xffffffff;

/** Per register: the high half if known (NaN: unknown), and bounds of the low half as unsigned. */
class RegFacts {
  readonly hk = new Float64Array(11).fill(NaN);
  readonly lmin = new Float64Array(11);
  readonly lmax = new Float64Array(11).fill(FULL);

  static fresh(): RegFacts {
    const f = new RegFacts();
    for (let r = 0; r <= 10; r++) f.set(r, 0, 0, 0);
    f.set(1, REGION_CTX, 0, 0);
    f.set(10, REGION_STACK, STACK_SIZE, STACK_SIZE);
    return f;
  }
  copy(): RegFacts {
    const f = new RegFacts();
    f.hk.set(this.hk); f.lmin.set(this.lmin); f.lmax.set(this.lmax);
    return f;
  }
  set(r: number, hk: number, lmin: number, lmax: number): void { this.hk[r] = hk; this.lmin[r] = lmin; this.lmax[r] = lmax; }
  unknown(r: number): void { this.set(r, NaN, 0, FULL); }
  equals(o: RegFacts): boolean {
    for (let r = 0; r <= 10; r++) {
      if (!Object.is(this.hk[r], o.hk[r]) || this.lmin[r] !== o.lmin[r] || this.lmax[r] !== o.lmax[r]) return false;
    }
    return true;
  }
  /** Joins `o` in (what holds on either path). `widen`: a growing bound becomes the full range. */
  join(o: RegFacts, widen: boolean): boolean {
    let changed = false;
    for (let r = 0; r <= 10; r++) {
      const hk = this.hk[r] === o.hk[r] ? this.hk[r] : NaN;
      let lmin = Math.min(this.lmin[r], o.lmin[r]), lmax = Math.max(this.lmax[r], o.lmax[r]);
      if (widen && lmin < this.lmin[r]) lmin = 0;
      if (widen && lmax > this.lmax[r]) lmax = FULL;
      if (!Object.is(hk, this.hk[r]) || lmin !== this.lmin[r] || lmax !== this.lmax[r]) changed = true;
      this.set(r, hk, lmin, lmax);
    }
    return changed;
  }
}

/** The smallest 2^k - 1 at or above `x` (a bound for `a | b`, `a ^ b` with both <= x). */
const ones = (x: number): number => { let v = 1; while (v <= x && v < 0x100000000) v *= 2; return v - 1; };

/**
 * The second operand of a 64-bit add/sub is a small negative number (high half -1, low half at
 * least 2^31): `r += -8` carries out of the low half whenever the result stays >= 0, so that is
 * the carry (for sub: the borrow) the facts expect.
 */
function negOperand(p: LoadedProgram, f: RegFacts, i: number): boolean {
  const c = p.code.code[i], s = p.code.src[i];
  return (c & 8) !== 0 ? f.hk[s] === -1 && f.lmin[s] >= 0x80000000 : p.code.imm[i] < 0;
}

/** What a guarded instruction speculates (see above). */
const SPEC_NONE = 0, SPEC_CARRY = 1, SPEC_CTXPTR = 2;

/**
 * Applies instruction `i` to `f`. Returns what the instruction speculates (its guard), which the
 * code generator emits; the facts after it hold only with that guard.
 */
function transfer(p: LoadedProgram, f: RegFacts, i: number): number {
  const { code, dst, src, off, imm } = p.code;
  const c = code[i], cls = c & 7, d = dst[i], s = src[i], k = imm[i], of = off[i];
  const hk = f.hk, lmin = f.lmin, lmax = f.lmax;
  if (c === OP_LDDW) { f.set(d, p.constHi[i], p.constLo[i] >>> 0, p.constLo[i] >>> 0); return SPEC_NONE; }
  if (cls === 0) { f.unknown(0); return SPEC_NONE; } // legacy packet loads set r0
  if (cls === 4) {
    const op = c & 0xf0, x = (c & 8) !== 0;
    const bmax = x ? lmax[s] : k >>> 0;
    if (c === 0xb4) f.set(d, 0, k >>> 0, k >>> 0);
    else if (c === 0xbc && of === 0) f.set(d, 0, lmin[s], lmax[s]);
    else if (op === 0x50) f.set(d, 0, 0, Math.min(lmax[d], bmax));
    else if (c === 0x74) f.set(d, 0, Math.floor(lmin[d] / 2 ** (k & 31)), Math.floor(lmax[d] / 2 ** (k & 31)));
    else if ((c === 0xd4 || c === 0xdc) && k === 16) f.set(d, 0, 0, 0xffff);
    else if (c === 0xd4 && k === 64) { /* le64 on a little-endian machine: no change */ }
    else if (c === 0xdc && k === 64) f.unknown(d);
    else f.set(d, 0, 0, FULL);
    return SPEC_NONE;
  }
  if (cls === 7) {
    const op = c & 0xf0, x = (c & 8) !== 0;
    const bh = x ? hk[s] : k >> 31, bmin = x ? lmin[s] : k >>> 0, bmax = x ? lmax[s] : k >>> 0;
    switch (op) {
      case 0xb0:
        if (!x) f.set(d, k >> 31, k >>> 0, k >>> 0);
        else if (of === 0) f.set(d, hk[s], lmin[s], lmax[s]);
        else f.unknown(d);
        return SPEC_NONE;
      case 0x00: case 0x10: {
        if (Number.isNaN(hk[d]) || Number.isNaN(bh)) { f.unknown(d); return SPEC_NONE; }
        const add = op === 0x00;
        let h: number, mn: number, mx: number, safe: boolean;
        if (!negOperand(p, f, i)) {
          // No carry (borrow) out of the low half.
          h = add ? (hk[d] + bh) | 0 : (hk[d] - bh) | 0;
          mn = add ? lmin[d] + bmin : Math.max(0, lmin[d] - bmax);
          mx = add ? Math.min(FULL, lmax[d] + bmax) : lmax[d] - bmin;
          safe = add ? lmax[d] + bmax <= FULL : lmin[d] >= bmax;
        } else {
          // b = -(2^32 - lo): a carry (add) or borrow (sub) that cancels the -1 high half.
          const negMin = 0x100000000 - bmax, negMax = 0x100000000 - bmin; // |b| bounds
          h = hk[d];
          mn = add ? Math.max(0, lmin[d] - negMax) : Math.min(FULL, lmin[d] + negMin);
          mx = add ? lmax[d] - negMin : Math.min(FULL, lmax[d] + negMax);
          safe = add ? lmin[d] >= negMax : lmax[d] + negMax <= FULL;
        }
        f.set(d, h, mn, Math.max(mn, mx));
        return safe ? SPEC_NONE : SPEC_CARRY;
      }
      case 0x50: {
        const h = !Number.isNaN(hk[d]) && !Number.isNaN(bh) ? hk[d] & bh : hk[d] === 0 || bh === 0 ? 0 : NaN;
        f.set(d, h, 0, Math.min(lmax[d], bmax));
        return SPEC_NONE;
      }
      case 0x40: case 0xa0: {
        const h = Number.isNaN(hk[d]) || Number.isNaN(bh) ? NaN : op === 0x40 ? hk[d] | bh : hk[d] ^ bh;
        f.set(d, h, 0, ones(Math.max(lmax[d], bmax)));
        return SPEC_NONE;
      }
      case 0x60: {
        const sh = k & 63;
        if (x) f.unknown(d);
        else if (sh !== 0) {
          if (hk[d] === 0 && sh < 32 && lmax[d] * 2 ** sh <= FULL) f.set(d, 0, lmin[d] * 2 ** sh, lmax[d] * 2 ** sh);
          else f.unknown(d);
        }
        return SPEC_NONE;
      }
      case 0x70: case 0xc0: {
        const sh = k & 63;
        if (x) f.unknown(d);
        else if (sh !== 0) {
          if (op === 0xc0 && !(hk[d] === 0 && lmax[d] < 0x80000000)) f.unknown(d);
          else if (hk[d] === 0 && sh < 32) f.set(d, 0, Math.floor(lmin[d] / 2 ** sh), Math.floor(lmax[d] / 2 ** sh));
          else if (sh >= 32) f.set(d, 0, 0, sh === 32 ? FULL : 2 ** (64 - sh) - 1);
          else f.unknown(d);
        }
        return SPEC_NONE;
      }
      case 0xd0:
        if (c === 0xd7 && k === 16) f.set(d, 0, 0, 0xffff);
        else if (c === 0xd7 && k === 32) f.set(d, 0, 0, FULL);
        else f.unknown(d);
        return SPEC_NONE;
      default:
        f.unknown(d);
        return SPEC_NONE;
    }
  }
  if (cls === 1) {
    if (c === 0x71) f.set(d, 0, 0, 0xff);
    else if (c === 0x69) f.set(d, 0, 0, 0xffff);
    else if (c === 0x61) {
      // The high half is 2 only for ctx->data/data_end/data_meta (offsets 0-11 of region 1).
      const B = hk[s];
      if (B === REGION_CTX && lmin[s] === lmax[s]) {
        const o = lmin[s] + of;
        if (o === 0 || o === 4 || o === 8) { f.set(d, 2, 0, 0x7fffffff); return SPEC_CTXPTR; }
        f.set(d, o >= 0 && o < 12 ? 2 : 0, 0, FULL);
      } else if (!Number.isNaN(B) && B !== 0 && B !== REGION_CTX) f.set(d, 0, 0, FULL);
      else f.unknown(d);
    } else f.unknown(d);
    return SPEC_NONE;
  }
  if (cls === 3 && (c & 0xe0) === 0xc0) { f.unknown(0); f.unknown(s); return SPEC_NONE; } // atomics
  if (c === 0x85 && s === 0) { f.unknown(0); return SPEC_NONE; } // helpers set r0 only
  if (c === 0x85 || c === 0x8d) { for (let r = 0; r <= 10; r++) f.unknown(r); return SPEC_NONE; }
  return SPEC_NONE;
}

/**
 * The loops of a program (loopEnd[t]: the last backward jump to header t, -1 if t heads none) and
 * whether it is `structured` (see compileProgram).
 */
function findLoops(p: LoadedProgram): { loopEnd: Int32Array; midEntry: Int32Array; structured: boolean } {
  const { code, src, off, imm, length: n } = p.code;
  const loopEnd = new Int32Array(n + 1).fill(-1);
  const midEntry = new Int32Array(n + 1).fill(-1); // per header: where jumps from outside enter it
  const jumps: [number, number][] = [];
  let structured = true;
  for (let i = 0; i < n; i++) {
    const c = code[i], cls = c & 7;
    if (c === OP_LDDW) { i++; continue; }
    if ((cls !== 5 && cls !== 6) || (c & 0xf0) === 0x90) continue;
    if ((c === 0x85 && src[i] !== 0) || c === 0x8d) { structured = false; continue; }
    if (c === 0x85) continue;
    const t = i + 1 + (c === 0x06 ? imm[i] : off[i]);
    if (t < 0 || t > n) { structured = false; continue; }
    jumps.push([i, t]);
    if (t <= i) loopEnd[t] = Math.max(loopEnd[t], i);
  }
  if (!structured) return { loopEnd, midEntry, structured };
  // Loops nest: scanning headers in order, each one ends inside every loop still open around it.
  const inner = new Int32Array(n + 1).fill(-1); // innermost loop with x strictly inside (t < x <= end)
  const stack: number[] = [];
  for (let x = 0; x <= n; x++) {
    while (stack.length && loopEnd[stack[stack.length - 1]] < x) stack.pop();
    inner[x] = stack.length ? stack[stack.length - 1] : -1;
    if (x < n && loopEnd[x] >= 0) {
      if (stack.length && loopEnd[x] > loopEnd[stack[stack.length - 1]]) return { loopEnd, midEntry, structured: false };
      stack.push(x);
    }
  }
  // Forward jumps enter a loop at its header, or (clang's rotated loops: `goto cond` in front of
  // the body) at one other point of the loop itself, from the region around it: the source lies
  // inside the innermost loop that has the target strictly inside, or jumps into that loop from
  // the loop around it.
  for (const [i, t] of jumps) {
    if (t <= i) continue;
    const l = inner[t];
    if (l < 0 || (l <= i && i <= loopEnd[l])) continue;
    const around = loopEnd[i] >= 0 ? i : inner[i]; // the innermost loop that holds insn i
    if (i < l && around === inner[l] && (midEntry[l] < 0 || midEntry[l] === t)) { midEntry[l] = t; continue; }
    return { loopEnd, midEntry, structured: false };
  }
  return { loopEnd, midEntry, structured };
}

/**
 * Facts at each block leader of a structured program started fresh. Blocks run in index order
 * (every jump but a loop's back edge goes forward); the whole pass repeats until the facts at
 * every loop header are stable (joined with what its back edges bring, widening bounds that keep
 * growing). Undefined when that takes too many passes.
 */
function leaderFacts(p: LoadedProgram, leaders: Uint8Array, loopEnd: Int32Array): Map<number, RegFacts> | undefined {
  const { code, off, imm, length: n } = p.code;
  const isJump = (c: number): boolean => ((c & 7) === 5 || (c & 7) === 6) && c !== 0x85 && c !== 0x8d && (c & 0xf0) !== 0x90;
  let header = new Map<number, RegFacts>(); // facts at each loop header from the previous pass
  let backPrev = new Map<number, RegFacts>(); // what the back edges brought in the previous pass
  for (let pass = 0; pass < 32; pass++) {
    const incoming = new Map<number, RegFacts>([[0, RegFacts.fresh()]]);
    const back = new Map<number, RegFacts>();
    const atLeader = new Map<number, RegFacts>();
    const nextHeader = new Map<number, RegFacts>();
    const into = (m: Map<number, RegFacts>, t: number, f: RegFacts): void => { const x = m.get(t); if (x) x.join(f, false); else m.set(t, f.copy()); };
    let changed = false;
    for (let b = 0; b < n; b++) {
      if (!leaders[b]) continue;
      let end = b + 1; // one past the block's last slot
      while (end < n && !leaders[end]) end++;
      let last = b; // the block's last instruction
      for (let j = b; j < end; j++) { last = j; if (code[j] === OP_LDDW) j++; }
      // undefined: no way here found yet (a loop header reached only by its back edges, in the
      // first pass): nothing flows on from it in this pass.
      let st = incoming.get(b)?.copy();
      if (loopEnd[b] >= 0) {
        const bp = backPrev.get(b);
        if (bp) { if (st) st.join(bp, false); else st = bp.copy(); }
        const prev = header.get(b);
        if (prev) {
          const w = prev.copy();
          if (st && w.join(st, pass >= 2)) changed = true;
          st = w;
        } else if (st) changed = true;
        if (st) nextHeader.set(b, st.copy());
      }
      atLeader.set(b, st?.copy() ?? new RegFacts()); // never reached: nothing known
      if (!st) continue;
      for (let j = b; j < end; j++) { transfer(p, st, j); if (code[j] === OP_LDDW) j++; }
      const c = code[last];
      if (isJump(c)) {
        const t = last + 1 + (c === 0x06 ? imm[last] : off[last]);
        into(t > last ? incoming : back, t, st);
      }
      if (c !== 0x05 && c !== 0x06 && c !== 0x95) into(incoming, end, st);
    }
    // Stable when no header moved and the back edges bring what they brought last time.
    for (const [h, f] of back) { const q = backPrev.get(h); if (!q || !q.equals(f)) changed = true; }
    if (!changed) return atLeader;
    header = nextHeader; backPrev = back;
  }
  return undefined;
}

/** The helpers of a program in call-site order, and each call site's slot in that list (-1: none). */
function collectHelpers(p: LoadedProgram): { fns: unknown[]; slot: Int32Array } {
  const fns: unknown[] = [];
  const slot = new Int32Array(p.code.length).fill(-1);
  for (let i = 0; i < p.code.length; i++) if (p.helperAt[i]) { slot[i] = fns.length; fns.push(p.helperAt[i]); }
  return { fns, slot };
}

/** The compiled form of `p`, compiled on first use and cached on the loaded program. */
export function compiled(p: LoadedProgram): CompiledProgram {
  let c = p.jit as CompiledProgram | undefined;
  if (!c) { c = compileProgram(p); p.jit = c; }
  return c;
}

function exec(m: Machine, p: LoadedProgram, maxSteps: number): number {
  if (maxSteps !== Infinity || p.code.length > JIT_MAX_INSNS) return interpreter.exec(m, p, maxSteps);
  const c = compiled(p);
  if (!c.leaders[m.pc]) return interpreter.exec(m, p, maxSteps);
  const st = c.run(m);
  if (st === FALLBACK) return interpreter.exec(m, p, maxSteps);
  return st;
}

function start(m: Machine, p: LoadedProgram): number {
  const c = p.jit as CompiledProgram | undefined;
  const st = c !== undefined ? c.start(m) : firstStart(m, p);
  if (st >= 0) return st;
  if (st === FALLBACK) return interpreter.exec(m, p, Infinity);
  // A speculation failed: this run finishes on the interpreter, later ones on code without facts.
  if (st === DEOPT) { p.jit = compileProgram(p, false); return interpreter.exec(m, p, Infinity); }
  return st;
}

/** A start before the program is compiled: compile it, or run it on the interpreter when too long. */
function firstStart(m: Machine, p: LoadedProgram): number {
  if (p.code.length > JIT_MAX_INSNS) { m.resetRegisters(); return interpreter.exec(m, p, Infinity); }
  return compiled(p).start(m);
}

/** The JIT as an engine. */
export const jit: VmEngine = { name: 'jit', exec, start };
