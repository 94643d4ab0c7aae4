// A readline-like line editor for the NetVSC console (a VS Code Pseudoterminal, or any terminal):
// it turns the bytes a terminal sends into screen updates and submitted lines. History, cursor
// movement, Ctrl-A/E/U/C/L and Tab completion, with no dependency on the terminal behind it.

export interface Completion {
  /** Start offset in the line of the word being completed. */
  start: number;
  /** Candidate words for that position. */
  candidates: string[];
}

export interface LineEditorHost {
  /** Write text (with ANSI escapes, CRLF line ends) to the terminal. */
  write(text: string): void;
  /** A line was entered (not yet recorded in history when blank). */
  submit(line: string): void;
  /** Candidates for Tab at `cursor` in `line`. */
  complete?(line: string, cursor: number): Completion;
}

const CSI = '\x1b[';

export class LineEditor {
  private line = '';
  private cursor = 0;
  private readonly history: string[] = [];
  private historyIndex = 0;
  /** The line being typed before browsing history, restored when coming back down. */
  private draft = '';
  private lastWasTab = false;

  /** Terminal width: lines longer than this wrap, and redraws must go back over every row. */
  private columns = 80;
  /** The prompt's width on screen (its ANSI colour codes take no room). */
  private readonly promptWidth: number;

