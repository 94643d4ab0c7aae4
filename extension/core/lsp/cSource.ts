// Just enough lexical knowledge of C for XDP assists: where comments and literals are (so nothing is
// offered inside them), the identifier under the cursor, the call the cursor is in (signature help),
// the SEC("xdp…") programs, and which variables are `struct xdp_md *`. Not a C parser: clangd or the
// C/C++ extension own everything generic.

/** Character classes of a C source: code, comment, or string/char literal. */
export const CODE = 0, COMMENT = 1, LITERAL = 2;

/** One byte per UTF-16 unit: CODE, COMMENT or LITERAL. Handles `//`, block comments, escapes, line splices. */
export function classify(text: string): Uint8Array {
  const cls = new Uint8Array(text.length);
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      const start = i;
      while (i < n && text.charCodeAt(i) !== 10) {
        if (text.charCodeAt(i) === 92 /* \ */ && text.charCodeAt(i + 1) === 10) i++;
        i++;
      }
      cls.fill(COMMENT, start, i);
    } else if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      cls.fill(COMMENT, i, stop);
      i = stop;
    } else if (c === 34 /* " */ || c === 39 /* ' */) {
      const start = i++;
      while (i < n && text.charCodeAt(i) !== c && text.charCodeAt(i) !== 10) {
        if (text.charCodeAt(i) === 92) i++;
        i++;
      }
      i = Math.min(n, i + 1);
      cls.fill(LITERAL, start, i);
    } else {
      i++;
    }
  }
  return cls;
}

export function isIdentChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** The identifier touching `offset` (cursor inside or right after it). */
export function identifierAt(text: string, offset: number): { start: number; end: number; word: string } | undefined {
  let start = offset, end = offset;
  while (start > 0 && isIdentChar(text.charCodeAt(start - 1))) start--;
  while (end < text.length && isIdentChar(text.charCodeAt(end))) end++;
  if (start === end) return undefined;
  const c0 = text.charCodeAt(start);
  if (c0 >= 48 && c0 <= 57) return undefined;
  return { start, end, word: text.slice(start, end) };
}

/** If the token before `offset` (skipping blanks) is `->` or `.`, the identifier before it. */
export function memberAccessBase(text: string, offset: number): string | undefined {
  let i = offset - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  let j: number;
  if (text[i] === '>' && text[i - 1] === '-') j = i - 2;
  else if (text[i] === '.') j = i - 1;
  else return undefined;
  while (j >= 0 && (text[j] === ' ' || text[j] === '\t')) j--;
  const id = identifierAt(text, j + 1);
  return id?.word;
}

export interface CallContext {
  /** The function being called. */
  name: string;
  /** 0-based index of the argument the cursor is in. */
  argIndex: number;
  /** Offset of the `(`. */
  open: number;
}

/**
 * The innermost unclosed call around `offset`: walk back over balanced brackets counting top-level
 * commas. Stops at `;`, `{` or `}` (a call never spans statements).
 */
export function callContextAt(text: string, cls: Uint8Array, offset: number): CallContext | undefined {
  let depth = 0;
  let commas = 0;
  for (let i = offset - 1; i >= 0; i--) {
    if (cls[i] !== CODE) continue;
    const ch = text[i];
    if (ch === ')' || ch === ']') depth++;
    else if (ch === '(' || ch === '[') {
      if (depth > 0) { depth--; continue; }
      if (ch === '[') return undefined;
      let j = i - 1;
      while (j >= 0 && /\s/.test(text[j])) j--;
      const id = identifierAt(text, j + 1);
      if (!id || id.end !== j + 1) return undefined;
      return { name: id.word, argIndex: commas, open: i };
    } else if (ch === ',' && depth === 0) commas++;
    else if (ch === ';' || ch === '{' || ch === '}') return undefined;
  }
  return undefined;
}

export interface SecProgram {
  /** The SEC() string: `xdp`, `xdp.frags`, `xdp/foo`. */
  section: string;
  /** The function defined right after the SEC() annotation. */
  functionName: string;
  /** Offsets of `SEC` keyword start and of the function name. */
  secOffset: number;
  nameOffset: number;
}

const SEC_RE = /\bSEC\s*\(\s*"([^"\n]*)"\s*\)/g;

/** Every `SEC("…")` annotation outside comments and literals, with its section string. */
export function secAnnotations(text: string, cls: Uint8Array): { section: string; offset: number; end: number }[] {
  const out: { section: string; offset: number; end: number }[] = [];
  SEC_RE.lastIndex = 0;
  for (let m = SEC_RE.exec(text); m; m = SEC_RE.exec(text)) {
    if (cls[m.index] !== CODE) continue;
    out.push({ section: m[1], offset: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** A section libbpf loads as BPF_PROG_TYPE_XDP: `xdp`, `xdp.frags`, `xdp/…`, `xdp.frags/…`. */
export function isXdpSection(sec: string): boolean {
  return sec === 'xdp' || sec === 'xdp.frags' || sec.startsWith('xdp/') || sec.startsWith('xdp.frags/');
}

/** Does this C text define at least one XDP program (a `SEC("xdp…")` in code)? */
export function isXdpSource(text: string, cls: Uint8Array = classify(text)): boolean {
  return secAnnotations(text, cls).some((s) => isXdpSection(s.section));
}

/**
 * XDP programs: each SEC("xdp…") followed by a function definition. The function name is the
 * identifier before the first top-level `(` after the annotation, provided a `{` follows its `)`.
 */
export function xdpPrograms(text: string, cls: Uint8Array = classify(text)): SecProgram[] {
  const out: SecProgram[] = [];
  for (const s of secAnnotations(text, cls)) {
    if (!isXdpSection(s.section)) continue;
    let i = s.end;
    while (i < text.length && !(text[i] === '(' && cls[i] === CODE) && !(';{'.includes(text[i]) && cls[i] === CODE)) i++;
    if (text[i] !== '(') continue;
    let j = i - 1;
    while (j > s.end && /\s/.test(text[j])) j--;
    const id = identifierAt(text, j + 1);
    if (!id) continue;
    // Past the parameter list, a definition opens a body.
    let depth = 0, k = i;
    for (; k < text.length; k++) {
      if (cls[k] !== CODE) continue;
      if (text[k] === '(') depth++;
      else if (text[k] === ')' && --depth === 0) break;
    }
    k++;
    while (k < text.length && (/\s/.test(text[k]) || cls[k] !== CODE)) k++;
    if (text[k] !== '{') continue;
    out.push({ section: s.section, functionName: id.word, secOffset: s.offset, nameOffset: id.start });
  }
  return out;
}

/** Names declared as `struct xdp_md *NAME` (parameters or locals). */
export function xdpMdVariables(text: string, cls: Uint8Array): Set<string> {
  const names = new Set<string>();
  const re = /\bstruct\s+xdp_md\s*\*\s*(?:const\s+)?([A-Za-z_]\w*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) if (cls[m.index] === CODE) names.add(m[1]);
  return names;
}
