// Compiles XDP C sources with clang the way the kernel's samples do (`-O2 -g -target bpf`, plus
// Debian's multiarch include dir so <asm/types.h> resolves) and parses clang's diagnostics.
// The clang path is a parameter: whether a workspace may run it is the caller's decision.
import { spawn } from 'node:child_process';

export interface ClangDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning' | 'note' | 'fatal error' | 'remark';
  message: string;
}

export interface CompileOptions {
  /** clang executable (default `clang` on PATH). */
  clang?: string;
  /** Extra include directories (-I). */
  includes?: string[];
  /** Extra arguments (e.g. `-mcpu=v3`, `-DDEBUG`). */
  extraArgs?: string[];
  cwd?: string;
  /** Kill clang after this many ms (default 60 s). */
  timeoutMs?: number;
}

export interface CompileResult {
  ok: boolean;
  exitCode: number | null;
  diagnostics: ClangDiagnostic[];
  /** clang's stderr as it printed it. */
  stderr: string;
  args: string[];
}

/** Debian/Ubuntu keep asm/ headers under the multiarch directory, which `-target bpf` does not search. */
export const DEFAULT_BPF_INCLUDES = ['/usr/include/x86_64-linux-gnu'];

export function clangArgs(source: string, output: string, opts: CompileOptions = {}): string[] {
  return ['-O2', '-g', '-target', 'bpf', ...[...DEFAULT_BPF_INCLUDES, ...(opts.includes ?? [])].map((d) => `-I${d}`),
    ...(opts.extraArgs ?? []), '-c', source, '-o', output];
}

const DIAG = /^(.*?):(\d+):(\d+): (error|warning|note|fatal error|remark): (.*)$/;

/** `file:line:col: severity: message` lines of clang's output (continuation lines are skipped). */
export function parseClangDiagnostics(stderr: string): ClangDiagnostic[] {
  const out: ClangDiagnostic[] = [];
  for (const line of stderr.split(/\r?\n/)) {
    const m = DIAG.exec(line);
    if (m) out.push({ file: m[1], line: Number(m[2]), column: Number(m[3]), severity: m[4] as ClangDiagnostic['severity'], message: m[5] });
  }
  return out;
}

/** Runs clang. Resolves with the outcome; rejects only when clang cannot be started. */
export function compileBpf(source: string, output: string, opts: CompileOptions = {}): Promise<CompileResult> {
  const args = clangArgs(source, output, opts);
  const exe = opts.clang ?? 'clang';
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { cwd: opts.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { if (stderr.length < 1 << 20) stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' ? `clang not found at '${exe}' (install the Debian package clang, or set the clang path)` : `cannot run ${exe}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, exitCode: code, diagnostics: parseClangDiagnostics(stderr), stderr, args });
    });
  });
}
