// The few Language Server Protocol shapes the language smarts produce. core/ may not import
// vscode-languageserver, so these are declared here with the protocol's own field names and enum
// numbers: a server passes them through unchanged.

/** Zero-based line and UTF-16 character, as LSP counts them. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** DiagnosticSeverity. */
export const SEVERITY_ERROR = 1;
export const SEVERITY_WARNING = 2;
export const SEVERITY_INFORMATION = 3;
export const SEVERITY_HINT = 4;

export interface Diagnostic {
  range: Range;
  severity: 1 | 2 | 3 | 4;
  message: string;
  /** Who says so: `ethtool`, `hv_netvsc`, `clang`, `verifier`. */
  source: string;
  code?: string;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

/** CompletionItemKind numbers used here. */
export const enum CompletionKind {
  Function = 3,
  Field = 5,
  Module = 9,
  Property = 10,
  Value = 12,
  Keyword = 14,
  Snippet = 15,
  EnumMember = 20,
  Constant = 21,
}

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  /** One line shown beside the label (a prototype, a value's meaning). */
  detail?: string;
  /** Markdown. */
  documentation?: string;
  sortText?: string;
  /** Replaces the word being typed (so `-K` completes over `-`). */
  textEdit?: TextEdit;
  /** LSP InsertTextFormat: 1 plain, 2 snippet. */
  insertTextFormat?: 1 | 2;
  insertText?: string;
}

export interface Hover {
  /** Markdown. */
  contents: string;
  range?: Range;
}

export interface SignatureHelp {
  signatures: { label: string; documentation?: string; parameters: { label: [number, number]; documentation?: string }[] }[];
  activeSignature: number;
  activeParameter: number;
}

/** SymbolKind numbers used here. */
export const enum SymbolKind {
  Module = 2,
  Function = 12,
  Event = 24,
  Operator = 25,
}

export interface DocumentSymbol {
  name: string;
  detail?: string;
  kind: SymbolKind;
  range: Range;
  selectionRange: Range;
  children?: DocumentSymbol[];
}

export interface CodeLens {
  range: Range;
  command: { title: string; command: string; arguments?: unknown[] };
}

export interface CodeAction {
  title: string;
  kind: 'quickfix';
  diagnostics: Diagnostic[];
  isPreferred?: boolean;
  /** Edits to this document only. */
  edits: TextEdit[];
}

export function range(line: number, start: number, endLine: number, end: number): Range {
  return { start: { line, character: start }, end: { line: endLine, character: end } };
}

/** Line starts of a text, for offset <-> position conversion. */
export class LineIndex {
  readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  get lineCount(): number { return this.starts.length; }
  positionAt(offset: number): Position {
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
  }
  offsetAt(p: Position): number {
    if (p.line >= this.starts.length) return this.text.length;
    return Math.min(this.starts[p.line] + p.character, this.lineEnd(p.line));
  }
  /** Offset of the end of a line, before its `\r\n` / `\n`. */
  lineEnd(line: number): number {
    let end = line + 1 < this.starts.length ? this.starts[line + 1] - 1 : this.text.length;
    if (end > this.starts[line] && this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }
  lineText(line: number): string { return this.text.slice(this.starts[line], this.lineEnd(line)); }
}
