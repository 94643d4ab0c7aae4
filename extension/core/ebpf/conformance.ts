/**
 * The bpf_conformance suite's `.data` test format (lib/src/bpf_test_parser.cc) and a runner that
 * executes a test through our engines, the way the suite's harness does: r1 = the `-- mem` bytes
 * (or 0), r2 = their length, result compared with the full 64-bit r0.
 *
 * Format: `#` starts a comment; a line containing `--` switches section by substring (`asm`,
 * `result`, `mem`, `raw`, `no register offset` / ` c` ignore the rest, `error`); any other
 * section makes the file unusable (the suite skips it; we reject it). `-- raw` holds 64-bit
 * integers, one per slot, that override `-- asm`.
 */
import { assemble, AsmError, parseInteger } from './asm';
import { encodeInsn } from './isa';
import { REGION_PACKET, SKB_SHARED_INFO_SIZE, XDP_FRAME_SIZE, XDP_PACKET_HEADROOM } from './memory';
import {
  HelperTable, LoadedProgram, Machine, ST_EXIT, VmEngine, VmLoadError, VmProgram,
} from './vm';

export interface ConformanceTest {
  /** Assembly text and the line (1-based) it starts at in the file. */
  asm?: { text: string; firstLine: number };
  raw?: bigint[];
  mem?: Uint8Array;
  /** Expected r0 (unsigned 64-bit). */
  result?: bigint;
  error?: string;
}

export class ConformanceParseError extends Error {
  constructor(readonly line: number, readonly reason: string) { super(`${line}: ${reason}`); }
}

export function parseConformance(text: string): ConformanceTest {
  type Section = 'none' | 'asm' | 'result' | 'mem' | 'raw' | 'error' | 'ignore';
  let section: Section = 'none';
  const asmLines: string[] = [];
  let asmFirst = 0;
  const memBytes: number[] = [];
  const raw: bigint[] = [];
  let resultLine: { text: string; line: number } | undefined;
  let errorLine: string | undefined;
  let sawRaw = false, sawMem = false, sawError = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i].replace(/\r$/, '');
    if (line.includes('--')) {
      if (line.includes('asm')) { section = 'asm'; asmFirst = lineNo + 1; }
      else if (line.includes('result')) section = 'result';
      else if (line.includes('mem')) { section = 'mem'; sawMem = true; }
      else if (line.includes('raw')) { section = 'raw'; sawRaw = true; }
      else if (line.includes('no register offset') || line.includes(' c')) section = 'ignore';
      else if (line.includes('error')) { section = 'error'; sawError = true; }
      else throw new ConformanceParseError(lineNo, `unknown section '${line.trim()}'`);
      continue;
    }
    if (section === 'ignore') continue;
    if (section === 'asm') {
      // keep line numbering: comments are stripped by the assembler
      asmLines[lineNo - asmFirst] = line;
      continue;
    }
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    if (line.trim() === '') continue;
    switch (section) {
      case 'none': throw new ConformanceParseError(lineNo, 'text before the first section');
      case 'result': resultLine = { text: line.trim(), line: lineNo }; break;
      case 'error': errorLine = line.trim(); break;
      case 'mem':
        for (const tok of line.trim().split(/\s+/)) {
          if (!/^[0-9a-f]{1,2}$/i.test(tok)) throw new ConformanceParseError(lineNo, `invalid byte '${tok}' in -- mem`);
          memBytes.push(parseInt(tok, 16));
        }
        break;
      case 'raw': {
        const toks = line.trim().split(/\s+/);
        if (toks.length === 8 && toks.every((b) => /^[0-9a-f]{2}$/i.test(b))) {
          // One instruction written as its 8 bytes (uBPF / hexdump style, as negative/unused-*.data
          // mean it; the suite's own parser would read each byte as a whole instruction).
          let v = 0n;
          for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(parseInt(toks[k], 16));
          raw.push(v);
          break;
        }
        for (const tok of toks) {
          const v = parseInteger(tok);
          if (v === undefined || v < 0n || v >= 1n << 64n) throw new ConformanceParseError(lineNo, `invalid instruction '${tok}' in -- raw`);
          raw.push(v);
        }
        break;
      }
    }
  }
  const t: ConformanceTest = {};
  if (asmLines.length > 0) t.asm = { text: Array.from(asmLines, (l) => l ?? '').join('\n'), firstLine: asmFirst };
  if (sawRaw) t.raw = raw;
  if (sawMem) t.mem = Uint8Array.from(memBytes);
  if (resultLine) {
    const r = resultLine.text;
    const v = r.includes('0x') ? parseInteger(r.slice(r.indexOf('0x'))) : parseInteger(r);
    if (v === undefined) throw new ConformanceParseError(resultLine.line, `invalid result '${r}'`);
    t.result = BigInt.asUintN(64, v);
  }
  if (sawError) t.error = errorLine ?? '';
  return t;
}

