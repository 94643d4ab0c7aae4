// Compile-to-bytes over the engine's clang wrapper (extension/core/ebpf/clang.ts): one call that runs
// `clang -O2 -g -target bpf`, returns the object bytes on success, and the diagnostics (with their
// include chains) either way. Used by the XDP language server and the debugger's launch.
import { mkdir, readFile } from 'node:fs/promises';
import { compileBpf as runClang } from '../ebpf/clang';
import { clangMessages, type ClangMessage } from './clangMessages';

export type { ClangMessage } from './clangMessages';

export interface CompileRequest {
  clangPath: string;
  sourcePath: string;
  outPath: string;
  extraArgs?: string[];
  timeoutMs?: number;
}

export interface CompileResult {
  /** clang's diagnostics; `col` is clang's column (1-based). */
  messages: (ClangMessage & { col: number })[];
  /** The object bytes when clang exited 0. */
  object?: Uint8Array;
  /** clang could not run at all (not installed, wrong path), or its output cannot be read. */
  toolError?: string;
  exitCode: number | null;
  stderr: string;
}

export async function compileBpf(req: CompileRequest): Promise<CompileResult> {
  await mkdir(req.outPath.replace(/[/\\][^/\\]*$/, '') || '.', { recursive: true });
  let r;
  try {
    r = await runClang(req.sourcePath, req.outPath, { clang: req.clangPath, extraArgs: req.extraArgs, timeoutMs: req.timeoutMs });
  } catch (e) {
    return { messages: [], toolError: (e as Error).message, exitCode: null, stderr: '' };
  }
  const messages = clangMessages(r.stderr).map((m) => ({ ...m, col: m.column }));
  if (!r.ok) return { messages, exitCode: r.exitCode, stderr: r.stderr };
  try {
    return { messages, object: new Uint8Array(await readFile(req.outPath)), exitCode: 0, stderr: r.stderr };
  } catch (e) {
    return { messages, toolError: `clang succeeded but ${req.outPath} cannot be read: ${(e as Error).message}`, exitCode: 0, stderr: r.stderr };
  }
}
