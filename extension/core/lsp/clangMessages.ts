// clang's diagnostics (parsed by the engine's clang.ts) with the `In file included from F:L:` chain
// clang prints above a message in a header: the XDP server puts such a message on the #include line.
import { parseClangDiagnostics, type ClangDiagnostic } from '../ebpf/clang';

export interface ClangMessage extends ClangDiagnostic {
  /** Outermost include last, as clang prints them. */
  includedFrom: { file: string; line: number }[];
}

const INCLUDED_RE = /^(?:In file included from|\s+from) (.*?):(\d+)[:,]$/;

export function clangMessages(stderr: string): ClangMessage[] {
  const out: ClangMessage[] = [];
  let chain: { file: string; line: number }[] = [];
  for (const line of stderr.split(/\r?\n/)) {
    const inc = INCLUDED_RE.exec(line);
    if (inc) { chain.push({ file: inc[1], line: Number(inc[2]) }); continue; }
    const [d] = parseClangDiagnostics(line);
    if (d) { out.push({ ...d, includedFrom: chain }); chain = []; }
  }
  return out;
}