/** The helpers the suite's harness provides: 5 = uBPF's "unwind" (returns r1; 0 ends the program with r0 = 0). */
export const CONFORMANCE_HELPERS: HelperTable = new Map([
  [5, {
    name: 'unwind',
    fn: (vm) => {
      const lo = vm.argLo(1), hi = vm.argHi(1);
      if (lo === 0 && hi === 0) vm.stop(0, 0); else vm.ret(lo, hi);
    },
  }],
]);

/** How a test ended. `rejected` says which stage refused the program, if one did. */
export interface ConformanceOutcome {
  pass: boolean;
  /** Why it failed (or, for an expected error, the error we gave). */
  why: string;
  r0?: bigint;
  rejected?: 'parse' | 'assemble' | 'load' | 'run';
}

/** The instructions of a test: `-- raw` overrides `-- asm`. Throws AsmError / ConformanceParseError. */
export function testProgram(t: ConformanceTest): Uint8Array {
  if (t.raw) {
    const out = new Uint8Array(t.raw.length * 8);
    t.raw.forEach((v, i) => {
      const lo = Number(v & 0xffffffffn) | 0, hi = Number(v >> 32n) | 0;
      encodeInsn(out, i, { code: lo & 0xff, dst: (lo >> 8) & 0xf, src: (lo >> 12) & 0xf, off: lo >> 16, imm: hi });
    });
    return out;
  }
  if (t.asm) return assemble(t.asm.text, t.asm.firstLine).insns;
  throw new ConformanceParseError(0, 'no -- asm or -- raw section');
}

/**
 * Runs one test file's text through `engine`. A test passes when it expects a result and the
 * program produces exactly it, or expects an error and assembling, loading or running fails.
 */
export function runConformance(text: string, engine: VmEngine): ConformanceOutcome {
  let t: ConformanceTest;
  let insns: Uint8Array;
  try {
    t = parseConformance(text);
  } catch (e) {
    if (e instanceof ConformanceParseError) return { pass: false, why: e.message, rejected: 'parse' };
    throw e;
  }
  if (t.result === undefined && t.error === undefined) return { pass: false, why: 'the test expects neither a result nor an error', rejected: 'parse' };
  try {
    insns = testProgram(t);
  } catch (e) {
    if (e instanceof AsmError || e instanceof ConformanceParseError) {
      return { pass: false, why: e instanceof AsmError ? `line ${e.message}` : e.message, rejected: e instanceof AsmError ? 'assemble' : 'parse' };
    }
    throw e;
  }
  const capacity = XDP_FRAME_SIZE - XDP_PACKET_HEADROOM - SKB_SHARED_INFO_SIZE;
  if (t.mem && t.mem.length > capacity) {
    return { pass: false, why: `-- mem has ${t.mem.length} bytes; the VM's buffer holds at most ${capacity}`, rejected: 'parse' };
  }
  const m = new Machine({ helpers: CONFORMANCE_HELPERS });
  const program: VmProgram = { insns, maps: [] };
  let p: LoadedProgram;
  try {
    p = m.load(program);
  } catch (e) {
    if (e instanceof VmLoadError) return { pass: errorMatches(t, e.message), why: e.message, rejected: 'load' };
    throw e;
  }
  const st = runWithMem(m, p, engine, t.mem);
  if (st !== ST_EXIT) {
    const why = m.fault?.message ?? 'stopped';
    return { pass: errorMatches(t, why), why: errorMatches(t, why) || t.result !== undefined ? why : `${why} (expected an error mentioning '${t.error}')`, rejected: 'run' };
  }
  const r0 = m.r0();
  if (t.result === undefined) return { pass: false, why: `expected an error${t.error ? ` (${t.error})` : ''}, got r0 = 0x${r0.toString(16)}`, r0 };
  if (r0 !== t.result) return { pass: false, why: `r0 = 0x${r0.toString(16)}, expected 0x${t.result.toString(16)}`, r0 };
  return { pass: true, why: '', r0 };
}

/** An expected error matches when the test expects one and our message contains its text. */
function errorMatches(t: ConformanceTest, message: string): boolean {
  return t.result === undefined && t.error !== undefined && message.includes(t.error);
}

/** Runs with the harness convention: r1 = pointer to `mem` (placed as packet data), r2 = its length. */
export function runWithMem(m: Machine, p: LoadedProgram, engine: VmEngine, mem: Uint8Array | undefined): number {
  m.packet.load(mem ?? new Uint8Array(0));
  m.reset(p);
  if (mem) {
    m.lo[1] = XDP_PACKET_HEADROOM; m.hi[1] = REGION_PACKET;
    m.lo[2] = mem.length; m.hi[2] = 0;
  } else {
    m.lo[1] = 0; m.hi[1] = 0;
  }
  return m.resume(engine, Infinity);
}
