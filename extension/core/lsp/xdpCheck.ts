// Diagnostics of an XDP C file on save: clang's own messages (`-O2 -g -target bpf`), then, when the
// object builds, the engine's verifier over each XDP program, with each rejection mapped back to the
// source line through the program's BTF line info and worded as the kernel words it.
import { compileBpf } from './clangRun';
import type { ClangMessage } from './clangMessages';
import { loadObject } from '../ebpf/loader';
import { lineInfoIndexAt, type BpfProgram } from '../ebpf/program';
import { verifyProgram } from '../ebpf/verifier';
import { isXdpSection } from './cSource';
import { SEVERITY_ERROR, SEVERITY_INFORMATION, SEVERITY_WARNING, type Diagnostic, type LineIndex, type Range } from './types';

/** What the verifier said about one program: the instruction it stopped at and its message lines. */
export interface VerifierFinding {
  insn: number;
  /** The kernel's wording, e.g. `invalid access to packet, off=23 size=1, R1(id=0,off=23,r=14)\nR1 offset is outside of the packet`. */
  message: string;
}

/**
 * The engine's verifier. The message is the kernel's; the instruction is named by index only, because
 * the engine disassembles in llvm-objdump syntax (`(r1 + 23)`), not the kernel log's (`(r1 +23)`).
 */
export function engineVerifier(prog: BpfProgram): VerifierFinding[] {
  const r = verifyProgram(prog, { recordStates: false });
  return r.ok || !r.error ? [] : [{ insn: r.error.insn, message: r.error.message }];
}

export type XdpVerifier = (prog: BpfProgram) => VerifierFinding[];

function baseName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i < 0 ? p : p.slice(i + 1);
}

/** Range of one source line without its indentation (the whole line when blank). */
function lineRange(lines: LineIndex, line: number): Range {
  const l = Math.max(0, Math.min(line, lines.lineCount - 1));
  const text = lines.lineText(l);
  const start = text.length - text.trimStart().length;
  const end = Math.max(start, text.trimEnd().length);
  return { start: { line: l, character: start }, end: { line: l, character: end === start ? text.length : end } };
}

/** The identifier (or single character) starting at `col` of a line: what clang's column points at. */
function tokenRange(lines: LineIndex, line: number, col: number): Range {
  const l = Math.max(0, Math.min(line, lines.lineCount - 1));
  const text = lines.lineText(l);
  const start = Math.min(col, text.length);
  let end = start;
  while (end < text.length && /\w/.test(text[end])) end++;
  if (end === start) end = Math.min(text.length, start + 1);
  return { start: { line: l, character: start }, end: { line: l, character: end } };
}

/**
 * clang messages as diagnostics of the file being checked. A message in an included header lands on
 * the `#include` line that pulled it in; `note:` lines are appended to the message they explain.
 */
export function clangDiagnostics(messages: readonly ClangMessage[], sourcePath: string, lines: LineIndex): Diagnostic[] {
  const out: Diagnostic[] = [];
  const self = baseName(sourcePath);
  for (const m of messages) {
    const here = baseName(m.file) === self;
    if (m.severity === 'note') {
      const prev = out[out.length - 1];
      if (prev) prev.message += `\nnote: ${here ? '' : `${m.file}:${m.line}:${m.column}: `}${m.message}`;
      continue;
    }
    const severity = m.severity === 'warning' ? SEVERITY_WARNING : m.severity === 'remark' ? SEVERITY_INFORMATION : SEVERITY_ERROR;
    if (here && m.line > 0) {
      out.push({ range: tokenRange(lines, m.line - 1, Math.max(0, m.column - 1)), severity, message: m.message, source: 'clang' });
    } else {
      const inc = m.includedFrom.find((f) => baseName(f.file) === self);
      const line = inc ? inc.line - 1 : 0;
      out.push({ range: lineRange(lines, line), severity, message: `${m.file}:${m.line}:${m.column}: ${m.message}`, source: 'clang' });
    }
  }
  return out;
}

/**
 * Verifier findings as diagnostics: the instruction's line-info record gives the line (records of
 * line 0 are compiler-generated, so the nearest earlier real line is used). The message is the
 * kernel's log tail, prefixed with the program's section so two programs stay apart.
 */
export function verifierDiagnostics(prog: BpfProgram, findings: readonly VerifierFinding[], sourcePath: string, lines: LineIndex): Diagnostic[] {
  const self = baseName(sourcePath);
  return findings.map((f) => {
    let i = lineInfoIndexAt(prog.lineInfo, f.insn);
    while (i >= 0 && (prog.lineInfo[i].line === 0 || baseName(prog.lineInfo[i].file) !== self)) i--;
    const li = i >= 0 ? prog.lineInfo[i] : undefined;
    const range = li ? (li.col > 0 ? tokenRange(lines, li.line - 1, li.col - 1) : lineRange(lines, li.line - 1)) : lineRange(lines, 0);
    return {
      range, severity: SEVERITY_ERROR, source: 'verifier', code: `insn ${f.insn}`,
      message: `${f.message}\n(program ${prog.name}, SEC("${prog.section}"), instruction ${f.insn})`,
    };
  });
}

export interface XdpCheckOptions {
  clangPath: string;
  sourcePath: string;
  /** Directory for the object file (a per-check temporary directory). */
  outDir: string;
  /** Default: the engine's verifier (extension/core/ebpf/verifier.ts). */
  verifier?: XdpVerifier;
  timeoutMs?: number;
}

export interface XdpCheckResult {
  diagnostics: Diagnostic[];
  /** clang could not be started (path wrong / not installed): the message to show the user once. */
  toolError?: string;
  /** Programs verified (by section) when the object built. */
  verified: string[];
}

/** Compile, load, verify; every outcome becomes diagnostics on the source file. */
export async function checkXdpSource(text: LineIndex, opts: XdpCheckOptions): Promise<XdpCheckResult> {
  const outPath = `${opts.outDir}/${baseName(opts.sourcePath).replace(/\.[ch]$/, '')}.o`;
  const built = await compileBpf({ clangPath: opts.clangPath, sourcePath: opts.sourcePath, outPath, timeoutMs: opts.timeoutMs });
  if (built.toolError) return { diagnostics: [], toolError: built.toolError, verified: [] };
  const diagnostics = clangDiagnostics(built.messages, opts.sourcePath, text);
  if (!built.object) return { diagnostics, verified: [] };
  const verifier = opts.verifier ?? engineVerifier;
  let programs: BpfProgram[];
  try {
    programs = loadObject(built.object, { fileName: baseName(outPath) }).programs;
  } catch (e) {
    diagnostics.push({ range: lineRange(text, 0), severity: SEVERITY_ERROR, source: 'loader', message: (e as Error).message });
    return { diagnostics, verified: [] };
  }
  const verified: string[] = [];
  for (const p of programs) {
    if (!isXdpSection(p.section)) continue;
    verified.push(p.section);
    diagnostics.push(...verifierDiagnostics(p, verifier(p), opts.sourcePath, text));
  }
  return { diagnostics, verified };
}
