// Runs clang for the XDP language server: `clang -O2 -g -target bpf -c FILE -o OUT`, and reads its
// diagnostics (`file:line:col: severity: message`, with the "In file included from" chain). The clang
// path is a parameter: core/ does not decide Workspace Trust, the caller does.
// Bridge: the eBPF engine's wrapper (extension/core/ebpf/clang.ts) is being written; once it lands this
// module delegates to it.
import { spawn } from 'node:child_process';
import { readFile, mkdir } from 'node:fs/promises';

export interface ClangMessage {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'fatal error' | 'warning' | 'note' | 'remark';
  message: string;
  /** `In file included from F:L:` chain, outermost last. */
  includedFrom: { file: string; line: number }[];
}

/** The include directory Debian needs so <asm/types.h> resolves under -target bpf. */
export const BPF_INCLUDE_ARGS = ['-I/usr/include/x86_64-linux-gnu'];

const DIAG_RE = /^(.*?):(\d+):(\d+): (fatal error|error|warning|note|remark): (.*)$/;
const BARE_RE = /^(?:clang(?:-\d+)?: )?(fatal error|error|warning): (.*)$/;
const INCLUDED_RE = /^(?:In file included from|\s+from) (.*?):(\d+)[:,]$/;

export function parseClangOutput(stderr: string): ClangMessage[] {
  const out: ClangMessage[] = [];
  let chain: { file: string; line: number }[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const inc = line.match(INCLUDED_RE);
    if (inc) { chain.push({ file: inc[1], line: Number(inc[2]) }); continue; }
    const m = line.match(DIAG_RE);
    if (m) {
      out.push({ file: m[1], line: Number(m[2]), col: Number(m[3]), severity: m[4] as ClangMessage['severity'], message: m[5], includedFrom: chain });
      chain = [];
      continue;
    }
    const b = line.match(BARE_RE);
    if (b) out.push({ file: '', line: 0, col: 0, severity: b[1] as ClangMessage['severity'], message: b[2], includedFrom: [] });
  }
  return out;
}

export interface CompileRequest {
  clangPath: string;
  sourcePath: string;
  outPath: string;
  extraArgs?: string[];
  timeoutMs?: number;
}

export interface CompileResult {
  messages: ClangMessage[];
  /** The object bytes when clang exited 0. */
  object?: Uint8Array;
  /** clang could not run at all. */
  toolError?: string;
  exitCode: number | null;
}

export async function compileBpf(req: CompileRequest): Promise<CompileResult> {
  await mkdir(req.outPath.replace(/[/\\][^/\\]*$/, '') || '.', { recursive: true });
  const args = ['-O2', '-g', '-target', 'bpf', ...BPF_INCLUDE_ARGS, '-fno-color-diagnostics', ...(req.extraArgs ?? []), '-c', req.sourcePath, '-o', req.outPath];
  return new Promise<CompileResult>((resolve) => {
    let stderr = '';
    let settled = false;
    const child = spawn(req.clangPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, req.timeoutMs ?? 60_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { if (stderr.length < 1 << 20) stderr += d; });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const hint = e.code === 'ENOENT' ? ' (install clang, e.g. `apt-get install clang`, or set netvsc.clangPath)' : '';
      resolve({ messages: [], toolError: `cannot run clang at '${req.clangPath}': ${e.message}${hint}`, exitCode: null });
    });
    child.on('close', async (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const messages = parseClangOutput(stderr);
      if (signal) { resolve({ messages, toolError: `clang was stopped (${signal}) after ${req.timeoutMs ?? 60_000} ms`, exitCode: null }); return; }
      if (code !== 0) { resolve({ messages, exitCode: code }); return; }
      try {
        resolve({ messages, object: new Uint8Array(await readFile(req.outPath)), exitCode: 0 });
      } catch (e) {
        resolve({ messages, toolError: `clang succeeded but ${req.outPath} cannot be read: ${(e as Error).message}`, exitCode: 0 });
      }
    });
  });
}