  constructor(private readonly host: LineEditorHost, readonly prompt: string, private readonly maxHistory = 500) {
    // eslint-disable-next-line no-control-regex -- SGR sequences are what is removed
    this.promptWidth = prompt.replace(/\x1b\[[0-9;]*m/g, '').length;
  }

  /** The terminal was resized (Pseudoterminal.setDimensions). */
  setColumns(columns: number): void {
    if (columns > 0) this.columns = columns;
  }

  get text(): string { return this.line; }
  get cursorPos(): number { return this.cursor; }
  get historyLines(): readonly string[] { return this.history; }

  /** Prints the prompt for a new line. */
  showPrompt(): void {
    this.host.write(this.prompt);
  }

  /** Feeds bytes typed (or pasted) into the terminal. */
  input(data: string): void {
    let i = 0;
    while (i < data.length) {
      const rest = data.slice(i);
      // eslint-disable-next-line no-control-regex -- terminal escape sequences are what this parses
      const esc = /^\x1b(\[[0-9;]*[A-Za-z~]|O[A-Za-z])/.exec(rest);
      if (esc) { this.escape(esc[1]); i += esc[0].length; continue; }
      const ch = data[i++];
      const wasTab = this.lastWasTab;
      this.lastWasTab = false;
      switch (ch) {
        case '\r': case '\n':
          if (ch === '\n' && data[i - 2] === '\r') break; // CRLF pasted: one line
          this.enter();
          break;
        case '\x7f': case '\b': this.backspace(); break;
        case '\x01': this.moveTo(0); break; // Ctrl-A
        case '\x05': this.moveTo(this.line.length); break; // Ctrl-E
        case '\x15': this.setLine(this.line.slice(this.cursor), 0); break; // Ctrl-U: kill to start
        case '\x0b': this.setLine(this.line.slice(0, this.cursor), this.cursor); break; // Ctrl-K
        case '\x03': this.host.write('^C\r\n'); this.line = ''; this.cursor = 0; this.showPrompt(); break;
        case '\x0c': this.host.write(`${CSI}2J${CSI}H`); this.redraw(0); break; // Ctrl-L
        case '\t': this.tab(wasTab); this.lastWasTab = true; break;
        default:
          if (ch >= ' ') this.insert(ch);
      }
    }
  }

  private escape(seq: string): void {
    switch (seq.at(-1)) {
      case 'A': this.historyMove(-1); break;
      case 'B': this.historyMove(1); break;
      case 'C': this.moveTo(Math.min(this.line.length, this.cursor + 1)); break;
      case 'D': this.moveTo(Math.max(0, this.cursor - 1)); break;
      case 'H': this.moveTo(0); break;
      case 'F': this.moveTo(this.line.length); break;
      case '~':
        if (seq === '[3~' && this.cursor < this.line.length) this.setLine(this.line.slice(0, this.cursor) + this.line.slice(this.cursor + 1), this.cursor);
        else if (seq === '[1~' || seq === '[7~') this.moveTo(0);
        else if (seq === '[4~' || seq === '[8~') this.moveTo(this.line.length);
        break;
    }
  }

  private enter(): void {
    const line = this.line;
    // From the end of the (possibly wrapped) line, so the output starts below all of it.
    const x = this.promptWidth + line.length;
    const onFreshRow = x > 0 && x % this.columns === 0; // wrapIfFull already moved down
    this.host.write(`${this.travel(this.cursorCell(this.cursor), this.cursorCell(line.length))}${onFreshRow ? '' : '\r\n'}`);
    if (line.trim() && this.history.at(-1) !== line) {
      this.history.push(line);
      if (this.history.length > this.maxHistory) this.history.shift();
    }
    this.historyIndex = this.history.length;
    this.draft = '';
    this.line = '';
    this.cursor = 0;
    this.host.submit(line);
  }

  private insert(text: string): void {
    if (this.cursor === this.line.length) {
      // Typing at the end: the terminal draws and wraps the text itself; no redraw.
      this.line += text;
      this.cursor = this.line.length;
      this.host.write(text + this.wrapIfFull());
      return;
    }
    this.setLine(this.line.slice(0, this.cursor) + text + this.line.slice(this.cursor), this.cursor + text.length);
  }

  private backspace(): void {
    if (this.cursor === 0) return;
    this.setLine(this.line.slice(0, this.cursor - 1) + this.line.slice(this.cursor), this.cursor - 1);
  }

  private historyMove(delta: number): void {
    const next = this.historyIndex + delta;
    if (next < 0 || next > this.history.length) return;
    if (this.historyIndex === this.history.length) this.draft = this.line;
    this.historyIndex = next;
    const text = next === this.history.length ? this.draft : this.history[next];
    this.setLine(text, text.length);
  }

  private tab(second: boolean): void {
    const c = this.host.complete?.(this.line, this.cursor);
    if (!c || c.candidates.length === 0) { this.host.write('\x07'); return; }
    const word = this.line.slice(c.start, this.cursor);
    const matches = c.candidates.filter((x) => x.startsWith(word));
    if (matches.length === 0) { this.host.write('\x07'); return; }
    if (matches.length === 1) { this.insert(matches[0].slice(word.length) + ' '); return; }
    const common = commonPrefix(matches);
    if (common.length > word.length) { this.insert(common.slice(word.length)); return; }
    // Like bash: the second Tab lists the candidates, then the line is drawn again.
    if (second) { this.host.write(`\r\n${matches.join('  ')}\r\n`); this.redraw(0); } else this.host.write('\x07');
  }

  private setLine(line: string, cursor: number): void {
    const old = this.cursor;
    this.line = line;
    this.cursor = cursor;
    this.redraw(old);
  }

  private moveTo(cursor: number): void {
    if (cursor === this.cursor) return;
    const from = this.cursorCell(this.cursor);
    this.cursor = cursor;
    this.host.write(this.travel(from, this.cursorCell(cursor)));
  }

  /**
   * Redraws the prompt and line from the row the prompt starts on (the line may wrap over several
   * rows), leaving the terminal cursor at the edit position.
   */
  private redraw(oldCursor = this.cursor): void {
    const up = this.cursorCell(oldCursor).row;
    const end = this.cursorCell(this.line.length);
    this.host.write(`${up > 0 ? `${CSI}${up}A` : ''}\r${CSI}J${this.prompt}${this.line}${this.wrapIfFull()}${this.travel(end, this.cursorCell(this.cursor))}`);
  }

  /**
   * A line that ends exactly at the right margin leaves a terminal in its "wrap pending" state;
   * moving to the next row's start now keeps the screen and this model (row = x / columns) in step.
   */
  private wrapIfFull(): string {
    const x = this.promptWidth + this.line.length;
    return x > 0 && x % this.columns === 0 ? '\r\n' : '';
  }

  /** Row (from the prompt's row) and column where the edit position `pos` is drawn. */
  private cursorCell(pos: number): { row: number; col: number } {
    const x = this.promptWidth + pos;
    return { row: Math.floor(x / this.columns), col: x % this.columns };
  }

  /** Escape sequence moving the cursor between two cells of the line. */
  private travel(from: { row: number; col: number }, to: { row: number; col: number }): string {
    if (from.row === to.row && from.col === to.col) return '';
    const rows = to.row - from.row;
    const vertical = rows < 0 ? `${CSI}${-rows}A` : rows > 0 ? `${CSI}${rows}B` : '';
    if (rows === 0) return to.col > from.col ? `${CSI}${to.col - from.col}C` : `${CSI}${from.col - to.col}D`;
    return `${vertical}\r${to.col > 0 ? `${CSI}${to.col}C` : ''}`;
  }
}

function commonPrefix(words: string[]): string {
  let p = words[0];
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1);
  return p;
}
